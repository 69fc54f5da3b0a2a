package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/daemon/api"
	"github.com/obpm/obpm/authhelper/internal/fakeprovider"
	"github.com/obpm/obpm/authhelper/session"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/internal/fakekeyring"

	"github.com/obpm/obpm/internal/testenv"
)

const testKey = "k3y-0123456789abcdefghijklmnopqrstuvwxyzABCD"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	p    *fakeprovider.Provider
	kr   *fakekeyring.Backend
	st   *tokenstore.Store
	clk  *clock
	logs *testenv.Buffer
	cfg  *config.Config
	srv  *httptest.Server
	d    *Server
	// cfgPath, when set, is a real config file read the daemon's way
	// (session.FileConfig: Load, and LoadWatched for a connection's later
	// requests, as `obpm serve` does).
	cfgPath string
	// watchedLoads counts the daemon's config reads through LoadWatched.
	watchedLoads atomic.Int64
	// cur is d for the server's ConnState hook.
	cur atomic.Pointer[Server]
	// httpTimeout bounds calls to the provider (a node server on a busy
	// machine needs more than the Go fake).
	httpTimeout time.Duration
	// loads counts the daemon's config reads.
	loads atomic.Int64
	// logLevel is the daemon's log level (default debug: the tests read
	// the request lines).
	logLevel slog.Leveler
}

// startWithConfigFile starts the daemon reading its config from a real
// file (the daemon's way: watched folder, stat per connection) and logs in.
func (f *fixture) startWithConfigFile(t *testing.T) {
	t.Helper()
	f.cfgPath = filepath.Join(t.TempDir(), config.FileName)
	if err := f.cfg.Save(f.cfgPath); err != nil {
		t.Fatal(err)
	}
	f.start()
	f.login(t)
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{p: fakeprovider.New(t), kr: fakekeyring.New(), clk: &clock{t: time.Now()}, logs: &testenv.Buffer{}, httpTimeout: 2 * time.Second}
	k := f.kr.Keyring("obpm-test")
	k.ReadTimeout, k.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	f.st = tokenstore.New(k)
	if err := f.st.SetSecret(context.Background(), "sb", f.p.Secret); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewUnstartedServer(nil)
	// The daemon's hook, as Run sets it (before Start: httptest wraps it).
	// (through cur: connections change state while a test restarts the daemon).
	f.srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if d := f.cur.Load(); d != nil {
			d.ConnState(c, st)
		}
	}
	f.cfg = &config.Config{Profiles: map[string]*config.Profile{"sb": {Name: "sb", Provider: config.ProviderSandbox,
		BaseURL: f.p.URL, ClientID: f.p.ClientID, RedirectURI: "http://" + f.srv.Listener.Addr().String() + "/callback"}}}
	f.start()
	t.Cleanup(f.srv.Close)
	return f
}

// start builds a daemon (again: a restart) on the same listener address.
func (f *fixture) start() {
	load := func() (*config.Config, string, error) { return f.cfg, "config.yaml", nil }
	var watched session.ConfigLoader
	if f.cfgPath != "" {
		fc := session.NewFileConfig(f.cfgPath)
		load = fc.Load
		watched = func() (*config.Config, string, error) { f.watchedLoads.Add(1); return fc.LoadWatched() }
	}
	inner := load
	load = func() (*config.Config, string, error) { f.loads.Add(1); return inner() }
	level := f.logLevel
	if level == nil {
		level = slog.LevelDebug
	}
	m := &session.Manager{Store: f.st, Now: f.clk.Now, Log: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: level})),
		Resolve: session.NewResolver(load, f.st, &http.Client{Timeout: f.httpTimeout}, f.clk.Now)}
	f.d = New(Options{Manager: m, Config: load, ConfigWatched: watched, Key: testKey, Log: m.Log, Now: f.clk.Now})
	f.cur.Store(f.d)
	f.srv.Config.Handler = f.d.Handler()
	if f.srv.URL == "" {
		f.srv.Start()
	}
}

type req struct {
	method, path string
	key          string
	header       map[string]string
	host         string
}

