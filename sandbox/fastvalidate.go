package sandbox

import (
	"net/http"
	"net/url"

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
	opts   []openapi3.SchemaValidationOption
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
	if route.Spec.IsOpenAPI31OrLater() {
		c.opts = append(c.opts, openapi3.EnableJSONSchema2020())
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
	}
	return c
}

// valid reports whether q certainly passes; false means "ask openapi3filter".
func (c *queryCheck) valid(q url.Values) bool {
	for _, vs := range q {
		if len(vs) != 1 {
			return false
		}
	}
	for _, p := range c.params {
		vs, found := q[p.Name]
		if !found {
			if p.Required {
				return false
			}
			continue
		}
		if vs[0] == "" || p.Schema.Value.VisitJSON(vs[0], c.opts...) != nil {
			return false
		}
	}
	return true
}

// bodyCheck is queryCheck for a JSON body, for operations without
// parameters. The value checked is the one openapi3filter would check:
// validate decodes with UseNumber as openapi3filter does, and hands it the
// re-encoded value whenever it normalised the body.
type bodyCheck struct {
	content openapi3.Content
	media   *openapi3.MediaType // content's application/json
	opts    []openapi3.SchemaValidationOption
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
		c := &bodyCheck{content: op.RequestBody.Value.Content, media: mt, opts: []openapi3.SchemaValidationOption{openapi3.VisitAsRequest()}}
		if route.Spec.IsOpenAPI31OrLater() {
			c.opts = append(c.opts, openapi3.EnableJSONSchema2020())
		}
		out[route] = c
	}
	return out
}

// valid reports whether body (decoded) certainly passes for a request with
// this Content-Type; false means "ask openapi3filter".
func (c *bodyCheck) valid(contentType string, body map[string]any) bool {
	if contentType == "" || body == nil {
		return false
	}
	// The media type openapi3filter would pick for this Content-Type.
	return c.content.Get(contentType) == c.media && c.media.Schema.Value.VisitJSON(body, c.opts...) == nil
}
