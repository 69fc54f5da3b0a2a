package generator

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// TestGenerateFileTemplatesMatchLoad: overriding templates that fail for
// some requests, read .Name in ways nameFree must see, or print the data
// whole give what LoadFile+Generate gives (errors included).
func TestGenerateFileTemplatesMatchLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, synthSpec(12), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"test-index":  {"request-test.js.tmpl": {Data: []byte("{{index .Status 1}}\n")}},
		"test-nope":   {"request-test.js.tmpl": {Data: []byte("{{.Nope}}\n")}},
		"test-schema": {"request-test.js.tmpl": {Data: []byte("{{if .Schema}}{{.Nope}}{{end}}\n")}},
		"test-caps":   {"request-test.js.tmpl": {Data: []byte("{{range .Captures}}{{.Nope}}{{end}}x\n")}},
		"test-parse":  {"request-test.js.tmpl": {Data: []byte("{{if}}\n")}},
		"test-empty":  {"request-test.js.tmpl": {Data: []byte("")}},
		"test-define": {"request-test.js.tmpl": {Data: []byte("{{define \"x\"}}{{.Name}}{{end}}{{template \"x\" .}}\n")}},
		"test-with":   {"request-test.js.tmpl": {Data: []byte("{{with $x := .}}{{$x.Name}}{{end}}\n")}},
		"test-name":   {"request-test.js.tmpl": {Data: []byte("{{$.Name}} {{len .Status}}\n")}},
		"pre-nope":    {"request-prerequest.js.tmpl": {Data: []byte("{{.Nope}}\n")}},
		"pre-dot":     {"request-prerequest.js.tmpl": {Data: []byte("{{printf \"%#v\" .}}\n")}},
		"coll-nope":   {"collection-prerequest.js.tmpl": {Data: []byte("{{.Nope}}\n")}},
		"coll-dot":    {"collection-prerequest.js.tmpl": {Data: []byte("{{json .}}\n")}},
	} {
		for _, f := range []FolderMode{FoldersByTag, FoldersByPath} {
			d, s := compareWithLoad(p, LoadOptions{}, Options{Templates: fsys, Folders: f})
			if d != "" {
				t.Errorf("%s streamed=%v: %s", name, s, truncate(d, 1500))
			}
		}
	}
}
