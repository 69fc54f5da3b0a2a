package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// KeyEqual compares a presented key with the real one in constant time. Only
// the length may leak, and it is public (Bytes of base64); comparing the
// strings in place spares the two digests and allocations each request.
func KeyEqual(presented, key string) bool {
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
