package generator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeSpec(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadErrors: every kind of bad input gets an error naming the file, the
// line where there is one, and what to do.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                []string
	}{
		{"missing file", "", "", []string{"read spec", "nope.yaml", "--spec"}},
		{"empty", "empty.yaml", "  \n", []string{"empty.yaml", "empty"}},
		{"yaml syntax", "syntax.yaml", "openapi: 3.0.3\ninfo: {title: t\n  x: [\n", []string{"syntax.yaml:3", "not valid YAML"}},
		{"json syntax", "bad.json", "{\n  \"openapi\": \"3.0.3\",\n  \"info\": ]\n}", []string{"bad.json:3:", "not valid JSON"}},
		{"json not object", "arr.json", "[1,2]", []string{"arr.json", "not an object"}},
		{"swagger 2", "sw.yaml", "swagger: \"2.0\"\ninfo: {title: t, version: \"1\"}\npaths: {}\n", []string{"sw.yaml", "Swagger", "convert"}},
		{"swagger 2 json", "sw.json", `{"swagger": "2.0", "paths": {}}`, []string{"sw.json", "Swagger"}},
		{"not openapi", "other.yaml", "name: my-app\nversion: 2\n", []string{"other.yaml", "not an OpenAPI 3 document"}},
		{"version 2.5", "v.yaml", "openapi: 2.5.0\ninfo: {title: t, version: \"1\"}\npaths: {}\n", []string{"v.yaml:1", "unsupported OpenAPI version", "3.0.x and 3.1.x"}},
		{"version 4", "v4.yaml", "openapi: 4.0.0\ninfo: {title: t, version: \"1\"}\npaths: {}\n", []string{"v4.yaml:1", "unsupported"}},
		{"top-level list", "list.yaml", "- a\n- b\n", []string{"list.yaml:1", "the top level is a list", "expects a mapping"}},
		{"wrong type deep", "type.yaml", "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /x:\n    get:\n      parameters: 5\n      responses: {'200': {description: ok}}\n",
			[]string{"type.yaml:6", "not a valid OpenAPI document", "/paths/~1x/get/parameters is a number", "expects a list", "fix the value there"}},
		{"unquoted version", "num.yaml", "openapi: 3\ninfo: {title: t, version: \"1\"}\npaths: {}\n", []string{"num.yaml:1", "/openapi is a number", "expects a string", "quote the value"}},
		{"wrong type json", "type.json", "{\"openapi\": \"3.0.3\",\n \"info\": {\"title\": [1], \"version\": \"1\"}, \"paths\": {}}", []string{"type.json:2", "/info/title is a list", "expects a string"}},
		{"unresolved local ref", "ref.yaml", "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /x:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Nope'}\n",
			[]string{"ref.yaml:11", "unresolved $ref", "#/components/schemas/Nope"}},
		{"unresolved file ref", "fref.yaml", "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /x:\n    get:\n      parameters: [{name: q, in: query, schema: {$ref: 'missing.yaml#/X'}}]\n      responses: {'200': {description: ok}}\n",
			[]string{"fref.yaml:6", "unresolved $ref", "missing.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "nope.yaml")
			if tt.file != "" {
				path = writeSpec(t, dir, tt.file, tt.content)
			}
			_, err := Load(context.Background(), path)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestLoadFormats: JSON and YAML of the same document give the same collection.
func TestLoadFormats(t *testing.T) {
	yml := "openapi: 3.1.0\ninfo: {title: Same, version: \"1\"}\npaths:\n  /a:\n    get:\n      operationId: a\n      responses: {'200': {description: ok}}\n"
	js := `{"openapi": "3.1.0", "info": {"title": "Same", "version": "1"}, "paths": {"/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}}}}`
	dir := t.TempDir()
	var got [][]byte
	for _, f := range []struct{ name, content string }{{"s.yaml", yml}, {"s.json", js}} {
		doc, err := Load(context.Background(), writeSpec(t, dir, f.name, f.content))
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		res, err := Generate(doc, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res.Files[0].Data)
	}
	if string(got[0]) != string(got[1]) {
		t.Error("YAML and JSON forms of one document give different collections")
	}
}

// TestLoadMultiFile: $refs to files beside the spec (and from there onwards)
// are resolved.
func TestLoadMultiFile(t *testing.T) {
	doc, err := Load(context.Background(), filepath.Join("testdata", "multifile", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	op := doc.Paths.Value("/orders").Post
	if op == nil {
		t.Fatal("path item $ref to paths/orders.yaml not resolved")
	}
	total := op.RequestBody.Value.Content["application/json"].Schema.Value.Properties["total"]
	if total == nil || total.Value == nil || total.Value.Properties["currency"] == nil {
		t.Fatal("nested $ref components/schemas.yaml → money.yaml not resolved")
	}
}
