// Package session hands out fresh tokens per profile: it serves them from
// memory, loads them from the keyring once, renews them before expiry (one
// renewal per profile however many callers wait, with backoff after a
// failure), and marks a profile "login needed" when its refresh token is dead.
// A token is only ever replaced by a new one the provider issued.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/oauthflow"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/internal/filelock"
)

// Backoff bounds after a failed renewal.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 5 * time.Minute
)

// LoginRequiredError means there is no usable user token: log in again.
type LoginRequiredError struct {
	Profile string
	Reason  string
}

func (e *LoginRequiredError) Error() string {
	return fmt.Sprintf("profile %q needs a login: %s (run `obpm login --profile %s`)", e.Profile, e.Reason, e.Profile)
}

// Resolver returns the provider client of a profile (config + client
// secret); a *config.UnknownProfileError for a name not in the config.
type Resolver func(ctx context.Context, profile string) (*oauthflow.Client, error)

// Manager is safe for concurrent use.
type Manager struct {
	Store   *tokenstore.Store
	Resolve Resolver
	Log     *slog.Logger
	Now     func() time.Time
	// Margin overrides every profile's refresh margin when > 0.
	Margin                 time.Duration
	MinBackoff, MaxBackoff time.Duration
	// Lock, when set, is held across processes around a user-token refresh
	// (FileLocks), so that parallel `obpm token` runs and the daemon renew
	// once instead of each spending the same rotating refresh token.
	Lock Locker
	// PID identifies this process in the pending-refresh record (default os.Getpid).
	PID int

	mu      sync.Mutex
	entries map[key]*entry
	// known is a copy of entries read without mu (entries are never
	// removed, so a copy made at an insertion stays true): a token read
	// takes no lock to find its entry.
	known atomic.Pointer[map[key]*entry]
}

type key struct {
	profile string
	kind    tokenstore.Kind
}

type entry struct {
	lock chan struct{} // 1-slot: a lock that a waiting caller can give up on
	// cur is tok as of the last release, read without the lock by Token's
	// fast path (64 callers queueing on lock for a fresh token cost a
	// third of the daemon's throughput).
	cur         atomic.Pointer[tokenstore.Token]
	loaded      bool
	tok         *tokenstore.Token
	loginNeeded string // reason; set when the refresh token is dead
	lastErr     error
	nextTry     time.Time
	backoff     time.Duration
	// unsaved is set while tok, issued by the provider, failed to reach the
	// keyring: the only copy of a rotated refresh token is then in memory.
	// Writes are retried (saveNext, with backoff) and flushed at shutdown.
	unsaved     bool
	saveErr     error
	saveNext    time.Time
	saveBackoff time.Duration
}

// Locker takes a cross-process lock for a profile's token.
type Locker func(ctx context.Context, profile string, kind tokenstore.Kind) (unlock func(), err error)

// FileLocks is a Locker over lock files in dir (one per profile and kind).
func FileLocks(dir string) Locker {
	return func(ctx context.Context, profile string, kind tokenstore.Kind) (func(), error) {
		return filelock.Lock(ctx, filepath.Join(dir, profile+"."+string(kind)+".lock"))
	}
}

