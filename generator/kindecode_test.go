package generator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/obpm/obpm/specs"
)

// kdDiff is the path of the first difference between a and b ("" when
// deeply equal), reading unexported fields too (reflect.DeepEqual's rules:
// nil and empty maps and slices differ).
func kdDiff(a, b reflect.Value, path string, depth int) string {
	if depth > 200 {
		return ""
	}
	if a.IsValid() != b.IsValid() {
		return path + ": one side missing"
	}
	if !a.IsValid() {
		return ""
	}
	if a.Type() != b.Type() {
		return fmt.Sprintf("%s: type %s vs %s", path, a.Type(), b.Type())
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return fmt.Sprintf("%s: nil %v vs %v", path, a.IsNil(), b.IsNil())
			}
			return ""
		}
		if a.Kind() == reflect.Pointer && a.Pointer() == b.Pointer() {
			return ""
		}
		return kdDiff(a.Elem(), b.Elem(), path, depth+1)
	case reflect.Struct:
		for i := range a.NumField() {
			if d := kdDiff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name, depth+1); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return fmt.Sprintf("%s: nil slice %v vs %v", path, a.IsNil(), b.IsNil())
		}
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: len %d vs %d", path, a.Len(), b.Len())
		}
		for i := range a.Len() {
			if d := kdDiff(a.Index(i), b.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		if a.IsNil() != b.IsNil() {
			return fmt.Sprintf("%s: nil map %v vs %v", path, a.IsNil(), b.IsNil())
		}
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: len %d vs %d", path, a.Len(), b.Len())
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() {
				return fmt.Sprintf("%s[%v]: missing on the right", path, k)
			}
			if d := kdDiff(a.MapIndex(k), bv, fmt.Sprintf("%s[%v]", path, k), depth+1); d != "" {
				return d
			}
		}
		return ""
	case reflect.String:
		if a.String() != b.String() {
			return fmt.Sprintf("%s: %q vs %q", path, a.String(), b.String())
		}
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			return fmt.Sprintf("%s: %v vs %v", path, a.Bool(), b.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			return fmt.Sprintf("%s: %d vs %d", path, a.Int(), b.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			return fmt.Sprintf("%s: %d vs %d", path, a.Uint(), b.Uint())
		}
	case reflect.Float32, reflect.Float64:
		if a.Float() != b.Float() {
			return fmt.Sprintf("%s: %v vs %v", path, a.Float(), b.Float())
		}
	}
	return ""
}

// kdCompare decodes n with the hand decoder and with kin-openapi, and
// reports whether the hand decoder took it, or a failure: it gave something
// else, or took a node kin-openapi refuses.
func kdCompare[T any](n *yaml.Node, fast func(*yaml.Node) (*T, error)) (took bool, failure string) {
	got, err := func() (got *T, err error) {
		defer func() {
			if r := recover(); r != nil {
				got, err = nil, errSlowDecode
			}
		}()
		return fast(n)
	}()
	if err != nil {
		if !errors.Is(err, errSlowDecode) {
			return false, fmt.Sprintf("hand decoder error %v, want errSlowDecode", err)
		}
		return false, ""
	}
	want := new(T)
	if kerr := n.Decode(want); kerr != nil {
		return true, fmt.Sprintf("kin-openapi refuses it (%v), the hand decoder took it", kerr)
	}
	if !reflect.DeepEqual(got, want) {
		d := kdDiff(reflect.ValueOf(got), reflect.ValueOf(want), reflect.TypeFor[T]().Name(), 0)
		return true, "differs from kin-openapi (hand vs kin) at " + d
	}
	return true, ""
}

