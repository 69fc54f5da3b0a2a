package yamlfast

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// diff compares two trees on every field but the comments.
func diff(a, b *yaml.Node, path string) string {
	if a == nil || b == nil {
		if a != b {
			return path + ": nil mismatch"
		}
		return ""
	}
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value ||
		a.Line != b.Line || a.Column != b.Column || a.Anchor != b.Anchor || a.Alias != nil || b.Alias != nil ||
		len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: fast {K%d S%d %s %q %d:%d n%d} yaml.v4 {K%d S%d %s %q %d:%d n%d}", path,
			a.Kind, a.Style, a.Tag, a.Value, a.Line, a.Column, len(a.Content),
			b.Kind, b.Style, b.Tag, b.Value, b.Line, b.Column, len(b.Content))
	}
	for i := range a.Content {
		if d := diff(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// check returns whether the fast path was taken, failing t on a mismatch.
func check(t testing.TB, name string, data []byte) bool {
	t.Helper()
	got, ok := Parse(data)
	if !ok {
		return false
	}
	var want yaml.Node
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatalf("%s: fast path accepted what yaml.v4 rejects (%v):\n%s", name, err, data)
	}
	if d := diff(got, &want, ""); d != "" {
		t.Fatalf("%s: %s\ninput:\n%s", name, d, data)
	}
	return true
}

var edgeCases = []string{
	"a: 0x1F\nb: 1_000\nc: .inf\nd: ~\ne: Null\nf: yes\ng: no\nh: on\ni: off\nj: 1e3\nk: +1\nl: 012\nm: ''\nn: \"\"\n",
	"a: 1.5\nb: -0\nc: -0.0\nd: .5\ne: 0o17\nf: 0b101\ng: 2001-12-14\nh: 2001-12-14T21:59:43.10Z\ni: 2001-12-14 21:59:43.10\nj: -.inf\nk: .NaN\nl: 18446744073709551615\nm: 99999999999999999999\nn: 1.\n",
	"a: true\nb: FALSE\nc: True\nd: tRUE\ne: 1:20\nf: 3.\ng: +.5\nh: 1e\ni: 0x\nj: 1__0\nk: _1\n",
	"a: b   \nc: d # comment\ne: f#g\nh: 'i # j'\nk: \"l: m\"\n",
	"key:value\nx: y\n",
	"a:\nb:\n",
	"a:\n# c\nb: 1\n",
	"a: {}\nb: []\nc: [[], {}]\nd: {x: [], y: {}}\n",
	"a: [1, 2, 3, ]\nb: {x: 1, y: \"2\", 'z': [a, b]}\n",
	"a: |\n  x\n  y\n\n\nb: 1\n",
	"a: |-\n  x\n\n\nb: |+\n  y\n\n\nc: >\n  z\n  w\n\n  v\n   u\n  t\nd: x\n",
	"a: |2\n   x\n  y\nb: >-\n    p\n    q\n",
	"- |1\n  x\n- >2-\n   y\n",
	"a: |\n",
	"a: >\n  x\n  ",
	"a: |+\n  x\n\n  ",
	"a: |\n  x\n \n",
	"- a\n- b: c\n  d: e\n-\n- - x\n",
	"- a\n-\n  b\n- [x]\n- {y: z}\n-   k: v\n    l: w\n",
	"a:\n- x\n- y\nb:\n  - z\n",
	"a:\n  b:\n    c:\n      d:\n        e: f\n",
	"a: b\n  c\n",
	"a: b\n  c\n\n  d\ne: f\n",
	"a:\n  b\n  c: d\n",
	"'a': 1\n\"b\": 2\n'c''d': 3\n\"e\\\"f\": 4\n",
	"a: \"\\x41\\u00e9\\U0001F600\\t\\n\\\\\\/\\0\\ \\_\"\n",
	"a: \"\\uD800\"\n",
	"a: 'x\n  y'\n",
	"a: \"x\n  y\"\n",
	"a: &x 1\nb: *x\n",
	"a: !!str 1\n",
	"? a\n: b\n",
	"---\na: 1\n",
	"a: 1\n---\nb: 2\n",
	"a: 1\r\n",
	"a:\t1\n",
	"\ufeffa: 1\n",
	"",
	"# only\n",
	"a",
	"- - - x\n",
	"a: b: c\n",
	"a:\n - b\n - c\n",
	" a: 1\n b: 2\n",
	"a: 1\n b: 2\n",
	"설명: 값\n키: [가, 나]\n",
	"a: -1\nb: [-1, -x]\nc: - x\n",
	"<<: {a: 1}\n",
	"a: [b\n  , c]\n",
	"a: {b: c\n  }\n",
	"a: \"b\" c\n",
	"a: [b]c\n",
	"a: [b] # c\n",
	"a: 'b'# c\n",
	"a:    \n  b: 1\n",
	"a: x:y\nb: http://x/y?z#w\n",
	"a: |\n    x\n  y\n",
	"a: |\n\n   \n  x\n",
	"a: >\n  x\n\n   y\n  z\n",
	"a: 1\n...\n",
	"%YAML 1.2\n---\na: 1\n",
	"a: >\n \n  x\n",
	"a:\n  - b: |\n      x\n    c: d\n",
	"- a: [1, {b: c}]\n  d: e\n",
	"a: [a: b]\n",
	"a: {b}\n",
	"a: {b: }\n",
	"a: {\"b\":c}\n",
	"a: [\"b\":c]\n",
	"- \n- x\n",
	"-\n",
	"a:\n-\n- b\n",
	"a: |\n  x\n# c\nb: 1\n",
	"a: |\n  x\n  # c\nb: 1\n",
	"a: b\n# c\n  # d\nc: e\n",
	"  /x:\n    get:\n      a: 1\n",
	"\n\n    k: v\n    l:\n    - x\n",
	"  - a\n  - b\n",
	"  k: |\n   x\n",
	"  k: |1\n   x\n",
	"  - |2\n     x\n",
	"  k: v\n    w\n",
	"  k: v\n w\n",
	"  k: v\nw: x\n",
	"a: \"x  \n   y\n\n  z \\\n  w\\\n\n  v\"\nb: 'p\n\n\n q '' r\n s'\n",
	"a: \"x\ny\"\nb: 1\n",
	"- \"x\n  y\": 1\n",
	"\"x\n y\": 1\n",
	"a: [\"x\n y\"]\n",
	"a: 'x\n\n'\n",
	"a: \"\\\n\"\n",
	"a: \"x\\\n\\ y\"\n",
	"a:\n  b: \"c\n  d\"\n  e: f\n",
	"a: \"c\n#d\"\n",
	"---\na: 1\n",
	"# c\n\n--- # x\n  a: 1\n",
	"---\n",
	"--- \n\n- a\n",
	"---#\na: 1\n",
	"--- a: 1\n",
	"---\n---\na: 1\n",
	"a: 1\n---\n",
	"  ---\na: 1\n",
	"---\n  a: |\n   x\n",
	"a:\n  {\n    \"total\": 2,\n    \"x\": [1, 2,\n      3],  # c\n    \"y\": z\n  }\nb: 1\n",
	"a: [b,\n  c d\n  e, f\n\n  g]\n",
	"a: [b,\nc]\n",
	"a:\n  b: [1,\n  2]\n",
	"a:\n  b: [1,\n   2]\n",
	"a: {b\n  : c}\n",
	"a: {b: c,# x\n  d: e}\n",
	"a: {b: c, # x\n  d: e}\n",
	"- [a,\n  b]\n- {c: d,\n e: f}\n",
	"- [a,\n b]\n",
	"a: [\"b\n c\", 'd\n\n e']\n",
	"a: {\"b\n c\": d}\n",
	"a: [\n]\n",
	"a: [\n\n  ]\n",
	"a: [1,\n  ---]\n",
	"a: {\"b\":\n   [1]}\n",
	"a: {\"b\":\n\n   c\n   d}\n",
	"a: {b:\n}\n",
}

func TestEdgeCases(t *testing.T) {
	fast := 0
	for i, c := range edgeCases {
		if check(t, fmt.Sprintf("case %d", i), []byte(c)) {
			fast++
		}
	}
	t.Logf("%d/%d edge cases on the fast path", fast, len(edgeCases))
}

func TestLongKeys(t *testing.T) {
	for _, n := range []int{990, 1000, 1020, 1030, 1100} {
		k := strings.Repeat("k", n)
		check(t, "plain key", []byte(k+": v\n"))
		check(t, "quoted key", []byte("\""+k+"\": v\n"))
		check(t, "escaped key", []byte("\""+strings.Repeat("\\x41", n/4)+"\": v\n"))
		check(t, "nested key", []byte("a:\n  - "+k+": v\n"))
		check(t, "long value", []byte("a: "+k+"\n"))
	}
}

func TestDeepNesting(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 80; i++ {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	check(t, "deep block", []byte(b.String()))
	check(t, "deep flow", []byte("a: "+strings.Repeat("[", 80)+strings.Repeat("]", 80)+"\n"))
	b.Reset()
	for i := 0; i < 40; i++ {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	if !check(t, "40 levels", []byte(b.String())) {
		t.Error("40 levels fell back")
	}
}

// yamlFiles lists the repository's YAML documents.
func yamlFiles(t testing.TB) []string {
	var files []string
	for _, root := range []string{"../../generator/testdata", "../../specs", "testdata"} {
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				files = append(files, path)
			}
			return nil
		})
	}
	return files
}

