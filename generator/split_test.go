package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// nodeDiff says where a and b differ in any field the cut promises equal
// (all but the comments), or "".
func nodeDiff(a, b *yaml.Node, at string) string {
	switch {
	case a == nil && b == nil:
		return ""
	case a == nil || b == nil:
		return fmt.Sprintf("%s: one node is nil (%v, %v)", at, a == nil, b == nil)
	}
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Anchor != b.Anchor ||
		a.Line != b.Line || a.Column != b.Column || (a.Alias == nil) != (b.Alias == nil) || len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: kind %v/%v style %v/%v tag %q/%q value %q/%q anchor %q/%q at %d:%d/%d:%d, %d/%d children",
			at, a.Kind, b.Kind, a.Style, b.Style, a.Tag, b.Tag, a.Value, b.Value, a.Anchor, b.Anchor,
			a.Line, a.Column, b.Line, b.Column, len(a.Content), len(b.Content))
	}
	for i := range a.Content {
		if d := nodeDiff(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", at, i)); d != "" {
			return d
		}
	}
	return ""
}

// wholeTree is what the whole-file parse gives: jsonTop for JSON, parseTree
// (the sequential parseFull) for YAML.
func wholeTree(data []byte) *yaml.Node {
	if looksJSON(data) {
		return jsonTop(data)
	}
	return parseTree(data)
}

// checkSplit checks "ok ⇒ the same tree" for splitSource and parseChunked
// on data, and returns whether each cut the document.
func checkSplit(t testing.TB, data []byte) (split, chunked bool) {
	t.Helper()
	want := wholeTree(data)
	top, items, ok := splitSource(data)
	if ok {
		if p := entry(top, "paths"); p != nil && len(p.Content) > 0 {
			t.Fatalf("splitSource: top's paths holds %d nodes", len(p.Content))
		}
		got, err := reassemble(top, items)
		switch {
		case err != nil && looksJSON(data):
			t.Fatalf("splitSource validated the JSON but an item fails: %v", err)
		case err != nil:
			split = false // an item that does not parse: the caller falls back
		case want == nil:
			t.Fatalf("splitSource gave a tree where the whole parse fails")
		default:
			if d := nodeDiff(got, want, ""); d != "" {
				t.Fatalf("splitSource differs from the whole parse at %s", d)
			}
			split = true
		}
	}
	if got, ok := parseChunked(data, 3); ok {
		if want == nil {
			t.Fatalf("parseChunked gave a tree where the whole parse fails")
		}
		if d := nodeDiff(got, want, ""); d != "" {
			t.Fatalf("parseChunked differs from the whole parse at %s", d)
		}
		chunked = true
	}
	return split, chunked
}

