package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/obpm/obpm/sandbox"
)

// The fixtures under testdata/sources are the requests and responses the
// independent sources show (../shared/reference/kftc-sources.md, S1…S14),
// rewritten with the sandbox's seed data: the shapes are the sources', the
// values the seed's, and no source code is copied.

// sourceRequest is one request a source sends. Strings of the form
// {{bank_tran_id}}, {{tran_dtime}}, {{FIXTURE.path}} and {{num:FIXTURE.path}}
// are filled in: a fresh bank_tran_id, the clock's time, a field of an
// earlier fixture's answer (dotted path, list indexes as numbers), the same
// as a JSON number.
type sourceRequest struct {
	Source string            `json:"source"`
	Token  string            `json:"token"` // oob, sa or user
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Query  map[string]any    `json:"query"`
	Body   map[string]any    `json:"body"`
	Expect map[string]string `json:"expect"` // dotted path → value, also with placeholders
}

// TestSourceRequestsAnswerA0000 sends every source's request, in file order,
// to the sandbox and expects A0000 and the answer in the document's shape
// (env.call validates every answer against the spec).
func TestSourceRequestsAnswerA0000(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "sources", "requests", "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("want the source request fixtures, found %d (%v)", len(files), err)
	}
	slices.Sort(files)
	e := start(t, sandbox.Config{})
	tokens := map[string]string{
		"oob":  e.institutionToken("oob"),
		"sa":   e.institutionToken("sa"),
		"user": e.userToken("user1")["access_token"].(string),
	}
	answers := map[string]map[string]any{}
	n := 0
	fill := func(name string, v any) any {
		return fillPlaceholders(t, name, v, answers, func() string { n++; return tranID(900 + n) },
			e.clock.Now().Format("20060102150405"))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			var fx sourceRequest
			readFixture(t, f, &fx)
			tok, ok := tokens[fx.Token]
			if !ok || fx.Source == "" || fx.Path == "" {
				t.Fatalf("%s: want source, a token of oob/sa/user and a path", f)
			}
			in, _ := fill(name, fx.Body).(map[string]any)
			if fx.Method == http.MethodGet {
				in, _ = fill(name, fx.Query).(map[string]any)
			}
			got := e.call(fx.Method, fx.Path, tok, in)
			answers[name] = got
			if got["rsp_code"] != "A0000" {
				t.Fatalf("%s (%s): rsp_code %v %v, want A0000\nrequest %v", f, fx.Source, got["rsp_code"], got["rsp_message"], in)
			}
			for path, want := range fx.Expect {
				w := fill(name, want)
				if v := lookup(got, path); fmt.Sprint(v) != fmt.Sprint(w) {
					t.Errorf("%s: answer %s = %v, want %v", f, path, v, w)
				}
			}
		})
		e.clock.Add(1_000_000_000) // one second between calls, as a client would
	}
}

// sourceResponse is one answer a source shows (a real testbed answer, the
// official sample JSON, or the fields a production client reads).
type sourceResponse struct {
	Source    string         `json:"source"`
	Operation string         `json:"operation"` // METHOD path
	Body      map[string]any `json:"body"`
}

// TestSourceResponsesMatchTheDocument: every answer the sources show is
// valid under the operation's 200 schema, and every field it carries is
// one the document declares, so that no name the sources use is missing.
func TestSourceResponsesMatchTheDocument(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "sources", "responses", "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("want the source response fixtures, found %d (%v)", len(files), err)
	}
	doc := loadSpec(t)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var fx sourceResponse
			readFixture(t, f, &fx)
			method, path, _ := strings.Cut(fx.Operation, " ")
			item := doc.Paths.Value(path)
			if item == nil || item.GetOperation(method) == nil || fx.Source == "" {
				t.Fatalf("%s: operation %q is not in the document (or no source named)", f, fx.Operation)
			}
			mt := item.GetOperation(method).Responses.Status(200).Value.Content.Get("application/json")
			var body any
			b, _ := json.Marshal(fx.Body)
			_ = json.Unmarshal(b, &body)
			if err := mt.Schema.Value.VisitJSON(body, openapi3.MultiErrors()); err != nil {
				t.Errorf("%s (%s) does not validate against %s: %v", f, fx.Source, fx.Operation, err)
			}
			for _, field := range undeclared(mt.Schema, fx.Body, "") {
				t.Errorf("%s (%s): field %s is not in the document's %s response", f, fx.Source, field, fx.Operation)
			}
		})
	}
}

func readFixture(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// fillPlaceholders replaces the {{…}} strings of a fixture value.
func fillPlaceholders(t *testing.T, name string, v any, answers map[string]map[string]any, next func() string, dtime string) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = fillPlaceholders(t, name, e, answers, next, dtime)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fillPlaceholders(t, name, e, answers, next, dtime)
		}
		return out
	case string:
		ph, ok := strings.CutPrefix(x, "{{")
		if !ok {
			return x
		}
		ph = strings.TrimSuffix(ph, "}}")
		switch ph {
		case "bank_tran_id":
			return next()
		case "tran_dtime":
			return dtime
		}
		num := false
		if rest, ok := strings.CutPrefix(ph, "num:"); ok {
			ph, num = rest, true
		}
		fixture, path, _ := strings.Cut(ph, ".")
		ans, ok := answers[fixture]
		if !ok {
			t.Fatalf("%s: placeholder %q names no earlier fixture", name, x)
		}
		got := lookup(ans, path)
		if got == nil {
			t.Fatalf("%s: placeholder %q: no %s in %s's answer %v", name, x, path, fixture, ans)
		}
		if num {
			n, err := strconv.ParseInt(fmt.Sprint(got), 10, 64)
			if err != nil {
				t.Fatalf("%s: placeholder %q: %v is not a number", name, x, got)
			}
			return n
		}
		return got
	}
	return v
}

