package generator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// TestScanJSON: scanJSON accepts exactly what encoding/json accepts, and
// gives the values a YAML parse of the same JSON gives (kinds, resolved
// tags, text), on tricky snippets and on every JSON document under
// testdata/corpus.
func TestScanJSON(t *testing.T) {
	inputs := []string{
		`{}`, `[]`, ` {"a" : [1, -2, 3.5, 1e3, -0.0e-1, 0, true, false, null, "x"]} `,
		`{"s":"tab\there \"q\" \\ \/ \u00e9 \ud83d\ude00 <&> \u2028"}`,
		`{"nested":{"a":{"b":[[],{},[{"c":"d"}]]}},"<<":{"m":1}}`,
		"{\"raw\":\"caf\xc3\xa9 \xe2\x80\x85\"}",
		"{\"bad utf8\":\"\xff\xfe\"}",
		`{"big":123456789012345678901234567890,"neg":-12}`,
		// not JSON
		`{"a":1,}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":.5}`, `{"a":1e}`, `{"a" 1}`, `{"a":tru}`,
		`{"a":"x` + "\n" + `"}`, `{"a":"\x"}`, `{"a":1} x`, `{a:1}`, `[1,2`, `{"a":[1,]}`, `{"a":"\u12"}`, ``, `"`,
	}
	files, _ := filepath.Glob("testdata/corpus/*/*.json")
	more, _ := filepath.Glob("testdata/corpus/*/*/*.json")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(data))
	}
	if len(inputs) < 30 {
		t.Fatalf("%d inputs, want the corpus's JSON documents too", len(inputs))
	}
	for _, in := range inputs {
		got, err := scanJSON([]byte(in))
		if valid := json.Valid([]byte(in)); (err == nil) != valid {
			t.Errorf("%.80q: scanJSON error %v, encoding/json valid %v", in, err, valid)
			continue
		}
		if err != nil {
			continue
		}
		var want yaml.Node
		if err := yaml.Unmarshal([]byte(in), &want); err != nil {
			continue // JSON that YAML reads otherwise (tabs, U+0085): encoding/json is the judge
		}
		if d := sameNodes(got, want.Content[0], 0); d != "" {
			t.Errorf("%.80q: %s", in, d)
		}
		notPrepared(t, in, got)
	}
	// The depth limit is the same for both (the stream skips prepareNodes
	// on JSON items).
	for _, d := range []int{maxJSONDepth - 1, maxJSONDepth, maxJSONDepth + 1, maxJSONDepth + 2} {
		in := strings.Repeat(`{"a":`, d/2) + strings.Repeat("[", d-d/2) + strings.Repeat("]", d-d/2) + strings.Repeat("}", d/2)
		if got, err := scanJSON([]byte(in)); err == nil {
			notPrepared(t, fmt.Sprintf("depth %d", d), got)
		} else if d <= maxJSONDepth {
			t.Errorf("depth %d: %v", d, err)
		}
	}
}

// notPrepared checks that prepareNodes accepts the tree scanJSON built and
// changes nothing in it: streamer.prepare relies on that to skip it on
// JSON items.
func notPrepared(t *testing.T, in string, n *yaml.Node) {
	t.Helper()
	budget := maxLoadNodes
	before := clone(n, &budget)
	if err := prepareNodes(n, 0); err != nil {
		t.Errorf("%.80q: prepareNodes: %v", in, err)
		return
	}
	var walk func(a, b *yaml.Node) bool
	walk = func(a, b *yaml.Node) bool {
		if a.Kind != b.Kind || a.Tag != b.Tag || a.Value != b.Value || a.Style != b.Style || len(a.Content) != len(b.Content) {
			return false
		}
		for i := range a.Content {
			if !walk(a.Content[i], b.Content[i]) {
				return false
			}
		}
		return true
	}
	if !walk(before, n) {
		t.Errorf("%.80q: prepareNodes changed the tree", in)
	}
}

// sameNodes compares kind, resolved tag and value (numbers by text), deep.
func sameNodes(a, b *yaml.Node, depth int) string {
	if a.Kind != b.Kind || a.ShortTag() != b.ShortTag() || len(a.Content) != len(b.Content) {
		return "kind/tag/length differ: " + a.ShortTag() + " " + a.Value + " vs " + b.ShortTag() + " " + b.Value
	}
	if a.Kind == yaml.ScalarNode && a.Value != b.Value {
		return "value " + a.Value + " vs " + b.Value
	}
	for i := range a.Content {
		if d := sameNodes(a.Content[i], b.Content[i], depth+1); d != "" {
			return d
		}
	}
	return ""
}

// TestUnquoteJSONIsEncodingJSON: the scanner's string decoding gives what
// encoding/json gives, or fails where it fails, on escapes, surrogates
// (paired, lone, reversed, broken) and invalid UTF-8, and on random
// strings over an alphabet made of those parts.
func TestUnquoteJSONIsEncodingJSON(t *testing.T) {
	cases := []string{
		``, `a`, `\n`, `\"\\\/\b\f\n\r\t`, `\u0041\u00e9\u4e2d`, `\ud83d\ude00`, `\ud83d`, `\ude00`,
		`\ude00\ud83d`, `\ud83dx`, `\ud83d\u0041`, `\ud83d\ud83d\ude00`, `\ud83d\uzzzz`, `\u12`, `\u`,
		`\x`, `\'`, `\`, "\xff", "a\xc3", "\xc3\xa9\xe2\x82", "\xed\xa0\x80", `\u0000`, "é€😀",
		`\uD83D\uDE00`, `\uDBFF\uDFFF`, `\uFFFF`, `\u002f`,
	}
	parts := []string{"a", "é", "\\n", "\\\\", "\\\"", "\\u00e9", "\\ud83d", "\\ude00", "\\u", "\\", "\xff", "\xc3", "\x01", "/", "\\/", "\\q", "0", "F"}
	rng := rand.New(rand.NewPCG(13, 3))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		cases = append(cases, b.String())
	}
	for _, c := range cases {
		var want string
		werr := json.Unmarshal([]byte(`"`+c+`"`), &want)
		s := &jsonScanner{data: []byte(`"` + c + `"`), line: 1}
		got, gerr := s.str()
		whole := gerr == nil && s.i == len(c)+2 // else what follows is an error
		if (werr == nil) != whole || whole && got != want {
			t.Fatalf("%q: str gives %q, %v (at %d); encoding/json %q, %v", c, got, gerr, s.i, want, werr)
		}
	}
}

// TestPlainWordIsBytewise: plainWord passes 8 bytes exactly when each of
// them is printable ASCII other than '"' and '\\', on every byte value in
// every position and on random words.
func TestPlainWordIsBytewise(t *testing.T) {
	bytewise := func(w []byte) bool {
		for _, c := range w {
			if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
				return false
			}
		}
		return true
	}
	w := []byte("abcdefgh")
	for pos := range 8 {
		for c := range 256 {
			x := slices.Clone(w)
			x[pos] = byte(c)
			if plainWord(x, 0) != bytewise(x) {
				t.Fatalf("%q: plainWord %v", x, plainWord(x, 0))
			}
		}
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for range 100000 {
		x := make([]byte, 8)
		for i := range x {
			x[i] = byte(rng.IntN(256))
			if rng.IntN(2) == 0 {
				x[i] = byte(0x20 + rng.IntN(0x60))
			}
		}
		if plainWord(x, 0) != bytewise(x) {
			t.Fatalf("%q: plainWord %v", x, plainWord(x, 0))
		}
	}
}