// reassemble puts the items back into top's paths mapping, each parsed
// twice (the parse is callable more than once) on its own goroutine.
func reassemble(top *yaml.Node, items []pathSource) (*yaml.Node, error) {
	type kv struct {
		k, v *yaml.Node
		err  error
	}
	res := make([]kv, len(items))
	err := runParallel(len(items), 4, func(i int) error {
		if _, _, err := items[i].parse(nil); err != nil {
			return err
		}
		k, v, err := items[i].parse(nil)
		if err == nil && (k.Value != items[i].Key || k.Line != items[i].Line) {
			err = fmt.Errorf("item %q line %d: key node %q line %d", items[i].Key, items[i].Line, k.Value, k.Line)
		}
		res[i] = kv{k, v, err}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return top, nil
	}
	p := entry(top, "paths")
	if p == nil {
		return nil, fmt.Errorf("items without a paths key")
	}
	for _, r := range res {
		p.Content = append(p.Content, r.k, r.v)
	}
	return top, nil
}

// splitDocs are every YAML and JSON document of the tests: testdata
// (corpus included), the embedded specs, each YAML one also as JSON (one
// line and indented) and each JSON one also as YAML.
func splitDocs(t *testing.T) map[string][]byte {
	docs := map[string][]byte{}
	for _, root := range []string{"testdata", "../specs"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch filepath.Ext(path) {
			case ".yaml", ".yml", ".json":
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				docs[path] = data
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string][]byte{"synth1000.yaml": synthSpec(1000), "synth7.yaml": synthSpec(7)} {
		docs[name] = data
	}
	originals := map[string][]byte{}
	for name, data := range docs {
		originals[name] = data
	}
	for name, data := range originals {
		addForms(t, docs, name, data)
	}
	return docs
}

// addForms adds the other syntax of a document.
func addForms(t *testing.T, docs map[string][]byte, name string, data []byte) {
	if looksJSON(data) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		y, err := yaml.Marshal(v)
		if err != nil {
			t.Fatalf("%s as YAML: %v", name, err)
		}
		docs[name+".as.yaml"] = y
		return
	}
	n := parseTree(data)
	if n == nil {
		return
	}
	j, err := nodeJSON(n)
	if err != nil {
		return // aliases, non-string keys: not JSON
	}
	docs[name+".as.json"] = j
	var ind bytes.Buffer
	if err := json.Indent(&ind, j, "", "  "); err == nil {
		docs[name+".as-indented.json"] = ind.Bytes()
	}
}

// TestSplitSourceMatchesWholeParse: on every document the cut gives the
// tree of the whole parse, and it does cut the large ones.
func TestSplitSourceMatchesWholeParse(t *testing.T) {
	docs := splitDocs(t)
	mustCut := []string{
		"synth1000.yaml", "synth1000.yaml.as.json", "synth1000.yaml.as-indented.json",
		"testdata/corpus/box/openapi.json", "testdata/corpus/box/openapi.json.as.yaml",
		"testdata/corpus/openai/openapi.yaml", "testdata/corpus/openai/openapi.yaml.as-indented.json",
		"testdata/petstore/openapi.yaml",
		"testdata/corpus/oai/v3.0/petstore.yaml", "testdata/corpus/oai/v3.0/petstore.json",
	}
	splits := map[string]bool{}
	for name, data := range docs {
		t.Run(name, func(t *testing.T) {
			split, chunked := checkSplit(t, data)
			splits[name] = split
			if !looksJSON(data) && split != chunked {
				t.Errorf("splitSource cut: %v, parseChunked: %v", split, chunked)
			}
		})
	}
	var fell []string
	for name, ok := range splits {
		if !ok {
			fell = append(fell, name)
		}
	}
	t.Logf("%d documents, %d fall back: %s", len(splits), len(fell), strings.Join(fell, ", "))
	for _, name := range mustCut {
		if _, ok := docs[name]; !ok {
			t.Errorf("%s: missing", name)
		} else if !splits[name] {
			t.Errorf("%s: not cut (fell back to the whole parse)", name)
		}
	}
}

// TestSplitSourceItems: keys, lines and order of the items, and the top
// without them.
func TestSplitSourceItems(t *testing.T) {
	data := []byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\n# about the paths\npaths:   # all of them\n\n  /a:\n    get: {}\n  # between\n  '/b''s':\n    post: {}\n  \"/c\": {}\ncomponents: {}\n")
	top, items, ok := splitSource(data)
	if !ok {
		t.Fatal("not cut")
	}
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%s@%d", it.Key, it.Line))
	}
	if want := "/a@6 /b's@9 /c@11"; strings.Join(got, " ") != want {
		t.Errorf("items %v, want %s", got, want)
	}
	if keys := fmt.Sprint(len(top.Content)/2, entry(top, "components") != nil); keys != "4 true" {
		t.Errorf("top: %s", keys)
	}
	checkSplit(t, data)
}

