package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/internal/fakekeyring"
	"github.com/obpm/obpm/internal/testenv"
)

// seamWorld is a config folder with one sandbox profile and a Factory whose
// secret store is a fakekeyring backend: the Factory seams let these tests
// drive what used to need a built binary (e2e/keyring_test.go stays the
// proof with a real hung D-Bus).
type seamWorld struct {
	dir     string
	backend *fakekeyring.Backend
	env     map[string]string
}

func newSeamWorld(t *testing.T, baseURL string) *seamWorld {
	t.Helper()
	w := &seamWorld{dir: t.TempDir(), backend: fakekeyring.New()}
	// Free ports, never the defaults: other obpm daemons may run here.
	w.env = map[string]string{config.DirEnv: w.dir, "OBPM_HELPER_URL": "http://127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))}
	cfg := &config.Config{DefaultProfile: "sb", Profiles: map[string]*config.Profile{"sb": {
		Name: "sb", Provider: config.ProviderSandbox, BaseURL: baseURL, ClientID: config.SandboxClientID,
		RedirectURI: "http://127.0.0.1:" + strconv.Itoa(testenv.FreePort(t)) + "/callback"}}}
	if err := cfg.Save(filepath.Join(w.dir, config.FileName)); err != nil {
		t.Fatal(err)
	}
	return w
}

// factory returns a Factory over the world; the store answers within
// timeout (short, so a hung backend ends a command quickly).
func (w *seamWorld) factory(stdin string, timeout time.Duration) (*Factory, *testenv.Buffer, *testenv.Buffer) {
	out, errOut := &testenv.Buffer{}, &testenv.Buffer{}
	return &Factory{In: strings.NewReader(stdin), Out: out, ErrOut: errOut,
		Getenv: func(k string) string { return w.env[k] }, Now: time.Now,
		OpenStore: func(func(string) string, string, bool) (keyring.Store, string, error) {
			k := w.backend.Keyring("obpm-test")
			k.ReadTimeout, k.WriteTimeout = timeout, timeout
			return k, "", nil
		}}, out, errOut
}

func (w *seamWorld) run(t *testing.T, f *Factory, args ...string) int {
	t.Helper()
	// A bound, not an assertion: a hang fails here instead of hanging the run.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root := newRootCmd(f)
	root.SetArgs(args)
	code := exitCode(executeC(ctx, root), f.ErrOut)
	if ctx.Err() != nil {
		t.Fatalf("obpm %s hung", strings.Join(args, " "))
	}
	return code
}

// TestHungKeyringInProcess: with a secret store that never answers, every
// command that needs it ends after the store's timeout with the keyring
// hint (or, for status and doctor, reports it), in process.
func TestHungKeyringInProcess(t *testing.T) {
	const timedOut = "(is the keyring locked?"
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"profile add", "secret", []string{"profile", "add", "new", "--provider", "sandbox", "--client-secret-stdin"}, exitError, timedOut},
		{"profile remove", "", []string{"profile", "remove", "sb"}, exitError, timedOut},
		{"env-key", "", []string{"env-key"}, exitError, timedOut},
		{"token", "", []string{"token"}, exitError, timedOut},
		{"exec", "", []string{"exec", "--", "true"}, exitError, timedOut},
		{"logout", "", []string{"logout"}, exitError, timedOut},
		{"status", "", []string{"status"}, exitOK, `sb user token: load user token of profile "sb": keyring read`},
		{"doctor", "", []string{"doctor", "--offline"}, exitError, "no answer (locked?)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newSeamWorld(t, "http://127.0.0.1:1")
			w.backend.Hang()
			t.Cleanup(w.backend.Unhang)
			f, out, errOut := w.factory(tc.stdin, 100*time.Millisecond)
			args := tc.args
			if tc.name == "doctor" {
				args = append(args, "--scan", w.dir)
			}
			code := w.run(t, f, args...)
			all := out.String() + errOut.String()
			if code == exitOK && tc.wantCode != exitOK || code != exitOK && tc.wantCode == exitOK {
				t.Errorf("exit %d, want %d\n%s", code, tc.wantCode, all)
			}
			if !strings.Contains(all, tc.wantOut) {
				t.Errorf("output lacks %q:\n%s", tc.wantOut, all)
			}
		})
	}
}

