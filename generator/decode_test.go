package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/obpm/obpm/specs"
)

// TestDecodeTreeMatchesLoader: building the document model from the
// resolved tree (decodeTree) gives the same document, the same collection
// and the same errors as kin-openapi's loader parsing the bytes again, on
// every document under testdata (fixtures, corpus, fuzz seeds), the Open
// Banking document and a synthetic spec, each in YAML and in JSON.
func TestDecodeTreeMatchesLoader(t *testing.T) {
	type input struct {
		name string // file name the document is loaded as ($refs resolve from its folder)
		data []byte
		opts LoadOptions
	}
	var inputs []input
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := filepath.Ext(p)
		if d.IsDir() || strings.Contains(p, "golden") || (ext != ".yaml" && ext != ".json" && !strings.Contains(p, "fuzz")) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		in := input{name: p, data: data}
		if strings.Contains(p, "petstore-separate") {
			in.opts.Root = filepath.Dir(filepath.Dir(p))
		}
		inputs = append(inputs, in)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	inputs = append(inputs,
		input{name: "", data: specs.OpenBanking},
		input{name: "", data: synthSpec(300)}, // enough paths and requests for several workers
		input{name: "", data: []byte(specHead + "paths:\n  /a:\n    get:\n      x-t: !md 2020-06-11T16:32:50Z\n      parameters: [{name: q, in: query, schema: {type: string, example: 2020-06-11}}]\n      responses: {'200': {description: ok}}\n")},
		input{name: "", data: []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"x-n":123456789012345678901234567890,"x-m":{"<<":{"a":1}},"responses":{"200":{"description":"ok"}}}}}}`)},
		input{name: "", data: []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"info":{"title":"dup","version":"2"},"paths":{}}`)},
		input{name: "", data: []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"type":"object","properties":{"<<":{"type":"string"}}}}}}}}}}}`)},
	)
	for _, in := range inputs {
		var v any
		if yaml.Unmarshal(in.data, &v) != nil {
			continue
		}
		js, err := json.MarshalIndent(v, "", "  ")
		if err != nil || bytes.HasPrefix(bytes.TrimSpace(in.data), []byte("{")) {
			continue
		}
		inputs = append(inputs, input{name: strings.TrimSuffix(in.name, filepath.Ext(in.name)) + ".as.json", data: js, opts: in.opts})
	}
	if len(inputs) < 80 {
		t.Fatalf("%d inputs, want every document under testdata in YAML and JSON", len(inputs))
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			ctx := context.Background()
			want, _, wantErr := loadWith(ctx, in.data, in.name, in.opts, loadBytes)
			got, _, gotErr := loadWith(ctx, in.data, in.name, in.opts, loadTree)
			if wantErr != nil || gotErr != nil {
				if wantErr == nil || gotErr == nil || wantErr.Error() != gotErr.Error() {
					t.Fatalf("errors differ:\n tree:   %v\n loader: %v", gotErr, wantErr)
				}
				return
			}
			wj, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			gj, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(wj, gj) {
				t.Fatalf("documents differ:\n tree:   %.600s\n loader: %.600s", gj, wj)
			}
			wr, wErr := Generate(want, Options{})
			gr, gErr := Generate(got, Options{})
			if (wErr == nil) != (gErr == nil) {
				t.Fatalf("Generate errors differ: tree %v, loader %v", gErr, wErr)
			}
			if wErr != nil {
				return
			}
			for i := range wr.Files {
				if !bytes.Equal(wr.Files[i].Data, gr.Files[i].Data) {
					t.Errorf("%s differs", wr.Files[i].Name)
				}
			}
		})
	}
}
