package oauthflow

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on callback parameters: far above real values, low enough that a
// hostile page cannot make the helper hold megabytes.
const (
	maxQueryLen = 16 << 10
	maxCodeLen  = 4096
	maxStateLen = 512
	maxTextLen  = 1024
)

// Callback errors. They never carry the code or the state.
var (
	ErrMalformedCallback = errors.New("the callback's query string is malformed")
	ErrMissingState      = errors.New("the callback has no state parameter")
	ErrStateMismatch     = errors.New("the callback's state does not match a login in progress")
	ErrMissingCode       = errors.New("the callback has neither a code nor an error")
)

// CallbackError is the provider's refusal passed to the redirect URI
// (`error` and `error_description`).
type CallbackError struct {
	Code        string
	Description string
}

func (e *CallbackError) Error() string {
	// The text comes from whoever sent the browser to the callback: quoted
	// and stripped of control and format characters (bidi overrides, zero
	// widths), it cannot pose as obpm's own words in a terminal.
	msg := "the provider refused the login: " + strconv.Quote(SafeText(e.Code))
	if e.Description != "" {
		msg += " (" + strconv.Quote(SafeText(e.Description)) + ")"
	}
	switch e.Code {
	case "access_denied":
		msg += "; the consent was denied, run `obpm login` again and approve"
	case "invalid_request", "unauthorized_client", "invalid_client":
		msg += "; check the profile's client_id and redirect_uri against the provider's registration"
	case "invalid_scope":
		msg += "; check the profile's scope"
	}
	return msg
}

// SafeText drops the control (Cc) and format (Cf: bidi overrides, zero-width
// characters) runes of text that came from outside, so that printing it
// cannot move the cursor, recolour the terminal or reorder what follows.
func SafeText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}

// CallbackParams are the parameters of a callback hit, decoded.
type CallbackParams struct {
	Code             string
	State            string
	Scope            string
	ClientInfo       string
	Error            string
	ErrorDescription string
}

// ParseCallback decodes a callback's raw query. It rejects malformed
// encoding, repeated parameters (an attacker appending a second state or
// code), over-long values and control characters.
func ParseCallback(rawQuery string) (CallbackParams, error) {
	if len(rawQuery) > maxQueryLen {
		return CallbackParams{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformedCallback, maxQueryLen)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return CallbackParams{}, fmt.Errorf("%w: %v", ErrMalformedCallback, err)
	}
	var p CallbackParams
	for _, f := range []struct {
		name string
		dst  *string
		max  int
		text bool
	}{
		{"code", &p.Code, maxCodeLen, false},
		{"state", &p.State, maxStateLen, false},
		{"scope", &p.Scope, maxTextLen, true},
		{"client_info", &p.ClientInfo, maxTextLen, true},
		{"error", &p.Error, 128, false},
		{"error_description", &p.ErrorDescription, maxTextLen, true},
	} {
		vals := q[f.name]
		if len(vals) > 1 {
			return CallbackParams{}, fmt.Errorf("%w: parameter %s appears %d times", ErrMalformedCallback, f.name, len(vals))
		}
		if len(vals) == 0 {
			continue
		}
		v := vals[0]
		if len(v) > f.max {
			return CallbackParams{}, fmt.Errorf("%w: parameter %s is longer than %d bytes", ErrMalformedCallback, f.name, f.max)
		}
		if !clean(v, f.text) {
			return CallbackParams{}, fmt.Errorf("%w: parameter %s holds control or non-ASCII characters", ErrMalformedCallback, f.name)
		}
		*f.dst = v
	}
	// KFTC URL-encodes the scope and a decoded '+' must become a space.
	p.Scope = strings.ReplaceAll(p.Scope, "+", " ")
	return p, nil
}

// clean: code, state and error are printable ASCII; free text may hold any
// printable Unicode (KFTC's error_description is Korean).
func clean(s string, text bool) bool {
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.IsControl(r) {
			return false
		}
		if !text && (r < 0x21 || r > 0x7e) {
			return false
		}
	}
	return true
}

// Check returns the code when the callback answers the login whose state is
// want, or the error to show: a *CallbackError for a provider refusal,
// ErrMissingState, ErrStateMismatch or ErrMissingCode.
func (p CallbackParams) Check(want string) (string, error) {
	if p.State == "" && p.Error == "" {
		return "", ErrMissingState
	}
	if p.State != "" && !SameState(p.State, want) {
		return "", ErrStateMismatch
	}
	if p.Error != "" {
		return "", &CallbackError{Code: p.Error, Description: p.ErrorDescription}
	}
	if p.State == "" {
		return "", ErrMissingState
	}
	if p.Code == "" {
		return "", ErrMissingCode
	}
	return p.Code, nil
}

// SameState compares states in constant time.
func SameState(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
