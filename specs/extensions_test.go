package specs

import (
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// capture is one x-obpm-capture found in a response.
type capture struct {
	Variable, Place string
}

// requestFields calls visit for every request parameter and every request
// body property (at any depth, allOf wrappers included) with its name and
// the extensions written on it.
func requestFields(o docOp, visit func(name, place string, ext map[string]any, ref *openapi3.SchemaRef)) {
	for _, p := range o.Op.Parameters {
		ext := map[string]any{}
		for k, v := range p.Value.Extensions {
			ext[k] = v
		}
		visit(p.Value.Name, "parameter "+p.Value.Name, ext, p.Value.Schema)
	}
	if o.Op.RequestBody == nil {
		return
	}
	for ct, mt := range o.Op.RequestBody.Value.Content {
		walkSchema(ct, mt.Schema, func(place string, ref *openapi3.SchemaRef) {
			i := strings.LastIndex(place, "/properties/")
			if i < 0 || ref.Value == nil {
				return
			}
			name := place[i+len("/properties/"):]
			if strings.Contains(name, "/") {
				return
			}
			visit(name, place, ref.Value.Extensions, ref)
		})
	}
}

// captures returns the x-obpm-capture extensions of an operation's 200
// response, failing the test for one written where the generator cannot see
// it (on a bare $ref).
func captures(t *testing.T, o docOp) []capture {
	t.Helper()
	var out []capture
	r := o.Op.Responses.Value("200")
	if r == nil {
		return nil
	}
	for _, mt := range r.Value.Content {
		walkSchema("", mt.Schema, func(place string, ref *openapi3.SchemaRef) {
			if ref.Value == nil {
				return
			}
			if v := extension(ref.Value.Extensions, "x-obpm-capture"); v != "" {
				if ref.Ref != "" && !strings.Contains(place, "/items") {
					t.Errorf("%s %s: x-obpm-capture on a shared component schema; put it on an inline property", opName(o), place)
				}
				out = append(out, capture{Variable: v, Place: place})
			}
		})
	}
	return out
}

func TestGeneratedFields(t *testing.T) {
	doc := loadDoc(t)
	n := 0
	for _, o := range operations(doc) {
		requestFields(o, func(name, place string, ext map[string]any, ref *openapi3.SchemaRef) {
			gen := extension(ext, "x-obpm-generate")
			switch {
			case name == "bank_tran_id" || name == "tran_dtime":
				n++
				if gen != name {
					t.Errorf("%s %s: x-obpm-generate = %q, want %q (filled fresh at send time)", opName(o), place, gen, name)
				}
			case gen != "":
				t.Errorf("%s %s: x-obpm-generate %q on a field that is not bank_tran_id/tran_dtime", opName(o), place, gen)
			}
			if _, ok := ext["x-obpm-capture"]; ok {
				t.Errorf("%s %s: x-obpm-capture belongs on response fields", opName(o), place)
			}
		})
	}
	if n < 20 {
		t.Errorf("only %d generated fields found: the walk is broken", n)
	}
}

// TestCaptures checks the chaining the issue asks for: the fields later
// requests need are captured, under the variable names they use.
func TestCaptures(t *testing.T) {
	doc := loadDoc(t)
	want := []struct {
		op, variable, placeSuffix string
	}{
		{"token", "user_seq_no", "/properties/user_seq_no"},
		{"token", "client_use_code", "/properties/client_use_code"},
		{"token", "refresh_token", "/properties/refresh_token"},
		{"userMe", "fintech_use_num", "/properties/res_list/items/properties/fintech_use_num"},
		{"accountList", "fintech_use_num", "/properties/res_list/items/properties/fintech_use_num"},
		{"withdrawFinNum", "last_bank_tran_id", "/properties/bank_tran_id"},
		{"withdrawFinNum", "last_bank_tran_date", "/properties/bank_tran_date"},
	}
	got := map[string][]capture{}
	for _, o := range operations(doc) {
		got[o.Op.OperationID] = captures(t, o)
	}
	for _, w := range want {
		found := slices.ContainsFunc(got[w.op], func(c capture) bool {
			return c.Variable == w.variable && strings.HasSuffix(c.Place, w.placeSuffix)
		})
		if !found {
			t.Errorf("%s: no x-obpm-capture %s at …%s (got %v)", w.op, w.variable, w.placeSuffix, got[w.op])
		}
	}
}

// variableFields are request fields whose value is the caller's own (its
// client, its user, its account) and so must come from a variable.
var variableFields = map[string]string{
	"user_seq_no": "user_seq_no", "fintech_use_num": "fintech_use_num", "client_use_code": "client_use_code",
	"req_client_fintech_use_num": "fintech_use_num", "org_dps_fintech_use_num": "fintech_use_num",
	"client_id": "client_id", "client_secret": "client_secret", "redirect_uri": "redirect_uri",
	"refresh_token": "refresh_token", "code": "authorization_code",
}

// TestVariables: every x-obpm-variable names a variable that exists when
// the request is sent: a base variable of the environment, or one captured
// by an earlier request of a collection run (a manual request may also use
// what a manual request captures).
func TestVariables(t *testing.T) {
	doc := loadDoc(t)
	capturedBy := map[string]bool{} // variables captured by runnable requests so far
	capturedAny := map[string]bool{}
	ops := operations(doc)
	for _, o := range ops {
		for _, c := range captures(t, o) {
			capturedAny[c.Variable] = true
		}
	}
	wantVars := map[string]string{ // op → a field that must carry x-obpm-variable
		"userMe":         "user_seq_no",
		"balanceFinNum":  "fintech_use_num",
		"transferResult": "org_bank_tran_id",
	}
	for _, o := range ops {
		manual := o.Op.Extensions["x-obpm-run"] == "manual"
		seen := false
		requestFields(o, func(name, place string, ext map[string]any, ref *openapi3.SchemaRef) {
			v := extension(ext, "x-obpm-variable")
			if want, ok := variableFields[name]; ok && v != want {
				t.Errorf("%s %s: x-obpm-variable = %q, want %q (the value comes from the environment, not the example)", opName(o), place, v, want)
			}
			if v == "" {
				return
			}
			if name == wantVars[o.Op.OperationID] {
				seen = true
			}
			switch {
			case baseVariables[v], capturedBy[v]:
			case manual && capturedAny[v]:
			default:
				t.Errorf("%s %s: x-obpm-variable %q is neither a base variable nor captured by an earlier runnable request", opName(o), place, v)
			}
		})
		if f, ok := wantVars[o.Op.OperationID]; ok && !seen {
			t.Errorf("%s: field %s must come from a variable (x-obpm-variable)", opName(o), f)
		}
		if !manual {
			for _, c := range captures(t, o) {
				capturedBy[c.Variable] = true
			}
		}
	}
}

// seedValues are the example values docs/design.md fixes ("Sandbox defaults
// and seed data"): the sandbox seeds exactly these, so a request built from
// the examples finds its user, account and client.
var seedValues = map[string][]string{
	"bank_tran_id":     {"T990000001U4BC34239Z"},
	"tran_dtime":       {"20261126101010"},
	"user_seq_no":      {"1100000001", "1100000002"},
	"fintech_use_num":  {"199000000100000000000001", "199000000100000000000002", "199000000100000000000003"},
	"client_use_code":  {"T990000001"},
	"client_id":        {"obpm-sandbox"},
	"client_secret":    {"obpm-sandbox-secret"},
	"redirect_uri":     {"http://127.0.0.1:8791/callback"},
	"cntr_account_num": {"100000000001"},
}

func TestExamplesUseSeedData(t *testing.T) {
	doc := loadDoc(t)
	n := 0
	var check func(place string, v any)
	check = func(place string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				if allowed, ok := seedValues[k]; ok {
					n++
					if s, _ := x[k].(string); !slices.Contains(allowed, s) {
						t.Errorf("%s.%s = %v, want one of the seed values %v", place, k, x[k], allowed)
					}
				}
				check(place+"."+k, x[k])
			}
		case []any:
			for _, e := range x {
				check(place+"[]", e)
			}
		}
	}
	for _, o := range operations(doc) {
		params := map[string]any{}
		for _, p := range o.Op.Parameters {
			if p.Value.Example != nil {
				params[p.Value.Name] = p.Value.Example
			}
		}
		check(opName(o)+" parameters", params)
		if o.Op.RequestBody != nil {
			for ct, mt := range o.Op.RequestBody.Value.Content {
				for name, ex := range mediaExamples(mt) {
					check(opName(o)+" "+ct+" "+name, ex)
				}
			}
		}
	}
	for name, ref := range doc.Components.Schemas {
		if field, ok := componentFields[name]; ok {
			check("#/components/schemas/"+name, map[string]any{field: ref.Value.Example})
		}
	}
	if n < 50 {
		t.Errorf("only %d seeded fields checked: the walk is broken", n)
	}
}

// componentFields maps the field-type components to the field whose seed
// value their example must be.
var componentFields = map[string]string{
	"BankTranId": "bank_tran_id", "TranDtime": "tran_dtime", "UserSeqNo": "user_seq_no",
	"FintechUseNum": "fintech_use_num", "ClientUseCode": "client_use_code",
}
