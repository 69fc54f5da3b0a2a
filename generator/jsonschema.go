package generator

import (
	"maps"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// jsonSchema converts an OpenAPI schema into a self-contained JSON Schema
// (draft-07, which the Ajv inside Postman's sandbox reads) for response
// validation: $refs inlined, nullable as a "null" type, oneOf relaxed to anyOf
// (overlapping alternatives are common and would fail oneOf), and formats and
// patterns left out (Ajv rejects unknown formats; regex dialects differ). A
// cycle or the depth limit becomes {} (anything), so recursive schemas stay finite.
func jsonSchema(ref *openapi3.SchemaRef, stack []*openapi3.Schema, nodes *int) *object {
	o := newObject()
	if *nodes++; ref == nil || ref.Value == nil || *nodes > maxNodes {
		return o
	}
	s := ref.Value
	for _, seen := range stack {
		if seen == s {
			return o
		}
	}
	if len(stack) >= maxSampleDepth {
		return o
	}
	stack = append(stack, s)
	if s.Type != nil && len(*s.Type) > 0 {
		types := append([]string(nil), s.Type.Slice()...)
		if s.Nullable && !contains(types, "null") {
			types = append(types, "null")
		}
		if len(types) == 1 {
			o.set("type", types[0])
		} else {
			arr := make([]any, len(types))
			for i, t := range types {
				arr[i] = t
			}
			o.set("type", arr)
		}
	}
	if len(s.Enum) > 0 {
		enum := append([]any(nil), s.Enum...)
		if s.Nullable {
			enum = append(enum, nil)
		}
		o.set("enum", enum)
	}
	if s.Const != nil {
		o.set("const", s.Const)
	}
	if len(s.Properties) > 0 {
		props := newObject()
		own := slices.Sorted(maps.Keys(s.Properties))
		for _, k := range own {
			if p := s.Properties[k]; p != nil && p.Value != nil && p.Value.WriteOnly {
				continue
			}
			props.set(k, jsonSchema(s.Properties[k], stack, nodes))
		}
		o.set("properties", props)
	}
	var req []any
	for _, r := range s.Required {
		if p := s.Properties[r]; p != nil && p.Value != nil && p.Value.WriteOnly {
			continue
		}
		req = append(req, r)
	}
	if len(req) > 0 {
		o.set("required", req)
	}
	if s.Items != nil {
		o.set("items", jsonSchema(s.Items, stack, nodes))
	}
	if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
		o.set("additionalProperties", false)
	} else if s.AdditionalProperties.Schema != nil {
		o.set("additionalProperties", jsonSchema(s.AdditionalProperties.Schema, stack, nodes))
	}
	for _, g := range []struct {
		key  string
		refs openapi3.SchemaRefs
	}{{"allOf", s.AllOf}, {"anyOf", append(append(openapi3.SchemaRefs(nil), s.OneOf...), s.AnyOf...)}} {
		if len(g.refs) == 0 {
			continue
		}
		arr := make([]any, 0, len(g.refs))
		for _, r := range g.refs {
			arr = append(arr, jsonSchema(r, stack, nodes))
		}
		o.set(g.key, arr)
	}
	if s.Min != nil {
		o.set("minimum", *s.Min)
	}
	if s.Max != nil {
		o.set("maximum", *s.Max)
	}
	if s.MinItems > 0 {
		o.set("minItems", s.MinItems)
	}
	if s.MaxItems != nil {
		o.set("maxItems", *s.MaxItems)
	}
	return o
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// capture is an x-obpm-capture: save the value at path (property names and
// array index 0) of the response into the environment variable Var.
type capture struct {
	Var  string `json:"var"`
	Path []any  `json:"path"`
}

// captures finds the x-obpm-capture marks of a response schema in property
// order; props lists a schema's properties (properties, or a cache of it).
func captures(ref *openapi3.SchemaRef, props func(*openapi3.Schema) []namedSchema) []capture {
	var out []capture
	seen := map[string]bool{}
	nodes := 0
	var walk func(ref *openapi3.SchemaRef, path []any, stack []*openapi3.Schema)
	walk = func(ref *openapi3.SchemaRef, path []any, stack []*openapi3.Schema) {
		if nodes++; ref == nil || ref.Value == nil || len(stack) > maxSampleDepth || nodes > maxNodes {
			return
		}
		for _, s := range stack {
			if s == ref.Value {
				return
			}
		}
		for _, ext := range []map[string]any{ref.Extensions, ref.Value.Extensions} {
			if name, ok := ext["x-obpm-capture"].(string); ok && validVarName(name) && len(path) > 0 && !seen[name] {
				seen[name] = true
				out = append(out, capture{Var: name, Path: append([]any(nil), path...)})
			}
		}
		stack = append(stack, ref.Value)
		for _, p := range props(ref.Value) {
			walk(p.ref, append(path, p.name), stack)
		}
		if ref.Value.Items != nil {
			walk(ref.Value.Items, append(path, 0), stack)
		}
	}
	walk(ref, nil, nil)
	return out
}
