package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/runfile"
	"github.com/obpm/obpm/internal/testenv"
)

func genFactory() (*Factory, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	env := map[string]string{"OBPM_KEYRING_SERVICE": "obpm-generate-test"}
	return &Factory{In: strings.NewReader(""), Out: out, ErrOut: errOut, Getenv: func(k string) string { return env[k] }, Now: time.Now}, out, errOut
}

// keyedFactory is a generate factory with its own config folder and the
// insecure file store, whose helper key already exists (made by env-key, as a
// user's first command would); it returns the key and the factory's env map.
func keyedFactory(t *testing.T) (f *Factory, env map[string]string, key string, stdout, stderr *bytes.Buffer) {
	t.Helper()
	f, stdout, stderr = genFactory()
	env = map[string]string{"OBPM_INSECURE_STORAGE": "1", "OBPM_CONFIG_DIR": t.TempDir()}
	f.Getenv = func(k string) string { return env[k] }
	if code := Main([]string{"env-key"}, f); code != 0 {
		t.Fatalf("env-key: %s", stderr)
	}
	key = strings.TrimSpace(stdout.String())
	stdout.Reset()
	return f, env, key, stdout, stderr
}

func Test_NewCmdGenerate(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    GenerateOptions
		wantErr string
	}{
		{"defaults", nil, GenerateOptions{Out: "postman", Folders: "tags"}, ""},
		{"all flags", []string{"--spec", "a.yaml", "-o", "x", "--name", "N", "--folders", "paths", "--env", "sandbox,testbed", "--templates", "t", "--check", "--with-key"},
			GenerateOptions{Spec: "a.yaml", Out: "x", Name: "N", Folders: "paths", Envs: []string{"sandbox", "testbed"}, Templates: "t", Check: true, WithKey: true}, ""},
		{"ref flags", []string{"--spec", "a.yaml", "--allow-external-refs", "--allow-remote-refs"},
			GenerateOptions{Spec: "a.yaml", Out: "postman", Folders: "tags", AllowExternalRefs: true, AllowRemoteRefs: true}, ""},
		{"bad folders", []string{"--folders", "files"}, GenerateOptions{}, "--folders must be tags or paths"},
		{"check and watch", []string{"--spec", "a", "--check", "--watch"}, GenerateOptions{}, "do not go together"},
		{"watch embedded", []string{"--watch"}, GenerateOptions{}, "--watch needs --spec"},
		{"positional", []string{"x.yaml"}, GenerateOptions{}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := genFactory()
			var got *GenerateOptions
			cmd := newCmdGenerate(f, func(o *GenerateOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join("..", "..", "generator", "testdata", name, "openapi.yaml")
}

func Test_generateRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "postman")
	f, stdout, stderr := genFactory()

	// Given a spec, when generating, then the files are written and listed.
	if code := Main([]string{"generate", "--spec", fixture(t, "petstore"), "--out", out}, f); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"swagger-petstore.postman_collection.json (6 requests in 2 folders", "swagger-petstore.sandbox.postman_environment.json"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 4 {
		t.Errorf("%d files written, want 4 (no temp files left): %v", len(entries), entries)
	}
	colPath := filepath.Join(out, "swagger-petstore.postman_collection.json")
	before, _ := os.ReadFile(colPath)

	// --check on fresh output: exit 0.
	f, stdout, _ = genFactory()
	if code := Main([]string{"generate", "--spec", fixture(t, "petstore"), "--out", out, "--check"}, f); code != 0 {
		t.Errorf("--check on fresh files: exit %d\n%s", code, stdout)
	}
	// --check after a change: exit 1, names the file, writes nothing.
	if err := os.WriteFile(colPath, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, stdout, stderr = genFactory()
	if code := Main([]string{"generate", "--spec", fixture(t, "petstore"), "--out", out, "--check"}, f); code != 1 {
		t.Errorf("--check on stale files: exit %d, want 1", code)
	}
	if !strings.Contains(stdout.String(), "differs: "+colPath) || !strings.Contains(stderr.String(), "run `obpm generate`") {
		t.Errorf("--check output:\n%s\n%s", stdout, stderr)
	}
	if got, _ := os.ReadFile(colPath); string(got) != "{}" {
		t.Error("--check wrote files")
	}
	_ = os.WriteFile(colPath, before, 0o644)

	// A bad spec: non-zero exit, message names the file and line, old output untouched.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	_ = os.WriteFile(bad, []byte("openapi: 3.0.3\ninfo: {title: t\n  x: [\n"), 0o644)
	f, _, stderr = genFactory()
	if code := Main([]string{"generate", "--spec", bad, "--out", out}, f); code != 1 {
		t.Errorf("bad spec: exit %d", code)
	}
	if !strings.Contains(stderr.String(), bad+":3") {
		t.Errorf("error does not name file and line: %s", stderr)
	}
	if got, _ := os.ReadFile(colPath); !bytes.Equal(got, before) {
		t.Error("a failed run changed the earlier output")
	}

	// Missing file.
	f, _, stderr = genFactory()
	if code := Main([]string{"generate", "--spec", "/nope/x.yaml", "--out", out}, f); code != 1 || !strings.Contains(stderr.String(), "/nope/x.yaml") {
		t.Errorf("missing spec: exit %d, %s", code, stderr)
	}
	// Unknown environment.
	f, _, stderr = genFactory()
	if code := Main([]string{"generate", "--spec", fixture(t, "petstore"), "--out", out, "--env", "staging"}, f); code != 1 || !strings.Contains(stderr.String(), "choose from local, production, sandbox") {
		t.Errorf("unknown env: exit %d, %s", code, stderr)
	}
}

func Test_generateEmbedded(t *testing.T) {
	out := t.TempDir()
	f, stdout, stderr := genFactory()
	if code := Main([]string{"generate", "--out", out, "--env", "sandbox"}, f); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"openbanking.postman_collection.json", "openbanking.sandbox.postman_environment.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s not written: %v\n%s", name, err, stdout)
		}
	}
}

