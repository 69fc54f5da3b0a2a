package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/internal/authtest"
	"github.com/obpm/obpm/internal/testenv"
	"github.com/obpm/obpm/sandbox"
	"github.com/obpm/obpm/sandbox/sandboxtest"
)

// testenv.Buffer is a goroutine-safe buffer for the output of a running command.
// authWorld is an isolated helper install: its own config folder, keyring
// service (or file store) and daemon port, and a clock that the test can
// move forward for the commands (and an in-process sandbox) instead of
// sleeping.
type authWorld struct {
	env   map[string]string
	port  int
	clock offsetClock
}

// offsetClock is the wall clock plus an offset the test advances.
type offsetClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *offsetClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

func newAuthWorld(t *testing.T, realKeyring bool) *authWorld {
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": t.TempDir()}, port: testenv.FreePort(t)}
	if realKeyring {
		testenv.RequireKeyring(t)
		w.env[keyring.ServiceEnv] = authtest.KeyringService(t, "obpm-test")
		w.env[keyring.TimeoutEnv] = "20s" // a loaded CI machine; see e2e/harness_test.go
	} else {
		w.env[keyring.InsecureEnv] = "1"
	}
	w.env["OBPM_HELPER_URL"] = "http://127.0.0.1:" + strconv.Itoa(w.port)
	return w
}

func (w *authWorld) factory(in string) (*Factory, *testenv.Buffer, *testenv.Buffer) {
	out, errOut := &testenv.Buffer{}, &testenv.Buffer{}
	return &Factory{In: strings.NewReader(in), Out: out, ErrOut: errOut,
		Getenv: func(k string) string { return w.env[k] }, Now: w.clock.Now}, out, errOut
}

// run executes obpm args like Main, under ctx.
func (w *authWorld) run(ctx context.Context, f *Factory, args ...string) int {
	root := newRootCmd(f)
	root.SetArgs(args)
	return exitCode(executeC(ctx, root), f.ErrOut)
}

// must runs a command that must succeed and returns its stdout.
func (w *authWorld) must(t *testing.T, args ...string) string {
	t.Helper()
	f, out, errOut := w.factory("")
	if code := w.run(context.Background(), f, args...); code != 0 {
		t.Fatalf("obpm %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out.String()
}

// serve starts `obpm serve` and returns its stop function and log.
func (w *authWorld) serve(t *testing.T) (stop func(), logs *testenv.Buffer) {
	t.Helper()
	f, _, errOut := w.factory("")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- w.run(ctx, f, "serve", "--port", strconv.Itoa(w.port), "--refresh-every", "500ms", "--debug")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(w.port) + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("obpm serve did not come up: %s", errOut)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("obpm serve exit %d: %s", code, errOut)
			}
		case <-time.After(10 * time.Second):
			t.Error("obpm serve did not stop")
		}
	}
	t.Cleanup(stop)
	return stop, errOut
}

var urlLine = regexp.MustCompile(`(?m)^(http://\S+/oauth/2\.0/authorize\?\S+)$`)

// login runs `obpm login --no-browser`, plays the browser on the sandbox's
// consent page as user1, and returns login's stderr.
func (w *authWorld) login(t *testing.T) string {
	t.Helper()
	f, _, errOut := w.factory("")
	done := make(chan int, 1)
	go func() { done <- w.run(context.Background(), f, "login", "--no-browser", "--timeout", "30s") }()
	var authURL string
	for deadline := time.Now().Add(10 * time.Second); authURL == ""; {
		if m := urlLine.FindStringSubmatch(errOut.String()); m != nil {
			authURL = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("login printed no authorize URL:\n%s", errOut)
		}
		time.Sleep(20 * time.Millisecond)
	}
	loc, err := sandboxtest.Approve(context.Background(), nil, authURL, "user1")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(string(page), "Logged in") {
		t.Fatalf("callback page = %d %s", resp.StatusCode, page)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("login exit %d:\n%s", code, errOut)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("login did not finish:\n%s", errOut)
	}
	if !strings.Contains(errOut.String(), "Logged in: profile sb, user_seq_no 1100000001") {
		t.Fatalf("login summary missing:\n%s", errOut)
	}
	return errOut.String()
}

func tokenJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("token --json printed %q: %v", s, err)
	}
	return m
}

// TestHelperAgainstSandbox runs the whole story against the real sandbox:
// profile add, login served by the command itself, serve, token reads,
// refresh past a short token TTL, exec, a daemon restart that needs no
// login, a second login through the daemon, logout.
func TestHelperAgainstSandbox(t *testing.T) {
	for _, tc := range []struct {
		name string
		real bool
	}{{"file store", false}, {"real keyring", true}} {
		t.Run(tc.name, func(t *testing.T) { helperAgainstSandbox(t, tc.real) })
	}
}

