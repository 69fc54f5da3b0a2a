package e2e_test

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/config"
)

// hungBus is a D-Bus "session bus" that accepts connections and never
// answers: the way a wedged Secret Service looks to go-keyring, whose calls
// then block for ever.
func hungBus(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatalf("hung bus: %v", err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read or written
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "unix:path=" + path
}

// TestHungKeyringEndsEveryCommand runs every command that touches the
// keyring against a Secret Service that never answers: each one ends by
// itself with the keyring's timeout message (or, for status and doctor,
// reports it), instead of hanging.
func TestHungKeyringEndsEveryCommand(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service (D-Bus) keyring is Linux's; elsewhere DBUS_SESSION_BUS_ADDRESS does not reach the OS keychain")
	}
	w := newWorld(t, buildObpm(t))
	w.env = append(w.env, "DBUS_SESSION_BUS_ADDRESS="+hungBus(t), "OBPM_KEYRING_TIMEOUT=1s")
	cfgPath := filepath.Join(w.dir, "config", config.FileName)
	cfg := &config.Config{DefaultProfile: "sb", Profiles: map[string]*config.Profile{"sb": {
		Name: "sb", Provider: config.ProviderSandbox, BaseURL: w.sandbox, ClientID: config.SandboxClientID,
		RedirectURI: w.helper + "/callback"}}}
	if err := cfg.Save(cfgPath); err != nil {
		t.Fatal(err)
	}
	const timedOut = "(is the keyring locked?" // after 1s, set above
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantExit bool   // a non-zero exit
		wantOut  string // in stdout+stderr
	}{
		{"profile add", "secret", []string{"profile", "add", "new", "--provider", "sandbox", "--client-secret-stdin"}, true, timedOut},
		{"profile remove", "", []string{"profile", "remove", "sb"}, true, timedOut},
		{"env-key", "", []string{"env-key"}, true, timedOut},
		{"token", "", []string{"token"}, true, timedOut},
		{"exec", "", []string{"exec", "--", "true"}, true, timedOut},
		{"login", "", []string{"login", "--no-browser", "--timeout", "1m"}, true, timedOut},
		{"logout", "", []string{"logout"}, true, timedOut},
		{"serve", "", []string{"serve", "--port", "0"}, true, timedOut},
		{"status", "", []string{"status"}, false, "sb user token: load user token of profile \"sb\": keyring read"},
		{"doctor", "", []string{"doctor", "--offline"}, true, "FAIL  keyring                no answer (locked?)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The deadline only catches a hang; the keyring timeouts are seconds.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, w.bin, tc.args...)
			cmd.Env, cmd.Dir, cmd.Stdin = w.env, w.dir, strings.NewReader(tc.stdin)
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("obpm %s hung on the keyring:\n%s", tc.name, out)
			}
			var ee *exec.ExitError
			if tc.wantExit != errors.As(err, &ee) {
				t.Errorf("obpm %s: err %v, want a non-zero exit: %v", tc.name, err, tc.wantExit)
			}
			if !strings.Contains(string(out), tc.wantOut) {
				t.Errorf("obpm %s output lacks %q:\n%s", tc.name, tc.wantOut, out)
			}
		})
	}
	t.Cleanup(func() {
		// No command wrote anything: the config is as before.
		after, err := config.Load(cfgPath)
		if err != nil || after.Profiles["new"] != nil || after.Profiles["sb"] == nil {
			t.Errorf("config changed by failing commands: %v %+v", err, after)
		}
	})
}
