package generator

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
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
		{"swagger 1.2", "sw.yaml", "swagger: \"1.2\"\ninfo: {title: t, version: \"1\"}\npaths: {}\n", []string{"sw.yaml", "Swagger 1.2", "Swagger 2.0 and OpenAPI 3.0/3.1"}},
		{"swagger 1.2 json", "sw.json", `{"swagger": "1.2", "paths": {}}`, []string{"sw.json", "Swagger 1.2"}},
		{"not openapi", "other.yaml", "name: my-app\nversion: 2\n", []string{"other.yaml", "not an OpenAPI 3 document"}},
		{"version 2.5", "v.yaml", "openapi: 2.5.0\ninfo: {title: t, version: \"1\"}\npaths: {}\n", []string{"v.yaml:1", "unsupported OpenAPI version", "3.0.x and 3.1.x"}},
		{"version 4", "v4.yaml", "openapi: 4.0.0\ninfo: {title: t, version: \"1\"}\npaths: {}\n", []string{"v4.yaml:1", "unsupported"}},
		{"top-level list", "list.yaml", "- a\n- b\n", []string{"list.yaml:1", "the top level is a list", "expects a mapping"}},
		{"unquoted version", "num.yaml", "openapi: 3\ninfo: {title: t, version: \"1\"}\npaths: {}\n", []string{"num.yaml:1", "/openapi is a number", "expects a string", "quote the value"}},
		{"wrong type json", "type.json", "{\"openapi\": \"3.0.3\",\n \"info\": {\"title\": [1], \"version\": \"1\"}, \"paths\": {}}", []string{"type.json:2", "/info/title is a list", "expects a string"}},
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

// TestLoadLenient: a document with one bad part loads; the part is left out
// with one warning naming the file, the line and the JSON pointer.
func TestLoadLenient(t *testing.T) {
	head := "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n"
	tests := []struct {
		name, content string
		files         map[string]string
		want          []string // in the one warning
		check         func(t *testing.T, doc *openapi3.T)
	}{
		{"unresolved local ref", head + "  /x:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Nope'}\n",
			nil, []string{"spec.yaml:11 /paths/~1x/get/responses/200/content/application~1json/schema", "#/components/schemas/Nope", "skipped"},
			func(t *testing.T, doc *openapi3.T) {
				if mt := doc.Paths.Value("/x").Get.Responses.Value("200").Value.Content["application/json"]; mt == nil || mt.Schema != nil {
					t.Errorf("the media type should stay without its schema: %+v", mt)
				}
			}},
		{"unresolved file ref", head + "  /x:\n    get:\n      parameters: [{name: q, in: query, schema: {$ref: 'missing.yaml#/X'}}]\n      responses: {'200': {description: ok}}\n",
			nil, []string{"spec.yaml:6", "missing.yaml", "skipped"}, nil},
		{"dropped parameter", head + "  /x:\n    get:\n      parameters:\n        - $ref: '#/components/parameters/Gone'\n        - {name: keep, in: query, schema: {type: string}}\n      responses: {'200': {description: ok}}\n",
			nil, []string{"spec.yaml:7 /paths/~1x/get/parameters/0", "this parameter is skipped"},
			func(t *testing.T, doc *openapi3.T) {
				ps := doc.Paths.Value("/x").Get.Parameters
				if len(ps) != 1 || ps[0].Value.Name != "keep" {
					t.Errorf("want only the good parameter, got %d", len(ps))
				}
			}},
		{"operation cycle", head + "  /a:\n    get: {$ref: 'op.yaml'}\n  /b:\n    get:\n      responses: {'200': {description: ok}}\n",
			map[string]string{"op.yaml": "$ref: 'op2.yaml'\n", "op2.yaml": "$ref: 'op.yaml'\n"},
			[]string{"op2.yaml:1", "refers back to itself", "operation is skipped"},
			func(t *testing.T, doc *openapi3.T) {
				if doc.Paths.Value("/b").Get == nil {
					t.Error("the good operation is lost")
				}
			}},
		{"wrong type deep", head + "  /x:\n    get:\n      parameters: 5\n      responses: {'200': {description: ok}}\n",
			nil, []string{"spec.yaml:6 /paths/~1x/get/parameters", "is a number where OpenAPI expects a list", "left out"},
			func(t *testing.T, doc *openapi3.T) {
				if op := doc.Paths.Value("/x").Get; op == nil || op.Responses.Value("200") == nil {
					t.Error("the operation is lost with its parameters")
				}
			}},
		{"operation not a mapping", head + "  /x:\n    get: [1]\n    post:\n      responses: {'200': {description: ok}}\n",
			nil, []string{"spec.yaml:5 /paths/~1x/get", "is a list where OpenAPI expects a mapping"}, nil},
		{"description not text", "openapi: 3.0.3\ninfo:\n  title: t\n  version: \"1\"\n  description: {$ref: 'd.yaml#/obj'}\npaths: {}\n",
			map[string]string{"d.yaml": "obj: {a: 1}\n"}, []string{"spec.yaml:5 /info/description", "not text"}, nil},
		{"tag description in a missing file", "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\ntags:\n  - name: a\n    description: {$ref: 'nope.md'}\npaths: {}\n",
			nil, []string{"spec.yaml:5 /tags/0/description", "nope.md"},
			func(t *testing.T, doc *openapi3.T) {
				if len(doc.Tags) != 1 || doc.Tags[0].Name != "a" {
					t.Error("the tag itself is lost")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				writeSpec(t, dir, name, content)
			}
			doc, warnings, err := LoadFile(context.Background(), writeSpec(t, dir, "spec.yaml", tt.content), LoadOptions{})
			if err != nil {
				t.Fatalf("Load failed on one bad part: %v", err)
			}
			if len(warnings) != 1 {
				t.Fatalf("want one warning, got %d: %v", len(warnings), warnings)
			}
			for _, w := range tt.want {
				if !strings.Contains(warnings[0].String(), w) {
					t.Errorf("warning %q does not contain %q", warnings[0], w)
				}
			}
			if tt.check != nil {
				tt.check(t, doc)
			}
		})
	}
}