func (f *fixture) do(t testing.TB, r req) (int, map[string]any) {
	t.Helper()
	hr, _ := http.NewRequest(r.method, f.srv.URL+r.path, nil)
	if r.key != "" {
		hr.Header.Set("Authorization", "Bearer "+r.key)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.host != "" {
		hr.Host = r.host
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS header sent")
	}
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m == nil {
		m = map[string]any{"_body": string(b)}
	}
	return resp.StatusCode, m
}

// login runs a whole browser login through the daemon.
func (f *fixture) login(t testing.TB) {
	t.Helper()
	code, start := f.do(t, req{method: "POST", path: "/v1/profiles/sb/login", key: testKey})
	if code != 200 {
		t.Fatalf("start login = %d %v", code, start)
	}
	loc := f.p.Approve(t, start["authorize_url"].(string))
	resp, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("callback page = %d %s", resp.StatusCode, page)
	}
	code, st := f.do(t, req{method: "GET", path: "/v1/profiles/sb/login/" + start["login_id"].(string), key: testKey})
	if code != 200 || st["status"] != "succeeded" || st["user_seq_no"] != "1100000001" {
		t.Fatalf("login status = %d %v", code, st)
	}
}

func TestFullFlowAndNoSecretsInLogs(t *testing.T) {
	f := newFixture(t)
	if code, h := f.do(t, req{method: "GET", path: "/healthz"}); code != 200 || h["service"] != api.ServiceName {
		t.Fatalf("healthz = %d %v", code, h)
	}
	f.login(t)
	code, tok := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token?kind=user", key: testKey})
	if code != 200 || tok["user_seq_no"] != "1100000001" || tok["token_type"] != "Bearer" || tok["expires_at"] == nil ||
		!strings.HasPrefix(tok["access_token"].(string), "at-") || tok["refresh_token"] != nil {
		t.Fatalf("user token = %d %v", code, tok)
	}
	code, inst := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token?kind=institution", key: testKey})
	if code != 200 || inst["client_use_code"] != "T990000001" || inst["scope"] != "oob sa" {
		t.Fatalf("institution token = %d %v", code, inst)
	}
	code, list := f.do(t, req{method: "GET", path: "/v1/profiles", key: testKey})
	if code != 200 || !strings.Contains(mustJSON(list), `"state":"ok"`) || strings.Contains(mustJSON(list), "at-") {
		t.Fatalf("profiles = %d %v", code, list)
	}

	// Past the TTL: a refreshed token, stored in the keyring.
	f.clk.Add(time.Hour + time.Second)
	_, tok2 := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey})
	if tok2["access_token"] == tok["access_token"] || f.p.Count("refresh_token") != 1 {
		t.Fatalf("not refreshed: %v", tok2)
	}
	if stored, _ := f.st.Load(context.Background(), "sb", tokenstore.User); stored.AccessToken != tok2["access_token"] {
		t.Fatal("refreshed token not in the keyring")
	}

	// A restarted daemon serves it from the keyring, no login.
	f.start()
	_, tok3 := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey})
	if tok3["access_token"] != tok2["access_token"] {
		t.Fatalf("after restart: %v", tok3)
	}

	code, out := f.do(t, req{method: "POST", path: "/v1/profiles/sb/logout", key: testKey})
	if code != 200 || !f.p.IsRevoked(tok2["access_token"].(string)) {
		t.Fatalf("logout = %d %v", code, out)
	}
	code, e := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey})
	if code != 409 || e["error"] != "login_required" || e["hint"] != "obpm login --profile sb" {
		t.Fatalf("after logout = %d %v", code, e)
	}

	logs := f.logs.String()
	if !strings.Contains(logs, "login succeeded") || !strings.Contains(logs, "user token refreshed") {
		t.Fatalf("logs miss events:\n%s", logs)
	}
	secrets := []string{testKey, f.p.Secret, tok["access_token"].(string), tok2["access_token"].(string), inst["access_token"].(string), "rt-", "code-"}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("logs contain a secret %q:\n%s", s[:4], logs)
		}
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestHostileRequests(t *testing.T) {
	tests := []struct {
		name     string
		r        req
		wantCode int
		wantErr  string
	}{
		{"token without key", req{method: "GET", path: "/v1/profiles/sb/token"}, 401, "unauthorized"},
		{"token with wrong key", req{method: "GET", path: "/v1/profiles/sb/token", key: testKey + "x"}, 401, "unauthorized"},
		{"token with a prefix of the key", req{method: "GET", path: "/v1/profiles/sb/token", key: testKey[:20]}, 401, "unauthorized"},
		{"basic auth", req{method: "GET", path: "/v1/profiles/sb/token", header: map[string]string{"Authorization": "Basic " + testKey}}, 401, "unauthorized"},
		{"profiles without key", req{method: "GET", path: "/v1/profiles"}, 401, "unauthorized"},
		{"login without key", req{method: "POST", path: "/v1/profiles/sb/login"}, 401, "unauthorized"},
		{"logout without key", req{method: "POST", path: "/v1/profiles/sb/logout"}, 401, "unauthorized"},
		{"Origin with key", req{method: "GET", path: "/v1/profiles/sb/token", key: testKey, header: map[string]string{"Origin": "https://evil.example"}}, 403, "forbidden_origin"},
		{"null Origin", req{method: "GET", path: "/v1/profiles/sb/token", key: testKey, header: map[string]string{"Origin": "null"}}, 403, "forbidden_origin"},
		{"Origin on healthz", req{method: "GET", path: "/healthz", header: map[string]string{"Origin": "http://127.0.0.1:8791"}}, 403, "forbidden_origin"},
		{"rebinding Host", req{method: "GET", path: "/v1/profiles/sb/token", key: testKey, host: "evil.example:8791"}, 403, "forbidden_host"},
		{"rebinding Host on healthz", req{method: "GET", path: "/healthz", host: "attacker.test"}, 403, "forbidden_host"},
		{"localhost lookalike", req{method: "GET", path: "/healthz", host: "localhost.evil.example"}, 403, "forbidden_host"},
		{"preflight", req{method: "OPTIONS", path: "/v1/profiles/sb/token", header: map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}}, 403, "forbidden_origin"},
	}
	f := newFixture(t)
	f.login(t)
	_, good := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey})
	before := f.kr.Snapshot()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.do(t, tc.r)
			if code != tc.wantCode || body["error"] != tc.wantErr {
				t.Fatalf("= %d %v; want %d %s", code, body, tc.wantCode, tc.wantErr)
			}
			if strings.Contains(mustJSON(body), "at-") {
				t.Fatal("a refused request got a token")
			}
			if !maps.Equal(before, f.kr.Snapshot()) {
				t.Fatal("stored tokens changed")
			}
		})
	}
	_, after := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey})
	if after["access_token"] != good["access_token"] {
		t.Fatal("token changed after hostile requests")
	}
	for _, s := range []string{testKey[:20], "evil"} {
		if strings.Contains(f.logs.String(), s) {
			t.Errorf("logs echo %q", s)
		}
	}
}

