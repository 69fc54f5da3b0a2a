package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/obpm/obpm/internal/defaults"
)

// Profile is one OAuth client at one provider.
type Profile struct {
	Name             string `yaml:"-"`
	Provider         string `yaml:"provider"`
	BaseURL          string `yaml:"base_url,omitempty"`
	ClientID         string `yaml:"client_id"`
	RedirectURI      string `yaml:"redirect_uri"`
	Scope            string `yaml:"scope,omitempty"`
	InstitutionScope string `yaml:"institution_scope,omitempty"`
	// AuthorizeURL, TokenURL and RevokeURL describe a generic oauth2 provider.
	AuthorizeURL string `yaml:"authorize_url,omitempty"`
	TokenURL     string `yaml:"token_url,omitempty"`
	RevokeURL    string `yaml:"revoke_url,omitempty"`
	// PKCE turns S256 PKCE off for a generic provider that rejects it (default on).
	PKCE *bool `yaml:"pkce,omitempty"`
	// RefreshMargin is a Go duration such as "5m".
	RefreshMargin string `yaml:"refresh_margin,omitempty"`
}

func fieldNames() []string {
	return []string{"provider", "base_url", "client_id", "redirect_uri", "scope", "institution_scope",
		"authorize_url", "token_url", "revoke_url", "pkce", "refresh_margin"}
}

