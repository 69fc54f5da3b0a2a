package generator

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
)

// maxGenLen caps every generated string (pattern match or length padding) and
// maxGenItems every generated array: a hostile or careless `minLength: 1e9`
// must not stall the generator or fill the disk. Values that the cap makes
// too short are warned about (see builder.sampleString).
const (
	maxGenLen   = 4096
	maxGenItems = 64
)

// regexString returns a deterministic string matching pattern, at least
// minLen characters long where the pattern allows it (repeats grow to reach
// it), or ok=false when the pattern does not parse as Go (RE2) syntax or the
// result does not match (back-references, lookarounds and the like are not
// RE2; the caller falls back to a plain value).
func regexString(pattern string, minLen, maxLen int) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	re = re.Simplify()
	g := &regexGen{need: minLen}
	var sb strings.Builder
	g.gen(&sb, re, 0)
	out := sb.String()
	if maxLen >= 0 && len([]rune(out)) > maxLen {
		return "", false
	}
	compiled, err := regexp.Compile(pattern)
	if err != nil || !compiled.MatchString(out) {
		return "", false
	}
	return out, true
}

// regexGen walks a regexp/syntax tree and writes one match: the first
// alternative, the first character of each class (a letter or digit when
// the class has one, so ids read well), the minimum of each repeat, grown by
// what is still needed to reach the minimum length.
type regexGen struct {
	need int // runes still wanted beyond the minimal match
	size int // runes written
}

func (g *regexGen) gen(sb *strings.Builder, re *syntax.Regexp, depth int) {
	if depth > 200 || g.size > maxGenLen {
		return
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			g.put(sb, r)
		}
	case syntax.OpCharClass:
		g.put(sb, classRune(re.Rune))
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		g.put(sb, 'a')
	case syntax.OpCapture:
		for _, s := range re.Sub {
			g.gen(sb, s, depth+1)
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			g.gen(sb, s, depth+1)
		}
	case syntax.OpAlternate:
		if len(re.Sub) > 0 {
			g.gen(sb, re.Sub[0], depth+1)
		}
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := re.Min, re.Max
		switch re.Op {
		case syntax.OpStar:
			lo, hi = 0, -1
		case syntax.OpPlus:
			lo, hi = 1, -1
		case syntax.OpQuest:
			lo, hi = 0, 1
		}
		n := lo
		for i := 0; len(re.Sub) > 0 && i < maxGenLen; i++ {
			if i >= n {
				// Grow an open or wider repeat while the minimum length needs it.
				if g.need <= 0 || (hi >= 0 && i >= hi) {
					break
				}
			}
			before := g.size
			g.gen(sb, re.Sub[0], depth+1)
			if i >= n && g.size == before {
				break // the repeated part is empty: growing it does not help
			}
		}
	}
	// OpEmptyMatch, anchors, word boundaries: nothing to write.
}

func (g *regexGen) put(sb *strings.Builder, r rune) {
	sb.WriteRune(r)
	g.size++
	g.need--
}

// classRune picks a member of a character class given as [lo, hi] pairs:
// a digit, else a lower-case letter, else an upper-case one, else the first
// printable member.
func classRune(ranges []rune) rune {
	for _, want := range []rune{'0', 'a', 'A'} {
		for i := 0; i+1 < len(ranges); i += 2 {
			lo, hi := ranges[i], ranges[i+1]
			span := rune(9)
			if want != '0' {
				span = 25
			}
			for r := want; r <= want+span; r++ {
				if r >= lo && r <= hi {
					return r
				}
			}
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r-ranges[i] < 256; r++ {
			if unicode.IsPrint(r) && r != ' ' {
				return r
			}
		}
	}
	if len(ranges) > 0 {
		return ranges[0]
	}
	return 'a'
}
