package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/runfile"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/internal/testenv"
)

// With `obpm serve --port N` and no OBPM_HELPER_URL, every command finds the
// daemon through its runtime file: exec exports its URL, status says
// running, doctor knows its own daemon on the redirect port.
func TestDaemonFoundOnAnyPort(t *testing.T) {
	w := newAuthWorld(t, false)
	delete(w.env, "OBPM_HELPER_URL")
	w.must(t, "profile", "add", "sb", "--provider", "sandbox", "--base-url", "http://127.0.0.1:9",
		"--redirect-uri", fmt.Sprintf("http://127.0.0.1:%d/callback", w.port))
	url := "http://127.0.0.1:" + strconv.Itoa(w.port)

	f, out, _ := w.factory("")
	w.run(context.Background(), f, "status")
	if !strings.Contains(out.String(), "not running") {
		t.Fatalf("status before serve:\n%s", out)
	}

	storeTokens(t, w)
	stop, _ := w.serve(t)
	rec := filepath.Join(w.env["OBPM_CONFIG_DIR"], runfile.Daemon)
	if fi, err := os.Stat(rec); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("runtime file %s: %v %v", rec, fi, err)
	}

	f, out, errOut := w.factory("")
	if code := w.run(context.Background(), f, "status"); code != 0 || !strings.Contains(out.String(), "daemon: running at "+url) {
		t.Errorf("status: exit %d\n%s%s", code, out, errOut)
	}
	f, out, _ = w.factory("")
	w.run(context.Background(), f, "doctor", "--offline")
	for _, want := range []string{"ok    daemon                 running at " + url, "held by obpm serve"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "another program") {
		t.Errorf("doctor calls its own daemon another program:\n%s", out)
	}
	// exec exports the URL where the daemon listens, and its tokens.
	f, out, errOut = w.factory("")
	code := w.run(context.Background(), f, "exec", "--", "sh", "-c", `printf '%s %s' "$OBPM_HELPER_URL" "$OBPM_ACCESS_TOKEN"`)
	if code != 0 || out.String() != url+" user-access-token" {
		t.Errorf("exec: exit %d, printed %q (want %q) %s", code, out, url+" user-access-token", errOut)
	}

	stop()
	if _, err := os.Stat(rec); !os.IsNotExist(err) {
		t.Errorf("runtime file left after serve stopped: %v", err)
	}
	// OBPM_HELPER_URL still overrides.
	w.env["OBPM_HELPER_URL"] = "http://127.0.0.1:9"
	f, out, _ = w.factory("")
	w.run(context.Background(), f, "status")
	if !strings.Contains(out.String(), "not running at http://127.0.0.1:9") {
		t.Errorf("status with OBPM_HELPER_URL:\n%s", out)
	}
	// Daemon-less exec hands scripts the key for OBPM_HELPER_URL: it refuses
	// when some other program listens there.
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	w.env["OBPM_HELPER_URL"] = other.URL
	f, out, errOut = w.factory("")
	if code := w.run(context.Background(), f, "exec", "--", "sh", "-c", `printf '%s' "$OBPM_HELPER_KEY"`); code == 0 || !strings.Contains(errOut.String(), "not your `obpm serve`") {
		t.Errorf("exec with a foreign program on the helper URL: exit %d, %s%s", code, out, errOut)
	}
}

// squatterEnv makes the test binary a squatter (see TestSquatterProcess).
const squatterEnv = "OBPM_TEST_SQUATTER_PORT"

// TestSquatterProcess is not a test: run as another Unix user by
// TestSquatterGetsNothing, it listens on the helper's port, answers like the
// daemon (forged tokens, a phishing login URL) and prints every
// Authorization header it receives.
func TestSquatterProcess(t *testing.T) {
	port := os.Getenv(squatterEnv)
	if port == "" {
		t.Skip("helper process of TestSquatterGetsNothing")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:"+port)
	if err != nil {
		fmt.Println("LISTEN", err)
		os.Exit(3)
	}
	fmt.Println("READY", os.Getuid())
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "" {
			fmt.Println("AUTH", a)
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/healthz":
			_ = json.NewEncoder(w).Encode(map[string]any{"status": "ok", "service": "obpm-helper", "proof": "forged"})
		case strings.HasSuffix(r.URL.Path, "/login"):
			_ = json.NewEncoder(w).Encode(map[string]any{"login_id": "x", "authorize_url": "https://phish.example/login"})
		default:
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "forged-token", "token_type": "Bearer"})
		}
	}))
}

// A second Unix user squats the helper's port while our daemon is down:
// token, exec, login, status and doctor refuse it with a clear message and
// never send it the key, nor use its forged tokens or phishing URL.
func TestSquatterGetsNothing(t *testing.T) {
	as := testenv.AsOtherUser(t)
	w := newAuthWorld(t, false)
	w.must(t, "profile", "add", "sb", "--provider", "sandbox", "--base-url", "http://127.0.0.1:9",
		"--redirect-uri", fmt.Sprintf("http://127.0.0.1:%d/callback", w.port))
	key := strings.TrimSpace(w.must(t, "env-key"))

	// The squatter: this test binary, copied where the other user can run it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(testenv.SharedDir(t), "squatter.test")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(as[0], append(as[1:], bin, "-test.run=^TestSquatterProcess$")...)
	cmd.Env = append(os.Environ(), squatterEnv+"="+strconv.Itoa(w.port))
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if !strings.HasPrefix(l, "READY "+testenv.NobodyUID) {
			t.Fatalf("squatter: %s", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("squatter did not start")
	}

	for _, args := range [][]string{
		{"token"},
		{"exec", "--", "true"},
		{"login", "--no-browser", "--timeout", "5s"},
		{"logout"},
		{"status"},
		{"doctor", "--offline"},
	} {
		f, out, errOut := w.factory("")
		code := w.run(context.Background(), f, args...)
		all := out.String() + errOut.String()
		if code == 0 || !strings.Contains(all, "not your `obpm serve`") {
			t.Errorf("obpm %s with a squatter: exit %d, want a refusal naming it:\n%s", strings.Join(args, " "), code, all)
		}
		if strings.Contains(all, "forged-token") || strings.Contains(all, "phish.example") {
			t.Errorf("obpm %s used the squatter's answer:\n%s", strings.Join(args, " "), all)
		}
	}
	_ = cmd.Process.Kill()
	for l := range lines {
		if strings.HasPrefix(l, "AUTH") || strings.Contains(l, key) {
			t.Errorf("the squatter received: %s", l)
		}
	}
}

// storeTokens puts valid tokens of profile sb into the world's store.
func storeTokens(t *testing.T, w *authWorld) {
	t.Helper()
	st, _, err := keyring.Open(func(k string) string { return w.env[k] }, w.env["OBPM_CONFIG_DIR"], true)
	if err != nil {
		t.Fatal(err)
	}
	ts := tokenstore.New(st)
	exp := time.Now().Add(time.Hour)
	for kind, tok := range map[tokenstore.Kind]*tokenstore.Token{
		tokenstore.User:        {AccessToken: "user-access-token", TokenType: "Bearer", RefreshToken: "r", Expiry: exp, RefreshExpiry: exp.Add(time.Hour), Extra: map[string]any{"user_seq_no": "1100000001"}},
		tokenstore.Institution: {AccessToken: "inst-access-token", TokenType: "Bearer", Expiry: exp},
	} {
		if err := ts.Save(context.Background(), "sb", kind, tok); err != nil {
			t.Fatal(err)
		}
	}
}