// splitCases are snippets at the edges of the cut. cut: whether the cut
// must happen (yes), must not (no), or either way (maybe); never may it
// give another tree.
var splitCases = []struct {
	name, doc, cut string
}{
	{"plain", "openapi: 3.0.3\npaths:\n  /a:\n    get: {}\n  /b:\n    get: {}\n", "yes"},
	{"indented items", "paths:\n    /a:\n        get: x\n    /b: y\nx: 1\n", "yes"},
	{"crlf", "openapi: 3.0.3\r\npaths:\r\n  /a:\r\n    get: {}\r\n  /b:\r\n    description: |\r\n      two\r\n      lines\r\n", "yes"},
	{"lone cr", "openapi: 3.0.3\rpaths:\r  /a: {}\r", "no"},
	{"document start", "---\nopenapi: 3.0.3\npaths:\n  /a: {}\n", "yes"},
	{"two documents", "openapi: 3.0.3\npaths:\n  /a: {}\n---\nopenapi: 3.1.0\n", "no"},
	{"document end", "openapi: 3.0.3\npaths:\n  /a: {}\n...\n", "no"},
	{"directive", "%YAML 1.1\n---\nopenapi: 3.0.3\npaths:\n  /a: {}\n", "no"},
	{"bom", "\xef\xbb\xbfopenapi: 3.0.3\npaths:\n  /a: {}\n", "no"},
	{"comments at column 0", "# head\nopenapi: 3.0.3\n# before paths\npaths:\n# before a\n  /a:\n# inside a\n    get: {}\n# between\n  /b: {}\n# tail\n", "yes"},
	{"comment-like line in a block scalar", "paths:\n  /a:\n    description: |\n      # not a comment\n      /b: not a key\n  /b: {}\n", "yes"},
	{"key-like line in a description", "paths:\n  /a:\n    description: >\n      see\n      /b: below\n  /c: {}\n", "yes"},
	{"indentation indicator", "paths:\n  /a:\n    description: |2\n        four spaces kept\n      two\n  /b: {}\n", "yes"},
	{"keep chomping before a cut", "paths:\n  /a:\n    description: |+\n      text\n\n\n# c\n  /b: |+\n    last\n\n", "yes"},
	{"plain scalar over lines", "paths:\n  /a:\n    description: one\n      two\n     three\n  /b: {}\n", "yes"},
	{"plain scalar at the item column", "paths:\n  /a: one\n  two\n  /b: {}\n", "no"},
	{"plain scalar at column 0", "info: one\ntwo\npaths:\n  /a: {}\n", "no"},
	{"double-quoted over a cut", "paths:\n  /a: \"one\n  /b: two\"\n  /c: {}\n", "no"},
	{"double-quoted over a top cut", "info: \"one\npaths: two\"\n", "no"},
	{"single-quoted over a cut", "paths:\n  /a: 'one\n  /b: two'\n", "no"},
	{"single-quoted left of the items", "paths:\n  /a: 'one\n two'\n  /b: {}\n", "no"},
	{"flow over a cut", "paths:\n  /a: [one,\n  /b: two]\n", "no"},
	{"flow over a top cut", "info: {a: 1,\nb: 2}\npaths:\n  /a: {}\n", "no"},
	{"flow paths", "openapi: 3.0.3\npaths: {/a: {get: {}}, /b: {}}\n", "no"},
	{"flow paths over lines", "openapi: 3.0.3\npaths: {\n  /a: {get: {}},\n  /b: {}}\n", "no"},
	{"empty flow paths", "openapi: 3.1.0\npaths: {}\nwebhooks: {}\n", "yes"},
	{"null paths", "openapi: 3.1.0\npaths:\nwebhooks: {}\n", "yes"},
	{"no paths", "openapi: 3.1.0\nwebhooks:\n  a: {}\n", "yes"},
	{"anchor and alias across items", "paths:\n  /a: &x\n    get: {}\n  /b: *x\n", "no"},
	{"anchor within an item", "paths:\n  /a:\n    get: &x {}\n    put: *x\n", "no"},
	{"anchor in top", "info: &i {title: t}\nx-info: *i\npaths:\n  /a: {}\n", "no"},
	{"merge key", "x-base: &b {get: {}}\npaths:\n  /a:\n    <<: *b\n", "no"},
	{"complex key", "paths:\n  ? /a\n  : get: {}\n", "no"},
	{"complex top key", "? paths\n: /a: {}\n", "no"},
	{"tab indentation", "paths:\n\t/a: {}\n", "no"},
	{"tab after the item column", "paths:\n  /a:\n  \tget: {}\n", "no"},
	{"tab at column 0", "info: x\n\tpaths: {}\n", "no"},
	{"duplicate path", "paths:\n  /a: {}\n  '/a': {}\n", "no"},
	{"duplicate top key", "info: {}\npaths:\n  /a: {}\ninfo: {}\n", "no"},
	{"duplicate paths", "paths:\n  /a: {}\npaths:\n  /b: {}\n", "no"},
	{"sequence top", "- a\n- b\n", "no"},
	{"scalar top", "just text\n", "no"},
	{"indented top", "  openapi: 3.0.3\n  paths:\n    /a: {}\n", "no"},
	{"indentless sequence", "tags:\n- name: a\n- name: b\npaths:\n  /a:\n    parameters:\n    - name: p\n", "yes"},
	{"paths as a sequence", "paths:\n- /a\n", "no"},
	{"paths as an indented sequence", "paths:\n  - /a\n", "no"},
	{"item as an indentless sequence", "paths:\n  /a:\n  - x\n", "no"},
	{"left of the items", "paths:\n    /a: {}\n  /b: {}\n", "no"},
	{"quoted keys", "\"openapi\": 3.0.3\n'paths':\n  \"/a b\": {}\n  '/c''d': {}\n  /e: {} #f: {}\n", "yes"},
	{"escaped key", "paths:\n  \"/a\\tb\": {}\n", "no"},
	{"key with a colon", "paths:\n  /a:b: {}\n  /c: {}\n", "yes"},
	{"int key", "paths:\n  200: {}\n  /c: {}\n", "yes"},
	{"tagged value", "paths:\n  /a: !!map {}\n  /b: !custom x\n", "yes"},
	{"tagged paths", "paths: !!map\n  /a: {}\n", "maybe"},
	{"tagged key", "!!str paths:\n  /a: {}\n", "no"},
	{"unicode line separator", "paths:\n  /a:\n    description: \"x\u2028y\"\n  /b: {}\n", "no"},
	{"invalid item", "paths:\n  /a: {\n  /b: {}\n", "no"},
	{"invalid utf-8", "paths:\n  /a: \"\xff\"\n", "no"},
	{"empty value before the next item", "paths:\n  /a:\n    get:\n  /b:\n    put:\n\n# c\n  /c:\nx:\n", "yes"},
	{"empty entry before the next item", "paths:\n  /a:\n    parameters:\n    -\n  /b: {}\n", "yes"},
	{"complex key without value before the next item", "paths:\n    0:\n     ? 0\n    1:", "yes"},
	{"bom inside", "0: \n\ufeff:", "no"},
	{"utf-16 bom at a cut", "0: \n\xfe\xff\x00a\x00:", "no"},
	{"no newline at end", "openapi: 3.0.3\npaths:\n  /a: {}", "yes"},
	{"blank lines with spaces", "openapi: 3.0.3\n   \npaths:\n      \n  /a: {}\n    \n  /b: {}\n", "yes"},
	{"whitespace-only line with a tab", "openapi: 3.0.3\npaths:\n  /a: {}\n\t\n  /b: {}\n", "maybe"},
	{"json", "{\"openapi\": \"3.0.3\",\n \"paths\": {\"/a\": {\"get\": {}},\n  \"/b\": [1, {\"x\": 2}, \"y\"]}, \"z\": [{\"k\": 1}, 2]}\n", "yes"},
	{"json escapes and numbers", "{\"paths\": {\"/a\\\"b\": {\"x\": \"\\u00e9\\n\"}, \"/c\": [1.5e3, -0, 0.25E-2, 123456789012345678901, true, false, null]}}", "yes"},
	{"json empty paths", "{\"openapi\":\"3.1.0\",\"paths\":{}}", "yes"},
	{"json crlf and tabs", "{\r\n\t\"paths\"\t:\t{\r\n\"/a\" : {}\r\n}\r\n}\r\n", "yes"},
	{"json control character", "{\"paths\": {\"/a\": \"a\x01\"}}", "no"},
	{"json literal run-on", "{\"paths\": {\"/a\": truex}}", "no"},
	{"json unterminated", "{\"paths\": {\"/a\": [1, 2}", "no"},
	{"json duplicate path", "{\"paths\": {\"/a\": {}, \"/\\u0061\": {}}}", "no"},
	{"json duplicate top", "{\"paths\": {}, \"info\": {}, \"info\": {}}", "no"},
	{"json bad escape", "{\"paths\": {\"/a\": \"\\x\"}}", "no"},
	{"json bad number", "{\"paths\": {\"/a\": 01}}", "no"},
	{"json trailing text", "{\"paths\": {\"/a\": 1}} x", "no"},
	{"json paths array", "{\"paths\": [1]}", "no"},
	{"json invalid utf-8", "{\"paths\": {\"/a\": \"\xff\"}}", "yes"},
	{"json unicode space before", "\u00a0{\"paths\": {}}", "no"},
	{"yaml flow starting with a brace", "{paths: {/a: {}}}\n", "no"},
}

