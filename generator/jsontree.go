package generator

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// scanJSON builds the node tree of a JSON document straight from its bytes:
// one pass, no token values boxed in interfaces and no copy of the input
// (encoding/json's Decoder.Token took 0.55 s and a copy of the 20 MB
// synthetic document; this takes a fraction). It returns an error on
// anything that is not well-formed JSON; the caller then asks
// encoding/json, whose message names the place (precheck).
//
// Nodes are as a YAML parse of the JSON would give them, positions apart:
// strings are double-quoted !!str (so a key "<<" is no merge key), numbers
// !!int or !!float with their text, true/false !!bool, null !!null. A key's
// Line and Column are those just past its closing quote (positions only
// order keys, so any that grow through the document do); a value's Line is
// its key's.
func scanJSON(data []byte) (*yaml.Node, error) {
	if yamlOnlyBreak(data) {
		return nil, errJSONSyntax
	}
	s := &jsonScanner{data: data, line: 1, end: len(data)}
	s.space()
	n, err := s.value(0)
	if err != nil {
		return nil, err
	}
	s.space()
	if s.i != len(s.data) {
		return nil, errJSONSyntax
	}
	return n, nil
}

var errJSONSyntax = errors.New("not well-formed JSON")

// yamlOnlyBreak reports a raw LS or PS: JSON keeps one inside a string as
// it is, but kin-openapi's loader reads a JSON document as YAML (a raw NEL
// sends it to encoding/json instead), where it is a line break that folds
// with the spaces before it. Such a document is left to the YAML parser, so
// the model is the loader's ("a \u2028b" reads "a\u2028b").
func yamlOnlyBreak(data []byte) bool {
	return (bytes.Contains(data, []byte("\u2028")) || bytes.Contains(data, []byte("\u2029"))) && !bytes.Contains(data, []byte("\u0085"))
}

type jsonScanner struct {
	data      []byte
	i         int
	line      int // lines seen up to the last key's end
	lineStart int // offset of that line
	scanned   int // bytes counted for line so far
	keyLine   int // the Line of values: their key's

	// Nodes and Content slices come from slabs: a tree's nodes live and
	// die together (a path item's with it), and one allocation for many
	// nodes, and Content built on a stack then copied once at its size,
	// took a third off the scan of the synthetic spec (an allocation per
	// node and per append was most of it).
	// A slab is sized by the bytes left to scan (end), so that the last
	// one of a path item is small: most items are a few hundred nodes.
	slab  []yaml.Node
	ptrs  []*yaml.Node
	stack []*yaml.Node
	end   int // where the scan will stop: len(data), or a path item's end

	// arena, when set, gives the slabs instead of new allocations (a
	// stream worker's: see nodeArena).
	arena *nodeArena
}

const (
	nodeSlab     = 256  // nodes per slab, at most
	contentSlab  = 1024 // Content pointers per slab, at most
	bytesPerNode = 16   // a guess on the low side (pretty JSON has ~28)
)

// slabSize is how many nodes to make room for, given the bytes left.
func (s *jsonScanner) slabSize(most int) int {
	return min(max((s.end-s.i)/bytesPerNode, 4), most)
}

// node is a new node from the slab.
func (s *jsonScanner) node(kind yaml.Kind, tag string, line int) *yaml.Node {
	if len(s.slab) == 0 {
		if s.arena != nil {
			s.slab = s.arena.nodes()
		} else {
			s.slab = make([]yaml.Node, s.slabSize(nodeSlab))
		}
	}
	n := &s.slab[0]
	s.slab = s.slab[1:]
	if s.arena != nil {
		*n = yaml.Node{Kind: kind, Tag: tag, Line: line} // whole: it was used before
	} else {
		n.Kind, n.Tag, n.Line = kind, tag, line // new, so zero
	}
	return n
}

