package generator

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/obpm/obpm/specs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/*/golden and testdata/openbanking")

// fixtures are the golden cases: every testdata/<case>/ with an openapi.yaml
// and a golden/ folder, found on disk so that a new case cannot be left out.
func fixtures(tb testing.TB) []string {
	tb.Helper()
	specs, err := filepath.Glob(filepath.Join("testdata", "*", "openapi.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, spec := range specs {
		dir := filepath.Dir(spec)
		if fi, err := os.Stat(filepath.Join(dir, "golden")); err == nil && fi.IsDir() {
			names = append(names, filepath.Base(dir))
		}
	}
	if len(names) == 0 {
		tb.Fatal("no golden cases under testdata/*/ (openapi.yaml + golden/)")
	}
	return names // Glob sorts
}

// TestEveryGoldenFolderHasACase: a golden/ folder without an openapi.yaml
// beside it would never be compared.
func TestEveryGoldenFolderHasACase(t *testing.T) {
	ownTest := map[string]string{"swagger2": "TestGoldenSwagger"} // spec from testdata/corpus
	dirs, _ := filepath.Glob(filepath.Join("testdata", "*", "golden"))
	for _, d := range dirs {
		if ownTest[filepath.Base(filepath.Dir(d))] != "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(d), "openapi.yaml")); err != nil {
			t.Errorf("%s has no openapi.yaml beside it: add one or a test of its own", d)
		}
	}
}

func loadFixture(t testing.TB, name string) *Result {
	t.Helper()
	return loadGolden(t, filepath.Join("testdata", name, "openapi.yaml"), LoadOptions{})
}

// loadGolden loads and generates spec; the loader's warnings come first in
// the result's, as obpm generate prints them.
func loadGolden(t testing.TB, spec string, lo LoadOptions) *Result {
	t.Helper()
	doc, warnings, err := LoadFile(context.Background(), spec, lo)
	if err != nil {
		t.Fatalf("load %s: %v", spec, err)
	}
	res, err := Generate(doc, Options{})
	if err != nil {
		t.Fatalf("generate %s: %v", spec, err)
	}
	res.Warnings = append(warnings, res.Warnings...)
	return res
}

// compareGolden checks res against dir/<file> and dir/warnings.txt, or
// rewrites them with -update.
func compareGolden(t *testing.T, dir string, res *Result) {
	t.Helper()
	var warn strings.Builder
	for _, w := range res.Warnings {
		warn.WriteString(w.String() + "\n")
	}
	files := append([]File{{Name: "warnings.txt", Data: []byte(warn.String())}}, res.Files...)
	if *update {
		_ = os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("no golden files in %s (run go test ./generator -run %s -update): %v", dir, t.Name(), err)
	}
	if len(entries) != len(files) {
		t.Errorf("%s holds %d files, generation gives %d (run with -update if intended)", dir, len(entries), len(files))
	}
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Errorf("golden %s missing: %v", f.Name, err)
			continue
		}
		if !bytes.Equal(want, f.Data) {
			t.Errorf("%s differs from %s (run with -update if intended):\n%s", f.Name, dir, firstDiff(want, f.Data))
		}
	}
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n  golden: " + x + "\n  got:    " + y
		}
	}
	return ""
}

func TestGoldenFixtures(t *testing.T) {
	for _, name := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			compareGolden(t, filepath.Join("testdata", name, "golden"), loadFixture(t, name))
		})
	}
}

// TestGoldenSwagger: the multi-file Swagger 2.0 petstore of the OAI examples
// (corpus copy), converted on load. Its responses $ref ../common/Error.yaml,
// outside the folder of swagger.yaml: the example's own folder is the root.
func TestGoldenSwagger(t *testing.T) {
	dir := filepath.Join("testdata", "corpus", "oai", "v2.0", "yaml", "petstore-separate")
	res := loadGolden(t, filepath.Join(dir, "spec", "swagger.yaml"), LoadOptions{Root: dir})
	compareGolden(t, filepath.Join("testdata", "swagger2", "golden"), res)
}

// TestGoldenOpenBanking pins the generated Open Banking collection and
// environments (the product's main output).
func TestGoldenOpenBanking(t *testing.T) {
	doc, err := specs.LoadOpenBanking(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(doc, Options{FileStem: "openbanking"})
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, filepath.Join("testdata", "openbanking"), res)
}
