package generator

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"text/template"

	"github.com/getkin/kin-openapi/openapi3"
	postman "github.com/rbretecher/go-postman-collection"
)

// cellRewrite is cell without its fast path.
func cellRewrite(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func TestCellFastPathIsRewrite(t *testing.T) {
	cases := []string{"", "a", " a", "a ", "a  b", "a b c", "a|b", "a\tb", "a\nb", "a\r\nb", "\x01", "x\u00a0y", "x\u0085y",
		"x\u2028y", "x\u3000y", "한국 어", "bad \xff utf8", "\xc2", "\xc2\xa0", "trailing\u00a0", "ok-text, (with) punctuation."}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", " ", "|", "\n", "\r", "\t", "\u00a0", "한", "\xff", "\xc2", "\v", "\x00"}
	for range 5000 {
		var sb strings.Builder
		for range r.IntN(8) {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		cases = append(cases, sb.String())
	}
	for _, s := range cases {
		if got, want := cell(s), cellRewrite(s); got != want {
			t.Errorf("cell(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestStatusTextFastPathIsSscanf(t *testing.T) {
	sscanf := func(code string) string {
		var n int
		if _, err := fmt.Sscanf(code, "%d", &n); err == nil {
			if t := http.StatusText(n); t != "" {
				return t
			}
		}
		return code
	}
	for n := range 1000 {
		code := fmt.Sprintf("%03d", n)
		if got, want := statusText(code), sscanf(code); got != want {
			t.Errorf("statusText(%q) = %q, want %q", code, got, want)
		}
	}
	for _, code := range []string{"2XX", "default", "20", "2000", "+200", " 200"} {
		if got, want := statusText(code), sscanf(code); got != want {
			t.Errorf("statusText(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestNameFree(t *testing.T) {
	tmpl, err := loadTemplates(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !nameFree(tmpl.requestTest) {
		t.Error("the embedded request-test template reads no name, yet its scripts are rendered per request")
	}
	for src, want := range map[string]bool{
		`{{json .Status}} {{if .Schema}}{{.Schema}}{{end}}`: true,
		`{{.Name}}`:                              false,
		`{{json .}}`:                             false,
		`{{$x := .Status}}{{$x}}`:                false,
		`{{with .Captures}}{{.}}{{end}}`:         false,
		`{{range .Status}}{{.}}{{end}}`:          false,
		`{{define "n"}}x{{end}}{{template "n"}}`: false,
		`{{if .Status}}{{.Name}}{{end}}`:         false,
	} {
		tt := template.Must(template.New("t").Funcs(template.FuncMap{"json": jsonText}).Parse(src))
		if got := nameFree(tt); got != want {
			t.Errorf("nameFree(%s) = %v, want %v", src, got, want)
		}
	}
}

// TestTestScriptsOwnNames: a --templates test script that reads the
// request's name is rendered per request, not reused across requests that
// share a response schema.
func TestTestScriptsOwnNames(t *testing.T) {
	doc, err := LoadData(context.Background(), synthSpec(6), "")
	if err != nil {
		t.Fatal(err)
	}
	over := fstest.MapFS{tmplRequestTest: {Data: []byte("// test of {{.Name}}: {{json .Status}}\n")}}
	res, err := Generate(doc, Options{Templates: over})
	if err != nil {
		t.Fatal(err)
	}
	col := string(res.Files[0].Data)
	for _, name := range []string{"get resource 0", "post resource 0", "get resource 2"} {
		if !strings.Contains(col, `"// test of `+name+`: [200]"`) {
			t.Errorf("no test script naming %q in the collection", name)
		}
	}
}

// TestReuseIsTransparent: what reuse.go remembers changes nothing. On every
// test document the requests, warnings, variable examples and opt-ins are
// the same with and without it.
func TestReuseIsTransparent(t *testing.T) {
	docs := append(testDocuments(t), testDocument{name: "shared schemas that warn", load: func(t *testing.T) *openapi3.T {
		d, err := LoadData(context.Background(), []byte(reuseSpec), "")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}})
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			doc := d.load(t)
			with, wb := newTestBuilder(t, doc, Options{}, false)
			without, nb := newTestBuilder(t, doc, Options{}, true)
			a, b := encodeAll(t, with), encodeAll(t, without)
			if !bytes.Equal(a, b) {
				t.Errorf("requests differ (\"golden\" is without reuse):\n%s", firstDiff(b, a))
			}
			if !reflect.DeepEqual(wb.warnings, nb.warnings) {
				t.Errorf("warnings differ:\n with    %v\n without %v", wb.warnings, nb.warnings)
			}
			if !reflect.DeepEqual(wb.varExamples, nb.varExamples) || !reflect.DeepEqual(wb.optIn, nb.optIn) || !reflect.DeepEqual(wb.manual, nb.manual) {
				t.Error("variable examples, opt-ins or manual requests differ")
			}
		})
	}
}

// encodeAll encodes every request of items, in order, through the library.
func encodeAll(t *testing.T, items []*postman.Items) []byte {
	var out []byte
	for _, it := range items {
		if it.IsGroup() {
			out = append(out, encodeAll(t, it.Items)...)
			continue
		}
		data, err := encodeLibrary(it, "")
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, data...), '\n')
	}
	return out
}

// reuseSpec shares response schemas whose derivation warns (a pattern Go
// cannot match, a variable marker that is not a name) and one with read-only
// properties under a path that names "requestBody".
const reuseSpec = `openapi: 3.0.3
info: {title: reuse, version: "1"}
paths:
  /a:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Odd'}}}}
        '404': {description: no, content: {text/plain: {schema: {$ref: '#/components/schemas/Odd'}}}}
  /b:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Odd'}}}}
        '201': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Marked'}}}}
  /requestBody/c:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/RO'}}}}
  /d:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/RO'}}}}
        '201': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Marked'}}}}
components:
  schemas:
    Odd:
      type: object
      properties:
        code: {type: string, pattern: '^(?=a)a+$'}
    Marked:
      type: object
      properties:
        v: {type: string, x-obpm-variable: 'not a name'}
        w: {type: string, x-obpm-variable: fine_name, example: ex}
    RO:
      type: object
      properties:
        id: {type: string, readOnly: true}
        name: {type: string}
`

// TestUsesObpmInlineCycles: schemas that refer to each other without a $ref
// (a loader may share them) neither make usesObpm endless nor hide a mark.
func TestUsesObpmInlineCycles(t *testing.T) {
	for _, marked := range []bool{false, true} {
		a, b := &openapi3.Schema{}, &openapi3.Schema{}
		a.Properties = openapi3.Schemas{"b": {Value: b}}
		b.Properties = openapi3.Schemas{"a": {Value: a}}
		b.Items = &openapi3.SchemaRef{Value: a}
		deep := a
		for range 64 {
			next := &openapi3.Schema{}
			deep.Properties["next"] = &openapi3.SchemaRef{Value: next}
			next.Properties = openapi3.Schemas{"back": {Value: a}}
			deep = next
		}
		if marked {
			deep.Extensions = map[string]any{"x-obpm-variable": "v"}
		}
		paths := openapi3.NewPaths()
		paths.Set("/x", &openapi3.PathItem{Get: &openapi3.Operation{
			RequestBody: &openapi3.RequestBodyRef{Value: &openapi3.RequestBody{Content: openapi3.NewContentWithJSONSchema(a)}},
		}})
		if got := usesObpm(&openapi3.T{Paths: paths}); got != marked {
			t.Errorf("marked %v: usesObpm = %v", marked, got)
		}
	}
}

// TestObjectKeepsOrderAcrossIndex: an object keeps its keys in first-set
// order and finds them, below and above the size where it indexes them.
func TestObjectKeepsOrderAcrossIndex(t *testing.T) {
	o := newObject()
	var want []string
	for i := range 3 * smallObject {
		k := fmt.Sprintf("k%d", (i*7)%(3*smallObject))
		o.set(k, i)
		want = append(want, k)
		o.set(want[0], -i) // an update moves nothing
		for j, k := range want {
			v, ok := o.get(k)
			if !ok || (j > 0 && v != j) || (j == 0 && v != -i) {
				t.Fatalf("after %d sets: get(%s) = %v, %v", i+1, k, v, ok)
			}
		}
		if _, ok := o.get("missing"); ok || o.has("missing") || o.value("missing") != nil {
			t.Fatal("found a key never set")
		}
	}
	if !slices.Equal(o.keys, want) {
		t.Errorf("keys %v, want %v", o.keys, want)
	}
}