// content moves the stack above base into a Content slice of its length
// (nil when empty, as append would leave it). Its capacity is its length,
// so an append by a later user copies it rather than writing into the slab.
func (s *jsonScanner) content(base int) []*yaml.Node {
	m := len(s.stack) - base
	if m == 0 {
		return nil
	}
	if m > len(s.ptrs) {
		if m > contentSlab/4 {
			c := make([]*yaml.Node, m)
			copy(c, s.stack[base:])
			clear(s.stack[base:])
			s.stack = s.stack[:base]
			return c
		}
		if s.arena != nil {
			s.ptrs = s.arena.pointers()
		} else {
			s.ptrs = make([]*yaml.Node, max(s.slabSize(contentSlab), m))
		}
	}
	c := s.ptrs[:m:m]
	s.ptrs = s.ptrs[m:]
	copy(c, s.stack[base:])
	clear(s.stack[base:])
	s.stack = s.stack[:base]
	return c
}

// nodeArena is the node memory of one stream worker. A JSON path item's
// nodes are needed only until the item is decoded (the model holds none of
// them), so the worker's next item is scanned into the same slabs rather
// than into new ones: on the 1,000-operation JSON spec the nodes were 37 %
// of the bytes allocated, and allocation, the collector and the page faults
// of the growing heap were half of the run's CPU. One goroutine uses an
// arena at a time.
type nodeArena struct {
	slabs    [][]yaml.Node // nodeSlab nodes each; those before next are in use
	next     int
	ptrSlabs [][]*yaml.Node // contentSlab pointers each; likewise
	nextPtrs int
	stack    []*yaml.Node // a scanner's stack, kept for the next one
}

// nodes hands out a slab of nodes (node sets each one whole).
func (a *nodeArena) nodes() []yaml.Node {
	if a.next == len(a.slabs) {
		a.slabs = append(a.slabs, make([]yaml.Node, nodeSlab))
	}
	a.next++
	return a.slabs[a.next-1]
}

// pointers hands out a slab of Content pointers (content overwrites what
// it takes).
func (a *nodeArena) pointers() []*yaml.Node {
	if a.nextPtrs == len(a.ptrSlabs) {
		a.ptrSlabs = append(a.ptrSlabs, make([]*yaml.Node, contentSlab))
	}
	a.nextPtrs++
	return a.ptrSlabs[a.nextPtrs-1]
}

// reset takes back every slab handed out: the nodes built from them must
// no longer be in use. They are not cleared: a node is written whole when
// it is handed out again (clearing whole slabs, half of whose nodes the
// next item never uses, with the collector's write barriers on, cost more
// than it saved), and what stale strings and pointers keep alive is
// bounded by the arena.
func (a *nodeArena) reset() {
	a.next, a.nextPtrs = 0, 0
}

func (s *jsonScanner) space() {
	if s.i < len(s.data) && jsonSpace[s.data[s.i]] { // most tokens have none before them
		s.i = skipSpace(s.data, s.i)
	}
}

// skipSpace is the offset of the first byte from i on that is not JSON
// white space. Indentation after a line break is skipped eight spaces at a
// time: half the bytes of an indented document are white space, and the
// byte loop over them was a tenth of the split's sequential scan.
func skipSpace(data []byte, i int) int {
	const spaces = 0x2020202020202020
	for i < len(data) {
		c := data[i]
		if !jsonSpace[c] {
			break
		}
		i++
		if c == '\n' {
			for i+8 <= len(data) && binary.LittleEndian.Uint64(data[i:]) == spaces {
				i += 8
			}
		}
	}
	return i
}

// jsonSpace holds JSON's white space bytes (read only): a table lookup per
// byte, where four comparisons were a tenth of the scan of an indented
// document.
var jsonSpace = [256]bool{' ': true, '\t': true, '\r': true, '\n': true}

// pos counts the lines up to offset off (never smaller than the last).
func (s *jsonScanner) pos(off int) (int, int) {
	for s.scanned < off {
		j := bytes.IndexByte(s.data[s.scanned:off], '\n')
		if j < 0 {
			s.scanned = off
			break
		}
		s.line++
		s.lineStart = s.scanned + j + 1
		s.scanned = s.lineStart
	}
	return s.line, off - s.lineStart + 1
}

