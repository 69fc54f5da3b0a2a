package generator

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// TestCorpusLoads: every document of the public corpus (testdata/corpus, a
// copy of ../shared/corpus with its licences: OAI examples in Swagger 2.0,
// OpenAPI 3.0 and 3.1, Box, OpenAI) loads, and the collection has one
// request per operation.
func TestCorpusLoads(t *testing.T) {
	root := filepath.Join("testdata", "corpus")
	var specs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := filepath.Ext(p)
		if d.IsDir() || (ext != ".yaml" && ext != ".json") {
			return nil
		}
		// petstore-separate's other files are parts of spec/swagger.yaml.
		if strings.Contains(p, "petstore-separate") && filepath.Base(p) != "swagger.yaml" {
			return nil
		}
		specs = append(specs, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) < 25 {
		t.Fatalf("found %d corpus documents under %s, want the whole corpus", len(specs), root)
	}
	for _, p := range specs {
		t.Run(strings.TrimPrefix(filepath.ToSlash(p), "testdata/corpus/"), func(t *testing.T) {
			lo := LoadOptions{}
			if strings.Contains(p, "petstore-separate") {
				lo.Root = filepath.Dir(filepath.Dir(p)) // it refers to ../common
			}
			doc, warnings, err := LoadFile(context.Background(), p, lo)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range warnings {
				if strings.Contains(w.Message, "skipped") {
					t.Errorf("part of the document lost: %s", w)
				}
			}
			ops := 0
			eachOperation(doc.Paths.Keys(), doc.Paths.Value, func(string, string, *openapi3.PathItem, *openapi3.Operation) { ops++ })
			res, err := Generate(doc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if ops == 0 && !strings.Contains(p, "webhook") {
				t.Error("no operations loaded")
			}
			if res.Counts.Requests != ops {
				t.Errorf("%d operations, %d requests", ops, res.Counts.Requests)
			}
			// The loader lost none: count the operations in the file itself.
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			raw := 0
			each(entry(parseTree(data), "paths"), func(_, item *yaml.Node) {
				each(item, func(k, _ *yaml.Node) {
					if indexOf(httpMethods(), k.Value) >= 0 {
						raw++
					}
				})
			})
			if raw != ops {
				t.Errorf("the file has %d operations, the loaded document %d", raw, ops)
			}
			t.Logf("%d operations, %d requests, %d load warnings", ops, res.Counts.Requests, len(warnings))
		})
	}
}