func TestCallbackOnForeignHostIsRefused(t *testing.T) {
	f := newFixture(t)
	f.login(t)
	before := f.kr.Snapshot()
	_, start := f.do(t, req{method: "POST", path: "/v1/profiles/sb/login", key: testKey})
	loc := f.p.Approve(t, start["authorize_url"].(string))
	hr, _ := http.NewRequest("GET", loc, nil)
	hr.Host = "evil.example:8791"
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("callback on foreign Host = %d", resp.StatusCode)
	}
	_, st := f.do(t, req{method: "GET", path: "/v1/profiles/sb/login/" + start["login_id"].(string), key: testKey})
	if st["status"] != "pending" || f.p.Count("authorization_code") != 1 || !maps.Equal(before, f.kr.Snapshot()) {
		t.Fatalf("foreign-Host callback had an effect: %v", st)
	}
	// Wrong state and replays through the daemon leave the token alone too.
	for _, q := range []string{"?code=x&state=" + strings.Repeat("a", 32), "?error=access_denied&state=" + strings.Repeat("b", 32)} {
		resp, _ := http.Get(f.srv.URL + "/callback" + q)
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("hostile callback %s = %d", q, resp.StatusCode)
		}
	}
	if !maps.Equal(before, f.kr.Snapshot()) {
		t.Fatal("stored tokens changed")
	}
	if resp, _ := http.Get(f.srv.URL + "/favicon.ico"); resp.StatusCode != 404 {
		t.Fatalf("favicon = %d", resp.StatusCode)
	}
}

