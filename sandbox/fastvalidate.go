package sandbox

import (
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// queryCheck validates a GET operation whose parameters are all plain
// strings in the query, without openapi3filter's per-request decoding
// (a quarter of an inquiry's handler time): each value goes straight to its
// schema. It only ever says "valid": anything unusual, and every finding,
// goes to openapi3filter.ValidateRequest, whose errors the answers quote.
type queryCheck struct {
	params []*openapi3.Parameter
	checks []func(string) bool // params[i]'s schema, compiled (stringCheckFor)
	names  flatNames           // params' names, for plainQueryInto
}

// newQueryChecks prepares a queryCheck for each route that qualifies.
func newQueryChecks(routes map[routeKey]*routers.Route) map[*routers.Route]*queryCheck {
	out := map[*routers.Route]*queryCheck{}
	for _, route := range routes {
		if c := newQueryCheck(route); c != nil {
			out[route] = c
		}
	}
	return out
}

func newQueryCheck(route *routers.Route) *queryCheck {
	op := route.Operation
	if route.Method != http.MethodGet || op.RequestBody != nil || len(route.PathItem.Parameters) > 0 {
		return nil
	}
	c := &queryCheck{}
	var opts []openapi3.SchemaValidationOption
	if route.Spec.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	for _, ref := range op.Parameters {
		p := ref.Value
		if p == nil || p.In != openapi3.ParameterInQuery || p.Content != nil || p.AllowEmptyValue ||
			(p.Style != "" && p.Style != openapi3.SerializationForm) || p.Schema == nil || p.Schema.Value == nil {
			return nil
		}
		s := p.Schema.Value
		if s.Type == nil || !s.Type.Is(openapi3.TypeString) || len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) > 0 || s.Not != nil {
			return nil
		}
		c.params = append(c.params, p)
		c.checks = append(c.checks, stringCheckFor(route, s, opts))
	}
	c.names = make(flatNames, len(c.params))
	for _, p := range c.params {
		c.names[p.Name] = &flatName{key: p.Name}
	}
	return c
}

// stringCheckFor is schemaCheckFor for a string.
func stringCheckFor(route *routers.Route, s *openapi3.Schema, opts []openapi3.SchemaValidationOption) func(string) bool {
	if !route.Spec.IsOpenAPI31OrLater() {
		if c := compileStringCheck(s); c != nil {
			return c
		}
	}
	c := schemaCheckFor(route, s, opts)
	return func(v string) bool { return c(v) }
}

// schemaCheckFor is compileCheck for an OpenAPI 3.0 document, and
// kin-openapi's walk for 3.1, whose JSON Schema 2020 rules it does not know.
func schemaCheckFor(route *routers.Route, s *openapi3.Schema, opts []openapi3.SchemaValidationOption) schemaCheck {
	if route.Spec.IsOpenAPI31OrLater() {
		return kinCheck(s, opts)
	}
	return compileCheck(s, opts)
}

// valid reports whether q certainly passes; false means "ask openapi3filter".
func (c *queryCheck) valid(q url.Values) bool {
	for _, vs := range q {
		if len(vs) != 1 {
			return false
		}
	}
	for i, p := range c.params {
		vs, found := q[p.Name]
		if !found {
			if p.Required {
				return false
			}
			continue
		}
		if vs[0] == "" || !c.checks[i](vs[0]) {
			return false
		}
	}
	return true
}

// validPlain is valid for a query plainQuery read: one value per name.
func (c *queryCheck) validPlain(in map[string]any) bool {
	for i, p := range c.params {
		v, found := in[p.Name]
		if !found {
			if p.Required {
				return false
			}
			continue
		}
		if s, _ := v.(string); s == "" || !c.checks[i](s) {
			return false
		}
	}
	return true
}

