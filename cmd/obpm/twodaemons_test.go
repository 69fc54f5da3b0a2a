package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/runfile"
	"github.com/obpm/obpm/internal/testenv"
)

// servingDaemon is an `obpm serve` started in the background by startServe.
type servingDaemon struct {
	port   int
	cancel context.CancelFunc
	done   chan int
	errOut *testenv.Buffer
}

// startServe runs `obpm serve --port port` in w without waiting for it.
func startServe(t *testing.T, w *authWorld, port int) *servingDaemon {
	t.Helper()
	f, _, errOut := w.factory("")
	ctx, cancel := context.WithCancel(context.Background())
	d := &servingDaemon{port: port, cancel: cancel, done: make(chan int, 1), errOut: errOut}
	go func() { d.done <- w.run(ctx, f, "serve", "--port", strconv.Itoa(port)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			t.Errorf("obpm serve on port %d did not stop", port)
		}
	})
	return d
}

// answers reports whether something answers HTTP on 127.0.0.1:port.
func answers(port int) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

func readRecord(t *testing.T, w *authWorld) runfile.Record {
	t.Helper()
	r, err := runfile.Read(w.env["OBPM_CONFIG_DIR"], runfile.Daemon)
	if err != nil {
		t.Fatalf("daemon.json: %v", err)
	}
	return r
}

// TestSecondServeRefused: `obpm serve --port A`, then `obpm serve --port B`
// with the same config folder. Both used to run and write the one
// daemon.json: the second's record replaced the first's, and once the
// second stopped no command found the first (unless on the default port).
// The second must refuse to start, naming the first's pid and URL and what
// to do, and leave the first's record and the first alone.
func TestSecondServeRefused(t *testing.T) {
	w := newAuthWorld(t, false)
	delete(w.env, "OBPM_HELPER_URL")
	stop, _ := w.serve(t)
	defer stop()
	first := readRecord(t, w)

	other := testenv.FreePort(t)
	f, _, errOut := w.factory("")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := w.run(ctx, f, "serve", "--port", strconv.Itoa(other))
	if code == 0 {
		t.Fatalf("a second obpm serve in the same config folder ran (exit 0): %s", errOut)
	}
	msg := errOut.String()
	for _, want := range []string{"already runs", fmt.Sprintf("pid %d", first.PID), first.URL, "obpm service stop", fmt.Sprintf("kill %d", first.PID)} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, msg)
		}
	}
	if answers(other) {
		t.Errorf("something answers on the second daemon's port %d after the refusal", other)
	}
	if r := readRecord(t, w); r != first {
		t.Errorf("daemon.json changed from %+v to %+v", first, r)
	}
	f, out, _ := w.factory("")
	if w.run(context.Background(), f, "status"); !strings.Contains(out.String(), "daemon: running at "+first.URL) {
		t.Errorf("status after the refused second serve:\n%s", out)
	}
}

// TestServeTogetherOneWins: two `obpm serve` of one config folder started at
// the same moment (a service and a shell, two terminals) must not both find
// the place free: exactly one runs, and daemon.json names that one.
func TestServeTogetherOneWins(t *testing.T) {
	for round := range 3 {
		t.Run(strconv.Itoa(round), func(t *testing.T) {
			w := newAuthWorld(t, false)
			delete(w.env, "OBPM_HELPER_URL")
			w.must(t, "env-key") // the key exists; both race for the record only
			a := startServe(t, w, testenv.FreePort(t))
			b := startServe(t, w, testenv.FreePort(t))
			var loser, winner *servingDaemon
			select {
			case code := <-a.done:
				loser, winner = a, b
				a.done <- code
			case code := <-b.done:
				loser, winner = b, a
				b.done <- code
			case <-time.After(30 * time.Second):
				t.Fatalf("both daemons of one config folder run:\n%s\n%s", a.errOut, b.errOut)
			}
			// "did not answer": the winner's preload (tokens from the
			// keyring) outlasted the loser's wait on a loaded machine.
			if code := <-loser.done; code == 0 || !strings.Contains(loser.errOut.String(), "already runs") && !strings.Contains(loser.errOut.String(), "did not answer") {
				t.Fatalf("the second daemon ended with exit %d:\n%s", code, loser.errOut)
			}
			loser.done <- 1
			waitUntil(t, 10*time.Second, "the winner answers", func() bool { return answers(winner.port) }, winner.errOut.String)
			if r := readRecord(t, w); r.Port != winner.port {
				t.Errorf("daemon.json names port %d; the daemon that runs is on %d", r.Port, winner.port)
			}
		})
	}
}

