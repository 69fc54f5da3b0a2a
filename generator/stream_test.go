package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"weak"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// streamCase is one document for the streaming oracle.
type streamCase struct {
	name   string
	path   string // the file; relative $refs resolve beside it
	lopts  LoadOptions
	gopts  Options
	stream bool // must take the streaming path
}

// streamCases are every document under testdata (golden fixtures, the
// corpus, load fixtures), the embedded Open Banking document, and the
// synthetic spec as YAML, compact JSON and indented JSON.
func streamCases(t *testing.T) []streamCase {
	t.Helper()
	var cases []streamCase
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "golden" || d.Name() == "fuzz") {
			return filepath.SkipDir
		}
		switch filepath.Ext(p) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		if d.IsDir() || strings.HasSuffix(p, ".postman_collection.json") || strings.HasSuffix(p, ".postman_environment.json") {
			return nil
		}
		c := streamCase{name: filepath.ToSlash(p), path: p}
		if strings.Contains(p, "petstore-separate") {
			c.lopts.Root = filepath.Join("testdata", "corpus", "oai", "v2.0", "yaml")
		}
		c.stream = strings.Contains(p, "corpus/box/") || strings.Contains(p, "corpus/openai/")
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("found %d documents under testdata, want them all", len(cases))
	}
	cases = append(cases, streamCase{name: "specs/kftc-openbanking.yaml", path: filepath.Join("..", "specs", "kftc-openbanking.yaml"),
		gopts: Options{OpenBanking: true, FileStem: "openbanking"}})

	dir := t.TempDir()
	synth := synthSpec(300)
	var tree yaml.Node
	if err := yaml.Unmarshal(synth, &tree); err != nil {
		t.Fatal(err)
	}
	compact, err := nodeJSON(tree.Content[0])
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, compact, "", "  "); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"synth.yaml", synth}, {"synth-compact.json", compact}, {"synth.json", indented.Bytes()}} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, streamCase{name: f.name, path: p, stream: true},
			streamCase{name: f.name + "/folders=paths", path: p, gopts: Options{Folders: FoldersByPath}, stream: true})
	}
	return cases
}

// TestGenerateFileMatchesLoadAndGenerate: whether it streams or not,
// GenerateFile gives the files, warnings, counts and errors of LoadFile
// followed by Generate; the synthetic spec, Box and OpenAI stream.
func TestGenerateFileMatchesLoadAndGenerate(t *testing.T) {
	for _, c := range streamCases(t) {
		t.Run(c.name, func(t *testing.T) {
			streamed := sameAsLoadAndGenerate(t, c)
			if c.stream && !streamed {
				t.Error("did not stream")
			}
		})
	}
}

