package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// nodeJSON writes a resolved tree as JSON for kin-openapi: one line per
// mapping key so that its error lines still tell places apart. Aliases are
// followed and merge keys ("<<") expanded; scalars keep their YAML type.
func nodeJSON(n *yaml.Node) ([]byte, error) {
	w := &nodeWriter{budget: maxLoadNodes}
	w.buf.Grow(1 << 16)
	w.node(n, 0)
	if w.budget <= 0 {
		return nil, fmt.Errorf("the document expands beyond %d nodes (YAML aliases?)", maxLoadNodes)
	}
	w.buf.WriteByte('\n')
	return w.buf.Bytes(), nil
}

// nodeWriter writes nodes within a budget (aliases can expand without end).
type nodeWriter struct {
	buf    bytes.Buffer
	budget int
}

var jsonNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func (w *nodeWriter) node(n *yaml.Node, depth int) {
	buf := &w.buf
	n = deref(n)
	if n == nil || depth > maxJSONDepth || w.budget <= 0 {
		buf.WriteString("null")
		return
	}
	w.budget--
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return
		}
		w.node(n.Content[0], depth)
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			w.node(c, depth+1)
		}
		buf.WriteByte(']')
	case yaml.MappingNode:
		buf.WriteByte('{')
		first := true
		seen := map[string]bool{}
		var write func(m *yaml.Node, d int)
		write = func(m *yaml.Node, d int) {
			m = deref(m)
			if m == nil || m.Kind != yaml.MappingNode || d > 16 {
				return
			}
			// Keys written here win over merged ones, as YAML says.
			var merges []*yaml.Node
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := deref(m.Content[i]), m.Content[i+1]
				if k.Value == "<<" && k.Tag != "!!str" || k.Tag == "!!merge" {
					merges = append(merges, v)
					continue
				}
				if seen[k.Value] {
					continue
				}
				seen[k.Value] = true
				if !first {
					buf.WriteByte(',')
				}
				first = false
				buf.WriteByte('\n')
				writeJSONString(buf, k.Value)
				buf.WriteByte(':')
				w.node(v, depth+1)
			}
			for _, mv := range merges {
				mv = deref(mv)
				if mv.Kind == yaml.SequenceNode {
					for _, x := range mv.Content {
						write(x, d+1)
					}
				} else {
					write(mv, d+1)
				}
			}
		}
		write(n, 0)
		buf.WriteByte('}')
	default:
		writeScalar(buf, n)
	}
}

func writeScalar(buf *bytes.Buffer, n *yaml.Node) {
	switch n.ShortTag() {
	case "!!null":
		buf.WriteString("null")
		return
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			buf.WriteString(strconv.FormatBool(b))
			return
		}
	case "!!int", "!!float":
		if jsonNumberRE.MatchString(n.Value) {
			buf.WriteString(n.Value)
			return
		}
		var v any
		if n.Decode(&v) == nil {
			if data, err := json.Marshal(v); err == nil {
				buf.Write(data)
				return
			}
		}
	}
	writeJSONString(buf, n.Value)
}

// writeString writes s as a JSON string without HTML escaping.
func writeJSONString(buf *bytes.Buffer, s string) {
	plain := utf8.ValidString(s)
	for i := 0; plain && i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == 0xe2 { // 0xe2: U+2028/2029
			plain = false
		}
	}
	if plain {
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	buf.Truncate(buf.Len() - 1) // the encoder's newline
}
