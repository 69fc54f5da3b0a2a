// Package fakekeyring is an in-memory keyring.Backend for the helper's tests
// that can be made unavailable or hung, to prove that no token is lost then.
package fakekeyring

import (
	"errors"
	"sync"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/obpm/obpm/authhelper/keyring"
)

// Backend is safe for concurrent use.
type Backend struct {
	mu    sync.Mutex
	items map[string]string
	err   error
	hang  chan struct{}
}

// New returns an empty backend.
func New() *Backend { return &Backend{items: map[string]string{}} }

// Keyring wraps b in a keyring.Keyring under service with the default
// timeouts; tests that need short ones set ReadTimeout/WriteTimeout.
func (b *Backend) Keyring(service string) *keyring.Keyring {
	return keyring.NewWithBackend(service, b)
}

// Fail makes every call fail with err (nil restores).
func (b *Backend) Fail(err error) { b.mu.Lock(); b.err = err; b.mu.Unlock() }

// Hang makes every call block until Unhang.
func (b *Backend) Hang() { b.mu.Lock(); b.hang = make(chan struct{}); b.mu.Unlock() }

// Unhang releases blocked and future calls.
func (b *Backend) Unhang() {
	b.mu.Lock()
	if b.hang != nil {
		close(b.hang)
		b.hang = nil
	}
	b.mu.Unlock()
}

func (b *Backend) gate() error {
	b.mu.Lock()
	h, err := b.hang, b.err
	b.mu.Unlock()
	if h != nil {
		<-h
	}
	return err
}

// Snapshot copies all items.
func (b *Backend) Snapshot() map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := make(map[string]string, len(b.items))
	for k, v := range b.items {
		m[k] = v
	}
	return m
}

// Get implements keyring.Backend.
func (b *Backend) Get(s, u string) (string, error) {
	if err := b.gate(); err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.items[s+"\x00"+u]
	if !ok {
		return "", gokeyring.ErrNotFound
	}
	return v, nil
}

// Set implements keyring.Backend.
func (b *Backend) Set(s, u, v string) error {
	if err := b.gate(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.items[s+"\x00"+u] = v
	return nil
}

// Delete implements keyring.Backend.
func (b *Backend) Delete(s, u string) error {
	if err := b.gate(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.items[s+"\x00"+u]; !ok {
		return gokeyring.ErrNotFound
	}
	delete(b.items, s+"\x00"+u)
	return nil
}

// ErrUnavailable mimics a missing Secret Service.
var ErrUnavailable = errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files")
