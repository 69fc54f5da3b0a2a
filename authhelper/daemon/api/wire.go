package api

import "time"

// ServiceName identifies the daemon in /healthz.
const ServiceName = "obpm-helper"

// TokenResponse is the JSON of GET /v1/profiles/{p}/token (docs/design.md)
// and of `obpm token --json`. Extra carries every other field of the
// provider's token response.
type TokenResponse struct {
	AccessToken   string         `json:"access_token"`
	TokenType     string         `json:"token_type"`
	ExpiresAt     *time.Time     `json:"expires_at,omitempty"`
	Scope         string         `json:"scope,omitempty"`
	UserSeqNo     string         `json:"user_seq_no,omitempty"`
	ClientUseCode string         `json:"client_use_code,omitempty"`
	Extra         map[string]any `json:"extra,omitempty"`
	// ConfigError is set when the token was served although the config file
	// does not parse right now (from the last good config and the tokens
	// the daemon holds): fix the file, the token itself is good.
	ConfigError string `json:"config_error,omitempty"`
}

// ErrorResponse is every error's JSON.
type ErrorResponse struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// Health is the answer of GET /healthz. With ?nonce=N it carries Proof,
// api.Proof(key, N, the address the caller connected to): clients
// check it before they send the key (a squatter on the port cannot compute
// it, and the key never crosses the wire).
type Health struct {
	Status  string `json:"status"`
	Service string `json:"service"`
	Port    int    `json:"port,omitempty"`
	PID     int    `json:"pid,omitempty"`
	Proof   string `json:"proof,omitempty"`
}

// ProfileInfo is one entry of GET /v1/profiles.
type ProfileInfo struct {
	Name        string      `json:"name"`
	Provider    string      `json:"provider"`
	ClientID    string      `json:"client_id"`
	RedirectURI string      `json:"redirect_uri"`
	Default     bool        `json:"default,omitempty"`
	User        TokenStatus `json:"user"`
	Institution TokenStatus `json:"institution"`
}

// LoginStart is the answer of POST /v1/profiles/{p}/login.
type LoginStart struct {
	LoginID      string    `json:"login_id"`
	AuthorizeURL string    `json:"authorize_url"`
	RedirectURI  string    `json:"redirect_uri"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// LoginState is the answer of GET /v1/profiles/{p}/login/{id}.
type LoginState struct {
	Status    LoginStatus `json:"status"`
	Message   string      `json:"message,omitempty"`
	UserSeqNo string      `json:"user_seq_no,omitempty"`
	Scope     string      `json:"scope,omitempty"`
	ExpiresAt *time.Time  `json:"expires_at,omitempty"`
}

// TokenStatus describes one token in GET /v1/profiles and `obpm status`.
type TokenStatus struct {
	Kind             string     `json:"kind"` // user or institution
	State            TokenState `json:"state"`
	ExpiresAt        *time.Time `json:"expires_at,omitempty"`
	RefreshExpiresAt *time.Time `json:"refresh_expires_at,omitempty"`
	Scope            string     `json:"scope,omitempty"`
	UserSeqNo        string     `json:"user_seq_no,omitempty"`
	ClientUseCode    string     `json:"client_use_code,omitempty"`
	Message          string     `json:"message,omitempty"`
	// NotPersisted: the current token is only in memory (the keyring write
	// failed and is being retried); PersistError says why.
	NotPersisted bool   `json:"not_persisted,omitempty"`
	PersistError string `json:"persist_error,omitempty"`
}

// TokenState is a token's state in TokenStatus.
type TokenState string

// Token states.
const (
	TokenOK          TokenState = "ok"
	TokenExpired     TokenState = "expired"
	TokenLoginNeeded TokenState = "login_needed"
	TokenNone        TokenState = "none"
	TokenError       TokenState = "error"
)

// LoginStatus is a login's state in LoginState.
type LoginStatus string

// Login states.
const (
	LoginPending   LoginStatus = "pending"
	LoginSucceeded LoginStatus = "succeeded"
	LoginFailed    LoginStatus = "failed"
)
