package session

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/config"
)

// TestFileLoaderSeesEveryEditWhileWatching: once the loader watches the
// folder (from its second read), each kind of edit is seen by the very next
// read: an atomic rewrite (`obpm profile add`), an in-place write, a
// removal and a re-creation; and a config file that is a symbolic link is
// followed to edits of its target.
func TestFileLoaderSeesEveryEditWhileWatching(t *testing.T) {
	save := saveProfiles
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

// TestDirWatch: quiet says unchanged; an event moves the generation; a
// watch whose folder is gone says so, and its goroutine ends.
func TestDirWatch(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("inotify is Linux's")
	}
	dir := t.TempDir()
	w := newDirWatch(filepath.Join(dir, config.FileName))
	if w == nil {
		t.Skip("the test folder is not on a local filesystem inotify covers")
	}
	gen0, ok := w.state()
	if !ok {
		t.Fatal("new watch: not ok")
	}
	if err := os.WriteFile(filepath.Join(dir, "x"), []byte("1"), 0o600); err != nil {
		t.Fatal(err)
	}
	gen1 := waitGen(t, w, gen0)
	if _, ok := w.state(); !ok {
		t.Fatal("file written: watch dead")
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for gen := gen1; ; {
		gen = waitGen(t, w, gen)
		if _, ok := w.state(); !ok {
			break
		}
	}
}

// waitGen waits (at most 10 s: the event comes through the watch's
// goroutine, a scheduling delay after the write) for w's generation to
// move past gen.
func waitGen(t *testing.T, w *dirWatch, gen uint64) uint64 {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if g, _ := w.state(); g != gen {
			return g
		}
	}
	_, ok := w.state()
	t.Fatalf("no event seen in 10 s (generation still %d, ok %v)", gen, ok)
	return 0
}

// TestLoadWatchedTrustsTheWatch: on a watched folder LoadWatched answers
// from the last stat until the watch reports an event, and then sees the
// edit; Load sees it at once.
func TestLoadWatchedTrustsTheWatch(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("inotify is Linux's")
	}
	path := filepath.Join(t.TempDir(), config.FileName)
	save := func(names ...string) { t.Helper(); saveProfiles(t, path, names...) }
	save("a")
	fc := NewFileConfig(path)
	for range 2 { // the second read starts the watch
		if _, _, err := fc.Load(); err != nil {
			t.Fatal(err)
		}
	}
	s := fc.snap.Load()
	if s.watch == nil {
		t.Skip("the test folder is not on a local filesystem inotify covers")
	}
	c1, _, _ := fc.LoadWatched()
	if c2, _, _ := fc.LoadWatched(); c2 != c1 || fc.snap.Load() != s {
		t.Fatal("quiet folder: LoadWatched read the file again")
	}
	save("a", "b") // `obpm profile add b`
	waitGen(t, s.watch, s.gen)
	if c, _, _ := fc.LoadWatched(); c.Profiles["b"] == nil {
		t.Fatalf("after the watch's event: profiles %v, want a and b", c.Names())
	}
	save("b") // `obpm profile remove a`
	if c, _, _ := fc.Load(); c.Profiles["a"] != nil {
		t.Fatalf("Load right after the edit: profiles %v, want b", c.Names())
	}
}

// TestFileConfigWatchesAgain: when the folder is removed the watch ends and
// reads stat again; once the folder exists again, the next Load after
// watchTrust watches it anew, and LoadWatched is quiet again.
func TestFileConfigWatchesAgain(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("inotify is Linux's")
	}
	dir := filepath.Join(t.TempDir(), "obpm")
	path := filepath.Join(dir, config.FileName)
	save := func(name string) {
		t.Helper()
		c := &config.Config{Profiles: map[string]*config.Profile{name: {Name: name, Provider: config.ProviderSandbox, ClientID: "x", RedirectURI: config.SandboxRedirectURI}}}
		if err := c.Save(path); err != nil {
			t.Fatal(err)
		}
	}
	save("a")
	fc := NewFileConfig(path)
	for range 2 {
		if _, _, err := fc.Load(); err != nil {
			t.Fatal(err)
		}
	}
	old := fc.snap.Load().watch
	if old == nil {
		t.Skip("the test folder is not on a local filesystem inotify covers")
	}
	gen, _ := old.state()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for {
		gen = waitGen(t, old, gen)
		if _, ok := old.state(); !ok {
			break
		}
	}
	save("b")
	if c, _, _ := fc.LoadWatched(); c.Profiles["b"] == nil {
		t.Fatalf("dead watch: LoadWatched gave %v, want b", c.Names())
	}
	fc.mu.Lock()
	fc.tried -= watchTrust // as if a second had passed
	fc.mu.Unlock()
	if c, _, _ := fc.Load(); c.Profiles["b"] == nil {
		t.Fatalf("Load gave %v, want b", c.Names())
	}
	s := fc.snap.Load()
	if s.watch == nil || s.watch == old {
		t.Fatal("no new watch on the folder made again")
	}
	if _, ok := s.watch.state(); !ok {
		t.Fatal("the new watch is dead")
	}
	if c, _, _ := fc.LoadWatched(); c.Profiles["b"] == nil || fc.snap.Load() != s {
		t.Fatal("quiet folder again: LoadWatched read the file")
	}
	save("c")
	waitGen(t, s.watch, s.gen)
	if c, _, _ := fc.LoadWatched(); c.Profiles["c"] == nil {
		t.Fatalf("new watch: LoadWatched gave %v, want c", c.Names())
	}
}

// saveProfiles writes a config holding sandbox profiles of these names to
// path, as `obpm profile add` would.
func saveProfiles(t *testing.T, path string, names ...string) {
	t.Helper()
	c := &config.Config{Profiles: map[string]*config.Profile{}}
	for _, n := range names {
		c.Profiles[n] = &config.Profile{Name: n, Provider: config.ProviderSandbox, ClientID: "x", RedirectURI: config.SandboxRedirectURI}
	}
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
}
