package oauthflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/tokenstore"
)

// DefaultHTTPTimeout bounds every call to the provider.
const DefaultHTTPTimeout = 30 * time.Second

// opExchange names the authorization-code grant in errors.
const opExchange = "exchange code"

// maxBody caps what is read from a provider (as golang.org/x/oauth2 does).
const maxBody = 1 << 20

// Client talks to one profile's provider.
type Client struct {
	Profile *config.Profile
	Secret  string
	// HTTP defaults to a client with DefaultHTTPTimeout.
	HTTP *http.Client
	// Now defaults to time.Now.
	Now func() time.Time
	// Ident caches Profile.ClientIdentity() (session.NewResolver sets it,
	// so that checking a token's client on every read costs no allocation);
	// Identity computes it when empty.
	Ident string
}

// Identity is the profile's ClientIdentity: every token this client gets is
// stamped with it, and a token stamped with another is not this client's.
func (c *Client) Identity() string {
	if c.Ident != "" {
		return c.Ident
	}
	return c.Profile.ClientIdentity()
}

// ProviderError is a token or revoke endpoint's refusal or failure. It never
// holds the response body (which could hold a token).
type ProviderError struct {
	Op          string // "exchange code", "refresh", "client credentials", "revoke"
	Status      int    // HTTP status; 0 when no response arrived
	Code        string // RFC 6749 error
	Description string // RFC 6749 error_description
	RspCode     string // Open Banking rsp_code
	RspMessage  string // Open Banking rsp_message
	Err         error  // transport or decoding error
}

func (e *ProviderError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s at the provider", e.Op)
	switch {
	case e.Err != nil:
		fmt.Fprintf(&b, ": %v", e.Err)
	case e.RspCode != "":
		fmt.Fprintf(&b, ": %s %s", e.RspCode, e.RspMessage)
	case e.Code != "":
		fmt.Fprintf(&b, ": %s", e.Code)
		if e.Description != "" {
			fmt.Fprintf(&b, " (%s)", e.Description)
		}
	}
	if e.Status != 0 && e.Status != http.StatusOK {
		fmt.Fprintf(&b, " [HTTP %d]", e.Status)
	}
	return b.String()
}

func (e *ProviderError) Unwrap() error { return e.Err }

// Refused reports whether the provider answered and said no (bad grant,
// client or scope), as opposed to being down, slow or garbled. For a refresh,
// a refusal means the refresh token is dead and a new login is needed.
func (e *ProviderError) Refused() bool {
	if e.Err != nil {
		return false
	}
	if e.RspCode != "" {
		// Open Banking's O-class codes are authorization refusals (O0001
		// bad parameter/expired grant, O0002 rejected token, O0011 scope);
		// A-class codes such as A0003 are service failures worth retrying.
		return strings.HasPrefix(e.RspCode, "O")
	}
	return e.Status >= 400 && e.Status < 500 && e.Code != ""
}

// IsRefused reports whether err is a provider refusal.
func IsRefused(err error) bool {
	var pe *ProviderError
	return errors.As(err, &pe) && pe.Refused()
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: DefaultHTTPTimeout}
}

// Exchange trades an authorization code for the user token.
func (c *Client) Exchange(ctx context.Context, code, verifier, redirectURI string) (*tokenstore.Token, error) {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	return c.token(ctx, opExchange, f)
}

// Refresh renews the user token with the refresh_token grant. Open Banking
// gets the profile's scope again (its refresh grant names one).
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*tokenstore.Token, error) {
	f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	if c.Profile.IsOpenBanking() {
		f.Set("scope", c.Profile.UserScope())
	}
	return c.token(ctx, "refresh", f)
}

// ClientCredentials fetches the institution token (2-legged).
func (c *Client) ClientCredentials(ctx context.Context) (*tokenstore.Token, error) {
	f := url.Values{"grant_type": {"client_credentials"}}
	if s := c.Profile.InstScope(); s != "" {
		f.Set("scope", s)
	}
	return c.token(ctx, "client credentials", f)
}

