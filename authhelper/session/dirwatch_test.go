package session

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/obpm/obpm/authhelper/config"
)

// TestFileLoaderSeesEveryEditWhileWatching: once the loader watches the
// folder (from its second read), each kind of edit is seen by the very next
// read: an atomic rewrite (`obpm profile add`), an in-place write, a
// removal and a re-creation; and a config file that is a symbolic link is
// followed to edits of its target.
func TestFileLoaderSeesEveryEditWhileWatching(t *testing.T) {
	save := func(t *testing.T, path string, names ...string) {
		t.Helper()
		c := &config.Config{Profiles: map[string]*config.Profile{}}
		for _, n := range names {
			c.Profiles[n] = &config.Profile{Name: n, Provider: config.ProviderSandbox, ClientID: "x", RedirectURI: config.SandboxRedirectURI}
		}
		if err := c.Save(path); err != nil {
			t.Fatal(err)
		}
	}
	want := func(t *testing.T, load ConfigLoader, step string, names ...string) {
		t.Helper()
		for range 3 { // the first read after the edit, then quiet reads
			c, _, err := load()
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			if len(c.Profiles) != len(names) {
				t.Fatalf("%s: profiles %v, want %v", step, c.Profiles, names)
			}
			for _, n := range names {
				if c.Profiles[n] == nil {
					t.Fatalf("%s: no profile %s", step, n)
				}
			}
		}
	}
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), config.FileName)
		save(t, path, "a")
		load := FileLoader(path)
		want(t, load, "start", "a")
		save(t, path, "a", "b")
		want(t, load, "profile add", "a", "b")
		save(t, path, "c")
		want(t, load, "rewrite", "c")
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		want(t, load, "removed")
		save(t, path, "d")
		want(t, load, "re-created", "d")
	})
	t.Run("symlink", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(t.TempDir(), "elsewhere.yaml")
		save(t, target, "a")
		path := filepath.Join(dir, config.FileName)
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
		load := FileLoader(path)
		want(t, load, "start", "a")
		save(t, target, "a", "b")
		want(t, load, "target edited", "a", "b")
	})
}

// TestDirWatch: quiet says unchanged; an event says changed once; a watch
// whose folder is gone says changed from then on.
func TestDirWatch(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("inotify is Linux's")
	}
	dir := t.TempDir()
	w := newDirWatch(filepath.Join(dir, config.FileName))
	if w == nil {
		t.Skip("the test folder is not on a local filesystem inotify covers")
	}
	if w.changed() {
		t.Fatal("quiet folder: changed")
	}
	if err := os.WriteFile(filepath.Join(dir, "x"), []byte("1"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !w.changed() {
		t.Fatal("file written: not changed")
	}
	if w.changed() {
		t.Fatal("no new event: changed")
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if !w.changed() {
			t.Fatal("folder removed: not changed")
		}
	}
}
