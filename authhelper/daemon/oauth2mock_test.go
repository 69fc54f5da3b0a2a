package daemon

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/internal/authtest"
)

// TestGenericProviderWithOAuth2MockServer: authorization code with PKCE
// (the server checks the verifier), refresh, client credentials, revoke.
func TestGenericProviderWithOAuth2MockServer(t *testing.T) {
	issuer := authtest.StartOAuth2Mock(t)
	f := newFixture(t)
	f.cfg.Profiles["idp"] = &config.Profile{Name: "idp", Provider: config.ProviderOAuth2, ClientID: "obpm-app",
		AuthorizeURL: issuer + "/authorize", TokenURL: issuer + "/token", RevokeURL: issuer + "/revoke",
		Scope: "openid read", InstitutionScope: "svc", RedirectURI: f.cfg.Profiles["sb"].RedirectURI}
	if err := f.st.SetSecret(context.Background(), "idp", "app-secret"); err != nil {
		t.Fatal(err)
	}
	f.httpTimeout = 20 * time.Second
	f.start()

	code, start := f.do(t, req{method: "POST", path: "/v1/profiles/idp/login", key: testKey})
	if code != 200 || !strings.Contains(start["authorize_url"].(string), "code_challenge_method=S256") {
		t.Fatalf("start = %d %v", code, start)
	}
	nc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := nc.Get(start["authorize_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if !strings.Contains(loc, "code=") {
		t.Fatalf("authorize redirect = %d %q", resp.StatusCode, loc)
	}
	cb, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(cb.Body)
	cb.Body.Close()
	if cb.StatusCode != 200 {
		t.Fatalf("callback = %d %s", cb.StatusCode, page)
	}
	code, user := f.do(t, req{method: "GET", path: "/v1/profiles/idp/token?kind=user", key: testKey})
	if code != 200 || strings.Count(user["access_token"].(string), ".") != 2 || user["expires_at"] == nil {
		t.Fatalf("user token = %d %v", code, user)
	}
	extra, _ := user["extra"].(map[string]any)
	if extra == nil || extra["id_token"] == nil {
		t.Errorf("extra fields (id_token) not kept: %v", user)
	}

	before, _ := f.st.Load(context.Background(), "idp", tokenstore.User)
	f.clk.Add(time.Hour) // the mock's tokens live 3600 s
	code, user2 := f.do(t, req{method: "GET", path: "/v1/profiles/idp/token?kind=user", key: testKey})
	// The mock signs deterministic JWTs with a one-second iat, so the access
	// token may repeat; its refresh tokens are fresh UUIDs.
	stored, _ := f.st.Load(context.Background(), "idp", tokenstore.User)
	if code != 200 || stored == nil || before == nil || stored.RefreshToken == before.RefreshToken ||
		stored.AccessToken != user2["access_token"] || !stored.Expiry.After(before.Expiry) {
		t.Fatalf("refresh = %d %v", code, user2)
	}

	code, inst := f.do(t, req{method: "GET", path: "/v1/profiles/idp/token?kind=institution", key: testKey})
	if code != 200 || inst["scope"] != "svc" || inst["access_token"] == "" {
		t.Fatalf("client credentials = %d %v", code, inst)
	}
	if code, out := f.do(t, req{method: "POST", path: "/v1/profiles/idp/logout", key: testKey}); code != 200 || len(out["warnings"].([]any)) != 0 {
		t.Fatalf("logout = %d %v", code, out)
	}
}
