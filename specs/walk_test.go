package specs

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// docOp is one operation with where it sits, in document order.
type docOp struct {
	Method string
	Path   string
	Op     *openapi3.Operation
	Line   int
}

func (o docOp) String() string { return fmt.Sprintf("%s %s (line %d)", o.Method, o.Path, o.Line) }

// loadDoc loads the embedded document or stops the test.
func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := LoadOpenBanking(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// operations returns every operation ordered by its line in the document,
// the order the generator uses for requests.
func operations(doc *openapi3.T) []docOp {
	var ops []docOp
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			line := 0
			if op.Origin != nil && op.Origin.Key != nil {
				line = op.Origin.Key.Line
			}
			ops = append(ops, docOp{Method: method, Path: path, Op: op, Line: line})
		}
	}
	slices.SortFunc(ops, func(a, b docOp) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Method, b.Method))
	})
	return ops
}

// walkSchema calls visit for ref and every schema below it (properties,
// items, allOf/oneOf/anyOf/not, additionalProperties), with a JSON-pointer-like
// place. Component schemas reached through $ref are walked once per call
// chain only, which is enough for a document without recursive schemas.
func walkSchema(place string, ref *openapi3.SchemaRef, visit func(place string, ref *openapi3.SchemaRef)) {
	walkSchemaSeen(place, ref, visit, map[*openapi3.Schema]bool{})
}

func walkSchemaSeen(place string, ref *openapi3.SchemaRef, visit func(string, *openapi3.SchemaRef), seen map[*openapi3.Schema]bool) {
	if ref == nil {
		return
	}
	visit(place, ref)
	s := ref.Value
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	defer delete(seen, s)
	for _, name := range sortedKeys(s.Properties) {
		walkSchemaSeen(place+"/properties/"+name, s.Properties[name], visit, seen)
	}
	walkSchemaSeen(place+"/items", s.Items, visit, seen)
	for i, sub := range s.AllOf {
		walkSchemaSeen(fmt.Sprintf("%s/allOf/%d", place, i), sub, visit, seen)
	}
	for i, sub := range s.OneOf {
		walkSchemaSeen(fmt.Sprintf("%s/oneOf/%d", place, i), sub, visit, seen)
	}
	for i, sub := range s.AnyOf {
		walkSchemaSeen(fmt.Sprintf("%s/anyOf/%d", place, i), sub, visit, seen)
	}
	walkSchemaSeen(place+"/not", s.Not, visit, seen)
	if s.AdditionalProperties.Schema != nil {
		walkSchemaSeen(place+"/additionalProperties", s.AdditionalProperties.Schema, visit, seen)
	}
}

// properties returns the properties of an object schema including those
// contributed by allOf members, and the union of their required lists.
func properties(s *openapi3.Schema) (map[string]*openapi3.SchemaRef, []string) {
	props := map[string]*openapi3.SchemaRef{}
	var required []string
	if s == nil {
		return props, nil
	}
	for _, sub := range s.AllOf {
		p, r := properties(sub.Value)
		for k, v := range p {
			if _, ok := props[k]; !ok {
				props[k] = v
			}
		}
		required = append(required, r...)
	}
	for k, v := range s.Properties {
		props[k] = v // the schema's own property wins over an allOf member's
	}
	required = append(required, s.Required...)
	slices.Sort(required)
	return props, slices.Compact(required)
}

// schemaExample returns the schema's own example, or one from an allOf
// member (a wrapper `allOf: [$ref]` inherits the component's example).
func schemaExample(s *openapi3.Schema) (any, bool) {
	if s == nil {
		return nil, false
	}
	if s.Example != nil {
		return s.Example, true
	}
	for _, sub := range s.AllOf {
		if ex, ok := schemaExample(sub.Value); ok {
			return ex, true
		}
	}
	return nil, false
}

// schemaDescription returns the schema's description or an allOf member's.
func schemaDescription(s *openapi3.Schema) string {
	if s == nil {
		return ""
	}
	if s.Description != "" {
		return s.Description
	}
	for _, sub := range s.AllOf {
		if d := schemaDescription(sub.Value); d != "" {
			return d
		}
	}
	return ""
}

// extension returns a string-valued vendor extension of a schema, looking
// only at the schema itself (extensions do not inherit through $ref).
func extension(ext map[string]any, name string) string {
	v, _ := ext[name].(string)
	return v
}

// mediaExamples returns the example values of a media type: its `example`
// and each of its named `examples`, keyed by a name for messages.
func mediaExamples(mt *openapi3.MediaType) map[string]any {
	out := map[string]any{}
	if mt.Example != nil {
		out["example"] = mt.Example
	}
	for name, ex := range mt.Examples {
		if ex != nil && ex.Value != nil {
			out["examples/"+name] = ex.Value.Value
		}
	}
	return out
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// hasHangulAndLatin reports whether a description carries both Korean and
// English text, as the issue asks for every field.
func hasHangulAndLatin(s string) bool {
	hangul, latin := false, false
	for _, r := range s {
		switch {
		case r >= 0xAC00 && r <= 0xD7A3:
			hangul = true
		case r >= 'a' && r <= 'z':
			latin = true
		}
	}
	return hangul && latin
}

// opName names an operation in failure messages.
func opName(o docOp) string {
	return strings.TrimSpace(o.Op.OperationID + " " + o.String())
}
