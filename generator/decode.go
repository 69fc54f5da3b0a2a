package generator

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

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
func decodeTree(ctx context.Context, top *yaml.Node) (doc *openapi3.T) {
	defer func() {
		if recover() != nil {
			doc = nil // the loader's path reports it
		}
	}()
	if top == nil || top.Kind != yaml.MappingNode {
		return nil
	}
	if err := prepareNodes(top, 0); err != nil {
		return nil
	}
	doc = &openapi3.T{}
	if err := top.Decode(doc); err != nil {
		return nil
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = false
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		return nil, fmt.Errorf("reading %s is not allowed here", u)
	}
	if err := loader.ResolveRefsIn(doc, nil); err != nil {
		return nil
	}
	if doc.Paths == nil {
		doc.Paths = openapi3.NewPaths()
	}
	return doc
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
