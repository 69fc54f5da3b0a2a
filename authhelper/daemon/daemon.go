// Package daemon is the helper's local HTTP service (`obpm serve`): it hands
// fresh tokens to Postman, Newman and scripts, owns the login callback, and
// keeps tokens in memory, backed by the keyring. It answers only loopback
// Hosts, refuses every request that carries an Origin (no browser page may
// read it; there are no CORS headers), and wants the per-install key for
// everything but /healthz and the callback.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/obpm/obpm/authhelper/internal/ratelog"
	"github.com/obpm/obpm/authhelper/oauthflow"
	"github.com/obpm/obpm/authhelper/session"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/internal/defaults"
)

// DefaultPort is the daemon's port (docs/design.md).
const DefaultPort = defaults.HelperPort

// Options configure a Server.
type Options struct {
	Manager *session.Manager
	Config  session.ConfigLoader
	// ConfigWatched, when set, is Config from a loader that may trust a
	// change watch rather than stat the file (session.FileConfig's
	// LoadWatched), for the token route. Each new connection still has
	// Config read once (see ConnState), so a command that edited the config
	// and then asks the daemon (a new process, a new connection) sees its
	// edit, as it would with a stat per request.
	ConfigWatched session.ConfigLoader
	// Key is the per-install key callers must present.
	Key string
	// Port is the port the daemon listens on: logins need the profile's
	// redirect URI on it. 0 skips the check (tests on httptest ports).
	Port int
	Log  *slog.Logger
	Now  func() time.Time
	// RefreshEvery is the period of the background renewal (default 5s).
	RefreshEvery time.Duration
}

// Server is the daemon.
type Server struct {
	o       Options
	logins  *oauthflow.Logins
	log     *slog.Logger
	refused *ratelog.Limiter
	encoded tokenJSON
	// jsonType is a token answer's Content-Type value, made once (see guard).
	jsonType []string
}

// New returns a Server.
func New(o Options) *Server {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RefreshEvery <= 0 {
		o.RefreshEvery = 5 * time.Second
	}
	s := &Server{o: o, log: o.Log, refused: ratelog.New(o.Log, o.Now, 0), jsonType: []string{"application/json; charset=utf-8"}[:1:1]}
	s.logins = oauthflow.NewLogins(o.Manager.CompleteLogin, o.Log, o.Now)
	return s
}

// Handler returns the daemon's routes behind its guards.
func (s *Server) Handler() http.Handler {
	r := mux.NewRouter()
	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet, http.MethodHead)
	api := r.PathPrefix("/v1").Subrouter()
	api.Use(s.requireKey)
	api.HandleFunc("/profiles", s.listProfiles).Methods(http.MethodGet)
	api.HandleFunc("/profiles/{profile}/token", s.token).Methods(http.MethodGet)
	api.HandleFunc("/profiles/{profile}/login", s.startLogin).Methods(http.MethodPost)
	api.HandleFunc("/profiles/{profile}/login/{id}", s.loginStatus).Methods(http.MethodGet)
	api.HandleFunc("/profiles/{profile}/login/{id}", s.cancelLogin).Methods(http.MethodDelete)
	api.HandleFunc("/profiles/{profile}/logout", s.logout).Methods(http.MethodPost)
	api.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such route", "see docs/authhelper.md")
	})
	// Everything else may be a login callback (its path comes from the
	// profile's redirect URI); the registry 404s stray hits.
	r.NotFoundHandler = s.logins
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed", "")
	})
	return s.logRequests(guard(s.tokenRoute(r), s.refused))
}

// tokenRoute serves GET /v1/profiles/{p}/token, the route Postman calls
// before every request, without the router's regular expressions (a fifth
// of a token read): behind the same key check, for clean paths only (the
// router redirects unclean ones); everything else goes to next.
func (s *Server) tokenRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		profile, ok := tokenPath(r.URL.Path)
		if !ok || r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		if !s.keyOK(w, r) {
			return
		}
		s.serveToken(w, r, profile)
	})
}