func TestErrorCodes(t *testing.T) {
	f := newFixture(t)
	if code, e := f.do(t, req{method: "GET", path: "/v1/profiles/nope/token", key: testKey}); code != 404 || e["error"] != "unknown_profile" {
		t.Errorf("unknown profile = %d %v", code, e)
	}
	if code, e := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token?kind=admin", key: testKey}); code != 400 || e["error"] != "bad_request" {
		t.Errorf("bad kind = %d %v", code, e)
	}
	if code, e := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey}); code != 409 || e["error"] != "login_required" {
		t.Errorf("no login = %d %v", code, e)
	}
	f.p.SetMode(fakeprovider.Malformed)
	if code, e := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token?kind=institution", key: testKey}); code != 502 || e["error"] != "provider_error" {
		t.Errorf("malformed provider = %d %v", code, e)
	}
	f.p.SetMode(fakeprovider.OK)
	f.start() // a fresh daemon reads the keyring again
	f.kr.Fail(fakekeyring.ErrUnavailable)
	if code, e := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey}); code != 503 || e["error"] != "keyring_unavailable" || e["hint"] != "obpm doctor" {
		t.Errorf("keyring down = %d %v", code, e)
	}
	f.kr.Fail(nil)
	f.start()
	f.kr.Hang()
	code, e := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey})
	f.kr.Unhang()
	if code != 503 || !strings.Contains(e["message"].(string), "no answer within") {
		t.Errorf("keyring hung = %d %v", code, e)
	}
}

func TestRedirectPortMismatch(t *testing.T) {
	f := newFixture(t)
	f.d.o.Port = 1 // pretend the daemon listens elsewhere
	f.srv.Config.Handler = f.d.Handler()
	code, e := f.do(t, req{method: "POST", path: "/v1/profiles/sb/login", key: testKey})
	if code != 409 || e["error"] != "redirect_mismatch" || !strings.Contains(e["hint"].(string), "obpm serve --port") {
		t.Fatalf("= %d %v", code, e)
	}
}

func TestRunAndGracefulShutdown(t *testing.T) {
	f := newFixture(t)
	ls, err := Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	addr := ls[0].Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.d.Run(ctx, ls) }()
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz on %s: %v", addr, err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no graceful shutdown")
	}
}

func TestListenBusyPort(t *testing.T) {
	ls, err := Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	port := ls[0].Addr().(*net.TCPAddr).Port
	_, err = Listen(port)
	var busy *PortBusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), "port in use") {
		t.Fatalf("err = %v", err)
	}
}

// TestFourKilobyteTokens: 4 KB access and refresh tokens survive login,
// storage in chunks, a restart and a refresh.
func TestFourKilobyteTokens(t *testing.T) {
	f := newFixture(t)
	f.p.TokenSize = 4096
	f.login(t)
	_, tok := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey})
	if n := len(tok["access_token"].(string)); n != 4096 {
		t.Fatalf("access token %d bytes", n)
	}
	for k, v := range f.kr.Snapshot() {
		if len(v) > 2100 {
			t.Errorf("keyring item %q holds %d bytes", k, len(v))
		}
	}
	f.start()
	f.clk.Add(time.Hour)
	code, tok2 := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey})
	if code != 200 || tok2["access_token"] == tok["access_token"] || len(tok2["access_token"].(string)) != 4096 {
		t.Fatalf("after restart and refresh: %d", code)
	}
}

