package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/internal/testenv"
	"github.com/obpm/obpm/sandbox/sandboxtest"
)

// ciShellJob is the shell job of docs/ci.md, between its markers.
func ciShellJob(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	start := strings.Index(s, "<!-- ci-shell-job -->\n```sh\n")
	end := strings.Index(s, "```\n<!-- /ci-shell-job -->")
	if start < 0 || end < start {
		t.Fatal("docs/ci.md: no shell job between <!-- ci-shell-job --> markers")
	}
	return s[start+len("<!-- ci-shell-job -->\n```sh\n") : end]
}

// waitListening polls until addr accepts connections (bounded).
func waitListening(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// TestCIShellJobWithoutKeyring runs the shell job of docs/ci.md with the
// real obpm binary and Newman, with no D-Bus session (a dead bus address,
// so any keyring use would fail) and no config: tokens come from the
// OBPM_* variables alone, the rotated refresh token goes only to the file
// asked for, and nothing else is written under HOME.
func TestCIShellJobWithoutKeyring(t *testing.T) {
	newman := testenv.NodeBin(t, "newman")
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Missing(t, "node not on PATH")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "obpm"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work, home := filepath.Join(tmp, "repo"), filepath.Join(tmp, "home")
	for _, d := range []string{filepath.Join(work, ".ci"), home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"PATH=" + strings.Join([]string{bin, filepath.Dir(newman), filepath.Dir(node), "/usr/bin", "/bin"}, string(os.PathListSeparator)),
		"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"XDG_RUNTIME_DIR=" + home, "TMPDIR=" + tmp,
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(tmp, "no-bus"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a bound, not an assertion
	defer cancel()

	// Once, on a developer's machine: a sandbox state that knows a refresh
	// token (docs/ci.md, "Getting the secrets"); the test plays the browser.
	addr := testenv.FreeAddr(t)
	state := filepath.Join(work, ".ci", "sandbox-state.json")
	sb := exec.CommandContext(ctx, filepath.Join(bin, "obpm"), "sandbox", "--addr", addr, "--state", state, "--refresh-ttl", "87600h")
	sb.Env = env
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	waitListening(t, addr)
	base := "http://" + addr
	authURL := base + "/oauth/2.0/authorize?" + url.Values{"response_type": {"code"}, "client_id": {"obpm-sandbox"},
		"redirect_uri": {"http://127.0.0.1:8791/callback"}, "scope": {"login inquiry transfer cardinfo fintechinfo insuinfo loaninfo"},
		"state": {strings.Repeat("s", 32)}, "auth_type": {"0"}}.Encode()
	loc, err := sandboxtest.Approve(ctx, nil, authURL, "user1")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(base+"/oauth/2.0/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {"http://127.0.0.1:8791/callback"}, "client_id": {"obpm-sandbox"}, "client_secret": {"obpm-sandbox-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("no refresh token: %v", err)
	}
	_ = sb.Process.Signal(os.Interrupt)
	_ = sb.Wait()
	// The repository's committed collection.
	gen := exec.CommandContext(ctx, filepath.Join(bin, "obpm"), "generate", "--out", "postman")
	gen.Dir, gen.Env = work, env
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("generate: %v\n%s", err, out)
	}

	// The CI job.
	refreshOut := filepath.Join(tmp, "out", "refresh-token")
	if err := os.MkdirAll(filepath.Dir(refreshOut), 0o700); err != nil {
		t.Fatal(err)
	}
	job := exec.CommandContext(ctx, "sh", "-c", ciShellJob(t))
	job.Dir = work
	job.Env = append(env, "OBPM_PROVIDER=sandbox", "OBPM_CLIENT_ID=obpm-sandbox", "OBPM_CLIENT_SECRET=obpm-sandbox-secret",
		"OBPM_REFRESH_TOKEN="+tok.RefreshToken, "SANDBOX_ADDR="+testenv.FreeAddr(t), "SANDBOX_STATE="+state, "REFRESH_OUT="+refreshOut)
	out, err := job.CombinedOutput()
	if err != nil {
		t.Fatalf("the CI shell job failed: %v\n%s", err, out)
	}
	var run struct {
		Run struct {
			Stats struct {
				Requests, Assertions struct{ Total, Failed int }
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(work, "newman-run.json"))
	if err != nil || json.Unmarshal(data, &run) != nil {
		t.Fatalf("no Newman report: %v\n%s", err, out)
	}
	if s := run.Run.Stats; s.Requests.Total < 20 || s.Assertions.Failed != 0 || s.Requests.Failed != 0 {
		t.Errorf("Newman run: %+v\n%s", s, out)
	}
	if md, err := os.ReadFile(filepath.Join(work, "drift.md")); err != nil || !strings.Contains(string(md), "0 operations differ") {
		t.Errorf("drift.md: %v\n%s", err, md)
	}
	st, err := os.Stat(refreshOut)
	if err != nil {
		t.Fatalf("no rotated refresh token written: %v\n%s", err, out)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", refreshOut, st.Mode().Perm())
	}
	if rt, _ := os.ReadFile(refreshOut); strings.TrimSpace(string(rt)) == tok.RefreshToken || len(strings.TrimSpace(string(rt))) == 0 {
		t.Errorf("the file does not hold the rotated refresh token")
	}
	if !strings.Contains(string(out), "rotated the refresh token") {
		t.Errorf("no word about the rotation:\n%s", out)
	}
	// Nothing written under HOME: no config, no insecure store, no token.
	_ = filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("the job wrote %s", p)
		}
		return nil
	})
}
