package yamlfast

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// gen writes random YAML in (and near) the subset: the fuzz test's random
// bytes mostly fall back, these mostly take the fast path.
type gen struct {
	r *rand.Rand
	b strings.Builder
}

var scalarPool = []string{
	"a", "abc def", "0x1F", "1_000", ".inf", "-.Inf", "~", "null", "Null", "yes", "no", "on", "off",
	"1e3", "+1", "012", "-1", "-0", "0.5", ".5", "3.", "2001-12-14", "2001-12-14T21:59:43Z", "true", "False",
	"''", `""`, "'it''s'", `"a\tb\u00e9\\"`, `"x: y"`, "'# z'", "a#b", "http://x/y?z=1#f", "x:y", "-x", "é", "값 값",
	"a  b", "[]", "{}", "[a, b]", "{a: 1, b: [c, {d: e}]}", "[ 'x' , \"y\" ]", "<<", "a: b", "- a", "? a", "&a b", "*a",
	"!!str x", "|", ">-", "\"multi\n  line\"", "'multi\n\n  line'", "plain\n  continued", "[a,\n  b]", "{a: b,\n  c: d}",
}

func (g *gen) scalar(indent int) {
	s := scalarPool[g.r.IntN(len(scalarPool))]
	s = strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", indent+1+g.r.IntN(2)))
	g.b.WriteString(s)
}

func (g *gen) comment() {
	switch g.r.IntN(8) {
	case 0:
		g.b.WriteString(" # c")
	case 1:
		g.b.WriteString("  ")
	}
}

func (g *gen) blank(indent int) {
	switch g.r.IntN(10) {
	case 0:
		g.b.WriteString("\n")
	case 1:
		g.b.WriteString(strings.Repeat(" ", g.r.IntN(indent+3)) + "# note\n")
	case 2:
		g.b.WriteString(strings.Repeat(" ", g.r.IntN(indent+3)) + "\n")
	}
}

func (g *gen) blockScalar(indent int) {
	head := []string{"|", ">", "|-", ">-", "|+", ">+", "|2", ">1-", "|+1"}[g.r.IntN(9)]
	g.b.WriteString(head)
	g.comment()
	g.b.WriteString("\n")
	in := indent + 2
	if strings.ContainsAny(head, "12") {
		in = indent + int(head[len(head)-1]-'0')
		if head[len(head)-1] == '-' || head[len(head)-1] == '+' {
			in = indent + int(head[len(head)-2]-'0')
		}
	}
	for i := g.r.IntN(4); i >= 0; i-- {
		switch g.r.IntN(5) {
		case 0:
			g.b.WriteString("\n")
		case 1:
			g.b.WriteString(strings.Repeat(" ", in+1) + "more indented\n")
		case 2:
			g.b.WriteString(strings.Repeat(" ", in) + "\n")
		default:
			g.b.WriteString(strings.Repeat(" ", in) + "line text\n")
		}
	}
}

// value writes a node after "key:" or "- " (the indicator written).
func (g *gen) value(indent, depth int) {
	switch k := g.r.IntN(10); {
	case depth > 4 || k < 4:
		g.b.WriteString(" ")
		g.scalar(indent)
		g.comment()
		g.b.WriteString("\n")
	case k == 4:
		g.b.WriteString(" ")
		g.blockScalar(indent)
	case k == 5:
		g.comment()
		g.b.WriteString("\n") // empty
	case k == 6:
		g.comment()
		g.b.WriteString("\n")
		g.seq(indent+g.r.IntN(3), depth+1)
	default:
		g.comment()
		g.b.WriteString("\n")
		g.mapping(indent+1+g.r.IntN(3), depth+1)
	}
}

func (g *gen) mapping(indent, depth int) {
	for i := g.r.IntN(4); i >= 0; i-- {
		g.blank(indent)
		g.b.WriteString(strings.Repeat(" ", indent))
		switch g.r.IntN(6) {
		case 0:
			g.b.WriteString("'k q'")
		case 1:
			g.b.WriteString(`"k\"d"`)
		default:
			fmt.Fprintf(&g.b, "k%d", g.r.IntN(5))
		}
		g.b.WriteString(":")
		g.value(indent, depth)
	}
}

func (g *gen) seq(indent, depth int) {
	for i := g.r.IntN(4); i >= 0; i-- {
		g.blank(indent)
		g.b.WriteString(strings.Repeat(" ", indent) + "-")
		if g.r.IntN(3) == 0 {
			// a compact mapping
			fmt.Fprintf(&g.b, " k%d:", g.r.IntN(3))
			g.value(indent+2, depth+1)
			if g.r.IntN(2) == 0 {
				fmt.Fprintf(&g.b, "%sz:", strings.Repeat(" ", indent+2))
				g.value(indent+2, depth+1)
			}
			continue
		}
		g.value(indent, depth)
	}
}

func TestRandomDocs(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	fast := 0
	for i := 0; i < n; i++ {
		g := &gen{r: rand.New(rand.NewPCG(uint64(i), 13))}
		if i%2 == 0 {
			g.mapping(g.r.IntN(2), 0)
		} else {
			g.seq(g.r.IntN(2), 0)
		}
		if check(t, fmt.Sprintf("doc %d", i), []byte(g.b.String())) {
			fast++
		}
	}
	t.Logf("%d of %d random documents on the fast path", fast, n)
	if fast < n/10 {
		t.Errorf("only %d of %d random documents on the fast path", fast, n)
	}
}