// TestLoginWithFailingProvider: a down, slow, garbling or incomplete token endpoint
// fails the login with a clear page and status, and the token stored by an
// earlier login stays as it was.
func TestLoginWithFailingProvider(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode fakeprovider.Mode
		want string
	}{
		{"down", fakeprovider.Down, "exchange code at the provider"},
		{"slow", fakeprovider.Slow, "Timeout"},
		{"malformed JSON", fakeprovider.Malformed, "malformed response"},
		{"refused", fakeprovider.ServerError, "A0003"},
		{"HTTP 200 with an empty token", fakeprovider.EmptyToken, "no access_token"},
		{"HTTP 200 with a header-injecting token", fakeprovider.BadToken, "not a usable bearer token"},
		{"HTTP 200 without expires_in", fakeprovider.NoExpiry, "no expires_in"},
		{"HTTP 200 with a non-Bearer token", fakeprovider.WrongType, `token_type "mac"`},
		{"HTTP 200 without user_seq_no", fakeprovider.NoSeqNo, "no user_seq_no"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.httpTimeout = 300 * time.Millisecond
			f.p.Delay = time.Second
			f.start()
			f.login(t)
			before := f.kr.Snapshot()
			_, start := f.do(t, req{method: "POST", path: "/v1/profiles/sb/login", key: testKey})
			loc := f.p.Approve(t, start["authorize_url"].(string))
			f.p.SetMode(tc.mode)
			resp, err := http.Get(loc)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 || !strings.Contains(string(page), "Login failed") {
				t.Fatalf("page = %d %s", resp.StatusCode, page)
			}
			_, st := f.do(t, req{method: "GET", path: "/v1/profiles/sb/login/" + start["login_id"].(string), key: testKey})
			if st["status"] != "failed" || !strings.Contains(st["message"].(string), tc.want) {
				t.Fatalf("status = %v", st)
			}
			if !maps.Equal(before, f.kr.Snapshot()) {
				t.Fatal("stored token changed by a failed login")
			}
			f.p.SetMode(fakeprovider.OK)
			if code, tok := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey}); code != 200 || tok["access_token"] == "" {
				t.Fatalf("old token no longer served: %d %v", code, tok)
			}
		})
	}
}

// TestCancelLogin: a login cancelled through the API (Ctrl-C in `obpm
// login`) fails, and its callback, arriving later, is refused and stores
// nothing. Another profile's path does not reach the login.
func TestCancelLogin(t *testing.T) {
	f := newFixture(t)
	f.login(t)
	before := f.kr.Snapshot()
	_, start := f.do(t, req{method: "POST", path: "/v1/profiles/sb/login", key: testKey})
	id := start["login_id"].(string)
	loc := f.p.Approve(t, start["authorize_url"].(string))
	for _, r := range []req{
		{method: "GET", path: "/v1/profiles/other/login/" + id, key: testKey},
		{method: "DELETE", path: "/v1/profiles/other/login/" + id, key: testKey},
	} {
		if code, e := f.do(t, r); code != 404 || e["error"] != "unknown_login" {
			t.Fatalf("%s %s = %d %v", r.method, r.path, code, e)
		}
	}
	if code, e := f.do(t, req{method: "DELETE", path: "/v1/profiles/sb/login/" + id}); code != 401 {
		t.Fatalf("cancel without key = %d %v", code, e)
	}
	if code, st := f.do(t, req{method: "DELETE", path: "/v1/profiles/sb/login/" + id, key: testKey}); code != 200 || st["status"] != "failed" || st["message"] != "the login was cancelled" {
		t.Fatalf("cancel = %d %v", code, st)
	}
	resp, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(page), "already used or has expired") {
		t.Fatalf("late callback = %d %s", resp.StatusCode, page)
	}
	if f.p.Count("authorization_code") != 1 || !maps.Equal(before, f.kr.Snapshot()) {
		t.Fatal("a cancelled login exchanged its code or changed the stored token")
	}
}

