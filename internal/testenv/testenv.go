// Package testenv finds the external tools that integration tests drive (Newman,
// Stoplight Prism and openapi-to-postmanv2 for the generator's judge,
// the postman-collection SDK, oauth2-mock-server, a Secret Service keyring) and
// decides what a test does when one is missing: skip on a developer's machine,
// fail under CI (CI=true), where .ci/run has installed everything.
package testenv

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// RepoRoot is the module root (the folder holding go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testenv: cannot locate source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// InCI reports whether the tests run under .ci/run.
func InCI() bool { return os.Getenv("CI") != "" }

// Missing skips the test locally and fails it in CI, where the dependency must exist.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI: "+format, args...)
	}
	t.Skipf(format+" (run .ci/run once to install it)", args...)
}

// NodeModules is the git-ignored folder where .ci/run installs npm tools.
func NodeModules(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("OBPM_NODE_MODULES"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(t), ".tools", "node_modules")
}

// NodeBin returns the path of an npm-installed executable such as "newman".
func NodeBin(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(NodeModules(t), ".bin", name)
	if _, err := os.Stat(p); err != nil {
		Missing(t, "%s not installed at %s", name, p)
	}
	return p
}

// NodePackage returns the folder of an npm package (for `node -e require(...)`).
func NodePackage(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(NodeModules(t), name)
	if _, err := os.Stat(p); err != nil {
		Missing(t, "npm package %s not installed at %s", name, p)
	}
	if _, err := exec.LookPath("node"); err != nil {
		Missing(t, "node not on PATH")
	}
	return p
}

// RequireKeyring makes sure a real Secret Service answers (gnome-keyring under
// dbus-run-session in CI) by a set/get/delete round trip under a test service.
func RequireKeyring(t testing.TB) {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		Missing(t, "no D-Bus session (DBUS_SESSION_BUS_ADDRESS unset) for the keyring")
		return
	}
	done := make(chan error, 1)
	go func() {
		svc, user := "obpm-testenv-probe", "probe"
		if err := keyring.Set(svc, user, "x"); err != nil {
			done <- err
			return
		}
		_, err := keyring.Get(svc, user)
		_ = keyring.Delete(svc, user)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			Missing(t, "keyring round trip failed: %v", err)
		}
	case <-time.After(5 * time.Second):
		Missing(t, "keyring round trip timed out (locked collection?)")
	}
}

// FreePort returns a loopback TCP port that was free a moment ago. Tests start
// servers on it (never on obpm's default ports, which a developer's own daemon
// or sandbox may hold); the small race with another process is accepted.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreeAddr is FreePort as "127.0.0.1:PORT".
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}
