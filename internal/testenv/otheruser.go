package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// NobodyUID is the second Unix user multi-user tests act as.
const NobodyUID = "65534"

// AsOtherUser returns the command prefix that runs a program as another
// Unix user (uid and gid 65534, no supplementary groups): the adversary of
// the helper's multi-user tests. It needs root and setpriv: without root
// the test is skipped locally, and under CI (where tests run as root) a
// missing setpriv fails it.
func AsOtherUser(t testing.TB) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		if InCI() {
			t.Fatal("CI: multi-user tests need root (to act as a second user with setpriv)")
		}
		t.Skip("acting as a second Unix user needs root (run the tests as root, as CI does)")
	}
	p, err := exec.LookPath("setpriv")
	if err != nil {
		Missing(t, "setpriv (util-linux) not found")
	}
	return []string{p, "--reuid=" + NobodyUID, "--regid=" + NobodyUID, "--clear-groups"}
}

// SharedDir returns a new folder that every user may enter and list (0755,
// under the system temp folder, whose own t.TempDir is private), removed at
// the end: what is private inside it is private by its own modes only.
func SharedDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "obpm-shared-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	d, _ = filepath.EvalSymlinks(d)
	return d
}
