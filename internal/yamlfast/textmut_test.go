package yamlfast

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// TestTextMutants: line edits of real OpenAPI documents (stray indicators,
// quotes, tabs, BOMs, odd spaces, indentation changes): Parse either falls
// back or equals yaml.v4.
func TestTextMutants(t *testing.T) {
	var seeds []string
	for _, p := range []string{"../../generator/testdata/petstore/openapi.yaml", "../../generator/testdata/forms/openapi.yaml", "../../generator/testdata/v31/openapi.yaml", "../../generator/testdata/composition/openapi.yaml"} {
		d, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, string(d))
	}
	if d, err := os.ReadFile("../../generator/testdata/corpus/openai/openapi.yaml"); err == nil {
		l := strings.Split(string(d), "\n")
		seeds = append(seeds, strings.Join(l[:min(len(l), 3000)], "\n"))
	}
	frags := []string{"# c", "", "  ", "\t", "---", "...", "- ", "? x", ": y", "|", ">-", "|2", "'", "\"", "[", "]", "{", "}", ",", "&a ", "*a", "!!str ", "!x ", "\\", "#", " #", ": ", "-", "%", "@", "`", "\r", "\ufeff", "é", "\u2028", "\x85", "\u00a0", "\x00", "\xff"}
	r := rand.New(rand.NewPCG(3, 3))
	fast, fails := 0, 0
	for i := 0; i < 2000 && fails < 5; i++ {
		lines := strings.Split(seeds[i%len(seeds)], "\n")
		for range 1 + r.IntN(3) {
			j := r.IntN(len(lines))
			f := frags[r.IntN(len(frags))]
			switch r.IntN(5) {
			case 0:
				lines = slices.Insert(lines, j, strings.Repeat(" ", r.IntN(8))+f)
			case 1:
				lines[j] += f
			case 2:
				if len(lines[j]) > 0 {
					k := r.IntN(len(lines[j]))
					lines[j] = lines[j][:k] + f + lines[j][k:]
				}
			case 3:
				lines[j] = " " + lines[j]
			case 4:
				if len(lines[j]) > 0 {
					k := r.IntN(len(lines[j]))
					lines[j] = lines[j][:k] + lines[j][k+1:]
				}
			}
		}
		data := []byte(strings.Join(lines, "\n"))
		got, ok := Parse(data)
		if !ok {
			continue
		}
		fast++
		var want yaml.Node
		if err := yaml.Unmarshal(data, &want); err != nil {
			fails++
			t.Errorf("fast accepted what yaml rejects (%v)", err)
			continue
		}
		if d := diff(got, &want, ""); d != "" {
			fails++
			t.Errorf("%s", d)
		}
	}
	t.Logf("fast %d", fast)
}
