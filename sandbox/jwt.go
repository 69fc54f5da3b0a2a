package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// jwtIssuer is the iss claim of real Open Banking tokens (docs/openbanking-api.md).
const jwtIssuer = "https://www.openbanking.or.kr"

// claims are the access token claims of real tokens (docs/openbanking-api.md).
type claims struct {
	Aud   string   `json:"aud"` // user_seq_no (user token) or client_use_code (institution)
	Scope []string `json:"scope"`
	Iss   string   `json:"iss"`
	Exp   int64    `json:"exp"`
	Jti   string   `json:"jti"`
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func signJWT(key []byte, c claims) (string, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode token claims: %w", err)
	}
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(body)
	return signing + "." + jwtSig(key, signing), nil
}

func jwtSig(key []byte, signing string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signing))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var errBadToken = errors.New("bad token")

// parseJWT checks the signature and decodes the claims; expiry is the
// caller's check, because an expired token answers O0003, not O0002.
func parseJWT(key []byte, tok string) (claims, error) {
	var c claims
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[0] != jwtHeader {
		return c, errBadToken
	}
	want := jwtSig(key, parts[0]+"."+parts[1])
	if !hmac.Equal([]byte(want), []byte(parts[2])) {
		return c, errBadToken
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, errBadToken
	}
	if err := json.Unmarshal(body, &c); err != nil || c.Jti == "" {
		return c, errBadToken
	}
	return c, nil
}

// newUUID returns a random version-4 UUID (jti, api_tran_id).
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	// 8-4-4-4-12 hex digits, encoded in place: one allocation per answer.
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:], b[10:])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}

// randomToken returns an opaque random string (codes, refresh tokens).
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
