package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/internal/testenv"
)

// editExport plays the user: the generated collection with the body of
// "Create a pet" changed and the item ids dropped (the Postman app's export).
func editExport(t *testing.T, generated, export string) {
	t.Helper()
	data, err := os.ReadFile(generated)
	if err != nil {
		t.Fatal(err)
	}
	var col map[string]any
	if err := json.Unmarshal(data, &col); err != nil {
		t.Fatal(err)
	}
	for _, folder := range col["item"].([]any) {
		for _, it := range folder.(map[string]any)["item"].([]any) {
			item := it.(map[string]any)
			delete(item, "id")
			if item["name"] == "Create a pet" {
				item["request"].(map[string]any)["body"].(map[string]any)["raw"] = `{"id": 42, "name": "Edited in Postman"}`
			}
		}
	}
	out, _ := json.Marshal(col)
	if err := os.WriteFile(export, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls file until it holds every string of want (bounded: the
// watcher answers within a second; a minute means it never will).
func waitFor(t *testing.T, file string, want ...string) string {
	t.Helper()
	var got string
	for i := 0; i < 1200; i++ {
		data, _ := os.ReadFile(file)
		got = string(data)
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(got, w)
		}
		if ok {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never held %q", file, want)
	return ""
}

func Test_generateWatchMerge(t *testing.T) {
	specDir, out := t.TempDir(), filepath.Join(t.TempDir(), "postman")
	spec := filepath.Join(specDir, "api.yaml")
	v1, _ := os.ReadFile("../../merge/testdata/v1.yaml")
	v2, _ := os.ReadFile("../../merge/testdata/v2.yaml")
	if err := os.WriteFile(spec, v1, 0o644); err != nil {
		t.Fatal(err)
	}
	f, _, stderr := genFactory()
	if code := Main([]string{"generate", "--spec", spec, "--out", out}, f); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	col := filepath.Join(out, "pets.postman_collection.json")
	export := filepath.Join(t.TempDir(), "exported.json")
	editExport(t, col, export)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wout, werr := &testenv.Buffer{}, &testenv.Buffer{}
	wf := &Factory{In: strings.NewReader(""), Out: wout, ErrOut: werr, Getenv: func(string) string { return "" }, Now: time.Now}
	report := filepath.Join(t.TempDir(), "report.md")
	done := make(chan error, 1)
	go func() {
		done <- generateWatch(ctx, wf, &GenerateOptions{Spec: spec, Out: out, Folders: "tags", Watch: true,
			Merge: MergeOptions{Exports: []string{export}, Prefer: "yours", Report: report}})
	}()
	// First run: the user's edit is in the output.
	waitFor(t, col, "Edited in Postman")
	// Each save of the spec merges again: the spec's change arrives, the
	// user's edit stays.
	if err := os.WriteFile(spec, v2, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, col, "Edited in Postman", "Update a pet", "fields=all", "Removed from the spec")
	v3 := strings.Replace(string(v2), "Lists the pets, newest first.", "Lists the pets, oldest first.", 1)
	if err := os.WriteFile(spec, []byte(v3), 0o644); err != nil {
		t.Fatal(err)
	}
	got := waitFor(t, col, "Edited in Postman", "oldest first", "Update a pet")
	if strings.Count(got, `"name": "Update a pet"`) != 1 || strings.Count(got, `"name": "Delete a pet"`) != 1 {
		t.Errorf("a repeated merge duplicated requests:\n%s", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(wout.String(), "merge: ") {
		t.Errorf("no summary line:\n%s", wout)
	}
	if md, _ := os.ReadFile(report); !strings.Contains(string(md), "| pets / List pets | description |") {
		t.Errorf("report:\n%s", md)
	}
}

// An exported environment carries the secrets the user typed into Postman
// (the helper key above all); the merge keeps them, so the merged file is
// written owner-only and the user is told not to commit it. A merged file
// without a secret stays 0644.
func Test_generateMergeKeepsSecretsPrivate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "postman")
	f, _, stderr := genFactory()
	if code := Main([]string{"generate", "--spec", "../../merge/testdata/v1.yaml", "--out", out}, f); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	envFile := filepath.Join(out, "pets.127-0-0-1.postman_environment.json")
	data, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	const key = "the-helper-key-pasted-into-postman"
	var env map[string]any
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	for _, v := range env["values"].([]any) {
		if m := v.(map[string]any); m["key"] == "obpm_helper_key" {
			m["value"] = key
		}
	}
	exported, _ := json.Marshal(env)
	exportEnv := filepath.Join(t.TempDir(), "env.json")
	exportCol := filepath.Join(t.TempDir(), "col.json")
	if err := os.WriteFile(exportEnv, exported, 0o644); err != nil {
		t.Fatal(err)
	}
	editExport(t, filepath.Join(out, "pets.postman_collection.json"), exportCol)
	f, _, stderr = genFactory()
	if code := Main([]string{"generate", "--spec", "../../merge/testdata/v1.yaml", "--out", out, "--merge", exportCol, "--merge", exportEnv}, f); code != 0 {
		t.Fatalf("generate --merge: exit %d: %s", code, stderr)
	}
	got, _ := os.ReadFile(envFile)
	if !strings.Contains(string(got), key) {
		t.Fatalf("the merge dropped the user's secret:\n%s", got)
	}
	if fi, _ := os.Stat(envFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s holds the helper key with mode %o, want 0600", envFile, fi.Mode().Perm())
	}
	if !strings.Contains(stderr.String(), "obpm_helper_key") {
		t.Errorf("no warning naming the secret: %s", stderr)
	}
	if fi, _ := os.Stat(filepath.Join(out, "pets.postman_collection.json")); fi.Mode().Perm() != 0o644 {
		t.Errorf("collection mode %o, want 0644", fi.Mode().Perm())
	}
}

// --with-key is not dropped when --merge is given: the local copies with
// the key are written too.
func Test_generateMergeWithKey(t *testing.T) {
	f, _, key, _, stderr := keyedFactory(t)
	out := filepath.Join(t.TempDir(), "postman")
	if code := Main([]string{"generate", "--spec", "../../merge/testdata/v1.yaml", "--out", out}, f); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	export := filepath.Join(t.TempDir(), "col.json")
	editExport(t, filepath.Join(out, "pets.postman_collection.json"), export)
	if code := Main([]string{"generate", "--spec", "../../merge/testdata/v1.yaml", "--out", out, "--merge", export, "--with-key"}, f); code != 0 {
		t.Fatalf("generate --merge --with-key: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "local", "pets.127-0-0-1.postman_environment.json"))
	if err != nil || !strings.Contains(string(b), key) {
		t.Errorf("--with-key with --merge wrote no local environment with the key: %v", err)
	}
}