// plainQuery reads a query that url.ParseQuery would read without any
// decoding: name=value pairs with no %, + or ; and no name twice. in maps
// each name to its value (slices of raw, no copies); plain is false, and
// in nil, for any other query, which the caller hands to url.ParseQuery
// (its parse was a fifth of a balance inquiry's validation).
func plainQuery(raw string) (in map[string]any, plain bool) {
	return plainQueryInto(raw, nil, nil)
}

// plainQueryInto is plainQuery filling into, an empty map, when it is not
// nil (a recycled input map: inputMaps), with the value of a name in
// names as flatName.valueString gives it. An empty query gives a nil map.
func plainQueryInto(raw string, names flatNames, into map[string]any) (in map[string]any, plain bool) {
	if strings.ContainsAny(raw, "%+;") {
		return nil, false
	}
	if raw == "" {
		return nil, true // a POST's: its body is the input
	}
	if in = into; in == nil {
		in = make(map[string]any, strings.Count(raw, "&")+1)
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue // ParseQuery skips empty pairs too
		}
		k, v, _ := strings.Cut(pair, "=")
		if _, dup := in[k]; dup {
			return nil, false
		}
		if n := names[k]; n != nil && v != "" {
			in[n.key] = n.valueString(v)
		} else {
			in[k] = v
		}
	}
	return in, true
}

// bodyCheck is queryCheck for a JSON body, for operations without
// parameters. The value checked is the one openapi3filter would check:
// validate decodes with UseNumber as openapi3filter does, and hands it the
// re-encoded value whenever it normalised the body.
type bodyCheck struct {
	content openapi3.Content
	media   *openapi3.MediaType // content's application/json
	schema  *openapi3.Schema    // media's, flattened (flatSchema)
	check   schemaCheck         // schema, compiled (schemaCheckFor)
	names   flatNames           // schema's property names, for decodeFlatObject
	// props are the properties' checks when check is compileObject's (an
	// OpenAPI 3.0 object it knows): then seq, the keys of the last body that
	// passed check, all properties, in their order, lets a body with the
	// same keys in the same order be judged by its values alone. Its key
	// set is the same, so the object's own rules (required,
	// additionalProperties, min/maxProperties) give the same verdict; the
	// keys are matched while decoding, without looking each up by name:
	// the lookups and the object walk were a third of a withdraw's checks.
	props map[string]schemaCheck
	seq   atomic.Pointer[keySeq]
}

// keySeq is a body's keys in order, with their checks.
type keySeq struct {
	names  []*flatName
	checks []schemaCheck
}

// maxSeqKeys bounds the keys a decoded body's order is kept for.
const maxSeqKeys = 64

// seqMatch is what decodeFlatObjectInto reports about a body's keys against
// a bodyCheck's seq, for validBody.
// Fixed arrays rather than slices, so that it stays on its caller's stack.
type seqMatch struct {
	seq   *keySeq               // the expected order (nil: none yet)
	same  bool                  // the keys were seq's, in order
	known bool                  // every key was in names, and order holds them all
	n     int                   // the keys in order and vals
	order [maxSeqKeys]*flatName // the keys in order
	vals  [maxSeqKeys]any       // their values, when same
}

func newBodyChecks(routes map[routeKey]*routers.Route) map[*routers.Route]*bodyCheck {
	out := map[*routers.Route]*bodyCheck{}
	for _, route := range routes {
		op := route.Operation
		if op.RequestBody == nil || op.RequestBody.Value == nil || len(op.Parameters) > 0 || len(route.PathItem.Parameters) > 0 {
			continue
		}
		mt := op.RequestBody.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || len(mt.Encoding) > 0 ||
			mt.Schema.Value.Type == nil || !mt.Schema.Value.Type.Is(openapi3.TypeObject) {
			continue
		}
		c := &bodyCheck{content: op.RequestBody.Value.Content, media: mt, schema: mt.Schema.Value}
		opts := []openapi3.SchemaValidationOption{openapi3.VisitAsRequest()}
		if route.Spec.IsOpenAPI31OrLater() {
			opts = append(opts, openapi3.EnableJSONSchema2020())
		} else {
			c.schema = flatSchema(c.schema)
		}
		c.check = schemaCheckFor(route, c.schema, opts)
		if !route.Spec.IsOpenAPI31OrLater() && len(c.schema.AllOf) == 0 && c.schema.Type.Is(openapi3.TypeObject) &&
			compileNode(c.schema, opts, 0) != nil {
			c.props = compileProps(c.schema, opts, 0)
		}
		c.names = make(flatNames, len(c.schema.Properties))
		for name := range c.schema.Properties {
			c.names[name] = &flatName{key: name}
		}
		out[route] = c
	}
	return out
}

