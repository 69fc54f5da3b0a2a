package session

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/internal/fakeprovider"
	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/oauthflow"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/internal/fakekeyring"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

type fixture struct {
	p     *fakeprovider.Provider
	kr    *fakekeyring.Backend
	store *tokenstore.Store
	clk   *clock
	m     *Manager
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{p: fakeprovider.New(t), kr: fakekeyring.New(), clk: newClock()}
	k := f.kr.Keyring("obpm-test")
	k.ReadTimeout, k.WriteTimeout = 100*time.Millisecond, 100*time.Millisecond
	f.store = tokenstore.New(k)
	f.m = f.newManager()
	return f
}

func (f *fixture) newManager() *Manager {
	prof := &config.Profile{Name: "sb", Provider: config.ProviderSandbox, BaseURL: f.p.URL, ClientID: f.p.ClientID,
		RedirectURI: "http://127.0.0.1:8791/callback"}
	return &Manager{Store: f.store, Now: f.clk.Now, MinBackoff: 10 * time.Second,
		Resolve: func(ctx context.Context, name string) (*oauthflow.Client, error) {
			if name != "sb" {
				return nil, &config.UnknownProfileError{Name: name, Path: "c.yaml"}
			}
			return &oauthflow.Client{Profile: prof, Secret: f.p.Secret, Now: f.clk.Now, HTTP: &http.Client{Timeout: 300 * time.Millisecond}}, nil
		}}
}

// login stores a user token as a completed login would.
func (f *fixture) login(t *testing.T) *tokenstore.Token {
	t.Helper()
	c, _ := f.m.Resolve(context.Background(), "sb")
	a, _ := oauthflow.NewAuthorization(c.Profile, c.Profile.RedirectURI, f.clk.Now())
	loc := f.p.Approve(t, a.URL)
	code := strings.Split(strings.Split(loc, "code=")[1], "&")[0]
	tok, err := c.Exchange(context.Background(), code, "", a.RedirectURI)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.m.Put(context.Background(), "sb", tokenstore.User, tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) stored(t *testing.T) *tokenstore.Token {
	t.Helper()
	tok, err := f.store.Load(context.Background(), "sb", tokenstore.User)
	if err != nil {
		t.Fatalf("stored token unreadable: %v", err)
	}
	return tok
}

func TestFreshTokenServedFromMemory(t *testing.T) {
	f := newFixture(t)
	tok := f.login(t)
	got, err := f.m.Token(context.Background(), "sb", tokenstore.User)
	if err != nil || got.AccessToken != tok.AccessToken || got.UserSeqNo() != "1100000001" {
		t.Fatalf("Token = %v, %v", got, err)
	}
	if f.p.Count("refresh_token") != 0 {
		t.Fatal("a fresh token was refreshed")
	}
	// A new manager (a restarted daemon) finds it in the keyring with no login.
	m2 := f.newManager()
	got, err = m2.Token(context.Background(), "sb", tokenstore.User)
	if err != nil || got.AccessToken != tok.AccessToken {
		t.Fatalf("after restart: %v, %v", got, err)
	}
}

func TestSingleFlightRefresh(t *testing.T) {
	f := newFixture(t)
	old := f.login(t)
	f.clk.Add(time.Hour - time.Minute) // inside the refresh margin
	var wg sync.WaitGroup
	got := make([]string, 20)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := f.m.Token(context.Background(), "sb", tokenstore.User)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = tok.AccessToken
		}()
	}
	wg.Wait()
	if n := f.p.Count("refresh_token"); n != 1 {
		t.Fatalf("%d refresh grants for 20 concurrent callers, want 1", n)
	}
	for _, g := range got {
		if g != got[0] || g == old.AccessToken {
			t.Fatalf("callers got different or old tokens: %v", got)
		}
	}
	st := f.stored(t)
	if st.AccessToken != got[0] || st.UserSeqNo() != "1100000001" {
		t.Fatal("refreshed token not written to the keyring")
	}
}

