// Package authtest holds test helpers for the OAuth helper that tests
// outside authhelper/ (cmd/obpm) use too.
package authtest

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/internal/testenv"
)

const script = `
const { OAuth2Server } = require(process.argv[1]);
(async () => {
  const s = new OAuth2Server();
  await s.issuer.keys.generate('RS256');
  await s.start(0, '127.0.0.1');
  console.log(s.issuer.url);
})().catch(e => { console.error(e); process.exit(1); });`

// StartOAuth2Mock runs the npm package oauth2-mock-server (an OAuth 2
// server no one here wrote) on 127.0.0.1 and an ephemeral port for the test's
// lifetime and returns its issuer URL (endpoints /authorize, /token,
// /revoke). It skips locally and fails in CI when the package is missing.
func StartOAuth2Mock(t testing.TB) string {
	t.Helper()
	pkg := testenv.NodePackage(t, "oauth2-mock-server")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "node", "-e", script, pkg)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case u := <-lines:
		// It names itself localhost but listens on 127.0.0.1 only.
		u = strings.Replace(u, "//localhost:", "//127.0.0.1:", 1)
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("oauth2-mock-server did not start: %q %s", u, stderr)
		}
		return u
	case <-time.After(20 * time.Second):
		t.Fatalf("oauth2-mock-server did not start in time: %s", stderr)
	}
	return ""
}
