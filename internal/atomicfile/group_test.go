package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteAllFailedRename: when replacing a later file fails, the files
// already replaced get their earlier content back and no temp or backup file
// stays; a folder in the way of a file fails before anything is touched.
func TestWriteAllFailedRename(t *testing.T) {
	dir := t.TempDir()
	set := func(v string) []File {
		return []File{{"a.json", []byte(v + " a"), 0o644}, {"b.json", []byte(v + " b"), 0o644}, {"c.json", []byte(v + " c"), 0o600}}
	}
	if err := WriteAll(dir, set("old")[:2]); err != nil {
		t.Fatal(err)
	}
	failOn := filepath.Join(dir, "c.json")
	rename := func(from, to string) error {
		if to == failOn {
			return errors.New("disk on fire")
		}
		return os.Rename(from, to)
	}
	err := writeAll(dir, set("new"), rename)
	if err == nil || !strings.Contains(err.Error(), "c.json") {
		t.Fatalf("err = %v, want a failure naming c.json", err)
	}
	for name, want := range map[string]string{"a.json": "old a", "b.json": "old b"} {
		if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != want {
			t.Errorf("%s = %q after a failed run, want %q", name, got, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("left behind: %v", entries)
	}

	// A folder where a file goes: error first, nothing replaced.
	if err := os.MkdirAll(filepath.Join(dir, "c.json", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(dir, set("new")); err == nil || !strings.Contains(err.Error(), "in the way") {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.json")); string(got) != "old a" {
		t.Errorf("a.json = %q after a failed run", got)
	}
}

func TestWriteAllReplacesAndKeepsModes(t *testing.T) {
	dir := t.TempDir()
	if err := WriteAll(dir, []File{{"pub.json", []byte("1"), 0o644}, {"key.json", []byte("2"), 0o600}}); err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(dir, []File{{"pub.json", []byte("3"), 0o644}, {"key.json", []byte("4"), 0o600}}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]struct {
		data string
		perm os.FileMode
	}{"pub.json": {"3", 0o644}, "key.json": {"4", 0o600}} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || string(b) != want.data || fi.Mode().Perm() != want.perm {
			t.Errorf("%s = %q %v, want %q %v", name, b, fi.Mode().Perm(), want.data, want.perm)
		}
	}
	assertNoTemps(t, dir)
	if m, _ := filepath.Glob(filepath.Join(dir, "*.obpm-old")); len(m) != 0 {
		t.Errorf("backups left: %v", m)
	}
}
