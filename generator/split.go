package generator

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"go.yaml.in/yaml/v4"
)

// Cutting a document at its path items.
//
// A large spec is mostly its paths mapping. Parsing it as one YAML document
// builds the whole node tree (160 MB live for the 11 MB synthetic spec) on
// one core. splitSource cuts the text instead: the top-level entries and the
// path items become separate chunks of whole lines, each parsed on its own,
// on demand (streaming) or all at once on every CPU (parseTreeParallel). A
// chunk's nodes are shifted to whole-file lines; columns need no shift since
// a chunk keeps its lines whole, indentation included.
//
// Soundness (YAML). The contract is: when every chunk parses, the result is
// node for node what the whole-file parse gives (comments apart: nothing in
// obpm reads HeadComment, LineComment or FootComment, and they attach
// differently at a chunk's edges); anything else falls back to the whole
// parse. The cut points are lines that start, at column 0 (top level) or at
// the column of the first path key (inside a block-style "paths:"), with a
// character that can start an implicit key: not blank, not a comment, not
// "- " (an indentless sequence belongs to the key above), not another
// indicator. By induction over the chunks: the first starts where the whole
// parse starts. If a chunk starts where the whole parser is between two
// entries of the mapping being cut, the whole parser reads the chunk's text
// exactly as the chunk's own parser does (same text, same columns, and no
// line of it goes left of the chunk's first key: a line at 0 < indent < item
// indent in the paths block makes us fall back), so what remains to show is
// that the whole parser is again between two entries at the next cut line,
// whenever the chunk parsed on its own. At that line, in the whole text:
//   - a quoted scalar or flow collection still open (libyaml reads their
//     continuation lines at any column) would leave the chunk's own parse
//     at end of input inside it: "unexpected end of stream", a chunk
//     failure, so a fallback;
//   - a plain scalar cannot continue there: in block context libyaml ends
//     it at a line indented at most as its mapping (column <= the cut
//     column), and it ends at end of input in the chunk's own parse, with
//     the same value (trailing line breaks are never part of it);
//   - a block scalar (| or >, with or without an indentation indicator)
//     nested in the entry has content indented beyond the entry's key, so
//     the cut line ends it; its chomping sees the same trailing blank and
//     comment lines in both parses (they belong to the chunk);
//   - a comment line is never a cut, and "#" at column 0 inside a block
//     scalar's content cannot be (the content is indented);
//   - a deeper block collection is closed by the less indented cut line in
//     the whole parse and by the end of input in the chunk's;
//   - an empty node (a key without a value, a lone "- ") that ends the
//     chunk takes the position of the token after it: the cut line's key
//     in the whole parse, the end of input (the same line, column 1) in
//     the chunk's: parseSpan moves it to the key's column;
// so the cut line starts a token at the mapping's column in block context:
// a new key of that mapping, or an error of the whole parse that the next
// chunk's own parse meets too (its first line is the same token).
// What the induction does not cover falls back: anchors and aliases (one
// chunk's alias could name another's anchor; any anchor or alias anywhere
// makes the chunk fail), "---" other than on the first line, "...", "%"
// directives, a byte order mark, line breaks other than LF and CRLF (NEL,
// LS, PS, lone CR: libyaml counts them as lines, our cut does not), tabs
// where a cut line's indentation is read, "?" complex keys and other
// indicators at a cut, flow-style paths, duplicate keys, a chunk whose root
// is not a block mapping with exactly the expected keys, and nesting deep
// enough that the whole parse might hit the parser's depth limit where a
// chunk does not.
//
// JSON is cut by a byte scan that validates as scanJSON does (jsonSkip), and
// each path item is built by the same jsonScanner started at its key with
// the line count the whole scan would have there: same nodes, positions
// included.

// pathSource is one entry of a document's paths mapping, parsed on demand.
type pathSource struct {
	Key  string // the path as written (the key's scalar value)
	Line int    // 1-based line of the key in the whole file
	// parse gives the nodes exactly as the whole-file parse does
	// (Line/Column in whole-file terms); callable once or more, from any
	// goroutine. An error means the cut was not sound for this item: the
	// caller falls back to the whole-file parse, which also reports what
	// is wrong with the document. A JSON item's nodes come from arena when
	// it is not nil (then they live until its reset); YAML ignores it.
	parse func(arena *nodeArena) (key, value *yaml.Node, err error)
}