func (s *jsonScanner) value(depth int) (*yaml.Node, error) {
	if depth > maxJSONDepth || s.i >= len(s.data) {
		return nil, errJSONSyntax
	}
	line := max(s.keyLine, 1)
	switch c := s.data[s.i]; {
	case c == '{':
		s.i++
		n := s.node(yaml.MappingNode, "!!map", line)
		s.space()
		if s.i < len(s.data) && s.data[s.i] == '}' {
			s.i++
			return n, nil
		}
		base := len(s.stack)
		for {
			s.space()
			if s.i >= len(s.data) || s.data[s.i] != '"' {
				return nil, errJSONSyntax
			}
			k, err := s.str()
			if err != nil {
				return nil, err
			}
			kl, kc := s.pos(s.i)
			s.keyLine = kl
			s.space()
			if s.i >= len(s.data) || s.data[s.i] != ':' {
				return nil, errJSONSyntax
			}
			s.i++
			s.space()
			v, err := s.value(depth + 1)
			if err != nil {
				return nil, err
			}
			kn := s.node(yaml.ScalarNode, "!!str", kl)
			kn.Style, kn.Value, kn.Column = yaml.DoubleQuotedStyle, k, kc
			s.stack = append(s.stack, kn, v)
			s.space()
			if s.i < len(s.data) && s.data[s.i] == ',' {
				s.i++
				continue
			}
			if s.i < len(s.data) && s.data[s.i] == '}' {
				s.i++
				n.Content = s.content(base)
				return n, nil
			}
			return nil, errJSONSyntax
		}
	case c == '[':
		s.i++
		n := s.node(yaml.SequenceNode, "!!seq", line)
		s.space()
		if s.i < len(s.data) && s.data[s.i] == ']' {
			s.i++
			return n, nil
		}
		base := len(s.stack)
		for {
			s.space()
			v, err := s.value(depth + 1)
			if err != nil {
				return nil, err
			}
			s.stack = append(s.stack, v)
			s.space()
			if s.i < len(s.data) && s.data[s.i] == ',' {
				s.i++
				continue
			}
			if s.i < len(s.data) && s.data[s.i] == ']' {
				s.i++
				n.Content = s.content(base)
				return n, nil
			}
			return nil, errJSONSyntax
		}
	case c == '"':
		v, err := s.str()
		if err != nil {
			return nil, err
		}
		n := s.node(yaml.ScalarNode, "!!str", line)
		n.Style, n.Value = yaml.DoubleQuotedStyle, v
		return n, nil
	case c == '-' || c >= '0' && c <= '9':
		return s.number(line)
	}
	for _, lit := range [...]struct{ text, tag string }{{"true", "!!bool"}, {"false", "!!bool"}, {"null", "!!null"}} {
		if len(s.data)-s.i >= len(lit.text) && string(s.data[s.i:s.i+len(lit.text)]) == lit.text {
			s.i += len(lit.text)
			n := s.node(yaml.ScalarNode, lit.tag, line)
			n.Value = lit.text
			return n, nil
		}
	}
	return nil, errJSONSyntax
}

// str reads a string at s.i (its opening quote): the bytes as they are
// when they need no unescaping, else unquoteJSON's.
func (s *jsonScanner) str() (string, error) {
	start := s.i
	s.i++
	plain, ascii := true, true
	for s.i < len(s.data) {
		// Whole words while they are plain, then the bytes of the word
		// that is not one by one (trying the word test at every byte cost
		// more than it saved on short keys).
		s.i = skipPlainWords(s.data, s.i)
		for end := min(s.i+8, len(s.data)); s.i < end; {
			c := s.data[s.i]
			switch {
			case c == '"':
				s.i++
				raw := s.data[start+1 : s.i-1]
				if plain && (ascii || utf8.Valid(raw)) {
					return string(raw), nil
				}
				v, ok := unquoteJSON(raw)
				if !ok {
					return "", errJSONSyntax
				}
				return v, nil
			case c == '\\':
				plain = false
				s.i += 2
			case c < 0x20:
				return "", errJSONSyntax
			default:
				ascii = ascii && c < utf8.RuneSelf
				s.i++
			}
		}
	}
	return "", errJSONSyntax
}

