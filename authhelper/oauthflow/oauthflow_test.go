package oauthflow

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/internal/fakeprovider"
)

var now0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func sandboxProfile(base string) *config.Profile {
	return &config.Profile{Name: "sb", Provider: config.ProviderSandbox, BaseURL: base, ClientID: "cid",
		RedirectURI: "http://127.0.0.1:8791/callback"}
}

func TestNewAuthorization(t *testing.T) {
	ob, err := NewAuthorization(sandboxProfile("http://127.0.0.1:8790"), "http://127.0.0.1:8791/callback", now0)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(ob.URL)
	q := u.Query()
	if u.Path != "/oauth/2.0/authorize" || q.Get("auth_type") != "0" || q.Get("response_type") != "code" ||
		q.Get("scope") != config.SandboxUserScope || q.Get("redirect_uri") != "http://127.0.0.1:8791/callback" {
		t.Errorf("open banking authorize URL = %s", ob.URL)
	}
	if len(ob.State) != 32 || q.Get("state") != ob.State || q.Has("code_challenge") || ob.Verifier != "" {
		t.Errorf("state %q (want 32 chars), challenge present=%v", ob.State, q.Has("code_challenge"))
	}
	ob2, _ := NewAuthorization(sandboxProfile("http://127.0.0.1:8790"), "http://127.0.0.1:8791/callback", now0)
	if ob2.State == ob.State {
		t.Error("two logins got the same state")
	}

	gen := &config.Profile{Name: "g", Provider: config.ProviderOAuth2, ClientID: "c", AuthorizeURL: "http://idp.test/auth?tenant=x",
		TokenURL: "http://idp.test/token", Scope: "openid", RedirectURI: "http://127.0.0.1:0/cb"}
	a, err := NewAuthorization(gen, "http://127.0.0.1:5555/cb", now0)
	if err != nil {
		t.Fatal(err)
	}
	u, _ = url.Parse(a.URL)
	q = u.Query()
	if q.Get("tenant") != "x" || q.Has("auth_type") || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") != oauth2.S256ChallengeFromVerifier(a.Verifier) || q.Get("redirect_uri") != "http://127.0.0.1:5555/cb" {
		t.Errorf("generic authorize URL = %s", a.URL)
	}
}

