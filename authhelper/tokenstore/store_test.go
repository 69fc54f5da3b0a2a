package tokenstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/internal/testenv"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestFromResponse(t *testing.T) {
	tests := []struct {
		name       string
		resp       map[string]any
		wantExpiry time.Duration
		wantScope  string
		wantSeq    string
		wantErr    string
	}{
		{"kftc user token", map[string]any{"access_token": "a", "token_type": "Bearer", "expires_in": 7776000.0,
			"refresh_token": "r", "scope": "login inquiry transfer", "user_seq_no": "1100000001"}, 7776000 * time.Second, "login inquiry transfer", "1100000001", ""},
		{"string expires_in", map[string]any{"access_token": "a", "expires_in": "3600"}, time.Hour, "", "", ""},
		{"plus-encoded scope", map[string]any{"access_token": "a", "scope": "login+inquiry"}, 0, "login inquiry", "", ""},
		{"array scope", map[string]any{"access_token": "a", "scope": []any{"oob", "sa"}}, 0, "oob sa", "", ""},
		{"numeric user_seq_no", map[string]any{"access_token": "a", "user_seq_no": 1100000001.0}, 0, "", "1100000001", ""},
		{"no access token", map[string]any{"rsp_code": "O0001"}, 0, "", "", "no access_token"},
		{"bad expires_in", map[string]any{"access_token": "a", "expires_in": "soon"}, 0, "", "", "expires_in"},
		{"negative expires_in", map[string]any{"access_token": "a", "expires_in": -5.0}, 0, "", "", "out of range"},
		{"access token not a string", map[string]any{"access_token": 42.0}, 0, "", "", "no access_token"},
		{"header injection in access token", map[string]any{"access_token": "a\r\nX-Evil: 1"}, 0, "", "", "not a usable bearer token"},
		{"space in access token", map[string]any{"access_token": "a b"}, 0, "", "", "not a usable bearer token"},
		{"non-ASCII access token", map[string]any{"access_token": "토큰"}, 0, "", "", "not a usable bearer token"},
		{"garbled refresh token", map[string]any{"access_token": "a", "refresh_token": "r\x00"}, 0, "", "", "refresh_token"},
		{"not a bearer token", map[string]any{"access_token": "a", "token_type": "mac"}, 0, "", "", `token_type "mac"`},
		{"lower-case bearer", map[string]any{"access_token": "a", "token_type": "bearer"}, 0, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := FromResponse(tc.resp, t0)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantExpiry > 0 && !tok.Expiry.Equal(t0.Add(tc.wantExpiry)) {
				t.Errorf("expiry = %v", tok.Expiry)
			}
			if tok.Scope != tc.wantScope || tok.UserSeqNo() != tc.wantSeq {
				t.Errorf("scope %q seq %q", tok.Scope, tok.UserSeqNo())
			}
		})
	}
}

func TestRefreshDue(t *testing.T) {
	long := &Token{AccessToken: "a", IssuedAt: t0, Expiry: t0.Add(90 * 24 * time.Hour)}
	short := &Token{AccessToken: "a", IssuedAt: t0, Expiry: t0.Add(3 * time.Second)}
	tests := []struct {
		name string
		tok  *Token
		at   time.Time
		want bool
	}{
		{"fresh long token", long, t0.Add(time.Hour), false},
		{"long token inside margin", long, long.Expiry.Add(-time.Minute), true},
		{"short token early", short, t0.Add(500 * time.Millisecond), false},
		{"short token in its last third", short, t0.Add(2100 * time.Millisecond), true},
		{"expired", long, long.Expiry.Add(time.Second), true},
		{"no expiry", &Token{AccessToken: "a"}, t0, false},
		{"empty", &Token{}, t0, true},
	}
	for _, tc := range tests {
		if got := tc.tok.RefreshDue(tc.at, 5*time.Minute); got != tc.want {
			t.Errorf("%s: RefreshDue = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// recorder wraps a Store to see the raw items.
type recorder struct {
	keyring.Store
	items map[string]string
}

func (r *recorder) Set(ctx context.Context, k, v string) error {
	r.items[k] = v
	return r.Store.Set(ctx, k, v)
}

func TestSaveLoad4KB(t *testing.T) {
	rec := &recorder{Store: keyring.NewMock("obpm-test"), items: map[string]string{}}
	s := New(rec)
	ctx := context.Background()
	tok := &Token{AccessToken: strings.Repeat("A", 4096), RefreshToken: strings.Repeat("R", 4096), TokenType: "Bearer",
		Expiry: t0.Add(time.Hour), IssuedAt: t0, Scope: "login inquiry transfer",
		Extra: map[string]any{"user_seq_no": "1100000001", "client_info": "x"}}
	if err := s.Save(ctx, "sb", User, tok); err != nil {
		t.Fatal(err)
	}
	main := rec.items["token/sb/user"]
	if strings.Contains(main, "RRRR") {
		t.Error("refresh token stored in the access-token item")
	}
	if strings.ContainsAny(main, "\n\t") || strings.Contains(main, `": `) {
		t.Error("token item is not compact JSON")
	}
	got, err := s.Load(ctx, "sb", User)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != tok.AccessToken || got.RefreshToken != tok.RefreshToken || got.UserSeqNo() != "1100000001" ||
		!got.Expiry.Equal(tok.Expiry) || got.ExtraString("client_info") != "x" {
		t.Fatalf("round trip lost data: %+v", got)
	}
	if _, err := s.Load(ctx, "sb", Institution); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing kind: %v", err)
	}
	if err := s.Delete(ctx, "sb", User); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "sb", User); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.Save(ctx, "sb", User, &Token{}); err == nil {
		t.Fatal("saved an empty token")
	}
}

func TestSecret(t *testing.T) {
	s := New(keyring.NewMock("obpm-test"))
	ctx := context.Background()
	if _, err := s.Secret(ctx, "p"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "obpm profile add") {
		t.Fatalf("missing secret err = %v", err)
	}
	if err := s.SetSecret(ctx, "p", "shh"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Secret(ctx, "p"); err != nil || v != "shh" {
		t.Fatalf("secret = %q %v", v, err)
	}
	if err := s.DeleteSecret(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSecret(ctx, "p"); err != nil {
		t.Fatal("second delete should be quiet:", err)
	}
}

func TestRealKeyring4KBTokens(t *testing.T) {
	testenv.RequireKeyring(t)
	s := New(keyring.New(fmt.Sprintf("obpm-test-%d", time.Now().UnixNano())))
	ctx := context.Background()
	tok := &Token{AccessToken: strings.Repeat("a", 4096), RefreshToken: strings.Repeat("r", 4096), Expiry: t0, Extra: map[string]any{"user_seq_no": "1100000001"}}
	if err := s.Save(ctx, "p", User, tok); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Delete(ctx, "p", User) })
	got, err := s.Load(ctx, "p", User)
	if err != nil || got.AccessToken != tok.AccessToken || got.RefreshToken != tok.RefreshToken || got.UserSeqNo() != "1100000001" {
		t.Fatalf("real keyring round trip: err=%v", err)
	}
}