// TestStreamFallsBack: documents that must not stream, most of them
// found out only at a late path item, give what LoadFile+Generate gives
// (errors included); the edge cases that may stream do so identically.
func TestStreamFallsBack(t *testing.T) {
	synth := string(synthSpec(40))
	late := func(item string) string { // a path item after the others
		return strings.Replace(synth, "components:\n", item+"components:\n", 1)
	}
	compact, err := nodeJSON(parseFull([]byte(synth)))
	if err != nil {
		t.Fatal(err)
	}
	escaped := strings.Replace(string(compact), `"operationId":"postResource3"`, `"operationId":"postResource3","x\u002dobpm-split-examples":true`, 1)
	if escaped == string(compact) {
		t.Fatal("no operation to mark in the compact JSON")
	}
	// A $ref of the wrong kind that kin-openapi can use: the resolver
	// bundles it into the components, which the probes walking items on
	// several workers at once must leave alone (go test -race).
	converted := strings.Replace(late("  /late:\n    post:\n      requestBody: {$ref: '#/components/responses/R'}\n      responses:\n        '200': {description: ok}\n"+
		"  /late2:\n    post:\n      requestBody: {$ref: '#/components/responses/R'}\n      responses:\n        '200': {description: ok}\n"),
		"components:\n", "components:\n  responses:\n    R: {description: r, content: {application/json: {schema: {type: string}}}}\n", 1)
	convertedJSON, err := nodeJSON(parseFull([]byte(converted)))
	if err != nil {
		t.Fatal(err)
	}
	// Component names that a pointer escapes: the probes' index of the
	// components must find them as the resolver does.
	escapedNames := strings.Replace(late("  /esc:\n    get:\n      parameters:\n        - {$ref: '#/components/parameters/a~1b'}\n        - {$ref: '#/components/parameters/c~0d'}\n      responses:\n        '200': {description: ok}\n"),
		"components:\n", "components:\n  parameters:\n    a/b: {name: ab, in: query, schema: {type: string}}\n    c~d: {name: cd, in: query, schema: {type: integer}}\n", 1)
	cases := []struct {
		name, doc string
		stream    bool
	}{
		{"converted ref", converted, false},
		{"converted ref, JSON", string(convertedJSON), false},
		{"escaped component names", escapedNames, true},
		{"external ref", late("  /late:\n    get:\n      responses:\n        '200': {$ref: './missing.yaml#/r'}\n"), false},
		{"wrong kind", late("  /late:\n    get:\n      parameters:\n        - $ref: '#/components/schemas/Error'\n      responses:\n        '200': {description: ok}\n"), false},
		{"missing component", late("  /late:\n    get:\n      responses:\n        '200': {$ref: '#/components/responses/Nope'}\n"), false},
		{"ref into paths", late("  /late:\n    get:\n      responses:\n        '200': {$ref: '#/paths/~1resource0~1{id}~1items/get/responses/200'}\n"), false},
		{"decode error", late("  /late:\n    get:\n      operationId: [1, 2]\n      responses:\n        '200': {description: ok}\n"), false},
		{"alias", late("  /late:\n    get: &g\n      responses:\n        '200': {description: ok}\n  /late2:\n    get: *g\n"), false},
		{"x-obpm escaped in JSON", escaped, false},
		{"paths extension", late("  x-note: {a: 1}\n"), true},
		{"no operations", "openapi: 3.0.3\ninfo: {title: Empty, version: '1'}\npaths: {}\n", true},
		{"folders", `openapi: 3.0.3
info: {title: Folders, version: "1"}
tags:
  - {name: b, description: Bee}
  - {name: "", description: Nameless}
  - {name: a, description: Aye}
  - {name: b, description: Bee again}
paths:
  /x:
    get: {tags: [c, a], responses: {"200": {description: ok}}}
    post: {tags: [""], responses: {"200": {description: ok}}}
  /y:
    put: {responses: {"200": {description: ok}}}
    delete: {tags: [b], responses: {"200": {description: ok}}}
    get: {tags: [c], responses: {"200": {description: ok}}}
`, true},
		{"3.1 description beside $ref", `openapi: 3.1.0
info: {title: Siblings, version: "1"}
paths:
  /a:
    get:
      parameters:
        - {$ref: '#/components/parameters/P', description: first}
      responses: {"200": {description: ok}}
  /b:
    get:
      parameters:
        - {$ref: '#/components/parameters/P', description: second}
      responses: {"200": {description: ok}}
components:
  parameters:
    P: {name: p, in: query, description: own, schema: {type: string}}
`, false},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strconv.Itoa(i)+".yaml")
			if err := os.WriteFile(p, []byte(c.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, folders := range []FolderMode{FoldersByTag, FoldersByPath} {
				if streamed := sameAsLoadAndGenerate(t, streamCase{path: p, gopts: Options{Folders: folders}}); streamed != c.stream {
					t.Errorf("folders=%s: streamed=%v, want %v", folders, streamed, c.stream)
				}
			}
		})
	}
}

