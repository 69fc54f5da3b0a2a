package keyring

import gokeyring "github.com/zalando/go-keyring"

var errNotFoundLib = gokeyring.ErrNotFound

// count and isDead read a stall's state for tests.
func (s *stall) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

func (s *stall) isDead() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dead
}
