// Package tokenstore keeps token sets in a keyring.Store as compact JSON: the
// access token with its metadata and every extra field of the token response
// (user_seq_no, client_use_code, …) in one item, the refresh token in another,
// so each item stays small and a 4 KB JWT still fits (the keyring chunks the rest).
package tokenstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind says which token: the 3-legged user token or the 2-legged institution token.
type Kind string

// Token kinds.
const (
	User        Kind = "user"
	Institution Kind = "institution"
)

// ParseKind accepts "user" (also the empty string) and "institution".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "", "user":
		return User, nil
	case "institution":
		return Institution, nil
	}
	return "", fmt.Errorf("kind %q: use user or institution", s)
}

// Token is one token set as the provider returned it.
type Token struct {
	AccessToken   string    `json:"access_token"`
	TokenType     string    `json:"token_type,omitempty"`
	RefreshToken  string    `json:"-"`
	Expiry        time.Time `json:"expiry,omitzero"`
	RefreshExpiry time.Time `json:"refresh_expiry,omitzero"`
	Scope         string    `json:"scope,omitempty"`
	IssuedAt      time.Time `json:"issued_at,omitzero"`
	// PreviousRefresh is the refresh token this set's refresh replaced, kept
	// so that a restart can still try it where a provider accepts a rotated
	// token for a grace period (the new one may not have reached the
	// keyring). Never handed out.
	PreviousRefresh string `json:"previous_refresh_token,omitempty"`
	// Extra holds every other field of the token response, kept whole.
	Extra map[string]any `json:"extra,omitempty"`
	// Client is the identity (config.Profile.ClientIdentity) of the client
	// the token was issued to; empty in sets stored before it was recorded.
	// A set whose client is not the profile's is never handed out.
	Client string `json:"client,omitempty"`
}

// ExtraString returns an extra field as a string ("" when absent).
func (t *Token) ExtraString(name string) string {
	if t == nil || t.Extra == nil {
		return ""
	}
	switch v := t.Extra[name].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// UserSeqNo is Open Banking's user serial number that comes with a user token.
func (t *Token) UserSeqNo() string { return t.ExtraString("user_seq_no") }

// ClientUseCode is Open Banking's institution code that comes with an institution token.
func (t *Token) ClientUseCode() string { return t.ExtraString("client_use_code") }

// Valid reports whether the access token is usable at now (a token without
// expiry is valid).
func (t *Token) Valid(now time.Time) bool {
	return t != nil && t.AccessToken != "" && (t.Expiry.IsZero() || now.Before(t.Expiry))
}

// RefreshDue reports whether the token should be renewed at now: within
// margin of expiry, the margin capped at a third of its lifetime so that a
// short-lived token is not renewed on every use.
func (t *Token) RefreshDue(now time.Time, margin time.Duration) bool {
	if t == nil || t.AccessToken == "" {
		return true
	}
	if t.Expiry.IsZero() {
		return false
	}
	if !t.IssuedAt.IsZero() {
		if life := t.Expiry.Sub(t.IssuedAt); life > 0 && margin > life/3 {
			margin = life / 3
		}
	}
	return !now.Before(t.Expiry.Add(-margin))
}

// reserved reports the standard fields that have their own Token field.
func reserved(k string) bool {
	switch k {
	case "access_token", "token_type", "refresh_token", "expires_in", "scope", "refresh_token_expires_in":
		return true
	}
	return false
}

// FromResponse builds a Token from a decoded token-endpoint JSON object,
// keeping every non-standard field in Extra. expires_in may be a number
// (7776000 or 7776000.0) or a digit string.
func FromResponse(m map[string]any, now time.Time) (*Token, error) {
	at, _ := m["access_token"].(string)
	if at == "" {
		return nil, errors.New("token response has no access_token")
	}
	if !usable(at) {
		return nil, errors.New("token response access_token is not a usable bearer token (spaces, control or non-ASCII characters)")
	}
	t := &Token{AccessToken: at, IssuedAt: now.UTC()}
	t.TokenType, _ = m["token_type"].(string)
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "bearer") {
		return nil, fmt.Errorf("token response token_type %q: only Bearer tokens can be handed out", t.TokenType)
	}
	t.RefreshToken, _ = m["refresh_token"].(string)
	if t.RefreshToken != "" && !usable(t.RefreshToken) {
		return nil, errors.New("token response refresh_token holds spaces, control or non-ASCII characters")
	}
	t.Scope = scopeString(m["scope"])
	if d, ok, err := seconds(m["expires_in"]); err != nil {
		return nil, fmt.Errorf("token response expires_in: %w", err)
	} else if ok {
		t.Expiry = t.IssuedAt.Add(d)
	}
	if d, ok, err := seconds(m["refresh_token_expires_in"]); err == nil && ok {
		t.RefreshExpiry = t.IssuedAt.Add(d)
	}
	for k, v := range m {
		if !reserved(k) {
			if t.Extra == nil {
				t.Extra = map[string]any{}
			}
			t.Extra[k] = v
		}
	}
	return t, nil
}

// usable reports whether a token can go into an Authorization header and a
// form as it is: visible ASCII only (RFC 6749 VSCHAR without the space,
// which would split "Bearer TOKEN"). Anything else is a garbled response, and
// storing it would replace a working token with one that can never work.
func usable(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if tok[i] < 0x21 || tok[i] > 0x7e {
			return false
		}
	}
	return true
}

func scopeString(v any) string {
	switch s := v.(type) {
	case string:
		// KFTC's callback encodes spaces as '+'; some token responses echo it.
		return strings.ReplaceAll(s, "+", " ")
	case []any:
		parts := make([]string, 0, len(s))
		for _, p := range s {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func seconds(v any) (time.Duration, bool, error) {
	var f float64
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case float64:
		f = x
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false, err
		}
	case string:
		if x == "" {
			return 0, false, nil
		}
		var err error
		if f, err = strconv.ParseFloat(x, 64); err != nil {
			return 0, false, fmt.Errorf("%q is not a number of seconds", x)
		}
	default:
		return 0, false, fmt.Errorf("unexpected type %T", v)
	}
	if f < 0 || f > 100*365*24*3600 {
		return 0, false, fmt.Errorf("%v seconds is out of range", f)
	}
	return time.Duration(f * float64(time.Second)), true, nil
}
