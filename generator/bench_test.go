package generator

import (
	"context"
	"testing"

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
