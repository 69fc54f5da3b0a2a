package generator

import (
	"context"
	"encoding/json"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

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

// BenchmarkGenerateFileLarge compares GenerateFile's streaming path with
// LoadData+Generate (what it does for a document that cannot stream) on
// the synthetic spec, in time and in peak heap (sampled every millisecond:
// objects, garbage not yet collected included, which is what the process's
// RSS follows). split.go decides how much of the tree is whole at once.
func BenchmarkGenerateFileLarge(b *testing.B) {
	for _, f := range []struct {
		name string
		data []byte
	}{{"yaml", synthSpec(5000)}, {"json", synthJSON(b, 5000)}} {
		b.Run(f.name+"/stream", func(b *testing.B) {
			peak := peakHeap(b)
			for b.Loop() {
				_, _, streamed, err := generateData(context.Background(), f.data, "", LoadOptions{}, Options{}, nil)
				if err != nil || !streamed {
					b.Fatal(err, streamed)
				}
			}
			peak()
		})
		b.Run(f.name+"/whole", func(b *testing.B) {
			peak := peakHeap(b)
			for b.Loop() {
				doc, err := LoadData(context.Background(), f.data, "")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Generate(doc, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			peak()
		})
	}
}

// peakHeap samples the heap until the returned func reports its peak.
func peakHeap(b *testing.B) func() {
	runtime.GC()
	done := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		b.ReportMetric(float64(peak)/1e6, "MB-peak-heap")
	}
}