func TestRefreshFailures(t *testing.T) {
	tests := []struct {
		name      string
		mode      fakeprovider.Mode
		wantLogin bool
	}{
		{"provider down", fakeprovider.Down, false},
		{"provider slow", fakeprovider.Slow, false},
		{"malformed JSON", fakeprovider.Malformed, false},
		{"dead refresh token", fakeprovider.RefuseRefresh, true},
		{"HTTP 200 with an empty token", fakeprovider.EmptyToken, false},
		{"HTTP 200 with a header-injecting token", fakeprovider.BadToken, false},
		{"HTTP 200 without expires_in", fakeprovider.NoExpiry, false},
		{"HTTP 200 with a non-Bearer token", fakeprovider.WrongType, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.p.Delay = 2 * time.Second
			old := f.login(t)
			f.p.SetMode(tc.mode)
			ctx := context.Background()

			// Due but still valid: the old token is served.
			f.clk.Add(time.Hour - time.Minute)
			got, err := f.m.Token(ctx, "sb", tokenstore.User)
			if err != nil || got.AccessToken != old.AccessToken {
				t.Fatalf("while valid: %v, %v; want the old token", got, err)
			}
			if st := f.stored(t); st.AccessToken != old.AccessToken || st.RefreshToken != old.RefreshToken {
				t.Fatal("stored token changed after a failed refresh")
			}
			status := f.m.Status(ctx, "sb", tokenstore.User)
			if (status.State == "login_needed") != tc.wantLogin {
				t.Fatalf("status = %+v", status)
			}

			// Expired: a clear error, and still the stored token untouched.
			f.clk.Add(2 * time.Minute)
			_, err = f.m.Token(ctx, "sb", tokenstore.User)
			var lr *LoginRequiredError
			if tc.wantLogin != errors.As(err, &lr) || err == nil {
				t.Fatalf("after expiry err = %v (login required wanted: %v)", err, tc.wantLogin)
			}
			if lr != nil && !strings.Contains(err.Error(), "obpm login --profile sb") {
				t.Errorf("message %q lacks the fix", err)
			}
			if st := f.stored(t); st.AccessToken != old.AccessToken {
				t.Fatal("stored token lost")
			}

			// Recovery after the backoff (not for a dead refresh token).
			f.p.SetMode(fakeprovider.OK)
			f.clk.Add(30 * time.Second)
			got, err = f.m.Token(ctx, "sb", tokenstore.User)
			if tc.wantLogin {
				if err == nil {
					t.Fatal("dead refresh token was retried")
				}
				return
			}
			if err != nil || got.AccessToken == old.AccessToken {
				t.Fatalf("after recovery: %v, %v", got, err)
			}
		})
	}
}

func TestBackoffLimitsCalls(t *testing.T) {
	f := newFixture(t)
	f.login(t)
	f.p.SetMode(fakeprovider.ServerError)
	f.clk.Add(time.Hour - time.Minute)
	for range 5 {
		if _, err := f.m.Token(context.Background(), "sb", tokenstore.User); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.p.Attempts("refresh_token"); n != 1 {
		t.Fatalf("%d refresh attempts inside the backoff, want 1", n)
	}
	f.clk.Add(11 * time.Second)
	_, _ = f.m.Token(context.Background(), "sb", tokenstore.User)
	if n := f.p.Attempts("refresh_token"); n != 2 {
		t.Fatalf("%d attempts after the backoff, want 2", n)
	}
}

func TestKeyringProblems(t *testing.T) {
	t.Run("unavailable at load", func(t *testing.T) {
		f := newFixture(t)
		f.login(t)
		f.kr.Fail(fakekeyring.ErrUnavailable)
		m2 := f.newManager()
		_, err := m2.Token(context.Background(), "sb", tokenstore.User)
		var ue *keyring.UnavailableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "gnome-keyring") {
			t.Fatalf("err = %v", err)
		}
		f.kr.Fail(nil)
		if _, err := m2.Token(context.Background(), "sb", tokenstore.User); err != nil {
			t.Fatalf("after the keyring came back: %v", err)
		}
	})
	t.Run("timeout at load", func(t *testing.T) {
		f := newFixture(t)
		f.login(t)
		f.kr.Hang()
		defer f.kr.Unhang()
		m2 := f.newManager()
		_, err := m2.Token(context.Background(), "sb", tokenstore.User)
		var te *keyring.TimeoutError
		if !errors.As(err, &te) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unavailable when saving a refresh", func(t *testing.T) {
		f := newFixture(t)
		old := f.login(t)
		f.kr.Fail(fakekeyring.ErrUnavailable)
		f.clk.Add(time.Hour - time.Minute)
		got, err := f.m.Token(context.Background(), "sb", tokenstore.User)
		if err != nil || got.AccessToken == old.AccessToken {
			t.Fatalf("refresh with a broken keyring: %v, %v (want the new token from memory)", got, err)
		}
		f.kr.Fail(nil)
		if st := f.stored(t); st.AccessToken != old.AccessToken {
			t.Fatal("stored set changed although the write failed")
		}
	})
	t.Run("login cannot be stored", func(t *testing.T) {
		f := newFixture(t)
		old := f.login(t)
		f.kr.Fail(fakekeyring.ErrUnavailable)
		err := f.m.Put(context.Background(), "sb", tokenstore.User, &tokenstore.Token{AccessToken: "new"})
		if err == nil {
			t.Fatal("Put succeeded without the keyring")
		}
		f.kr.Fail(nil)
		got, _ := f.m.Token(context.Background(), "sb", tokenstore.User)
		if got.AccessToken != old.AccessToken || f.stored(t).AccessToken != old.AccessToken {
			t.Fatal("a login that could not be stored replaced the token")
		}
	})
}

