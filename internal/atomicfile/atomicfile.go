// Package atomicfile replaces files so that a reader, or a crash, sees either the
// old content or the new one, never half of it: the data goes to a temporary file
// in the target's folder (same file system, so the rename is atomic), is synced,
// and is renamed over the target.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Pending is a fully written temporary file waiting to replace its target.
// Staging several files and committing them only when all were written keeps a
// failed run from leaving a mix of old and new outputs.
type Pending struct {
	tmp, path string
}

// Stage writes data to a temporary file beside path with the given permissions.
func Stage(path string, data []byte, perm os.FileMode) (*Pending, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := TempFile(dir, "."+base+".*.tmp", data, perm)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &Pending{tmp: tmp, path: path}, nil
}

// TempFile writes data to a new file in dir named by pattern (as os.CreateTemp),
// synced to disk so that a rename which follows never exposes a half-written
// file after a crash, and returns its name. On error nothing is left behind.
func TempFile(dir, pattern string, data []byte, perm os.FileMode) (string, error) {
	return tempFileWith(dir, pattern, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteWith replaces path atomically with what write writes, streamed
// through a buffer, so that a large file is never held whole in memory.
func WriteWith(path string, perm os.FileMode, write func(io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := tempFileWith(dir, "."+base+".*.tmp", perm, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return (&Pending{tmp: tmp, path: path}).Commit()
}

func tempFileWith(dir, pattern string, perm os.FileMode, write func(io.Writer) error) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	err = write(f)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Commit renames the temporary file over the target.
func (p *Pending) Commit() error {
	if err := os.Rename(p.tmp, p.path); err != nil {
		p.Abort()
		return fmt.Errorf("replace %s: %w", p.path, err)
	}
	return nil
}

// Abort removes the temporary file; the target is left as it was.
func (p *Pending) Abort() { _ = os.Remove(p.tmp) }

// Write replaces path with data atomically.
func Write(path string, data []byte, perm os.FileMode) error {
	p, err := Stage(path, data, perm)
	if err != nil {
		return err
	}
	return p.Commit()
}