// TestLoadDigitalOceanStyle: operations, parameters, bodies, responses and
// descriptions that live in other files are all present (DigitalOcean's spec
// lost every parameter and body without a word).
func TestLoadDigitalOceanStyle(t *testing.T) {
	doc, warnings, err := LoadFile(context.Background(), filepath.Join("testdata", "digitalocean", "openapi.yaml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	if !strings.Contains(doc.Info.Description, "manages virtual machines") {
		t.Errorf("info.description from description.yml missing: %q", doc.Info.Description)
	}
	if len(doc.Tags) != 2 || !strings.Contains(doc.Tags[0].Description, "billed by the hour") || !strings.Contains(doc.Tags[1].Description, "reboot and resize") {
		t.Errorf("tag descriptions from description.yml and actions.md missing: %+v", doc.Tags)
	}
	list := doc.Paths.Value("/v2/droplets").Get
	if list == nil || len(list.Parameters) != 3 || list.Parameters[2].Value.Name != "tag_name" {
		t.Fatalf("list operation or its parameters from parameters.yml missing: %+v", list)
	}
	if r := list.Responses.Value("200"); r == nil || r.Value.Headers["ratelimit-limit"] == nil ||
		r.Value.Content["application/json"].Schema.Value.Properties["droplets"].Value.Items.Value.Properties["networks"] == nil {
		t.Error("list response, its header or its nested schema from other files missing")
	}
	create := doc.Paths.Value("/v2/droplets").Post
	if create == nil || create.RequestBody == nil || create.RequestBody.Value.Content["application/json"].Schema.Value.Properties["image"] == nil {
		t.Fatal("create operation's body schema from models/droplet_create.yml missing")
	}
	if ex := create.RequestBody.Value.Content["application/json"].Examples["Single Droplet"]; ex == nil || ex.Value == nil || ex.Value.Value == nil {
		t.Error("named request example from examples.yml missing")
	}
	item := doc.Paths.Value("/v2/droplets/{droplet_id}")
	if item == nil || item.Get == nil || item.Delete == nil || len(item.Parameters) != 1 {
		t.Fatal("path item from droplet_item.yml (with its operation in droplets_get.yml) incomplete")
	}
	res, err := Generate(doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if names := requestNames(t, res); len(names) != 2 {
		t.Errorf("want 2 folders, got %v", names)
	}
	var order []string
	for _, f := range decode(t, res.Files[0].Data)["item"].([]any) {
		for _, it := range get(f, "item").([]any) {
			order = append(order, get(it, "name").(string))
		}
	}
	want := []string{"List All Droplets", "Create a New Droplet", "Retrieve an Existing Droplet", "Delete an Existing Droplet", "Initiate a Droplet Action"}
	if strings.Join(order, "|") != strings.Join(want, "|") {
		t.Errorf("requests not in document order:\n got %v\nwant %v", order, want)
	}
}

// TestLoadSwagger2: a Swagger 2.0 document is converted on load.
func TestLoadSwagger2(t *testing.T) {
	dir := t.TempDir()
	p := writeSpec(t, dir, "sw.yaml", `swagger: "2.0"
info: {title: Pets, version: "1"}
host: api.example.com
basePath: /v1
schemes: [https]
paths:
  /pets:
    post:
      operationId: addPet
      consumes: [application/json]
      parameters:
        - {name: body, in: body, required: true, schema: {$ref: '#/definitions/Pet'}}
      responses:
        '200': {description: ok, schema: {$ref: '#/definitions/Pet'}}
    get:
      operationId: listPets
      parameters:
        - {name: limit, in: query, type: integer, format: int32}
      responses:
        '200': {description: ok}
definitions:
  Pet:
    type: object
    properties:
      zname: {type: string, example: Rex}
      age: {type: integer}
`)
	doc, warnings, err := LoadFile(context.Background(), p, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0].Message, "Swagger 2.0") {
		t.Errorf("want the one conversion note, got %v", warnings)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "https://api.example.com/v1" {
		t.Errorf("servers: %+v", doc.Servers)
	}
	res, err := Generate(doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	reqs := requests(t, res)
	body, _ := get(reqs["addPet"], "request", "body", "raw").(string)
	if !strings.Contains(body, `"zname": "Rex"`) || strings.Index(body, "zname") > strings.Index(body, "age") {
		t.Errorf("body from the body parameter, in document order: %s", body)
	}
	if names := requestNames(t, res); len(names) != 2 || names[0] != "addPet" {
		t.Errorf("operations not in document order: %v", names)
	}
}

// TestLoadExampleRefs: an example value that is a $ref to a file (as
// published specs write it, although OpenAPI reads it as a literal) is the
// file's content.
func TestLoadExampleRefs(t *testing.T) {
	dir := t.TempDir()
	writeSpec(t, dir, "examples/pet.json", `{"name": "Rex", "age": 3}`)
	spec := writeSpec(t, dir, "spec.yaml", `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /pets:
    post:
      operationId: addPet
      requestBody:
        content:
          application/json:
            schema: {type: object}
            example: {$ref: 'examples/pet.json'}
      responses: {'200': {description: ok}}
`)
	doc, warnings, err := LoadFile(context.Background(), spec, LoadOptions{})
	if err != nil || len(warnings) != 0 {
		t.Fatalf("err %v, warnings %v", err, warnings)
	}
	ex, _ := doc.Paths.Value("/pets").Post.RequestBody.Value.Content["application/json"].Example.(map[string]any)
	if ex["name"] != "Rex" {
		t.Errorf("example = %v, want the file's content", ex)
	}
}

// TestCondense: a warning repeated at many places is listed once, with how
// many more places share it.
func TestCondense(t *testing.T) {
	var ws []Warning
	for i := 0; i < 328; i++ {
		ws = append(ws, Warning{Place: "paths./op" + strconv.Itoa(i) + ".get.security", Message: "requirement needs a and b together; only a is applied"})
	}
	ws = append(ws, Warning{Place: "servers", Message: "no servers"}, Warning{Place: "x", Message: "twice"}, Warning{Place: "y", Message: "twice"})
	got := Condense(ws)
	want := []string{
		"paths./op0.get.security: requirement needs a and b together; only a is applied (and 327 more places)",
		"servers: no servers",
		"x: twice (and 1 more place)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Condense:\n%s", strings.Join(got, "\n"))
	}
}

// TestLoadRefCycle: a cycle of $refs with no schema in it is warned and
// left out where it is used; the rest of the document loads.
func TestLoadRefCycle(t *testing.T) {
	dir := t.TempDir()
	spec := writeSpec(t, dir, "spec.yaml", `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}
  /b:
    get:
      responses: {'200': {description: ok}}
components:
  schemas:
    A: {$ref: '#/components/schemas/B'}
    B: {$ref: '#/components/schemas/A'}
`)
	doc, warnings, err := LoadFile(context.Background(), spec, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, w := range warnings {
		if strings.Contains(w.String(), "spec.yaml:9 /paths/~1a/get/responses/200/content/application~1json/schema") &&
			strings.Contains(w.Message, "/components/schemas/A → /components/schemas/B → /components/schemas/A") {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning naming the cycle where it is used: %v", warnings)
	}
	if doc.Paths.Value("/b").Get == nil || doc.Paths.Value("/a").Get.Responses.Value("200").Value.Content["application/json"].Schema != nil {
		t.Error("want /b intact and /a without the cyclic schema")
	}
	if _, err := Generate(doc, Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestLoadAliasBomb: YAML aliases that expand to billions of nodes give an
// error (or a warning), not a hang or an exhausted memory.
func TestLoadAliasBomb(t *testing.T) {
	spec := "openapi: 3.0.3\ninfo:\n  title: t\n  version: \"1\"\n  description: {$ref: '#/x-d'}\nx-d: text\n" +
		"x-a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		spec += "x-" + name + ": &" + name + " [" + strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", ") + "]\n"
		prev = name
	}
	spec += "paths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n"
	_, err := LoadData(context.Background(), []byte(spec), "")
	if err == nil || !strings.Contains(err.Error(), "expands beyond") {
		t.Fatalf("err = %v, want the expansion refused", err)
	}
}

// TestLoadListAndMapRefs: a $ref where a list or a map belongs (a whole
// parameters list, a properties map in another file) is replaced by its
// target, whose own relative $refs resolve from the target's file.
func TestLoadListAndMapRefs(t *testing.T) {
	dir := t.TempDir()
	writeSpec(t, dir, "lists/params.yaml", "- {name: a, in: query, schema: {$ref: '../schemas/a.yaml'}}\n")
	writeSpec(t, dir, "lists/props.yaml", "b: {$ref: '../schemas/a.yaml'}\n")
	writeSpec(t, dir, "schemas/a.yaml", "{type: string, example: hi}\n")
	spec := writeSpec(t, dir, "spec.yaml", `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:
    post:
      parameters: {$ref: 'lists/params.yaml'}
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {$ref: 'lists/props.yaml'}}
      responses: {'200': {description: ok}}
`)
	doc, warnings, err := LoadFile(context.Background(), spec, LoadOptions{})
	if err != nil || len(warnings) != 0 {
		t.Fatalf("err %v, warnings %v", err, warnings)
	}
	op := doc.Paths.Value("/x").Post
	if len(op.Parameters) != 1 || op.Parameters[0].Value.Schema == nil || op.Parameters[0].Value.Schema.Value.Example != "hi" {
		t.Errorf("parameter list from lists/params.yaml: %+v", op.Parameters)
	}
	b := op.RequestBody.Value.Content["application/json"].Schema.Value.Properties["b"]
	if b == nil || b.Value == nil || b.Value.Example != "hi" {
		t.Errorf("properties from lists/props.yaml: %+v", b)
	}
}
