package generator

import (
	"bytes"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/obpm/obpm/internal/yamlfast"
)

// The generator orders operations, example maps and schema properties as the
// document writes them, by the origins kin-openapi records. Its IncludeOrigin
// records a file, line, column, end and field list for every element and
// costs more than the rest of the load together (5,000-operation synthetic
// spec: about 5 s against 2 s; BenchmarkLoadLarge). So the loader runs
// without it and stampOrder sets only the positions the generator reads: the
// key of each operation, of each entry of an examples map and of each schema
// property, from the node tree the resolver (resolve.go) already parsed.
// When the resolver inlined parts of other files, every node of the tree is
// first renumbered in document order (renumber), so an operation that lives
// in paths/x.yaml sorts where the root names its path. Aliases and merge keys
// are ordered where they are written. TestOrderStampsMatchOrigins proves
// both ways give the same collections.

// unmarshalYAML parses one YAML document into its document node: the
// common subset by internal/yamlfast (the same nodes, several times faster;
// its tests compare it with yaml.v4 node for node), anything else, errors
// included, by yaml.v4.
func unmarshalYAML(data []byte) (*yaml.Node, error) {
	if doc, ok := yamlfast.Parse(data); ok {
		return doc, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// parseTree parses a document into nodes: JSON with scanJSON (a YAML parse
// of a 20 MB JSON document took 2.4 s and 1.9 GB), the rest as YAML.
func parseTree(data []byte) *yaml.Node {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		if n, err := scanJSON(data); err == nil {
			return n
		}
	}
	root, err := unmarshalYAML(data)
	if err != nil || root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil
	}
	return root.Content[0]
}

// maxJSONDepth bounds the recursion on hostile input (encoding/json allows
// 10,000 levels).
const maxJSONDepth = 10000

// entry is the value of key in mapping n (merge keys followed), or nil.
func entry(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && !isMerge(n.Content[i]) {
			return deref(n.Content[i+1])
		}
		if isMerge(n.Content[i]) {
			merged = append(merged, mergedMaps(n.Content[i+1])...)
		}
	}
	for _, m := range merged {
		if v := entry(m, key); v != nil {
			return v
		}
	}
	return nil
}

// each calls fn with every key and value of mapping n, in document order;
// the entries a merge key ("<<") brings in come at its place, unless n
// sets the key itself.
func each(n *yaml.Node, fn func(k, v *yaml.Node)) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMerge(n.Content[i]) {
			eachDepth(n, fn, map[string]bool{}, 0)
			return
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i], n.Content[i+1])
	}
}

func eachDepth(n *yaml.Node, fn func(k, v *yaml.Node), seen map[string]bool, depth int) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > 16 {
		return
	}
	own := map[string]bool{}
	hasMerge := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMerge(n.Content[i]) {
			hasMerge = true
		} else {
			own[n.Content[i].Value] = true
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if isMerge(k) {
			for _, m := range mergedMaps(n.Content[i+1]) {
				sub := map[string]bool{}
				for key := range seen {
					sub[key] = true
				}
				for key := range own {
					sub[key] = true
				}
				eachDepth(m, func(mk, mv *yaml.Node) {
					if !seen[mk.Value] && !own[mk.Value] {
						seen[mk.Value] = true
						fn(mk, mv)
					}
				}, sub, depth+1)
			}
			continue
		}
		if hasMerge || depth > 0 {
			if seen[k.Value] {
				continue
			}
			seen[k.Value] = true
		}
		fn(k, n.Content[i+1])
	}
}

