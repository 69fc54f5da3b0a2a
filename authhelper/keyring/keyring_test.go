package keyring

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/obpm/obpm/internal/testenv"
)

// memBackend is an in-memory Backend that records item sizes and can fail or
// hang on demand.
type memBackend struct {
	mu       sync.Mutex
	items    map[string]string
	maxItem  int
	failSet  func(user string) error
	hang     chan struct{}
	setCalls int
}

func newMem() *memBackend { return &memBackend{items: map[string]string{}} }

func (m *memBackend) Get(s, u string) (string, error) {
	if m.hang != nil {
		<-m.hang
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[s+"/"+u]
	if !ok {
		return "", errNotFoundLib
	}
	return v, nil
}

func (m *memBackend) Set(s, u, v string) error {
	if m.hang != nil {
		<-m.hang
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setCalls++
	if m.failSet != nil {
		if err := m.failSet(u); err != nil {
			return err
		}
	}
	m.items[s+"/"+u] = v
	if len(v) > m.maxItem {
		m.maxItem = len(v)
	}
	return nil
}

func (m *memBackend) Delete(s, u string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[s+"/"+u]; !ok {
		return errNotFoundLib
	}
	delete(m.items, s+"/"+u)
	return nil
}

func (m *memBackend) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

func TestRoundTripSizes(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		wantItems int
	}{
		{"empty", 0, 1},
		{"small", 100, 1},
		{"at limit", DefaultChunkSize, 1},
		{"4 KB token", 4096, 4}, // head + 3 chunks
		{"10 KB", 10_000, 6},    // head + 5 chunks
		{"multibyte", 3000, 0},  // counted below
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newMem()
			k := NewWithBackend("svc", b)
			val := strings.Repeat("a", tc.size)
			if tc.name == "multibyte" {
				val = strings.Repeat("홍", 1000) // 3 bytes each: cuts must fall on rune boundaries
			}
			ctx := context.Background()
			if err := k.Set(ctx, "tok", val); err != nil {
				t.Fatal(err)
			}
			got, err := k.Get(ctx, "tok")
			if err != nil {
				t.Fatal(err)
			}
			if got != val {
				t.Fatalf("round trip changed the value: got %d bytes, want %d", len(got), len(val))
			}
			if b.maxItem > DefaultChunkSize+len(chunkMarker)+80 {
				t.Errorf("largest item %d bytes; want at most about %d", b.maxItem, DefaultChunkSize)
			}
			if tc.wantItems > 0 && b.count() != tc.wantItems {
				t.Errorf("items in store = %d, want %d", b.count(), tc.wantItems)
			}
		})
	}
}

func TestOverwriteRemovesOldChunks(t *testing.T) {
	b := newMem()
	k := NewWithBackend("svc", b)
	ctx := context.Background()
	if err := k.Set(ctx, "tok", strings.Repeat("x", 5000)); err != nil {
		t.Fatal(err)
	}
	if err := k.Set(ctx, "tok", strings.Repeat("y", 4500)); err != nil {
		t.Fatal(err)
	}
	if n := b.count(); n != 4 {
		t.Errorf("after big→big overwrite: %d items, want 4 (old generation removed)", n)
	}
	if err := k.Set(ctx, "tok", "small"); err != nil {
		t.Fatal(err)
	}
	if n := b.count(); n != 1 {
		t.Errorf("after big→small overwrite: %d items, want 1", n)
	}
	if err := k.Delete(ctx, "tok"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Get(ctx, "tok"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: err = %v, want ErrNotFound", err)
	}
	if err := k.Delete(ctx, "tok"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: err = %v, want ErrNotFound", err)
	}
}

func TestFailedChunkedWriteKeepsOldValue(t *testing.T) {
	for _, failAt := range []string{"chunk", "head"} {
		t.Run(failAt, func(t *testing.T) {
			b := newMem()
			k := NewWithBackend("svc", b)
			ctx := context.Background()
			old := strings.Repeat("o", 4100)
			if err := k.Set(ctx, "tok", old); err != nil {
				t.Fatal(err)
			}
			b.failSet = func(user string) error {
				isChunk := strings.Contains(user, "#")
				if (failAt == "chunk" && isChunk && strings.HasSuffix(user, ".1")) || (failAt == "head" && !isChunk) {
					return errors.New("disk full")
				}
				return nil
			}
			err := k.Set(ctx, "tok", strings.Repeat("n", 6000))
			var ue *UnavailableError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want *UnavailableError", err)
			}
			b.failSet = nil
			got, err := k.Get(ctx, "tok")
			if err != nil || got != old {
				t.Fatalf("old value lost after a failed write: err=%v len=%d", err, len(got))
			}
			if n := b.count(); n != 4 {
				t.Errorf("items = %d, want 4 (new generation cleaned up)", n)
			}
		})
	}
}

func TestCorruptChunkIsReported(t *testing.T) {
	b := newMem()
	k := NewWithBackend("svc", b)
	ctx := context.Background()
	if err := k.Set(ctx, "tok", strings.Repeat("z", 4100)); err != nil {
		t.Fatal(err)
	}
	for key := range b.items {
		if strings.HasSuffix(key, ".1") {
			b.items[key] = "tampered"
		}
	}
	if _, err := k.Get(ctx, "tok"); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("err = %v, want a digest mismatch", err)
	}
}