// valid reports whether body (decoded) certainly passes for a request with
// this Content-Type; false means "ask openapi3filter".
func (c *bodyCheck) valid(contentType string, body map[string]any) bool {
	return c.validDecoded(contentType, body, nil)
}

// validDecoded is valid for a body decodeFlatObjectInto decoded with sm
// (nil: decoded otherwise, or changed since).
func (c *bodyCheck) validDecoded(contentType string, body map[string]any, sm *seqMatch) bool {
	if contentType == "" || body == nil {
		return false
	}
	// The media type openapi3filter would pick for this Content-Type.
	if c.content.Get(contentType) != c.media {
		return false
	}
	if sm != nil && sm.same {
		for i, v := range sm.vals[:sm.n] {
			if !sm.seq.checks[i](v) {
				return false
			}
		}
		return true
	}
	if !c.check(body) {
		return false
	}
	// Remember these keys for the next body, when they are all properties
	// and none repeats (the map would hold fewer).
	if c.props != nil && sm != nil && sm.known && sm.n == len(body) {
		seq := &keySeq{names: slices.Clone(sm.order[:sm.n]), checks: make([]schemaCheck, sm.n)}
		for i, n := range seq.names {
			if seq.checks[i] = c.props[n.key]; seq.checks[i] == nil {
				return true
			}
		}
		c.seq.Store(seq)
	}
	return true
}

// flatSchema returns s with each property written `allOf: [X]` and nothing
// but annotations besides (how the spec puts x-obpm-generate or a
// description on a $ref) replaced by X: the same verdicts (allOf of one
// schema is that schema) without visiting an allOf per field, a tenth of a
// withdraw's time. A wrapper with anything else (a constraint, nullable,
// readOnly), or around a readOnly or writeOnly X, is kept as it is: those
// change how the object around it is judged.
func flatSchema(s *openapi3.Schema) *openapi3.Schema {
	var props openapi3.Schemas
	for name, ref := range s.Properties {
		inner := unwrapAllOf(ref)
		if inner == ref {
			continue
		}
		if props == nil {
			props = maps.Clone(s.Properties)
		}
		props[name] = inner
	}
	if props == nil {
		return s
	}
	flat := *s
	flat.Properties = props
	return &flat
}

func unwrapAllOf(ref *openapi3.SchemaRef) *openapi3.SchemaRef {
	w := ref.Value
	if w == nil || len(w.AllOf) != 1 || w.AllOf[0] == nil || w.AllOf[0].Value == nil {
		return ref
	}
	inner := w.AllOf[0]
	if inner.Value.ReadOnly || inner.Value.WriteOnly {
		return ref
	}
	// The wrapper without its allOf and its annotations must be the zero
	// Schema, field by field (empty lists and maps count as unset): any
	// other field, known today or added to kin-openapi later, keeps it.
	bare := *w
	bare.AllOf, bare.Extensions, bare.Origin = nil, nil, nil
	bare.Description, bare.Title, bare.Example, bare.Deprecated, bare.ExternalDocs = "", "", nil, false, nil
	v := reflect.ValueOf(&bare).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Len() == 0 && f.CanSet() {
			f.SetZero()
		}
	}
	if !reflect.DeepEqual(bare, openapi3.Schema{}) {
		return ref
	}
	return inner
}
