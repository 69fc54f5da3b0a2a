package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/internal/authtest"
	"github.com/obpm/obpm/internal/testenv"
	"github.com/obpm/obpm/sandbox/sandboxtest"
)

// killTTL is the sandbox's --token-ttl in the kill test: short, so that a
// refresh is due after a short wait. The parallel test's tokens live longer:
// a refreshed token is due again after two thirds of its life, and all the
// parallel jobs must be done by then for "one refresh" to be the right count
// on a loaded machine.
const (
	killTTL     = 2 * time.Second
	parallelTTL = 10 * time.Second
)

// refreshWorld is a world with the real sandbox binary (--token-ttl) behind
// a test proxy that can act at the moment the sandbox has answered a
// refresh_token grant (the refresh token is rotated then), and a user logged
// in by `obpm login` without a daemon.
type refreshWorld struct {
	*world
	sb *proc
	// onRefresh, when set, runs after the sandbox answered a refresh grant
	// and before the answer goes back to obpm.
	mu        sync.Mutex
	onRefresh func()
	ttl       time.Duration
}

func newRefreshWorld(t *testing.T, bin string, realKeyring bool, ttl time.Duration) *refreshWorld {
	t.Helper()
	w := newWorld(t, bin)
	if realKeyring {
		testenv.RequireKeyring(t)
		w.env = append(w.env, "OBPM_KEYRING_SERVICE="+authtest.KeyringService(t, "obpm-e2e"))
	} else {
		w.env = append(w.env, keyring.InsecureEnv+"=1")
	}
	rw := &refreshWorld{world: w, ttl: ttl}
	rw.sb = w.start("sandbox", "--addr", strings.TrimPrefix(w.sandbox, "http://"), "--client-id", e2eClient,
		"--client-secret", e2eSecret, "--redirect-uri", w.helper+"/callback", "--token-ttl", ttl.String())
	waitHTTP(t, w.sandbox+"/oauth/2.0/token", 30*time.Second)
	target, _ := url.Parse(w.sandbox)
	rp := httputil.NewSingleHostReverseProxy(target)
	px := httptest.NewServer(http.HandlerFunc(func(rw2 http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		rw.mu.Lock()
		hook := rw.onRefresh
		rw.mu.Unlock()
		if r.URL.Path != "/oauth/2.0/token" || form.Get("grant_type") != "refresh_token" || hook == nil {
			rp.ServeHTTP(rw2, r)
			return
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r) // the sandbox has rotated the refresh token now
		hook()
		for k, v := range rec.Header() {
			rw2.Header()[k] = v
		}
		rw2.WriteHeader(rec.Code)
		_, _ = rw2.Write(rec.Body.Bytes())
	}))
	t.Cleanup(px.Close)
	w.run(e2eSecret, "profile", "add", "e2e", "--provider", "sandbox", "--base-url", px.URL,
		"--client-id", e2eClient, "--redirect-uri", w.helper+"/callback", "--client-secret-stdin", "--default")
	p := w.start("login", "--no-browser", "--timeout", "1m")
	authURL := waitLine(t, p, 30*time.Second, func(s string) bool { return strings.HasPrefix(s, px.URL+"/oauth/2.0/authorize?") })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	loc, err := sandboxtest.Approve(ctx, nil, authURL, e2eUser)
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	resp, err := http.Get(loc.String())
	if err != nil {
		t.Fatalf("callback: %v", err)
	}
	resp.Body.Close()
	if err := p.wait(t, time.Minute); err != nil {
		t.Fatalf("obpm login: %v\n%s", err, p.stderr)
	}
	return rw
}

func (rw *refreshWorld) setHook(f func()) { rw.mu.Lock(); rw.onRefresh = f; rw.mu.Unlock() }

// expire waits until the stored user token is past its TTL, so the next
// `obpm token` must refresh.
func (rw *refreshWorld) expire() { time.Sleep(rw.ttl + 200*time.Millisecond) }

func (rw *refreshWorld) refreshes() int {
	return strings.Count(rw.sb.stderr.String(), "grant=refresh_token")
}

func storyName(real bool) string {
	if real {
		return "real keyring"
	}
	return "file store"
}

// TestKillDuringRefresh kills the process that refreshes (a daemon-less
// `obpm token`, or `obpm serve` renewing on its ticker) with SIGKILL right
// after the sandbox rotated the refresh token, before its answer reaches
// obpm. The sandbox (like KFTC, which documents no grace period) no longer
// accepts the old refresh token, so a login is needed; the next start must
// say what happened, not only "log in again".
func TestKillDuringRefresh(t *testing.T) {
	bin := buildObpm(t)
	for _, real := range []bool{false, true} {
		for _, who := range []string{"token", "serve"} {
			t.Run(storyName(real)+"/"+who, func(t *testing.T) {
				rw := newRefreshWorld(t, bin, real, killTTL)
				rw.expire()
				procs := make(chan *proc, 1)
				killed := make(chan struct{})
				rw.setHook(func() {
					p := <-procs
					_ = p.cmd.Process.Kill()
					<-p.done
					p.done <- nil // for the cleanup's stop
					close(killed)
				})
				args := []string{"token"}
				if who == "serve" {
					args = []string{"serve", "--port", fmt.Sprint(rw.hport), "--refresh-every", "200ms"}
				}
				p := rw.start(args...)
				procs <- p
				select {
				case <-killed:
				case <-time.After(time.Minute):
					t.Fatalf("obpm %s never refreshed:\n%s", who, p.stderr)
				}
				rw.setHook(nil)
				out, errOut, err := rw.runErr("", "token")
				var ee *exec.ExitError
				if err == nil || !asExit(err, &ee) || ee.ExitCode() != 4 {
					t.Fatalf("token after the kill: %v (want exit 4)\n%s%s", err, out, errOut)
				}
				for _, want := range []string{"never finished", fmt.Sprintf("obpm process %d", p.cmd.Process.Pid), "obpm login --profile e2e"} {
					if !strings.Contains(errOut, want) {
						t.Errorf("message lacks %q:\n%s", want, errOut)
					}
				}
			})
		}
	}
}

// TestParallelTokenRefresh runs 10 daemon-less `obpm token` at once when
// the token is due (CI matrix jobs sharing a keyring): one refresh at the
// sandbox, every job gets the same fresh token, none is told to log in.
func TestParallelTokenRefresh(t *testing.T) {
	bin := buildObpm(t)
	for _, real := range []bool{false, true} {
		t.Run(storyName(real), func(t *testing.T) {
			rw := newRefreshWorld(t, bin, real, parallelTTL)
			before := rw.refreshes()
			rw.expire()
			const n = 10
			var wg sync.WaitGroup
			toks := make([]string, n)
			fails := make([]string, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out, errOut, err := rw.runErr("", "token", "--json")
					var m map[string]any
					if err != nil || json.Unmarshal([]byte(out), &m) != nil {
						fails[i] = fmt.Sprintf("job %d: %v\n%s", i, err, errOut)
						return
					}
					toks[i], _ = m["access_token"].(string)
				}()
			}
			wg.Wait()
			bad := 0
			for _, f := range fails {
				if f != "" {
					bad++
					t.Log(f)
				}
			}
			if bad > 0 {
				t.Fatalf("%d of %d parallel `obpm token` failed", bad, n)
			}
			for _, tk := range toks[1:] {
				if tk != toks[0] {
					t.Errorf("different tokens handed out: %d refreshes", rw.refreshes()-before)
					break
				}
			}
			if got := rw.refreshes() - before; got != 1 {
				t.Errorf("%d refreshes at the sandbox, want 1", got)
			}
		})
	}
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}
