// Package daemonkey manages the per-install key that callers of the helper
// daemon present as `Authorization: Bearer KEY`: 32 random bytes, created on
// first use, kept in the keyring, compared in constant time.
package daemonkey

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/storage"
)

// Item is the key's name in the keyring.
const Item = "daemon-key"

// Bytes is the key's entropy.
const Bytes = 32

// ErrNoKey means no key was created yet.
var ErrNoKey = errors.New("no helper key in the keyring yet (run `obpm env-key` or `obpm serve` once to create it)")

// Get returns the stored key.
func Get(ctx context.Context, kr keyring.Store) (string, error) {
	k, err := kr.Get(ctx, Item)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoKey
	}
	if err != nil {
		return "", fmt.Errorf("read helper key: %w", err)
	}
	return k, nil
}

// Ensure returns the stored key, creating and storing one when there is none.
func Ensure(ctx context.Context, kr keyring.Store) (key string, created bool, err error) {
	k, err := Get(ctx, kr)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, ErrNoKey) {
		return "", false, err
	}
	b := make([]byte, Bytes)
	_, _ = rand.Read(b) // never fails since Go 1.24
	k = base64.RawURLEncoding.EncodeToString(b)
	if err := kr.Set(ctx, Item, k); err != nil {
		return "", false, fmt.Errorf("store helper key: %w", err)
	}
	return k, true, nil
}

// Load reads the key for `obpm generate --with-key`: from the OS keyring
// (service $OBPM_KEYRING_SERVICE or obpm), or from the insecure file store
// when OBPM_INSECURE_STORAGE is set, in which case warning says so and the
// caller must show it (the file store is warned about on every use). It
// returns ErrNoKey when none exists.
func Load(ctx context.Context, getenv func(string) string) (key, warning string, err error) {
	st, warning, err := storage.Open(getenv, storage.Insecure(getenv))
	if err != nil {
		return "", "", err
	}
	key, err = Get(ctx, st)
	return key, warning, err
}

// Equal compares a presented key with the real one in constant time. Only
// the length may leak, and it is public (Bytes of base64); comparing the
// strings in place spares the two digests and allocations each request.
func Equal(presented, key string) bool {
	if key == "" || len(presented) != len(key) {
		return false
	}
	var diff byte
	for i := 0; i < len(key); i++ {
		diff |= presented[i] ^ key[i]
	}
	return subtle.ConstantTimeByteEq(diff, 0) == 1
}

// NonceLen bounds a proof challenge's nonce.
const NonceLen = 64

// Proof is the daemon's answer to a client's challenge: an HMAC of the
// client's nonce and the address the client connected to, keyed with the
// helper key. Only a process holding the key can compute it, and the key
// never crosses the wire. The address binds the proof to the socket the
// client reached, so a squatter on another port (or on [::1] while the
// daemon holds 127.0.0.1) cannot relay the challenge to the real daemon and
// pass its answer on.
func Proof(key, nonce, addr string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("obpm-helper-proof\x00" + nonce + "\x00" + addr))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// VerifyProof checks a daemon's proof in constant time.
func VerifyProof(key, nonce, addr, proof string) bool {
	if key == "" || proof == "" {
		return false
	}
	return hmac.Equal([]byte(Proof(key, nonce, addr)), []byte(proof))
}

// NewNonce returns a fresh challenge.
func NewNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
