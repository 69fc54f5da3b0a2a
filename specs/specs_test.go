package specs

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// publicOperations are the operations that deliberately carry `security: []`:
// the OAuth endpoints authenticate the client with client_id/client_secret in
// the form (or are a browser page), not with a bearer token.
var publicOperations = map[string]bool{"authorize": true, "authorizeAccount": true, "token": true, "revoke": true}

// manualOperations are the operations a repeated whole-collection run must
// skip (`x-obpm-run: manual`): grants that need a browser code, and calls that
// destroy the state later requests need.
var manualOperations = []string{
	"authorize", "authorizeAccount", "token", "revoke", // need a code from the browser, or kill the token
	"userRegister", "userRegisterCard", // add a user; a second run would register twice
	"accountCancel", "userUnlink", "userClose", "cardsCancel", // remove the account/user the run uses
}

// baseVariables are the Postman variables that exist before any request runs
// (docs/design.md, "Postman variables"), plus the authorization code that the
// user copies from the callback.
var baseVariables = map[string]bool{
	"client_id": true, "client_secret": true, "redirect_uri": true,
	"user_seq_no": true, "fintech_use_num": true, "client_use_code": true,
	"user_access_token": true, "institution_access_token": true,
	"authorization_code": true,
}

func TestLoadOpenBanking(t *testing.T) {
	doc := loadDoc(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if !strings.Contains(doc.Info.Description, "HTTP 200") {
		t.Errorf("info.description must say that errors arrive as HTTP 200")
	}
	envs := map[string]bool{}
	for _, s := range doc.Servers {
		envs[extension(s.Extensions, "x-obpm-env")] = true
	}
	if !envs["testbed"] || !envs["production"] || len(doc.Servers) != 2 {
		t.Errorf("servers: want testbed and production (x-obpm-env), got %v", envs)
	}
	for _, o := range operations(doc) {
		if o.Line == 0 {
			t.Errorf("%s: no origin line (IncludeOrigin must stay on: the generator orders requests by it)", o)
		}
	}
	for _, u := range unresolvedRefs(doc) {
		t.Errorf("unresolved $ref: %s", u)
	}
}

// unresolvedRefs lists every $ref in the document whose target was not loaded.
func unresolvedRefs(doc *openapi3.T) []string {
	var bad []string
	checkSchema := func(place string, ref *openapi3.SchemaRef) {
		walkSchema(place, ref, func(p string, r *openapi3.SchemaRef) {
			if r.Value == nil {
				bad = append(bad, p+" -> "+r.Ref)
			}
		})
	}
	for name, s := range doc.Components.Schemas {
		checkSchema("#/components/schemas/"+name, s)
	}
	for name, p := range doc.Components.Parameters {
		if p.Value == nil {
			bad = append(bad, "#/components/parameters/"+name+" -> "+p.Ref)
			continue
		}
		checkSchema("#/components/parameters/"+name+"/schema", p.Value.Schema)
	}
	for _, o := range operations(doc) {
		for i, p := range o.Op.Parameters {
			if p.Value == nil {
				bad = append(bad, fmt.Sprintf("%s parameter %d -> %s", o, i, p.Ref))
				continue
			}
			checkSchema(fmt.Sprintf("%s parameter %s", o, p.Value.Name), p.Value.Schema)
		}
		if rb := o.Op.RequestBody; rb != nil {
			if rb.Value == nil {
				bad = append(bad, o.String()+" requestBody -> "+rb.Ref)
			} else {
				for ct, mt := range rb.Value.Content {
					checkSchema(o.String()+" requestBody "+ct, mt.Schema)
				}
			}
		}
		for code, r := range o.Op.Responses.Map() {
			if r.Value == nil {
				bad = append(bad, o.String()+" response "+code+" -> "+r.Ref)
				continue
			}
			for ct, mt := range r.Value.Content {
				checkSchema(o.String()+" response "+code+" "+ct, mt.Schema)
				for name, ex := range mt.Examples {
					if ex.Value == nil {
						bad = append(bad, o.String()+" example "+name+" -> "+ex.Ref)
					}
				}
			}
		}
	}
	return bad
}

// TestLoad feeds Load broken documents: each must fail with an error that
// names the file, so a user editing a copy can find the fault.
func TestLoad(t *testing.T) {
	const head = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
	tests := []struct {
		name, doc, want string
	}{
		{"valid", head + "paths: {}\n", ""},
		{"bad yaml", head + "paths: {\n", "load spec broken.yaml"},
		{"unresolved ref", head + "paths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Missing'}\n", "load spec broken.yaml"},
		{"example breaks schema", head + "paths: {}\ncomponents:\n  schemas:\n    A: {type: string, pattern: '^[0-9]+$', example: abc}\n", "validate spec broken.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Load(context.Background(), "broken.yaml", []byte(tt.doc))
			if tt.want == "" {
				if err != nil || doc == nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestLoadOpenBankingFreshCopy checks that a caller changing its document
// (the sandbox adds a server, the generator may prune) does not change the
// next caller's.
func TestLoadOpenBankingFreshCopy(t *testing.T) {
	a := loadDoc(t)
	a.Paths.Delete("/v2.0/user/me")
	b := loadDoc(t)
	if b.Paths.Value("/v2.0/user/me") == nil {
		t.Fatal("a second LoadOpenBanking saw the first caller's change")
	}
}

func TestSecurity(t *testing.T) {
	doc := loadDoc(t)
	if len(doc.Security) != 0 {
		t.Errorf("top-level security must stay empty: each operation names its own")
	}
	kinds := map[string]string{"userToken": "user", "institutionToken": "institution"}
	for name, kind := range kinds {
		s := doc.Components.SecuritySchemes[name]
		if s == nil || s.Value == nil {
			t.Fatalf("security scheme %s missing", name)
		}
		if got := extension(s.Value.Extensions, "x-obpm-token-kind"); got != kind {
			t.Errorf("%s: x-obpm-token-kind = %q, want %q", name, got, kind)
		}
	}
	for _, o := range operations(doc) {
		if publicOperations[o.Op.OperationID] {
			if o.Op.Security == nil || len(*o.Op.Security) != 0 {
				t.Errorf("%s: an OAuth endpoint must say `security: []` explicitly", opName(o))
			}
			continue
		}
		if o.Op.Security == nil || len(*o.Op.Security) == 0 {
			t.Errorf("%s: no security requirement (name the token scheme and scope)", opName(o))
			continue
		}
		for _, req := range *o.Op.Security {
			if len(req) != 1 {
				t.Errorf("%s: a requirement must name exactly one scheme, got %v", opName(o), req)
			}
			for scheme, scopes := range req {
				ss := doc.Components.SecuritySchemes[scheme]
				if ss == nil {
					t.Errorf("%s: unknown scheme %q", opName(o), scheme)
					continue
				}
				if len(scopes) == 0 {
					t.Errorf("%s: %s without a scope", opName(o), scheme)
				}
				for _, scope := range scopes {
					if !schemeHasScope(ss.Value, scope) {
						t.Errorf("%s: scope %q is not declared by %s", opName(o), scope, scheme)
					}
					if !strings.Contains(o.Op.Description, "`"+scope+"`") {
						t.Errorf("%s: description must say it needs scope `%s`", opName(o), scope)
					}
				}
			}
		}
	}
}

func schemeHasScope(s *openapi3.SecurityScheme, scope string) bool {
	if s.Flows == nil {
		return false
	}
	for _, f := range []*openapi3.OAuthFlow{s.Flows.AuthorizationCode, s.Flows.ClientCredentials, s.Flows.Implicit, s.Flows.Password} {
		if f != nil {
			if _, ok := f.Scopes[scope]; ok {
				return true
			}
		}
	}
	return false
}

// TestRequiredFieldsHaveExamples: the generator fills a request from
// examples, so every required parameter and body field (at any depth) needs
// one: its own (or its component's through allOf) or a value in every
// example of the operation's body.
func TestRequiredFieldsHaveExamples(t *testing.T) {
	doc := loadDoc(t)
	for _, o := range operations(doc) {
		for _, p := range o.Op.Parameters {
			pv := p.Value
			if !pv.Required {
				continue
			}
			if pv.Example == nil && len(pv.Examples) == 0 && !hasExample(pv.Schema) {
				t.Errorf("%s: required parameter %s has no example", opName(o), pv.Name)
			}
		}
		if o.Op.RequestBody == nil {
			continue
		}
		for ct, mt := range o.Op.RequestBody.Value.Content {
			var exs []any
			for _, ex := range mediaExamples(mt) {
				exs = append(exs, ex)
			}
			if len(exs) == 0 {
				t.Errorf("%s %s: request body has no example", opName(o), ct)
			}
			for _, miss := range missingRequiredExamples("body", mt.Schema, exs) {
				t.Errorf("%s %s: required field %s has no example", opName(o), ct, miss)
			}
		}
	}
}

func hasExample(ref *openapi3.SchemaRef) bool {
	if ref == nil {
		return false
	}
	_, ok := schemaExample(ref.Value)
	return ok
}

// missingRequiredExamples walks a schema alongside the example values found
// for it and returns the required properties that have neither an example of
// their own nor a value in every one of the examples.
func missingRequiredExamples(place string, ref *openapi3.SchemaRef, exs []any) []string {
	if ref == nil || ref.Value == nil {
		return nil
	}
	var missing []string
	props, required := properties(ref.Value)
	for _, name := range sortedKeys(props) {
		var sub []any
		inAll := len(exs) > 0
		for _, ex := range exs {
			m, _ := ex.(map[string]any)
			v, ok := m[name]
			if !ok {
				inAll = false
				continue
			}
			sub = append(sub, v)
		}
		if slices.Contains(required, name) && !inAll && !hasExample(props[name]) {
			missing = append(missing, place+"."+name)
		}
		missing = append(missing, missingRequiredExamples(place+"."+name, props[name], sub)...)
	}
	if items := ref.Value.Items; items != nil {
		var sub []any
		for _, ex := range exs {
			if arr, ok := ex.([]any); ok {
				sub = append(sub, arr...)
			}
		}
		missing = append(missing, missingRequiredExamples(place+"[]", items, sub)...)
	}
	return missing
}

// TestExamplesValidate checks every example in the document against its own
// schema: parameters, headers, media types (example and named examples, in
// requests and responses) and every schema's own example.
func TestExamplesValidate(t *testing.T) {
	doc := loadDoc(t)
	check := func(place string, schema *openapi3.SchemaRef, value any) {
		t.Helper()
		if schema == nil || schema.Value == nil {
			t.Errorf("%s: example without a schema", place)
			return
		}
		if err := schema.Value.VisitJSON(value, openapi3.MultiErrors()); err != nil {
			t.Errorf("%s: example does not match its schema: %v", place, err)
		}
	}
	checkParam := func(place string, p *openapi3.Parameter) {
		if p.Example != nil {
			check(place+" "+p.Name, p.Schema, p.Example)
		}
		for name, ex := range p.Examples {
			check(place+" "+p.Name+" examples/"+name, p.Schema, ex.Value.Value)
		}
	}
	checkContent := func(place string, content openapi3.Content) {
		for ct, mt := range content {
			for name, ex := range mediaExamples(mt) {
				check(place+" "+ct+" "+name, mt.Schema, ex)
			}
		}
	}
	n := 0
	walkAll(doc, func(place string, ref *openapi3.SchemaRef) {
		if ref.Value != nil && ref.Value.Example != nil {
			n++
			check(place, ref, ref.Value.Example)
		}
	})
	if n < 50 {
		t.Errorf("only %d schema examples found: the walk is broken", n)
	}
	for _, o := range operations(doc) {
		for _, p := range o.Op.Parameters {
			checkParam(opName(o)+" parameter", p.Value)
		}
		if o.Op.RequestBody != nil {
			checkContent(opName(o)+" request", o.Op.RequestBody.Value.Content)
		}
		for code, r := range o.Op.Responses.Map() {
			checkContent(opName(o)+" response "+code, r.Value.Content)
			for name, h := range r.Value.Headers {
				checkParam(opName(o)+" response "+code+" header", &openapi3.Parameter{Name: name, Schema: h.Value.Schema, Example: h.Value.Example})
			}
		}
	}
}

// walkAll visits every schema of the document: components and every
// operation's parameters, bodies and responses.
func walkAll(doc *openapi3.T, visit func(place string, ref *openapi3.SchemaRef)) {
	for _, name := range sortedKeys(doc.Components.Schemas) {
		walkSchema("#/components/schemas/"+name, doc.Components.Schemas[name], visit)
	}
	for _, o := range operations(doc) {
		walkOperation(o, visit)
	}
}

// walkOperation visits the schemas of one operation, tagging places with
// "request" or "response" so tests can tell the two apart.
func walkOperation(o docOp, visit func(place string, ref *openapi3.SchemaRef)) {
	for _, p := range o.Op.Parameters {
		walkSchema(opName(o)+" request parameter "+p.Value.Name, p.Value.Schema, visit)
	}
	if o.Op.RequestBody != nil {
		for ct, mt := range o.Op.RequestBody.Value.Content {
			walkSchema(opName(o)+" request "+ct, mt.Schema, visit)
		}
	}
	for code, r := range o.Op.Responses.Map() {
		for ct, mt := range r.Value.Content {
			walkSchema(opName(o)+" response "+code+" "+ct, mt.Schema, visit)
		}
	}
}

// TestFieldTypes: every value is a JSON string (KFTC sends numbers as
// strings) except the token response's expires_in, and every request field
// that is a free string carries a maxLength from KFTC's notation.
func TestFieldTypes(t *testing.T) {
	doc := loadDoc(t)
	walkAll(doc, func(place string, ref *openapi3.SchemaRef) {
		s := ref.Value
		if s == nil || s.Type == nil {
			return
		}
		for _, typ := range s.Type.Slice() {
			switch typ {
			case "string", "object", "array":
			default:
				if !strings.HasSuffix(place, "/properties/expires_in") {
					t.Errorf("%s: type %s; Open Banking sends every value as a JSON string", place, typ)
				}
			}
		}
	})
	for _, o := range operations(doc) {
		check := func(place string, ref *openapi3.SchemaRef) {
			s := ref.Value
			if s == nil || s.Type == nil || !s.Type.Is("string") || len(s.Enum) > 0 {
				return
			}
			if s.MaxLength == nil {
				t.Errorf("%s: request string without maxLength (from KFTC's type notation)", place)
			}
		}
		for _, p := range o.Op.Parameters {
			check(opName(o)+" parameter "+p.Value.Name, p.Value.Schema)
		}
		if o.Op.RequestBody != nil {
			for ct, mt := range o.Op.RequestBody.Value.Content {
				props, _ := properties(mt.Schema.Value)
				walkLeaves(opName(o)+" "+ct, props, check)
			}
		}
	}
}

// walkLeaves calls check for each property schema, resolving the type of
// allOf wrappers to the component they wrap.
func walkLeaves(place string, props map[string]*openapi3.SchemaRef, check func(string, *openapi3.SchemaRef)) {
	for _, name := range sortedKeys(props) {
		ref := props[name]
		target := ref
		for target.Value != nil && target.Value.Type == nil && len(target.Value.AllOf) == 1 {
			target = target.Value.AllOf[0]
		}
		check(place+"."+name, target)
		if v := target.Value; v != nil {
			sub, _ := properties(v)
			walkLeaves(place+"."+name, sub, check)
			if v.Items != nil {
				items, _ := properties(v.Items.Value)
				walkLeaves(place+"."+name+"[]", items, check)
			}
		}
	}
}

// TestDescriptions: operations have an operationId, a Korean summary with the
// English name in brackets, one declared tag; every parameter and property
// is described in Korean and English.
func TestDescriptions(t *testing.T) {
	doc := loadDoc(t)
	summary := regexp.MustCompile(`^\S.* \([A-Za-z][^()]*\)$`)
	ids := map[string]bool{}
	declared := map[string]bool{}
	for _, tag := range doc.Tags {
		declared[tag.Name] = true
	}
	used := map[string]bool{}
	for _, o := range operations(doc) {
		op := o.Op
		if op.OperationID == "" || ids[op.OperationID] {
			t.Errorf("%s: operationId empty or repeated", o)
		}
		ids[op.OperationID] = true
		if !summary.MatchString(op.Summary) || !hasHangulAndLatin(op.Summary) {
			t.Errorf("%s: summary %q must be `한국어 이름 (English name)`", opName(o), op.Summary)
		}
		if !hasHangulAndLatin(op.Description) {
			t.Errorf("%s: description must be Korean and English", opName(o))
		}
		if len(op.Tags) != 1 || !declared[op.Tags[0]] {
			t.Errorf("%s: tags %v: want exactly one tag from the top-level list (it is the folder)", opName(o), op.Tags)
		}
		for _, tag := range op.Tags {
			used[tag] = true
		}
		for _, p := range op.Parameters {
			if !hasHangulAndLatin(p.Value.Description) {
				t.Errorf("%s: parameter %s: description must be Korean and English", opName(o), p.Value.Name)
			}
		}
		walkOperation(o, func(place string, ref *openapi3.SchemaRef) {
			i := strings.LastIndex(place, "/properties/")
			if i < 0 || strings.Contains(place[i+len("/properties/"):], "/") {
				return
			}
			if !hasHangulAndLatin(schemaDescription(ref.Value)) {
				t.Errorf("%s: description must be Korean and English", place)
			}
		})
	}
	for _, tag := range doc.Tags {
		if !used[tag.Name] {
			t.Errorf("tag %q is declared but no operation uses it", tag.Name)
		}
		if !hasHangulAndLatin(tag.Name) {
			t.Errorf("tag %q must be `한국어 (English)`", tag.Name)
		}
	}
}

// TestResponses: each operation answers 200, says that errors arrive as HTTP
// 200, and shows a success and a failure example.
func TestResponses(t *testing.T) {
	doc := loadDoc(t)
	for _, o := range operations(doc) {
		r := o.Op.Responses.Value("200")
		if r == nil || r.Value == nil {
			t.Errorf("%s: no 200 response", opName(o))
			continue
		}
		mt := r.Value.Content.Get("application/json")
		if mt == nil {
			if !strings.HasPrefix(o.Op.OperationID, "authorize") {
				t.Errorf("%s: 200 response is not application/json", opName(o))
			}
			continue
		}
		if d := *r.Value.Description; !strings.Contains(d, "HTTP 200") || !strings.Contains(d, "rsp_code") {
			t.Errorf("%s: the 200 description must say errors arrive as HTTP 200 with rsp_code", opName(o))
		}
		var success, failure bool
		for name, ex := range mt.Examples {
			m, _ := ex.Value.Value.(map[string]any)
			switch code, _ := m["rsp_code"].(string); {
			case code == "A0000" || (code == "" && m["access_token"] != nil):
				success = true
			case code != "":
				failure = true
			default:
				t.Errorf("%s: example %s is neither a success nor a failure", opName(o), name)
			}
		}
		if !success || !failure {
			t.Errorf("%s: want named examples of a success and of a failure (success=%v failure=%v)", opName(o), success, failure)
		}
	}
}

// TestRspCode: the response-code component the sandbox and the generated
// tests use lists every section-5.1 code, each with a description.
func TestRspCode(t *testing.T) {
	doc := loadDoc(t)
	s := doc.Components.Schemas["RspCode"].Value
	descs, _ := s.Extensions["x-enum-descriptions"].([]any)
	if len(descs) != len(s.Enum) {
		t.Fatalf("RspCode: %d enum values but %d x-enum-descriptions", len(s.Enum), len(descs))
	}
	for i, d := range descs {
		if text, _ := d.(string); !hasHangulAndLatin(text) {
			t.Errorf("RspCode %v: description %q must be Korean and English", s.Enum[i], d)
		}
	}
	want := []string{"A0000", "A0001", "A0002", "A0003", "A0004", "A0005", "A0006", "A0007", "A0008", "A0009",
		"A0010", "A0011", "A0012", "A0013", "A0014", "A0015", "A0016", "A0017", "A0018", "A0019", "A0020", "A0021",
		"A0101", "A0102", "A0103", "A0104", "A0105", "A0106", "A0111", "A0112",
		"A0301", "A0302", "A0303", "A0304", "A0305", "A0306", "A0307", "A0308", "A0309", "A0310", "A0311",
		"A0312", "A0313", "A0314", "A0315", "A0316", "A0317", "A0318", "A0319", "A0320", "A0321", "A0322",
		"A0323", "A0324", "A0325", "A0326", "A0327", "A0331", "A0332", "A0334", "A0335", "A0336", "A0337",
		"O0001", "O0002", "O0003", "O0004", "O0005", "O0006", "O0007", "O0008", "O0009", "O0010", "O0011"}
	var got []string
	for _, v := range s.Enum {
		got = append(got, v.(string))
	}
	if !slices.Equal(got, want) {
		t.Errorf("RspCode enum:\n got %v\nwant %v", got, want)
	}
	// The envelope must use it, so a response with an unknown code fails
	// validation in the sandbox.
	env := doc.Components.Schemas["Envelope"].Value.Properties["rsp_code"]
	if env.Ref != "#/components/schemas/RspCode" {
		t.Errorf("Envelope.rsp_code = %q, want a $ref to RspCode", env.Ref)
	}
}

func TestRunManual(t *testing.T) {
	doc := loadDoc(t)
	var got []string
	ops := operations(doc)
	for _, o := range ops {
		switch v := o.Op.Extensions["x-obpm-run"]; v {
		case nil:
		case "manual":
			got = append(got, o.Op.OperationID)
		default:
			t.Errorf("%s: x-obpm-run = %v, want manual or nothing", opName(o), v)
		}
	}
	want := slices.Clone(manualOperations)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("manual operations:\n got %v\nwant %v", got, want)
	}
	// The destructive folder comes last and holds nothing a run needs.
	last := doc.Tags[len(doc.Tags)-1].Name
	for _, o := range ops {
		if o.Op.Tags[0] == last && o.Op.Extensions["x-obpm-run"] != "manual" {
			t.Errorf("%s: in the last folder %q but not manual", opName(o), last)
		}
	}
	// Folders are in tag order and requests in document order: an
	// operation's tag may not come before the previous operation's.
	index := map[string]int{}
	for i, tag := range doc.Tags {
		index[tag.Name] = i
	}
	for i := 1; i < len(ops); i++ {
		if index[ops[i].Op.Tags[0]] < index[ops[i-1].Op.Tags[0]] {
			t.Errorf("%s (tag %q) comes after %s (tag %q): keep operations in folder order", opName(ops[i]), ops[i].Op.Tags[0], opName(ops[i-1]), ops[i-1].Op.Tags[0])
		}
	}
	token := doc.Paths.Value("/oauth/2.0/token").Post
	if token.Extensions["x-obpm-split-examples"] != true {
		t.Errorf("token: x-obpm-split-examples must be true")
	}
	exs := token.RequestBody.Value.Content.Get("application/x-www-form-urlencoded").Examples
	if got := sortedKeys(exs); !slices.Equal(got, []string{"authorization_code", "client_credentials", "refresh_token"}) {
		t.Errorf("token examples = %v, want one per grant", got)
	}
	for name, ex := range exs {
		if m := ex.Value.Value.(map[string]any); m["grant_type"] != name {
			t.Errorf("token example %s has grant_type %v", name, m["grant_type"])
		}
	}
}

// TestNoAmbiguousProperties: a property may be defined only once across an
// allOf composition. Consumers merge the members in different ways (the
// generator keeps the first definition, JSON Schema applies all), so a second
// definition that carries an extension would be lost by some of them.
func TestNoAmbiguousProperties(t *testing.T) {
	doc := loadDoc(t)
	walkAll(doc, func(place string, ref *openapi3.SchemaRef) {
		s := ref.Value
		if s == nil || len(s.AllOf) == 0 {
			return
		}
		owner := map[string]string{}
		add := func(member string, props map[string]*openapi3.SchemaRef) {
			for name := range props {
				if prev, ok := owner[name]; ok && prev != member {
					t.Errorf("%s: property %s is defined in %s and in %s; define it once", place, name, prev, member)
				}
				owner[name] = member
			}
		}
		for i, m := range s.AllOf {
			props, _ := properties(m.Value)
			add(fmt.Sprintf("allOf/%d %s", i, m.Ref), props)
		}
		add("the schema itself", s.Properties)
	})
}
