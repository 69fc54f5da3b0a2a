// Package filelock is a lock shared by every obpm process of a user: an
// exclusive advisory lock (flock on Unix, LockFileEx on Windows) on a 0600
// file. The kernel drops it when its holder exits, however it exits, so a
// process killed with -9 never leaves a stale lock behind.
package filelock

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// pollEvery is how often a waiting Lock tries again (flock has no timeout).
const pollEvery = 15 * time.Millisecond

// Lock takes the lock of path (creating it, and its folder, owner-only) and
// returns the function that releases it. It waits until the lock is free or
// ctx ends.
func Lock(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			return func() { _ = unlockFile(f); _ = f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: another obpm process holds it: %w", path, ctx.Err())
		case <-t.C:
		}
	}
}