// errCut: a chunk does not parse to what its cut promised; the whole-file
// parse decides.
var errCut = errors.New("the document cannot be cut at its path items here")

// splitSource cuts a YAML or JSON document at its path items. top is the whole document's
// root mapping node exactly as parseFull(data) (YAML) or jsonTop(data) (JSON) would give it,
// except that the paths mapping node (value of the top-level "paths" key) has Content == nil;
// items are the path items in document order. ok=false when the document cannot be cut
// safely (then callers use the whole-file parse as today, which also reports any error).
func splitSource(data []byte) (top *yaml.Node, items []pathSource, ok bool) {
	if looksJSON(data) {
		return splitJSON(data)
	}
	l, ok := scanYAMLLayout(data)
	if !ok {
		return nil, nil, false
	}
	top, ok = l.parseTop(data, runtime.GOMAXPROCS(0))
	if !ok {
		return nil, nil, false
	}
	items = make([]pathSource, len(l.items))
	for i, it := range l.items {
		sp, key := it, l.keys[i]
		items[i] = pathSource{Key: key, Line: sp.line, parse: func(*nodeArena) (*yaml.Node, *yaml.Node, error) {
			m, err := parseSpan(data, sp, []string{key}, 2)
			if err != nil {
				return nil, nil, fmt.Errorf("path %q at line %d: %w", key, sp.line, err)
			}
			return m.Content[0], m.Content[1], nil
		}}
	}
	return top, items, true
}

// parallelMin is the size below which parseTreeParallel leaves the parse to
// parseFull: a small document parses in a few milliseconds on one core.
const parallelMin = 256 << 10

// parseTreeParallel is parseFull(data) for YAML, built from splitSource's chunks parsed
// on all CPUs; ok=false when it cannot (caller falls back to parseFull).
func parseTreeParallel(data []byte) (top *yaml.Node, ok bool) {
	workers := runtime.GOMAXPROCS(0)
	if len(data) < parallelMin || workers < 2 {
		return nil, false
	}
	return parseChunked(data, workers)
}

// parseChunked is parseTreeParallel for any size, on workers goroutines.
func parseChunked(data []byte, workers int) (*yaml.Node, bool) {
	if looksJSON(data) {
		return nil, false
	}
	l, ok := scanYAMLLayout(data)
	if !ok {
		return nil, false
	}
	// Path items are parsed in groups of consecutive items (one chunk of
	// text with several keys): the same cut, fewer parser set-ups.
	target := max(len(data)/(workers*16), 64<<10)
	var groups [][2]int // item index ranges [from, to)
	for from := 0; from < len(l.items); {
		to, size := from, 0
		for to < len(l.items) && (to == from || size < target) {
			size += l.items[to].end - l.items[to].start
			to++
		}
		groups = append(groups, [2]int{from, to})
		from = to
	}
	tops := make([]*yaml.Node, len(l.tops))
	parts := make([]*yaml.Node, len(groups))
	err := runParallel(len(l.tops)+len(groups), workers, func(i int) error {
		if i < len(l.tops) {
			m, err := parseSpan(data, l.tops[i], nil, 1)
			tops[i] = m
			return err
		}
		g := groups[i-len(l.tops)]
		last := l.items[g[1]-1]
		sp := span{start: l.items[g[0]].start, end: last.end, line: l.items[g[0]].line, next: last.next}
		m, err := parseSpan(data, sp, l.keys[g[0]:g[1]], 2)
		parts[i-len(l.tops)] = m
		return err
	})
	if err != nil {
		return nil, false
	}
	top, ok := l.assemble(tops)
	if !ok {
		return nil, false
	}
	if l.paths >= 0 {
		pm := top.Content[2*l.paths+1]
		pm.Content = make([]*yaml.Node, 0, 2*len(l.items))
		for _, m := range parts {
			pm.Content = append(pm.Content, m.Content...)
		}
	}
	return top, true
}

