package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// orderCase exercises every place stampOrder stamps, in flow and block style:
// operations out of path order, path-level parameters, property order that
// is not alphabetical (also on one line), allOf/oneOf/items/additionalProperties,
// examples maps in media types, parameters and response headers, and
// components reached by $ref.
const orderCase = specHead + `paths:
  /z:
    parameters:
      - {name: zp, in: query, schema: {type: object, properties: {y: {type: string}, b: {type: string}}}}
    post:
      operationId: zPost
      requestBody:
        content:
          application/json:
            schema:
              allOf:
                - {$ref: '#/components/schemas/Base'}
                - type: object
                  properties: {zeta: {type: string}, alpha: {type: integer}, mid: {type: array, items: {type: object, properties: {q: {type: string}, c: {type: string}}}}}
            examples:
              second: {summary: S, value: {zeta: s}}
              first: {summary: F, value: {zeta: f}}
      responses:
        '200':
          description: ok
          headers:
            X-B: {schema: {type: string}, examples: {two: {value: b2}, one: {value: b1}}}
          content:
            application/json:
              schema:
                type: object
                properties:
                  w: {type: string}
                  extra: {type: object, additionalProperties: {type: object, properties: {n: {type: string}, a: {type: string}}}}
                  choice: {oneOf: [{type: object, properties: {k: {type: string}, d: {type: string}}}]}
  /a:
    get:
      operationId: aGet
      parameters:
        - name: p
          in: query
          examples: {later: {value: l}, earlier: {value: e}}
          schema: {type: string}
        - {$ref: '#/components/parameters/Shared'}
      responses:
        '200': {$ref: '#/components/responses/R'}
    delete:
      operationId: aDelete
      responses: {'204': {description: gone}}
components:
  parameters:
    Shared: {name: s, in: header, schema: {type: object, properties: {u: {type: string}, e: {type: string}}}}
  responses:
    R:
      description: r
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Base'}
          examples: {b: {value: {tail: 1}}, a: {value: {tail: 2}}}
  schemas:
    Base:
      type: object
      properties:
        tail: {type: integer}
        head: {type: string}
`

// TestOrderStampsMatchOrigins: the origins stampOrder sets give the same
// files as kin-openapi's IncludeOrigin, on every fixture and a case built to
// reach every stamped place. (Not on the Open Banking document: its YAML
// aliases and merge keys are ordered where they are written, IncludeOrigin
// orders them by their anchor or not at all; TestAliasOrder.)
func TestOrderStampsMatchOrigins(t *testing.T) {
	cases := map[string][]byte{"order case": []byte(orderCase), "synthetic": synthSpec(41),
		"alias": []byte(specHead + "x-a: &a {type: object, properties: {z: {type: string}, a: {type: string}}}\npaths:\n  /b:\n    get:\n      responses: {'200': {description: ok}}\n  /a:\n    post:\n      requestBody: {content: {application/json: {schema: *a}}}\n      responses: {'200': {description: ok}}\n")}
	fixtureSet := map[string]bool{}
	for _, name := range fixtures(t) {
		fixtureSet[name] = true
		data, err := os.ReadFile(filepath.Join("testdata", name, "openapi.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		cases[name] = data
	}
	// JSON: each case again (key order as encoding/json writes maps), and the
	// order case minified on one line with keys past column 65,535.
	for name, data := range maps.Clone(cases) {
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		js, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		cases["json "+name] = js
	}
	cases["minified json"] = []byte(minifiedLongLine(t))
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			path := ""
			if base := strings.TrimPrefix(name, "json "); fixtureSet[base] {
				path = filepath.Join("testdata", base, "openapi.yaml") // its folder resolves file $refs
			}
			fast, err := loadData(context.Background(), data, path, loadTree)
			if err != nil {
				t.Fatal(err)
			}
			full, err := loadData(context.Background(), data, path, loadOrigins)
			if err != nil {
				t.Fatal(err)
			}
			a, err := Generate(fast, Options{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Generate(full, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range b.Files {
				if !bytes.Equal(a.Files[i].Data, b.Files[i].Data) {
					t.Errorf("%s differs between stamped order and IncludeOrigin:\n%s", b.Files[i].Name, firstDiff(b.Files[i].Data, a.Files[i].Data)) // "golden": IncludeOrigin
				}
			}
		})
	}
}

// TestAliasOrder: properties written through a YAML alias or merge key keep
// the order in which the document writes them.
func TestAliasOrder(t *testing.T) {
	spec := specHead + `x-props: &props
  zeta: {type: string}
  alpha: {type: string}
paths:
  /a:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                <<: *props
                mid: {type: string}
      responses: {'200': {description: ok}}
  /b:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: *props}
      responses: {'200': {description: ok}}
`
	reqs := requests(t, gen(t, spec, Options{}))
	for name, want := range map[string]string{"POST /a": `"zeta"`, "POST /b": `"zeta"`} {
		body := get(reqs[name], "request", "body", "raw").(string)
		if strings.Index(body, want) > strings.Index(body, `"alpha"`) {
			t.Errorf("%s: properties not in document order:\n%s", name, body)
		}
	}
}

// minifiedLongLine is a one-line JSON document whose body properties "z" and
// "a" sit on either side of column 65,536, in that order.
func minifiedLongLine(t *testing.T) string {
	head := `{"openapi":"3.0.3","info":{"title":"Long","version":"1","description":"`
	tail := `"},"paths":{"/b":{"get":{"responses":{"200":{"description":"ok"}}}},"/a":{"post":{"requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"z":{"type":"string"},"a":{"type":"string"}}}}}},"responses":{"200":{"description":"ok"}}}}}}`
	zAt := len(head) + strings.Index(tail, `"z"`)
	pad := strings.Repeat("x", 65536-8-zAt)
	doc := head + pad + tail
	if z, a := strings.Index(doc, `"z"`), strings.Index(doc, `"a":{"type"`); z >= 65536 || a < 65536 {
		t.Fatalf("keys at %d and %d do not straddle column 65,536", z, a)
	}
	res := gen(t, doc, Options{})
	body := get(requests(t, res)["POST /a"], "request", "body", "raw").(string)
	if strings.Index(body, `"z"`) > strings.Index(body, `"a"`) {
		t.Errorf("property order lost past column 65,535:\n%s", body)
	}
	if names := requestNames(t, res); len(names) != 2 || names[0] != "GET /b" {
		t.Errorf("operations not in document order: %v", names)
	}
	return doc
}

// requestNames lists the collection's requests in order.
func requestNames(t *testing.T, res *Result) []string {
	t.Helper()
	var out []string
	for _, it := range decode(t, res.Files[0].Data)["item"].([]any) {
		out = append(out, get(it, "name").(string))
	}
	return out
}
