// Package client talks to a running helper daemon (`obpm serve`) for the
// commands that prefer it: login, token, exec, status and logout.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/daemon/api"
	"github.com/obpm/obpm/authhelper/runfile"
	"github.com/obpm/obpm/internal/defaults"
)

// DefaultURL is where the daemon listens unless OBPM_HELPER_URL says otherwise.
const DefaultURL = defaults.HelperURL

// URLEnv overrides DefaultURL.
const URLEnv = "OBPM_HELPER_URL"

// Source says where Locate found the daemon's URL.
type Source string

// Sources of a daemon URL.
const (
	FromEnv     Source = "OBPM_HELPER_URL"
	FromRunfile Source = "runtime file"
	FromDefault Source = "default"
)

// Locate returns where the daemon listens: OBPM_HELPER_URL when set, else
// the runtime file `obpm serve` writes into the config folder cfgDir (any
// port), else DefaultURL. A runtime file that cannot be trusted (another
// owner, writable by others) is reported in warn and skipped.
func Locate(getenv func(string) string, cfgDir string) (u string, src Source, warn error) {
	if v := getenv(URLEnv); v != "" {
		return strings.TrimRight(v, "/"), FromEnv, nil
	}
	if cfgDir != "" {
		r, err := runfile.Read(cfgDir, runfile.Daemon)
		switch {
		case err == nil && r.URL != "":
			return strings.TrimRight(r.URL, "/"), FromRunfile, nil
		case err != nil && !errors.Is(err, runfile.ErrNone):
			warn = err
		}
	}
	return DefaultURL, FromDefault, warn
}

// CheckLocal refuses a daemon URL that is not plain http on a loopback
// host: the daemon only ever listens there, and the helper key must never
// travel to another machine (a mistyped or hostile OBPM_HELPER_URL).
func CheckLocal(baseURL string) error {
	u, err := url.Parse(baseURL)
	if err != nil {
		return fmt.Errorf("helper URL %q: %w (set %s to %s)", baseURL, err, URLEnv, DefaultURL)
	}
	if u.Scheme != "http" || !config.IsLoopbackHost(u.Hostname()) {
		return fmt.Errorf("helper URL %q: the helper daemon listens on this machine only, so its key is sent only to http://127.0.0.1, http://[::1] or http://localhost (set %s to %s)", baseURL, URLEnv, DefaultURL)
	}
	return nil
}

// Client is a daemon client. It sends the key only after Verify: the
// daemon proved it holds the key, on the very address the client reached.
type Client struct {
	BaseURL string
	Key     string
	HTTP    *http.Client
	// Addr is the verified daemon's address (ip:port); later requests are
	// dialled to it and nowhere else.
	Addr     string
	verified bool
}

// New returns a client; Verify gives it the key.
func New(baseURL string) *Client {
	// Proxy: nil, because a proxy from the environment must not see the key
	// (Go skips proxies for loopback anyway; this makes it explicit).
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"),
		HTTP: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{Proxy: nil}}}
}

// ImpostorError: something answers at the daemon's URL like the helper
// daemon but cannot prove it holds this user's helper key (another user's
// daemon, or a program squatting on the port to collect keys and hand out
// forged tokens). Nothing was sent to it.
type ImpostorError struct {
	URL, Addr string
	Reason    string
}

func (e *ImpostorError) Error() string {
	u, _ := url.Parse(e.URL)
	port := ""
	if u != nil {
		port = u.Port()
	}
	return fmt.Sprintf("refusing the helper daemon at %s: %s, so it is not your `obpm serve` (another user's daemon or a program squatting on the port); "+
		"the helper key and tokens were not sent to it. Find who listens with `ss -ltnp 'sport = :%s'` (Linux) or `lsof -i :%s` (macOS), stop it, "+
		"or run your daemon on another port with `obpm serve --port N`", e.URL, e.Reason, port, port)
}

