package generator

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// decodeTree builds kin-openapi's document from the tree the resolver
// already holds, as its loader would from bytes (LoadFromData: parse,
// prepare the scalars, decode, ResolveRefsIn) but without parsing the
// document a second time, or writing it out as JSON first when the resolver
// changed it. On the 5,000-operation synthetic spec the loader's own parse
// was a third of the whole run (BenchmarkLoadLarge).
//
// It returns nil when it cannot: on any error, and for a tree with YAML
// aliases (nodeJSON bounds their expansion; the loader's path keeps its
// limits). The caller then runs the loader on the bytes, whose messages
// explainLoadError knows, so a bad document is reported exactly as before.
// TestDecodeTreeMatchesLoader proves both ways give the same document.
//
// With stampPaths, the caller no longer needs the tree under paths (the
// loader's path would read the bytes): each path item is then decoded on its
// own, stamped (stampPathItem) and cut from the tree, so the tree and the
// document are not both whole in memory at once (5,000 operations: 180 MB of
// nodes and 90 MB of document). stamped says it was done; the caller stamps
// the rest (stampComponents). cut says path items were cut from the tree
// (even when it then failed).
func decodeTree(ctx context.Context, top *yaml.Node, stampPaths bool) (doc *openapi3.T, stamped, cut bool) {
	defer func() {
		if recover() != nil {
			doc, stamped = nil, false // the loader's path reports it
		}
	}()
	if top == nil || top.Kind != yaml.MappingNode {
		return nil, false, false
	}
	if err := prepareNodes(top, 0); err != nil {
		return nil, false, false
	}
	doc = &openapi3.T{}
	var paths *yaml.Node
	at := -1
	if stampPaths {
		at, paths = pathsEntry(top)
	}
	if paths != nil {
		// Decoded below, item by item.
		top.Content[at] = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	err := decodeDoc(top, doc) // kindecode.go, else kin-openapi's decode
	if paths != nil {
		top.Content[at] = paths
	}
	if err != nil {
		return nil, false, false
	}
	if paths != nil {
		cut = true
		if doc.Paths, err = decodePaths(paths); err != nil {
			return nil, false, true
		}
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = false
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		return nil, fmt.Errorf("reading %s is not allowed here", u)
	}
	if err := loader.ResolveRefsIn(doc, nil); err != nil {
		return nil, false, cut
	}
	if doc.Paths == nil {
		doc.Paths = openapi3.NewPaths()
	}
	return doc, paths != nil, cut
}

// pathsEntry finds the paths mapping that decodePaths can take item by
// item: its index in top.Content and its node, or nil when it is not a
// plain mapping (merge keys, a key written twice: the document decodes whole).
func pathsEntry(top *yaml.Node) (int, *yaml.Node) {
	at := -1
	for i := 0; i+1 < len(top.Content); i += 2 {
		k := top.Content[i]
		if kinMergeKey(k) {
			return -1, nil
		}
		if k.Value == "paths" {
			if at >= 0 {
				return -1, nil
			}
			at = i + 1
		}
	}
	if at < 0 || top.Content[at].Kind != yaml.MappingNode {
		return -1, nil
	}
	paths := top.Content[at]
	seen := make(map[string]bool, len(paths.Content)/2)
	for i := 0; i+1 < len(paths.Content); i += 2 {
		k := paths.Content[i]
		if kinMergeKey(k) || k.Kind != yaml.ScalarNode || seen[k.Value] {
			return -1, nil
		}
		seen[k.Value] = true
	}
	return at, paths
}

// decodePaths decodes a paths mapping as kin-openapi's Paths.UnmarshalYAML
// does (extensions through it, each item on its own), stamping each item
// and then cutting its subtree from the tree.
func decodePaths(n *yaml.Node) (*openapi3.Paths, error) {
	ext := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.HasPrefix(n.Content[i].Value, "x-") {
			ext.Content = append(ext.Content, n.Content[i], n.Content[i+1])
		}
	}
	paths := &openapi3.Paths{}
	if err := ext.Decode(paths); err != nil {
		return nil, err
	}
	// Items are independent (no aliases here: prepareNodes), so they are
	// decoded on all CPUs.
	type result struct {
		item *openapi3.PathItem
		err  error
	}
	results := make([]result, len(n.Content)/2)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(results)/32+1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(results) {
					return
				}
				k, v := n.Content[2*i], n.Content[2*i+1]
				if strings.HasPrefix(k.Value, "x-") {
					continue
				}
				results[i].item, results[i].err = decodePathItem(v)
			}
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		if r.item != nil {
			paths.Set(n.Content[2*i].Value, r.item)
		}
	}
	return paths, nil
}

// errNotFast says the tree must go through the loader's own path.
var errNotFast = errors.New("decode through the loader")

// prepareNodes does what kin-openapi's loader does to a freshly parsed tree
// before decoding it (prepareScalars, unexported there): a key is read as
// the text it is written with, an application's own tag (!md) and a
// date-shaped scalar as a string; infinities and NaN are refused. Aliases
// are refused here (see decodeTree). The retagging changes nothing nodeJSON
// would write, so the loader's path can still run on the tree afterwards.
func prepareNodes(n *yaml.Node, depth int) error {
	if depth > maxJSONDepth {
		return errNotFast
	}
	switch n.Kind {
	case yaml.AliasNode:
		return errNotFast
	case yaml.ScalarNode:
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") || n.Tag == "!!timestamp" {
			n.Tag = "!!str"
		}
		if n.Tag == "!!float" {
			switch strings.ToLower(strings.TrimLeft(n.Value, "+-")) {
			case ".inf", ".nan":
				return errNotFast
			}
		}
		return nil
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				if k.Kind == yaml.AliasNode {
					return errNotFast
				}
				continue
			}
			if k.Tag == "!!str" || kinMergeKey(k) {
				continue
			}
			if k.Tag == "!!null" {
				return errNotFast
			}
			k.Tag = "!!str"
		}
	}
	for _, c := range n.Content {
		if err := prepareNodes(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// kinMergeKey is kin-openapi's test for a merge key (isMergeKey there).
func kinMergeKey(k *yaml.Node) bool {
	return k.Tag == "!!merge" || k.Value == "<<" && k.Style == 0 && (k.Tag == "" || k.Tag == "!!str")
}

// decodePathItem decodes, stamps and cuts one path item; a panic of the
// decoder is an error here (decodeTree's recover does not reach this
// goroutine).
func decodePathItem(v *yaml.Node) (item *openapi3.PathItem, err error) {
	defer func() {
		if r := recover(); r != nil {
			item, err = nil, fmt.Errorf("the OpenAPI parser failed on this document (%v)", r)
		}
	}()
	// The hand decoder (kindecode.go) gives what kin-openapi's decode
	// gives, or errSlowDecode for what it does not take: kin-openapi then
	// decodes the item, errors and all.
	if item, err = fastPathItem(v); err != nil {
		item = &openapi3.PathItem{}
		if err := v.Decode(item); err != nil {
			return nil, err
		}
	}
	stampPathItem(item, v)
	v.Content = nil
	return item, nil
}
