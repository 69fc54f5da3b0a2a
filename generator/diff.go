package generator

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Change is one difference between two documents' operations.
type Change struct {
	Kind      string // added, removed or changed
	Operation string // "POST /pets"
	Details   []string
}

// String is "+ OP", "- OP", or "~ OP" followed by its details, one per line.
func (c Change) String() string {
	switch c.Kind {
	case "added":
		return "+ " + c.Operation
	case "removed":
		return "- " + c.Operation
	}
	return "~ " + c.Operation + "\n    " + strings.Join(c.Details, "\n    ")
}

var pathParamRE = regexp.MustCompile(`\{[^}]*\}`)

// Diff lists the operations added, removed and changed (parameters, request
// body fields, responses and their fields) from old to new, in path order.
// Path parameters are compared by position, so a renamed {id} is the same path.
func Diff(old, new *openapi3.T) []Change {
	a, b := signatures(old), signatures(new)
	sorted := unionKeys(a, b)
	sort.Slice(sorted, func(i, j int) bool {
		pi, pj := a[sorted[i]], a[sorted[j]]
		if pi == nil {
			pi = b[sorted[i]]
		}
		if pj == nil {
			pj = b[sorted[j]]
		}
		if pi.path != pj.path {
			return pi.path < pj.path
		}
		return pi.method < pj.method
	})
	var out []Change
	for _, k := range sorted {
		x, y := a[k], b[k]
		switch {
		case x == nil:
			out = append(out, Change{Kind: "added", Operation: y.label()})
		case y == nil:
			out = append(out, Change{Kind: "removed", Operation: x.label()})
		default:
			var d []string
			d = append(d, compareMaps("parameter", x.params, y.params)...)
			d = append(d, compareMaps("body field", x.body, y.body)...)
			d = append(d, compareMaps("response", x.responses, y.responses)...)
			if len(d) > 0 {
				out = append(out, Change{Kind: "changed", Operation: y.label(), Details: d})
			}
		}
	}
	return out
}

type opSignature struct {
	method, path string
	params       map[string]string // "query limit" → "integer, required"
	body         map[string]string // "name" → "string, required"
	responses    map[string]string // "200" → "", "200 .name" → "string"
}

func (s *opSignature) label() string { return strings.ToUpper(s.method) + " " + s.path }

func signatures(doc *openapi3.T) map[string]*opSignature {
	out := map[string]*opSignature{}
	if doc == nil || doc.Paths == nil {
		return out
	}
	eachOperation(doc.Paths.Keys(), doc.Paths.Value, func(path, m string, item *openapi3.PathItem, op *openapi3.Operation) {
		out[m+" "+pathParamRE.ReplaceAllString(path, "{}")] = signature(&operation{path: path, method: m, item: item, op: op})
	})
	return out
}

// signature flattens what Diff compares of one operation.
func signature(o *operation) *opSignature {
	op := o.op
	s := &opSignature{method: o.method, path: o.path, params: map[string]string{}, body: map[string]string{}, responses: map[string]string{}}
	for _, p := range parameters(o) {
		s.params[p.In+" "+p.Name] = describeField(p.Schema, p.Required)
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		if c := sortedContent(op.RequestBody.Value.Content); len(c) > 0 {
			s.body["(media type)"] = c[0].ctype
			flatten(c[0].media.Schema, "", true, s.body, nil)
		}
	}
	if op.Responses == nil {
		return s
	}
	for _, code := range op.Responses.Keys() {
		r := op.Responses.Value(code)
		s.responses[code] = ""
		if r == nil || r.Value == nil {
			continue
		}
		if c := sortedContent(r.Value.Content); len(c) > 0 {
			fields := map[string]string{}
			flatten(c[0].media.Schema, "", true, fields, nil)
			for k, v := range fields {
				s.responses[code+" "+k] = v
			}
		}
	}
	return s
}

func describeField(ref *openapi3.SchemaRef, required bool) string {
	t := typeLabel(ref)
	if t == "" {
		t = "any"
	}
	if required {
		return t + ", required"
	}
	return t + ", optional"
}

// flatten records the fields of a schema as "a.b[].c" → "type, required".
func flatten(ref *openapi3.SchemaRef, prefix string, required bool, out map[string]string, stack []*openapi3.Schema) {
	if ref == nil || ref.Value == nil || len(stack) > maxSampleDepth || len(out) > maxNodes {
		return
	}
	for _, s := range stack {
		if s == ref.Value {
			return
		}
	}
	stack = append(stack, ref.Value)
	if prefix != "" {
		out[prefix] = describeField(ref, required)
	}
	req := map[string]bool{}
	for _, r := range ref.Value.Required {
		req[r] = true
	}
	for _, m := range ref.Value.AllOf {
		if m != nil && m.Value != nil {
			for _, r := range m.Value.Required {
				req[r] = true
			}
		}
	}
	for _, p := range properties(ref.Value) {
		name := p.name
		if prefix != "" {
			name = prefix + "." + p.name
		}
		flatten(p.ref, name, req[p.name], out, stack)
	}
	if ref.Value.Items != nil {
		flatten(ref.Value.Items, prefix+"[]", true, out, stack)
	}
}

func compareMaps(what string, a, b map[string]string) []string {
	sorted := unionKeys(a, b)
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		x, inA := a[k]
		y, inB := b[k]
		switch {
		case !inA:
			out = append(out, fmt.Sprintf("%s %s added%s", what, k, paren(y)))
		case !inB:
			out = append(out, fmt.Sprintf("%s %s removed", what, k))
		case x != y:
			out = append(out, fmt.Sprintf("%s %s changed: %s → %s", what, k, x, y))
		}
	}
	return out
}

// unionKeys lists the keys of a and b, each once, in no particular order.
func unionKeys[V any](a, b map[string]V) []string {
	out := make([]string, 0, len(a)+len(b))
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