// TestSecretPrompt: on a terminal, profile add asks for the secret with no
// echo; Enter keeps the sandbox's default secret for its built-in client,
// an empty answer is refused for any other client.
func TestSecretPrompt(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		answer     string
		wantCode   int
		wantPrompt string
		wantSecret string // stored under the profile ("" = nothing stored)
	}{
		{"sandbox default", []string{"profile", "add", "new", "--provider", "sandbox"}, "", exitOK, "Enter for the sandbox default", config.SandboxClientSecret},
		{"typed secret", []string{"profile", "add", "new", "--provider", "kftc-testbed", "--client-id", "app", "--redirect-uri", "http://127.0.0.1:9791/callback"}, "s3cret\n", exitOK, "Client secret (input hidden): ", "s3cret"},
		{"empty refused", []string{"profile", "add", "new", "--provider", "kftc-testbed", "--client-id", "app", "--redirect-uri", "http://127.0.0.1:9791/callback"}, "  ", exitUsage, "Client secret (input hidden): ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newSeamWorld(t, "http://127.0.0.1:1")
			f, _, errOut := w.factory("", 5*time.Second)
			asked := 0
			f.IsTerminal = func(io.Reader) bool { return true }
			f.ReadPassword = func(io.Reader) ([]byte, error) { asked++; return []byte(tc.answer), nil }
			if code := w.run(t, f, tc.args...); code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s", code, tc.wantCode, errOut)
			}
			if asked != 1 || !strings.Contains(errOut.String(), tc.wantPrompt) {
				t.Errorf("asked %d times, want once with %q:\n%s", asked, tc.wantPrompt, errOut)
			}
			var stored []string
			for _, v := range w.backend.Snapshot() {
				stored = append(stored, v)
			}
			found := false
			for _, v := range stored {
				found = found || strings.Contains(v, tc.wantSecret) && tc.wantSecret != ""
			}
			if tc.wantSecret != "" && !found {
				t.Errorf("secret %q not stored; store holds %d items", tc.wantSecret, len(stored))
			}
			if tc.wantSecret == "" && len(stored) != 0 {
				t.Errorf("a refused prompt stored %d items", len(stored))
			}
		})
	}
}

// TestSecretPromptReadError: a terminal that fails to read ends the command
// with the reason, not with an empty secret.
func TestSecretPromptReadError(t *testing.T) {
	w := newSeamWorld(t, "http://127.0.0.1:1")
	f, _, errOut := w.factory("", 5*time.Second)
	f.IsTerminal = func(io.Reader) bool { return true }
	f.ReadPassword = func(io.Reader) ([]byte, error) { return nil, errors.New("tty gone") }
	if code := w.run(t, f, "profile", "add", "new", "--provider", "sandbox"); code != exitError || !strings.Contains(errOut.String(), "read client secret: tty gone") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
}

// TestDoctorClock: doctor compares the local clock (Factory.Now) with the
// provider's Date header, fetched with Factory.HTTPClient.
func TestDoctorClock(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		skew time.Duration // provider's clock minus ours
		want string
	}{
		{"in sync", 0, "ok    clock"},
		{"ten minutes behind", -10 * time.Minute, "differs from the provider by 10m0s"},
		{"ten minutes ahead", 10 * time.Minute, "differs from the provider by 10m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var requests int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests++
				w.Header().Set("Date", now.Add(tc.skew).Format(http.TimeFormat))
			}))
			defer srv.Close()
			w := newSeamWorld(t, srv.URL)
			f, out, errOut := w.factory("", 5*time.Second)
			f.Now = func() time.Time { return now }
			f.HTTPClient = srv.Client
			w.run(t, f, "doctor", "--scan", w.dir)
			all := out.String() + errOut.String()
			if requests == 0 || !strings.Contains(all, tc.want) {
				t.Errorf("%d requests; output lacks %q:\n%s", requests, tc.want, all)
			}
		})
	}
}
