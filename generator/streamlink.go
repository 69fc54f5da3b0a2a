package generator

import "github.com/getkin/kin-openapi/openapi3"

// The $refs of a path item decoded on its own (stream.go) point at
// components that kin-openapi's ResolveRefsIn has already resolved in the
// rest of the document. Resolving them as it would for the whole document
// comes down to setting each reference's Value to its component's Value,
// and going on into what is written inline; running ResolveRefsIn per item
// would walk every component again each time. The walk follows the loader's
// (resolvePathItemRef and what it calls) place for place: what it leaves
// unresolved (encodings' headers, discriminator mappings) stays so here.
// Where the loader would fail, or anything is unusual, it returns false and
// the document is generated whole.

// maxLinkDepth bounds the walk of inline schemas (a decoded path item has
// no cycles: no aliases, and $refs are not followed).
const maxLinkDepth = 1000

// componentValue is the resolved value of the component ref names in the
// section, or nil.
func componentValue[R any, V any](ref, section string, m map[string]*R, value func(*R) *V) *V {
	sec, name, ok := componentRef(ref)
	if !ok || sec != section {
		return nil
	}
	r := m[name]
	if r == nil {
		return nil
	}
	return value(r)
}

func linkPathItem(p *openapi3.PathItem, c *openapi3.Components, depth int) bool {
	if p == nil || p.Ref != "" || depth > maxLinkDepth {
		return false
	}
	for _, x := range p.Parameters {
		if !linkParameter(x, c, depth) {
			return false
		}
	}
	for _, op := range p.Operations() {
		for _, x := range op.Parameters {
			if !linkParameter(x, c, depth) {
				return false
			}
		}
		if op.RequestBody != nil && !linkRequestBody(op.RequestBody, c, depth) {
			return false
		}
		for _, x := range op.Responses.Map() {
			if !linkResponse(x, c, depth) {
				return false
			}
		}
		for _, x := range op.Callbacks {
			if !linkCallback(x, c, depth) {
				return false
			}
		}
	}
	return true
}

func linkParameter(r *openapi3.ParameterRef, c *openapi3.Components, depth int) bool {
	if r == nil {
		return false
	}
	if r.Ref != "" {
		if c == nil {
			return false
		}
		r.Value = componentValue(r.Ref, "parameters", c.Parameters, func(x *openapi3.ParameterRef) *openapi3.Parameter { return x.Value })
		return r.Value != nil
	}
	return r.Value != nil && linkParameterValue(r.Value, c, depth)
}

func linkParameterValue(v *openapi3.Parameter, c *openapi3.Components, depth int) bool {
	if v.Content != nil && v.Schema != nil {
		return false // the loader refuses it
	}
	if !linkContent(v.Content, c, depth) || v.Schema != nil && !linkSchema(v.Schema, c, depth) {
		return false
	}
	return linkExamples(v.Examples, c)
}

func linkHeader(r *openapi3.HeaderRef, c *openapi3.Components, depth int) bool {
	if r == nil {
		return false
	}
	if r.Ref != "" {
		if c == nil {
			return false
		}
		r.Value = componentValue(r.Ref, "headers", c.Headers, func(x *openapi3.HeaderRef) *openapi3.Header { return x.Value })
		return r.Value != nil
	}
	if r.Value == nil {
		return false
	}
	v := &r.Value.Parameter
	if !linkContent(v.Content, c, depth) || v.Schema != nil && !linkSchema(v.Schema, c, depth) {
		return false
	}
	return linkExamples(v.Examples, c)
}

func linkRequestBody(r *openapi3.RequestBodyRef, c *openapi3.Components, depth int) bool {
	if r.Ref != "" {
		if c == nil {
			return false
		}
		r.Value = componentValue(r.Ref, "requestBodies", c.RequestBodies, func(x *openapi3.RequestBodyRef) *openapi3.RequestBody { return x.Value })
		return r.Value != nil
	}
	return r.Value != nil && linkContent(r.Value.Content, c, depth)
}

func linkResponse(r *openapi3.ResponseRef, c *openapi3.Components, depth int) bool {
	if r == nil {
		return false
	}
	if r.Ref != "" {
		if c == nil {
			return false
		}
		r.Value = componentValue(r.Ref, "responses", c.Responses, func(x *openapi3.ResponseRef) *openapi3.Response { return x.Value })
		return r.Value != nil
	}
	if r.Value == nil {
		return false
	}
	for _, h := range r.Value.Headers {
		if !linkHeader(h, c, depth) {
			return false
		}
	}
	if !linkContent(r.Value.Content, c, depth) {
		return false
	}
	for _, l := range r.Value.Links {
		if l == nil {
			return false
		}
		if l.Ref != "" {
			if c == nil {
				return false
			}
			if l.Value = componentValue(l.Ref, "links", c.Links, func(x *openapi3.LinkRef) *openapi3.Link { return x.Value }); l.Value == nil {
				return false
			}
		} else if l.Value == nil {
			return false
		}
	}
	return true
}

func linkCallback(r *openapi3.CallbackRef, c *openapi3.Components, depth int) bool {
	if r == nil {
		return false
	}
	if r.Ref != "" {
		if c == nil {
			return false
		}
		r.Value = componentValue(r.Ref, "callbacks", c.Callbacks, func(x *openapi3.CallbackRef) *openapi3.Callback { return x.Value })
		return r.Value != nil
	}
	if r.Value == nil {
		return false
	}
	for _, p := range r.Value.Map() {
		if !linkPathItem(p, c, depth+1) {
			return false
		}
	}
	return true
}

