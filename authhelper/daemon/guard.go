package daemon

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/daemon/api"
	"github.com/obpm/obpm/authhelper/internal/ratelog"
)

// Guard refuses requests a browser page could make against a loopback
// service: a Host that is not a loopback name or address (DNS rebinding)
// and any Origin header (a page's fetch or form). It also marks every
// answer no-store. The login command's own callback server uses it too.
func Guard(next http.Handler, log *slog.Logger) http.Handler {
	return guard(next, ratelog.New(log, time.Now, 0))
}

// guard is Guard with the refusal log to use: one line per kind of refusal
// and minute, whatever the number of requests.
func guard(next http.Handler, refused *ratelog.Limiter) http.Handler {
	// The values are made once: Header.Set would allocate a slice for each
	// per request. net/http copies them before writing, and Set, Add and
	// Del replace a slice rather than write into it (cap == len: an append
	// copies too).
	noStore, nosniff := []string{"no-store"}[:1:1], []string{"nosniff"}[:1:1]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Cache-Control"] = noStore
		h["X-Content-Type-Options"] = nosniff
		if !LoopbackHost(r.Host) {
			refused.Warn("request refused: foreign Host", r.URL.Path)
			writeError(w, http.StatusForbidden, "forbidden_host", "the helper answers only requests addressed to 127.0.0.1, [::1] or localhost", "use http://127.0.0.1:"+localPort(r))
			return
		}
		if _, ok := r.Header["Origin"]; ok {
			refused.Warn("request refused: Origin header", r.URL.Path)
			writeError(w, http.StatusForbidden, "forbidden_origin", "the helper refuses requests from web pages (Origin header present)", "call it from Postman, Newman, curl or a script")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// LoopbackHost reports whether a Host header names a loopback host.
func LoopbackHost(hostport string) bool {
	if hostport == "" {
		return false
	}
	if p, ok := strings.CutPrefix(hostport, "127.0.0.1:"); ok && allDigits(p) {
		return true // what every client sends: no parse
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return config.IsLoopbackHost(host)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (s *Server) requireKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.keyOK(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}

// keyOK checks the per-install key, answering 401 when it is missing or wrong.
func (s *Server) keyOK(w http.ResponseWriter, r *http.Request) bool {
	// The map read of Header.Get without its key canonicalization (the
	// key is canonical already), as for Origin in guard.
	var authz string
	if v := r.Header["Authorization"]; len(v) > 0 {
		authz = v[0]
	}
	presented, ok := bearer(authz)
	if !ok || !api.KeyEqual(presented, s.o.Key) {
		s.refused.Warn("request refused: missing or wrong key", r.URL.Path)
		writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong helper key in Authorization: Bearer", "obpm env-key (put it in the environment's obpm_helper_key)")
		return false
	}
	return true
}

// bearer returns the credentials of an `Authorization: Bearer X` header;
// the scheme is case-insensitive (RFC 7235 section 2.1), so Postman's or a
// script's "bearer" works too.
func bearer(h string) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// logRequests logs method, path and status only: never the query (a
// callback's code and state), headers (the key) or bodies (tokens).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			// The line's arguments cost a tenth of a token read even when
			// the level drops it.
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start).Round(time.Microsecond).String())
	})
}

func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

// localPort is the port the request came in on (the daemon may run on any
// port, and the login command's callback server on the redirect URI's).
func localPort(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
		return strconv.Itoa(a.Port)
	}
	return strconv.Itoa(DefaultPort)
}
