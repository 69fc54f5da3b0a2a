// Package keyring wraps github.com/zalando/go-keyring for obpm: every call runs
// under a timeout (a locked or absent Secret Service must not hang a command),
// the library's errors map to ErrNotFound, *TimeoutError and *UnavailableError
// (whose message says how to fix it), and values too big for the platforms'
// item limits are split into chunks.
package keyring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// DefaultService is the keyring service under which obpm keeps its items.
const DefaultService = "obpm"

// ServiceEnv overrides DefaultService (tests use it to stay apart from a
// developer's real entries).
const ServiceEnv = "OBPM_KEYRING_SERVICE"

// Default timeouts. Reads are short; writes may wait on an unlock prompt.
const (
	DefaultReadTimeout  = 3 * time.Second
	DefaultWriteTimeout = 20 * time.Second
)

// ErrNotFound means the item does not exist.
var ErrNotFound = errors.New("not found in keyring")

// TimeoutError is returned when the keyring did not answer in time; often a
// locked collection waiting for a password prompt.
type TimeoutError struct {
	Op      string
	Key     string
	Timeout time.Duration
	// Earlier is set when this call was not even tried because an earlier
	// call of the same Keyring still has no answer.
	Earlier bool
}

func (e *TimeoutError) Error() string {
	what := fmt.Sprintf("no answer within %s", e.Timeout)
	if e.Earlier {
		what = "an earlier keyring call still has no answer"
	}
	return fmt.Sprintf("keyring %s %q: %s (is the keyring locked? unlock it, e.g. `printf PASSWORD | gnome-keyring-daemon --unlock --components=secrets`, or run `obpm doctor`)", e.Op, e.Key, what)
}

// UnavailableError means no keyring could be reached at all.
type UnavailableError struct {
	Op  string
	Key string
	Err error
}

func (e *UnavailableError) Error() string {
	if errors.Is(e.Err, ErrNoSessionBus) {
		// The hint is the whole story here; say it first.
		return fmt.Sprintf("keyring %s %q: %s (DBUS_SESSION_BUS_ADDRESS is unset and there is no $XDG_RUNTIME_DIR/bus socket; obpm starts no bus behind your back)", e.Op, e.Key, unavailableHint())
	}
	return fmt.Sprintf("keyring %s %q: %v; %s", e.Op, e.Key, e.Err, unavailableHint())
}

func (e *UnavailableError) Unwrap() error { return e.Err }

func unavailableHint() string {
	switch {
	case needsSessionBus:
		if _, ok := SessionBus(os.Getenv); !ok {
			return "no D-Bus session: start one (`dbus-run-session -- $SHELL`) and a Secret Service (install gnome-keyring and unlock it), or pass --insecure-storage to use a 0600 file"
		}
		return "install and unlock a Secret Service (e.g. gnome-keyring: `printf PASSWORD | gnome-keyring-daemon --unlock --components=secrets`), or pass --insecure-storage to use a 0600 file"
	default:
		return "check that the OS keychain is available and unlocked, or pass --insecure-storage to use a 0600 file"
	}
}

// Backend is the raw secret store. The zero Keyring uses go-keyring's; tests
// inject a slow or failing one to prove the timeouts.
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, value string) error
	Delete(service, user string) error
}

// osBackend is go-keyring. mocked skips the session-bus check: go-keyring's
// in-memory mock (NewMock) needs no bus.
type osBackend struct{ mocked bool }

func (b osBackend) check() error {
	if b.mocked {
		return nil
	}
	return checkBus()
}

func (b osBackend) Get(s, u string) (string, error) {
	if err := b.check(); err != nil {
		return "", err
	}
	return gokeyring.Get(s, u)
}

func (b osBackend) Set(s, u, v string) error {
	if err := b.check(); err != nil {
		return err
	}
	return gokeyring.Set(s, u, v)
}

func (b osBackend) Delete(s, u string) error {
	if err := b.check(); err != nil {
		return err
	}
	return gokeyring.Delete(s, u)
}

// Store is what the rest of obpm needs from a secret store: the Keyring and
// the opt-in insecure FileStore both implement it.
type Store interface {
	Get(ctx context.Context, key string) (string, error)
	Set(ctx context.Context, key, value string) error
	Delete(ctx context.Context, key string) error
}

// Keyring is the OS keyring under one service name.
type Keyring struct {
	Service      string
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// ChunkSize is the largest value written as one item (see chunk.go).
	ChunkSize int
	backend   Backend
	// stall tracks calls that timed out and have not returned yet (see wait).
	stall stall
}