func TestTimeout(t *testing.T) {
	b := newMem()
	b.hang = make(chan struct{})
	defer close(b.hang)
	k := NewWithBackend("svc", b)
	k.ReadTimeout = 20 * time.Millisecond
	k.WriteTimeout = 20 * time.Millisecond
	_, err := k.Get(context.Background(), "tok")
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "read" {
		t.Fatalf("Get err = %v, want *TimeoutError on read", err)
	}
	if !strings.Contains(err.Error(), "unlock") {
		t.Errorf("timeout message %q does not say how to fix it", err)
	}
	if err := k.Set(context.Background(), "tok", "v"); !errors.As(err, &te) {
		t.Fatalf("Set err = %v, want *TimeoutError", err)
	}
}

// TestHungCallFailsFast: while a timed-out call still hangs, the next call
// waits for it one timeout at most, then the keyring counts as dead and
// later calls (reads and writes) fail at once without reaching the
// backend; once the hung call returns, the keyring is used again.
func TestHungCallFailsFast(t *testing.T) {
	b := &countingBackend{memBackend: newMem(), hang: make(chan struct{})}
	k := NewWithBackend("svc", b)
	k.ReadTimeout, k.WriteTimeout = 10*time.Millisecond, 10*time.Millisecond
	ctx := context.Background()
	var te *TimeoutError
	if _, err := k.Get(ctx, "a"); !errors.As(err, &te) || te.Earlier {
		t.Fatalf("first Get err = %v, want a plain *TimeoutError", err)
	}
	for _, call := range []func() error{
		func() error { _, err := k.Get(ctx, "b"); return err }, // waits one timeout
		func() error { _, err := k.Get(ctx, "b"); return err }, // dead: at once
		func() error { return k.Set(ctx, "b", "v") },
		func() error { return k.Delete(ctx, "b") },
	} {
		if err := call(); !errors.As(err, &te) || !te.Earlier || !strings.Contains(err.Error(), "earlier keyring call") {
			t.Fatalf("err = %v, want *TimeoutError{Earlier: true}", err)
		}
	}
	if !k.stall.isDead() {
		t.Fatal("keyring not marked dead after a wait in vain")
	}
	if n := b.calls.Load(); n != 1 {
		t.Fatalf("backend saw %d calls while one hung, want 1", n)
	}
	close(b.hang) // the hung call returns
	for k.stall.isDead() {
		runtime.Gosched()
	}
	if err := k.Set(ctx, "b", "v"); err != nil {
		t.Fatalf("Set after the hung call returned: %v", err)
	}
	if v, err := k.Get(ctx, "b"); err != nil || v != "v" {
		t.Fatalf("Get after recovery = %q, %v", v, err)
	}
}

// TestSlowCallLetsTheNextOneGoOn: a keyring that answers late (a loaded
// machine) times out one call, but the next one, waiting within its own
// timeout, goes on once the late answer came.
func TestSlowCallLetsTheNextOneGoOn(t *testing.T) {
	b := &countingBackend{memBackend: newMem(), hang: make(chan struct{})}
	b.items["svc/b"] = "v"
	k := NewWithBackend("svc", b)
	k.ReadTimeout = 10 * time.Millisecond
	ctx := context.Background()
	var te *TimeoutError
	if _, err := k.Get(ctx, "a"); !errors.As(err, &te) {
		t.Fatalf("first Get err = %v, want *TimeoutError", err)
	}
	k.ReadTimeout = time.Minute
	got := make(chan error, 1)
	go func() {
		v, err := k.Get(ctx, "b")
		if err == nil && v != "v" {
			err = fmt.Errorf("got %q", v)
		}
		got <- err
	}()
	close(b.hang) // the late answer arrives
	if err := <-got; err != nil {
		t.Fatalf("Get after a late answer: %v", err)
	}
}

// countingBackend counts calls and blocks the first Get until hang closes.
type countingBackend struct {
	*memBackend
	hang  chan struct{}
	calls atomic.Int32
}

func (c *countingBackend) Get(s, u string) (string, error) {
	if c.calls.Add(1) == 1 {
		<-c.hang
	}
	return c.memBackend.Get(s, u)
}

func (c *countingBackend) Set(s, u, v string) error { c.calls.Add(1); return c.memBackend.Set(s, u, v) }
func (c *countingBackend) Delete(s, u string) error { c.calls.Add(1); return c.memBackend.Delete(s, u) }

