package yamlfast

import (
	"go.yaml.in/yaml/v4"
)

// plain scans a plain scalar at p.pos, as scanPlainScalar in yaml.v4's
// internal/libyaml/scanner.go does (no tabs reach here). indent is libyaml's
// parser.indent. It leaves p.pos after the scalar's last character and
// reports whether the scalar spans several lines.
func (p *parser) plain(indent int, flow bool) (*yaml.Node, bool) {
	startLine, startCol := p.line, p.column(p.pos)
	limit := indent + 1
	// Until a line break is folded, the value is the text itself: s stays
	// nil and the value is data[start:endPos].
	start := p.pos
	var s []byte
	leadingBlanks := false
	trailing, spaces := 0, 0
	multi := false
	endPos, endLine, endLineStart := p.pos, p.line, p.lineStart
	for {
		if p.at(p.pos) == '#' {
			break
		}
		for !p.blankz(p.pos) {
			c := p.data[p.pos]
			if c == ':' && p.blankz(p.pos+1) {
				break
			}
			if flow {
				switch c {
				case ',', '[', ']', '{', '}':
					goto done
				case ':':
					if n := p.at(p.pos + 1); n == ',' || n == ']' || n == '}' {
						goto done
					}
				}
			}
			if leadingBlanks {
				if !multi {
					s = append(make([]byte, 0, 2*(endPos-start)+16), p.data[start:endPos]...)
				}
				if trailing == 0 {
					s = append(s, ' ')
				} else {
					for ; trailing > 0; trailing-- {
						s = append(s, '\n')
					}
				}
				leadingBlanks = false
				multi = true
			} else if multi {
				for ; spaces > 0; spaces-- {
					s = append(s, ' ')
				}
			} else {
				spaces = 0
			}
			if multi {
				s = append(s, c)
			}
			p.pos++
			endPos, endLine, endLineStart = p.pos, p.line, p.lineStart
		}
	done:
		if c := p.at(p.pos); c != ' ' && c != '\n' {
			break
		}
		p.blanks(&spaces, &trailing, &leadingBlanks)
		if !flow && p.pos-p.lineStart+1 < limit {
			break
		}
	}
	p.pos, p.line, p.lineStart = endPos, endLine, endLineStart
	var v string
	if multi {
		v = string(s)
	} else {
		v = string(p.data[start:endPos])
	}
	if v == "<<" || v == "" {
		p.bail()
	}
	n := p.newNode()
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: resolveTag(v), Value: v, Line: startLine, Column: startCol}
	return n, multi
}

// quoted scans a single- or double-quoted scalar.
func (p *parser) quoted() *yaml.Node {
	line, col := p.line, p.column(p.pos)
	single := p.data[p.pos] == '\''
	p.pos++
	st := yaml.DoubleQuotedStyle
	if single {
		st = yaml.SingleQuotedStyle
	}
	// The common case: no escape, the value is the text between the quotes.
	q := p.data[p.pos-1]
	for i := p.pos; i < len(p.data); i++ {
		c := p.data[i]
		if c == '\n' || c == '\\' && !single {
			break
		}
		if c == q {
			if single && i+1 < len(p.data) && p.data[i+1] == '\'' {
				break
			}
			n := p.newNode()
			*n = yaml.Node{Kind: yaml.ScalarNode, Style: st, Tag: "!!str", Value: string(p.data[p.pos:i]), Line: line, Column: col}
			p.pos = i + 1
			return n
		}
	}
	// The general case, as scanFlowScalar in yaml.v4's scanner: escapes,
	// and line breaks folded (continuation lines may start at any column).
	var s []byte
	leadingBreak := false
	trailing, spaces := 0, 0
	for {
		if p.pos >= len(p.data) {
			p.bail()
		}
		leadingBlanks := false
		for !p.blankz(p.pos) {
			c := p.data[p.pos]
			if single {
				if c == '\'' {
					if p.at(p.pos+1) == '\'' {
						s = append(s, '\'')
						p.pos += 2
						continue
					}
					break
				}
				s = append(s, c)
				p.pos++
				continue
			}
			if c == '"' {
				break
			}
			if c != '\\' {
				s = append(s, c)
				p.pos++
				continue
			}
			if p.at(p.pos+1) == '\n' {
				// An escaped line break.
				p.pos++
				p.newline()
				leadingBlanks = true
				break
			}
			s = p.escape(s)
		}
		if p.at(p.pos) == q {
			break
		}
		if p.blanks(&spaces, &trailing, &leadingBlanks) {
			leadingBreak = true
		}
		if leadingBlanks {
			if leadingBreak && trailing == 0 {
				s = append(s, ' ')
			}
			for ; trailing > 0; trailing-- {
				s = append(s, '\n')
			}
			leadingBreak = false
		} else {
			for ; spaces > 0; spaces-- {
				s = append(s, ' ')
			}
		}
	}
	p.pos++
	n := p.newNode()
	*n = yaml.Node{Kind: yaml.ScalarNode, Style: st, Tag: "!!str", Value: string(s), Line: line, Column: col}
	return n
}

