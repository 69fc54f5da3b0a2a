package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/internal/testenv"
)

// slowMissStore is a keyring whose reads of a missing item are slow, as a
// loaded Secret Service's can be: the window in which two processes both
// see no helper key yet.
type slowMissStore struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *slowMissStore) Get(_ context.Context, k string) (string, error) {
	s.mu.Lock()
	v, ok := s.m[k]
	s.mu.Unlock()
	if !ok {
		time.Sleep(100 * time.Millisecond) // widens the window; asserts nothing
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (s *slowMissStore) Set(_ context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
	return nil
}

func (s *slowMissStore) Delete(_ context.Context, k string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
	return nil
}

// TestEnvKeyConcurrentFirstUse: on a fresh install, env-key runs started
// together (an `obpm serve` and an `obpm env-key`, two terminals) all print
// the key that ends up in the keyring, not one each.
func TestEnvKeyConcurrentFirstUse(t *testing.T) {
	dir := t.TempDir()
	st := &slowMissStore{m: map[string]string{}}
	const n = 4
	keys := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, errOut := &testenv.Buffer{}, &testenv.Buffer{}
			f := &Factory{In: strings.NewReader(""), Out: out, ErrOut: errOut, Now: time.Now,
				Getenv: func(k string) string { return map[string]string{"OBPM_CONFIG_DIR": dir}[k] },
				OpenStore: func(func(string) string, string, bool) (keyring.Store, string, error) {
					return st, "", nil
				}}
			if err := envKeyRun(context.Background(), f, &EnvKeyOptions{}); err != nil {
				t.Errorf("env-key %d: %v", i, err)
			}
			keys[i] = strings.TrimSpace(out.String())
		}()
	}
	wg.Wait()
	stored, _ := st.Get(context.Background(), "daemon-key")
	for i, k := range keys {
		if k != stored {
			t.Errorf("env-key %d printed %q, the keyring holds %q", i, k, stored)
		}
	}
}