// span is a run of whole lines of the document: bytes [start, end), the
// first of them line number line (1-based). next is the column (1-based)
// of the key that follows in the whole file when it is not at column 1
// (the next path item), else 0.
type span struct{ start, end, line, next int }

// yamlLayout is where a YAML document is cut.
type yamlLayout struct {
	tops   []span   // top-level entries; for block-style paths, only its head (the "paths:" line and the comments up to the first item)
	paths  int      // index in tops of the block-style paths entry, or -1
	items  []span   // path items
	keys   []string // their keys as the text writes them
	indent int      // column (0-based) of the path items' keys
}

// scanYAMLLayout finds the cut points (see the comment at the top); ok is
// false for what the cut does not handle.
func scanYAMLLayout(data []byte) (l yamlLayout, ok bool) {
	l.paths = -1
	if hasOddText(data) {
		return l, false
	}
	var (
		seenKey, seenStart bool
		inPaths            bool // inside a block-style paths mapping
		pathsAt            int  // its index in tops
		k                  = -1 // the items' indentation, once known
		seenItem           = map[string]bool{}
		seenPaths          bool
	)
	closeLast := func(off, next int) {
		if inPaths && len(l.items) > 0 {
			l.items[len(l.items)-1].end = off
			l.items[len(l.items)-1].next = next
		} else if len(l.tops) > 0 {
			l.tops[len(l.tops)-1].end = off
		}
	}
	lineNo := 0
	for off, next := 0, 0; off < len(data); off = next {
		lineNo++
		eol := bytes.IndexByte(data[off:], '\n')
		if eol < 0 {
			eol, next = len(data), len(data)
		} else {
			eol, next = off+eol, off+eol+1
		}
		line := bytes.TrimSuffix(data[off:eol], []byte{'\r'})
		ind := 0
		for ind < len(line) && line[ind] == ' ' {
			ind++
		}
		rest := line[ind:]
		if len(bytes.Trim(rest, " \t")) == 0 || rest[0] == '#' {
			continue // blank or comment: never a cut
		}
		c := rest[0]
		if ind == 0 {
			switch {
			case bytes.HasPrefix(rest, []byte("---")) || bytes.HasPrefix(rest, []byte("...")):
				// Only a "---" that opens the document is ours.
				if seenKey || seenStart || !isDocStart(rest) {
					return l, false
				}
				seenStart = true
				continue
			case c == '-' && (len(rest) == 1 || rest[1] == ' ' || rest[1] == '\t'):
				if !seenKey || inPaths {
					return l, false // a document or paths that is a sequence
				}
				continue // an indentless sequence under the key above
			case isIndicator(c):
				return l, false
			}
			start := off
			if !seenKey {
				start = 0 // the first chunk holds what comes before its key
			}
			closeLast(off, 0)
			inPaths = false
			seenKey = true
			l.tops = append(l.tops, span{start: start, line: lineNo})
			if start == 0 {
				l.tops[0].line = 1
			}
			if key, after, ok := lineKey(rest); ok && key == "paths" {
				if seenPaths {
					return l, false
				}
				seenPaths = true
				if isEmptyRest(after) {
					inPaths, pathsAt, k = true, len(l.tops)-1, -1
				}
			}
			continue
		}
		if !seenKey {
			return l, false // an indented document
		}
		if !inPaths {
			continue
		}
		switch {
		case k >= 0 && ind > k:
			continue // inside an item
		case k >= 0 && ind < k:
			return l, false // left of the items' column: not a plain block mapping
		case c == '\t' || c == '-' && (len(rest) == 1 || rest[1] == ' ' || rest[1] == '\t'):
			return l, false // tab in the indentation; paths or an item as a sequence
		}
		key, _, ok := lineKey(rest)
		if !ok || seenItem[key] {
			return l, false
		}
		seenItem[key] = true
		if k < 0 {
			k, l.indent, l.paths = ind, ind, pathsAt
		}
		closeLast(off, ind+1)
		l.items = append(l.items, span{start: off, line: lineNo})
		l.keys = append(l.keys, key)
	}
	if !seenKey {
		return l, false
	}
	closeLast(len(data), 0)
	return l, true
}