func TestContextCancel(t *testing.T) {
	b := newMem()
	b.hang = make(chan struct{})
	defer close(b.hang)
	k := NewWithBackend("svc", b)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := k.Get(ctx, "tok"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// A caller giving up says nothing about the keyring: later calls are tried.
	if n := k.stall.count(); n != 0 {
		t.Fatalf("a cancelled call counts as hung (%d): other callers would fail fast", n)
	}
}

// TestGoKeyringMock checks the pass-through to go-keyring's mock and the
// error mapping (not found, unavailable with a fix in the message).
func TestGoKeyringMock(t *testing.T) {
	k := NewMock("obpm-test")
	ctx := context.Background()
	if _, err := k.Get(ctx, "nothing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing: err = %v, want ErrNotFound", err)
	}
	big := strings.Repeat("t", 4096)
	if err := k.Set(ctx, "big", big); err != nil {
		t.Fatal(err)
	}
	if got, err := k.Get(ctx, "big"); err != nil || got != big {
		t.Fatalf("Get big: err=%v len=%d", err, len(got))
	}

	MockInitWithError(errors.New("org.freedesktop.DBus.Error.ServiceUnknown"))
	t.Cleanup(MockInit)
	_, err := k.Get(ctx, "big")
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UnavailableError", err)
	}
	if !strings.Contains(err.Error(), "--insecure-storage") {
		t.Errorf("message %q does not name a fix", err)
	}
}

func TestServiceFromEnv(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if s := ServiceFromEnv(get); s != "obpm" {
		t.Errorf("default = %q", s)
	}
	env[ServiceEnv] = "obpm-test-1"
	if s := ServiceFromEnv(get); s != "obpm-test-1" {
		t.Errorf("override = %q", s)
	}
}

func TestFileStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "store.json")
	f := NewFileStore(path)
	ctx := context.Background()
	if _, err := f.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	if err := f.Set(ctx, "a", "1"); err != nil {
		t.Fatal(err)
	}
	if v, err := f.Get(ctx, "a"); err != nil || v != "1" {
		t.Fatalf("get = %q, %v", v, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
	if err := f.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{bad"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(ctx, "a"); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("corrupt file: err = %v, want one naming %s", err, path)
	}
}

// TestRealKeyring round-trips small and 4 KB values through the real Secret
// Service (gnome-keyring in CI).
func TestRealKeyring(t *testing.T) {
	testenv.RequireKeyring(t)
	k := New(fmt.Sprintf("obpm-test-%d", time.Now().UnixNano()))
	ctx := context.Background()
	for _, size := range []int{10, 4096, 9000} {
		val := strings.Repeat("k", size)
		if err := k.Set(ctx, "tok", val); err != nil {
			t.Fatalf("set %d bytes: %v", size, err)
		}
		got, err := k.Get(ctx, "tok")
		if err != nil || got != val {
			t.Fatalf("get %d bytes: err=%v len=%d", size, err, len(got))
		}
	}
	if err := k.Delete(ctx, "tok"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Get(ctx, "tok"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

// TestNoSessionBus: without a session bus the OS keyring fails at once with
// the hint, before go-keyring could autolaunch a bus (e2e checks that no
// daemon is left behind), and a bus socket under $XDG_RUNTIME_DIR counts.
func TestNoSessionBus(t *testing.T) {
	if !needsSessionBus {
		t.Skip("this OS's keyring needs no D-Bus")
	}
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
		t.Skip("this user has a systemd session bus socket")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	_, err := New("obpm-test").Get(context.Background(), "x")
	var ue *UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrNoSessionBus) || !strings.Contains(err.Error(), "no D-Bus session: start one (`dbus-run-session -- $SHELL`)") {
		t.Fatalf("err = %v, want the no-session-bus hint", err)
	}
	if _, ok := SessionBus(os.Getenv); ok {
		t.Fatal("SessionBus found a bus")
	}
	dir := t.TempDir()
	l, err := net.Listen("unix", filepath.Join(dir, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Setenv("XDG_RUNTIME_DIR", dir)
	if addr, ok := SessionBus(os.Getenv); !ok || addr != "unix:path="+filepath.Join(dir, "bus") {
		t.Fatalf("SessionBus = %q %v, want the $XDG_RUNTIME_DIR/bus socket", addr, ok)
	}
}

// TestFileStoreRefusesWhatOthersMayChange: the insecure store holds the
// helper key; a store file another user owns or may write (they could
// plant a key they know) is refused, as is a folder they may write.
func TestFileStoreRefusesWhatOthersMayChange(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	ctx := context.Background()
	tests := []struct {
		name    string
		change  func(t *testing.T, dir, path string)
		wantErr string
	}{
		{"world-writable file", func(t *testing.T, _, path string) { _ = os.Chmod(path, 0o666) }, "chmod go-w"},
		{"world-writable folder", func(t *testing.T, dir, _ string) { _ = os.Chmod(dir, 0o777) }, "chmod 700"},
		{"another user's file", func(t *testing.T, _, path string) {
			if os.Geteuid() != 0 {
				t.Skip("chown needs root")
			}
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, "belongs to another user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, InsecureFile)
			f := NewFileStore(path)
			if err := f.Set(ctx, "helper-key", "ours"); err != nil {
				t.Fatal(err)
			}
			tc.change(t, dir, path)
			if v, err := f.Get(ctx, "helper-key"); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Get = %q, %v; want refused with %q", v, err, tc.wantErr)
			}
			if err := f.Set(ctx, "helper-key", "x"); err == nil {
				t.Fatal("Set wrote into a store others may change")
			}
		})
	}
}
