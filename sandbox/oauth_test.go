package sandbox_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/sandbox"
	"github.com/obpm/obpm/sandbox/sandboxtest"
)

// TestThreeLeggedFlow drives authorize → consent → callback → exchange →
// refresh → revoke over HTTP, as a client and a browser would.
func TestThreeLeggedFlow(t *testing.T) {
	ctx := context.Background()

	// Given a client callback server that records what the browser brings.
	got := make(chan url.Values, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Query()
		io.WriteString(w, "ok")
	}))
	defer cb.Close()
	redirect := cb.URL + "/callback"
	e2 := start(t, sandbox.Config{Clients: []sandbox.Client{sandbox.NewClient("app", "app-secret", []string{redirect}, "")}})

	state := strings.Repeat("s", 32)
	q := url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {redirect},
		"scope": {"login inquiry transfer"}, "state": {state}, "client_info": {"info 1"}, "auth_type": {"0"}}
	authURL := e2.ts.URL + "/oauth/2.0/authorize?" + q.Encode()

	// The consent page is Korean with an English line and offers the seeded users.
	resp, err := http.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"사용자 인증", "Open Banking sandbox", `value="user1"`, `value="user2"`, "홍길동", "login", "transfer", `value="approve"`, `value="deny"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("consent page lacks %q", want)
		}
	}

	// When user1 approves, the redirect goes to the callback with code, scope, client_info, state.
	loc, err := sandboxtest.Approve(ctx, nil, authURL, "user1")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := http.Get(loc.String()); err != nil {
		t.Fatal(err)
	} else {
		r.Body.Close()
	}
	cbq := <-got
	if cbq.Get("state") != state || cbq.Get("client_info") != "info 1" || cbq.Get("scope") != "login inquiry transfer" || cbq.Get("code") == "" {
		t.Fatalf("callback query = %v", cbq)
	}

	// Then the code exchanges once for a token with the documented fields.
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {cbq.Get("code")}, "client_id": {"app"},
		"client_secret": {"app-secret"}, "redirect_uri": {redirect}}
	tok := e2.form("/oauth/2.0/token", exchange)
	for _, k := range []string{"access_token", "token_type", "expires_in", "refresh_token", "scope", "user_seq_no"} {
		if _, ok := tok[k]; !ok {
			t.Errorf("token response lacks %s: %v", k, tok)
		}
	}
	if _, ok := tok["rsp_code"]; ok {
		t.Errorf("a successful token response carries no rsp_code: %v", tok)
	}
	if tok["expires_in"] != float64(7776000) || tok["token_type"] != "Bearer" || tok["user_seq_no"] != "1100000001" || tok["scope"] != "login inquiry transfer" {
		t.Errorf("token response = %v", tok)
	}
	claims := jwtClaims(t, tok["access_token"].(string))
	if claims["aud"] != "1100000001" || claims["iss"] != "https://www.openbanking.or.kr" || claims["jti"] == "" {
		t.Errorf("claims = %v", claims)
	}
	if sc, _ := claims["scope"].([]any); len(sc) != 3 {
		t.Errorf("scope claim = %v, want a JSON array of 3", claims["scope"])
	}
	wantRsp(t, e2.form("/oauth/2.0/token", exchange), "O0001") // single use
	if !strings.Contains(e2.logs.String(), "token issued") || !strings.Contains(e2.logs.String(), "client_id=app grant=authorization_code") {
		t.Errorf("log lacks the token line:\n%s", e2.logs.String())
	}

	me := func(token string) map[string]any {
		return e2.call(http.MethodGet, "/v2.0/user/me", token, map[string]any{"user_seq_no": "1100000001"})
	}
	wantRsp(t, me(tok["access_token"].(string)), "A0000")

	// Refresh rotates: a new pair; the old refresh token is dead.
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}, "client_id": {"app"},
		"client_secret": {"app-secret"}, "scope": {"login inquiry transfer"}}
	tok2 := e2.form("/oauth/2.0/token", refresh)
	if tok2["access_token"] == nil || tok2["refresh_token"] == tok["refresh_token"] || tok2["user_seq_no"] != "1100000001" {
		t.Fatalf("refresh = %v", tok2)
	}
	wantRsp(t, e2.form("/oauth/2.0/token", refresh), "O0001")
	wantRsp(t, me(tok2["access_token"].(string)), "A0000")

	// Revoke ends the access token and its refresh token.
	rv := e2.form("/oauth/2.0/revoke", url.Values{"client_id": {"app"}, "client_secret": {"app-secret"}, "access_token": {tok2["access_token"].(string)}})
	wantRsp(t, rv, "A0000")
	wantRsp(t, me(tok2["access_token"].(string)), "O0002")
	refresh.Set("refresh_token", tok2["refresh_token"].(string))
	wantRsp(t, e2.form("/oauth/2.0/token", refresh), "O0001")
}

func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if !strings.Contains(string(h), `"HS256"`) {
		t.Errorf("JWT header = %s", h)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestClientCredentials(t *testing.T) {
	e := start(t, sandbox.Config{Clients: []sandbox.Client{
		sandbox.DefaultClient(),
		{ID: "plain", Secret: "plain-secret", RedirectURIs: []string{sandbox.DefaultRedirectURI}, ClientUseCode: "M202601315"},
	}})
	cc := func(id, secret, scope string) map[string]any {
		return e.form("/oauth/2.0/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {scope}})
	}
	tests := []struct {
		name, id, secret, scope string
		wantScope, wantRsp      string
		wantMsg                 string
	}{
		{name: "oob", id: sandbox.DefaultClientID, secret: sandbox.DefaultClientSecret, scope: "oob", wantScope: "oob"},
		{name: "oob sa for a self-auth client", id: sandbox.DefaultClientID, secret: sandbox.DefaultClientSecret, scope: "oob sa", wantScope: "oob sa"},
		{name: "sa for a plain client", id: "plain", secret: "plain-secret", scope: "sa", wantRsp: "O0011", wantMsg: "허용되지 않은 Scope 입니다."},
		{name: "user scope", id: "plain", secret: "plain-secret", scope: "inquiry", wantRsp: "O0001", wantMsg: "인증 파라미터 오류([3000103])"},
		{name: "unknown client", id: "nobody", secret: "x", scope: "oob", wantRsp: "O0001", wantMsg: "인증 파라미터 오류([3000201])"},
		{name: "wrong secret", id: "plain", secret: "wrong", scope: "oob", wantRsp: "O0001", wantMsg: "인증 파라미터 오류([3000201])"},
		{name: "no scope", id: "plain", secret: "plain-secret", scope: "", wantRsp: "O0001", wantMsg: "인증 파라미터 오류([3000103])"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := cc(tt.id, tt.secret, tt.scope)
			if tt.wantRsp != "" {
				wantRsp(t, m, tt.wantRsp)
				if m["rsp_message"] != tt.wantMsg {
					t.Errorf("rsp_message = %v, want %s", m["rsp_message"], tt.wantMsg)
				}
				return
			}
			if m["scope"] != tt.wantScope || m["client_use_code"] != sandbox.DefaultClientUseCode || m["expires_in"] != float64(7776000) {
				t.Fatalf("token = %v", m)
			}
			if _, ok := m["refresh_token"]; ok {
				t.Errorf("an institution token has no refresh token: %v", m)
			}
			if c := jwtClaims(t, m["access_token"].(string)); c["aud"] != sandbox.DefaultClientUseCode {
				t.Errorf("aud = %v", c["aud"])
			}
		})
	}

	// GET on the token endpoint answers O0010 with HTTP 200.
	resp, err := http.Get(e.ts.URL + "/oauth/2.0/token")
	if err != nil {
		t.Fatal(err)
	}
	wantRsp(t, decode(t, resp), "O0010")
}

func TestAuthorizeFailures(t *testing.T) {
	e := start(t, sandbox.Config{})
	ctx := context.Background()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := url.Values{"response_type": {"code"}, "client_id": {sandbox.DefaultClientID}, "redirect_uri": {sandbox.DefaultRedirectURI},
		"scope": {"login inquiry"}, "state": {strings.Repeat("a", 32)}, "auth_type": {"0"}}
	with := func(k, v string) string {
		q := url.Values{}
		for kk, vv := range base {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return e.ts.URL + "/oauth/2.0/authorize?" + q.Encode()
	}

	pages := []struct{ name, url, want string }{
		{"unknown client", with("client_id", "nobody"), "[3000201]"},
		{"unregistered redirect uri", with("redirect_uri", "http://evil.example/cb"), "[3000114]"},
		{"other path on loopback", with("redirect_uri", "http://127.0.0.1:8791/other"), "[3000114]"},
	}
	for _, tt := range pages {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := noFollow.Get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tt.want) || resp.Header.Get("Location") != "" {
				t.Fatalf("HTTP %d, Location %q, body %s", resp.StatusCode, resp.Header.Get("Location"), b)
			}
		})
	}

	redirects := []struct{ name, url, wantErr string }{
		{"missing state", with("state", ""), "invalid_request"},
		{"bad response_type", with("response_type", "token"), "unsupported_response_type"},
		{"unknown scope", with("scope", "login steal"), "invalid_scope"},
	}
	for _, tt := range redirects {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := sandboxtest.Approve(ctx, nil, tt.url, "user1")
			if err != nil {
				t.Fatal(err)
			}
			if loc.Query().Get("error") != tt.wantErr || loc.Query().Get("error_description") == "" || loc.Query().Get("code") != "" {
				t.Fatalf("redirect = %s", loc)
			}
		})
	}

	t.Run("deny", func(t *testing.T) {
		loc, err := sandboxtest.Deny(ctx, nil, with("", ""))
		if err != nil {
			t.Fatal(err)
		}
		if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != base.Get("state") {
			t.Fatalf("redirect = %s", loc)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		if _, err := sandboxtest.Approve(ctx, nil, with("", ""), "user9"); err == nil || !strings.Contains(err.Error(), "user1") {
			t.Fatalf("err = %v, want one listing the offered users", err)
		}
	})
	t.Run("loopback callback on another port is refused", func(t *testing.T) {
		// The testbed matches host, port and path exactly (docs/openbanking-api.md).
		resp, err := http.Get(with("redirect_uri", "http://127.0.0.1:40123/callback"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "3000114") {
			t.Fatalf("status %d, body %s; want 400 naming 3000114", resp.StatusCode, body)
		}
	})

	exchange := func(code, redirect string) map[string]any {
		return e.form("/oauth/2.0/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {sandbox.DefaultClientID},
			"client_secret": {sandbox.DefaultClientSecret}, "redirect_uri": {redirect}})
	}
	t.Run("redirect uri differs at exchange", func(t *testing.T) {
		loc, err := sandboxtest.Approve(ctx, nil, with("", ""), "user1")
		if err != nil {
			t.Fatal(err)
		}
		m := exchange(loc.Query().Get("code"), "http://127.0.0.1:8791/elsewhere")
		wantRsp(t, m, "O0001")
		if m["rsp_message"] != "인증 파라미터 오류([3000114])" {
			t.Errorf("rsp_message = %v", m["rsp_message"])
		}
	})
	t.Run("client secret differs at exchange", func(t *testing.T) {
		loc, err := sandboxtest.Approve(ctx, nil, with("", ""), "user1")
		if err != nil {
			t.Fatal(err)
		}
		m := e.form("/oauth/2.0/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
			"client_id": {sandbox.DefaultClientID}, "client_secret": {"not-the-secret"}, "redirect_uri": {sandbox.DefaultRedirectURI}})
		wantRsp(t, m, "O0001")
		if m["rsp_message"] != "인증 파라미터 오류([3000201])" || m["access_token"] != nil {
			t.Errorf("answer = %v, want O0001 [3000201] and no token", m)
		}
	})
	t.Run("code expires", func(t *testing.T) {
		loc, err := sandboxtest.Approve(ctx, nil, with("", ""), "user1")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(sandbox.DefaultCodeTTL + time.Second)
		wantRsp(t, exchange(loc.Query().Get("code"), sandbox.DefaultRedirectURI), "O0001")
	})
}

// TestPKCE: a client that sends a code_challenge must send the matching
// code_verifier at the exchange; a client that sends none is not asked.
func TestPKCE(t *testing.T) {
	e := start(t, sandbox.Config{})
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	code := func() string {
		u := e.authorizeURL("login inquiry", strings.Repeat("p", 32)) + "&code_challenge=" + challenge + "&code_challenge_method=S256"
		loc, err := sandboxtest.Approve(context.Background(), nil, u, "user1")
		if err != nil {
			t.Fatal(err)
		}
		return loc.Query().Get("code")
	}
	exchange := func(code, verifier string) map[string]any {
		return e.form("/oauth/2.0/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {sandbox.DefaultClientID},
			"client_secret": {sandbox.DefaultClientSecret}, "redirect_uri": {sandbox.DefaultRedirectURI}, "code_verifier": {verifier}})
	}
	wantRsp(t, exchange(code(), "wrong-verifier"), "O0001")
	wantRsp(t, exchange(code(), ""), "O0001")
	if m := exchange(code(), verifier); m["access_token"] == nil {
		t.Fatalf("exchange with the right verifier = %v", m)
	}
}

// TestAuthTypeSkip: auth_type 2 with a login-scoped user token in the
// Kftc-Bfop headers gets a code without the consent page; without it, an error.
func TestAuthTypeSkip(t *testing.T) {
	e := start(t, sandbox.Config{})
	tok := e.userToken("user2")["access_token"].(string)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(seq, token string) *url.URL {
		u := strings.Replace(e.authorizeURL("login inquiry", strings.Repeat("k", 32)), "auth_type=0", "auth_type=2", 1)
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Kftc-Bfop-UserSeqNo", seq)
		req.Header.Set("Kftc-Bfop-AccessToken", token)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("HTTP %d without a redirect", resp.StatusCode)
		}
		return loc
	}
	loc := get("1100000002", tok)
	if loc.Query().Get("code") == "" {
		t.Fatalf("redirect = %s", loc)
	}
	m := e.form("/oauth/2.0/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "client_id": {sandbox.DefaultClientID},
		"client_secret": {sandbox.DefaultClientSecret}, "redirect_uri": {sandbox.DefaultRedirectURI}})
	if m["user_seq_no"] != "1100000002" {
		t.Errorf("token = %v", m)
	}
	for _, c := range []struct{ seq, tok string }{{"1100000001", tok}, {"1100000002", "bad"}, {"", ""}} {
		if loc := get(c.seq, c.tok); loc.Query().Get("error") != "invalid_request" {
			t.Errorf("seq %q: redirect = %s", c.seq, loc)
		}
	}
}
