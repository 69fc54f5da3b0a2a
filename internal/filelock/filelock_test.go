package filelock

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestLockExcludes: holders of the lock never overlap, and the file is owner-only.
func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.lock")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		in, max int
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := Lock(context.Background(), path)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			in++
			max = maxInt(max, in)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			in--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
	if max != 1 {
		t.Fatalf("%d holders at once, want 1", max)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("lock file mode %v %v, want 0600", st.Mode(), err)
	}
}

// TestLockGivesUp: a waiter ends with ctx.
func TestLockGivesUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lock(ctx, path); err == nil {
		t.Fatal("a second Lock succeeded while the first is held")
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
