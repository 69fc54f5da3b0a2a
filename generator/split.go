package generator

import (
	"bytes"

	"go.yaml.in/yaml/v4"
)

// STUB: branch ychunk replaces this file with the real splitter (parsing
// each path item on demand). This stand-in parses the whole file and hands
// out the already parsed items, so the streaming path (stream.go) builds
// and is tested against the same contract.

// pathSource is one path item of the document, parsed on demand.
type pathSource struct {
	Key   string                                    // the path as written
	Line  int                                       // 1-based line of the key in the whole file
	parse func() (key, value *yaml.Node, err error) // nodes exactly as the whole-file parse gives them
}

// splitSource gives the root mapping exactly as parseFull(data) (YAML) /
// jsonTop(data) (JSON) gives it, but with the paths mapping node's Content
// == nil, and the path items in document order; ok=false when it cannot
// split safely (the caller uses the whole-file path).
func splitSource(data []byte) (top *yaml.Node, items []pathSource, ok bool) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		top = jsonTop(data) // loadWith's precheck explains the rest
	} else {
		top = parseFull(data)
	}
	if top == nil || top.Kind != yaml.MappingNode {
		return nil, nil, false
	}
	_, paths := pathsEntry(top)
	if paths == nil {
		return nil, nil, false
	}
	for i := 0; i+1 < len(paths.Content); i += 2 {
		k, v := paths.Content[i], paths.Content[i+1]
		items = append(items, pathSource{Key: k.Value, Line: k.Line, parse: func() (*yaml.Node, *yaml.Node, error) {
			return k, v, nil
		}})
	}
	paths.Content = nil
	return top, items, true
}

// parseTreeParallel is parseFull(data) (ok=false when that is nil).
func parseTreeParallel(data []byte) (top *yaml.Node, ok bool) {
	top = parseFull(data)
	return top, top != nil
}
