package merge

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/obpm/obpm/generator"
	"github.com/obpm/obpm/internal/testenv"
)

// sdkEdit edits a collection the way a user does in Postman, through the
// postman-collection SDK (the library Postman and Newman are built on), and
// writes its export. With "noids" it drops every item id, as the Postman
// app's v2.1 export does.
const sdkEdit = `
const sdk = require(process.argv[1]);
const fs = require('fs');
const col = new sdk.Collection(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));
const find = function (name) { let f = null; col.forEachItem(function (i) { if (i.name === name) { f = i; } }); return f; };
// 1. a test added below obpm's
const create = find('Create a pet');
const test = create.events.find(function (e) { return e.listen === 'test'; });
test.script.exec.push("pm.test('my own check', function () { pm.expect(pm.response.code).to.be.below(500); });");
// 1b. a line added below obpm's test script of a request whose schema the spec then changes
find('Get a pet').events.find(function (e) { return e.listen === 'test'; }).script.exec.push("console.log('mine');");
// 2. a body changed
create.request.body.update({ mode: 'raw', raw: '{"id": 7, "name": "Mine"}', options: { raw: { language: 'json' } } });
// 3. a response saved
find('List pets').responses.add(new sdk.Response({ name: 'My saved list', code: 200, status: 'OK', body: '[{"id":9,"name":"Saved"}]' }));
// 4. a request added in obpm's folder, and a folder of the user's own
const pets = col.items.find(function (i) { return i.name === 'pets'; });
pets.items.add(new sdk.Item({ name: 'My own request', request: { url: '{{base_url}}/custom/thing', method: 'GET' } }));
const mine = new sdk.ItemGroup({ name: 'Scratch' });
mine.items.add(new sdk.Item({ name: 'Ping', request: { url: 'https://example.com/ping', method: 'GET' } }));
col.items.add(mine);
let out = col.toJSON();
if (process.argv[4] === 'noids') {
  const strip = function (items) { items.forEach(function (i) { delete i.id; delete i._postman_id; if (i.item) { strip(i.item); } }); };
  strip(out.item);
}
fs.writeFileSync(process.argv[3], JSON.stringify(out, null, 2));
`