func TestInstitutionToken(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, err := f.m.Token(ctx, "sb", tokenstore.Institution)
	if err != nil || a.ClientUseCode() != "T990000001" {
		t.Fatalf("institution = %v, %v", a, err)
	}
	b, _ := f.m.Token(ctx, "sb", tokenstore.Institution)
	if b.AccessToken != a.AccessToken || f.p.Count("client_credentials") != 1 {
		t.Fatal("institution token not reused")
	}
	f.clk.Add(59 * time.Minute)
	c, _ := f.m.Token(ctx, "sb", tokenstore.Institution)
	if c.AccessToken == a.AccessToken || f.p.Count("client_credentials") != 2 {
		t.Fatal("institution token not renewed before expiry")
	}
	if _, err := f.m.Token(ctx, "nope", tokenstore.Institution); err == nil {
		t.Fatal("unknown profile accepted")
	}
}

func TestNoLoginAndLogout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.m.Token(ctx, "sb", tokenstore.User)
	var lr *LoginRequiredError
	if !errors.As(err, &lr) {
		t.Fatalf("no login: %v", err)
	}
	tok := f.login(t)
	inst, _ := f.m.Token(ctx, "sb", tokenstore.Institution)
	warn, err := f.m.Logout(ctx, "sb")
	if err != nil || len(warn) != 0 {
		t.Fatalf("logout: %v %v", warn, err)
	}
	for _, x := range []string{tok.AccessToken, tok.RefreshToken, inst.AccessToken} {
		if !f.p.IsRevoked(x) {
			t.Errorf("%s not revoked", x[:6])
		}
	}
	if len(f.kr.Snapshot()) != 0 {
		t.Fatalf("keyring not emptied: %v", f.kr.Snapshot())
	}
	if _, err := f.m.Token(ctx, "sb", tokenstore.User); !errors.As(err, &lr) {
		t.Fatalf("after logout: %v", err)
	}
}

func TestRefreshAll(t *testing.T) {
	f := newFixture(t)
	f.login(t)
	_, _ = f.m.Token(context.Background(), "sb", tokenstore.User)
	f.clk.Add(time.Hour - time.Minute)
	f.m.RefreshAll(context.Background())
	if f.p.Count("refresh_token") != 1 {
		t.Fatal("RefreshAll did not renew the due token")
	}
}

// TestPicksUpLoginByAnotherProcess: a daemon that found no token (or a dead
// one) serves the token another process stored later, without a restart.
func TestPicksUpLoginByAnotherProcess(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	daemon := f.newManager()
	var lr *LoginRequiredError
	if _, err := daemon.Token(ctx, "sb", tokenstore.User); !errors.As(err, &lr) {
		t.Fatalf("before login: %v", err)
	}
	tok := f.login(t) // through f.m, i.e. another process sharing the keyring
	got, err := daemon.Token(ctx, "sb", tokenstore.User)
	if err != nil || got.AccessToken != tok.AccessToken {
		t.Fatalf("after another process logged in: %v, %v", got, err)
	}
	// Dead refresh token, then a new login elsewhere.
	f.p.SetMode(fakeprovider.RefuseRefresh)
	f.clk.Add(time.Hour + time.Second)
	if _, err := daemon.Token(ctx, "sb", tokenstore.User); !errors.As(err, &lr) {
		t.Fatalf("dead refresh: %v", err)
	}
	f.p.SetMode(fakeprovider.OK)
	tok2 := f.login(t)
	if got, err := daemon.Token(ctx, "sb", tokenstore.User); err != nil || got.AccessToken != tok2.AccessToken {
		t.Fatalf("after a new login elsewhere: %v, %v", got, err)
	}
}