func TestSplitSourceEdges(t *testing.T) {
	for _, c := range splitCases {
		t.Run(c.name, func(t *testing.T) {
			split, _ := checkSplit(t, []byte(c.doc))
			if c.cut == "yes" && !split || c.cut == "no" && split {
				t.Errorf("cut: %v, want %s", split, c.cut)
			}
		})
	}
}

// TestParseTreeParallelSynth: the parallel parse of a large document is
// the whole parse.
func TestParseTreeParallelSynth(t *testing.T) {
	data := synthSpec(3000)
	got, ok := parseTreeParallel(data)
	if !ok {
		t.Fatal("parseTreeParallel fell back on the synthetic spec")
	}
	if d := nodeDiff(got, parseTree(data), ""); d != "" {
		t.Fatalf("differs at %s", d)
	}
	if _, ok := parseTreeParallel([]byte("openapi: 3.0.3\n")); ok {
		t.Error("a small document should be left to parseFull")
	}
}

// FuzzSplitSource: whenever the cut works, it gives the whole parse's tree.
func FuzzSplitSource(f *testing.F) {
	for _, c := range splitCases {
		f.Add([]byte(c.doc))
	}
	f.Add(synthSpec(3))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSplit(t, data)
		checkSplit(t, fragmentDoc(data))
	})
}

