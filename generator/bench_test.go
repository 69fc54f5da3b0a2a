package generator

import (
	"context"
	"encoding/json"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/obpm/obpm/specs"
)

// Benchmarks (not timed unit tests): go test ./generator -run '^$' -bench . -benchmem

func BenchmarkLoadLarge(b *testing.B) {
	data := synthSpec(5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadData(context.Background(), data, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadLargeJSON loads the same synthetic spec written as JSON:
// scanJSON builds the tree, decodeTree the document from it (no YAML parse
// of the JSON, no second parse by kin-openapi's loader).
func BenchmarkLoadLargeJSON(b *testing.B) {
	data := synthJSON(b, 5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadData(context.Background(), data, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenerateLarge(b *testing.B) {
	doc, err := LoadData(context.Background(), synthSpec(5000), "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Generate(doc, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(res.Files[0].Data))/1e6, "MB-collection")
	}
}

func BenchmarkGenerateOpenBanking(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		doc, err := specs.LoadOpenBanking(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Generate(doc, Options{FileStem: "openbanking"}); err != nil {
			b.Fatal(err)
		}
	}
}

// The floors the generator is measured against (bench/RESULTS.md): parsing
// the synthetic spec once into a yaml.Node tree (YAML), and decoding its JSON
// form once with encoding/json into an any. Compare with
// BenchmarkLoadLarge+BenchmarkGenerateLarge (bench/generator.sh does it for
// the whole CLI).
func BenchmarkFloorYAMLNode(b *testing.B) {
	data := synthSpec(5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFloorJSONAny(b *testing.B) {
	data := synthJSON(b, 5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// synthJSON is synthSpec(ops) written as JSON.
func synthJSON(b *testing.B, ops int) []byte {
	var v any
	if err := yaml.Unmarshal(synthSpec(ops), &v); err != nil {
		b.Fatal(err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return data
}
