package generator

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/obpm/obpm/internal/testenv"
	"github.com/obpm/obpm/specs"
)

// sdkCheck loads a collection and its environments with the postman-collection
// SDK (what Postman and Newman use) and resolves every request URL with each
// environment's variables (collection variables underneath).
const sdkCheck = `
const sdk = require(process.argv[1]);
const fs = require('fs');
const col = new sdk.Collection(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));
let folders = 0, requests = 0, events = col.events.count();
col.forEachItemGroup(function (g) { folders++; events += g.events.count(); });
const items = [];
col.forEachItem(function (i) { requests++; events += i.events.count(); items.push(i); });
const envs = process.argv.slice(3).map(function (p) {
  const env = JSON.parse(fs.readFileSync(p, 'utf8'));
  const vals = {};
  col.variables.each(function (v) { vals[v.key] = v.value; });
  env.values.forEach(function (v) { vals[v.key] = v.value; });
  const scope = new sdk.VariableScope({ values: Object.keys(vals).map(function (k) { return { key: k, value: vals[k] }; }) });
  const unresolved = [], invalid = [];
  items.forEach(function (i) {
    let u = i.request.url.toString();
    for (let n = 0; n < 4; n++) { u = scope.replaceIn(u); }
    if (/\{\{[^}]*\}\}/.test(u)) { unresolved.push(i.name + ': ' + u); return; }
    try {
      const parsed = new URL(u);
      if (!/^https?:$/.test(parsed.protocol) || !parsed.host) { invalid.push(i.name + ': ' + u); }
    } catch (e) { invalid.push(i.name + ': ' + u + ' (' + e.message + ')'); }
  });
  return { name: env.name, unresolved: unresolved, invalid: invalid };
});
console.log(JSON.stringify({ name: col.name, folders: folders, requests: requests, events: events, envs: envs }));
`

type sdkResult struct {
	Name                      string
	Folders, Requests, Events int
	Envs                      []struct {
		Name                string
		Unresolved, Invalid []string
	}
}

func TestPostmanSDKLoadsOutput(t *testing.T) {
	pkg := testenv.NodePackage(t, "postman-collection")
	cases := map[string]*Result{}
	for _, name := range fixtures(t) {
		cases[name] = loadFixture(t, name)
	}
	doc, err := specs.LoadOpenBanking(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cases["openbanking"], err = Generate(doc, Options{FileStem: "openbanking"}); err != nil {
		t.Fatal(err)
	}
	for name, res := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"-e", sdkCheck, pkg}
			for _, f := range res.Files {
				p := filepath.Join(dir, f.Name)
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, p)
			}
			out, err := exec.Command("node", args...).CombinedOutput()
			if err != nil {
				t.Fatalf("node: %v\n%s", err, out)
			}
			var got sdkResult
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("node output: %v\n%s", err, out)
			}
			if got.Folders != res.Counts.Folders || got.Requests != res.Counts.Requests || got.Events != res.Counts.Events {
				t.Errorf("SDK sees %d folders, %d requests, %d events; generator counted %+v", got.Folders, got.Requests, got.Events, res.Counts)
			}
			if got.Requests == 0 {
				t.Error("no requests")
			}
			if len(got.Envs) != res.Counts.Environments {
				t.Errorf("%d environments checked, want %d", len(got.Envs), res.Counts.Environments)
			}
			for _, e := range got.Envs {
				for _, u := range e.Unresolved {
					t.Errorf("%s: unresolved variable in %s", e.Name, u)
				}
				for _, u := range e.Invalid {
					t.Errorf("%s: not a valid URL: %s", e.Name, u)
				}
			}
		})
	}
}