func Test_generateWithKeyWithoutKey(t *testing.T) {
	f, _, stderr := genFactory()
	env := map[string]string{"OBPM_INSECURE_STORAGE": "1", "OBPM_CONFIG_DIR": t.TempDir()}
	f.Getenv = func(k string) string { return env[k] }
	if code := Main([]string{"generate", "--spec", fixture(t, "petstore"), "--out", t.TempDir(), "--with-key"}, f); code == 0 {
		t.Fatal("--with-key without a stored key succeeded")
	}
	if !strings.Contains(stderr.String(), "--with-key") || !strings.Contains(stderr.String(), "obpm env-key") {
		t.Errorf("error should say how to create the key: %s", stderr)
	}
	// The plaintext file store is warned about on every use, --with-key included.
	if !strings.Contains(stderr.String(), "warning: --insecure-storage") {
		t.Errorf("no insecure-storage warning: %s", stderr)
	}
}

// --with-key never writes the key into an environment whose
// obpm_helper_url points off this machine (OBPM_HELPER_URL is not loopback):
// Postman would send the key there on every request.
func Test_generateWithKeyRefusesRemoteHelperURL(t *testing.T) {
	f, env, key, stdout, stderr := keyedFactory(t)
	env["OBPM_HELPER_URL"] = "http://helper.example.com:8791"
	out := t.TempDir()
	if code := Main([]string{"generate", "--spec", fixture(t, "petstore"), "--out", out, "--with-key"}, f); code == 0 {
		t.Errorf("generate --with-key with a remote OBPM_HELPER_URL succeeded: %s", stdout)
	}
	if !strings.Contains(stderr.String(), "OBPM_HELPER_URL") {
		t.Errorf("error should name OBPM_HELPER_URL: %s", stderr)
	}
	_ = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), key) {
				t.Errorf("%s holds the helper key", p)
			}
		}
		return nil
	})
}

func Test_diff(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.yaml")
	newer := filepath.Join(dir, "new.yaml")
	head := "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n"
	_ = os.WriteFile(old, []byte(head+"  /a/{id}:\n    get:\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}, {name: q, in: query, schema: {type: string}}]\n      responses: {'200': {description: ok}}\n  /gone:\n    delete:\n      responses: {'204': {description: ok}}\n"), 0o644)
	_ = os.WriteFile(newer, []byte(head+"  /a/{key}:\n    get:\n      parameters: [{name: key, in: path, required: true, schema: {type: string}}, {name: q, in: query, required: true, schema: {type: integer}}]\n      responses: {'200': {description: ok, content: {application/json: {schema: {type: object, properties: {n: {type: string}}}}}}, '404': {description: no}}\n  /new:\n    post:\n      responses: {'201': {description: ok}}\n"), 0o644)
	f, stdout, _ := genFactory()
	if code := Main([]string{"diff", old, newer}, f); code != 1 {
		t.Errorf("diff of different specs: exit %d", code)
	}
	want := []string{
		"~ GET /a/{key}",
		"parameter path id removed",
		"parameter path key added (string, required)",
		"parameter query q changed: string, optional → integer, required",
		"response 200 n added (string, optional)",
		"response 404 added",
		"- DELETE /gone",
		"+ POST /new",
	}
	for _, w := range want {
		if !strings.Contains(stdout.String(), w) {
			t.Errorf("diff output lacks %q:\n%s", w, stdout)
		}
	}
	f, stdout, _ = genFactory()
	if code := Main([]string{"diff", old, old}, f); code != 0 || stdout.Len() != 0 {
		t.Errorf("diff of a spec with itself: exit %d, %q", code, stdout)
	}
	f, _, stderr := genFactory()
	if code := Main([]string{"diff", old, filepath.Join(dir, "missing.yaml")}, f); code != 2 || !strings.Contains(stderr.String(), "missing.yaml") {
		t.Errorf("diff with a missing file: exit %d, %s", code, stderr)
	}
	f, _, _ = genFactory()
	if code := Main([]string{"diff", old}, f); code != 2 {
		t.Errorf("diff with one file: exit %d, want usage error 2", code)
	}
}