func TestFilesOracle(t *testing.T) {
	files := yamlFiles(t)
	if len(files) == 0 {
		t.Fatal("no YAML files found")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fast := check(t, f, data)
		if strings.Contains(f, "synth") && !fast {
			t.Errorf("%s: fell back to yaml.v4", f)
		}
		t.Logf("%-60s %6d bytes fast=%v", f, len(data), fast)
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range edgeCases {
		f.Add([]byte(c))
	}
	for _, file := range yamlFiles(f) {
		if data, err := os.ReadFile(file); err == nil && len(data) < 20000 {
			f.Add(data)
		}
	}
	for i := 0; i < 200; i++ {
		g := &gen{r: rand.New(rand.NewPCG(uint64(i), 7))}
		g.mapping(0, 0)
		f.Add([]byte(g.b.String()))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, "fuzz", data)
	})
}

// TestWhyFallback shows where the subset is left: YAMLFAST_WHY=file.
func TestWhyFallback(t *testing.T) {
	f := os.Getenv("YAMLFAST_WHY")
	if f == "" {
		t.Skip("YAMLFAST_WHY not set")
	}
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if doc, line := parse(data); doc == nil {
		lines := strings.Split(string(data), "\n")
		from := max(line-3, 0)
		t.Logf("fell back at line %d:\n%s", line, strings.Join(lines[from:min(line+1, len(lines))], "\n"))
	}
}

// BenchmarkParse: the fast parser against yaml.v4 on a large document
// (YAMLFAST_BENCH=file, default OpenAI's document from the generator's corpus).
func BenchmarkParse(b *testing.B) {
	f := os.Getenv("YAMLFAST_BENCH")
	if f == "" {
		f = filepath.Join("..", "..", "generator", "testdata", "corpus", "openai", "openapi.yaml")
	}
	data, err := os.ReadFile(f)
	if err != nil {
		b.Skip(err)
	}
	b.Run("yamlfast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, ok := Parse(data); !ok {
				b.Fatal("fell back")
			}
		}
	})
	b.Run("yaml.v4", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var n yaml.Node
			if err := yaml.Unmarshal(data, &n); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestLongLine: a long flow line with many nodes is parsed in linear time
// (the column count goes on along the line) and its columns are right.
func TestLongLine(t *testing.T) {
	var b strings.Builder
	b.WriteString("a: [")
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&b, "값%d, ", i)
	}
	b.WriteString("z]\n")
	if !check(t, "long line", []byte(b.String())) {
		t.Error("long line fell back")
	}
}