func TestFileLoaderSeesEdits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	load := FileLoader(path)
	c, _, err := load()
	if err != nil || len(c.Profiles) != 0 {
		t.Fatalf("missing file: %v %v", c, err)
	}
	c.Profiles["a"] = &config.Profile{Name: "a", Provider: config.ProviderSandbox, ClientID: "x", RedirectURI: config.SandboxRedirectURI}
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	c2, _, err := load()
	if err != nil || c2.Profiles["a"] == nil {
		t.Fatalf("edit not seen: %v %v", c2, err)
	}
	c3, _, _ := load()
	if c3 != c2 {
		t.Error("unchanged file parsed again")
	}
	if err := os.WriteFile(path, []byte("profiles: ["), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := load(); err == nil {
		t.Fatal("broken edit not reported")
	}
}

// TestResolverSeesNewSecret: a profile re-added with a new client secret
// (config rewritten, keyring updated) is used with the new secret by a
// running resolver; an unchanged config costs no keyring read.
func TestResolverSeesNewSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	kr := fakekeyring.New()
	store := tokenstore.New(kr.Keyring("obpm-test"))
	ctx := context.Background()
	save := func(secret, scope string) {
		t.Helper()
		c := &config.Config{Profiles: map[string]*config.Profile{"a": {Name: "a", Provider: config.ProviderSandbox,
			ClientID: "x", RedirectURI: config.SandboxRedirectURI, Scope: scope}}}
		if err := store.SetSecret(ctx, "a", secret); err != nil {
			t.Fatal(err)
		}
		if err := c.Save(path); err != nil {
			t.Fatal(err)
		}
	}
	save("old-secret", "login")
	resolve := NewResolver(FileLoader(path), store, nil, nil)
	if c, err := resolve(ctx, "a"); err != nil || c.Secret != "old-secret" {
		t.Fatalf("first resolve: %v %v", c, err)
	}
	save("new-secret", "login inquiry") // `obpm profile add a --force …`
	c2, err := resolve(ctx, "a")
	if err != nil || c2.Secret != "new-secret" || c2.Profile.Scope != "login inquiry" {
		t.Fatalf("after profile add --force: %+v, %v; want the new secret and profile", c2, err)
	}
	kr.Fail(fakekeyring.ErrUnavailable) // from here a keyring read would fail
	if c, err := resolve(ctx, "a"); err != nil || c != c2 {
		t.Fatalf("cached resolve: %v, %v; want the client of the last resolve", c, err)
	}
}

// WithConfig's context finds its config through contexts derived from it,
// and keeps its parent's values, deadline and cancellation.
func TestWithConfigContext(t *testing.T) {
	type k struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), k{}, "v"))
	cfg := &config.Config{}
	ctx := WithConfig(parent, cfg, "config.yaml")
	child, stop := context.WithTimeout(ctx, time.Hour)
	defer stop()
	if got, path, _ := loadedConfig(child); got != cfg || path != "config.yaml" {
		t.Fatalf("loadedConfig through a child = %p %q, want %p", got, path, cfg)
	}
	if got, _, _ := loadedConfig(parent); got != nil {
		t.Fatalf("loadedConfig of the parent = %p, want none", got)
	}
	if child.Value(k{}) != "v" {
		t.Fatal("the parent's value is lost")
	}
	if WithConfig(parent, nil, "x") != parent {
		t.Fatal("a nil config should leave the context as it is")
	}
	cancel()
	select {
	case <-child.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("cancelling the parent did not reach the child")
	}
	if !errors.Is(child.Err(), context.Canceled) {
		t.Fatalf("child.Err() = %v", child.Err())
	}
}