// kdDocs is every OpenAPI document the tests know, in its own notation and
// (YAML ones) as JSON: testdata (fixtures, corpus, fuzz seeds), the embedded
// specs and the synthetic spec.
func kdDocs(t *testing.T) map[string][]byte {
	docs := map[string][]byte{}
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.Contains(p, "golden") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case strings.Contains(p, "fuzz"):
			// go test fuzz v1, then []byte("...")
			_, lit, ok := strings.Cut(string(data), "[]byte(")
			if !ok {
				return nil
			}
			s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(lit), ")"))
			if err != nil {
				return nil
			}
			data = []byte(s)
		case strings.Contains(p, "postman"):
			return nil
		default:
			switch filepath.Ext(p) {
			case ".yaml", ".yml", ".json":
			default:
				return nil
			}
		}
		docs[p] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	docs["specs/"+specs.OpenBankingFile] = specs.OpenBanking
	docs["synth"] = synthSpec(2000)
	for name, data := range docs {
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
			continue
		}
		var v any
		if yaml.Unmarshal(data, &v) != nil {
			continue
		}
		if js, err := json.Marshal(v); err == nil {
			docs[name+".as.json"] = js
		}
	}
	return docs
}

// kdStats counts what the hand decoder took and left.
type kdStats struct{ fast, slow int }

// TestKinDecodeOracle: on every document the tests know, every path item
// and every component the hand decoder takes decodes exactly as
// kin-openapi decodes it, and the large real documents and the synthetic
// spec take the fast path nearly everywhere.
func TestKinDecodeOracle(t *testing.T) {
	docs := kdDocs(t)
	if len(docs) < 80 {
		t.Fatalf("%d documents, want every document under testdata, in YAML and JSON", len(docs))
	}
	total := map[string]*kdStats{}
	docsFast := 0
	for name, data := range docs {
		top := parseTree(data)
		if top == nil || top.Kind != yaml.MappingNode || prepareNodes(top, 0) != nil {
			continue
		}
		st := &kdStats{}
		total[name] = st
		check := func(what string, took bool, failure string) {
			if failure != "" {
				t.Errorf("%s: %s: %s", name, what, failure)
			}
			if took {
				st.fast++
			} else {
				st.slow++
				if testing.Verbose() {
					t.Logf("%s: %s: left to kin-openapi", name, what)
				}
			}
		}
		took, failure := kdCompare(top, kdDoc)
		check("the whole document", took, failure)
		if took {
			docsFast++
		}
		if paths := entry(top, "paths"); paths != nil && paths.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(paths.Content); i += 2 {
				k, v := paths.Content[i], paths.Content[i+1]
				if strings.HasPrefix(k.Value, "x-") {
					continue
				}
				took, failure := kdCompare(v, kdPathItem)
				check("paths "+k.Value, took, failure)
			}
		}
		comps := entry(top, "components")
		if comps == nil || comps.Kind != yaml.MappingNode {
			continue
		}
		each := func(section string, f func(name string, v *yaml.Node)) {
			m := entry(comps, section)
			if m == nil || m.Kind != yaml.MappingNode {
				return
			}
			for i := 0; i+1 < len(m.Content); i += 2 {
				f(section+"/"+m.Content[i].Value, m.Content[i+1])
			}
		}
		each("schemas", func(what string, v *yaml.Node) { took, f := kdCompare(v, kdSchemaRef); check(what, took, f) })
		each("parameters", func(what string, v *yaml.Node) { took, f := kdCompare(v, kdParameterRef); check(what, took, f) })
		each("responses", func(what string, v *yaml.Node) { took, f := kdCompare(v, kdResponseRef); check(what, took, f) })
		each("requestBodies", func(what string, v *yaml.Node) { took, f := kdCompare(v, kdRequestBodyRef); check(what, took, f) })
		each("headers", func(what string, v *yaml.Node) { took, f := kdCompare(v, kdHeaderRef); check(what, took, f) })
		each("examples", func(what string, v *yaml.Node) { took, f := kdCompare(v, kdExampleRef); check(what, took, f) })
	}
	var sum kdStats
	for name, st := range total {
		sum.fast += st.fast
		sum.slow += st.slow
		if st.slow > 0 {
			t.Logf("%s: %d fast, %d left to kin-openapi", name, st.fast, st.slow)
		}
	}
	t.Logf("%d documents (%d whole by hand): %d items decoded by hand, %d left to kin-openapi", len(total), docsFast, sum.fast, sum.slow)
	for _, name := range []string{
		"synth", "synth.as.json",
		"testdata/corpus/openai/openapi.yaml", "testdata/corpus/openai/openapi.yaml.as.json",
		"testdata/corpus/box/openapi.json",
		// With anchors, the YAML goes to kin-openapi's loader whole (prepareNodes).
		"specs/" + specs.OpenBankingFile + ".as.json",
	} {
		st := total[name]
		if st == nil {
			t.Errorf("%s: not decoded", name)
			continue
		}
		if st.fast < 100 || st.slow > 5 {
			t.Errorf("%s: %d items decoded by hand, %d left to kin-openapi: want (nearly) all by hand", name, st.fast, st.slow)
		}
	}
}

