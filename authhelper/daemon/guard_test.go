package daemon

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/daemon/api"
)

// The foreign-Host hint names the port the guard really serves, not 8791.
func TestGuardHintUsesRealPort(t *testing.T) {
	srv := httptest.NewServer(Guard(http.NotFoundHandler(), slog.New(slog.DiscardHandler)))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e api.ErrorResponse
	_ = json.NewDecoder(resp.Body).Decode(&e)
	u, _ := url.Parse(srv.URL)
	if resp.StatusCode != http.StatusForbidden || e.Hint != "use http://127.0.0.1:"+u.Port() {
		t.Fatalf("%d %+v, want 403 with hint naming port %s", resp.StatusCode, e, u.Port())
	}
}

// LoopbackHost's no-parse path for "127.0.0.1:PORT" says what the parse
// says, for every kind of Host a client or an attacker sends.
func TestLoopbackHostFastPathAgrees(t *testing.T) {
	parsed := func(hostport string) bool {
		if hostport == "" {
			return false
		}
		host := hostport
		if h, _, err := net.SplitHostPort(hostport); err == nil {
			host = h
		}
		return config.IsLoopbackHost(host)
	}
	for _, h := range []string{"127.0.0.1:8791", "127.0.0.1:1", "127.0.0.1:", "127.0.0.1", "127.0.0.1:80x", "127.0.0.1:8791.evil.example",
		"127.0.0.1:8791@evil.example", "127.0.0.10:8791", "127.0.0.1.evil.example:8791", "localhost:8791", "[::1]:8791",
		"evil.example:8791", "127.1:8791", ""} {
		if got, want := LoopbackHost(h), parsed(h); got != want {
			t.Errorf("LoopbackHost(%q) = %v, the parse says %v", h, got, want)
		}
	}
}
