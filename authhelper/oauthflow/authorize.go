// Package oauthflow speaks OAuth 2.0 to Open Banking (the KFTC testbed and
// production, and obpm's sandbox) and to generic providers: the authorize
// URL with a single-use state (and PKCE S256 for generic providers), the
// callback's query, the token grants (authorization code, refresh token,
// client credentials) keeping every extra response field, and revocation.
package oauthflow

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/obpm/obpm/authhelper/config"
)

// Authorization is one pending 3-legged login: what the callback must match.
type Authorization struct {
	ID          string
	Profile     string
	State       string
	Verifier    string // PKCE code verifier; empty without PKCE
	RedirectURI string
	URL         string // the authorize URL to open
	Created     time.Time
	// StatelessErrors: the provider is known to send its error callback
	// without the state (KFTC's documented failure redirect carries only
	// error and error_description), so such a callback may end this login.
	// For everyone else a state-less error is a stray hit that any web page
	// could send to abort the login, and it is ignored.
	StatelessErrors bool
}

// NewAuthorization makes a fresh state (and PKCE verifier for providers that
// use it) and the authorize URL for profile p, with the callback at redirectURI
// (normally p.RedirectURI; differs only when a generic provider's port 0 was
// replaced by the real port).
func NewAuthorization(p *config.Profile, redirectURI string, now time.Time) (*Authorization, error) {
	authURL, _, _ := p.Endpoints()
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("profile %q: authorize URL %q: %w", p.Name, authURL, err)
	}
	a := &Authorization{ID: randomHex(8), Profile: p.Name, State: randomHex(16), RedirectURI: redirectURI, Created: now,
		StatelessErrors: p.Provider == config.ProviderTestbed || p.Provider == config.ProviderProduction}
	q := u.Query()
	q.Set("response_type", "code")
	q.Set("client_id", p.ClientID)
	q.Set("redirect_uri", redirectURI)
	if s := p.UserScope(); s != "" {
		q.Set("scope", s)
	}
	q.Set("state", a.State)
	if p.IsOpenBanking() {
		// First authentication (auth_type 0, docs/openbanking-api.md): always show the
		// consent screen; 2 needs Kftc-Bfop headers a browser cannot send.
		q.Set("auth_type", "0")
	}
	if p.UsePKCE() {
		a.Verifier = oauth2.GenerateVerifier()
		q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(a.Verifier))
		q.Set("code_challenge_method", "S256")
	}
	u.RawQuery = q.Encode()
	a.URL = u.String()
	return a, nil
}

// randomHex returns 2n hex characters from crypto/rand; 16 bytes give the
// 32-character state Open Banking asks for.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}
