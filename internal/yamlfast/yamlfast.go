// Package yamlfast parses the common subset of YAML that OpenAPI documents
// use into the node tree go.yaml.in/yaml/v4 builds, several times faster.
//
// Parse returns exactly what yaml.Unmarshal(data, &node) gives (Kind, Style,
// Tag, Value, Line, Column, Content; comments are not reproduced: nothing in
// obpm reads them) or ok=false whenever the input uses anything outside the
// subset: the caller then parses with yaml.v4, which also reports errors.
// The scalar scanners (plain, block) and the tag resolver follow
// go.yaml.in/yaml/v4 v4.0.0 internal/libyaml (scanner.go, resolver.go;
// Copyright Canonical Ltd and the go-yaml Project Contributors, Apache-2.0/MIT)
// line for line, so that folding, chomping and typing match.
//
// Outside the subset (fallback): anchors, aliases, tags, "?" keys,
// directives, document markers (but a leading "---"), tabs, CR and other
// line breaks than LF, a byte order mark, control characters, keys on
// several lines, empty values inside flow collections, block sequences that
// start after "key: " or "- " on the same line, scalars at the root, and
// nesting deeper than maxDepth.
package yamlfast

import (
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// maxDepth bounds the recursion; yaml.v4's own limit is far above it.
const maxDepth = 60

// maxKeyLen keeps simple keys under libyaml's 1024-character limit.
const maxKeyLen = 1000

type parser struct {
	slab      []yaml.Node // nodes are allocated in blocks: fewer, larger allocations
	data      []byte
	pos       int
	line      int // 1-based line of pos
	lineStart int // offset of the first byte of that line
	depth     int
	// column's cache: the column col of offset colPos on the line at colLine.
	colLine, colPos, col int
}

// fail aborts the parse at line (kept for tests and debugging).
type fail struct{ line int }

func (p *parser) bail() { panic(fail{p.line}) }

// Parse returns the document node of data, or ok=false.
func Parse(data []byte) (doc *yaml.Node, ok bool) {
	doc, _ = parse(data)
	return doc, doc != nil
}

// parse returns the document or the line where the subset was left
// (0: the input check).
func parse(data []byte) (doc *yaml.Node, failLine int) {
	docStart, ok := checkInput(data)
	if !ok {
		return nil, 0
	}
	defer func() {
		if r := recover(); r != nil {
			f, isFail := r.(fail)
			if !isFail {
				panic(r)
			}
			doc, failLine = nil, f.line
		}
	}()
	p := &parser{data: data, line: 1, colLine: -1}
	p.skipToContent()
	docLine, docCol := 0, 0
	if p.pos == docStart {
		// A leading "---" (only spaces or a comment after it): the
		// document node is placed at it.
		docLine, docCol = p.line, 1
		p.pos += 3
		p.endLine()
		p.skipToContent()
	}
	if p.pos >= len(data) {
		return nil, p.line
	}
	root := p.node(-1, ctxOwnLine)
	if root.Kind != yaml.MappingNode && root.Kind != yaml.SequenceNode || root.Style&yaml.FlowStyle != 0 {
		return nil, p.line
	}
	p.skipToContent()
	if p.pos < len(data) {
		return nil, p.line
	}
	if docLine == 0 {
		docLine, docCol = root.Line, root.Column
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Line: docLine, Column: docCol, Content: []*yaml.Node{root}}, 0
}

// checkInput rejects what the parser does not handle: characters libyaml
// rejects or treats specially (tabs, CR, NEL, LS, PS, BOM, controls, invalid
// UTF-8), document markers and directives at a line start, except one
// "---" before any content: docStart is its offset (-1 if none).
func checkInput(data []byte) (docStart int, ok bool) {
	const no = -1
	docStart = no
	bol := true
	content := false // a line with something else than spaces and a comment was seen
	for i := 0; i < len(data); {
		c := data[i]
		if bol {
			if c == '%' {
				return no, false
			}
			if i+3 <= len(data) && (c == '-' || c == '.') && data[i+1] == c && data[i+2] == c &&
				(i+3 == len(data) || data[i+3] == ' ' || data[i+3] == '\n') {
				if c == '.' || content || docStart != no {
					return no, false
				}
				docStart = i
				content = true
			}
			if !content {
				j := i
				for j < len(data) && data[j] == ' ' {
					j++
				}
				if j < len(data) && data[j] != '\n' && data[j] != '#' {
					content = true
				}
			}
		}
		if c < 0x80 {
			if c == '\n' {
				bol = true
			} else if c < 0x20 || c == 0x7f {
				return no, false
			} else {
				bol = false
			}
			i++
			continue
		}
		bol = false
		r, w := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError || r < 0xA0 || r == 0x2028 || r == 0x2029 || r == 0xFEFF ||
			(r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			return no, false
		}
		i += w
	}
	return docStart, true
}

func (p *parser) newNode() *yaml.Node {
	if len(p.slab) == 0 {
		p.slab = make([]yaml.Node, 128)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	return n
}

func (p *parser) at(i int) byte {
	if i < len(p.data) {
		return p.data[i]
	}
	return 0
}

// blankz: space, line break or end of input.
func (p *parser) blankz(i int) bool {
	c := p.at(i)
	return c == ' ' || c == '\n' || c == 0
}

// column is the 1-based column (in characters) of offset i on the current
// line. The count goes on from the last one on the same line, so that a long
// line with many nodes costs its length once.
func (p *parser) column(i int) int {
	if p.colLine != p.lineStart || i < p.colPos {
		p.colLine, p.colPos, p.col = p.lineStart, p.lineStart, 1
	}
	for j := p.colPos; j < i; j++ {
		if p.data[j] < 0x80 || p.data[j] >= 0xC0 {
			p.col++ // not a continuation byte: a character starts here
		}
	}
	p.colPos = i
	return p.col
}

func (p *parser) newline() {
	p.pos++
	p.line++
	p.lineStart = p.pos
}

// skipToContent skips spaces, comments and line breaks.
func (p *parser) skipToContent() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ':
			p.pos++
		case '\n':
			p.newline()
		case '#':
			if p.pos > p.lineStart && p.data[p.pos-1] != ' ' {
				p.bail() // libyaml: a comment without preceding whitespace
			}
			for p.pos < len(p.data) && p.data[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

// endLine expects only spaces and a comment up to the end of the line.
func (p *parser) endLine() {
	start := p.pos
	for p.pos < len(p.data) && p.data[p.pos] == ' ' {
		p.pos++
	}
	if p.pos >= len(p.data) || p.data[p.pos] == '\n' {
		return
	}
	if p.data[p.pos] == '#' && p.pos > start {
		for p.pos < len(p.data) && p.data[p.pos] != '\n' {
			p.pos++
		}
		return
	}
	p.bail()
}

type ctx int

const (
	ctxOwnLine ctx = iota // first content of its line
	ctxValue              // after "key: " on the same line
	ctxDash               // after "- " on the same line
)

// node parses a block node at p.pos (a content character). indent is
// libyaml's parser.indent there (1-based column of the enclosing block
// collection, -1 at the root).
func (p *parser) node(indent int, where ctx) *yaml.Node {
	p.depth++
	if p.depth > maxDepth {
		p.bail()
	}
	defer func() { p.depth-- }()
	c := p.data[p.pos]
	col := p.column(p.pos)
	switch c {
	case '-':
		if p.blankz(p.pos + 1) {
			if where != ctxOwnLine {
				p.bail()
			}
			return p.blockSeq(col)
		}
	case '|', '>':
		return p.blockScalar(indent, c == '|')
	case '[', '{':
		n := p.flow(0, indent)
		p.noKeyAfter()
		return n
	case '"', '\'':
		line, startPos := p.line, p.pos
		k := p.quoted()
		if p.keyFollows() {
			if where == ctxValue || p.line != line || p.pos-startPos > maxKeyLen {
				p.bail()
			}
			return p.blockMap(col, k, line)
		}
		return k
	case '?', ':', ',', ']', '}', '#', '&', '*', '!', '%', '@', '`':
		p.bail()
	}
	line := p.line
	startPos := p.pos
	s, multi := p.plain(indent, false)
	if p.keyFollows() {
		if where == ctxValue || multi || p.pos-startPos > maxKeyLen {
			p.bail()
		}
		return p.blockMap(col, s, line)
	}
	return s
}

// keyFollows reports whether spaces and a value indicator ":" + blank follow
// on the same line, and consumes them.
func (p *parser) keyFollows() bool {
	i := p.pos
	for i < len(p.data) && p.data[i] == ' ' {
		i++
	}
	if p.at(i) == ':' && p.blankz(i+1) {
		p.pos = i
		return true
	}
	return false
}

func (p *parser) noKeyAfter() {
	i := p.pos
	for i < len(p.data) && p.data[i] == ' ' {
		i++
	}
	if p.at(i) == ':' {
		p.bail()
	}
}

// blockMap parses a block mapping at column col whose first key k has been
// read; p.pos is at its ':'.
func (p *parser) blockMap(col int, k *yaml.Node, line int) *yaml.Node {
	m := p.newNode()
	*m = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line, Column: k.Column}
	for {
		if len(k.Value) > maxKeyLen {
			p.bail()
		}
		// p.pos at ':'
		colonLine, colonCol := p.line, p.column(p.pos)+1
		p.pos++
		v := p.valueAfterIndicator(col, col, colonLine, colonCol)
		m.Content = append(m.Content, k, v)
		p.skipToContent()
		if p.pos >= len(p.data) {
			return m
		}
		ncol := p.column(p.pos)
		if ncol < col {
			return m
		}
		if ncol > col {
			p.bail()
		}
		k = p.key()
	}
}

// key reads a block mapping key at p.pos, up to its ':'.
func (p *parser) key() *yaml.Node {
	start := p.pos
	var k *yaml.Node
	switch c := p.data[p.pos]; c {
	case '"', '\'':
		line := p.line
		k = p.quoted()
		if p.line != line {
			p.bail()
		}
	case '-':
		if p.blankz(p.pos + 1) {
			p.bail()
		}
		fallthrough
	default:
		switch c {
		case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`':
			p.bail()
		}
		var multi bool
		k, multi = p.plain(-2, false) // single line: stops at ': ' anyway
		if multi {
			p.bail()
		}
	}
	if !p.keyFollows() || p.pos-start > maxKeyLen {
		p.bail()
	}
	return k
}

// valueAfterIndicator parses what follows a ':' or '-' indicator: a value on
// the same line or on the next lines, or an empty node placed at the
// indicator's end (emptyLine, emptyCol). col is the collection's column,
// indent libyaml's parser.indent for the value.
func (p *parser) valueAfterIndicator(col, indent, emptyLine, emptyCol int) *yaml.Node {
	for p.pos < len(p.data) && p.data[p.pos] == ' ' {
		p.pos++
	}
	c := p.at(p.pos)
	if c != '\n' && c != 0 && c != '#' {
		v := p.node(indent, ctxValue)
		if v.Kind == yaml.ScalarNode && v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 || v.Style&yaml.FlowStyle != 0 {
			p.endLine()
		}
		return v
	}
	save, saveLine, saveStart := p.pos, p.line, p.lineStart
	p.skipToContent()
	if p.pos < len(p.data) {
		ncol := p.column(p.pos)
		if ncol > col {
			v := p.node(indent, ctxOwnLine)
			if v.Kind == yaml.ScalarNode && v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 || v.Style&yaml.FlowStyle != 0 {
				p.endLine()
			}
			return v
		}
		if ncol == col && p.data[p.pos] == '-' && p.blankz(p.pos+1) && indent == col && emptyCol != col+1 {
			// An indentless sequence as a mapping value.
			return p.blockSeq(col)
		}
	}
	p.pos, p.line, p.lineStart = save, saveLine, saveStart
	n := p.newNode()
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: emptyLine, Column: emptyCol}
	return n
}

// blockSeq parses a block sequence whose first '-' is at p.pos, column col.
func (p *parser) blockSeq(col int) *yaml.Node {
	s := p.newNode()
	*s = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: p.line, Column: col}
	for {
		dashLine := p.line
		p.pos++
		for p.pos < len(p.data) && p.data[p.pos] == ' ' {
			p.pos++
		}
		var v *yaml.Node
		c := p.at(p.pos)
		if c != '\n' && c != 0 && c != '#' {
			if c == '-' && p.blankz(p.pos+1) {
				p.bail()
			}
			v = p.node(col, ctxDash)
			if v.Kind == yaml.ScalarNode && v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 || v.Style&yaml.FlowStyle != 0 {
				p.endLine()
			}
		} else {
			v = p.valueAfterIndicator(col, col, dashLine, col+1)
		}
		s.Content = append(s.Content, v)
		p.skipToContent()
		if p.pos >= len(p.data) {
			return s
		}
		ncol := p.column(p.pos)
		if ncol > col {
			p.bail()
		}
		if ncol < col || !(p.data[p.pos] == '-' && p.blankz(p.pos+1)) {
			return s
		}
	}
}
