package tokenstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/obpm/obpm/authhelper/keyring"
)

// ErrNotFound means no token (or secret) is stored.
var ErrNotFound = keyring.ErrNotFound

// Store keeps token sets and client secrets in a keyring.Store.
type Store struct {
	KR keyring.Store
}

// New returns a Store over kr.
func New(kr keyring.Store) *Store { return &Store{KR: kr} }

func tokenKey(profile string, kind Kind) string   { return "token/" + profile + "/" + string(kind) }
func refreshKey(profile string, kind Kind) string { return "refresh/" + profile + "/" + string(kind) }
func secretKey(profile string) string             { return "client-secret/" + profile }
func pendingKey(profile string, kind Kind) string {
	return "refresh-pending/" + profile + "/" + string(kind)
}

// Pending records a refresh that was started and has not been stored yet:
// written before the refresh request goes out, deleted once the new token
// set is in the keyring. One left behind means a process died (kill -9, a
// crash, a power cut) between the two, and the provider may have rotated the
// refresh token: the next start can say so instead of a bare "log in again".
type Pending struct {
	Started time.Time `json:"started"`
	PID     int       `json:"pid"`
}

// BeginRefresh records a refresh of profile's kind token as pending, unless
// an earlier one is still recorded (that one tells what happened first).
// It returns the earlier record, if any.
func (s *Store) BeginRefresh(ctx context.Context, profile string, kind Kind, p Pending) (*Pending, error) {
	if old, err := s.PendingRefresh(ctx, profile, kind); err != nil || old != nil {
		return old, err
	}
	b, _ := json.Marshal(p)
	if err := s.KR.Set(ctx, pendingKey(profile, kind), string(b)); err != nil {
		return nil, fmt.Errorf("record pending refresh of profile %q: %w", profile, err)
	}
	return nil, nil
}

// PendingRefresh returns the recorded unfinished refresh, or nil.
func (s *Store) PendingRefresh(ctx context.Context, profile string, kind Kind) (*Pending, error) {
	raw, err := s.KR.Get(ctx, pendingKey(profile, kind))
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read pending refresh of profile %q: %w", profile, err)
	}
	var p Pending
	if json.Unmarshal([]byte(raw), &p) != nil {
		return &Pending{}, nil // unreadable, but something was pending
	}
	return &p, nil
}

// EndRefresh removes the pending record (the new set is stored, or a login
// replaced it); a missing one is not an error.
func (s *Store) EndRefresh(ctx context.Context, profile string, kind Kind) error {
	if err := s.KR.Delete(ctx, pendingKey(profile, kind)); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("clear pending refresh of profile %q: %w", profile, err)
	}
	return nil
}

// Load returns the stored token set, or an error wrapping ErrNotFound.
func (s *Store) Load(ctx context.Context, profile string, kind Kind) (*Token, error) {
	raw, err := s.KR.Get(ctx, tokenKey(profile, kind))
	if err != nil {
		return nil, fmt.Errorf("load %s token of profile %q: %w", kind, profile, err)
	}
	var t Token
	if err := json.Unmarshal([]byte(raw), &t); err != nil || t.AccessToken == "" {
		return nil, fmt.Errorf("load %s token of profile %q: the stored item is not a token set (run `obpm login --profile %s` to replace it)", kind, profile, profile)
	}
	rt, err := s.KR.Get(ctx, refreshKey(profile, kind))
	switch {
	case err == nil:
		t.RefreshToken = rt
	case errors.Is(err, keyring.ErrNotFound):
	default:
		return nil, fmt.Errorf("load %s refresh token of profile %q: %w", kind, profile, err)
	}
	return &t, nil
}

// Save stores t. The refresh token is written first: if the second write
// fails, the newest refresh token (the old one may be rotated away) is kept
// next to the old, still valid access token.
func (s *Store) Save(ctx context.Context, profile string, kind Kind, t *Token) error {
	if t == nil || t.AccessToken == "" {
		return fmt.Errorf("save %s token of profile %q: refusing to store an empty token", kind, profile)
	}
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("save %s token of profile %q: %w", kind, profile, err)
	}
	if t.RefreshToken != "" {
		if err := s.KR.Set(ctx, refreshKey(profile, kind), t.RefreshToken); err != nil {
			return fmt.Errorf("save %s refresh token of profile %q: %w", kind, profile, err)
		}
	}
	if err := s.KR.Set(ctx, tokenKey(profile, kind), string(b)); err != nil {
		return fmt.Errorf("save %s token of profile %q: %w", kind, profile, err)
	}
	return nil
}

// Delete removes the token set; a missing one is not an error.
func (s *Store) Delete(ctx context.Context, profile string, kind Kind) error {
	for _, k := range []string{tokenKey(profile, kind), refreshKey(profile, kind), pendingKey(profile, kind)} {
		if err := s.KR.Delete(ctx, k); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return fmt.Errorf("delete %s token of profile %q: %w", kind, profile, err)
		}
	}
	return nil
}

// Secret returns the profile's client secret.
func (s *Store) Secret(ctx context.Context, profile string) (string, error) {
	v, err := s.KR.Get(ctx, secretKey(profile))
	if errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("no client secret for profile %q in the keyring (store it with `obpm profile add %s … --client-secret-stdin`): %w", profile, profile, err)
	}
	if err != nil {
		return "", fmt.Errorf("read client secret of profile %q: %w", profile, err)
	}
	return v, nil
}

// SetSecret stores the profile's client secret.
func (s *Store) SetSecret(ctx context.Context, profile, secret string) error {
	if err := s.KR.Set(ctx, secretKey(profile), secret); err != nil {
		return fmt.Errorf("store client secret of profile %q: %w", profile, err)
	}
	return nil
}

// DeleteSecret removes the profile's client secret; a missing one is not an error.
func (s *Store) DeleteSecret(ctx context.Context, profile string) error {
	if err := s.KR.Delete(ctx, secretKey(profile)); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("delete client secret of profile %q: %w", profile, err)
	}
	return nil
}