func (c *Client) token(ctx context.Context, op string, f url.Values) (*tokenstore.Token, error) {
	_, tokenURL, _ := c.Profile.Endpoints()
	// Open Banking wants client_id and client_secret in the form body
	// (client_secret_post); generic providers accept that too.
	f.Set("client_id", c.Profile.ClientID)
	if c.Secret != "" {
		f.Set("client_secret", c.Secret)
	}
	m, status, err := c.post(ctx, tokenURL, f)
	if err != nil {
		return nil, &ProviderError{Op: op, Status: status, Err: err}
	}
	if pe := errorFrom(op, status, m); pe != nil {
		return nil, pe
	}
	t, err := tokenstore.FromResponse(m, c.now())
	if err == nil {
		t.Client = c.Identity()
		err = c.complete(op, t)
	}
	if err != nil {
		return nil, &ProviderError{Op: op, Status: status, Err: err}
	}
	return t, nil
}

// complete checks that an Open Banking token response has the fields every
// such response carries (docs/openbanking-api.md): without expires_in the
// token would be served for ever and never renewed, and a user token without
// user_seq_no cannot call the user APIs. A refresh may leave user_seq_no out
// (session.Manager keeps the old value). Generic providers may omit
// expires_in (RFC 6749 §5.1).
func (c *Client) complete(op string, t *tokenstore.Token) error {
	if !c.Profile.IsOpenBanking() {
		return nil
	}
	if t.Expiry.IsZero() {
		return errors.New("token response has no expires_in")
	}
	if op == opExchange && t.UserSeqNo() == "" {
		return errors.New("token response has no user_seq_no")
	}
	return nil
}

// errorFrom finds a refusal in a decoded response: Open Banking answers
// HTTP 200 with rsp_code, RFC 6749 providers a 4xx with error.
func errorFrom(op string, status int, m map[string]any) *ProviderError {
	str := func(k string) string { s, _ := m[k].(string); return s }
	_, hasToken := m["access_token"]
	switch {
	case str("error") != "":
		return &ProviderError{Op: op, Status: status, Code: str("error"), Description: str("error_description")}
	case str("rsp_code") != "" && !hasToken && str("rsp_code") != "A0000":
		return &ProviderError{Op: op, Status: status, RspCode: str("rsp_code"), RspMessage: str("rsp_message")}
	case status < 200 || status > 299:
		return &ProviderError{Op: op, Status: status, Err: fmt.Errorf("unexpected HTTP status %d", status)}
	}
	return nil
}

// post sends a form and decodes a JSON (or form-encoded) object.
func (c *Client) post(ctx context.Context, endpoint string, f url.Values) (map[string]any, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(f.Encode()))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		// Strip the URL-carrying wrapper's query (there is none; the form is
		// in the body) but keep the cause: refused, timeout, DNS.
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("read response: %w", err)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" || ct == "text/plain" {
		if v, perr := url.ParseQuery(string(body)); perr == nil && (v.Has("access_token") || v.Has("error")) {
			m := map[string]any{}
			for k := range v {
				m[k] = v.Get(k)
			}
			return m, resp.StatusCode, nil
		}
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		if resp.StatusCode >= 400 {
			return nil, resp.StatusCode, fmt.Errorf("HTTP %d with a body that is not a JSON object", resp.StatusCode)
		}
		return nil, resp.StatusCode, fmt.Errorf("malformed response: not a JSON object (%d bytes, Content-Type %q)", len(body), resp.Header.Get("Content-Type"))
	}
	return m, resp.StatusCode, nil
}

// Revoke ends a token at the provider. Profiles without a revoke endpoint
// return nil. Open Banking's field name is unconfirmed (access_token or
// token), so both are sent; RFC 7009 providers read token.
func (c *Client) Revoke(ctx context.Context, token, hint string) error {
	_, _, revokeURL := c.Profile.Endpoints()
	if revokeURL == "" || token == "" {
		return nil
	}
	f := url.Values{"client_id": {c.Profile.ClientID}, "token": {token}}
	if c.Secret != "" {
		f.Set("client_secret", c.Secret)
	}
	if c.Profile.IsOpenBanking() {
		f.Set("access_token", token)
	} else if hint != "" {
		f.Set("token_type_hint", hint)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, revokeURL, strings.NewReader(f.Encode()))
	if err != nil {
		return &ProviderError{Op: "revoke", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return &ProviderError{Op: "revoke", Err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	if pe := errorFrom("revoke", resp.StatusCode, m); pe != nil {
		return pe
	}
	return nil
}