// splitFragments are lines at the edges of the cut; fragmentDoc strings
// them as the fuzzer's bytes choose, so that mutations of a few bytes
// explore documents that stay close to YAML.
var splitFragments = []string{
	"openapi: 3.0.3\n", "info:\n", "paths:\n", "paths: # c\n", "components:\n", "x: \"a\n", "b\"\n", "c: 'd\n",
	"# c\n", "\n", "   \n", "- a\n", "y: |\n", "y: >-\n", "y: |+2\n", "z: [1,\n", "2]\n", "---\n",
	"  /a:\n", "  /b: {}\n", "  /c: x\n", "    get:\n", "    put: x\n", "      y\n", "  # c\n", "    - \n",
	"    -\n", "    ? k\n", "    : v\n", "  '/d''e':\n", "    description: |+\n", "      text\n", "  \"q\n",
	"  r\"\n", "    [a,\n", "  b]\n", "  &x /f: 1\n", "    g: *x\n", "\t/t: 1\n", "  /h: \r\n", "    /i: j\n",
	"   /k: 1\n", "  -\n", "  - l\n", "m\n", "  n\n", "    o: {p: [q,\n", "r]}\n", "  s: 't\n", "u'\n",
	"  /a:", "#", "    ", "v: w # x\n", "  /y: 1 #z\n", "    \"a\": |\n", "     deeper\n", "...\n",
}

