package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/obpm/obpm/internal/testenv"
)

// world is one isolated obpm installation: its own config dir, keyring service
// and ports, so tests never touch a developer's real profiles or tokens.
type world struct {
	t       *testing.T
	bin     string
	dir     string
	env     []string
	sandbox string // base URL of the sandbox
	helper  string // base URL of the daemon
	hport   int
}

func newWorld(t *testing.T, bin string) *world {
	t.Helper()
	dir := t.TempDir()
	sport, hport := testenv.FreePort(t), testenv.FreePort(t)
	env := append(os.Environ(),
		"OBPM_CONFIG_DIR="+filepath.Join(dir, "config"),
		// Until a test picks its own (authtest.KeyringService), a service no
		// real entry uses.
		fmt.Sprintf("OBPM_KEYRING_SERVICE=obpm-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()),
		"OBPM_HELPER_URL="+fmt.Sprintf("http://127.0.0.1:%d", hport),
		"NO_COLOR=1",
		"OBPM_INSECURE_STORAGE=", // the real keyring, whatever the developer's shell says
		// gnome-keyring re-encrypts its file on every write; with the whole
		// suite running on 2 cores a read can wait longer than the 3 s default.
		"OBPM_KEYRING_TIMEOUT=20s",
	)
	return &world{
		t: t, bin: bin, dir: dir, env: env, hport: hport,
		sandbox: fmt.Sprintf("http://127.0.0.1:%d", sport),
		helper:  fmt.Sprintf("http://127.0.0.1:%d", hport),
	}
}

// unset removes a variable from the world's environment.
func (w *world) unset(name string) {
	env := w.env[:0:0]
	for _, kv := range w.env {
		if !strings.HasPrefix(kv, name+"=") {
			env = append(env, kv)
		}
	}
	w.env = env
}

// buildObpm compiles the binary once per test run.
func buildObpm(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "obpm")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/obpm")
	cmd.Dir = testenv.RepoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/obpm: %v\n%s", err, b)
	}
	return out
}

// run runs obpm to completion and returns stdout; it fails the test on a non-zero exit.
func (w *world) run(stdin string, args ...string) string {
	w.t.Helper()
	out, errOut, err := w.runErr(stdin, args...)
	if err != nil {
		w.t.Fatalf("obpm %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func (w *world) runErr(stdin string, args ...string) (string, string, error) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.bin, args...)
	cmd.Env = w.env
	cmd.Dir = w.dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// proc is a long-running obpm child (sandbox, serve, login).
type proc struct {
	cmd    *exec.Cmd
	stdout *testenv.Buffer
	stderr *testenv.Buffer
	done   chan error
}

func (w *world) start(args ...string) *proc {
	w.t.Helper()
	cmd := exec.Command(w.bin, args...)
	cmd.Env = w.env
	cmd.Dir = w.dir
	p := &proc{cmd: cmd, stdout: &testenv.Buffer{}, stderr: &testenv.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start obpm %v: %v", args, err)
	}
	go func() { p.done <- cmd.Wait() }()
	w.t.Cleanup(func() { p.stop(w.t) })
	return p
}

// stop sends SIGTERM and waits, so the child shuts down the way a user's Ctrl-C does.
func (p *proc) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Logf("obpm %v did not stop on SIGTERM within 10s", p.cmd.Args[1:])
	}
}

// wait waits for a child to exit by itself.
func (p *proc) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // keep it readable for stop/cleanup
		return err
	case <-time.After(d):
		t.Fatalf("obpm %v still running after %s\nstdout:\n%s\nstderr:\n%s", p.cmd.Args[1:], d, p.stdout, p.stderr)
		return nil
	}
}

// waitLine waits until the child's stdout or stderr has a line for which match is true.
func waitLine(t *testing.T, p *proc, d time.Duration, match func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(p.stdout.String() + "\n" + p.stderr.String()))
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); match(line) {
				return line
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no matching line from obpm %v within %s\nstdout:\n%s\nstderr:\n%s", p.cmd.Args[1:], d, p.stdout, p.stderr)
	return ""
}

// waitHTTP polls url until it answers at all (any status).
func waitHTTP(t *testing.T, url string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within %s", url, d)
}