// stall is the Keyring's record of timed-out calls still running. A new
// call first waits for them (a keyring that is only slow, e.g. on a loaded
// machine, answers a little late and the call goes on), but no longer than
// its own timeout; after one such wait was in vain the keyring counts as
// dead and calls fail at once until the stalled ones return. So a command
// reading several items from a hung Secret Service ends after about two
// timeouts, not one per item, and does not leak a goroutine per item.
type stall struct {
	mu      sync.Mutex
	pending int           // timed-out calls not yet returned
	idle    chan struct{} // closed when pending drops to 0
	dead    bool
}

// wait returns nil when no call is stalled, or once the stalled ones return
// within timeout; else a *TimeoutError with Earlier set.
func (s *stall) wait(ctx context.Context, op, key string, timeout time.Duration) error {
	s.mu.Lock()
	if s.pending == 0 {
		s.mu.Unlock()
		return nil
	}
	idle, dead := s.idle, s.dead
	s.mu.Unlock()
	earlier := &TimeoutError{Op: op, Key: key, Timeout: timeout, Earlier: true}
	if dead {
		return earlier
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-idle:
		return nil
	case <-t.C:
		s.mu.Lock()
		s.dead = s.pending > 0
		s.mu.Unlock()
		return earlier
	case <-ctx.Done():
		return fmt.Errorf("keyring %s %q: %w", op, key, ctx.Err())
	}
}

// add records a timed-out call until ch delivers its result.
func (s *stall) add(ch <-chan result) {
	s.mu.Lock()
	if s.pending == 0 {
		s.idle = make(chan struct{})
	}
	s.pending++
	s.mu.Unlock()
	go func() {
		<-ch
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.pending--; s.pending == 0 {
			close(s.idle)
			s.dead = false
		}
	}()
}

// New returns the OS keyring under service with the default timeouts.
func New(service string) *Keyring { return NewWithBackend(service, osBackend{}) }

// NewWithBackend is New over another Backend.
func NewWithBackend(service string, b Backend) *Keyring {
	return &Keyring{Service: service, ReadTimeout: DefaultReadTimeout, WriteTimeout: DefaultWriteTimeout,
		ChunkSize: DefaultChunkSize, backend: b}
}

// ServiceFromEnv returns the service name: $OBPM_KEYRING_SERVICE or "obpm".
func ServiceFromEnv(getenv func(string) string) string {
	if getenv != nil {
		if s := getenv(ServiceEnv); s != "" {
			return s
		}
	}
	return DefaultService
}

// MockInit swaps go-keyring's provider for an in-memory one (pure unit tests only).
func MockInit() { gokeyring.MockInit() }

// NewMock is New over go-keyring's in-memory mock (MockInit), which needs no
// D-Bus session (pure unit tests only).
func NewMock(service string) *Keyring {
	gokeyring.MockInit()
	return NewWithBackend(service, osBackend{mocked: true})
}

// MockInitWithError makes every go-keyring call fail with err (pure unit tests only).
func MockInitWithError(err error) { gokeyring.MockInitWithError(err) }

type result struct {
	val string
	err error
}

// call runs fn in a goroutine so that a hung D-Bus call cannot hang obpm; the
// goroutine is abandoned on timeout (go-keyring calls cannot be cancelled)
// and, until it returns, later calls wait for it only so long (stall.wait).
func (k *Keyring) call(ctx context.Context, op, key string, timeout time.Duration, fn func() (string, error)) (string, error) {
	if err := k.stall.wait(ctx, op, key, timeout); err != nil {
		return "", err
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err == nil {
			return r.val, nil
		}
		if errors.Is(r.err, gokeyring.ErrNotFound) {
			return "", ErrNotFound
		}
		if errors.Is(r.err, gokeyring.ErrSetDataTooBig) {
			return "", fmt.Errorf("keyring %s %q: value too big for this platform's keyring: %w", op, key, r.err)
		}
		return "", &UnavailableError{Op: op, Key: key, Err: r.err}
	case <-t.C:
		k.stall.add(ch)
		return "", &TimeoutError{Op: op, Key: key, Timeout: timeout}
	case <-ctx.Done():
		// The caller gave up, not the keyring: no reason to fail others.
		return "", fmt.Errorf("keyring %s %q: %w", op, key, ctx.Err())
	}
}

func (k *Keyring) rawGet(ctx context.Context, key string) (string, error) {
	return k.call(ctx, "read", key, k.ReadTimeout, func() (string, error) { return k.backend.Get(k.Service, key) })
}

func (k *Keyring) rawSet(ctx context.Context, key, value string) error {
	_, err := k.call(ctx, "write", key, k.WriteTimeout, func() (string, error) { return "", k.backend.Set(k.Service, key, value) })
	return err
}

func (k *Keyring) rawDelete(ctx context.Context, key string) error {
	_, err := k.call(ctx, "delete", key, k.WriteTimeout, func() (string, error) { return "", k.backend.Delete(k.Service, key) })
	return err
}