func fragmentDoc(data []byte) []byte {
	var b bytes.Buffer
	for i, c := range data {
		if i == 64 {
			break
		}
		b.WriteString(splitFragments[int(c)%len(splitFragments)])
	}
	return b.Bytes()
}

// BenchmarkParseTreeParallel: the synthetic spec's YAML parse in chunks on
// every CPU; compare with BenchmarkFloorYAMLNode (one parse, one core).
func BenchmarkParseTreeParallel(b *testing.B) {
	data := synthSpec(5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := parseTreeParallel(data); !ok {
			b.Fatal("fell back")
		}
	}
}

// BenchmarkSplitSource: cutting the synthetic spec, YAML and JSON, without
// parsing its items (what a streaming load pays up front).
func BenchmarkSplitSource(b *testing.B) {
	for _, c := range []struct {
		name string
		data []byte
	}{{"yaml", synthSpec(5000)}, {"json", synthJSON(b, 5000)}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, ok := splitSource(c.data); !ok {
					b.Fatal("fell back")
				}
			}
		})
		// The cut and every item parsed once, one after the other (a
		// streaming load keeps one item's nodes at a time).
		b.Run(c.name+"+items", func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				_, items, ok := splitSource(c.data)
				if !ok {
					b.Fatal("fell back")
				}
				for _, it := range items {
					if _, _, err := it.parse(nil); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestSplitSourceRandomDocs strings documents out of lines at the edges of
// the cut (multi-line scalars and flow collections in items, comments and
// blank lines at odd columns, empty values before the next item) with a
// fixed seed: every one that cuts gives the whole parse's tree.
func TestSplitSourceRandomDocs(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	heads := []string{"openapi: 3.0.3\n", "# c\nopenapi: 3.0.3\n", "---\nx: 1\n", "tags:\n- a\n- b\n", "info: \"a\n  b\"\n", "s: |\n  x\n\n"}
	keys := []string{"  /a%d:\n", "  /b%d: {}\n", "  /c%d: x\n", "  '/d%d':\n", "  \"/e%d\":\n"}
	bodies := []string{"    get:\n", "    put: x\n", "      y\n", "  # c\n", "# c\n", "\n", "   \n", "    -\n", "    - a\n", "    - \n",
		"    ? k\n", "    ? k\n    : v\n", "    description: |+\n      text\n\n", "    d: |2\n       x\n      y\n", "    d: >\n      a\n\n      b\n",
		"    f: [a,\n     b]\n", "    f: {a: 1,\n      b: 2}\n", "    q: \"a\n      b\"\n", "    q: 'a\n\n      b'\n", "    p: a\n      b\n     c\n",
		"    \"k\": v\n", "    e:\n", "    e: ~\n", "    - {}\n", "    x: # c\n", "    s:\n    - a\n    -\n", "\t\n", "    a: \t\n"}
	tails := []string{"", "components:\n  x: 1\n", "c:\n", "# end\n", "x: [\n1]\n", "z: 1", "d:\n  - 1\n  -\n"}
	split := 0
	for range 3000 {
		var b strings.Builder
		b.WriteString(heads[r.Intn(len(heads))])
		b.WriteString([]string{"paths:\n", "paths: # c\n", "paths:\n\n# c\n"}[r.Intn(3)])
		for j := r.Intn(5); j >= 0; j-- {
			b.WriteString(strings.ReplaceAll(keys[r.Intn(len(keys))], "%d", fmt.Sprint(j)))
			for k := r.Intn(5); k > 0; k-- {
				b.WriteString(bodies[r.Intn(len(bodies))])
			}
		}
		b.WriteString(tails[r.Intn(len(tails))])
		if ok, _ := checkSplit(t, []byte(b.String())); ok {
			split++
		}
	}
	if split < 500 {
		t.Errorf("only %d of 3000 documents cut", split)
	}
}