// blockScalar scans a literal or folded scalar as scanBlockScalar in
// yaml.v4's scanner does. indent is libyaml's parser.indent.
func (p *parser) blockScalar(pIndent int, literal bool) *yaml.Node {
	startLine, startCol := p.line, p.column(p.pos)
	p.pos++
	chomping, increment := 0, 0
	if c := p.at(p.pos); c == '+' || c == '-' {
		chomping = 1
		if c == '-' {
			chomping = -1
		}
		p.pos++
		if d := p.at(p.pos); d >= '0' && d <= '9' {
			if d == '0' {
				p.bail()
			}
			increment = int(d - '0')
			p.pos++
		}
	} else if c >= '0' && c <= '9' {
		if c == '0' {
			p.bail()
		}
		increment = int(c - '0')
		p.pos++
		if c := p.at(p.pos); c == '+' || c == '-' {
			chomping = 1
			if c == '-' {
				chomping = -1
			}
			p.pos++
		}
	}
	headerEnd := p.pos
	for p.at(p.pos) == ' ' {
		p.pos++
	}
	if p.at(p.pos) == '#' {
		if p.pos == headerEnd {
			p.bail()
		}
		for p.pos < len(p.data) && p.data[p.pos] != '\n' {
			p.pos++
		}
	}
	if c := p.at(p.pos); c != '\n' && c != 0 {
		p.bail()
	}
	if p.at(p.pos) == '\n' {
		p.newline()
	}
	indent := 0
	if increment > 0 {
		if pIndent >= 0 {
			indent = pIndent + increment
		} else {
			indent = increment + 1
		}
	}
	var s []byte
	trailing := 0
	p.blockBreaks(&indent, &trailing, startLine, pIndent)
	leadingBreak, leadingBlank, trailingBlank := false, false, false
	for p.pos-p.lineStart+1 == indent && p.pos < len(p.data) {
		trailingBlank = p.data[p.pos] == ' '
		if !literal && !leadingBlank && !trailingBlank && leadingBreak {
			if trailing == 0 {
				s = append(s, ' ')
			}
		} else if leadingBreak {
			s = append(s, '\n')
		}
		leadingBreak = false
		for ; trailing > 0; trailing-- {
			s = append(s, '\n')
		}
		leadingBlank = p.data[p.pos] == ' '
		lineStart := len(s)
		for p.pos < len(p.data) && p.data[p.pos] != '\n' {
			s = append(s, p.data[p.pos])
			p.pos++
		}
		if p.pos >= len(p.data) {
			allSpace := true
			for _, b := range s[lineStart:] {
				if b != ' ' {
					allSpace = false
					break
				}
			}
			leadingBreak = allSpace
		} else {
			leadingBreak = true
			p.newline()
		}
		p.blockBreaks(&indent, &trailing, startLine, pIndent)
	}
	if chomping != -1 && leadingBreak {
		s = append(s, '\n')
	}
	if chomping == 1 {
		for ; trailing > 0; trailing-- {
			s = append(s, '\n')
		}
	}
	st := yaml.FoldedStyle
	if literal {
		st = yaml.LiteralStyle
	}
	n := p.newNode()
	*n = yaml.Node{Kind: yaml.ScalarNode, Style: st, Tag: "!!str", Value: string(s), Line: startLine, Column: startCol}
	return n
}

