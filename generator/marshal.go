package generator

import (
	"bytes"
	"encoding/json"
	"fmt"

	postman "github.com/rbretecher/go-postman-collection"
)

// marshalCollection writes the collection as Postman exports it (v2.1, tab
// indented), bridging go-postman-collection v0.9.0's gaps:
//   - Collection.Write drops the marshal error: we marshal ourselves and check it;
//   - Info has no _postman_id: we add a stable one so a re-import replaces;
//   - QueryParam has no "disabled": optional query parameters get it here;
//   - a GET request with only a URL is written as a bare string without JSON
//     escaping: every request here has a description, so the object form (and
//     encoding/json's escaping) is always used; TestURLWithQuotesStaysValidJSON
//     guards it.
//
// The library's output is decoded into generic values, patched, and encoded
// again with sorted keys and no HTML escaping, so the bytes are deterministic.
func marshalCollection(c *postman.Collection, id string, disabled map[*postman.QueryParam]bool) ([]byte, error) {
	c.Info.Schema = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var tree map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("re-read library output: %w", err)
	}
	info, ok := tree["info"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("library output has no info object")
	}
	info["_postman_id"] = id
	if err := patchItems(c.Items, tree["item"], disabled); err != nil {
		return nil, err
	}
	return encode(tree)
}

// patchItems walks the library items and their JSON side by side and marks
// disabled query parameters.
func patchItems(items []*postman.Items, node any, disabled map[*postman.QueryParam]bool) error {
	arr, _ := node.([]any)
	if len(arr) != len(items) {
		return fmt.Errorf("item count mismatch while patching (%d vs %d)", len(arr), len(items))
	}
	for i, it := range items {
		obj, _ := arr[i].(map[string]any)
		if obj == nil {
			return fmt.Errorf("item %q was not written as an object", it.Name)
		}
		if it.IsGroup() {
			if err := patchItems(it.Items, obj["item"], disabled); err != nil {
				return err
			}
			continue
		}
		if it.Request == nil || it.Request.URL == nil {
			continue
		}
		req, _ := obj["request"].(map[string]any)
		if req == nil {
			return fmt.Errorf("request %q was not written as an object", it.Name)
		}
		u, _ := req["url"].(map[string]any)
		q, _ := u["query"].([]any)
		for j, qp := range it.Request.URL.Query {
			if j < len(q) && disabled[qp] {
				if m, ok := q[j].(map[string]any); ok {
					m["disabled"] = true
				}
			}
		}
	}
	return nil
}

// encode writes JSON tab-indented without HTML escaping (scripts keep < and &).
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
