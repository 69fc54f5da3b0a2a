package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/obpm/obpm/specs"
)

func TestParameters(t *testing.T) {
	res := gen(t, specHead+`paths:
  /items/{id}:
    parameters:
      - {name: id, in: path, required: true, description: item id, schema: {type: integer, minimum: 5}}
    get:
      summary: Get
      parameters:
        - {name: must, in: query, required: true, description: needed, schema: {type: string, enum: [b, a]}}
        - {name: may, in: query, schema: {type: string, format: date}}
        - {name: list, in: query, required: true, schema: {type: array, items: {type: string}}, example: [x, y]}
        - {name: csv, in: query, required: true, explode: false, schema: {type: array, items: {type: integer}}, example: [1, 2]}
        - {name: filter, in: query, required: true, style: deepObject, schema: {type: object, properties: {a: {type: string, example: z}}}}
        - {name: X-Trace, in: header, required: true, schema: {type: string, example: t-1}}
        - {name: X-Opt, in: header, schema: {type: string}}
        - {name: Accept, in: header, schema: {type: string}}
        - {name: sid, in: cookie, schema: {type: string, example: s1}}
        - {name: lang, in: cookie, example: ko, schema: {type: string}}
      responses: {'200': {description: ok}}
`, Options{})
	req := requests(t, res)["Get"]
	url := get(req, "request", "url").(jmap)
	if got := url["raw"]; got != "{{base_url}}/items/:id?must=b&list=x&list=y&csv=1,2&filter[a]=z" {
		t.Errorf("raw URL = %v", got)
	}
	if got := get(url, "variable", 0); get(got, "key") != "id" || get(got, "value") != "5" || get(got, "description") != "item id" {
		t.Errorf("path variable = %v", got)
	}
	wantQuery := []struct {
		key, value string
		disabled   bool
	}{{"must", "b", false}, {"may", "2026-11-26", true}, {"list", "x", false}, {"list", "y", false}, {"csv", "1,2", false}, {"filter[a]", "z", false}}
	q := url["query"].([]any)
	if len(q) != len(wantQuery) {
		t.Fatalf("query = %v", q)
	}
	for i, w := range wantQuery {
		if get(q[i], "key") != w.key || get(q[i], "value") != w.value || (get(q[i], "disabled") == true) != w.disabled {
			t.Errorf("query[%d] = %v, want %+v", i, q[i], w)
		}
	}
	if get(q[0], "description") != "needed" {
		t.Errorf("query description lost: %v", q[0])
	}
	headers := map[string]jmap{}
	for _, h := range get(req, "request", "header").([]any) {
		headers[get(h, "key").(string)] = h.(jmap)
	}
	if headers["X-Trace"]["value"] != "t-1" || headers["X-Trace"]["disabled"] != nil {
		t.Errorf("required header = %v", headers["X-Trace"])
	}
	if headers["X-Opt"]["disabled"] != true {
		t.Errorf("optional header should be disabled: %v", headers["X-Opt"])
	}
	if headers["Cookie"]["value"] != "sid=s1; lang=ko" {
		t.Errorf("cookie header = %v", headers["Cookie"])
	}
	if _, ok := headers["Accept"]; ok {
		t.Error("Accept header parameter must be ignored (OpenAPI rule)")
	}
	found := false
	for _, w := range res.Warnings {
		if w.Place == "paths./items/{id}.get.parameters.Accept" {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning names the ignored Accept parameter: %v", res.Warnings)
	}
	desc := get(req, "request", "description").(string)
	for _, want := range []string{"| `must` | query | yes | string | needed |", "| `id` | path | yes | integer |", "`GET /items/{id}`"} {
		if !strings.Contains(desc, want) {
			t.Errorf("description lacks %q:\n%s", want, desc)
		}
	}
}

func TestBodies(t *testing.T) {
	res := gen(t, specHead+`paths:
  /json:
    post:
      summary: JSON
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                zeta: {type: string}
                alpha: {type: integer}
                note: {type: string}
            example: {alpha: 1, zeta: "say \"hi\" <b>&", extra: true}
      responses: {'200': {description: ok}}
  /form:
    post:
      summary: Form
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [a]
              properties:
                a: {type: string, example: one}
                b: {type: integer}
      responses: {'200': {description: ok}}
  /upload:
    post:
      summary: Upload
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              properties:
                f: {type: string, format: binary}
                n: {type: string, example: name}
      responses: {'200': {description: ok}}
  /text:
    post:
      summary: Text
      requestBody:
        content:
          text/plain:
            schema: {type: string, example: hello}
      responses: {'200': {description: ok}}
`, Options{})
	reqs := requests(t, res)
	raw := get(reqs["JSON"], "request", "body", "raw").(string)
	// property order of the schema (zeta, alpha), then unknown keys; no HTML escaping
	want := "{\n    \"zeta\": \"say \\\"hi\\\" <b>&\",\n    \"alpha\": 1,\n    \"extra\": true\n}"
	if raw != want {
		t.Errorf("JSON body =\n%s\nwant\n%s", raw, want)
	}
	if get(reqs["JSON"], "request", "body", "options", "raw", "language") != "json" {
		t.Error("JSON body language not json")
	}
	form := get(reqs["Form"], "request", "body", "urlencoded").([]any)
	if get(form, 0, "key") != "a" || get(form, 0, "value") != "one" || get(form, 0, "disabled") != nil {
		t.Errorf("required form field = %v", form[0])
	}
	if get(form, 1, "key") != "b" || get(form, 1, "disabled") != true {
		t.Errorf("optional form field should be present but disabled: %v", form[1])
	}
	mp := get(reqs["Upload"], "request", "body")
	if get(mp, "mode") != "formdata" || get(mp, "formdata", 0, "type") != "file" || get(mp, "formdata", 1, "value") != "name" {
		t.Errorf("multipart body = %v", mp)
	}
	hs, _ := get(reqs["Upload"], "request", "header").([]any)
	for _, h := range hs {
		if get(h, "key") == "Content-Type" {
			t.Error("multipart request must not fix Content-Type (Postman adds the boundary)")
		}
	}
	if got := get(reqs["Text"], "request", "body", "raw"); got != "hello" {
		t.Errorf("text body = %v", got)
	}
}

func TestSamples(t *testing.T) {
	tests := []struct {
		name, schema, want string
	}{
		{"enum first", `{type: string, enum: [B, A]}`, `"B"`},
		{"example wins", `{type: string, example: ex, default: d}`, `"ex"`},
		{"default", `{type: integer, default: 7}`, `7`},
		{"min bound", `{type: integer, minimum: 3}`, `3`},
		{"exclusive min", `{type: integer, minimum: 3, exclusiveMinimum: true}`, `4`},
		{"date-time", `{type: string, format: date-time}`, `"2026-11-26T10:10:10Z"`},
		{"min length", `{type: string, minLength: 8}`, `"stringxx"`},
		{"max length", `{type: string, maxLength: 3}`, `"str"`},
		{"array", `{type: array, items: {type: boolean}}`, `[true]`},
		{"allOf merge", `{allOf: [{type: object, properties: {a: {type: string}}}, {type: object, properties: {b: {type: integer}}}]}`, `{"a":"string","b":0}`},
		{"oneOf first", `{oneOf: [{type: integer}, {type: string}]}`, `0`},
		{"anyOf first", `{anyOf: [{type: string, format: email}, {type: integer}]}`, `"user@example.com"`},
		{"x-obpm-variable", `{type: string, x-obpm-variable: user_seq_no}`, `"{{user_seq_no}}"`},
		{"x-obpm-variable raw number", `{type: integer, x-obpm-variable: count}`, `{{count}}`},
		{"nested generate", `{type: object, properties: {id: {type: string, x-obpm-generate: bank_tran_id}, at: {type: string, x-obpm-generate: tran_dtime}}}`, `{"id":"{{bank_tran_id}}","at":"{{tran_dtime}}"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := gen(t, specHead+"paths:\n  /x:\n    post:\n      summary: X\n      requestBody:\n        content:\n          application/json:\n            schema: "+tt.schema+"\n      responses: {'200': {description: ok}}\n", Options{})
			raw := get(requests(t, res)["X"], "request", "body", "raw").(string)
			compact := regexp.MustCompile(`\s*\n\s*`).ReplaceAllString(raw, "")
			compact = strings.ReplaceAll(compact, `": `, `":`)
			if compact != tt.want {
				t.Errorf("sample = %s, want %s", compact, tt.want)
			}
		})
	}
}

func TestCircularAndDiscriminator(t *testing.T) {
	res := loadFixture(t, "circular")
	body := get(requests(t, res)["Plant a tree"], "request", "body", "raw").(string)
	if body != "{\n    \"name\": \"string\",\n    \"children\": []\n}" {
		t.Errorf("circular body = %s", body)
	}
	test := script(requests(t, res)["People"], "test")
	if !strings.Contains(test, `"ceo":{}`) {
		t.Errorf("circular response schema not cut to {}:\n%s", test)
	}
	res = loadFixture(t, "composition")
	body = get(requests(t, res)["Add a pet"], "request", "body", "raw").(string)
	if !strings.Contains(body, `"petType": "cat"`) {
		t.Errorf("discriminator value not set from the mapping: %s", body)
	}
}

func TestExtensions(t *testing.T) {
	res := loadFixture(t, "extensions")
	reqs := requests(t, res)
	for _, name := range []string{"Token — client_credentials", "Token — authorization_code"} {
		if reqs[name] == nil {
			t.Fatalf("split example request %q missing; have %v", name, keys(reqs))
		}
	}
	if reqs["Token — client_credentials"]["id"] == reqs["Token — authorization_code"]["id"] {
		t.Error("split examples share an id")
	}
	if want := stableID("request:token#institution"); reqs["Token — client_credentials"]["id"] != want {
		t.Errorf("split example id = %v, want %s (operationId#key)", reqs["Token — client_credentials"]["id"], want)
	}
	// manual: per-request guard + listed in the collection script
	col := decode(t, res.Files[0].Data)
	pre := strings.Join(toStrings(get(col, "event", 0, "script", "exec").([]any)), "\n")
	for _, name := range []string{"Revoke", "Token — authorization_code"} {
		if g := script(reqs[name], "prerequest"); !strings.Contains(g, "pm.execution.skipRequest()") {
			t.Errorf("%s has no manual guard", name)
		}
		if !strings.Contains(pre, `"`+reqs[name]["id"].(string)+`":`) {
			t.Errorf("%s not in the collection script's manual list", name)
		}
	}
	if script(reqs["Token — client_credentials"], "prerequest") != "" {
		t.Error("a non-manual request got a guard")
	}
	if !strings.Contains(pre, `const OBPM_TOKEN_KINDS = {"institution_access_token":"institution","user_access_token":"user"};`) {
		t.Errorf("token kinds missing from the collection script:\n%s", pre)
	}
	bal := get(reqs["잔액조회"], "request", "url", "raw")
	if bal != "{{base_url}}/v2.0/account/balance/fin_num?bank_tran_id={{bank_tran_id}}&fintech_use_num={{fintech_use_num}}&tran_dtime={{tran_dtime}}" {
		t.Errorf("balance URL = %v", bal)
	}
	dep := get(reqs["입금이체"], "request", "body", "raw").(string)
	for _, want := range []string{`"bank_tran_id": "{{bank_tran_id}}"`, `"tran_dtime": "{{tran_dtime}}"`, `"fintech_use_num": "{{fintech_use_num}}"`, `"tran_amt": "10000"`} {
		if !strings.Contains(dep, want) {
			t.Errorf("deposit body lacks %s:\n%s", want, dep)
		}
	}
	if test := script(reqs["등록계좌조회"], "test"); !strings.Contains(test, `[{"var":"fintech_use_num","path":["res_list",0,"fintech_use_num"]}]`) {
		t.Errorf("capture missing:\n%s", test)
	}
	if get(reqs["잔액조회"], "request", "auth", "bearer", 0, "value") != "{{user_access_token}}" {
		t.Error("the first security requirement (userToken) should give the auth")
	}
	if get(reqs["입금이체"], "request", "auth", "bearer", 0, "value") != "{{institution_access_token}}" {
		t.Error("institutionToken → institution_access_token")
	}
	if get(reqs["Token — client_credentials"], "request", "auth", "type") != "noauth" {
		t.Error("security: [] must give noauth, not an inherited auth")
	}
}

func keys(m map[string]jmap) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func toStrings(a []any) []string {
	out := make([]string, len(a))
	for i, v := range a {
		out[i] = v.(string)
	}
	return out
}

func TestSecuritySchemes(t *testing.T) {
	res := loadFixture(t, "petstore")
	reqs := requests(t, res)
	auth := get(reqs["List pets"], "request", "auth").(jmap)
	params := map[string]any{}
	for _, p := range auth["oauth2"].([]any) {
		params[get(p, "key").(string)] = get(p, "value")
	}
	if params["redirect_uri"] != "{{redirect_uri}}" || params["accessTokenUrl"] != "{{token_url}}" || params["authUrl"] != "{{auth_url}}" {
		t.Errorf("oauth2 helper params = %v", params)
	}
	for k, v := range params {
		if strings.Contains(v.(string), "refresh") && k != "refreshTokenUrl" {
			t.Errorf("refreshUrl leaked into the oauth2 param %s: %v", k, params)
		}
	}
	if params["refreshTokenUrl"] != "{{refresh_url}}" {
		t.Errorf("refreshUrl not given to Postman's refreshTokenUrl: %v", params)
	}
	if get(reqs["Delete a pet"], "request", "auth", "type") != "apikey" || get(reqs["Delete a pet"], "request", "auth", "apikey", 1, "value") != "{{api_key}}" {
		t.Errorf("apiKey auth = %v", get(reqs["Delete a pet"], "request", "auth"))
	}
	if get(reqs["재고 조회"], "request", "auth", "type") != "noauth" {
		t.Error("security: [] must give noauth")
	}
	prod := envValues(t, res.Files[2].Data)
	if prod["redirect_uri"]["value"] != "" || prod["token_url"]["value"] != "https://eu.petstore.example.com/oauth/token" {
		t.Errorf("production env oauth values: %v %v", prod["redirect_uri"], prod["token_url"])
	}
}

func TestVariableNames(t *testing.T) {
	for in, want := range map[string]string{"userToken": "user_access_token", "institutionToken": "institution_access_token",
		"petstore_auth": "petstore_access_token", "OAuth2": "o_auth2_access_token", "bearerAuth": "bearer_access_token", "token": "token_access_token"} {
		if got := tokenVariable(in); got != want {
			t.Errorf("tokenVariable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEnvironments(t *testing.T) {
	res := gen(t, `openapi: 3.0.3
info: {title: Env Test, version: "1"}
servers:
  - {url: 'https://test.example.com', description: Test bed, x-obpm-env: testbed}
  - {url: 'https://prod.example.com', description: "Production (live)"}
  - {url: 'https://{host}.example.com:{port}', variables: {host: {default: www}, port: {default: '443', enum: ['443', '8443']}}}
security: [{bearerAuth: []}]
paths:
  /x:
    get:
      parameters: [{name: u, in: query, required: true, schema: {type: string, example: "1100000001", x-obpm-variable: user_seq_no}}]
      responses: {'200': {description: ok}}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
`, Options{HelperKey: "k-123"})
	var names []string
	for _, f := range res.Files[1:] {
		names = append(names, f.Name)
	}
	want := "env-test.testbed.postman_environment.json env-test.production-live.postman_environment.json env-test.www-example-com.postman_environment.json env-test.sandbox.postman_environment.json"
	if strings.Join(names, " ") != want {
		t.Errorf("environment files = %v", names)
	}
	templ := envValues(t, res.Files[3].Data)
	if templ["base_url"]["value"] != "https://{{host}}.example.com:{{port}}" || templ["port"]["value"] != "443" {
		t.Errorf("server variables: %v %v", templ["base_url"], templ["port"])
	}
	sb := envValues(t, res.Files[4].Data)
	if sb["base_url"]["value"] != DefaultSandboxURL || sb["obpm_profile"]["value"] != "sandbox" || sb["obpm_helper_url"]["value"] != DefaultHelperURL {
		t.Errorf("sandbox env: %v", sb)
	}
	if sb["user_seq_no"]["value"] != "1100000001" || envValues(t, res.Files[1].Data)["user_seq_no"]["value"] != "" {
		t.Error("the spec's example fills the sandbox env only")
	}
	for _, k := range []string{"obpm_helper_key", "bearer_access_token"} {
		if sb[k]["type"] != "secret" {
			t.Errorf("%s should be secret: %v", k, sb[k])
		}
	}
	if sb["obpm_helper_key"]["value"] != "k-123" || sb["bearer_access_token"]["value"] != "" {
		t.Error("HelperKey fills obpm_helper_key; tokens stay empty")
	}
	one := gen(t, specHead+"paths: {}\n", Options{Envs: []string{"sandbox"}, OpenBanking: true})
	if len(one.Files) != 2 || !strings.HasSuffix(one.Files[1].Name, ".sandbox.postman_environment.json") {
		t.Errorf("Envs filter: %d files", len(one.Files))
	}
	doc, _ := LoadData(t.Context(), []byte(specHead+"paths: {}\n"), "")
	if _, err := Generate(doc, Options{Envs: []string{"staging"}, OpenBanking: true}); err == nil || !strings.Contains(err.Error(), "live, sandbox") {
		t.Errorf("unknown env error = %v", err)
	}
}

// TestOnlyWhatApplies: a document without x-obpm-* extensions gets neither
// the sandbox environment nor the bank_tran_id/tran_dtime script and
// variables, and keeps its own server called "sandbox"; Options.OpenBanking
// (the embedded document) or one x-obpm-* extension brings them back.
func TestOnlyWhatApplies(t *testing.T) {
	plain := `openapi: 3.0.3
info: {title: Plain, version: "1"}
servers:
  - {url: 'https://api.example.com', description: production}
  - {url: 'https://sandbox.example.com', description: sandbox}
paths:
  /x:
    get:
      responses: {'200': {description: ok}}
`
	tagged := strings.Replace(plain, "description: production}", "description: production, x-obpm-env: live}", 1)
	for _, tt := range []struct {
		name string
		spec string
		opts Options
		ob   bool
		envs string
	}{
		{"plain", plain, Options{}, false, "plain.production.postman_environment.json plain.sandbox.postman_environment.json"},
		{"embedded", plain, Options{OpenBanking: true}, true, "plain.production.postman_environment.json plain.sandbox-2.postman_environment.json plain.sandbox.postman_environment.json"},
		{"x-obpm", tagged, Options{}, true, "plain.live.postman_environment.json plain.sandbox-2.postman_environment.json plain.sandbox.postman_environment.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := gen(t, tt.spec, tt.opts)
			var names []string
			for _, f := range res.Files[1:] {
				names = append(names, f.Name)
			}
			if strings.Join(names, " ") != tt.envs {
				t.Errorf("environments = %v, want %s", names, tt.envs)
			}
			col := string(res.Files[0].Data)
			if got := strings.Contains(col, "bank_tran_id"); got != tt.ob {
				t.Errorf("bank_tran_id in the collection: %v, want %v", got, tt.ob)
			}
			if got := strings.Contains(col, "tran_dtime"); got != tt.ob {
				t.Errorf("tran_dtime in the collection: %v, want %v", got, tt.ob)
			}
			if !tt.ob {
				sb := envValues(t, res.Files[2].Data)
				if sb["base_url"]["value"] != "https://sandbox.example.com" || sb["client_id"] != nil {
					t.Errorf("the API's own sandbox server became obpm's: %v", sb)
				}
			}
		})
	}
}

// TestRequestNames: summary, else operationId, else METHOD path; a summary
// that is a paragraph gives its first sentence, at most 80 characters.
func TestRequestNames(t *testing.T) {
	long := "Creates a model response for the given chat conversation. Learn more in the text generation, vision, and audio guides."
	longer := strings.Repeat("word ", 30)
	res := gen(t, specHead+`paths:
  /a:
    get: {summary: '`+long+`', responses: {'200': {description: ok}}}
    post: {summary: '`+longer+`', responses: {'200': {description: ok}}}
    put: {operationId: putA, responses: {'200': {description: ok}}}
    delete: {responses: {'200': {description: ok}}}
`, Options{})
	got := requestNames(t, res)
	want := []string{"Creates a model response for the given chat conversation", strings.TrimSpace(strings.Repeat("word ", 15)) + "…", "putA", "DELETE /a"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("names:\n got %q\nwant %q", got, want)
	}
	for _, n := range got {
		if len([]rune(n)) > 80 {
			t.Errorf("name longer than 80: %q", n)
		}
	}
}

// TestDeterministic: the same document gives byte-identical files, every
// time, whatever the order of components (Go maps iterate randomly).
func TestDeterministic(t *testing.T) {
	for _, name := range fixtures(t) {
		a, b := loadFixture(t, name), loadFixture(t, name)
		for i := range a.Files {
			if string(a.Files[i].Data) != string(b.Files[i].Data) {
				t.Errorf("%s: %s differs between two runs", name, a.Files[i].Name)
			}
		}
	}
	specA := specHead + `paths:
  /a:
    post:
      operationId: a
      security: [{one: []}, {two: []}]
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/B'}}}}}
components:
  schemas:
    A: {type: object, properties: {x: {type: string}, b: {$ref: '#/components/schemas/B'}}}
    B: {type: object, properties: {y: {type: integer}, z: {type: boolean}}}
  securitySchemes:
    one: {type: http, scheme: bearer}
    two: {type: apiKey, in: header, name: K}
`
	specB := specHead + `paths:
  /a:
    post:
      operationId: a
      security: [{one: []}, {two: []}]
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/B'}}}}}
components:
  securitySchemes:
    two: {type: apiKey, in: header, name: K}
    one: {type: http, scheme: bearer}
  schemas:
    B: {type: object, properties: {y: {type: integer}, z: {type: boolean}}}
    A: {type: object, properties: {x: {type: string}, b: {$ref: '#/components/schemas/B'}}}
`
	ra, rb := gen(t, specA, Options{}), gen(t, specB, Options{})
	for i := range ra.Files {
		if string(ra.Files[i].Data) != string(rb.Files[i].Data) {
			t.Errorf("shuffled components change %s:\n%s", ra.Files[i].Name, firstDiff(ra.Files[i].Data, rb.Files[i].Data))
		}
	}
}

func TestStableIDs(t *testing.T) {
	uuid5 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := stableID("request:listPets"), stableID("request:createPet")
	if !uuid5.MatchString(a) || a == b || a != stableID("request:listPets") {
		t.Errorf("stableID: %s %s", a, b)
	}
	col := decode(t, loadFixture(t, "petstore").Files[0].Data)
	if get(col, "info", "_postman_id") != stableID("collection:Swagger Petstore") {
		t.Errorf("_postman_id = %v", get(col, "info", "_postman_id"))
	}
	if get(col, "info", "schema") != "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" {
		t.Error("not a v2.1 collection")
	}
}

// TestURLWithQuotesStaysValidJSON guards the library quirk: a GET request with
// only a URL is written as an unescaped string.
func TestURLWithQuotesStaysValidJSON(t *testing.T) {
	res := gen(t, specHead+`paths:
  '/q"uo\te':
    get:
      security: []
      responses: {'200': {description: ok}}
`, Options{})
	if !json.Valid(res.Files[0].Data) {
		t.Fatal("collection with a quote in a URL is not valid JSON")
	}
	if got := get(requests(t, res)[`GET /q"uo\te`], "request", "url", "raw"); got != `{{base_url}}/q"uo\te` {
		t.Errorf("raw = %v", got)
	}
}

func TestTemplatesOverride(t *testing.T) {
	spec := specHead + "paths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n"
	doc, err := LoadData(t.Context(), []byte(spec), "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(doc, Options{Templates: fstest.MapFS{
		"request-test.js.tmpl": {Data: []byte("// custom {{json .Status}}\n")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := script(requests(t, res)["GET /a"], "test"); got != "// custom [200]" {
		t.Errorf("override not used: %q", got)
	}
	if pre := get(decode(t, res.Files[0].Data), "event", 0, "script", "exec", 0); !strings.Contains(pre.(string), "collection pre-request") {
		t.Errorf("non-overridden template should stay embedded: %v", pre)
	}
	_, err = Generate(doc, Options{Templates: fstest.MapFS{"collection-prerequest.js.tmpl": {Data: []byte("{{.Nope")}}})
	if err == nil || !strings.Contains(err.Error(), "collection-prerequest.js.tmpl (from --templates)") {
		t.Errorf("bad template error = %v", err)
	}
}

func TestWarningsNamePlaces(t *testing.T) {
	res := gen(t, specHead+`paths:
  /a/file.{ext}:
    get:
      tags: [one, two]
      parameters: [{name: ext, in: path, required: true, schema: {type: string, example: json}}]
      security: [{nope: []}]
      responses: {'200': {description: ok}}
`, Options{})
	want := []string{
		"paths./a/file.{ext}.get.parameters.ext: path parameter inside a segment",
		"paths./a/file.{ext}.get.security: security scheme \"nope\" is not defined",
		"paths./a/file.{ext}.get.tags: operation has 2 tags",
	}
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.String())
	}
	all := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("warnings lack %q:\n%s", w, all)
		}
	}
	if raw := get(requests(t, res)["GET /a/file.{ext}"], "request", "url", "raw"); raw != "{{base_url}}/a/file.json" {
		t.Errorf("raw = %v", raw)
	}
}

func TestWebhooksListed(t *testing.T) {
	res := loadFixture(t, "v31")
	if len(res.Webhooks) != 1 || res.Webhooks[0] != "newPet POST" || res.Counts.Requests != 1 {
		t.Errorf("webhooks = %v, requests = %d", res.Webhooks, res.Counts.Requests)
	}
	desc := get(decode(t, res.Files[0].Data), "info", "description", "content").(string)
	if !strings.Contains(desc, "- `newPet POST`") {
		t.Errorf("webhook not in the description:\n%s", desc)
	}
}

func TestUnescapeHTML(t *testing.T) {
	for in, want := range map[string]string{
		`"a \u003c b \u0026\u0026 c \u003e d"`: `"a < b && c > d"`,
		`"\\u003c stays"`:                      `"\\u003c stays"`,
		`"\\\u003c"`:                           `"\\<"`,
		`"\u2028 kept"`:                        `"\u2028 kept"`,
	} {
		if got := string(unescapeHTML([]byte(in))); got != want {
			t.Errorf("unescapeHTML(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestOAuthFlowsMappedWhole(t *testing.T) {
	res := gen(t, specHead+`security: [{oa: []}]
paths:
  /a:
    get:
      responses: {'200': {description: ok}}
components:
  securitySchemes:
    oa:
      type: oauth2
      flows:
        authorizationCode: {authorizationUrl: 'https://api.example.com/authorize', tokenUrl: 'https://api.example.com/token', refreshUrl: 'https://api.example.com/refresh', scopes: {a: a}}
        clientCredentials: {tokenUrl: 'https://other.example.com/token', scopes: {b: b}}
`, Options{})
	env := envValues(t, res.Files[1].Data)
	if env["token_url"]["value"] != "{{base_url}}/token" || env["token_url_oa"]["value"] != "https://other.example.com/token" || env["auth_url"]["value"] != "{{base_url}}/authorize" {
		t.Errorf("flow URLs: %v %v %v", env["token_url"], env["token_url_oa"], env["auth_url"])
	}
	for k, v := range env {
		if strings.Contains(v["value"].(string), "refresh") && k != "refresh_url" {
			t.Errorf("refreshUrl leaked into %s", k)
		}
	}
	if env["refresh_url"]["value"] != "{{base_url}}/refresh" {
		t.Errorf("refresh_url = %v", env["refresh_url"])
	}
	oauth := map[string]any{}
	for _, p := range get(requests(t, res)["GET /a"], "request", "auth", "oauth2").([]any) {
		oauth[get(p, "key").(string)] = get(p, "value")
	}
	if oauth["refreshTokenUrl"] != "{{refresh_url}}" || oauth["redirect_uri"] != "{{redirect_uri}}" || oauth["accessTokenUrl"] != "{{token_url}}" {
		t.Errorf("Postman OAuth 2.0 block: %v", oauth)
	}
	found := false
	for _, w := range res.Warnings {
		found = found || strings.HasPrefix(w.String(), "components.securitySchemes.oa.flows: 2 flows (authorizationCode, clientCredentials)")
	}
	if !found {
		t.Errorf("no warning about the second flow: %v", res.Warnings)
	}
}

// TestUnrepresentedConstructsWarn: path- and operation-level servers,
// callbacks and response links have no place in a Postman request; each gets a
// warning naming it (never a silent drop), callbacks and externalDocs are in the
// descriptions, and documented response headers appear in the saved responses.
func TestUnrepresentedConstructsWarn(t *testing.T) {
	res := gen(t, specHead+`externalDocs: {url: 'https://docs.example.com', description: The guide}
paths:
  /a:
    servers: [{url: 'https://other.example.com'}]
    get:
      operationId: a
      externalDocs: {url: 'https://docs.example.com/a'}
      servers: [{url: 'https://op.example.com'}]
      callbacks:
        onEvent:
          '{$request.query.cb}':
            post:
              responses: {'200': {description: ok}}
      responses:
        '200':
          description: ok
          headers:
            X-Rate-Limit: {schema: {type: integer, example: 100}}
            Content-Type: {schema: {type: string}}
          links:
            self: {operationId: a}
          content:
            application/json:
              schema: {type: object, properties: {n: {type: string}}}
        '302':
          description: moved
          headers:
            Location: {schema: {type: string}, example: 'https://api.example.com/a'}
`, Options{})
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.String())
	}
	all := strings.Join(got, "\n")
	for _, w := range []string{
		"paths./a.servers: path-level servers are not represented",
		"paths./a.get.servers: operation-level servers are not represented",
		"https://op.example.com",
		"paths./a.get.callbacks.onEvent: callback listed",
		"paths./a.get.responses.200.links: response links are not represented",
	} {
		if !strings.Contains(all, w) {
			t.Errorf("warnings lack %q:\n%s", w, all)
		}
	}
	item := requests(t, res)["a"]
	if desc := get(item, "request", "description").(string); !strings.Contains(desc, "- `onEvent: POST {$request.query.cb}`") ||
		!strings.Contains(desc, "See also: [https://docs.example.com/a](https://docs.example.com/a)") {
		t.Errorf("callback or externalDocs not in the description:\n%s", desc)
	}
	if desc := get(decode(t, res.Files[0].Data), "info", "description", "content").(string); !strings.Contains(desc, "See also: [The guide](https://docs.example.com)") {
		t.Errorf("document externalDocs not in the collection description:\n%s", desc)
	}
	headers := map[string]string{}
	for _, r := range item["response"].([]any) {
		for _, h := range get(r, "header").([]any) {
			headers[fmt.Sprint(get(r, "code"))+" "+get(h, "key").(string)] = get(h, "value").(string)
		}
	}
	want := map[string]string{"200 Content-Type": "application/json", "200 X-Rate-Limit": "100", "302 Location": "https://api.example.com/a"}
	if !reflect.DeepEqual(headers, want) {
		t.Errorf("saved response headers = %v, want %v", headers, want)
	}
}

// TestOAuthURLVariablesNeverShared: every distinct OAuth URL gets its own
// variable, however many flows share a scheme, and a refreshUrl equal to the
// tokenUrl reuses its variable.
func TestOAuthURLVariablesNeverShared(t *testing.T) {
	res := gen(t, specHead+`security: [{oa: []}]
paths:
  /a:
    get:
      responses: {'200': {description: ok}}
components:
  securitySchemes:
    oa:
      type: oauth2
      flows:
        authorizationCode: {authorizationUrl: 'https://a.example.com/authorize', tokenUrl: 'https://a.example.com/token', refreshUrl: 'https://a.example.com/token', scopes: {}}
        clientCredentials: {tokenUrl: 'https://b.example.com/token', scopes: {}}
        password: {tokenUrl: 'https://c.example.com/token', scopes: {}}
`, Options{})
	env := envValues(t, res.Files[1].Data)
	want := map[string]string{"token_url": "https://a.example.com/token", "token_url_oa": "https://b.example.com/token", "token_url_oa_2": "https://c.example.com/token"}
	for k, v := range want {
		if env[k]["value"] != v {
			t.Errorf("%s = %v, want %s", k, env[k]["value"], v)
		}
	}
	if _, ok := env["refresh_url"]; ok {
		t.Error("a refreshUrl equal to the tokenUrl got its own variable")
	}
}

// TestWriteStringMatchesEncoding: the fast path for plain strings writes what
// encoding/json (HTML escaping off) writes, for every kind of character.
func TestWriteStringMatchesEncoding(t *testing.T) {
	for _, s := range []string{"", "plain", `a"b`, `a\b`, "tab\there", "\x01", "\x7f", "<&>", "한글 이름", "line\u2028sep", "para\u2029", "bad \xff utf8", "\xe2\x80"} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		var got bytes.Buffer
		writeString(&got, s)
		if got.String() != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("writeString(%q) = %s, want %s", s, got.String(), want.String())
		}
	}
}

// TestEveryVariableDefined: every {{variable}} the collection or an
// environment refers to (URLs, headers, bodies, auth, OAuth URLs, server
// variables in base_url) is defined in each environment or among the
// collection's own variables, on every fixture and the order case.
func TestEveryVariableDefined(t *testing.T) {
	results := map[string]*Result{"order case": gen(t, orderCase, Options{}), "openbanking": gen(t, string(specs.OpenBanking), Options{})}
	for _, name := range fixtures(t) {
		results[name] = loadFixture(t, name)
	}
	for name, res := range results {
		col := decode(t, res.Files[0].Data)
		defined := map[string]bool{}
		for _, v := range col["variable"].([]any) {
			defined[get(v, "key").(string)] = true
		}
		for _, f := range res.Files[1:] {
			env := envValues(t, f.Data)
			for _, used := range []map[string]bool{usedVariables(res.Files[0].Data), usedVariables(f.Data)} {
				for v := range used {
					if _, ok := env[v]; !ok && !defined[v] {
						t.Errorf("%s: %s does not define {{%s}}", name, f.Name, v)
					}
				}
			}
		}
	}
}

// TestGenerateLeavesDocAlone: Generate is a pure function: a document built
// in code without paths gives an empty collection and stays as it was.
func TestGenerateLeavesDocAlone(t *testing.T) {
	doc := &openapi3.T{OpenAPI: "3.0.3", Info: &openapi3.Info{Title: "Bare", Version: "1"}}
	res, err := Generate(doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Requests != 0 || doc.Paths != nil {
		t.Errorf("requests = %d, doc.Paths = %v (want 0, untouched nil)", res.Counts.Requests, doc.Paths)
	}
}

// TestMultipartEncoding: a multipart part's encoding.contentType is the
// field's contentType in Postman (it was dropped).
func TestMultipartEncoding(t *testing.T) {
	res := gen(t, specHead+`paths:
  /up:
    post:
      operationId: up
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              properties:
                meta: {type: object, properties: {n: {type: string}}}
                file: {type: string, format: binary}
            encoding:
              meta: {contentType: application/json}
              file: {contentType: image/png}
      responses: {'200': {description: ok}}
`, Options{})
	got := map[string]any{}
	for _, f := range get(requests(t, res)["up"], "request", "body", "formdata").([]any) {
		got[get(f, "key").(string)] = get(f, "contentType")
	}
	if got["meta"] != "application/json" || got["file"] != "image/png" {
		t.Errorf("part content types = %v", got)
	}
}