// blockBreaks is scanBlockScalarBreaks: it eats indentation and empty lines
// and settles the indentation if not yet known.
func (p *parser) blockBreaks(indent, trailing *int, startLine, pIndent int) {
	maxIndent := 0
	for {
		for (*indent == 0 || p.pos-p.lineStart+1 < *indent) && p.at(p.pos) == ' ' {
			p.pos++
		}
		if c := p.pos - p.lineStart + 1; c > maxIndent {
			maxIndent = c
		}
		if p.at(p.pos) != '\n' {
			break
		}
		*trailing++
		p.newline()
	}
	col := p.pos - p.lineStart + 1
	if p.pos >= len(p.data) && p.line > startLine && col > 1 && (*indent == 0 || col <= *indent) {
		*trailing++
	}
	if *indent == 0 {
		*indent = maxIndent
		if *indent < pIndent+1 {
			*indent = pIndent + 1
		}
		if *indent < 1 {
			*indent = 1
		}
	}
}

// flow parses a flow sequence or mapping. indent is libyaml's
// parser.indent: the block collection around it. Its lines after the first
// must be indented beyond it (yaml.v4 requires it of a value indicator;
// the subset of everything).
func (p *parser) flow(depth, indent int) *yaml.Node {
	if depth > maxDepth || p.depth+depth > maxDepth {
		p.bail()
	}
	open := p.data[p.pos]
	n := p.newNode()
	*n = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Line: p.line, Column: p.column(p.pos)}
	closer := byte(']')
	if open == '{' {
		n.Kind, n.Tag, closer = yaml.MappingNode, "!!map", '}'
	}
	p.pos++
	for {
		p.flowSpaces(indent)
		if p.at(p.pos) == closer {
			p.pos++
			return n
		}
		if open == '{' {
			c := p.at(p.pos)
			if c == '[' || c == '{' {
				p.bail()
			}
			line := p.line
			k := p.flowNode(depth, indent)
			if p.line != line || p.at(p.pos) != ':' || p.at(p.pos+1) != ' ' && p.at(p.pos+1) != '\n' {
				p.bail() // a key on several lines, or ':' not followed by a blank
			}
			p.pos++
			p.flowSpaces(indent)
			if c := p.at(p.pos); c == ',' || c == '}' {
				p.bail()
			}
			n.Content = append(n.Content, k, p.flowNode(depth, indent))
		} else {
			n.Content = append(n.Content, p.flowNode(depth, indent))
		}
		p.flowSpaces(indent)
		switch p.at(p.pos) {
		case ',':
			p.pos++
		case closer:
			p.pos++
			return n
		default:
			p.bail()
		}
	}
}

// flowSpaces skips spaces, line breaks and comments inside a flow
// collection, up to a token indented beyond indent.
func (p *parser) flowSpaces(indent int) {
	for {
		switch p.at(p.pos) {
		case ' ':
			p.pos++
			continue
		case '\n':
			p.newline()
			continue
		case '#':
			if p.pos > p.lineStart && p.data[p.pos-1] != ' ' {
				p.bail()
			}
			for p.pos < len(p.data) && p.data[p.pos] != '\n' {
				p.pos++
			}
			continue
		case 0:
			p.bail()
		}
		if p.column(p.pos) <= indent {
			p.bail()
		}
		return
	}
}

