package oauthflow

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/obpm/obpm/authhelper/internal/ratelog"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/templates"
)

// DefaultLoginTTL is how long a started login waits for its callback.
const DefaultLoginTTL = 10 * time.Minute

// completeTimeout bounds the code exchange after the browser came back, so
// that a slow provider cannot keep the callback hanging for ever.
const completeTimeout = 60 * time.Second

// Completer finishes a login: it exchanges the code and stores the token.
type Completer func(ctx context.Context, a *Authorization, code string) (*tokenstore.Token, error)

// LoginStatus is where a login stands.
type LoginStatus string

// Login states reported by Status.
const (
	StatusPending   LoginStatus = "pending"
	StatusSucceeded LoginStatus = "succeeded"
	StatusFailed    LoginStatus = "failed"
)

// Result is the outcome of one login.
type Result struct {
	Profile string
	Status  LoginStatus
	Err     error
	Token   *tokenstore.Token
}

type pendingLogin struct {
	a    *Authorization
	path string
	done chan struct{}
	res  Result
	end  time.Time
}

// Logins holds the logins in progress and serves their callback: it checks
// the state (single use), maps provider errors, ignores stray hits and shows
// a page that never carries a token. The daemon and `obpm login` share it.
type Logins struct {
	complete Completer
	log      *slog.Logger
	now      func() time.Time
	ttl      time.Duration
	page     *template.Template
	refused  *ratelog.Limiter

	mu      sync.Mutex
	byState map[string]*pendingLogin // waiting for their callback
	byID    map[string]*pendingLogin // all, including finished ones kept for polling
	used    map[string]string        // state → callback path, for replay detection
}

// NewLogins returns an empty registry; complete runs on a valid callback.
func NewLogins(complete Completer, log *slog.Logger, now func() time.Time) *Logins {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	page := template.Must(template.ParseFS(templates.Helper, "helper/result.html"))
	return &Logins{complete: complete, log: log, now: now, ttl: DefaultLoginTTL, page: page, refused: ratelog.New(log, now, 0),
		byState: map[string]*pendingLogin{}, byID: map[string]*pendingLogin{}, used: map[string]string{}}
}

