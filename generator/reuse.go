package generator

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/getkin/kin-openapi/openapi3"
	postman "github.com/rbretecher/go-postman-collection"
)

// reuse holds what the builder computes once and hands to every request
// that needs the same thing (BenchmarkGenerateLarge: a large document's
// operations share their response schemas, so their test scripts are the
// same text). Values handed out are shared: callers never modify them.
type reuse struct {
	captures map[*openapi3.Schema][]capture
	samples  map[sampleKey]string
	// warnCalls counts builder.warn calls, deduplicated or not: a sample
	// made without one is the same wherever it is made (see sampleBody).
	warnCalls int
	tests     map[testKey][]string
	// testNameFree: the request-test template does not read .Name (the
	// embedded one does not), so its output depends on the key alone. nil:
	// not looked at yet.
	testNameFree *bool
	auths        map[*scheme]*postman.Auth
	noauth       *postman.Auth
	buf          bytes.Buffer // see jsonString
	// freshTests and freshSamples are the entries keyed by a path item's own
	// schemas or references, dropped with the item when streaming (builder.keep).
	freshTests   []testKey
	freshSamples []sampleKey
	// off computes everything anew: TestReuseIsTransparent compares both.
	off bool
}

// testKey is what a request's test script depends on besides its name: the
// success codes and the response schema (responseSchema and captures are
// functions of the schema).
type testKey struct {
	status string
	schema *openapi3.Schema
}

// captures is the package's captures, remembered per schema. A schema's
// captures do not depend on the reference to it: the top-level schema
// captures nothing (its path is empty).
func (b *builder) captures(ref *openapi3.SchemaRef) []capture {
	if ref.Value == nil || b.reuse.off {
		return captures(ref, b.properties)
	}
	if c, ok := b.reuse.captures[ref.Value]; ok {
		return c
	}
	if b.reuse.captures == nil {
		b.reuse.captures = map[*openapi3.Schema][]capture{}
	}
	c := captures(ref, b.properties)
	b.reuse.captures[ref.Value] = c
	b.cached(ref.Value)
	return c
}

// testScriptKey is the key the test script of a request with these success
// codes and response schema is remembered under; ok is false when it must
// be rendered anew (the template reads the name, or the schema is unresolved).
func (b *builder) testScriptKey(status []int, schema *openapi3.SchemaRef) (k testKey, ok bool) {
	if b.reuse.testNameFree == nil {
		free := nameFree(b.tmpl.requestTest)
		b.reuse.testNameFree = &free
	}
	if b.reuse.off || !*b.reuse.testNameFree || (schema != nil && schema.Value == nil) {
		return testKey{}, false
	}
	buf := make([]byte, 0, 4*len(status))
	for _, n := range status {
		buf = strconv.AppendInt(buf, int64(n), 10)
		buf = append(buf, ',')
	}
	k.status = string(buf)
	if schema != nil {
		k.schema = schema.Value
	}
	return k, true
}

// nameFree reports whether a template surely never reads the data's Name
// field: no field named Name anywhere, and the data (dot or $) never passed
// whole to a function, a variable or another template. It errs on the side
// of false.
func nameFree(t *template.Template) bool {
	if t == nil || t.Tree == nil {
		return false
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil && tt != t {
			return false // defined templates: not worth following
		}
	}
	var ok func(n parse.Node) bool
	ok = func(n parse.Node) bool {
		switch x := n.(type) {
		case nil:
			return true
		case *parse.ListNode:
			if x == nil {
				return true
			}
			for _, c := range x.Nodes {
				if !ok(c) {
					return false
				}
			}
			return true
		case *parse.TextNode, *parse.CommentNode, *parse.BoolNode, *parse.NumberNode, *parse.StringNode, *parse.NilNode, *parse.BreakNode, *parse.ContinueNode:
			return true
		case *parse.ActionNode:
			return ok(x.Pipe)
		case *parse.PipeNode:
			if x == nil {
				return true
			}
			if len(x.Decl) > 0 {
				return false
			}
			for _, c := range x.Cmds {
				if !ok(c) {
					return false
				}
			}
			return true
		case *parse.CommandNode:
			for _, a := range x.Args {
				if !ok(a) {
					return false
				}
			}
			return true
		case *parse.IdentifierNode:
			return true
		case *parse.FieldNode:
			for _, id := range x.Ident {
				if strings.EqualFold(id, "Name") {
					return false
				}
			}
			return true
		case *parse.IfNode:
			return ok(x.Pipe) && ok(x.List) && ok(x.ElseList)
		}
		// dot, variables, range, with, template calls, chains: the data may
		// reach something that reads its name.
		return false
	}
	return ok(t.Tree.Root)
}