// TestKinDecodeSnippets: tricky path items, each decoded by hand and by
// kin-openapi, from YAML and from JSON; took says whether the hand decoder
// must take it (false: it must leave it to kin-openapi, or may).
func TestKinDecodeSnippets(t *testing.T) {
	op := func(body string) string {
		return "get:\n  responses:\n    '200':\n      description: ok\n      content:\n        application/json:\n          schema:\n" + indent(body, strings.Repeat(" ", 12)) + "\n"
	}
	tests := []struct {
		name     string
		yaml     string
		took     bool
		jsonLeft bool // the JSON form is left to kin-openapi
	}{
		{"3.1 type list", op("type: [string, 'null']"), true, false},
		{"type list with null item", op("type: [string, null]"), true, false},
		{"empty type list", op("type: []"), true, false},
		{"type not a string", op("type: 1"), false, false},
		{"exclusiveMinimum bool", op("type: number\nminimum: 1\nexclusiveMinimum: true"), true, false},
		{"exclusiveMinimum number", op("type: number\nexclusiveMinimum: 1.5\nexclusiveMaximum: 10"), true, false},
		{"exclusiveMinimum 1e3", op("exclusiveMinimum: 1e3"), true, false},
		{"exclusiveMinimum string", op("exclusiveMinimum: 'yes'"), false, false},
		{"additionalProperties false", op("type: object\nadditionalProperties: false"), true, false},
		{"additionalProperties empty", op("type: object\nadditionalProperties: {}"), true, false},
		{"additionalProperties schema", op("type: object\nadditionalProperties: {type: integer, format: int64}"), true, false},
		{"additionalProperties ref", op("additionalProperties: {$ref: '#/components/schemas/X'}"), true, false},
		{"additionalProperties null", op("additionalProperties: null"), true, false},
		{"unevaluatedProperties", op("unevaluatedProperties: false\nunevaluatedItems: {type: string}"), true, false},
		{"nullable readOnly", op("type: string\nnullable: true\nreadOnly: true\nwriteOnly: false\ndeprecated: true"), true, false},
		{"ref alone", op("$ref: '#/components/schemas/X'"), true, false},
		{"ref with description", op("$ref: '#/components/schemas/X'\ndescription: d"), true, false},
		{"ref with x-", op("$ref: '#/components/schemas/X'\nx-a: 1"), true, false},
		{"ref empty", op("$ref: ''\ntype: string"), true, false},
		{"ref null", op("$ref: null\ntype: string"), true, false},
		{"ref number", op("$ref: 1"), true, false},
		{"parameter ref with summary", "parameters:\n  - $ref: '#/components/parameters/P'\n    summary: s\n    description: d\n" + op("type: string"), true, false},
		{"parameter ref with sibling", "parameters:\n  - $ref: '#/components/parameters/P'\n    name: n\n" + op("type: string"), true, false},
		{"parameter ref summary number", "parameters:\n  - $ref: '#/components/parameters/P'\n    summary: 1\n" + op("type: string"), true, false},
		{"extensions of every kind", "x-s: s\nx-i: 1\nx-neg: -7\nx-f: 1.5\nx-e: 1e3\nx-hex: 0x1F\nx-oct: 0o17\nx-under: 1_000\nx-big: 123456789012345678901234567890\nx-b: true\nx-B: False\nx-n: null\nx-tilde: ~\nx-empty:\nx-q: '12'\nx-dq: \"true\"\nx-m: {a: 1, b: [1, 'x', null, {c: d}]}\nx-l: []\nx-o: {}\nx-t: 2020-06-11\nx-md: !md hello\nx-lead: 007\nx-plus: +5\nx-dot: .5\n" + op("type: string"), true, false},
		// YAML -0 is a float; JSON's -0 is tagged !!int (scanJSON), which the
		// YAML decoder refuses: left to kin-openapi.
		{"minus zero", "x-z: -0\nx-y: -0.0\n", true, true},
		{"unknown keys", "foo: bar\n" + "get:\n  bar: 1\n  responses: {'200': {description: ok, baz: [1]}}\n", true, false},
		{"numbers", op("type: integer\nminimum: 0x1F\nmaximum: 1_000\nmultipleOf: 0.5\nminLength: 1\nmaxLength: 1e3\nminItems: 0\nmaxItems: 10\nminProperties: 2\nmaxProperties: 3\nminContains: 1\nmaxContains: 2"), true, false},
		{"negative minLength", op("minLength: -1"), false, false},
		{"quoted number", op("maxLength: '10'"), false, false},
		{"example kinds", op("example: {a: 1, b: 2.5, c: [true, null]}\ndefault: 1\nenum: [1, '1', 1.5, null, {a: b}]\nconst: 0\nexamples: [1, x]"), true, false},
		{"string fields null", op("title:\ndescription: null\nformat: ~\npattern: '^a$'"), true, false},
		{"string field number", op("title: 1"), false, false},
		{"string field bool", "summary: true\n" + op("type: string"), false, false},
		{"required with null", op("type: object\nrequired: [a, null, b]"), true, false},
		{"required with number", op("required: [a, 1]"), false, false},
		{"empty mappings", "get:\n  responses: {}\n  parameters: []\n  tags: []\n  security: []\n  servers: []\n  requestBody: {content: {}}\n", true, false},
		{"null values", "get:\n  summary:\n  tags:\n  parameters:\n  requestBody:\n  security:\n  servers:\n  externalDocs:\n  callbacks:\n  deprecated:\n  responses: {'200': null, '201': {description: null, headers: null, content: null, links: null}}\npost:\nservers:\nparameters:\n", true, false},
		{"responses null", "get:\n  responses:\n", false, false},
		{"responses extension", "get:\n  responses: {x-r: 1, default: {description: d}}\n", true, false},
		{"null items", "parameters: [null]\nget:\n  responses: {'200': {description: ok, content: {a/b: null, c/d: {schema: null}}}}\n", true, false},
		{"schema bool", op("type: array\nitems: true\nprefixItems: [false, {type: string}]\nnot: {}\ncontains: {const: 1}"), true, false},
		{"composition", op("allOf: [{$ref: '#/components/schemas/A'}, {type: object, properties: {a: {type: string}}}]\noneOf: [{type: string}, null]\nanyOf: []\nif: {type: string}\nthen: {minLength: 1}\nelse: {maxLength: 0}"), true, false},
		{"discriminator xml externalDocs", op("discriminator: {propertyName: kind, mapping: {a: '#/components/schemas/A'}, x-d: 1}\nxml: {name: n, namespace: ns, prefix: p, attribute: true, wrapped: false}\nexternalDocs: {url: 'https://x', description: d}"), true, false},
		{"discriminator mapping number", op("discriminator: {propertyName: kind, mapping: {a: 1}}"), false, false},
		{"3.1 keywords", op("$schema: s\n$id: i\n$anchor: a\n$comment: c\n$dynamicRef: r\n$dynamicAnchor: d\n$defs: {a: {type: string}}\npatternProperties: {'^x': {type: string}}\ndependentSchemas: {a: {required: [b]}}\ndependentRequired: {a: [b, c]}\npropertyNames: {pattern: '^a'}\ncontentMediaType: text/plain\ncontentEncoding: base64\ncontentSchema: {type: string}"), true, false},
		{"parameter everything", "parameters:\n  - {name: a, in: query, description: d, style: form, explode: false, allowEmptyValue: true, allowReserved: true, deprecated: true, required: true, schema: {type: string}, example: 1, examples: {e: {summary: s, description: d, value: {a: 1}, externalValue: u, x-e: 1}, r: {$ref: '#/components/examples/E'}}, x-p: 1}\n  - {name: b, in: query, content: {application/json: {schema: {type: object}}}}\n" + op("type: string"), true, false},
		{"media type everything", "post:\n  requestBody:\n    description: d\n    required: true\n    x-rb: 1\n    content:\n      multipart/form-data:\n        schema: {type: object}\n        itemSchema: {type: string}\n        example: {a: 1}\n        examples: {e: {value: 1}}\n        encoding: {a: {contentType: text/plain, headers: {X-A: {schema: {type: string}}}, style: form, explode: true, allowReserved: true, x-enc: 1}}\n        x-mt: 1\n  responses: {'200': {description: ok, headers: {X-R: {$ref: '#/components/headers/H'}, X-S: {description: d, schema: {type: integer}, required: true}}, links: {l: {operationId: o, parameters: {a: $request.path.id}}}, x-resp: 1}}\n", true, false},
		{"operation everything", "summary: s\ndescription: d\nx-pi: 1\nservers: [{url: 'https://{h}', description: d, variables: {h: {default: a, enum: [a, b], description: d, x-sv: 1}}, x-s: 1}]\nget:\n  tags: [a, b]\n  summary: s\n  description: d\n  operationId: o\n  deprecated: true\n  security: [{oauth: [read, null]}, {}, {key: []}]\n  servers: [{url: 'https://x'}]\n  externalDocs: {url: u}\n  callbacks: {cb: {'{$request.body#/url}': {post: {responses: {'200': {description: ok}}}}}}\n  responses: {'200': {description: ok}}\n  x-op: [1]\nadditionalOperations: {COPY: {responses: {'200': {description: ok}}}}\nquery: {responses: {}}\n", true, false},
		{"path item ref", "$ref: '#/components/pathItems/P'\nsummary: s\n", true, false},
		{"security scopes null", "get:\n  security: [{oauth: null}]\n", false, false},
		{"security scopes string", "get:\n  security: [{oauth: read}]\n", false, false},
		{"duplicate key", "get:\n  responses: {'200': {description: ok}}\n  summary: a\n  summary: b\n", false, false},
		{"merge key", "get:\n  <<: {summary: s}\n  responses: {}\n", false, false},
		{"anchor and alias", "get: &g\n  responses: {}\npost: *g\n", false, false},
		{"tagged collections", "x-m: !foo {a: 1}\nx-s: !bar [1]\n", false, false},
		{"binary tag", "x-b: !!binary aGVsbG8=\n", false, false},
		{"bool yes", "get:\n  deprecated: yes\n  responses: {}\n", false, false},
		{"bool quoted", "get:\n  deprecated: 'true'\n  responses: {}\n", false, false},
		{"sequence as path item", "- a\n", false, false},
	}
	for _, tc := range tests {
		for _, notation := range []string{"yaml", "json"} {
			t.Run(tc.name+"/"+notation, func(t *testing.T) {
				var n *yaml.Node
				if notation == "yaml" {
					n = parseTree([]byte(tc.yaml))
				} else {
					var v any
					if err := yaml.Unmarshal([]byte(tc.yaml), &v); err != nil {
						t.Skip("not JSON-able:", err)
					}
					js, err := json.Marshal(v)
					if err != nil {
						t.Skip("not JSON-able:", err)
					}
					if n, err = scanJSON(js); err != nil {
						t.Fatal(err)
					}
				}
				if n == nil {
					t.Fatalf("%q does not parse", tc.yaml)
				}
				if err := prepareNodes(n, 0); err != nil {
					if tc.took {
						t.Fatalf("prepareNodes: %v", err)
					}
					return // decodeTree leaves such a tree to the loader
				}
				took, failure := kdCompare(n, kdPathItem)
				if failure != "" {
					t.Fatal(failure)
				}
				want := tc.took && !(notation == "json" && tc.jsonLeft)
				if want && !took {
					t.Errorf("left to kin-openapi, want it decoded by hand")
				}
				if !want && took && notation == "yaml" {
					t.Errorf("decoded by hand, want it left to kin-openapi")
				}
			})
		}
	}
}