// Add registers a started login.
func (l *Logins) Add(a *Authorization) error {
	u, err := url.Parse(a.RedirectURI)
	if err != nil {
		return fmt.Errorf("redirect URI %q: %w", a.RedirectURI, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pruneLocked()
	p := &pendingLogin{a: a, path: u.Path, done: make(chan struct{}), res: Result{Status: StatusPending}}
	l.byState[a.State] = p
	l.byID[a.ID] = p
	return nil
}

// pruneLocked expires old logins: a waiting one fails with a timeout, a
// finished one is forgotten.
func (l *Logins) pruneLocked() {
	now := l.now()
	for id, p := range l.byID {
		if p.res.Status == StatusPending && now.Sub(p.a.Created) > l.ttl {
			delete(l.byState, p.a.State)
			l.used[p.a.State] = p.path
			l.finishLocked(p, Result{Status: StatusFailed, Err: errors.New("the login timed out before the browser came back")})
		}
		if p.res.Status != StatusPending && now.Sub(p.end) > l.ttl {
			delete(l.byID, id)
			delete(l.used, p.a.State)
		}
	}
}

func (l *Logins) finishLocked(p *pendingLogin, r Result) {
	if p.res.Status != StatusPending {
		return
	}
	p.res = r
	p.end = l.now()
	close(p.done)
}

// Status returns a login's current result.
func (l *Logins) Status(id string) (Result, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pruneLocked()
	p, ok := l.byID[id]
	if !ok {
		return Result{}, false
	}
	res := p.res
	res.Profile = p.a.Profile
	return res, true
}

// Wait blocks until the login ends or ctx is done.
func (l *Logins) Wait(ctx context.Context, id string) (Result, error) {
	l.mu.Lock()
	p, ok := l.byID[id]
	l.mu.Unlock()
	if !ok {
		return Result{}, fmt.Errorf("no login %q in progress", id)
	}
	select {
	case <-p.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		return p.res, nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Cancel ends a waiting login (Ctrl-C, timeout); a later callback for it is refused.
func (l *Logins) Cancel(id string, reason error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.byID[id]; ok && p.res.Status == StatusPending {
		delete(l.byState, p.a.State)
		l.used[p.a.State] = p.path
		l.finishLocked(p, Result{Status: StatusFailed, Err: reason})
	}
}

func (l *Logins) isCallbackPathLocked(path string) bool {
	for _, p := range l.byState {
		if p.path == path {
			return true
		}
	}
	for _, p := range l.used {
		if p == path {
			return true
		}
	}
	return false
}

// ServeHTTP handles a callback hit. Only the one hit carrying a waiting
// login's state (or, for a provider error sent without state, the only login
// waiting on that path) can end a login; everything else gets a failure
// page and changes nothing.
func (l *Logins) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.pruneLocked()
	if !l.isCallbackPathLocked(r.URL.Path) {
		l.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		l.mu.Unlock()
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	params, err := ParseCallback(r.URL.RawQuery)
	if err != nil {
		l.mu.Unlock()
		l.refused.Warn("callback rejected", r.URL.Path, "reason", err.Error())
		l.render(w, http.StatusBadRequest, false, "Login failed", err.Error(), "obpm login")
		return
	}
	p, reject := l.matchLocked(r.URL.Path, params)
	if p == nil {
		l.mu.Unlock()
		l.refused.Warn("callback rejected", r.URL.Path, "reason", reject)
		l.render(w, http.StatusBadRequest, false, "Login failed", reject, "obpm login")
		return
	}
	// Single use: from here on this state is spent, whatever happens.
	delete(l.byState, p.a.State)
	l.used[p.a.State] = p.path
	l.mu.Unlock()

	code, err := params.Check(p.a.State)
	var tok *tokenstore.Token
	if err == nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), completeTimeout)
		tok, err = l.complete(ctx, p.a, code)
		cancel()
	}
	l.mu.Lock()
	if err != nil {
		l.finishLocked(p, Result{Status: StatusFailed, Err: err})
	} else {
		l.finishLocked(p, Result{Status: StatusSucceeded, Token: tok})
	}
	l.mu.Unlock()
	if err != nil {
		l.log.Warn("login failed", "profile", p.a.Profile, "reason", err.Error())
		l.render(w, http.StatusBadRequest, false, "Login failed", err.Error(), "obpm login --profile "+p.a.Profile)
		return
	}
	l.log.Info("login succeeded", "profile", p.a.Profile)
	l.render(w, http.StatusOK, true, "Logged in", fmt.Sprintf("Profile %q is logged in; obpm keeps its token fresh.", p.a.Profile), "")
}

// matchLocked finds the waiting login a callback hit on path answers, or
// says why it answers none (l.mu is held).
func (l *Logins) matchLocked(path string, params CallbackParams) (*pendingLogin, string) {
	if params.State != "" {
		p := l.byState[params.State]
		if p != nil && p.path == path {
			return p, ""
		}
		if _, replay := l.used[params.State]; replay {
			return nil, "this sign-in link was already used or has expired"
		}
		return nil, ErrStateMismatch.Error() + "; the login in progress (if any) is still waiting"
	}
	if params.Error != "" {
		// KFTC sends error callbacks without state; only for a provider
		// known to do so, and only when exactly one login waits on this path,
		// may such a hit end a login (any web page can send one).
		var only []*pendingLogin
		for _, c := range l.byState {
			if c.path == path {
				only = append(only, c)
			}
		}
		if len(only) == 1 && only[0].a.StatelessErrors {
			return only[0], ""
		}
		return nil, ErrMissingState.Error() + "; an error without state is ignored and the login in progress (if any) keeps waiting"
	}
	return nil, ErrMissingState.Error()
}

func (l *Logins) render(w http.ResponseWriter, status int, ok bool, title, msg, hint string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_ = l.page.Execute(w, map[string]any{"OK": ok, "Title": title, "Message": msg, "Hint": hint})
}