// Verify challenges the daemon to prove it holds key (an HMAC of a fresh
// nonce and the address connected to, see api.Proof) before the key
// is ever sent; on success the client keeps the key and pins later
// connections to the verified address.
func (c *Client) Verify(ctx context.Context, key string) error {
	if err := CheckLocal(c.BaseURL); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	nonce := api.NewNonce()
	var remote string
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { remote = i.Conn.RemoteAddr().String() }}
	var h api.Health
	if err := c.do(httptrace.WithClientTrace(ctx, trace), http.MethodGet, "/healthz?nonce="+url.QueryEscape(nonce), false, &h); err != nil {
		return err
	}
	if h.Service != api.ServiceName {
		return &ImpostorError{URL: c.BaseURL, Addr: remote, Reason: "it does not answer as the obpm helper"}
	}
	if !api.VerifyProof(key, nonce, remote, h.Proof) {
		return &ImpostorError{URL: c.BaseURL, Addr: remote, Reason: "it could not prove it holds your helper key (if you just made a new key, restart your `obpm serve`)"}
	}
	c.Key, c.Addr, c.verified = key, remote, true
	d := &net.Dialer{Timeout: 5 * time.Second}
	c.HTTP.Transport = &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, remote)
	}}
	return nil
}

// Listening reports whether anything accepts connections at baseURL's
// address (obpm daemon or not).
func Listening(ctx context.Context, baseURL string) bool {
	u, err := url.Parse(baseURL)
	if err != nil {
		return false
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// IsImpostor reports whether err is an ImpostorError.
func IsImpostor(err error) bool {
	var ie *ImpostorError
	return errors.As(err, &ie)
}

// APIError is an error answer of the daemon.
type APIError struct {
	Status int
	api.ErrorResponse
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = fmt.Sprintf("helper daemon answered HTTP %d", e.Status)
	}
	if e.Hint != "" && !strings.Contains(msg, e.Hint) {
		msg += " (run `" + e.Hint + "`)"
	}
	return msg
}

// Running reports whether an obpm helper daemon answers at BaseURL (a short
// probe; anything else listening there does not count).
func (c *Client) Running(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	var h api.Health
	if err := c.do(ctx, http.MethodGet, "/healthz", false, &h); err != nil {
		return false
	}
	return h.Service == api.ServiceName
}

func (c *Client) do(ctx context.Context, method, path string, auth bool, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, nil)
	if err != nil {
		return err
	}
	if auth {
		if err := CheckLocal(c.BaseURL); err != nil {
			return err
		}
		if !c.verified {
			return fmt.Errorf("helper daemon at %s: not verified yet; the key is sent only to a daemon that proved it holds it", c.BaseURL)
		}
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("helper daemon at %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("helper daemon at %s: %w", c.BaseURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &APIError{Status: resp.StatusCode}
		_ = json.Unmarshal(b, &e.ErrorResponse)
		return e
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("helper daemon at %s: malformed answer: %w", c.BaseURL, err)
	}
	return nil
}

func pp(profile string) string { return "/v1/profiles/" + url.PathEscape(profile) }

// Token fetches a fresh token.
func (c *Client) Token(ctx context.Context, profile, kind string) (*api.TokenResponse, error) {
	var t api.TokenResponse
	if err := c.do(ctx, http.MethodGet, pp(profile)+"/token?kind="+url.QueryEscape(kind), true, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Profiles lists profiles with token states.
func (c *Client) Profiles(ctx context.Context) ([]api.ProfileInfo, error) {
	var out struct {
		Profiles []api.ProfileInfo `json:"profiles"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/profiles", true, &out); err != nil {
		return nil, err
	}
	return out.Profiles, nil
}

// StartLogin asks the daemon to start a browser login.
func (c *Client) StartLogin(ctx context.Context, profile string) (*api.LoginStart, error) {
	var s api.LoginStart
	if err := c.do(ctx, http.MethodPost, pp(profile)+"/login", true, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoginStatus polls a started login.
func (c *Client) LoginStatus(ctx context.Context, profile, id string) (*api.LoginState, error) {
	var s api.LoginState
	if err := c.do(ctx, http.MethodGet, pp(profile)+"/login/"+url.PathEscape(id), true, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// CancelLogin ends a started login, so that a late callback is refused.
func (c *Client) CancelLogin(ctx context.Context, profile, id string) error {
	var s api.LoginState
	return c.do(ctx, http.MethodDelete, pp(profile)+"/login/"+url.PathEscape(id), true, &s)
}

// Logout revokes and deletes the profile's tokens through the daemon.
func (c *Client) Logout(ctx context.Context, profile string) ([]string, error) {
	var out struct {
		Warnings []string `json:"warnings"`
	}
	if err := c.do(ctx, http.MethodPost, pp(profile)+"/logout", true, &out); err != nil {
		return nil, err
	}
	return out.Warnings, nil
}