func knownField(s string) bool { return slices.Contains(fieldNames(), s) }
func knownFieldList() string   { return strings.Join(fieldNames(), ", ") }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateName checks a profile name (it appears in URLs and keyring keys).
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("profile name %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// Base URLs of the Open Banking providers.
const (
	SandboxBaseURL    = defaults.SandboxURL
	TestbedBaseURL    = "https://testapi.openbanking.or.kr"
	ProductionBaseURL = "https://openapi.openbanking.or.kr"
)

// Defaults of the sandbox's built-in client (docs/design.md).
const (
	SandboxClientID     = defaults.SandboxClientID
	SandboxClientSecret = defaults.SandboxClientSecret
	SandboxRedirectURI  = defaults.HelperCallback
)

// Default scopes.
const (
	OpenBankingUserScope        = defaults.OpenBankingUserScope
	OpenBankingInstitutionScope = "oob"
	// The sandbox grants every user scope of the embedded spec, so that a whole
	// generated collection (card, prepaid, insurance and loan requests too) runs.
	SandboxUserScope        = defaults.SandboxUserScope
	SandboxInstitutionScope = "oob sa"
)

// IsOpenBanking reports whether the provider speaks KFTC's dialect (client
// credentials in the form, auth_type=0, no PKCE).
func (p *Profile) IsOpenBanking() bool { return p.Provider != ProviderOAuth2 }

// Endpoints returns the authorize, token and revoke URLs.
func (p *Profile) Endpoints() (authorize, token, revoke string) {
	base := p.BaseURL
	switch p.Provider {
	case ProviderOAuth2:
		return p.AuthorizeURL, p.TokenURL, p.RevokeURL
	case ProviderTestbed:
		if base == "" {
			base = TestbedBaseURL
		}
	case ProviderProduction:
		if base == "" {
			base = ProductionBaseURL
		}
	default:
		if base == "" {
			base = SandboxBaseURL
		}
	}
	base = strings.TrimRight(base, "/")
	return base + "/oauth/2.0/authorize", base + "/oauth/2.0/token", base + "/oauth/2.0/revoke"
}

// ClientIdentity names the OAuth client a token was issued to: the provider,
// the token endpoint (which the base URL decides for Open Banking) and the
// client id. A token is only handed out, refreshed or revoked for a profile
// whose identity is the one it was issued under: `profile add --force` with
// another client (or a hand edit of the config) must not send one
// provider's tokens to another. The secret, redirect URI, scopes and margin
// are not part of it (a rotated secret is the same client).
func (p *Profile) ClientIdentity() string {
	_, token, _ := p.Endpoints()
	return p.Provider + " " + p.ClientID + " " + token
}

// UserScope returns the 3-legged scope.
func (p *Profile) UserScope() string {
	if p.Scope != "" || p.Provider == ProviderOAuth2 {
		return p.Scope
	}
	if p.Provider == ProviderSandbox {
		return SandboxUserScope
	}
	return OpenBankingUserScope
}

// InstScope returns the client-credentials scope.
func (p *Profile) InstScope() string {
	if p.InstitutionScope != "" || p.Provider == ProviderOAuth2 {
		return p.InstitutionScope
	}
	if p.Provider == ProviderSandbox {
		return SandboxInstitutionScope
	}
	return OpenBankingInstitutionScope
}

// UsePKCE reports whether the authorize request carries an S256 challenge.
func (p *Profile) UsePKCE() bool {
	if p.IsOpenBanking() {
		return false
	}
	return p.PKCE == nil || *p.PKCE
}

// Margin returns the refresh margin.
func (p *Profile) Margin() time.Duration {
	if p.RefreshMargin == "" {
		// The usual case, on every token read: ParseDuration's error for
		// "" would be built (and allocated) only to be dropped.
		return DefaultRefreshMargin
	}
	if d, err := time.ParseDuration(p.RefreshMargin); err == nil && d >= 0 {
		return d
	}
	return DefaultRefreshMargin
}

// Redirect returns the parsed redirect URI.
func (p *Profile) Redirect() (*url.URL, error) { return url.Parse(p.RedirectURI) }

// RedirectPort returns the redirect URI's port (0 for an ephemeral one).
func (p *Profile) RedirectPort() int {
	u, err := p.Redirect()
	if err != nil {
		return -1
	}
	n, _ := strconv.Atoi(u.Port())
	return n
}

type fieldError struct{ field, msg string }

// Validate checks the profile and returns an error naming the field and fix.
func (p *Profile) Validate() error {
	if err := ValidateName(p.Name); err != nil {
		return err
	}
	if fe := p.validate(); fe != nil {
		return fmt.Errorf("profile %q: %s", p.Name, fe.msg)
	}
	return nil
}

func (p *Profile) validate() *fieldError {
	if !slices.Contains(Providers(), p.Provider) {
		return &fieldError{"provider", fmt.Sprintf("provider %q is not one of %s", p.Provider, strings.Join(Providers(), ", "))}
	}
	if p.ClientID == "" {
		return &fieldError{"client_id", "client_id is empty (set it to the client id the provider issued)"}
	}
	if p.RefreshMargin != "" {
		if d, err := time.ParseDuration(p.RefreshMargin); err != nil || d < 0 {
			return &fieldError{"refresh_margin", fmt.Sprintf("refresh_margin %q is not a duration such as 5m", p.RefreshMargin)}
		}
	}
	if p.BaseURL != "" {
		if err := checkURL(p.BaseURL); err != nil {
			return &fieldError{"base_url", "base_url " + err.Error()}
		}
	}
	if p.Provider == ProviderOAuth2 {
		for _, f := range []struct{ name, val string }{{"authorize_url", p.AuthorizeURL}, {"token_url", p.TokenURL}} {
			if f.val == "" {
				return &fieldError{f.name, f.name + " is required for provider oauth2"}
			}
			if err := checkURL(f.val); err != nil {
				return &fieldError{f.name, f.name + " " + err.Error()}
			}
		}
		if p.RevokeURL != "" {
			if err := checkURL(p.RevokeURL); err != nil {
				return &fieldError{"revoke_url", "revoke_url " + err.Error()}
			}
		}
	}
	if msg := p.checkRedirect(); msg != "" {
		return &fieldError{"redirect_uri", msg}
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}

// checkRedirect: the callback is served on this machine, so the URI must be
// plain http on a loopback address. Open Banking matches host, port and path
// exactly, so it needs a fixed port; only generic providers may use port 0.
func (p *Profile) checkRedirect() string {
	if p.RedirectURI == "" {
		return "redirect_uri is empty (use the callback registered with the provider, e.g. " + SandboxRedirectURI + ")"
	}
	u, err := url.Parse(p.RedirectURI)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Sprintf("redirect_uri %q must be an http:// loopback URL such as %s", p.RedirectURI, SandboxRedirectURI)
	}
	if !IsLoopbackHost(u.Hostname()) {
		return fmt.Sprintf("redirect_uri %q must point at 127.0.0.1, [::1] or localhost (the helper serves the callback on this machine)", p.RedirectURI)
	}
	if u.Port() == "" {
		return fmt.Sprintf("redirect_uri %q needs an explicit port such as :8791", p.RedirectURI)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 0 || port > 65535 {
		return fmt.Sprintf("redirect_uri %q has a bad port", p.RedirectURI)
	}
	if port == 0 && p.IsOpenBanking() {
		return fmt.Sprintf("redirect_uri %q: Open Banking matches the registered port exactly, so port 0 is not allowed (use the registered one, e.g. 8791)", p.RedirectURI)
	}
	if u.Path == "" || u.Path == "/" {
		return fmt.Sprintf("redirect_uri %q needs a path such as /callback", p.RedirectURI)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("redirect_uri %q must not carry a query or fragment", p.RedirectURI)
	}
	if u.Path == "/healthz" || u.Path == "/v1" || strings.HasPrefix(u.Path, "/v1/") {
		// The daemon's own routes come first: a callback there never reaches the login.
		return fmt.Sprintf("redirect_uri %q: path %s belongs to the helper daemon's API (use a path such as /callback)", p.RedirectURI, u.Path)
	}
	return ""
}

// IsLoopbackHost reports whether host (without port) is localhost or a
// loopback IP address.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