// hasOddText: a byte order mark, or line breaks that libyaml counts and
// the cut does not (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR, a lone CR).
func hasOddText(data []byte) bool {
	// The reader takes a byte order mark at the start of input (a chunk's
	// too) as the encoding: a UTF-8 one anywhere, and the bytes 0xFE, 0xFF
	// (never in UTF-8, so the whole parse fails on them) are refused.
	if bytes.Contains(data, []byte("\xef\xbb\xbf")) || bytes.IndexByte(data, 0xfe) >= 0 || bytes.IndexByte(data, 0xff) >= 0 {
		return true
	}
	for _, s := range [...]string{"\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9"} {
		if bytes.Contains(data, []byte(s)) {
			return true
		}
	}
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\r')
		if j < 0 {
			return false
		}
		i += j + 1
		if i >= len(data) || data[i] != '\n' {
			return true
		}
	}
}

// isDocStart: the line is "---", maybe followed by a comment.
func isDocStart(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := line[3:]
	if len(rest) == 0 {
		return true
	}
	if rest[0] != ' ' && rest[0] != '\t' {
		return false
	}
	rest = bytes.TrimLeft(rest, " \t")
	return len(rest) == 0 || rest[0] == '#'
}

// isIndicator: c cannot start a plain key at a cut (quotes can: lineKey
// reads them).
func isIndicator(c byte) bool {
	switch c {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`', '\t':
		return true
	}
	return false
}

// lineKey reads the implicit key at the start of line: a plain scalar up to
// ": " (or ":" at the end), or a quoted one without escapes. after is what
// follows the ":". ok is false for anything else; the parse of the chunk
// checks the key found here.
func lineKey(line []byte) (key string, after []byte, ok bool) {
	if len(line) == 0 {
		return "", nil, false
	}
	var rest []byte
	switch c := line[0]; {
	case c == '"':
		j := bytes.IndexByte(line[1:], '"')
		if j < 0 || bytes.IndexByte(line[1:1+j], '\\') >= 0 {
			return "", nil, false
		}
		key, rest = string(line[1:1+j]), line[2+j:]
	case c == '\'':
		var b []byte
		i := 1
		for {
			j := bytes.IndexByte(line[i:], '\'')
			if j < 0 {
				return "", nil, false
			}
			b = append(b, line[i:i+j]...)
			i += j + 1
			if i < len(line) && line[i] == '\'' {
				b = append(b, '\'')
				i++
				continue
			}
			break
		}
		key, rest = string(b), line[i:]
	case isIndicator(c) || c == ' ':
		return "", nil, false
	default:
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case ':':
				if i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t' {
					return string(bytes.TrimRight(line[:i], " \t")), line[i+1:], true
				}
			case '#':
				if line[i-1] == ' ' || line[i-1] == '\t' {
					return "", nil, false
				}
			}
		}
		return "", nil, false
	}
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) == 0 || rest[0] != ':' || len(rest) > 1 && rest[1] != ' ' && rest[1] != '\t' {
		return "", nil, false
	}
	return key, rest[1:], true
}

// isEmptyRest: nothing but a comment follows the key's ":".
func isEmptyRest(after []byte) bool {
	after = bytes.TrimLeft(after, " \t")
	return len(after) == 0 || after[0] == '#'
}

// parseTop parses the top-level chunks on workers goroutines and builds
// the root mapping, the block-style paths mapping left empty.
func (l *yamlLayout) parseTop(data []byte, workers int) (*yaml.Node, bool) {
	tops := make([]*yaml.Node, len(l.tops))
	err := runParallel(len(l.tops), workers, func(i int) error {
		m, err := parseSpan(data, l.tops[i], nil, 1)
		tops[i] = m
		return err
	})
	if err != nil {
		return nil, false
	}
	top, ok := l.assemble(tops)
	if !ok {
		return nil, false
	}
	if l.paths < 0 {
		// A paths written on its line ("paths: {}") stays in top: only
		// when it holds no item is that top as promised.
		if v := entry(top, "paths"); v != nil && len(v.Content) > 0 {
			return nil, false
		}
	}
	return top, true
}

// assemble builds the root mapping from the top-level chunks' mappings
// (each one entry), with an empty paths mapping for a block-style paths.
func (l *yamlLayout) assemble(tops []*yaml.Node) (*yaml.Node, bool) {
	first := tops[0]
	top := &yaml.Node{Kind: yaml.MappingNode, Tag: first.Tag, Style: first.Style, Line: first.Line, Column: first.Column}
	top.Content = make([]*yaml.Node, 0, 2*len(tops))
	seen := map[string]bool{}
	for i, m := range tops {
		if len(m.Content) != 2 || m.Content[0].Kind != yaml.ScalarNode || seen[m.Content[0].Value] {
			return nil, false
		}
		k, v := m.Content[0], m.Content[1]
		seen[k.Value] = true
		if i == l.paths {
			// The head "paths:" parses as {paths: null}; the mapping starts
			// at the first item's key, as in the whole parse.
			if k.Value != "paths" || v.Kind != yaml.ScalarNode || v.Tag != "!!null" || v.Value != "" {
				return nil, false
			}
			v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: l.items[0].line, Column: l.indent + 1}
		}
		top.Content = append(top.Content, k, v)
	}
	return top, true
}

// maxSplitDepth bounds a chunk's nesting: the whole parse nests a chunk
// two levels deeper, so near the parser's limit (10,000) only it decides.
const maxSplitDepth = 9000

// parseSpan parses one chunk: the lines of sp, a block mapping whose keys
// are want (any one key when want is nil), at depth levels under the
// document in the whole file. Its nodes get whole-file lines.
func parseSpan(data []byte, sp span, want []string, depth int) (*yaml.Node, error) {
	doc, err := unmarshalYAML(data[sp.start:sp.end])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCut, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errCut
	}
	m := doc.Content[0]
	n := len(want)
	if want == nil {
		n = 1
	}
	if m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 || len(m.Content) != 2*n {
		return nil, errCut
	}
	for i, w := range want {
		if k := m.Content[2*i]; k.Kind != yaml.ScalarNode || k.Value != w {
			return nil, errCut
		}
	}
	sh := shifter{by: sp.line - 1}
	if sp.next > 0 {
		// An empty node at the chunk's end (a key with no value, "- "
		// alone) is placed by the parser at the next token: the end of
		// input here (the line after, column 1), the next item's key in
		// the whole file (the same line, its column). Nothing else of the
		// chunk can be on that line.
		sh.eofLine, sh.eofColumn = bytes.Count(data[sp.start:sp.end], []byte{'\n'})+1, sp.next
	}
	if !sh.shift(m, depth) {
		return nil, errCut
	}
	return m, nil
}

// shifter moves the nodes of a chunk to whole-file lines.
type shifter struct {
	by                 int // lines before the chunk
	eofLine, eofColumn int // a node at (eofLine, 1) moves to eofColumn
}

// shift is false on an anchor, an alias, or nesting too deep to judge.
func (sh *shifter) shift(n *yaml.Node, depth int) bool {
	if depth > maxSplitDepth || n.Anchor != "" || n.Kind == yaml.AliasNode {
		return false
	}
	if n.Line == sh.eofLine && n.Column == 1 {
		n.Column = sh.eofColumn
	}
	n.Line += sh.by
	for _, c := range n.Content {
		if !sh.shift(c, depth+1) {
			return false
		}
	}
	return true
}

// runParallel calls fn(0..n-1) on up to workers goroutines and returns the
// first error (the remaining calls are skipped once one failed).
func runParallel(n, workers int, fn func(i int) error) error {
	workers = max(min(workers, n), 1)
	var (
		next   atomic.Int64
		failed atomic.Bool
		once   sync.Once
		first  error
		wg     sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// looksJSON: what jsonTop would try to read as JSON.
func looksJSON(data []byte) bool {
	t := bytes.TrimSpace(data)
	return len(t) > 0 && t[0] == '{'
}

// splitJSON is splitSource for a JSON document: the top level read by
// jsonScanner as jsonTop would, except the paths object, whose members are
// validated and skipped by jsonSkip and built on demand.
func splitJSON(data []byte) (*yaml.Node, []pathSource, bool) {
	if yamlOnlyBreak(data) {
		return nil, nil, false // see yamlOnlyBreak
	}
	s := &jsonScanner{data: data, line: 1, end: len(data)}
	s.space()
	if s.i >= len(data) || data[s.i] != '{' {
		return nil, nil, false
	}
	s.i++
	top := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1}
	var items []pathSource
	seen := map[string]bool{}
	s.space()
	if s.i < len(data) && data[s.i] == '}' {
		s.i++
	} else {
		for {
			s.space()
			if s.i >= len(data) || data[s.i] != '"' {
				return nil, nil, false
			}
			k, err := s.str()
			if err != nil || seen[k] {
				return nil, nil, false
			}
			seen[k] = true
			kl, kc := s.pos(s.i)
			s.keyLine = kl
			if !s.colon() {
				return nil, nil, false
			}
			var v *yaml.Node
			if k == "paths" && s.i < len(data) && data[s.i] == '{' {
				// As s.value(1) would make it, without its members.
				v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: max(s.keyLine, 1)}
				if items, err = s.jsonItems(); err != nil {
					return nil, nil, false
				}
			} else if v, err = s.value(1); err != nil || k == "paths" && len(v.Content) > 0 {
				return nil, nil, false // (a paths that is an array is not ours either)
			}
			top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: k, Line: kl, Column: kc}, v)
			s.space()
			if s.i < len(data) && data[s.i] == ',' {
				s.i++
				continue
			}
			if s.i < len(data) && data[s.i] == '}' {
				s.i++
				break
			}
			return nil, nil, false
		}
	}
	s.space()
	if s.i != len(data) {
		return nil, nil, false
	}
	return top, items, true
}

// colon reads the ":" after a key, with the space around it.
func (s *jsonScanner) colon() bool {
	s.space()
	if s.i >= len(s.data) || s.data[s.i] != ':' {
		return false
	}
	s.i++
	s.space()
	return true
}

// jsonItems reads the paths object at s.i: each member is validated and
// skipped, and becomes a pathSource that builds it from its key.
func (s *jsonScanner) jsonItems() ([]pathSource, error) {
	data := s.data
	s.i++ // the '{'
	s.space()
	var items []pathSource
	if s.i < len(data) && data[s.i] == '}' {
		s.i++
		return items, nil
	}
	seen := map[string]bool{}
	for {
		s.space()
		if s.i >= len(data) || data[s.i] != '"' {
			return nil, errJSONSyntax
		}
		keyOff := s.i
		s.advance(keyOff)
		line, lineStart := s.line, s.lineStart
		k, err := s.str()
		if err != nil || seen[k] {
			return nil, errJSONSyntax
		}
		seen[k] = true
		kl, _ := s.pos(s.i)
		if !s.colon() {
			return nil, errJSONSyntax
		}
		// The whole scan reads an item's value at depth 2 (top object 0,
		// paths object 1).
		end, ok := jsonSkip(data, s.i, 2)
		if !ok {
			return nil, errJSONSyntax
		}
		s.i = end
		items = append(items, pathSource{Key: k, Line: kl, parse: func(arena *nodeArena) (*yaml.Node, *yaml.Node, error) {
			return jsonItem(data, keyOff, end, line, lineStart, arena)
		}})
		s.space()
		if s.i < len(data) && data[s.i] == ',' {
			s.i++
			continue
		}
		if s.i < len(data) && data[s.i] == '}' {
			s.i++
			return items, nil
		}
		return nil, errJSONSyntax
	}
}

// advance is pos(off) without the column, counting lines a block at a time.
func (s *jsonScanner) advance(off int) {
	if off <= s.scanned {
		return
	}
	part := s.data[s.scanned:off]
	if n := bytes.Count(part, []byte{'\n'}); n > 0 {
		s.line += n
		s.lineStart = s.scanned + bytes.LastIndexByte(part, '\n') + 1
	}
	s.scanned = off
}

// jsonItem builds the path item whose key starts at keyOff and whose value
// ends at end (line and lineStart: the line count at keyOff) as the whole
// scan builds it.
func jsonItem(data []byte, keyOff, end, line, lineStart int, arena *nodeArena) (*yaml.Node, *yaml.Node, error) {
	s := &jsonScanner{data: data, i: keyOff, end: end, line: line, lineStart: lineStart, scanned: keyOff, arena: arena}
	if arena != nil {
		s.stack, arena.stack = arena.stack[:0], nil
		defer func() { arena.stack = s.stack[:0] }()
	}
	k, err := s.str()
	if err != nil {
		return nil, nil, err
	}
	kl, kc := s.pos(s.i)
	s.keyLine = kl
	if !s.colon() {
		return nil, nil, errJSONSyntax
	}
	v, err := s.value(2)
	if err != nil {
		return nil, nil, err
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: k, Line: kl, Column: kc}, v, nil
}

// jsonSkip validates the JSON value at i as jsonScanner.value(depth) reads
// it (same grammar, same depth limit, same string checks) and returns the
// offset just past it.
func jsonSkip(data []byte, i, depth int) (int, bool) {
	if depth > maxJSONDepth || i >= len(data) {
		return i, false
	}
	space := func(i int) int {
		if i < len(data) && jsonSpace[data[i]] {
			return skipSpace(data, i)
		}
		return i
	}
	switch c := data[i]; {
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = space(i + 1)
		if i < len(data) && data[i] == closer {
			return i + 1, true
		}
		for {
			i = space(i)
			if c == '{' {
				if i >= len(data) || data[i] != '"' {
					return i, false
				}
				var ok bool
				if i, ok = jsonSkipString(data, i); !ok {
					return i, false
				}
				i = space(i)
				if i >= len(data) || data[i] != ':' {
					return i, false
				}
				i = space(i + 1)
			}
			var ok bool
			if i, ok = jsonSkip(data, i, depth+1); !ok {
				return i, false
			}
			i = space(i)
			if i < len(data) && data[i] == ',' {
				i++
				continue
			}
			if i < len(data) && data[i] == closer {
				return i + 1, true
			}
			return i, false
		}
	case c == '"':
		return jsonSkipString(data, i)
	case c == '-' || c >= '0' && c <= '9':
		return jsonSkipNumber(data, i)
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit {
			return i + len(lit), true
		}
	}
	return i, false
}

// jsonSkipString validates the string at i (its opening quote): what
// jsonScanner.str accepts (control characters refused, escapes as
// encoding/json reads them; invalid UTF-8 is accepted, str replaces it).
func jsonSkipString(data []byte, i int) (int, bool) {
	i++
	for i < len(data) {
		i = skipPlainWords(data, i) // then the word that is not plain byte by byte (see str)
		for end := min(i+8, len(data)); i < end; {
			switch c := data[i]; {
			case c == '"':
				return i + 1, true
			case c == '\\':
				if i+1 >= len(data) {
					return i, false
				}
				switch data[i+1] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					i += 2
				case 'u':
					if i+6 > len(data) {
						return i, false
					}
					for _, h := range data[i+2 : i+6] {
						if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
							return i, false
						}
					}
					i += 6
				default:
					return i, false
				}
			case c < 0x20:
				return i, false
			default:
				i++
			}
		}
	}
	return i, false
}

// jsonSkipNumber validates a number at i as jsonScanner.number does.
func jsonSkipNumber(data []byte, i int) (int, bool) {
	digits := func() int {
		n := 0
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if data[i] == '-' {
		i++
	}
	if i < len(data) && data[i] == '0' {
		i++
	} else if digits() == 0 {
		return i, false
	}
	if i < len(data) && data[i] == '.' {
		i++
		if digits() == 0 {
			return i, false
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return i, false
		}
	}
	return i, true
}