// Test_generateRefPolicy: a $ref out of the spec's folder is refused with a
// warning naming the flag, and --allow-external-refs lets it through.
func Test_generateRefPolicy(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "secret.md"), []byte("TOP-SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "api"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(root, "api", "openapi.yaml")
	doc := "openapi: 3.0.3\ninfo:\n  title: T\n  version: '1'\n  description: {$ref: '../secret.md'}\nservers: [{url: 'https://api.example.com'}]\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n"
	if err := os.WriteFile(spec, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, allow := range []bool{false, true} {
		f, _, errOut := genFactory()
		out := filepath.Join(root, "out")
		if err := generateRun(t.Context(), f, &GenerateOptions{Spec: spec, Out: out, Folders: "tags", AllowExternalRefs: allow}); err != nil {
			t.Fatal(err)
		}
		col, err := os.ReadFile(filepath.Join(out, "t.postman_collection.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(col, []byte("TOP-SECRET")); got != allow {
			t.Errorf("allow=%v: secret in the collection = %v", allow, got)
		}
		if warned := strings.Contains(errOut.String(), "--allow-external-refs"); warned == allow {
			t.Errorf("allow=%v: stderr %q", allow, errOut)
		}
	}
}

func Test_watched(t *testing.T) {
	out, _ := filepath.Abs("spec/postman")
	for name, want := range map[string]bool{
		"spec/openapi.yaml": true, "spec/parts/schemas.yml": true, "spec/a.json": true, "tmpl/request-test.js.tmpl": true,
		"spec/postman/x.postman_collection.json": false, "spec/postman": false, "spec/.openapi.yaml.swp": false, "spec/log.txt": false,
	} {
		if got := watched(name, out); got != want {
			t.Errorf("watched(%q) = %v, want %v", name, got, want)
		}
	}
}

// --with-key puts the key only into local environment files: 0600, in an
// owner-only local/ folder, git-ignored, with the URLs where the
// helper and the sandbox really run; the shared files keep no key, so the
// next --check is not stale. Another Unix user reads nothing.
func Test_generateWithKeyIsPrivate(t *testing.T) {
	f, env, key, stdout, stderr := keyedFactory(t)
	cfgDir := env["OBPM_CONFIG_DIR"]
	// A daemon and a sandbox on other ports (this process stands in for both).
	for name, u := range map[string]string{runfile.Daemon: "http://127.0.0.1:45999", runfile.Sandbox: "http://127.0.0.1:45998"} {
		if err := runfile.Write(cfgDir, name, runfile.Record{URL: u}); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(testenv.SharedDir(t), "postman")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for range 2 { // twice: the second run changes nothing more
		stdout.Reset()
		if code := Main([]string{"generate", "--spec", fixture(t, "petstore"), "--out", out, "--with-key"}, f); code != 0 {
			t.Fatalf("generate --with-key: %s", stderr)
		}
	}
	shared, _ := os.ReadDir(out)
	local := filepath.Join(out, "local")
	entries, _ := os.ReadDir(local)
	for _, e := range shared {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), key) {
			t.Errorf("shared file %s holds the helper key", e.Name())
		}
	}
	var locals int
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(local, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := e.Info()
		if strings.HasSuffix(e.Name(), ".postman_environment.json") {
			locals++
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %o, want 0600", e.Name(), fi.Mode().Perm())
			}
			for _, want := range []string{key, `"http://127.0.0.1:45999"`} {
				if !strings.Contains(string(b), want) {
					t.Errorf("%s lacks %s:\n%s", e.Name(), want, b)
				}
			}
			if strings.Contains(e.Name(), "sandbox") && !strings.Contains(string(b), `"http://127.0.0.1:45998"`) {
				t.Errorf("%s lacks the running sandbox's URL:\n%s", e.Name(), b)
			}
		}
	}
	if locals == 0 {
		t.Fatalf("no local environment written; files: %v", entries)
	}
	ign, _ := os.ReadFile(filepath.Join(out, ".gitignore"))
	if strings.Count(string(ign), "/local/") != 1 {
		t.Errorf(".gitignore = %q", ign)
	}
	if fi, _ := os.Stat(local); fi.Mode().Perm() != 0o700 {
		t.Errorf("local folder mode %o: other users can list it", fi.Mode().Perm())
	}
	stdout.Reset()
	if code := Main([]string{"generate", "--spec", fixture(t, "petstore"), "--out", out, "--check"}, f); code != 0 {
		t.Errorf("--check after --with-key is stale: %s %s", stdout, stderr)
	}

	// As another local user: neither list the folder nor read a key file.
	as := testenv.AsOtherUser(t)
	for _, e := range entries {
		cmd := exec.Command(as[0], append(as[1:], "cat", filepath.Join(local, e.Name()))...)
		if b, err := cmd.CombinedOutput(); err == nil || strings.Contains(string(b), key) {
			t.Errorf("another user read %s: %s", e.Name(), b)
		}
	}
	if b, err := exec.Command(as[0], append(as[1:], "ls", local)...).CombinedOutput(); err == nil {
		t.Errorf("another user listed %s: %s", local, b)
	}
}
