package generator

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: no input makes the loader or the generator panic; whatever loads
// also generates. Seeds: every fixture plus testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	for _, name := range fixtures(f) {
		if data, err := os.ReadFile(filepath.Join("testdata", name, "openapi.yaml")); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := LoadData(context.Background(), data, "")
		if err != nil {
			return
		}
		if _, err := Generate(doc, Options{}); err != nil {
			t.Logf("generate: %v", err) // an error is fine, a panic is not
		}
	})
}
