package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/internal/authtest"
	"github.com/obpm/obpm/internal/testenv"
)

// markedProcs returns the pids of running processes named one of names
// whose environment holds mark: the daemons that obpm (or a library under
// it) started, since a child inherits the environment, and no other test's.
func markedProcs(t *testing.T, mark string, names ...string) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("list /proc: %v", err)
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		name := strings.TrimSpace(string(comm))
		match := false
		for _, n := range names {
			// comm is cut at 15 bytes: gnome-keyring-d
			match = match || strings.HasPrefix(n, name) && len(name) > 0
		}
		if !match {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(env, []byte(mark)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestNoSessionBusStartsNoDaemon runs every keyring command on a machine
// with no D-Bus session (no DBUS_SESSION_BUS_ADDRESS, no $XDG_RUNTIME_DIR/bus):
// each fails with the documented hint, and none leaves a dbus-daemon or a
// gnome-keyring-daemon behind (godbus would run dbus-launch otherwise).
func TestNoSessionBusStartsNoDaemon(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the D-Bus Secret Service keyring is Linux's")
	}
	if _, err := exec.LookPath("dbus-launch"); err != nil {
		testenv.Missing(t, "dbus-launch not installed (Debian's dbus-x11/dbus): without it the bug this test guards cannot happen")
	}
	if _, err := os.Stat("/run/user/" + strconv.Itoa(os.Getuid()) + "/bus"); err == nil {
		t.Skip("this user has a systemd session bus socket, so there is always a bus")
	}
	w := newWorld(t, buildObpm(t))
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	mark := "OBPM_TEST_MARK=" + hex.EncodeToString(b)
	var env []string
	for _, kv := range w.env {
		if strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") || strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") ||
			strings.HasPrefix(kv, "DISPLAY=") || strings.HasPrefix(kv, "GNOME_KEYRING_CONTROL=") {
			continue
		}
		env = append(env, kv)
	}
	// dbus-launch wants an X display to tie the bus to; give it a fake one so
	// that the launch would succeed, as on a desktop over ssh.
	env = append(env, mark, "XDG_RUNTIME_DIR="+t.TempDir(), "DISPLAY=:99", "OBPM_KEYRING_TIMEOUT=5s")
	w.env = env
	t.Cleanup(func() {
		// Whatever a failing run started, by pid.
		for _, pid := range markedProcs(t, mark, "dbus-daemon", "gnome-keyring-daemon", "dbus-launch") {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	cfg := &config.Config{DefaultProfile: "sb", Profiles: map[string]*config.Profile{"sb": {
		Name: "sb", Provider: config.ProviderSandbox, BaseURL: w.sandbox, ClientID: config.SandboxClientID,
		RedirectURI: w.helper + "/callback"}}}
	if err := cfg.Save(filepath.Join(w.dir, "config", config.FileName)); err != nil {
		t.Fatal(err)
	}
	const hint = "no D-Bus session: start one (`dbus-run-session -- $SHELL`)"
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"profile add", "secret", []string{"profile", "add", "new", "--provider", "sandbox", "--client-secret-stdin"}, hint},
		{"profile remove", "", []string{"profile", "remove", "sb"}, hint},
		{"env-key", "", []string{"env-key"}, hint},
		{"token", "", []string{"token"}, hint},
		{"exec", "", []string{"exec", "--", "true"}, hint},
		{"logout", "", []string{"logout"}, hint},
		{"serve", "", []string{"serve", "--port", "0"}, hint},
		{"status", "", []string{"status"}, hint},
		{"doctor", "", []string{"doctor", "--offline"}, "dbus-run-session -- $SHELL"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, w.bin, tc.args...)
		cmd.Env, cmd.Dir, cmd.Stdin = w.env, w.dir, strings.NewReader(tc.stdin)
		out, err := cmd.CombinedOutput()
		cancel()
		if tc.name != "status" && err == nil {
			t.Errorf("obpm %s succeeded without a keyring:\n%s", tc.name, out)
		}
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("obpm %s output lacks the hint %q:\n%s", tc.name, tc.want, out)
		}
	}
	// dbus-launch detaches its daemons; give a launch that did happen time to
	// show (this only delays a failure, it never makes a pass).
	time.Sleep(300 * time.Millisecond)
	if pids := markedProcs(t, mark, "dbus-daemon", "gnome-keyring-daemon"); len(pids) > 0 {
		t.Fatalf("%d dbus-daemon/gnome-keyring-daemon processes started behind the user's back: %v", len(pids), pids)
	}
}

// TestParallelProfileAdd runs 10 `obpm profile add` at once: every profile
// ends up in the config and every secret in the store, on the real keyring
// and on the insecure file store (whose writes were lost the same way).
func TestParallelProfileAdd(t *testing.T) {
	bin := buildObpm(t)
	for _, real := range []bool{false, true} {
		t.Run(map[bool]string{false: "file store", true: "real keyring"}[real], func(t *testing.T) {
			w := newWorld(t, bin)
			var store keyring.Store
			if real {
				testenv.RequireKeyring(t)
				svc := authtest.KeyringService(t, "obpm-e2e")
				w.env = append(w.env, keyring.ServiceEnv+"="+svc)
				store = keyring.New(svc)
			} else {
				w.env = append(w.env, keyring.InsecureEnv+"=1")
				store = keyring.NewFileStore(filepath.Join(w.dir, "config", keyring.InsecureFile))
			}
			const n = 10
			var wg sync.WaitGroup
			errs := make([]string, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					name := fmt.Sprintf("p%d", i)
					out, errOut, err := w.runErr(fmt.Sprintf("secret-%d", i), "profile", "add", name, "--provider", "sandbox",
						"--base-url", w.sandbox, "--client-secret-stdin")
					if err != nil {
						errs[i] = fmt.Sprintf("%s: %v %s %s", name, err, out, errOut)
					}
				}()
			}
			wg.Wait()
			for _, e := range errs {
				if e != "" {
					t.Error(e)
				}
			}
			cfg, err := config.Load(filepath.Join(w.dir, "config", config.FileName))
			if err != nil {
				t.Fatal(err)
			}
			ts := tokenstore.New(store)
			kept := 0
			for i := range n {
				name := fmt.Sprintf("p%d", i)
				if cfg.Profiles[name] != nil {
					kept++
				}
				if s, err := ts.Secret(context.Background(), name); err != nil || s != fmt.Sprintf("secret-%d", i) {
					t.Errorf("secret of %s: %q %v", name, s, err)
				}
			}
			if kept != n {
				t.Fatalf("%d of %d profiles kept after parallel adds: %v", kept, n, cfg.Names())
			}
			if st, err := os.Stat(filepath.Join(w.dir, "config", config.FileName+".lock")); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("config lock file: %v %v, want mode 0600", st, err)
			}
		})
	}
}
