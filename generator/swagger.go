package generator

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"net/url"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// convertSwagger turns a Swagger 2.0 document (its tree top, read from name)
// into the tree of the OpenAPI 3.0 document kin-openapi's openapi2conv makes
// of it. $refs to other files are inlined first, under the same policy as
// OpenAPI documents: openapi2conv only knows this document's own
// #/definitions, #/parameters and #/responses.
func convertSwagger(ctx context.Context, top *yaml.Node, name, display string, opts LoadOptions) (*yaml.Node, []Warning, error) {
	if v := entry(top, "swagger"); v.Value != "2.0" {
		return nil, nil, fmt.Errorf("load spec %s: this is Swagger %s; obpm reads Swagger 2.0 and OpenAPI 3.0/3.1", display, v.Value)
	}
	r, err := newResolver(ctx, top, name, opts)
	if err != nil {
		return nil, nil, err
	}
	r.inlineExternal(top, ctxNode{f: r.root}, 0)
	var doc2 openapi2.T
	js, err := nodeJSON(top)
	if err != nil {
		return nil, nil, fmt.Errorf("load spec %s: %w", display, err)
	}
	if err := json.Unmarshal(js, &doc2); err != nil {
		return nil, nil, fmt.Errorf("load spec %s: not a valid Swagger 2.0 document: %v", display, err)
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		return nil, fmt.Errorf("reading %s is not allowed here", u)
	}
	doc3, err := openapi2conv.ToV3WithLoader(&doc2, loader, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("load spec %s: converting Swagger 2.0 to OpenAPI 3: %v", display, err)
	}
	data, err := json.Marshal(doc3)
	if err != nil {
		return nil, nil, fmt.Errorf("load spec %s: converting Swagger 2.0 to OpenAPI 3: %v", display, err)
	}
	conv := parseFull(data)
	if conv == nil {
		return nil, nil, fmt.Errorf("load spec %s: converting Swagger 2.0 to OpenAPI 3 gave no document", display)
	}
	ws := append(r.warnings, Warning{Place: display, Message: "Swagger 2.0 document, converted to OpenAPI 3.0 on load"})
	return conv, ws, nil
}

// inlineExternal replaces every $ref that leaves the root file by its
// target (Swagger 2.0 has no components to bundle into); a $ref back into
// the root becomes local again.
func (r *resolver) inlineExternal(n *yaml.Node, c ctxNode, depth int) {
	n = deref(n)
	if n == nil || depth > 256 {
		return
	}
	if n.Kind == yaml.MappingNode {
		if ref, ok := refOf(n); ok && (c.f != r.root || !strings.HasPrefix(ref, "#")) {
			refNode := entry(n, "$ref")
			place := where(c.f, refNode, c.ptr())
			target, tc, err := r.resolve(c.f, ref)
			switch {
			case err != nil:
				r.warn(place, fmt.Sprintf("$ref %q: %v; replaced by an empty object", ref, err))
				*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				return
			case tc.f == r.root:
				refNode.Value = "#" + tc.ptr()
				return
			case r.visiting[tc.f.key+"#"+tc.ptr()]:
				r.warn(place, fmt.Sprintf("$ref %q refers back to itself; replaced by an empty object", ref))
				*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				return
			}
			cp := clone(target, &r.budget)
			if cp == nil {
				r.warn(place, fmt.Sprintf("$ref %q: the document expands beyond %d nodes (YAML aliases?); replaced by an empty object", ref, maxLoadNodes))
				cp = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			}
			if cp.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if k := n.Content[i].Value; k != "$ref" {
						setEntry(cp, k, n.Content[i+1])
					}
				}
			}
			*n = *cp
			key := tc.f.key + "#" + tc.ptr()
			r.visiting[key] = true
			defer delete(r.visiting, key)
			r.inlineExternal(n, tc, depth+1)
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			r.inlineExternal(n.Content[i+1], c.child(n.Content[i].Value), depth+1)
		}
		return
	}
	for i, x := range n.Content {
		r.inlineExternal(x, c.child(fmt.Sprint(i)), depth+1)
	}
}

// stampOrderV2 sets the order origins of a converted document from the
// Swagger tree: operations, definitions' properties (components.schemas) and
// the schemas of body parameters and responses.
func stampOrderV2(doc *openapi3.T, top *yaml.Node) {
	each(entry(top, "paths"), func(k, v *yaml.Node) {
		item := doc.Paths.Value(k.Value)
		if item == nil {
			return
		}
		each(v, func(mk, mv *yaml.Node) {
			if indexOf(httpMethods(), mk.Value) < 0 {
				return
			}
			op := item.GetOperation(strings.ToUpper(mk.Value))
			if op == nil {
				return
			}
			op.Origin = at(mk)
			if params := entry(mv, "parameters"); params != nil && op.RequestBody != nil && op.RequestBody.Ref == "" && op.RequestBody.Value != nil {
				for _, p := range params.Content {
					if in := entry(p, "in"); in != nil && in.Value == "body" {
						for _, mt := range op.RequestBody.Value.Content {
							stampSchema(mt.Schema, entry(p, "schema"))
						}
					}
				}
			}
			if op.Responses != nil {
				each(entry(mv, "responses"), func(rk, rv *yaml.Node) {
					if resp := op.Responses.Value(rk.Value); resp != nil && resp.Ref == "" && resp.Value != nil {
						for _, mt := range resp.Value.Content {
							stampSchema(mt.Schema, entry(rv, "schema"))
						}
					}
				})
			}
		})
	})
	if doc.Components != nil {
		each(entry(top, "definitions"), func(k, v *yaml.Node) { stampSchema(doc.Components.Schemas[k.Value], v) })
	}
}
