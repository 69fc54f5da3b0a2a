package daemon

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

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