// TestConfigMidEdit: while the config file does not parse (a user's edit in
// progress) the daemon still serves the tokens of the profiles it knew and
// says config_error, instead of answering 500.
func TestConfigMidEdit(t *testing.T) {
	f := newFixture(t)
	f.startWithConfigFile(t)
	code, tok := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey})
	if code != 200 || tok["config_error"] != nil {
		t.Fatalf("token with a good config = %d %v", code, tok)
	}
	good, err := os.ReadFile(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.cfgPath, append(good[:len(good)/2:len(good)/2], "\n  broken: ["...), 0o600); err != nil {
		t.Fatal(err)
	}
	// Read from a new connection, which sees an edit at once (a kept-alive
	// one, a watch's event later: TestProfileRemovedIsSeenAtOnce).
	http.DefaultClient.CloseIdleConnections()
	for _, kind := range []string{"user", "institution"} {
		f.clk.Add(time.Hour + time.Second) // due: the renewal needs the profile too
		code, tok2 := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token?kind=" + kind, key: testKey})
		msg, _ := tok2["config_error"].(string)
		if code != 200 || tok2["access_token"] == nil || !strings.Contains(msg, f.cfgPath) {
			t.Fatalf("%s token while the config is mid-edit = %d %v; want the token and config_error naming the file", kind, code, tok2)
		}
	}
	code, list := f.do(t, req{method: "GET", path: "/v1/profiles", key: testKey})
	if code != 200 || list["config_error"] == nil || !strings.Contains(mustJSON(list), `"name":"sb"`) {
		t.Fatalf("profiles while the config is mid-edit = %d %v", code, list)
	}
	if err := os.WriteFile(f.cfgPath, good, 0o600); err != nil {
		t.Fatal(err)
	}
	http.DefaultClient.CloseIdleConnections()
	if code, tok := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey}); code != 200 || tok["config_error"] != nil {
		t.Fatalf("token after the fix = %d %v", code, tok)
	}
}

// TestShutdownFlushesUnsavedToken: a refresh whose keyring write failed is
// written when the daemon stops (the keyring is back by then), so the
// rotated refresh token survives the restart.
func TestShutdownFlushesUnsavedToken(t *testing.T) {
	f := newFixture(t)
	f.login(t)
	f.kr.Fail(fakekeyring.ErrUnavailable)
	f.clk.Add(time.Hour + time.Second)
	code, tok := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey})
	if code != 200 {
		t.Fatalf("token with a failing keyring = %d %v", code, tok)
	}
	_, list := f.do(t, req{method: "GET", path: "/v1/profiles", key: testKey})
	if !strings.Contains(mustJSON(list), `"not_persisted":true`) {
		t.Fatalf("profiles do not say not persisted: %v", list)
	}
	f.kr.Fail(nil)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stop at once: Run must still flush
	if err := f.d.Run(ctx, []net.Listener{l}); err != nil {
		t.Fatal(err)
	}
	st, err := f.st.Load(context.Background(), "sb", tokenstore.User)
	if err != nil || st.AccessToken != tok["access_token"] {
		t.Fatalf("after shutdown the keyring holds %v (%v), want the refreshed set", st, err)
	}
	f.start() // restart: the stored (rotated) refresh token works
	f.clk.Add(time.Hour + time.Second)
	if code, tok2 := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token", key: testKey}); code != 200 || tok2["access_token"] == tok["access_token"] {
		t.Fatalf("after restart = %d %v", code, tok2)
	}
}

// Made-up profile names cost nothing: 404 before any keyring read (the
// keyring fails every call here, so a read would answer 503) and no entry
// in the manager's memory.
func TestUnknownProfilesTouchNoKeyring(t *testing.T) {
	f := newFixture(t)
	f.kr.Fail(errors.New("keyring must not be touched"))
	for i := range 50 {
		for _, r := range []req{
			{method: "GET", path: "/v1/profiles/nope-" + strings.Repeat("x", i) + "/token?kind=user", key: testKey},
			{method: "POST", path: "/v1/profiles/nope-" + strings.Repeat("y", i) + "/logout", key: testKey},
		} {
			code, body := f.do(t, r)
			if code != http.StatusNotFound || body["error"] != "unknown_profile" {
				t.Fatalf("%s %s = %d %v, want 404 unknown_profile", r.method, r.path, code, body)
			}
		}
	}
	code, body := f.do(t, req{method: "GET", path: "/v1/profiles/" + strings.Repeat("z", 5000) + "/token?kind=user", key: testKey})
	if code != http.StatusNotFound || body["error"] != "unknown_profile" {
		t.Fatalf("long name = %d %v", code, body)
	}
}