// lockWait bounds the wait for another process's refresh (an HTTP call and
// a few keyring writes, each with its own timeout).
const lockWait = 2 * time.Minute

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) log() *slog.Logger {
	if m.Log != nil {
		return m.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (m *Manager) entry(profile string, kind tokenstore.Kind) *entry {
	k := key{profile, kind}
	if known := m.known.Load(); known != nil {
		if e := (*known)[k]; e != nil {
			return e
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[key]*entry{}
	}
	e := m.entries[k]
	if e == nil {
		e = &entry{lock: make(chan struct{}, 1)}
		m.entries[k] = e
		known := maps.Clone(m.entries)
		m.known.Store(&known)
	}
	return e
}

func (e *entry) acquire(ctx context.Context) error {
	select {
	case e.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release publishes tok for the fast path and unlocks. An unsaved token is
// not published: its reads take the locked path, which retries the write.
func (e *entry) release() {
	if e.unsaved {
		e.cur.Store(nil)
	} else {
		e.cur.Store(e.tok)
	}
	<-e.lock
}

// loadLocked reads the keyring once per entry (the entry lock is held).
func (m *Manager) loadLocked(ctx context.Context, e *entry, profile string, kind tokenstore.Kind) error {
	if e.loaded {
		return nil
	}
	t, err := m.Store.Load(ctx, profile, kind)
	switch {
	case err == nil:
		e.tok = t
	case errors.Is(err, tokenstore.ErrNotFound):
		e.tok = nil
	default:
		return err
	}
	e.loaded = true
	return nil
}

// Token returns a usable token of kind for profile, renewing it first when
// it is due. While a renewal fails for a passing reason the old token is
// served as long as it is valid.
func (m *Manager) Token(ctx context.Context, profile string, kind tokenstore.Kind) (*tokenstore.Token, error) {
	e := m.entry(profile, kind)
	// Fast path: a loaded token that is not due is what the locked path
	// below would return too; anything else (and any error) takes it.
	if t := e.cur.Load(); t != nil {
		if client, err := m.Resolve(ctx, profile); err == nil && t.Client == client.Identity() && !t.RefreshDue(m.now(), m.margin(client)) {
			return t, nil
		}
	}
	if err := e.acquire(ctx); err != nil {
		return nil, err
	}
	defer e.release()
	if err := m.loadLocked(ctx, e, profile, kind); err != nil {
		return nil, err
	}
	client, err := m.Resolve(ctx, profile)
	if err == nil {
		m.own(e, client, profile, kind)
	}
	if e.unsaved && !m.now().Before(e.saveNext) {
		m.persist(ctx, e, profile, kind)
	}
	if err != nil {
		return nil, err
	}
	now := m.now()
	margin := m.margin(client)
	if e.tok != nil && !e.tok.RefreshDue(now, margin) {
		return e.tok, nil
	}
	if kind == tokenstore.User {
		return m.renewUser(ctx, e, client, now, margin)
	}
	return m.renewInstitution(ctx, e, client, now)
}

// own applies the client rule to the entry's token (the entry lock is
// held): a token issued to another client than the profile's now (its
// provider, token URL or client id changed: `obpm profile add --force`, a
// hand edit of the config) is dropped from memory, so it is neither handed
// out nor sent to the new provider in a refresh or a revoke; a token stored
// before tokens recorded their client is taken as the profile's.
func (m *Manager) own(e *entry, c *oauthflow.Client, profile string, kind tokenstore.Kind) {
	if e.tok == nil {
		return
	}
	id := c.Identity()
	switch e.tok.Client {
	case id:
		return
	case "":
		// A copy: the published token may be read by the fast path.
		t := *e.tok
		t.Client = id
		e.tok = &t
		return
	}
	m.log().Warn("the token was issued to another client than the profile's (its provider, base URL or client id changed); dropped",
		"profile", profile, "kind", string(kind))
	e.tok, e.loginNeeded, e.lastErr, e.backoff, e.nextTry = nil, "", nil, 0, time.Time{}
	e.unsaved, e.saveErr, e.saveBackoff, e.saveNext = false, nil, 0, time.Time{}
}

// storedFor reads the stored set of profile's kind token under own's rule:
// a set issued to another client than c counts as none.
func (m *Manager) storedFor(ctx context.Context, c *oauthflow.Client, profile string, kind tokenstore.Kind) (*tokenstore.Token, error) {
	t, err := m.Store.Load(ctx, profile, kind)
	if err != nil {
		return nil, err
	}
	switch id := c.Identity(); t.Client {
	case id:
	case "":
		t.Client = id
	default:
		return nil, fmt.Errorf("the stored %s token of profile %q was issued to another client: %w", kind, profile, tokenstore.ErrNotFound)
	}
	return t, nil
}

// margin is how long before expiry a profile's tokens are renewed.
func (m *Manager) margin(c *oauthflow.Client) time.Duration {
	if m.Margin > 0 {
		return m.Margin
	}
	return c.Profile.Margin()
}

func (m *Manager) renewUser(ctx context.Context, e *entry, c *oauthflow.Client, now time.Time, margin time.Duration) (*tokenstore.Token, error) {
	profile := c.Profile.Name
	if e.tok == nil || e.loginNeeded != "" {
		// Another process (`obpm login` on a port the daemon does not own)
		// may have stored a new token since we read the keyring.
		if t, err := m.storedFor(ctx, c, profile, tokenstore.User); err == nil && (e.tok == nil || t.AccessToken != e.tok.AccessToken) {
			e.tok, e.loginNeeded, e.lastErr, e.backoff, e.nextTry = t, "", nil, 0, time.Time{}
			if !t.RefreshDue(now, margin) {
				return t, nil
			}
		}
	}
	old := e.tok
	switch {
	case old == nil:
		return nil, &LoginRequiredError{Profile: profile, Reason: "no user token stored"}
	case e.loginNeeded != "":
		return m.serveOld(old, now, &LoginRequiredError{Profile: profile, Reason: e.loginNeeded})
	case old.RefreshToken == "":
		return m.serveOld(old, now, &LoginRequiredError{Profile: profile, Reason: "the user token expired and there is no refresh token"})
	case !old.RefreshExpiry.IsZero() && now.After(old.RefreshExpiry):
		e.loginNeeded = "the refresh token expired"
		return m.serveOld(old, now, &LoginRequiredError{Profile: profile, Reason: e.loginNeeded})
	case now.Before(e.nextTry):
		return m.serveOld(old, now, e.lastErr)
	}
	if m.Lock != nil {
		lctx, cancel := context.WithTimeout(ctx, lockWait)
		unlock, err := m.Lock(lctx, profile, tokenstore.User)
		cancel()
		if err != nil {
			return m.serveOld(old, now, fmt.Errorf("wait for another obpm process's refresh of profile %q: %w", profile, err))
		}
		defer unlock()
		// Another process may have renewed while we waited for the lock.
		if t := m.newerStored(ctx, e, c, false); t != nil && !t.RefreshDue(now, margin) {
			return t, nil
		}
		old = e.tok
	}
	// Tell a later start what happened if this process dies mid-refresh.
	earlier, jerr := m.Store.BeginRefresh(ctx, profile, tokenstore.User, tokenstore.Pending{Started: now.UTC(), PID: m.pid()})
	if jerr != nil {
		m.log().Warn("could not record the refresh as pending", "profile", profile, "reason", jerr.Error())
	}
	nt, err := c.Refresh(ctx, old.RefreshToken)
	if err != nil && oauthflow.IsRefused(err) {
		// Refused: another process may have rotated it and stored the new
		// one (a CI matrix of `obpm token`s); else the refresh token this
		// one replaced, which a provider with a grace period still takes.
		if t := m.newerStored(ctx, e, c, true); t != nil {
			if !t.RefreshDue(now, margin) {
				return t, nil
			}
			old = t
			nt, err = c.Refresh(ctx, old.RefreshToken)
		} else if prev := old.PreviousRefresh; prev != "" && prev != old.RefreshToken {
			if pt, perr := c.Refresh(ctx, prev); perr == nil {
				m.log().Warn("the stored refresh token was refused, the previous one worked", "profile", profile)
				nt, err = pt, nil
			}
		}
	}
	if err != nil {
		if oauthflow.IsRefused(err) {
			e.loginNeeded = "the provider refused the refresh token: " + err.Error()
			if earlier != nil {
				e.loginNeeded = interrupted(earlier) + " (the provider says: " + err.Error() + ")"
			} else if jerr == nil {
				// This refresh's own record: its outcome is known, nothing rotated.
				_ = m.Store.EndRefresh(ctx, profile, tokenstore.User)
			}
			m.log().Warn("refresh token refused; login needed", "profile", profile, "reason", e.loginNeeded)
			return m.serveOld(old, now, &LoginRequiredError{Profile: profile, Reason: e.loginNeeded})
		}
		m.failed(e, now, err)
		m.log().Warn("refresh failed; will retry", "profile", profile, "retry_in", e.backoff.String(), "reason", err.Error())
		return m.serveOld(old, now, err)
	}
	// Providers that do not rotate refresh tokens, or that leave out fields
	// such as user_seq_no on a refresh, keep the old values.
	if nt.RefreshToken == "" {
		nt.RefreshToken = old.RefreshToken
		nt.RefreshExpiry = old.RefreshExpiry
		nt.PreviousRefresh = old.PreviousRefresh
	} else if nt.RefreshToken != old.RefreshToken {
		nt.PreviousRefresh = old.RefreshToken
	}
	for k, v := range old.Extra {
		if _, ok := nt.Extra[k]; !ok {
			if nt.Extra == nil {
				nt.Extra = map[string]any{}
			}
			nt.Extra[k] = v
		}
	}
	// The provider may have rotated the refresh token: the keyring first,
	// before anything else this process does (a log line, a counter).
	m.adopt(ctx, e, profile, tokenstore.User, nt)
	m.log().Info("user token refreshed", "profile", profile, "expires_at", nt.Expiry.Format(time.RFC3339))
	return nt, nil
}

// interrupted explains a pending-refresh record left by a process that died.
func interrupted(p *tokenstore.Pending) string {
	who := "an obpm process"
	if p.PID > 0 {
		who = fmt.Sprintf("obpm process %d", p.PID)
	}
	when := ""
	if !p.Started.IsZero() {
		when = " at " + p.Started.UTC().Format(time.RFC3339)
	}
	return "a token refresh started" + when + " by " + who + " never finished (the process was killed, crashed or lost the provider's answer after the request went out): " +
		"the provider rotated the refresh token, the new one never reached the keyring, and the old one is no longer accepted"
}

// newerStored re-reads the keyring and adopts a token set that another
// process stored since this one read it; nil when there is none. With
// newRefresh only a set with another refresh token counts (after a refusal,
// the same refresh token again is no use). An unsaved token in memory is
// newer than anything stored and is kept.
func (m *Manager) newerStored(ctx context.Context, e *entry, c *oauthflow.Client, newRefresh bool) *tokenstore.Token {
	if e.unsaved || e.tok == nil {
		return nil
	}
	t, err := m.storedFor(ctx, c, c.Profile.Name, tokenstore.User)
	if err != nil || t.RefreshToken == e.tok.RefreshToken && (newRefresh || t.AccessToken == e.tok.AccessToken) {
		return nil
	}
	e.tok, e.loginNeeded, e.lastErr, e.backoff, e.nextTry = t, "", nil, 0, time.Time{}
	return t
}

func (m *Manager) pid() int {
	if m.PID != 0 {
		return m.PID
	}
	return os.Getpid()
}

func (m *Manager) renewInstitution(ctx context.Context, e *entry, c *oauthflow.Client, now time.Time) (*tokenstore.Token, error) {
	profile := c.Profile.Name
	if now.Before(e.nextTry) && e.lastErr != nil {
		return m.serveOld(e.tok, now, e.lastErr)
	}
	nt, err := c.ClientCredentials(ctx)
	if err != nil {
		m.failed(e, now, err)
		m.log().Warn("institution token failed; will retry", "profile", profile, "retry_in", e.backoff.String(), "reason", err.Error())
		return m.serveOld(e.tok, now, err)
	}
	m.log().Info("institution token issued", "profile", profile, "expires_at", nt.Expiry.Format(time.RFC3339))
	m.adopt(ctx, e, profile, tokenstore.Institution, nt)
	return nt, nil
}

// adopt makes nt current and writes it to the keyring. A keyring failure is
// not fatal: the provider may have rotated the refresh token, so the new set
// in memory is the only one that works; it is marked unsaved, and the write
// is retried with backoff (each Token call and the daemon's ticker) and at
// shutdown (Flush) until it lands.
func (m *Manager) adopt(ctx context.Context, e *entry, profile string, kind tokenstore.Kind, nt *tokenstore.Token) {
	e.tok, e.lastErr, e.backoff, e.nextTry, e.loginNeeded = nt, nil, 0, time.Time{}, ""
	e.unsaved, e.saveBackoff = true, 0
	m.persist(ctx, e, profile, kind)
}

// persist writes e.tok to the keyring (the entry lock is held).
func (m *Manager) persist(ctx context.Context, e *entry, profile string, kind tokenstore.Kind) {
	err := m.Store.Save(ctx, profile, kind, e.tok)
	if err == nil {
		if e.saveErr != nil {
			m.log().Info("the new token is now in the keyring", "profile", profile, "kind", string(kind))
		}
		e.unsaved, e.saveErr, e.saveBackoff, e.saveNext = false, nil, 0, time.Time{}
		if kind == tokenstore.User {
			if err := m.Store.EndRefresh(ctx, profile, kind); err != nil {
				m.log().Warn("could not clear the pending-refresh record", "profile", profile, "reason", err.Error())
			}
		}
		return
	}
	lo, hi := m.MinBackoff, m.MaxBackoff
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	e.saveErr = err
	e.saveBackoff = min(max(e.saveBackoff*2, lo), hi)
	e.saveNext = m.now().Add(e.saveBackoff)
	m.log().Error("could not write the new token to the keyring; it is kept in memory and the write is retried",
		"profile", profile, "kind", string(kind), "retry_in", e.saveBackoff.String(), "reason", err.Error())
}

// NotPersistedError lists tokens that are only in memory after Flush.
type NotPersistedError struct {
	Profiles []string // profile/kind
	Err      error    // the last keyring error
}

func (e *NotPersistedError) Error() string {
	return fmt.Sprintf("new token(s) of %s not persisted to the keyring (%v): the next start will need `obpm login` if the provider rotated the refresh token", strings.Join(e.Profiles, ", "), e.Err)
}

func (e *NotPersistedError) Unwrap() error { return e.Err }

// Flush writes every unsaved token now (no backoff): at shutdown, and at the
// end of a daemon-less command. It returns a *NotPersistedError for those
// still unsaved.
func (m *Manager) Flush(ctx context.Context) error {
	m.mu.Lock()
	keys := make([]key, 0, len(m.entries))
	for k := range m.entries {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	var left *NotPersistedError
	for _, k := range keys {
		e := m.entry(k.profile, k.kind)
		if err := e.acquire(ctx); err != nil {
			return err
		}
		if e.unsaved {
			m.persist(ctx, e, k.profile, k.kind)
		}
		if e.unsaved {
			if left == nil {
				left = &NotPersistedError{}
			}
			left.Profiles = append(left.Profiles, k.profile+"/"+string(k.kind))
			left.Err = e.saveErr
		}
		e.release()
	}
	if left != nil {
		return left
	}
	return nil
}

func (m *Manager) failed(e *entry, now time.Time, err error) {
	lo, hi := m.MinBackoff, m.MaxBackoff
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	e.backoff = min(max(e.backoff*2, lo), hi)
	e.nextTry = now.Add(e.backoff)
	e.lastErr = err
}

// serveOld returns the old token while it is still valid, else err.
func (m *Manager) serveOld(old *tokenstore.Token, now time.Time, err error) (*tokenstore.Token, error) {
	if old.Valid(now) {
		return old, nil
	}
	return nil, err
}

// Put makes t the profile's token after a login (keyring first: a login
// whose token cannot be stored fails, so a restart never loses it).
func (m *Manager) Put(ctx context.Context, profile string, kind tokenstore.Kind, t *tokenstore.Token) error {
	e := m.entry(profile, kind)
	if err := e.acquire(ctx); err != nil {
		return err
	}
	defer e.release()
	if err := m.Store.Save(ctx, profile, kind, t); err != nil {
		return err
	}
	e.tok, e.loaded, e.lastErr, e.backoff, e.nextTry, e.loginNeeded = t, true, nil, 0, time.Time{}, ""
	e.unsaved, e.saveErr = false, nil
	if kind == tokenstore.User {
		if err := m.Store.EndRefresh(ctx, profile, kind); err != nil {
			m.log().Warn("could not clear the pending-refresh record", "profile", profile, "reason", err.Error())
		}
	}
	return nil
}

// CompleteLogin is the oauthflow.Completer of a 3-legged login (the
// daemon's and `obpm login`'s own): it exchanges the code for the user token
// and makes it the profile's (Put).
func (m *Manager) CompleteLogin(ctx context.Context, a *oauthflow.Authorization, code string) (*tokenstore.Token, error) {
	c, err := m.Resolve(ctx, a.Profile)
	if err != nil {
		return nil, err
	}
	tok, err := c.Exchange(ctx, code, a.Verifier, a.RedirectURI)
	if err != nil {
		return nil, err
	}
	if err := m.Put(ctx, a.Profile, tokenstore.User, tok); err != nil {
		return nil, err
	}
	return tok, nil
}

// State is a token's state in Status.
type State string

// Token states.
const (
	StateOK          State = "ok"
	StateExpired     State = "expired"
	StateLoginNeeded State = "login_needed" // no token that can be renewed without a browser
	StateNone        State = "none"
	StateError       State = "error"
)

// Status describes one token for `obpm status` and GET /v1/profiles (the
// daemon converts it into api.TokenStatus).
type Status struct {
	Kind             tokenstore.Kind `json:"kind"`
	State            State           `json:"state"`
	ExpiresAt        *time.Time      `json:"expires_at,omitempty"`
	RefreshExpiresAt *time.Time      `json:"refresh_expires_at,omitempty"`
	Scope            string          `json:"scope,omitempty"`
	UserSeqNo        string          `json:"user_seq_no,omitempty"`
	ClientUseCode    string          `json:"client_use_code,omitempty"`
	Message          string          `json:"message,omitempty"`
	// NotPersisted: the current token is only in memory (the keyring write
	// failed and is being retried); PersistError says why.
	NotPersisted bool   `json:"not_persisted,omitempty"`
	PersistError string `json:"persist_error,omitempty"`
}

// Status reports on a profile's token without renewing it.
func (m *Manager) Status(ctx context.Context, profile string, kind tokenstore.Kind) Status {
	st := Status{Kind: kind}
	e := m.entry(profile, kind)
	if err := e.acquire(ctx); err != nil {
		st.State, st.Message = StateError, err.Error()
		return st
	}
	defer e.release()
	if err := m.loadLocked(ctx, e, profile, kind); err != nil {
		st.State, st.Message = StateError, err.Error()
		return st
	}
	if c, err := m.Resolve(ctx, profile); err == nil {
		m.own(e, c, profile, kind)
	}
	t := e.tok
	if t == nil {
		st.State = StateNone
		return st
	}
	if !t.Expiry.IsZero() {
		x := t.Expiry
		st.ExpiresAt = &x
	}
	if !t.RefreshExpiry.IsZero() {
		x := t.RefreshExpiry
		st.RefreshExpiresAt = &x
	}
	st.Scope, st.UserSeqNo, st.ClientUseCode = t.Scope, t.UserSeqNo(), t.ClientUseCode()
	if e.unsaved {
		st.NotPersisted = true
		if e.saveErr != nil {
			st.PersistError = e.saveErr.Error()
		}
	}
	switch {
	case e.loginNeeded != "":
		st.State, st.Message = StateLoginNeeded, e.loginNeeded
	case t.Valid(m.now()):
		st.State = StateOK
	case kind == tokenstore.User && t.RefreshToken == "":
		st.State = StateLoginNeeded
	default:
		st.State = StateExpired
	}
	return st
}

// RefreshAll renews every loaded token that is due, so that tokens stay
// fresh even when nobody asks (the daemon calls it on a ticker).
func (m *Manager) RefreshAll(ctx context.Context) {
	m.mu.Lock()
	keys := make([]key, 0, len(m.entries))
	for k := range m.entries {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	for _, k := range keys {
		e := m.entry(k.profile, k.kind)
		if err := e.acquire(ctx); err != nil {
			return
		}
		live := e.loaded && e.tok != nil && (e.loginNeeded == "" || e.unsaved)
		e.release()
		if live {
			_, _ = m.Token(ctx, k.profile, k.kind)
		}
	}
}

// Logout revokes the profile's tokens at the provider (best effort: a failed
// revoke is returned as warnings) and deletes them from the keyring and memory.
func (m *Manager) Logout(ctx context.Context, profile string) (warnings []error, err error) {
	client, rerr := m.Resolve(ctx, profile)
	var unknown *config.UnknownProfileError
	if errors.As(rerr, &unknown) {
		return nil, rerr
	}
	for _, kind := range []tokenstore.Kind{tokenstore.User, tokenstore.Institution} {
		e := m.entry(profile, kind)
		if err := e.acquire(ctx); err != nil {
			return warnings, err
		}
		lerr := m.loadLocked(ctx, e, profile, kind)
		if lerr == nil && client != nil {
			// Another client's token is not sent to this one's revoke endpoint.
			m.own(e, client, profile, kind)
		}
		t := e.tok
		if lerr == nil && t != nil && client != nil {
			if err := client.Revoke(ctx, t.AccessToken, "access_token"); err != nil {
				warnings = append(warnings, fmt.Errorf("revoke %s access token: %w", kind, err))
			}
			if t.RefreshToken != "" {
				if err := client.Revoke(ctx, t.RefreshToken, "refresh_token"); err != nil {
					warnings = append(warnings, fmt.Errorf("revoke %s refresh token: %w", kind, err))
				}
			}
		} else if rerr != nil && t != nil {
			warnings = append(warnings, fmt.Errorf("not revoked at the provider: %w", rerr))
		}
		derr := m.Store.Delete(ctx, profile, kind)
		if derr == nil {
			// An unsaved token is gone too: nothing is left to write.
			e.tok, e.loaded, e.loginNeeded, e.lastErr = nil, true, "", nil
			e.unsaved, e.saveErr, e.saveBackoff, e.saveNext = false, nil, 0, time.Time{}
		}
		e.release()
		if derr != nil {
			return warnings, derr
		}
	}
	return warnings, nil
}
