package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// File is one member of a set that WriteAll replaces together.
type File struct {
	Name string // base name inside the folder
	Data []byte
	Perm os.FileMode
}

// WriteAll replaces the files in dir as one set, so that a failed run leaves
// the earlier set whole: every file is staged beside its target first; then
// each target is moved aside (NAME.obpm-old) and its staged file renamed in;
// a rename that fails puts back the files already replaced. dir must exist.
func WriteAll(dir string, files []File) error { return writeAll(dir, files, os.Rename) }

// writeAll is WriteAll with the rename to use (tests make it fail).
func writeAll(dir string, files []File, rename func(from, to string) error) error {
	for _, file := range files {
		p := filepath.Join(dir, file.Name)
		if st, err := os.Lstat(p); err == nil && !st.Mode().IsRegular() {
			return fmt.Errorf("write %s: something other than a file is in the way; move it and run again", p)
		}
	}
	staged := make([]*Pending, 0, len(files))
	abortFrom := func(i int) {
		for _, p := range staged[i:] {
			p.Abort()
		}
	}
	for _, file := range files {
		p, err := Stage(filepath.Join(dir, file.Name), file.Data, file.Perm)
		if err != nil {
			abortFrom(0)
			return err
		}
		staged = append(staged, p)
	}
	backups := make([]string, 0, len(files)) // backups[i]: the earlier files[i], "" when there was none
	rollback := func(done int) {
		for i := done - 1; i >= 0; i-- {
			if backups[i] != "" {
				if rename(backups[i], staged[i].path) == nil {
					backups[i] = ""
				}
			} else {
				_ = os.Remove(staged[i].path)
			}
		}
		abortFrom(done)
		// A backup that could not be put back stays, under its .obpm-old name.
	}
	for i, p := range staged {
		backup := ""
		if _, err := os.Lstat(p.path); err == nil {
			backup = p.path + ".obpm-old"
			if err := rename(p.path, backup); err != nil {
				backups = append(backups, "")
				rollback(i)
				return fmt.Errorf("replace %s: %w", p.path, err)
			}
		}
		backups = append(backups, backup)
		if err := rename(p.tmp, p.path); err != nil {
			if backup != "" && rename(backup, p.path) == nil {
				backups[i] = ""
			}
			rollback(i)
			return fmt.Errorf("replace %s: %w", p.path, err)
		}
	}
	for _, b := range backups {
		if b != "" {
			_ = os.Remove(b)
		}
	}
	return nil
}