// RFC 7235: the auth scheme is case-insensitive.
func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	f := newFixture(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		hr, _ := http.NewRequest("GET", f.srv.URL+"/v1/profiles", nil)
		hr.Header.Set("Authorization", scheme+" "+testKey)
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("Authorization: %s KEY = %d, want 200", scheme, resp.StatusCode)
		}
	}
	for _, bad := range []string{"Basic " + testKey, "Bearer", "Bearer ", testKey, "Bearerx " + testKey} {
		hr, _ := http.NewRequest("GET", f.srv.URL+"/v1/profiles", nil)
		hr.Header.Set("Authorization", bad)
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization: %q = %d, want 401", bad, resp.StatusCode)
		}
	}
}

// Any local process can hammer the daemon: refusals are logged once per
// kind and minute, with a count of the ones held back, not once each.
func TestRefusalsAreRateLimitedInTheLog(t *testing.T) {
	f := newFixture(t)
	for range 200 {
		f.do(t, req{method: "GET", path: "/v1/profiles", key: "wrong"})
		f.do(t, req{method: "GET", path: "/healthz", header: map[string]string{"Origin": "https://evil.example"}})
		f.do(t, req{method: "GET", path: "/healthz", host: "evil.example"})
		f.do(t, req{method: "GET", path: "/callback", header: nil})
	}
	count := func() int {
		return strings.Count(f.logs.String(), "refused") + strings.Count(f.logs.String(), "rejected")
	}
	if n := count(); n > 4 {
		t.Fatalf("800 refused requests logged %d lines, want at most one per kind:\n%s", n, f.logs.String())
	}
	f.clk.Add(2 * time.Minute)
	f.do(t, req{method: "GET", path: "/v1/profiles", key: "wrong"})
	if !strings.Contains(f.logs.String(), "similar_held_back=199") {
		t.Fatalf("the next line does not count the held-back refusals:\n%s", f.logs.String())
	}
}

// /healthz?nonce= proves the daemon holds the key, bound to the address
// the caller reached; without the key nobody can compute it.
func TestHealthzProof(t *testing.T) {
	f := newFixture(t)
	code, body := f.do(t, req{method: "GET", path: "/healthz?nonce=abc"})
	addr := strings.TrimPrefix(f.srv.URL, "http://")
	if code != 200 || body["proof"] != api.Proof(testKey, "abc", addr) {
		t.Fatalf("healthz = %d %v, want the proof for %s", code, body, addr)
	}
	if body["proof"] == api.Proof(testKey, "abc", "127.0.0.1:1") || body["proof"] == api.Proof("other", "abc", addr) {
		t.Fatal("the proof does not depend on the address and the key")
	}
	if code, _ := f.do(t, req{method: "GET", path: "/healthz?nonce=" + strings.Repeat("n", 100)}); code != 400 {
		t.Fatalf("long nonce = %d", code)
	}
}

// TestTokenReadReadsConfigOnce: a fresh-token read checks the profile and
// resolves it from one read of the config (one stat of the file), and an
// edit made between two reads is still seen by the next one.
func TestTokenReadReadsConfigOnce(t *testing.T) {
	f := newFixture(t)
	f.startWithConfigFile(t)
	for i := range 3 {
		before := f.loads.Load() + f.watchedLoads.Load()
		code, body := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token?kind=user", key: testKey})
		if code != 200 || body["access_token"] == "" {
			t.Fatalf("read %d: %d %v", i, code, body)
		}
		if n := f.loads.Load() + f.watchedLoads.Load() - before; n != 1 {
			t.Fatalf("read %d loaded the config %d times, want 1", i, n)
		}
	}
	delete(f.cfg.Profiles, "sb") // `obpm profile remove sb`
	if err := f.cfg.Save(f.cfgPath); err != nil {
		t.Fatal(err)
	}
	// From a new connection, as a new process asks (see TestProfileRemovedIsSeenAtOnce).
	http.DefaultClient.CloseIdleConnections()
	if code, body := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token?kind=user", key: testKey}); code != 404 {
		t.Fatalf("after the profile's removal: %d %v, want 404", code, body)
	}
}