// TestKinDecodeFallsBack: decodePathItem decodes what the hand decoder
// leaves through kin-openapi, with kin-openapi's own error.
func TestKinDecodeFallsBack(t *testing.T) {
	for _, src := range []string{
		"get:\n  summary: a\n  summary: b\n  responses: {}\n",
		"get:\n  responses:\n",
		"get:\n  summary: 1\n",
	} {
		n := parseTree([]byte(src))
		if err := prepareNodes(n, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := kdPathItem(n); !errors.Is(err, errSlowDecode) {
			t.Fatalf("%q: hand decoder gave %v, want errSlowDecode", src, err)
		}
		want := &openapi3.PathItem{}
		wantErr := parseTree([]byte(src)).Decode(want)
		got, gotErr := decodePathItem(n)
		if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
			t.Fatalf("%q: error %v, want kin-openapi's %v", src, gotErr, wantErr)
		}
		if wantErr == nil {
			stampPathItem(want, parseTree([]byte(src)))
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: %s", src, kdDiff(reflect.ValueOf(got), reflect.ValueOf(want), "PathItem", 0))
			}
		}
	}
}

// TestKinDecodeKnowsEveryField: every key a kin-openapi type declares is a
// field to the hand decoder, not an extension, so a field a new
// kin-openapi adds is noticed here rather than decoded as an extension.
func TestKinDecodeKnowsEveryField(t *testing.T) {
	value := func(ref any, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return reflect.ValueOf(ref).Elem().FieldByName("Value").Interface(), nil
	}
	tests := []struct {
		typ    reflect.Type
		decode func(*yaml.Node) (any, error)
	}{
		{reflect.TypeFor[openapi3.T](), func(n *yaml.Node) (any, error) { return kdDoc(n) }},
		{reflect.TypeFor[openapi3.Info](), func(n *yaml.Node) (any, error) { return kdInfo(n) }},
		{reflect.TypeFor[openapi3.Contact](), func(n *yaml.Node) (any, error) { return kdContact(n) }},
		{reflect.TypeFor[openapi3.License](), func(n *yaml.Node) (any, error) { return kdLicense(n) }},
		{reflect.TypeFor[openapi3.Tag](), func(n *yaml.Node) (any, error) { return kdTag(n) }},
		{reflect.TypeFor[openapi3.Components](), func(n *yaml.Node) (any, error) { return kdComponents(n) }},
		{reflect.TypeFor[openapi3.SecurityScheme](), func(n *yaml.Node) (any, error) { return value(kdSecuritySchemeRef(n)) }},
		{reflect.TypeFor[openapi3.OAuthFlows](), func(n *yaml.Node) (any, error) { return kdOAuthFlows(n) }},
		{reflect.TypeFor[openapi3.OAuthFlow](), func(n *yaml.Node) (any, error) { return kdOAuthFlow(n) }},
		{reflect.TypeFor[openapi3.PathItem](), func(n *yaml.Node) (any, error) { return kdPathItem(n) }},
		{reflect.TypeFor[openapi3.Operation](), func(n *yaml.Node) (any, error) { return kdOperation(n) }},
		{reflect.TypeFor[openapi3.Parameter](), func(n *yaml.Node) (any, error) { return kdParameter(n) }},
		{reflect.TypeFor[openapi3.RequestBody](), func(n *yaml.Node) (any, error) { return value(kdRequestBodyRef(n)) }},
		{reflect.TypeFor[openapi3.Response](), func(n *yaml.Node) (any, error) { return value(kdResponseRef(n)) }},
		{reflect.TypeFor[openapi3.MediaType](), func(n *yaml.Node) (any, error) { return kdMediaType(n) }},
		{reflect.TypeFor[openapi3.Encoding](), func(n *yaml.Node) (any, error) { return kdEncoding(n) }},
		{reflect.TypeFor[openapi3.Example](), func(n *yaml.Node) (any, error) { return value(kdExampleRef(n)) }},
		{reflect.TypeFor[openapi3.Server](), func(n *yaml.Node) (any, error) { return kdServer(n) }},
		{reflect.TypeFor[openapi3.ServerVariable](), func(n *yaml.Node) (any, error) { return kdServerVariable(n) }},
		{reflect.TypeFor[openapi3.ExternalDocs](), func(n *yaml.Node) (any, error) { return kdExternalDocs(n) }},
		{reflect.TypeFor[openapi3.XML](), func(n *yaml.Node) (any, error) { return kdXML(n) }},
		{reflect.TypeFor[openapi3.Discriminator](), func(n *yaml.Node) (any, error) { return kdDiscriminator(n) }},
		{reflect.TypeFor[openapi3.Schema](), func(n *yaml.Node) (any, error) { return kdSchema(n) }},
	}
	for _, tc := range tests {
		keys := 0
		for f := range tc.typ.Fields() {
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || key == "-" || key == "" {
				continue
			}
			keys++
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
				{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
				{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"},
			}}
			got, err := tc.decode(n)
			if err != nil {
				if tc.typ.Name() == "Operation" && key == "responses" {
					continue // explicitlyNull: left to kin-openapi
				}
				t.Errorf("%s: %s: null: %v", tc.typ.Name(), key, err)
				continue
			}
			if ext := reflect.ValueOf(got).Elem().FieldByName("Extensions"); ext.Len() != 0 {
				t.Errorf("%s: declared key %q decoded as an extension", tc.typ.Name(), key)
			}
		}
		if keys == 0 {
			t.Errorf("%s: no keys", tc.typ.Name())
		}
	}
}