func TestParseCallback(t *testing.T) {
	long := strings.Repeat("c", maxCodeLen+1)
	tests := []struct {
		name    string
		query   string
		want    CallbackParams
		wantErr bool
	}{
		{"success", "code=abc&state=s1&scope=login+inquiry&client_info=ci", CallbackParams{Code: "abc", State: "s1", Scope: "login inquiry", ClientInfo: "ci"}, false},
		{"double-encoded plus in scope", "code=abc&state=s1&scope=login%2Binquiry", CallbackParams{Code: "abc", State: "s1", Scope: "login inquiry"}, false},
		{"korean error description", "error=access_denied&error_description=%EC%82%AC%EC%9A%A9%EC%9E%90+%EC%B7%A8%EC%86%8C", CallbackParams{Error: "access_denied", ErrorDescription: "사용자 취소"}, false},
		{"empty", "", CallbackParams{}, false},
		{"two states", "code=a&state=s1&state=s2", CallbackParams{}, true},
		{"two codes", "code=a&code=b&state=s1", CallbackParams{}, true},
		{"bad escape", "code=%zz&state=s", CallbackParams{}, true},
		{"control char in state", "code=a&state=s%0A1", CallbackParams{}, true},
		{"space in code", "code=a+b&state=s", CallbackParams{}, true},
		{"invalid utf8 in description", "error=x&error_description=%ff", CallbackParams{}, true},
		{"code too long", "code=" + long + "&state=s", CallbackParams{}, true},
		{"semicolon", "code=a;state=s", CallbackParams{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCallback(tc.query)
			if tc.wantErr {
				if !errors.Is(err, ErrMalformedCallback) {
					t.Fatalf("err = %v, want ErrMalformedCallback", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		p        CallbackParams
		wantCode string
		wantErr  error
	}{
		{"ok", CallbackParams{Code: "c", State: "s"}, "c", nil},
		{"wrong state", CallbackParams{Code: "c", State: "x"}, "", ErrStateMismatch},
		{"missing state", CallbackParams{Code: "c"}, "", ErrMissingState},
		{"no code", CallbackParams{State: "s"}, "", ErrMissingCode},
	}
	for _, tc := range tests {
		code, err := tc.p.Check("s")
		if code != tc.wantCode || !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: got %q, %v", tc.name, code, err)
		}
	}
	_, err := CallbackParams{Error: "access_denied", ErrorDescription: "no", State: "s"}.Check("s")
	var ce *CallbackError
	if !errors.As(err, &ce) || ce.Code != "access_denied" || !strings.Contains(err.Error(), "obpm login") {
		t.Errorf("error callback: %v", err)
	}
	// An error callback with a foreign state is a mismatch, not the provider's word.
	if _, err := (CallbackParams{Error: "access_denied", State: "x"}).Check("s"); !errors.Is(err, ErrStateMismatch) {
		t.Errorf("foreign error callback: %v", err)
	}
}

func newClient(t *testing.T, p *fakeprovider.Provider) *Client {
	prof := sandboxProfile(p.URL)
	return &Client{Profile: prof, Secret: p.Secret, Now: func() time.Time { return now0 },
		HTTP: &http.Client{Timeout: 2 * time.Second}}
}

func TestGrants(t *testing.T) {
	p := fakeprovider.New(t)
	c := newClient(t, p)
	ctx := context.Background()
	a, _ := NewAuthorization(c.Profile, c.Profile.RedirectURI, now0)
	loc := p.Approve(t, a.URL)
	u, _ := url.Parse(loc)
	cb, err := ParseCallback(u.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	code, err := cb.Check(a.State)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Exchange(ctx, code, a.Verifier, a.RedirectURI)
	if err != nil {
		t.Fatal(err)
	}
	f := p.LastForm()
	if f.Get("client_id") != "cid" || f.Get("client_secret") != p.Secret || f.Get("redirect_uri") != a.RedirectURI {
		t.Errorf("exchange form lacks client credentials in the body: %v", f)
	}
	if tok.UserSeqNo() != "1100000001" || tok.RefreshToken == "" || !tok.Expiry.Equal(now0.Add(time.Hour)) {
		t.Errorf("exchanged token = %+v", tok)
	}
	if _, err := c.Exchange(ctx, code, "", a.RedirectURI); !IsRefused(err) {
		t.Errorf("second exchange of one code: err = %v, want a refusal", err)
	}
	tok2, err := c.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.AccessToken == tok.AccessToken || p.LastForm().Get("scope") != config.SandboxUserScope {
		t.Errorf("refresh: same token or scope not sent (%v)", p.LastForm())
	}
	inst, err := c.ClientCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if inst.ClientUseCode() != "T990000001" || p.LastForm().Get("scope") != "oob sa" {
		t.Errorf("institution token %+v, scope sent %q", inst, p.LastForm().Get("scope"))
	}
	if err := c.Revoke(ctx, tok2.AccessToken, "access_token"); err != nil {
		t.Fatal(err)
	}
	if !p.IsRevoked(tok2.AccessToken) {
		t.Error("provider did not see the revoke")
	}
}

func TestProviderFailures(t *testing.T) {
	tests := []struct {
		name        string
		mode        fakeprovider.Mode
		wantRefused bool
		wantText    string
	}{
		{"down", fakeprovider.Down, false, "EOF"},
		{"slow", fakeprovider.Slow, false, "Timeout"},
		{"malformed JSON", fakeprovider.Malformed, false, "malformed response"},
		{"dead refresh token", fakeprovider.RefuseRefresh, true, "O0001"},
		{"server error", fakeprovider.ServerError, false, "A0003"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := fakeprovider.New(t)
			p.Delay = 2 * time.Second
			c := newClient(t, p)
			c.HTTP.Timeout = 200 * time.Millisecond
			p.SetMode(tc.mode)
			_, err := c.Refresh(context.Background(), "rt-whatever")
			var pe *ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ProviderError", err)
			}
			if pe.Refused() != tc.wantRefused || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("err = %q refused=%v; want refused=%v containing %q", err, pe.Refused(), tc.wantRefused, tc.wantText)
			}
			if strings.Contains(err.Error(), "half") {
				t.Error("error message leaks the response body")
			}
		})
	}
}

func TestGenericProviderErrors(t *testing.T) {
	// RFC 6749 style: 400 with error.
	m := map[string]any{"error": "invalid_grant", "error_description": "expired"}
	pe := errorFrom("refresh", 400, m)
	if pe == nil || !pe.Refused() || !strings.Contains(pe.Error(), "invalid_grant (expired)") {
		t.Fatalf("errorFrom = %v", pe)
	}
	if pe := errorFrom("refresh", 503, map[string]any{}); pe == nil || pe.Refused() {
		t.Fatalf("503 = %v, want a non-refusal error", pe)
	}
}