func generate(t *testing.T, spec string) []File {
	t.Helper()
	doc, err := generator.Load(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	res, err := generator.Generate(doc, generator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []File
	for _, f := range res.Files {
		out = append(out, File{Name: f.Name, Data: f.Data})
	}
	return out
}

func writeAll(t *testing.T, dir string, files []File) {
	t.Helper()
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type item struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Items   []item `json:"item"`
	Request json.RawMessage
	Event   []struct {
		Listen string
		Script struct{ Exec []string }
	}
	Response []struct{ Name, Body string }
}

func (i item) find(path ...string) *item {
	for k := range i.Items {
		if i.Items[k].Name == path[0] {
			if len(path) == 1 {
				return &i.Items[k]
			}
			return i.Items[k].find(path[1:]...)
		}
	}
	return nil
}

func (i item) script(listen string) string {
	for _, e := range i.Event {
		if e.Listen == listen {
			return strings.Join(e.Script.Exec, "\n")
		}
	}
	return ""
}

type reqView struct {
	Method string
	URL    struct {
		Raw   string
		Query []struct{ Key, Value string }
	}
	Body struct{ Raw string }
}

func (i item) req(t *testing.T) reqView {
	t.Helper()
	var r reqView
	if err := json.Unmarshal(i.Request, &r); err != nil {
		t.Fatalf("%s: %v", i.Name, err)
	}
	return r
}

func TestMergeKeepsSDKEditsAndTakesSpecChanges(t *testing.T) {
	pkg := testenv.NodePackage(t, "postman-collection")
	for _, mode := range []string{"ids", "noids"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			v1 := generate(t, "testdata/v1.yaml")
			writeAll(t, dir, v1) // a plain `obpm generate`: the first merge's base
			export := filepath.Join(t.TempDir(), "exported.json")
			if out, err := exec.Command("node", "-e", sdkEdit, pkg, filepath.Join(dir, v1[0].Name), export, mode).CombinedOutput(); err != nil {
				t.Fatalf("node: %v\n%s", err, out)
			}
			v2 := generate(t, "testdata/v2.yaml")
			plan, err := Files(dir, v2, []string{export}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var col item
			if err := json.Unmarshal(plan.Files[0].Data, &col); err != nil {
				t.Fatal(err)
			}
			// the user's edits
			create := col.find("pets", "Create a pet")
			if create == nil {
				t.Fatalf("Create a pet lost:\n%s", plan.Files[0].Data)
			}
			if got := create.req(t).Body.Raw; got != `{"id": 7, "name": "Mine"}` {
				t.Errorf("edited body = %q, want the user's", got)
			}
			if s := create.script("test"); !strings.Contains(s, "my own check") || !strings.Contains(s, "// obpm: test script") {
				t.Errorf("test script lost a part:\n%s", s)
			}
			list := col.find("pets", "List pets")
			if list == nil || !slices.ContainsFunc(list.Response, func(r struct{ Name, Body string }) bool { return r.Name == "My saved list" }) {
				t.Errorf("saved response lost: %+v", list)
			}
			if col.find("pets", "My own request") == nil || col.find("Scratch", "Ping") == nil {
				t.Errorf("user's request or folder lost")
			}
			// the spec's changes
			get := col.find("pets", "Get a pet")
			if get == nil || !strings.Contains(get.req(t).URL.Raw, "fields=all") {
				t.Errorf("Get a pet did not get the new query parameter: %+v", get)
			}
			if s := get.script("test"); !strings.Contains(s, "console.log('mine');") || !strings.Contains(s, `"tag":{"type":"string"}`) {
				t.Errorf("Get a pet: the user's line and the new schema should both be in the test script:\n%s", s)
			}
			if col.find("pets", "Update a pet") == nil {
				t.Errorf("new operation not added")
			}
			if col.find("pets", "Delete a pet") != nil || col.find(RemovedFolder, "Delete a pet") == nil {
				t.Errorf("removed operation not moved to %q", RemovedFolder)
			}
			if create.ID != "74a915d9-02bd-59ba-8cbe-754f91e77668" && create.ID == "" {
				t.Errorf("merged request has no obpm id")
			}
			rep := plan.Report
			conflicts := 0
			for _, c := range rep.Changes {
				if c.Kind == Conflict {
					conflicts++
					if c.Where != "pets / Create a pet" || c.Field != "body" {
						t.Errorf("unexpected conflict %+v", c)
					}
				}
			}
			if conflicts != 1 {
				t.Errorf("conflicts = %d, want 1 (the body both changed)\n%s", conflicts, rep.Markdown())
			}
			if rep.Count(Added) != 1 || rep.Count(Removed) != 1 || rep.NoBase {
				t.Errorf("summary: %s", rep.Summary())
			}
			if !strings.Contains(string(rep.Markdown()), "| pets.postman_collection.json | pets / Get a pet | url |") {
				t.Errorf("report misses the URL update:\n%s", rep.Markdown())
			}
			// Writing and merging the same export again (what --watch does on
			// every save) gives the same result.
			writeAll(t, dir, plan.Files)
			if err := plan.SaveSnapshot(); err != nil {
				t.Fatal(err)
			}
			again, err := Files(dir, v2, []string{export}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if string(again.Files[0].Data) != string(plan.Files[0].Data) {
				t.Errorf("second merge of the same export differs")
			}
			// The merged file loads in the SDK.
			if out, err := exec.Command("node", "-e", `const sdk=require(process.argv[1]);const c=new sdk.Collection(JSON.parse(require('fs').readFileSync(process.argv[2],'utf8')));let n=0;c.forEachItem(function(){n++});console.log(n)`, pkg, filepath.Join(dir, v2[0].Name)).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "7" {
				t.Errorf("SDK load of the merge: %v %s (want 7 requests)", err, out)
			}
		})
	}
}

func TestMergePreferSpecAndPrune(t *testing.T) {
	pkg := testenv.NodePackage(t, "postman-collection")
	dir := t.TempDir()
	v1 := generate(t, "testdata/v1.yaml")
	writeAll(t, dir, v1)
	export := filepath.Join(t.TempDir(), "exported.json")
	if out, err := exec.Command("node", "-e", sdkEdit, pkg, filepath.Join(dir, v1[0].Name), export, "noids").CombinedOutput(); err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	plan, err := Files(dir, generate(t, "testdata/v2.yaml"), []string{export}, Options{PreferSpec: true, Prune: true})
	if err != nil {
		t.Fatal(err)
	}
	var col item
	if err := json.Unmarshal(plan.Files[0].Data, &col); err != nil {
		t.Fatal(err)
	}
	if got := col.find("pets", "Create a pet").req(t).Body.Raw; !strings.Contains(got, `"tag": "dog"`) {
		t.Errorf("--merge-prefer spec: body = %q, want the spec's", got)
	}
	if col.find(RemovedFolder) != nil || plan.Report.Count(Pruned) != 1 {
		t.Errorf("--prune kept the removed operation: %s", plan.Report.Summary())
	}
}

func TestEnvironmentKeepsUserValuesAndSecrets(t *testing.T) {
	base := []byte(`{"id":"e","name":"E","values":[{"key":"base_url","value":"http://a","type":"default","enabled":true},{"key":"token","value":"","type":"secret","enabled":true},{"key":"limit","value":"10","type":"default","enabled":true},{"key":"gone","value":"x","type":"default","enabled":true}]}`)
	theirs := []byte(`{"id":"e2","name":"E","values":[{"key":"base_url","value":"http://mine","type":"default","enabled":true},{"key":"token","value":"s3cret","type":"secret","enabled":true},{"key":"limit","value":"10","type":"default","enabled":true},{"key":"gone","value":"x","type":"default","enabled":true},{"key":"my_var","value":"1","type":"default","enabled":true}]}`)
	ours := []byte(`{"id":"e","name":"E","values":[{"key":"base_url","value":"http://b","type":"default","enabled":true},{"key":"token","value":"","type":"secret","enabled":true},{"key":"limit","value":"20","type":"default","enabled":true}]}`)
	for _, tc := range []struct {
		name string
		base []byte
		want map[string]string
	}{
		{"with base", base, map[string]string{"base_url": "http://mine", "token": "s3cret", "limit": "20", "my_var": "1"}},
		// Without a record of what obpm wrote, every value the user holds stays.
		{"no base", nil, map[string]string{"base_url": "http://mine", "token": "s3cret", "limit": "10", "my_var": "1", "gone": "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := Environment(tc.base, theirs, ours)
			if err != nil {
				t.Fatal(err)
			}
			var env struct{ Values []struct{ Key, Value string } }
			if err := json.Unmarshal(out, &env); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, v := range env.Values {
				got[v.Key] = v.Value
			}
			if !mapsEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