// TestServeReplacesAReusedPIDRecord: after kill -9, daemon.json stays and
// its PID may go to another process of the same user (here a sleep).
// status must not send the user to the dead daemon's port, and serve must
// start at once (not wait on, nor refuse for, a process that is not an
// obpm daemon) and record itself.
func TestServeReplacesAReusedPIDRecord(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process start times are read from /proc")
	}
	w := newAuthWorld(t, false)
	delete(w.env, "OBPM_HELPER_URL")
	sleep := exec.Command("sleep", "120")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleep.Process.Kill(); _ = sleep.Wait() })
	dead := testenv.FreePort(t)
	staleURL := "http://127.0.0.1:" + strconv.Itoa(dead)
	// The record of a daemon started long before the sleep got its PID.
	b, _ := json.Marshal(map[string]any{"url": staleURL, "port": dead, "pid": sleep.Process.Pid, "uid": os.Getuid(), "proc_start": 1})
	if err := os.WriteFile(filepath.Join(w.env["OBPM_CONFIG_DIR"], runfile.Daemon), b, 0o600); err != nil {
		t.Fatal(err)
	}

	f, out, errOut := w.factory("")
	w.run(context.Background(), f, "status")
	if strings.Contains(out.String()+errOut.String(), staleURL) {
		t.Errorf("status points at the dead daemon's %s (its PID is now a sleep's):\n%s%s", staleURL, out, errOut)
	}

	start := time.Now()
	d := startServe(t, w, w.port)
	waitUntil(t, 30*time.Second, "obpm serve answers", func() bool {
		r, err := runfile.Read(w.env["OBPM_CONFIG_DIR"], runfile.Daemon)
		return err == nil && r.Port == w.port && answers(w.port)
	}, d.errOut.String)
	if strings.Contains(d.errOut.String(), "in its place") {
		t.Errorf("serve warned about a record it should simply replace:\n%s", d.errOut)
	}
	t.Logf("serve up in %v", time.Since(start))
}

// TestServeRefusesBesideAHungDaemon: daemon.json names the very process
// that wrote it (same PID, same start time), but nothing answers at its
// URL: a daemon that hangs, or holds a key that has since changed. Starting
// beside it would hide it again, so serve refuses, after a few seconds'
// grace for a daemon that is only stopping, and says how to stop it.
func TestServeRefusesBesideAHungDaemon(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process start times are read from /proc")
	}
	w := newAuthWorld(t, false)
	delete(w.env, "OBPM_HELPER_URL")
	dead := testenv.FreePort(t)
	// This test process stands for the hung daemon.
	if err := runfile.Write(w.env["OBPM_CONFIG_DIR"], runfile.Daemon, runfile.Record{URL: "http://127.0.0.1:" + strconv.Itoa(dead), Port: dead}); err != nil {
		t.Fatal(err)
	}
	f, _, errOut := w.factory("")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if code := w.run(ctx, f, "serve", "--port", strconv.Itoa(w.port)); code == 0 {
		t.Fatalf("serve ran beside a live daemon that does not answer: %s", errOut)
	}
	for _, want := range []string{fmt.Sprintf("pid %d", os.Getpid()), "did not answer", fmt.Sprintf("kill %d", os.Getpid())} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("the refusal lacks %q:\n%s", want, errOut)
		}
	}
}

// TestStatusNamesAStaleRecord: where start times are unknown (macOS, or a
// record of an older obpm), a record whose PID went to another process
// looks live. status must not only say "not running at" a port the user
// never chose: it says the address came from daemon.json and is stale.
func TestStatusNamesAStaleRecord(t *testing.T) {
	w := newAuthWorld(t, false)
	delete(w.env, "OBPM_HELPER_URL")
	dead := testenv.FreePort(t)
	staleURL := "http://127.0.0.1:" + strconv.Itoa(dead)
	// No proc_start; this test process stands for the PID's new owner.
	b, _ := json.Marshal(map[string]any{"url": staleURL, "port": dead, "pid": os.Getpid(), "uid": os.Getuid()})
	rec := filepath.Join(w.env["OBPM_CONFIG_DIR"], runfile.Daemon)
	if err := os.WriteFile(rec, b, 0o600); err != nil {
		t.Fatal(err)
	}
	f, out, errOut := w.factory("")
	w.run(context.Background(), f, "status")
	if want := "daemon: not running at " + staleURL + ", where " + rec + " records it (a stale record"; !strings.Contains(out.String(), want) {
		t.Errorf("status lacks %q:\n%s%s", want, out, errOut)
	}
}