// TestKinDecodeDocSnippets: tricky document roots, decoded by hand and by
// kin-openapi, from YAML and from JSON.
func TestKinDecodeDocSnippets(t *testing.T) {
	const head = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n"
	tests := []struct {
		name string
		yaml string
		took bool
	}{
		{"minimal", head + "paths: {}\n", true},
		{"no paths", head, true},
		{"paths null", head + "paths:\n", true},
		{"paths with null item and extension", head + "paths: {/a: null, x-p: 1, /b: {get: {responses: {}}}}\n", true},
		{"everything", "openapi: 3.1.0\njsonSchemaDialect: d\nx-top: [1]\ninfo: {title: t, summary: s, description: d, termsOfService: u, version: '1', contact: {name: n, url: u, email: e, x-c: 1}, license: {name: MIT, identifier: MIT, url: u, x-l: 1}, x-i: 1}\n" +
			"servers: [{url: 'https://a'}]\ntags: [{name: a, description: d, externalDocs: {url: u}, x-t: 1}, null]\nexternalDocs: {url: u}\nsecurity: [{o: [a]}, {}]\n" +
			"webhooks: {w: {post: {responses: {'200': {description: ok}}}}, n: null}\n" +
			"components:\n  x-comp: 1\n  schemas: {A: {type: string}, B: true, C: null}\n  parameters: {P: {name: p, in: query}}\n  headers: {H: {schema: {type: string}}}\n  requestBodies: {B: {content: {}}}\n  responses: {R: {description: r}, N: null}\n" +
			"  securitySchemes:\n    o: {type: oauth2, description: d, flows: {implicit: {authorizationUrl: u, scopes: {a: b, n: null}}, password: {tokenUrl: u, scopes: {}}, clientCredentials: {tokenUrl: u, refreshUrl: r, scopes: {}, x-f: 1}, authorizationCode: {authorizationUrl: u, tokenUrl: t, scopes: {}}, x-fs: 1}, x-ss: 1}\n" +
			"    k: {type: apiKey, name: k, in: header}\n    h: {type: http, scheme: bearer, bearerFormat: JWT}\n    c: {type: openIdConnect, openIdConnectUrl: u}\n    r: {$ref: '#/components/securitySchemes/k', description: d}\n" +
			"  examples: {E: {value: 1}}\n  links: {L: {operationId: o}}\n  callbacks: {C: {'{$url}': {post: {responses: {}}}}}\n  pathItems: {P: {get: {responses: {}}}}\n", true},
		{"scopes number", head + "components: {securitySchemes: {o: {type: oauth2, flows: {implicit: {authorizationUrl: u, scopes: {a: 1}}}}}}\n", false},
		{"version number", "openapi: 3.0.3\ninfo: {title: t, version: 1}\n", false},
		{"openapi number", "openapi: 3.1\ninfo: {title: t, version: '1'}\n", false},
		{"tags strings", head + "tags: [a]\n", false},
		{"security null", head + "security:\n", true},
		{"security ref with sibling", head + "components: {securitySchemes: {r: {$ref: '#/x', x-a: 1}}}\n", true},
	}
	for _, tc := range tests {
		for _, notation := range []string{"yaml", "json"} {
			t.Run(tc.name+"/"+notation, func(t *testing.T) {
				data := []byte(tc.yaml)
				if notation == "json" {
					var v any
					if err := yaml.Unmarshal(data, &v); err != nil {
						t.Fatal(err)
					}
					js, err := json.Marshal(v)
					if err != nil {
						t.Fatal(err)
					}
					data = js
				}
				n := parseTree(data)
				if n == nil {
					t.Fatalf("%q does not parse", data)
				}
				if err := prepareNodes(n, 0); err != nil {
					t.Fatal(err)
				}
				took, failure := kdCompare(n, kdDoc)
				if failure != "" {
					t.Fatal(failure)
				}
				if tc.took != took && (notation == "yaml" || tc.took) {
					t.Errorf("decoded by hand: %v, want %v", took, tc.took)
				}
			})
		}
	}
}