func linkContent(content openapi3.Content, c *openapi3.Components, depth int) bool {
	for _, mt := range content {
		if mt == nil {
			continue // the loader skips it too
		}
		if mt.Schema != nil && !linkSchema(mt.Schema, c, depth) || mt.ItemSchema != nil && !linkSchema(mt.ItemSchema, c, depth) {
			return false
		}
		if !linkExamples(mt.Examples, c) {
			return false
		}
	}
	return true
}

func linkExamples(m openapi3.Examples, c *openapi3.Components) bool {
	for _, r := range m {
		if r == nil {
			return false
		}
		if r.Ref != "" {
			if c == nil {
				return false
			}
			if r.Value = componentValue(r.Ref, "examples", c.Examples, func(x *openapi3.ExampleRef) *openapi3.Example { return x.Value }); r.Value == nil {
				return false
			}
		} else if r.Value == nil {
			return false
		}
	}
	return true
}

func linkSchema(r *openapi3.SchemaRef, c *openapi3.Components, depth int) bool {
	if r == nil || depth > maxLinkDepth {
		return false
	}
	if r.Ref != "" {
		if c == nil {
			return false
		}
		r.Value = componentValue(r.Ref, "schemas", c.Schemas, func(x *openapi3.SchemaRef) *openapi3.Schema { return x.Value })
		return r.Value != nil
	}
	v := r.Value
	if v == nil {
		return false
	}
	ok := true
	eachSubschema(v, func(x *openapi3.SchemaRef) {
		if ok && !linkSchema(x, c, depth+1) {
			ok = false
		}
	})
	return ok
}

// eachSubschema calls fn with every schema place of s that kin-openapi's
// loader resolves (resolveSchemaRef), nil entries of lists and maps
// included; optional single places only when set.
func eachSubschema(s *openapi3.Schema, fn func(*openapi3.SchemaRef)) {
	for _, x := range []*openapi3.SchemaRef{s.Items, s.AdditionalProperties.Schema, s.Not, s.Contains, s.PropertyNames,
		s.UnevaluatedItems.Schema, s.UnevaluatedProperties.Schema, s.If, s.Then, s.Else, s.ContentSchema} {
		if x != nil {
			fn(x)
		}
	}
	for _, m := range []openapi3.Schemas{s.Properties, s.PatternProperties, s.DependentSchemas, s.Defs} {
		for _, x := range m {
			fn(x)
		}
	}
	for _, l := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems} {
		for _, x := range l {
			fn(x)
		}
	}
}

// sharedSchemas are the schemas of the components, and every schema inside
// them: the ones path items share, which the builder's caches may keep
// (builder.keep).
func sharedSchemas(c *openapi3.Components) map[*openapi3.Schema]bool {
	keep := map[*openapi3.Schema]bool{}
	if c == nil {
		return keep
	}
	var schema func(r *openapi3.SchemaRef)
	schema = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil || keep[r.Value] {
			return
		}
		keep[r.Value] = true
		eachSubschema(r.Value, schema)
	}
	content := func(ct openapi3.Content) {
		for _, mt := range ct {
			if mt != nil {
				schema(mt.Schema)
				schema(mt.ItemSchema)
			}
		}
	}
	parameter := func(p *openapi3.Parameter) {
		if p != nil {
			schema(p.Schema)
			content(p.Content)
		}
	}
	header := func(h *openapi3.HeaderRef) {
		if h != nil && h.Value != nil {
			parameter(&h.Value.Parameter)
		}
	}
	seenItems := map[*openapi3.PathItem]bool{}
	var pathItem func(p *openapi3.PathItem)
	pathItem = func(p *openapi3.PathItem) {
		if p == nil || seenItems[p] {
			return
		}
		seenItems[p] = true
		for _, x := range p.Parameters {
			if x != nil {
				parameter(x.Value)
			}
		}
		for _, op := range p.Operations() {
			for _, x := range op.Parameters {
				if x != nil {
					parameter(x.Value)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				content(op.RequestBody.Value.Content)
			}
			for _, x := range op.Responses.Map() {
				if x != nil && x.Value != nil {
					content(x.Value.Content)
					for _, h := range x.Value.Headers {
						header(h)
					}
				}
			}
			for _, cb := range op.Callbacks {
				if cb != nil && cb.Value != nil {
					for _, q := range cb.Value.Map() {
						pathItem(q)
					}
				}
			}
		}
	}
	for _, x := range c.Schemas {
		schema(x)
	}
	for _, x := range c.Parameters {
		if x != nil {
			parameter(x.Value)
		}
	}
	for _, x := range c.Headers {
		header(x)
	}
	for _, x := range c.RequestBodies {
		if x != nil && x.Value != nil {
			content(x.Value.Content)
		}
	}
	for _, x := range c.Responses {
		if x != nil && x.Value != nil {
			content(x.Value.Content)
			for _, h := range x.Value.Headers {
				header(h)
			}
		}
	}
	for _, x := range c.Callbacks {
		if x != nil && x.Value != nil {
			for _, p := range x.Value.Map() {
				pathItem(p)
			}
		}
	}
	return keep
}