// lookup follows a dotted path (list indexes as numbers) in a decoded answer.
func lookup(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// undeclared lists the fields of v that the schema (through allOf and
// items) does not declare.
func undeclared(ref *openapi3.SchemaRef, v any, place string) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		props := declared(ref)
		for _, k := range sortedMapKeys(x) {
			sub, ok := props[k]
			if !ok {
				out = append(out, place+k)
				continue
			}
			out = append(out, undeclared(sub, x[k], place+k+".")...)
		}
	case []any:
		items := itemsOf(ref)
		for _, e := range x {
			out = append(out, undeclared(items, e, place+"[].")...)
		}
	}
	return out
}

func declared(ref *openapi3.SchemaRef) map[string]*openapi3.SchemaRef {
	props := map[string]*openapi3.SchemaRef{}
	if ref == nil || ref.Value == nil {
		return props
	}
	for _, sub := range ref.Value.AllOf {
		for k, v := range declared(sub) {
			props[k] = v
		}
	}
	for k, v := range ref.Value.Properties {
		props[k] = v
	}
	return props
}

func itemsOf(ref *openapi3.SchemaRef) *openapi3.SchemaRef {
	if ref == nil || ref.Value == nil {
		return nil
	}
	if ref.Value.Items != nil {
		return ref.Value.Items
	}
	for _, sub := range ref.Value.AllOf {
		if it := itemsOf(sub); it != nil {
			return it
		}
	}
	return nil
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestSourceRulesRefuse: the rules the sources state are enforced, not just
// the happy paths: one receiving-account form, one requester form, whole
// numbers only, and an sa token only where the document lists it.
func TestSourceRulesRefuse(t *testing.T) {
	e := start(t, sandbox.Config{})
	oob, sa := e.institutionToken("oob"), e.institutionToken("sa")
	receive := func(id int, extra map[string]any) map[string]any {
		m := map[string]any{"bank_tran_id": tranID(id), "cntr_account_type": "N", "cntr_account_num": "100000000001",
			"print_content": "입금", "tran_amt": "10000", "req_client_name": "홍길동", "req_client_num": "HONG", "transfer_purpose": "TR"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	deposit := func(id int, amt any) map[string]any {
		return map[string]any{"cntr_account_type": "N", "cntr_account_num": "100000000001", "wd_pass_phrase": "NONE",
			"wd_print_content": "환불", "name_check_option": "on", "tran_dtime": "20261126101010", "req_cnt": "1",
			"req_list": []any{map[string]any{"tran_no": "1", "bank_tran_id": tranID(id), "fintech_use_num": "199000000100000000000001",
				"print_content": "환불", "tran_amt": amt, "req_client_name": "홍길동", "req_client_num": "HONG", "transfer_purpose": "TR",
				"req_client_fintech_use_num": "199000000100000000000001"}}}
	}
	for _, c := range []struct {
		name, method, path, token string
		in                        map[string]any
		want                      string
	}{
		{"receive with neither account form", http.MethodPost, "/v2.0/inquiry/receive", oob, receive(1, nil), "A0004"},
		{"receive with both account forms", http.MethodPost, "/v2.0/inquiry/receive", oob,
			receive(2, map[string]any{"fintech_use_num": "199000000100000000000001", "bank_code_std": "097", "account_num": "1234567890123"}), "A0004"},
		{"receive with both requester forms", http.MethodPost, "/v2.0/inquiry/receive", oob,
			receive(3, map[string]any{"fintech_use_num": "199000000100000000000001", "req_client_fintech_use_num": "199000000100000000000001",
				"req_client_bank_code": "097", "req_client_account_num": "1234567890123"}), "A0004"},
		{"receive by fintech_use_num", http.MethodPost, "/v2.0/inquiry/receive", oob,
			receive(4, map[string]any{"fintech_use_num": "199000000100000000000001"}), "A0000"},
		{"deposit with a fractional JSON number", http.MethodPost, "/v2.0/transfer/deposit/fin_num", oob, deposit(5, 10000.5), "A0004"},
		{"deposit with a whole JSON number", http.MethodPost, "/v2.0/transfer/deposit/fin_num", oob, deposit(6, 10000), "A0000"},
		{"remit_list with an sa token (no source shows it)", http.MethodPost, "/v2.0/inquiry/remit_list", sa,
			map[string]any{"bank_tran_id": tranID(7), "bank_code_std": "097", "account_num": "100000000001", "from_date": "20261101",
				"to_date": "20261126", "sort_order": "D", "tran_dtime": "20261126101010"}, "O0011"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := e.call(c.method, c.path, c.token, c.in)
			if got["rsp_code"] != c.want {
				t.Errorf("rsp_code = %v (%v), want %s", got["rsp_code"], got["rsp_message"], c.want)
			}
		})
	}
}
