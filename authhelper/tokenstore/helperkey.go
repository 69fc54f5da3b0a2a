package tokenstore

// The per-install key that callers of the helper daemon present as
// `Authorization: Bearer KEY`: 32 random bytes, created on first use, kept in
// the keyring beside the tokens. Comparing and proving it is wire protocol
// (package authhelper/daemon/api).

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/obpm/obpm/authhelper/keyring"
)

// HelperKeyItem is the key's name in the keyring.
const HelperKeyItem = "daemon-key"

// HelperKeyBytes is the key's entropy.
const HelperKeyBytes = 32

// ErrNoHelperKey means no key was created yet.
var ErrNoHelperKey = errors.New("no helper key in the keyring yet (run `obpm env-key` or `obpm serve` once to create it)")

// HelperKey returns the stored helper key.
func (s *Store) HelperKey(ctx context.Context) (string, error) {
	k, err := s.KR.Get(ctx, HelperKeyItem)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoHelperKey
	}
	if err != nil {
		return "", fmt.Errorf("read helper key: %w", err)
	}
	return k, nil
}

// EnsureHelperKey returns the stored helper key, creating and storing one
// when there is none.
func (s *Store) EnsureHelperKey(ctx context.Context) (key string, created bool, err error) {
	k, err := s.HelperKey(ctx)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, ErrNoHelperKey) {
		return "", false, err
	}
	b := make([]byte, HelperKeyBytes)
	_, _ = rand.Read(b) // never fails since Go 1.24
	k = base64.RawURLEncoding.EncodeToString(b)
	if err := s.KR.Set(ctx, HelperKeyItem, k); err != nil {
		return "", false, fmt.Errorf("store helper key: %w", err)
	}
	return k, true, nil
}