// plainWord reports whether the 8 bytes of data from i are printable ASCII
// other than '"' and '\\' (nothing a string scan stops at), testing them at
// once as internal/jsonstr's plain8 does: a byte below 0x20, equal to '"'
// or '\\', or with its high bit set shows as a high bit in the sum.
func plainWord(data []byte, i int) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x := binary.LittleEndian.Uint64(data[i:])
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return (x|(x-ones*0x20)&^x|(q-ones)&^q|(bs-ones)&^bs)&highs == 0
}

// skipPlainWords advances i over the 8-byte words of data that plainWord
// passes (descriptions are most of a document's bytes).
func skipPlainWords(data []byte, i int) int {
	for i+8 <= len(data) && plainWord(data, i) {
		i += 8
	}
	return i
}

// number reads a JSON number (RFC 8259 grammar) at s.i.
func (s *jsonScanner) number(line int) (*yaml.Node, error) {
	start := s.i
	digits := func() int {
		n := 0
		for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.data[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.data) && s.data[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return nil, errJSONSyntax
	}
	tag := "!!int"
	if s.i < len(s.data) && s.data[s.i] == '.' {
		s.i++
		tag = "!!float"
		if digits() == 0 {
			return nil, errJSONSyntax
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		s.i++
		tag = "!!float"
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return nil, errJSONSyntax
		}
	}
	text := string(s.data[start:s.i])
	if tag == "!!int" && len(text) > 18 {
		// As YAML resolves it: an integer beyond 64 bits is a float.
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			if _, err := strconv.ParseUint(text, 10, 64); err != nil {
				tag = "!!float"
			}
		}
	}
	n := s.node(yaml.ScalarNode, tag, line)
	n.Value = text
	return n, nil
}

// JSON's one-letter escapes: the letter after a backslash, and at the same
// index the byte it stands for.
const (
	jsonEscapeLetters = "\"\\/bfnrt"
	jsonEscapeBytes   = "\"\\/\b\f\n\r\t"
)

// unquoteJSON is the value of a JSON string's text between its quotes (no
// raw '"' or control character in it: str has seen to that), exactly as
// encoding/json decodes it: the escapes RFC 8259 allows, a lone or broken
// surrogate and each byte of invalid UTF-8 as U+FFFD; false for any other
// escape. (json.Unmarshal did this through reflection, a tenth of the
// scan; TestUnquoteJSONIsEncodingJSON holds the two together.)
func unquoteJSON(s []byte) (string, bool) {
	b := make([]byte, 0, len(s)+utf8.UTFMax)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			if r+1 >= len(s) {
				return "", false
			}
			e := s[r+1]
			if k := strings.IndexByte(jsonEscapeLetters, e); k >= 0 {
				b = append(b, jsonEscapeBytes[k])
				r += 2
				break
			}
			switch e {
			case 'u':
				rr := hex4(s[r+2:])
				if rr < 0 {
					return "", false
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if r+1 < len(s) && s[r] == '\\' && s[r+1] == 'u' {
						// The next escape is validated in its own turn
						// when it does not pair.
						if rr1 := hex4(s[r+2:]); rr1 >= 0 {
							if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
								b = utf8.AppendRune(b, dec)
								r += 6
								break
							}
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
			default:
				return "", false
			}
		case c < 0x20 || c == '"':
			return "", false
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			b = utf8.AppendRune(b, rr)
			r += size
		}
	}
	return string(b), true
}

// hex4 is the value of the four hex digits s starts with, or -1.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
