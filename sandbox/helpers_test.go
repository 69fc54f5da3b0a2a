package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/obpm/obpm/sandbox"
	"github.com/obpm/obpm/sandbox/sandboxtest"
	"github.com/obpm/obpm/specs"

	"github.com/obpm/obpm/internal/testenv"
)

// clock is a settable test clock, starting on the spec's example day.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 11, 26, 10, 10, 10, 0, time.FixedZone("KST", 9*3600))}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testenv.Buffer collects log output written from handler goroutines.
type env struct {
	t      *testing.T
	router routers.Router // validates every business answer against the spec
	srv    *sandbox.Server
	ts     *httptest.Server
	clock  *clock
	logs   *testenv.Buffer
	cfg    sandbox.Config
}

// start runs a sandbox on httptest with a test clock and a captured log.
func start(t *testing.T, cfg sandbox.Config) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), logs: &testenv.Buffer{}}
	if cfg.Now == nil {
		cfg.Now = e.clock.Now
	}
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, nil))
	if cfg.Spec == nil {
		cfg.Spec = loadSpec(t)
	}
	srv, err := sandbox.New(cfg)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	e.srv, e.cfg = srv, cfg
	e.router = specRouter(t, cfg.Spec)
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

// restart builds a new sandbox from the same configuration (state file).
func (e *env) restart() *env {
	e.t.Helper()
	e.ts.Close()
	cfg := e.cfg
	srv, err := sandbox.New(cfg)
	if err != nil {
		e.t.Fatalf("sandbox.New after restart: %v", err)
	}
	n := &env{t: e.t, srv: srv, clock: e.clock, logs: e.logs, cfg: cfg, router: e.router}
	n.ts = httptest.NewServer(srv.Handler())
	e.t.Cleanup(n.ts.Close)
	return n
}

// form posts a form and decodes the JSON answer.
// The answer must match the spec's response schema of the endpoint.
func (e *env) form(path string, v url.Values) map[string]any {
	e.t.Helper()
	resp, err := http.PostForm(e.ts.URL+path, v)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	vreq, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(v.Encode()))
	vreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if route, params, ferr := e.router.FindRoute(vreq); ferr == nil {
		if err := validateResponse(vreq, route, params, resp.StatusCode, resp.Header, b); err != nil {
			e.t.Errorf("POST %s: answer does not match the spec: %v\n%s", path, err, b)
		}
	}
	return decode(e.t, resp)
}

func decode(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", resp.Request.URL.Path, err, b)
	}
	return m
}

// call sends a business request: GET with query params, POST with a JSON body.
func (e *env) call(method, path, token string, in map[string]any) map[string]any {
	e.t.Helper()
	var body io.Reader
	var raw []byte
	target := e.ts.URL + path
	if method == http.MethodGet {
		q := url.Values{}
		for k, v := range in {
			q.Set(k, fmt.Sprint(v))
		}
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
	} else {
		raw, _ = json.Marshal(in)
		body = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, target, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	// Every answer, errors included, must match the operation's response
	// schema (a GET on a POST-only path has no operation to match).
	vreq, _ := http.NewRequest(method, target, bytes.NewReader(raw))
	vreq.Header = req.Header.Clone()
	if route, params, ferr := e.router.FindRoute(vreq); ferr == nil {
		if err := validateResponse(vreq, route, params, resp.StatusCode, resp.Header, b); err != nil {
			e.t.Errorf("%s %s: answer does not match the spec: %v\n%s", method, path, err, b)
		}
	}
	return decode(e.t, resp)
}

func specRouter(t testing.TB, doc *openapi3.T) routers.Router {
	t.Helper()
	cp := *doc
	cp.Servers = nil
	r, err := gorillamux.NewRouter(&cp)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func validateResponse(req *http.Request, route *routers.Route, params map[string]string, status int, h http.Header, body []byte) error {
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}

func (e *env) institutionToken(scope string) string {
	e.t.Helper()
	m := e.form("/oauth/2.0/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {sandbox.DefaultClientID},
		"client_secret": {sandbox.DefaultClientSecret}, "scope": {scope}})
	tok, _ := m["access_token"].(string)
	if tok == "" {
		e.t.Fatalf("client_credentials %s: %v", scope, m)
	}
	return tok
}

// userToken runs the 3-legged flow for a seeded user and returns the token response.
func (e *env) userToken(user string) map[string]any {
	e.t.Helper()
	return e.userTokenScope(user, "login inquiry transfer")
}

// allUserScopes is what the generated environment asks for (scope_user).
const allUserScopes = "login inquiry transfer cardinfo fintechinfo insuinfo loaninfo"

func (e *env) userTokenScope(user, scope string) map[string]any {
	e.t.Helper()
	loc, err := sandboxtest.Approve(context.Background(), nil, e.authorizeURL(scope, "state-"+strings.Repeat("x", 26)), user)
	if err != nil {
		e.t.Fatalf("approve: %v", err)
	}
	code := loc.Query().Get("code")
	if code == "" {
		e.t.Fatalf("no code in %s", loc)
	}
	m := e.form("/oauth/2.0/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {sandbox.DefaultClientID},
		"client_secret": {sandbox.DefaultClientSecret}, "redirect_uri": {sandbox.DefaultRedirectURI}})
	if m["access_token"] == nil {
		e.t.Fatalf("exchange: %v", m)
	}
	return m
}

func (e *env) authorizeURL(scope, state string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {sandbox.DefaultClientID}, "redirect_uri": {sandbox.DefaultRedirectURI},
		"scope": {scope}, "state": {state}, "client_info": {"obpm-test"}, "auth_type": {"0"}}
	return e.ts.URL + "/oauth/2.0/authorize?" + q.Encode()
}

// tranID makes a fresh bank_tran_id of the default client.
func tranID(n int) string { return fmt.Sprintf("%sU%09d", sandbox.DefaultClientUseCode, n) }

func wantRsp(t *testing.T, m map[string]any, code string) {
	t.Helper()
	if m["rsp_code"] != code {
		t.Fatalf("rsp_code = %v (%v), want %s; body %v", m["rsp_code"], m["rsp_message"], code, m)
	}
}

func loadSpec(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := specs.LoadOpenBanking(context.Background())
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	return doc
}
