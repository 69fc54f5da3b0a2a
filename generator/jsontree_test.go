package generator

import (
	"encoding/json"
	"os"
	"path/filepath"
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
