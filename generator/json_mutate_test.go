package generator

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJSONTextMutantsMatchLoad: text edits of a compact JSON document
// (escapes in keys, duplicate keys, whitespace, stray bytes, numbers) give
// the same result through splitJSON and the streaming path as through
// LoadFile+Generate.
func TestJSONTextMutantsMatchLoad(t *testing.T) {
	compact, err := nodeJSON(parseFull(synthSpec(4)))
	if err != nil {
		t.Fatal(err)
	}
	base := string(compact)
	edits := []func(r *rand.Rand, s string, i int) string{
		func(r *rand.Rand, s string, i int) string { return s[:i] + " " + s[i:] },
		func(r *rand.Rand, s string, i int) string { return s[:i] + "\n\t" + s[i:] },
		func(r *rand.Rand, s string, i int) string { return s[:i] + "\r\n" + s[i:] },
		func(r *rand.Rand, s string, i int) string { return s[:i] + s[i+1:] },
		func(r *rand.Rand, s string, i int) string { return s[:i] + "," + s[i:] },
		func(r *rand.Rand, s string, i int) string { return s[:i] + "\"" + s[i:] },
		func(r *rand.Rand, s string, i int) string { return s[:i] + "\\" + s[i:] },
		func(r *rand.Rand, s string, i int) string { return s[:i] + "\\u00e9" + s[i:] },
		func(r *rand.Rand, s string, i int) string { return s[:i] + "#" + s[i:] },
		func(r *rand.Rand, s string, i int) string { return s[:i] + "{}" + s[i:] },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"/", "\"\\/", 1+r.IntN(3)) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"/", "\"\\u002f", 1+r.IntN(3)) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"get\"", "\"\\u0067et\"", 1) },
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "\"paths\"", "\"pa\\u0074hs\"", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "\"paths\":{", "\"paths\":{},\"paths\":{", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "\"paths\":{", "\"paths\":{\"/dup\":{},\"/dup\":{},", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "\"paths\":{", "\"paths\":{\"\":{},", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "\"paths\":{", "\"paths\":{\"/n\":null,", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "\"paths\":{", "\"paths\":{\"/n\":[1],", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "\"paths\":{", "\"paths\":{\"/n\":\"x\",", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "\"paths\":{", "\"paths\":{\"/n\":{\"get\":{\"responses\":{\"200\":{\"description\":1e5}}}},", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "\"paths\":{", "\"paths\" :\n {", 1)
		},
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "},\"/", "} , \"/", 1) },
		func(r *rand.Rand, s string, i int) string { return "\ufeff" + s },
		func(r *rand.Rand, s string, i int) string { return s + "\n" },
		func(r *rand.Rand, s string, i int) string { return s + "x" },
		func(r *rand.Rand, s string, i int) string { return s + "\n---\n" },
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "\"openapi\":\"3.0.3\"", "\"openapi\":3.0", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "\"openapi\":\"3.0.3\"", "\"openapi\":\"3.1.0\"", 1)
		},
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, ":true", ":TRUE", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, ":1", ":01", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, ":1", ":-0.0e+1", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, ":\"", ":'", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"", "\"\\t", 1+r.IntN(5)) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"/", "\"/\\ud83d\\ude00", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"/", "\"/\\ud83d", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"/", "\"/\x01", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"/", "\"/\u2028", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"/", "\"/\xff", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"/", "\"/ #x", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"/", "\"/:: ", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"/", "\"/&a ", 1) },
		func(r *rand.Rand, s string, i int) string { return strings.Replace(s, "\"/", "\"/\\\"", 1) },
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "{\"get\"", "{\"$ref\":\"#/components/pathItems/X\",\"get\"", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "{\"get\"", "{\"x-y\":[1,{\"a\":null}],\"get\"", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, "{\"get\"", "{\"parameters\":[],\"get\"", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, ",\"components\"", ",\"x-z\":{},\"components\"", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, ",\"components\"", ",\"paths\":{},\"components\"", 1)
		},
		func(r *rand.Rand, s string, i int) string {
			return strings.Replace(s, ",\"components\"", ",\"webhooks\":{\"w\":{\"post\":{\"responses\":{\"200\":{\"description\":\"x\"}}}}},\"components\"", 1)
		},
	}
	r := rand.New(rand.NewPCG(5, 5))
	dir := t.TempDir()
	n, streamed, fails := 200, 0, 0
	if v := os.Getenv("OBPM_MUTANTS"); v != "" {
		fmt.Sscan(v, &n)
	}
	for i := 0; i < n && fails < 5; i++ {
		s := base
		for range 1 + r.IntN(3) {
			s = edits[r.IntN(len(edits))](r, s, r.IntN(len(s)))
		}
		p := filepath.Join(dir, fmt.Sprintf("j%d.json", i))
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		d, st := compareWithLoad(p, LoadOptions{}, Options{})
		if d2 := compareTreeWithBytes(p); d2 != "" {
			t.Errorf("mutant %d: tree vs loader: %s\n%s", i, d2, truncate(string(must(os.ReadFile(p))), 3000))
		}
		if st {
			streamed++
		}
		if d != "" {
			fails++
			t.Errorf("json mutant %d: %s\n%s", i, d, truncate(s, 3000))
		}
	}
	t.Logf("%d, %d streamed", n, streamed)
}

// TestJSONLineSeparators: a raw NEL, LS or PS inside a JSON string is a
// line break to kin-openapi's loader (YAML), which folds the spaces before
// it; the tree and streaming paths must give the loader's model, not JSON's.
func TestJSONLineSeparators(t *testing.T) {
	dir := t.TempDir()
	for i, sep := range []string{"\u0085", "\u2028", "\u2029", "\u2028\u0085"} {
		doc := `{"openapi":"3.0.3","info":{"title":"T ` + sep + `x","version":"1"},"paths":{"/a ` + sep + `b":{"get":{"summary":"s  ` + sep + ` t","responses":{"200":{"description":"ok"}}}}}}`
		p := filepath.Join(dir, fmt.Sprintf("%d.json", i))
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if d := compareTreeWithBytes(p); d != "" {
			t.Errorf("%q: tree vs loader: %s", sep, d)
		}
		if d, _ := compareWithLoad(p, LoadOptions{}, Options{}); d != "" {
			t.Errorf("%q: GenerateFile vs LoadFile: %s", sep, d)
		}
	}
}