func (p *parser) flowNode(depth, indent int) *yaml.Node {
	c := p.data[p.pos]
	switch c {
	case '[', '{':
		return p.flow(depth+1, indent)
	case '"', '\'':
		n := p.quoted()
		for p.at(p.pos) == ' ' {
			p.pos++
		}
		return n
	case '-':
		switch p.at(p.pos + 1) {
		case ' ', '\n', 0, ',', '[', ']', '{', '}':
			p.bail()
		}
	case '?', ':', ',', ']', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		p.bail()
	}
	n, _ := p.plain(0, true)
	for p.at(p.pos) == ' ' {
		p.pos++
	}
	return n
}

// escape decodes the escape sequence at p.pos (a backslash) onto s.
func (p *parser) escape(s []byte) []byte {
	codeLen := 0
	switch p.at(p.pos + 1) {
	case '0':
		s = append(s, 0)
	case 'a':
		s = append(s, '\x07')
	case 'b':
		s = append(s, '\x08')
	case 't':
		s = append(s, '\x09')
	case 'n':
		s = append(s, '\x0A')
	case 'v':
		s = append(s, '\x0B')
	case 'f':
		s = append(s, '\x0C')
	case 'r':
		s = append(s, '\x0D')
	case 'e':
		s = append(s, '\x1B')
	case ' ':
		s = append(s, ' ')
	case '"':
		s = append(s, '"')
	case '/':
		s = append(s, '/')
	case '\\':
		s = append(s, '\\')
	case 'N':
		s = append(s, "\u0085"...)
	case '_':
		s = append(s, "\u00a0"...)
	case 'L':
		s = append(s, "\u2028"...)
	case 'P':
		s = append(s, "\u2029"...)
	case 'x':
		codeLen = 2
	case 'u':
		codeLen = 4
	case 'U':
		codeLen = 8
	default:
		p.bail()
	}
	p.pos += 2
	if codeLen == 0 {
		return s
	}
	v := 0
	for k := 0; k < codeLen; k++ {
		h := p.at(p.pos + k)
		switch {
		case h >= '0' && h <= '9':
			v = v<<4 + int(h-'0')
		case h >= 'a' && h <= 'f':
			v = v<<4 + int(h-'a'+10)
		case h >= 'A' && h <= 'F':
			v = v<<4 + int(h-'A'+10)
		default:
			p.bail()
		}
	}
	if (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF {
		p.bail()
	}
	switch {
	case v <= 0x7F:
		s = append(s, byte(v))
	case v <= 0x7FF:
		s = append(s, byte(0xC0+(v>>6)), byte(0x80+(v&0x3F)))
	case v <= 0xFFFF:
		s = append(s, byte(0xE0+(v>>12)), byte(0x80+((v>>6)&0x3F)), byte(0x80+(v&0x3F)))
	default:
		s = append(s, byte(0xF0+(v>>18)), byte(0x80+((v>>12)&0x3F)), byte(0x80+((v>>6)&0x3F)), byte(0x80+(v&0x3F)))
	}
	p.pos += codeLen
	return s
}

// blanks consumes the spaces and line breaks between two parts of a
// multi-line scalar (libyaml's blank/break loop, shared by the plain and the
// quoted scanners): spaces are counted until the first break, breaks after
// the first in trailing; it reports whether it met the first break.
func (p *parser) blanks(spaces, trailing *int, leadingBlanks *bool) (firstBreak bool) {
	for {
		switch p.at(p.pos) {
		case ' ':
			if !*leadingBlanks {
				*spaces++
			}
			p.pos++
		case '\n':
			if !*leadingBlanks {
				*spaces = 0
				*leadingBlanks = true
				firstBreak = true
			} else {
				*trailing++
			}
			p.newline()
		default:
			return firstBreak
		}
	}
}