// sameAsLoadAndGenerate checks generateData against LoadFile+Generate and
// says whether it streamed.
func sameAsLoadAndGenerate(t *testing.T, c streamCase) bool {
	t.Helper()
	ctx := context.Background()
	var want *Result
	doc, loadWarnings, wantErr := LoadFile(ctx, c.path, c.lopts)
	if wantErr == nil {
		want, wantErr = Generate(doc, c.gopts)
	}
	data, err := os.ReadFile(c.path)
	if err != nil {
		t.Fatal(err)
	}
	got, gotWarnings, streamed, err := generateData(ctx, data, c.path, c.lopts, c.gopts, nil)
	if wantErr != nil || err != nil {
		if wantErr == nil || err == nil || wantErr.Error() != err.Error() {
			t.Fatalf("errors differ:\n  load+generate: %v\n  GenerateFile:  %v", wantErr, err)
		}
		return streamed
	}
	if !slices.Equal(loadWarnings, gotWarnings) {
		t.Errorf("load warnings differ:\n  want %q\n  got  %q", loadWarnings, gotWarnings)
	}
	if !slices.Equal(want.Warnings, got.Warnings) {
		t.Errorf("warnings differ:\n  want %q\n  got  %q", want.Warnings, got.Warnings)
	}
	if want.Counts != got.Counts || !slices.Equal(want.Webhooks, got.Webhooks) {
		t.Errorf("counts differ: want %+v %q, got %+v %q", want.Counts, want.Webhooks, got.Counts, got.Webhooks)
	}
	if len(want.Files) != len(got.Files) {
		t.Fatalf("%d files, want %d", len(got.Files), len(want.Files))
	}
	for i, f := range want.Files {
		if got.Files[i].Name != f.Name || !bytes.Equal(got.Files[i].Data, f.Data) {
			t.Errorf("file %s differs (got %s):\n%s", f.Name, got.Files[i].Name, firstDiff(f.Data, got.Files[i].Data))
		}
	}
	t.Logf("streamed=%v, %s, %d warnings", streamed, got.Counts, len(got.Warnings))
	return streamed
}

// TestStreamLetsPathItemsGo: the streaming path keeps no path item once
// its requests are written: neither its nodes nor its model stay reachable
// (the whole-document path holds them all until the end).
func TestStreamLetsPathItemsGo(t *testing.T) {
	data := synthSpec(400)
	var items []weak.Pointer[openapi3.PathItem]
	var nodes []weak.Pointer[yaml.Node]
	// The request body's inline schema: the builder's caches (props,
	// samples, …) are keyed by schemas and must not keep an item's own.
	var bodies []weak.Pointer[openapi3.Schema]
	maxAlive := 0
	hook := &streamHook{item: func(item *openapi3.PathItem, node *yaml.Node) {
		items = append(items, weak.Make(item))
		nodes = append(nodes, weak.Make(node))
		var body *openapi3.Schema
		if item.Post != nil && item.Post.RequestBody != nil && item.Post.RequestBody.Value != nil {
			if mt := item.Post.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				body = mt.Schema.Value
			}
		}
		if body == nil {
			t.Fatalf("path item %d has no inline request body schema", len(items))
		}
		bodies = append(bodies, weak.Make(body))
		if len(items)%50 != 0 {
			return
		}
		runtime.GC()
		alive := 0
		for i := range items[:len(items)-1] { // all but the one in hand
			if items[i].Value() != nil || nodes[i].Value() != nil || bodies[i].Value() != nil {
				alive++
			}
		}
		maxAlive = max(maxAlive, alive)
	}}
	res, _, streamed, err := generateData(context.Background(), data, "", LoadOptions{}, Options{}, hook)
	if err != nil {
		t.Fatal(err)
	}
	if !streamed {
		t.Fatal("the synthetic spec did not stream")
	}
	if len(items) != 200 || res.Counts.Requests != 400 {
		t.Fatalf("%d path items, %d requests; want 200 and 400", len(items), res.Counts.Requests)
	}
	if maxAlive > 1 {
		t.Errorf("up to %d earlier path items were still reachable; the streaming path must let each go", maxAlive)
	}
}
