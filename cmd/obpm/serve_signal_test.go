//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/runfile"
	"github.com/obpm/obpm/internal/testenv"
)

// serveProcessEnv makes the test binary run obpm (see TestServeProcess).
const serveProcessEnv = "OBPM_TEST_MAIN_ARGS"

// TestServeProcess is not a test: started by TestServeStopsCleanlyOnHangup,
// it is the obpm binary running the arguments in $OBPM_TEST_MAIN_ARGS.
func TestServeProcess(t *testing.T) {
	args := os.Getenv(serveProcessEnv)
	if args == "" {
		t.Skip("helper process of TestServeStopsCleanlyOnHangup")
	}
	os.Exit(Main(strings.Fields(args), defaultFactory()))
}

// TestServeStopsCleanlyOnHangup: `obpm serve` in a terminal that is closed,
// or an ssh session that drops, gets SIGHUP. It must stop as on Ctrl-C
// (tokens not yet saved are flushed, daemon.json is removed, exit 0)
// rather than die where it stands.
func TestServeStopsCleanlyOnHangup(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := t.TempDir()
	cmd := exec.Command(self, "-test.run=^TestServeProcess$")
	cmd.Env = append(os.Environ(), serveProcessEnv+"=serve --port 0",
		"OBPM_CONFIG_DIR="+cfg, keyring.InsecureEnv+"=1", "OBPM_HELPER_URL=")
	var stderr testenv.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})

	rec := filepath.Join(cfg, runfile.Daemon)
	for i := 0; ; i++ {
		if _, err := os.Stat(rec); err == nil {
			break
		}
		if i == 400 {
			t.Fatalf("obpm serve wrote no %s:\n%s", rec, &stderr)
		}
		select {
		case err := <-done:
			t.Fatalf("obpm serve ended: %v\n%s", err, &stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	stopSignal := "SIGHUP"
	if signal.Ignored(syscall.SIGHUP) {
		// This test runs under nohup, and the child inherits SIGHUP
		// ignored: obpm serve must keep it so and go on running. Stopping
		// it cleanly is then checked with SIGTERM.
		select {
		case err := <-done:
			t.Fatalf("obpm serve ended on a SIGHUP that nohup ignores (%v):\n%s", err, &stderr)
		case <-time.After(time.Second):
		}
		stopSignal = "SIGTERM"
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("obpm serve still runs 30s after %s:\n%s", stopSignal, &stderr)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("obpm serve died on SIGHUP (%v) instead of stopping cleanly:\n%s", err, &stderr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rec); !os.IsNotExist(err) {
		t.Errorf("%s left behind after SIGHUP: %v", rec, err)
	}
}