// TestProfileRemovedIsSeenAtOnce: `obpm profile remove` (config.Update, as
// the command does it) and then a token read from a new connection (a new
// process: curl, Newman, `obpm token`) fails at once, though the daemon's
// kept-alive connections read the config through the folder's watch; those
// see the removal as soon as the watch's goroutine has run.
func TestProfileRemovedIsSeenAtOnce(t *testing.T) {
	f := newFixture(t)
	f.startWithConfigFile(t)
	kept := &http.Client{Transport: &http.Transport{}}
	defer kept.CloseIdleConnections()
	read := func(hc *http.Client) int {
		t.Helper()
		hr, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/v1/profiles/sb/token?kind=user", nil)
		hr.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := hc.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 4 {
		if code := read(kept); code != 200 {
			t.Fatalf("read %d: %d", i, code)
		}
	}
	if f.watchedLoads.Load() == 0 {
		t.Fatal("a kept-alive connection's later reads did not go through the watch")
	}
	if err := config.Update(context.Background(), f.cfgPath, func(c *config.Config) error {
		delete(c.Profiles, "sb")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // each a new connection, the first one right after the edit
		fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		if code := read(fresh); code != 404 {
			t.Fatalf("new connection %d after the removal: %d, want 404", i, code)
		}
	}
	// The kept-alive connection: 404 once the watch's event is in (bounded).
	for deadline := time.Now().Add(10 * time.Second); read(kept) != 404; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the kept-alive connection still reads the removed profile after 10 s")
		}
	}
	// And the profile back (`obpm profile add`): the same both ways.
	if err := f.cfg.Save(f.cfgPath); err != nil {
		t.Fatal(err)
	}
	if code := read(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}); code != 200 {
		t.Fatalf("new connection after the profile came back: %d, want 200", code)
	}
}

// TestNewConnectionReadsConfigExactly: whatever the watched loader says,
// each accepted connection has the exact loader read the config before its
// first request, so an edit finished before a client connects is seen by
// its requests. The watched loader here never notices anything by itself
// (it repeats the exact loader's last answer): only the ConnState hook can
// make the daemon see the removal.
func TestNewConnectionReadsConfigExactly(t *testing.T) {
	f := newFixture(t)
	f.login(t)
	var (
		mu   sync.Mutex
		last *config.Config
	)
	exact := func() (*config.Config, string, error) {
		mu.Lock()
		defer mu.Unlock()
		last = &config.Config{Profiles: maps.Clone(f.cfg.Profiles)}
		return last, "config.yaml", nil
	}
	stale := func() (*config.Config, string, error) {
		mu.Lock()
		defer mu.Unlock()
		if last == nil {
			t.Error("the watched loader was read before the exact one")
			return f.cfg, "config.yaml", nil
		}
		return last, "config.yaml", nil
	}
	f.d = New(Options{Manager: f.d.o.Manager, Config: exact, ConfigWatched: stale, Key: testKey, Log: f.d.log, Now: f.clk.Now})
	f.cur.Store(f.d)
	f.srv.Config.Handler = f.d.Handler()
	http.DefaultClient.CloseIdleConnections()
	if code, body := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token?kind=user", key: testKey}); code != 200 {
		t.Fatalf("before the removal: %d %v", code, body)
	}
	mu.Lock()
	f.cfg = &config.Config{Profiles: map[string]*config.Profile{}}
	mu.Unlock()
	if code, _ := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token?kind=user", key: testKey}); code != 200 {
		t.Fatalf("kept-alive connection, stale watched loader: %d, want 200 (the stale answer)", code)
	}
	http.DefaultClient.CloseIdleConnections()
	if code, body := f.do(t, req{method: "GET", path: "/v1/profiles/sb/token?kind=user", key: testKey}); code != 404 {
		t.Fatalf("new connection after the removal: %d %v, want 404", code, body)
	}
}
