package generator

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/obpm/obpm/internal/yamlfast"
)

// TestYAMLFastSynth: the synthetic spec, whole and cut as split.go cuts it,
// takes internal/yamlfast's fast path and gives yaml.v4's nodes exactly
// (comments apart). A regression of the fast parser to "always fall back"
// fails here, as does any mismatch.
func TestYAMLFastSynth(t *testing.T) {
	data := synthSpec(200)
	fastSame(t, "whole", data, true)
	l, ok := scanYAMLLayout(data)
	if !ok || len(l.items) < 50 {
		t.Fatalf("scanYAMLLayout: ok=%v, %d items", ok, len(l.items))
	}
	for i, sp := range l.tops {
		fastSame(t, fmt.Sprintf("top %d", i), data[sp.start:sp.end], true)
	}
	for i, sp := range l.items {
		fastSame(t, fmt.Sprintf("item %d", i), data[sp.start:sp.end], true)
	}
}

// TestYAMLFastChunks: every chunk of every YAML test document either falls
// back or matches yaml.v4.
func TestYAMLFastChunks(t *testing.T) {
	fast, all := 0, 0
	var files []string
	for _, root := range []string{"testdata", "../specs"} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				files = append(files, p)
			}
			return nil
		})
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		l, ok := scanYAMLLayout(data)
		if !ok {
			continue
		}
		spans := append(append([]span{}, l.tops...), l.items...)
		n := 0
		for i, sp := range spans {
			if fastSame(t, fmt.Sprintf("%s chunk %d", f, i), data[sp.start:sp.end], false) {
				n++
			}
		}
		t.Logf("%s: %d of %d chunks on the fast path", f, n, len(spans))
		fast, all = fast+n, all+len(spans)
	}
	t.Logf("%d of %d chunks on the fast path", fast, all)
}

func fastSame(t *testing.T, name string, data []byte, mustBeFast bool) bool {
	t.Helper()
	got, ok := yamlfast.Parse(data)
	if !ok {
		if mustBeFast {
			t.Fatalf("%s: yamlfast fell back to yaml.v4", name)
		}
		return false
	}
	var want yaml.Node
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatalf("%s: yamlfast accepted what yaml.v4 rejects: %v", name, err)
	}
	if d := nodeDiff(got, &want, ""); d != "" {
		t.Fatalf("%s: yamlfast differs from yaml.v4 at %s", name, d)
	}
	return true
}