// isMerge: k is a YAML merge key ("<<" unquoted).
func isMerge(k *yaml.Node) bool {
	return len(k.Value) == 2 && k.Value == "<<" && k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// mergedMaps are the mappings a merge key's value brings in.
func mergedMaps(v *yaml.Node) []*yaml.Node {
	v = deref(v)
	if v == nil {
		return nil
	}
	if v.Kind == yaml.SequenceNode {
		var out []*yaml.Node
		for _, x := range v.Content {
			if x = deref(x); x != nil && x.Kind == yaml.MappingNode {
				out = append(out, x)
			}
		}
		return out
	}
	if v.Kind == yaml.MappingNode {
		return []*yaml.Node{v}
	}
	return nil
}

// at is the position of key k as IncludeOrigin records it.
func at(k *yaml.Node) *openapi3.Origin {
	return &openapi3.Origin{Key: &openapi3.Location{Line: k.Line, Column: k.Column, Name: k.Value}}
}

// stampOrder sets the origins the generator orders by on doc, loaded from
// the document whose mapping is top (see LoadData).
func stampOrder(doc *openapi3.T, top *yaml.Node) {
	each(entry(top, "paths"), func(k, v *yaml.Node) {
		if item := doc.Paths.Value(k.Value); item != nil {
			stampPathItem(item, v)
		}
	})
	stampComponents(doc, top)
}

// stampPathItem stamps one path item from its node.
func stampPathItem(item *openapi3.PathItem, n *yaml.Node) {
	each(n, func(mk, mv *yaml.Node) {
		if mk.Value == "parameters" {
			stampParameters(item.Parameters, mv)
			return
		}
		if indexOf(httpMethods(), mk.Value) < 0 {
			return
		}
		if op := item.GetOperation(strings.ToUpper(mk.Value)); op != nil {
			op.Origin = at(mk)
			stampOperation(op, mv)
		}
	})
}

// stampComponents stamps what components hold.
func stampComponents(doc *openapi3.T, top *yaml.Node) {
	c := doc.Components
	if c == nil {
		return
	}
	comps := entry(top, "components")
	each(entry(comps, "schemas"), func(k, v *yaml.Node) { stampSchema(c.Schemas[k.Value], v) })
	each(entry(comps, "parameters"), func(k, v *yaml.Node) { stampParameter(c.Parameters[k.Value], v) })
	each(entry(comps, "headers"), func(k, v *yaml.Node) { stampHeader(c.Headers[k.Value], v) })
	each(entry(comps, "requestBodies"), func(k, v *yaml.Node) { stampRequestBody(c.RequestBodies[k.Value], v) })
	each(entry(comps, "responses"), func(k, v *yaml.Node) { stampResponse(c.Responses[k.Value], v) })
}

func stampOperation(op *openapi3.Operation, n *yaml.Node) {
	stampParameters(op.Parameters, entry(n, "parameters"))
	stampRequestBody(op.RequestBody, entry(n, "requestBody"))
	if op.Responses != nil {
		each(entry(n, "responses"), func(k, v *yaml.Node) { stampResponse(op.Responses.Value(k.Value), v) })
	}
}

func stampParameters(ps openapi3.Parameters, n *yaml.Node) {
	if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) != len(ps) {
		return
	}
	for i, pn := range n.Content {
		stampParameter(ps[i], pn)
	}
}

// The stamp functions stop at a $ref: its target is stamped where it is
// defined (components), once.

func stampParameter(r *openapi3.ParameterRef, n *yaml.Node) {
	if r != nil && r.Ref == "" && r.Value != nil {
		stampParameterValue(r.Value, n)
	}
}

func stampHeader(r *openapi3.HeaderRef, n *yaml.Node) {
	if r != nil && r.Ref == "" && r.Value != nil {
		stampParameterValue(&r.Value.Parameter, n)
	}
}

func stampParameterValue(p *openapi3.Parameter, n *yaml.Node) {
	stampSchema(p.Schema, entry(n, "schema"))
	stampExamples(p.Examples, entry(n, "examples"))
	stampContent(p.Content, entry(n, "content"))
}

func stampRequestBody(r *openapi3.RequestBodyRef, n *yaml.Node) {
	if r != nil && r.Ref == "" && r.Value != nil {
		stampContent(r.Value.Content, entry(n, "content"))
	}
}

func stampResponse(r *openapi3.ResponseRef, n *yaml.Node) {
	if r == nil || r.Ref != "" || r.Value == nil {
		return
	}
	stampContent(r.Value.Content, entry(n, "content"))
	each(entry(n, "headers"), func(k, v *yaml.Node) { stampHeader(r.Value.Headers[k.Value], v) })
}

func stampContent(c openapi3.Content, n *yaml.Node) {
	each(n, func(k, v *yaml.Node) {
		if mt := c[k.Value]; mt != nil {
			stampSchema(mt.Schema, entry(v, "schema"))
			stampExamples(mt.Examples, entry(v, "examples"))
		}
	})
}

func stampExamples(m openapi3.Examples, n *yaml.Node) {
	each(n, func(k, _ *yaml.Node) {
		if r := m[k.Value]; r != nil {
			r.Origin = at(k)
		}
	})
}

// stampSchema stamps the keys of a schema's properties, and goes on into
// every place an inline schema can sit.
func stampSchema(r *openapi3.SchemaRef, n *yaml.Node) {
	if r == nil || r.Ref != "" || r.Value == nil || n == nil || n.Kind != yaml.MappingNode {
		return
	}
	s := r.Value
	each(n, func(k, v *yaml.Node) {
		switch k.Value {
		case "properties":
			each(v, func(pk, pv *yaml.Node) {
				if p := s.Properties[pk.Value]; p != nil {
					p.Origin = at(pk)
					stampSchema(p, pv)
				}
			})
		case "items":
			stampSchema(s.Items, v)
		case "not":
			stampSchema(s.Not, v)
		case "additionalProperties":
			stampSchema(s.AdditionalProperties.Schema, v)
		case "allOf":
			stampSchemas(s.AllOf, v)
		case "oneOf":
			stampSchemas(s.OneOf, v)
		case "anyOf":
			stampSchemas(s.AnyOf, v)
		}
	})
}

func stampSchemas(rs openapi3.SchemaRefs, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode || len(n.Content) != len(rs) {
		return
	}
	for i, c := range n.Content {
		stampSchema(rs[i], c)
	}
}