// sampleKey is what a schema-derived body depends on besides the place it is
// derived for: the schema, the reference's own extensions (every $ref is a
// reference of its own: keyed by it only when it has some), JSON or text,
// and whether the place lies in a request body (read-only properties are
// left out there). Place parts are joined by '.', "[]" and ".*", none of
// them in "requestBody", so nested places contain it only where the top one
// or a property name does, and property names come from the schema.
type sampleKey struct {
	schema                *openapi3.Schema
	ref                   *openapi3.SchemaRef
	asJSON, inRequestBody bool
}

// sampleBody is the text of b.sample(ref, place, nil) (JSON pretty-printed,
// else as a scalar), remembered per sampleKey when deriving it warned about
// nothing: then nothing in it depended on the place (the place only names
// warnings), and its other effects (variable examples, opt-ins) are
// first-wins, already recorded by the first derivation. A shared error
// schema is then derived once, not once per response.
func (b *builder) sampleBody(ref *openapi3.SchemaRef, place string, asJSON bool) string {
	k := sampleKey{asJSON: asJSON, inRequestBody: strings.Contains(place, "requestBody")}
	switch {
	case ref == nil:
	case ref.Value == nil || len(ref.Extensions) > 0:
		k.ref = ref
	default:
		k.schema = ref.Value
	}
	if t, ok := b.reuse.samples[k]; ok {
		return t
	}
	calls := b.reuse.warnCalls
	v, _ := b.sample(ref, place, nil)
	t := b.bodyText(v, asJSON)
	if b.reuse.warnCalls == calls && !b.reuse.off {
		if b.reuse.samples == nil {
			b.reuse.samples = map[sampleKey]string{}
		}
		b.reuse.samples[k] = t
		if b.keep != nil && (k.ref != nil || k.schema != nil && !b.keep[k.schema]) {
			b.reuse.freshSamples = append(b.reuse.freshSamples, k)
		}
	}
	return t
}

// schemeAuth is the request auth of a scheme, made by mk once per scheme:
// it depends on the scheme alone (oauth2Params' URL variables are named on
// the first call and the same after), and requests only read it.
func (b *builder) schemeAuth(sc *scheme, mk func() *postman.Auth) *postman.Auth {
	if b.reuse.off {
		return mk()
	}
	if a, ok := b.reuse.auths[sc]; ok {
		return a
	}
	if b.reuse.auths == nil {
		b.reuse.auths = map[*scheme]*postman.Auth{}
	}
	a := mk()
	b.reuse.auths[sc] = a
	return a
}

// noauth is the auth of requests that need none, one for all of them.
func (b *builder) noauth() *postman.Auth {
	if b.reuse.off {
		return &postman.Auth{Type: "noauth"}
	}
	if b.reuse.noauth == nil {
		b.reuse.noauth = &postman.Auth{Type: "noauth"}
	}
	return b.reuse.noauth
}

// sortedKeys is slices.Sorted(maps.Keys(m)) without the iterator's
// allocations, and none at all for the empty maps most are (an operation's
// callbacks, a response's headers).
func sortedKeys[M ~map[string]V, V any](m M) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonString is writeJSON(v, indent) as a string, written in a buffer the
// builder keeps: only the string is allocated, not the buffer's growth.
func (b *builder) jsonString(v any, indent string) string {
	b.reuse.buf.Reset()
	writeJSON(&b.reuse.buf, v, "", indent)
	return b.reuse.buf.String()
}
