package keyring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/obpm/obpm/internal/atomicfile"
	"github.com/obpm/obpm/internal/filelock"
	"github.com/obpm/obpm/internal/private"
)

// FileStore is the opt-in insecure store (--insecure-storage): one JSON
// object in a 0600 file, rewritten atomically. Callers warn on every use.
// Every change is a read-modify-write of the whole file under a lock file
// beside it (Path + ".lock"), so that parallel obpm processes do not drop
// each other's writes.
type FileStore struct {
	Path string
	mu   sync.Mutex
}

// NewFileStore returns a FileStore at path.
func NewFileStore(path string) *FileStore { return &FileStore{Path: path} }

// load reads the store. It holds the helper key and the tokens: a file
// (or folder) that other users may change is refused (private.Check), or
// one of them could plant a helper key they know and read the tokens from
// the daemon.
func (f *FileStore) load() (map[string]string, error) {
	if err := private.Dir("insecure store folder", filepath.Dir(f.Path)); err != nil {
		return nil, err
	}
	file, err := os.Open(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read insecure store %s: %w", f.Path, err)
	}
	defer file.Close()
	fi, err := file.Stat()
	if err == nil {
		err = private.Check("insecure store", f.Path, fi)
	}
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(file)
	if err != nil {
		return nil, fmt.Errorf("read insecure store %s: %w", f.Path, err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read insecure store %s: %w (delete the file and log in again)", f.Path, err)
	}
	return m, nil
}

func (f *FileStore) save(m map[string]string) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return fmt.Errorf("write insecure store %s: %w", f.Path, err)
	}
	// The temp file is created 0600, so secrets never sit in a wider file.
	if err := atomicfile.Write(f.Path, b, 0o600); err != nil {
		return fmt.Errorf("write insecure store: %w", err)
	}
	return nil
}

// Get implements Store.
func (f *FileStore) Get(_ context.Context, key string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return "", err
	}
	v, ok := m[key]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// lock takes the in-process and the cross-process lock.
func (f *FileStore) lock(ctx context.Context) (unlock func(), err error) {
	f.mu.Lock()
	u, err := filelock.Lock(ctx, f.Path+".lock")
	if err != nil {
		f.mu.Unlock()
		return nil, fmt.Errorf("insecure store %s: %w", f.Path, err)
	}
	return func() { u(); f.mu.Unlock() }, nil
}

// Set implements Store.
func (f *FileStore) Set(ctx context.Context, key, value string) error {
	unlock, err := f.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := f.load()
	if err != nil {
		return err
	}
	m[key] = value
	return f.save(m)
}

// Delete implements Store.
func (f *FileStore) Delete(ctx context.Context, key string) error {
	unlock, err := f.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := f.load()
	if err != nil {
		return err
	}
	if _, ok := m[key]; !ok {
		return ErrNotFound
	}
	delete(m, key)
	return f.save(m)
}