func helperAgainstSandbox(t *testing.T, realKeyring bool) {
	w := newAuthWorld(t, realKeyring)
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", w.port)
	sbLog := &testenv.Buffer{}
	sb, err := sandbox.New(sandbox.Config{TokenTTL: 3 * time.Second, Now: w.clock.Now,
		Clients: []sandbox.Client{sandbox.NewClient("obpm-sandbox", "obpm-sandbox-secret", []string{redirect}, "")},
		Logger:  slog.New(slog.NewTextHandler(sbLog, nil))})
	if err != nil {
		t.Fatal(err)
	}
	sbSrv := httptest.NewServer(sb.Handler())
	t.Cleanup(sbSrv.Close)

	w.must(t, "profile", "add", "sb", "--provider", "sandbox", "--base-url", sbSrv.URL, "--redirect-uri", redirect)
	if list := w.must(t, "profile", "list"); !strings.Contains(list, "sb") || !strings.Contains(list, redirect) {
		t.Fatalf("profile list:\n%s", list)
	}

	// 1. No daemon: login serves the callback itself.
	w.login(t)
	direct := tokenJSON(t, w.must(t, "token", "--json"))
	if direct["user_seq_no"] != "1100000001" {
		t.Fatalf("direct token: %v", direct)
	}

	// 2. With the daemon.
	stop, logs := w.serve(t)
	user := tokenJSON(t, w.must(t, "token", "--json"))
	if user["access_token"] != direct["access_token"] || user["user_seq_no"] != "1100000001" {
		t.Fatalf("daemon token %v, want the stored one", user)
	}
	inst := tokenJSON(t, w.must(t, "token", "--kind", "institution", "--json"))
	if inst["client_use_code"] != "T990000001" {
		t.Fatalf("institution token: %v", inst)
	}
	// The token works at the sandbox.
	if rsp := sandboxCall(t, sbSrv.URL+"/v2.0/user/me?user_seq_no=1100000001", user["access_token"].(string)); rsp != "A0000" {
		t.Fatalf("user/me with the helper's token: rsp_code %s", rsp)
	}

	// 3. Past the TTL: a refreshed token that the sandbox accepts.
	w.clock.Advance(3500 * time.Millisecond) // the sandbox and the helper share the clock
	user2 := tokenJSON(t, w.must(t, "token", "--json"))
	if user2["access_token"] == user["access_token"] {
		t.Fatal("token not refreshed after its TTL")
	}
	if rsp := sandboxCall(t, sbSrv.URL+"/v2.0/user/me?user_seq_no=1100000001", user2["access_token"].(string)); rsp != "A0000" {
		t.Fatalf("user/me with the refreshed token: rsp_code %s", rsp)
	}

	// 4. exec: fresh tokens in the environment; the command's exit status.
	out := w.must(t, "exec", "--", "sh", "-c", `printf '%s|%s|%s|%s|%s' "$OBPM_ACCESS_TOKEN" "$OBPM_USER_SEQ_NO" "$OBPM_INSTITUTION_TOKEN" "$OBPM_HELPER_URL" "$OBPM_HELPER_KEY"`)
	parts := strings.Split(out, "|")
	if len(parts) != 5 || parts[0] == "" || parts[1] != "1100000001" || parts[2] == "" || parts[3] != w.env["OBPM_HELPER_URL"] || len(parts[4]) < 43 {
		t.Fatalf("exec environment: %q", out)
	}
	if rsp := sandboxCall(t, sbSrv.URL+"/v2.0/user/me?user_seq_no=1100000001", parts[0]); rsp != "A0000" {
		t.Fatalf("user/me with OBPM_ACCESS_TOKEN: rsp_code %s", rsp)
	}
	f, _, _ := w.factory("")
	if code := w.run(context.Background(), f, "exec", "--", "sh", "-c", "exit 7"); code != 7 {
		t.Fatalf("exec exit status = %d, want 7", code)
	}
	// Ctrl-C (ctx cancelled) interrupts the command and lets it finish: its
	// trap runs and its own exit status comes back.
	f, out2, _ := w.factory("")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- w.run(ctx, f, "exec", "--", "sh", "-c", `trap 'echo got-interrupt; exit 3' INT; echo ready; while :; do sleep 0.05; done`)
	}()
	waitUntil(t, 10*time.Second, "the child to print ready", func() bool { return strings.Contains(out2.String(), "ready") }, out2.String)
	cancel()
	if code := <-done; code != 3 || !strings.Contains(out2.String(), "got-interrupt") {
		t.Fatalf("exec after Ctrl-C: exit %d, output %q; want the command's trap and exit 3", code, out2)
	}
	if st := w.must(t, "status"); !strings.Contains(st, "daemon: running") || !strings.Contains(st, "ok") {
		t.Fatalf("status:\n%s", st)
	}

	// 5. Restart: tokens come back from the store, no login.
	key := strings.TrimSpace(w.must(t, "env-key"))
	stop()
	_, logs2 := w.serve(t)
	user3 := tokenJSON(t, w.must(t, "token", "--json"))
	if user3["user_seq_no"] != "1100000001" || user3["access_token"] == "" {
		t.Fatalf("after restart: %v", user3)
	}

	// 6. A login through the daemon (it owns the callback now).
	if e := w.login(t); !strings.Contains(e, "The helper daemon at") {
		t.Fatalf("login did not go through the daemon:\n%s", e)
	}

	// 7. Logout: revoked at the sandbox, gone from the store.
	last := tokenJSON(t, w.must(t, "token", "--json"))
	w.must(t, "logout")
	if rsp := sandboxCall(t, sbSrv.URL+"/v2.0/user/me?user_seq_no=1100000001", last["access_token"].(string)); rsp == "A0000" {
		t.Fatal("token still accepted after logout")
	}
	f, _, errOut := w.factory("")
	if code := w.run(context.Background(), f, "token"); code != exitAuth || !strings.Contains(errOut.String(), "obpm login") {
		t.Fatalf("token after logout: exit %d %s", code, errOut)
	}

	// 8. `obpm profile remove` and then a read of the profile's token from
	// the daemon (which reads its config through a folder watch): unknown
	// at once, from a new connection as every new process opens.
	read := func() int {
		t.Helper()
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		req, _ := http.NewRequest(http.MethodGet, w.env["OBPM_HELPER_URL"]+"/v1/profiles/sb/token?kind=user", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := read(); code == http.StatusNotFound {
		t.Fatalf("token of a configured profile: %d", code)
	}
	w.must(t, "profile", "remove", "sb")
	if code := read(); code != http.StatusNotFound {
		t.Fatalf("token right after `obpm profile remove sb`: %d, want 404", code)
	}

	// Nothing secret in the daemon's logs.
	all := logs.String() + logs2.String()
	if !strings.Contains(all, "user token refreshed") || !strings.Contains(all, "login succeeded") {
		t.Fatalf("daemon logs miss events:\n%s", all)
	}
	for _, s := range []string{key, "obpm-sandbox-secret", direct["access_token"].(string), user2["access_token"].(string), inst["access_token"].(string), last["access_token"].(string), "code="} {
		if strings.Contains(all, s) {
			t.Errorf("daemon log holds a secret (%.8s…)", s)
		}
	}
	if !strings.Contains(sbLog.String(), "client_id=obpm-sandbox grant=refresh_token") {
		t.Errorf("sandbox log shows no refresh by the helper's client:\n%s", sbLog)
	}
}

func sandboxCall(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	s, _ := m["rsp_code"].(string)
	return s
}

// TestLoginGenericProviderLocal: `obpm login` for an oauth2 profile with
// redirect port 0 serves the callback on a free port, sends PKCE S256 (the
// mock server checks the verifier), and `obpm token` then reads the token;
// the institution token comes from client credentials.
func TestLoginGenericProviderLocal(t *testing.T) {
	issuer := authtest.StartOAuth2Mock(t)
	w := newAuthWorld(t, false)
	f, _, errOut := w.factory("app-secret\n")
	if code := w.run(context.Background(), f, "profile", "add", "idp", "--provider", "oauth2", "--client-id", "obpm-app",
		"--authorize-url", issuer+"/authorize", "--token-url", issuer+"/token", "--revoke-url", issuer+"/revoke",
		"--redirect-uri", "http://localhost:0/callback", "--scope", "openid read", "--institution-scope", "svc",
		"--client-secret-stdin"); code != 0 {
		t.Fatalf("profile add: exit %d %s", code, errOut)
	}
	f, _, errOut = w.factory("")
	done := make(chan int, 1)
	go func() { done <- w.run(context.Background(), f, "login", "--no-browser", "--timeout", "30s") }()
	re := regexp.MustCompile(`(?m)^(http://127\.0\.0\.1:\d+/authorize\?\S+)$`)
	var authURL string
	for deadline := time.Now().Add(10 * time.Second); authURL == ""; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(errOut.String()); m != nil {
			authURL = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no authorize URL:\n%s", errOut)
		}
	}
	if !strings.Contains(authURL, "code_challenge_method=S256") || !strings.Contains(authURL, "redirect_uri=http%3A%2F%2Flocalhost%3A") ||
		strings.Contains(authURL, "localhost%3A0%2F") {
		t.Fatalf("authorize URL %s: want PKCE and the real port", authURL)
	}
	nc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := nc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := http.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	cb.Body.Close()
	if cb.StatusCode != 200 {
		t.Fatalf("callback = %d", cb.StatusCode)
	}
	if code := <-done; code != 0 {
		t.Fatalf("login exit %d:\n%s", code, errOut)
	}
	user := tokenJSON(t, w.must(t, "token", "--json"))
	if strings.Count(user["access_token"].(string), ".") != 2 {
		t.Fatalf("user token: %v", user)
	}
	inst := tokenJSON(t, w.must(t, "token", "--kind", "institution", "--json"))
	if inst["scope"] != "svc" {
		t.Fatalf("institution token: %v", inst)
	}
	w.must(t, "logout")
}
