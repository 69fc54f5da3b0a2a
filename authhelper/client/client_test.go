package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/daemon"
	"github.com/obpm/obpm/authhelper/daemon/api"
	"github.com/obpm/obpm/authhelper/runfile"
	"github.com/obpm/obpm/authhelper/session"
)

// recorder fails any request that reaches it: nothing may leave for a
// non-loopback helper URL.
type recorder struct{ reqs []*http.Request }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.reqs = append(r.reqs, req)
	return nil, http.ErrHandlerTimeout
}

func TestKeyNeverLeavesLoopback(t *testing.T) {
	tests := []struct {
		url     string
		wantErr bool
	}{
		{"http://127.0.0.1:8791", false},
		{"http://[::1]:8791", false},
		{"http://localhost:8791", false},
		{"http://example.com:8791", true},
		{"http://10.0.0.5:8791", true},
		{"https://127.0.0.1:8791", true},
		{"http://127.0.0.1.nip.io:8791", true},
		{"http://127.0.0.1:8791@evil.example", true},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			if err := CheckLocal(tc.url); (err != nil) != tc.wantErr {
				t.Fatalf("CheckLocal(%q) = %v, want error %v", tc.url, err, tc.wantErr)
			}
			if !tc.wantErr {
				return
			}
			rec := &recorder{}
			c := New(tc.url)
			c.Key, c.verified = "the-secret-key", true
			c.HTTP.Transport = rec
			_, err := c.Token(context.Background(), "p", "user")
			if err == nil || !strings.Contains(err.Error(), "OBPM_HELPER_URL") {
				t.Fatalf("Token err = %v, want the loopback-only refusal naming OBPM_HELPER_URL", err)
			}
			if len(rec.reqs) != 0 {
				t.Fatalf("a request with the key went to %s", rec.reqs[0].URL)
			}
		})
	}
}

const testKey = "k3y-of-the-user-0123456789abcdefghijklmn"

// realDaemon serves the daemon's handler on a loopback port with testKey.
func realDaemon(t *testing.T) *httptest.Server {
	t.Helper()
	cfg := &config.Config{Profiles: map[string]*config.Profile{}}
	srv := daemon.New(daemon.Options{Manager: &session.Manager{}, Key: testKey,
		Config: func() (*config.Config, string, error) { return cfg, "config.yaml", nil }})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// squatter answers /healthz like the daemon and records every
// Authorization header it is sent.
type squatter struct {
	mu    sync.Mutex
	auths []string
	proof func(r *http.Request) string
}

func (s *squatter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if a := r.Header.Get("Authorization"); a != "" {
		s.auths = append(s.auths, a)
	}
	s.mu.Unlock()
	if r.URL.Path == "/healthz" {
		proof := ""
		if s.proof != nil {
			proof = s.proof(r)
		}
		_ = json.NewEncoder(w).Encode(api.Health{Status: "ok", Service: api.ServiceName, Proof: proof})
		return
	}
	_ = json.NewEncoder(w).Encode(api.TokenResponse{AccessToken: "forged", TokenType: "Bearer"})
}

func TestVerifyAcceptsTheRealDaemon(t *testing.T) {
	ts := realDaemon(t)
	c := New(ts.URL)
	if !c.Running(context.Background()) {
		t.Fatal("Running = false for the real daemon")
	}
	if err := c.Verify(context.Background(), testKey); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if _, err := c.Profiles(context.Background()); err != nil {
		t.Fatalf("Profiles after Verify: %v", err)
	}
}

// A program on the daemon's port that answers /healthz as obpm-helper gets
// neither the key nor a chance to hand out a forged token: without a proof,
// with a made-up one, or relaying the challenge to the real daemon on
// another port.
func TestVerifyRefusesSquatters(t *testing.T) {
	real := realDaemon(t)
	relay := func(r *http.Request) string {
		resp, err := http.Get(real.URL + "/healthz?" + r.URL.RawQuery)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		var h api.Health
		_ = json.NewDecoder(resp.Body).Decode(&h)
		return h.Proof
	}
	for name, proof := range map[string]func(*http.Request) string{
		"no proof":     nil,
		"forged proof": func(*http.Request) string { return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
		"relayed":      relay,
	} {
		t.Run(name, func(t *testing.T) {
			sq := &squatter{proof: proof}
			ts := httptest.NewServer(sq)
			defer ts.Close()
			c := New(ts.URL)
			if !c.Running(context.Background()) {
				t.Fatal("the squatter should look like a daemon to Running")
			}
			err := c.Verify(context.Background(), testKey)
			var ie *ImpostorError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), "not your `obpm serve`") {
				t.Fatalf("Verify = %v, want an ImpostorError", err)
			}
			if _, err := c.Token(context.Background(), "p", "user"); err == nil {
				t.Fatal("Token through an unverified client succeeded")
			}
			sq.mu.Lock()
			defer sq.mu.Unlock()
			if len(sq.auths) != 0 {
				t.Fatalf("the squatter received Authorization: %q", sq.auths)
			}
		})
	}
}

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if u, src, _ := Locate(getenv, dir); u != DefaultURL || src != FromDefault {
		t.Fatalf("no file: %s %s", u, src)
	}
	if err := runfile.Write(dir, runfile.Daemon, runfile.Record{URL: "http://127.0.0.1:45678", Port: 45678}); err != nil {
		t.Fatal(err)
	}
	if u, src, _ := Locate(getenv, dir); u != "http://127.0.0.1:45678" || src != FromRunfile {
		t.Fatalf("runtime file: %s %s", u, src)
	}
	env[URLEnv] = "http://127.0.0.1:1111/"
	if u, src, _ := Locate(getenv, dir); u != "http://127.0.0.1:1111" || src != FromEnv {
		t.Fatalf("env wins: %s %s", u, src)
	}
	delete(env, URLEnv)
	// A record others may write is not trusted.
	if err := os.Chmod(filepath.Join(dir, runfile.Daemon), 0o666); err != nil {
		t.Fatal(err)
	}
	if u, _, warn := Locate(getenv, dir); u != DefaultURL || warn == nil {
		t.Fatalf("world-writable record: %s, warning %v", u, warn)
	}
	// A record of a process that ended (kill -9) is stale.
	if err := runfile.Write(dir, runfile.Daemon, runfile.Record{URL: "http://127.0.0.1:45678", PID: deadPID(t)}); err != nil {
		t.Fatal(err)
	}
	if u, _, warn := Locate(getenv, dir); u != DefaultURL || warn != nil {
		t.Fatalf("stale record: %s, warning %v", u, warn)
	}
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := os.StartProcess(exe, []string{exe, "-test.run=^$"}, &os.ProcAttr{Files: []*os.File{nil, nil, nil}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}
