package specs

import (
	"context"
	"testing"
)

// BenchmarkLoadOpenBanking measures what every `obpm generate`, sandbox
// start and test pays to parse and validate the embedded document.
func BenchmarkLoadOpenBanking(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(OpenBanking)))
	for b.Loop() {
		if _, err := LoadOpenBanking(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