// BenchmarkDecodePathItems decodes the path items of the 5,000-operation
// synthetic spec (YAML tree, prepared) one after the other, through
// kin-openapi's decode and by hand: the part of loading this file replaces.
func BenchmarkDecodePathItems(b *testing.B) {
	top := parseTree(synthSpec(5000))
	if err := prepareNodes(top, 0); err != nil {
		b.Fatal(err)
	}
	paths := entry(top, "paths")
	for _, how := range []string{"kin", "hand"} {
		b.Run(how, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for i := 1; i < len(paths.Content); i += 2 {
					var err error
					if how == "kin" {
						err = paths.Content[i].Decode(&openapi3.PathItem{})
					} else {
						_, err = kdPathItem(paths.Content[i])
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// FuzzKinDecode: on any YAML, the hand decoder either leaves a node to
// kin-openapi or gives exactly what kin-openapi gives, as a path item, a
// schema and a whole document.
//
//	go test ./generator -run '^$' -fuzz FuzzKinDecode -fuzztime 2m
func FuzzKinDecode(f *testing.F) {
	for _, seed := range []string{
		"get: {responses: {'200': {description: ok, content: {a/b: {schema: {type: [string, 'null'], enum: [1, x, null], minimum: 1e3}}}}}}\n",
		"parameters: [{name: a, in: query, schema: {$ref: '#/x'}}, {$ref: '#/p', summary: s}]\nx-a: {b: [1, 0x1F, 1_000, ~]}\n",
		"type: object\nadditionalProperties: false\nexclusiveMinimum: 3\nrequired: [a, null]\nproperties: {a: {items: true}}\n",
		"openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {/a: null, x-p: 1}\ncomponents: {securitySchemes: {o: {type: oauth2, flows: {implicit: {scopes: {a: b}}}}}}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := parseTree(data)
		if n == nil || prepareNodes(n, 0) != nil {
			return
		}
		for _, check := range []func() (bool, string){
			func() (bool, string) { return kdCompare(n, kdPathItem) },
			func() (bool, string) { return kdCompare(n, kdSchemaRef) },
			func() (bool, string) { return kdCompare(n, kdDoc) },
		} {
			if _, failure := check(); failure != "" {
				t.Fatalf("%q: %s", data, failure)
			}
		}
	})
}