// tokenPath returns the profile of a clean /v1/profiles/{p}/token path.
func tokenPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/v1/profiles/")
	profile, ok2 := strings.CutSuffix(rest, "/token")
	// With one element between the fixed parts, "." and ".." are the only
	// names path.Clean would change (it is not called: a tenth of a read).
	if !ok || !ok2 || profile == "" || strings.Contains(profile, "/") || profile == "." || profile == ".." {
		return "", false
	}
	return profile, true
}

// ConnState is the daemon's http.Server.ConnState hook (Run sets it;
// servers that wrap Handler must too when ConfigWatched is set): each
// accepted connection has the config read the exact way (Config: a stat)
// before its first request is read. A process that edited the config and
// then connects, as every obpm command, curl and Newman run does, is
// accepted after its edit, so its requests see the edit although the token
// route then reads ConfigWatched, with no system call.
func (s *Server) ConnState(_ net.Conn, st http.ConnState) {
	if st == http.StateNew && s.o.ConfigWatched != nil {
		_, _, _ = s.o.Config()
	}
}

// tokenConfig is the loader the token route reads the config with.
func (s *Server) tokenConfig() session.ConfigLoader {
	if s.o.ConfigWatched != nil {
		return s.o.ConfigWatched
	}
	return s.o.Config
}

// Listen opens the loopback listeners: 127.0.0.1 always, [::1] when the
// machine has IPv6 loopback. A busy port is an error naming the fix.
func Listen(port int) ([]net.Listener, error) {
	ls, err := oauthflow.ListenLoopback("localhost", port)
	var busy *oauthflow.PortInUseError
	switch {
	case errors.As(err, &busy) && busy.IPv6():
		// Someone else holds [::1] on our port: clients that reach it
		// refuse it (it cannot prove it holds the key), but say it.
		return nil, fmt.Errorf("listen on %s: another program holds the daemon's port on IPv6 loopback; stop it (ss -ltnp 'sport = :%d') or pick another --port", busy.Addr, port)
	case err != nil:
		return nil, listenError(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), err)
	}
	return ls, nil
}

// PortBusyError says another process holds the port.
type PortBusyError struct {
	Addr string
	Err  error
}

func (e *PortBusyError) Error() string {
	return "listen on " + e.Addr + ": port in use (is `obpm serve` already running? check with `obpm status`, or pick another with --port and the matching redirect_uri)"
}

func (e *PortBusyError) Unwrap() error { return e.Err }

func listenError(addr string, err error) error {
	if isAddrInUse(err) {
		return &PortBusyError{Addr: addr, Err: err}
	}
	return err
}

// Run serves on the listeners until ctx ends, then shuts down gracefully.
// It loads every profile's tokens from the keyring first and renews due
// tokens in the background.
func (s *Server) Run(ctx context.Context, ls []net.Listener) error {
	s.preload(ctx)
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn), ConnState: s.ConnState}
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() { errc <- srv.Serve(l) }()
	}
	tick := time.NewTicker(s.o.RefreshEvery)
	defer tick.Stop()
	for {
		select {
		case err := <-errc:
			if !errors.Is(err, http.ErrServerClosed) {
				_ = srv.Close()
				return err
			}
		case <-tick.C:
			s.o.Manager.RefreshAll(ctx)
		case <-ctx.Done():
			s.log.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			err := srv.Shutdown(sctx)
			// A token the keyring refused so far is the only copy of a
			// rotated refresh token: one last write before it is gone.
			fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer fcancel()
			if ferr := s.o.Manager.Flush(fctx); ferr != nil {
				s.log.Error("shutting down with tokens not persisted", "reason", ferr.Error())
			}
			return err
		}
	}
}

func (s *Server) preload(ctx context.Context) {
	cfg, _, err := s.o.Config()
	if err != nil {
		s.log.Warn("config not readable at start", "reason", err.Error())
	}
	if cfg == nil {
		return
	}
	for _, name := range cfg.Names() {
		for _, kind := range []tokenstore.Kind{tokenstore.User, tokenstore.Institution} {
			st := s.o.Manager.Status(ctx, name, kind)
			s.log.Info("token loaded", "profile", name, "kind", string(kind), "state", st.State)
		}
	}
}
