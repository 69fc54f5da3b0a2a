package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/gorilla/mux"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/daemon/api"
	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/oauthflow"
	"github.com/obpm/obpm/authhelper/session"
	"github.com/obpm/obpm/authhelper/tokenstore"
)

// NewTokenResponse renders a token.
func NewTokenResponse(t *tokenstore.Token) api.TokenResponse {
	r := api.TokenResponse{AccessToken: t.AccessToken, TokenType: t.TokenType, Scope: t.Scope,
		UserSeqNo: t.UserSeqNo(), ClientUseCode: t.ClientUseCode()}
	if r.TokenType == "" {
		r.TokenType = "Bearer"
	}
	if !t.Expiry.IsZero() {
		x := t.Expiry.UTC()
		r.ExpiresAt = &x
	}
	for k, v := range t.Extra {
		if k == "user_seq_no" || k == "client_use_code" {
			continue
		}
		if r.Extra == nil {
			r.Extra = map[string]any{}
		}
		r.Extra[k] = v
	}
	return r
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg, hint string) {
	writeJSON(w, status, api.ErrorResponse{Error: code, Message: msg, Hint: hint})
}

// writeErr maps an error to the contract's codes.
func (s *Server) writeErr(w http.ResponseWriter, profile string, err error) {
	var (
		unknown *config.UnknownProfileError
		login   *session.LoginRequiredError
		prov    *oauthflow.ProviderError
		unavail *keyring.UnavailableError
		tmo     *keyring.TimeoutError
		cfgErr  *session.ConfigError
	)
	switch {
	case errors.As(err, &cfgErr):
		writeError(w, http.StatusServiceUnavailable, "config_error", err.Error(), "fix the config file at the line named (obpm doctor)")
	case errors.As(err, &unknown):
		writeError(w, http.StatusNotFound, "unknown_profile", err.Error(), "obpm profile list")
	case errors.As(err, &login):
		writeError(w, http.StatusConflict, "login_required", err.Error(), "obpm login --profile "+profile)
	case errors.As(err, &prov):
		writeError(w, http.StatusBadGateway, "provider_error", err.Error(), "obpm doctor --profile "+profile)
	case errors.As(err, &unavail), errors.As(err, &tmo):
		writeError(w, http.StatusServiceUnavailable, "keyring_unavailable", err.Error(), "obpm doctor")
	case errors.Is(err, tokenstore.ErrNotFound):
		writeError(w, http.StatusConflict, "login_required", err.Error(), "obpm profile add "+profile+" … (the client secret is missing)")
	default:
		writeError(w, http.StatusInternalServerError, "internal", err.Error(), "obpm doctor")
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	h := api.Health{Status: "ok", Service: api.ServiceName, Port: s.o.Port, PID: os.Getpid()}
	if nonce := r.URL.Query().Get("nonce"); nonce != "" {
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if len(nonce) > api.NonceLen || local == nil {
			writeError(w, http.StatusBadRequest, "bad_request", "nonce too long", "")
			return
		}
		h.Proof = api.Proof(s.o.Key, nonce, local.String())
	}
	writeJSON(w, http.StatusOK, h)
}

// maxProfileName bounds a profile name in a route before any lookup.
const maxProfileName = 128

// knownProfile answers 404 unless the route's profile is in the config, so
// that a caller cycling through made-up names costs neither a keyring read
// nor an entry in the manager's memory. When the config cannot be read the
// manager decides (it serves the tokens it already holds).
func (s *Server) knownProfile(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := mux.Vars(r)["profile"]
	if _, ok := s.checkProfile(w, name); !ok {
		return "", false
	}
	return name, true
}

// checkProfile is knownProfile for a name: it answers 404 unless name is a
// configured profile. A config that does not parse lets the name through
// and is returned, so that a token read reads the config once.
func (s *Server) checkProfile(w http.ResponseWriter, name string) (cfgErr error, ok bool) {
	_, cfgErr, ok = s.checkProfileCtx(context.Background(), w, name)
	return cfgErr, ok
}

// checkProfileCtx is checkProfile that also returns ctx carrying the config
// it read (session.WithConfig), for the session manager to resolve the
// profile from without reading the file again.
func (s *Server) checkProfileCtx(ctx context.Context, w http.ResponseWriter, name string) (context.Context, error, bool) {
	if len(name) > maxProfileName {
		writeError(w, http.StatusNotFound, "unknown_profile", "no such profile", "obpm profile list")
		return ctx, nil, false
	}
	cfg, path, err := s.tokenConfig()()
	if err != nil {
		return ctx, err, true
	}
	if _, err := cfg.Profile(name, path); err != nil {
		s.writeErr(w, name, err)
		return ctx, nil, false
	}
	return session.WithConfig(ctx, cfg, path), nil, true
}

// ProfileInfos is GET /v1/profiles' list: every profile of cfg with the
// state of its tokens (`obpm status` without a daemon shows the same).
func ProfileInfos(ctx context.Context, cfg *config.Config, m *session.Manager) []api.ProfileInfo {
	out := []api.ProfileInfo{}
	for _, name := range cfg.Names() {
		p := cfg.Profiles[name]
		out = append(out, api.ProfileInfo{Name: name, Provider: p.Provider, ClientID: p.ClientID, RedirectURI: p.RedirectURI,
			Default:     cfg.DefaultProfile == name,
			User:        TokenStatus(m.Status(ctx, name, tokenstore.User)),
			Institution: TokenStatus(m.Status(ctx, name, tokenstore.Institution))})
	}
	return out
}

// TokenStatus converts the manager's view of a token into its JSON.
func TokenStatus(s session.Status) api.TokenStatus {
	return api.TokenStatus{Kind: string(s.Kind), State: api.TokenState(s.State), ExpiresAt: s.ExpiresAt,
		RefreshExpiresAt: s.RefreshExpiresAt, Scope: s.Scope, UserSeqNo: s.UserSeqNo,
		ClientUseCode: s.ClientUseCode, Message: s.Message, NotPersisted: s.NotPersisted, PersistError: s.PersistError}
}

func (s *Server) listProfiles(w http.ResponseWriter, r *http.Request) {
	cfg, _, err := s.o.Config()
	if cfg == nil {
		s.writeErr(w, "", err)
		return
	}
	body := map[string]any{"profiles": ProfileInfos(r.Context(), cfg, s.o.Manager)}
	if err != nil {
		body["config_error"] = err.Error()
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.serveToken(w, r, mux.Vars(r)["profile"])
}

// serveToken answers a token read; tokenRoute calls it without the router.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, name string) {
	ctx, cfgErr, ok := s.checkProfileCtx(r.Context(), w, name)
	if !ok {
		return
	}
	profile := name
	kind, err := tokenstore.ParseKind(kindParam(r.URL))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error(), "")
		return
	}
	t, err := s.o.Manager.Token(ctx, profile, kind)
	if err != nil {
		s.writeErr(w, profile, err)
		return
	}
	if cfgErr != nil {
		resp := NewTokenResponse(t)
		resp.ConfigError = cfgErr.Error()
		writeJSON(w, http.StatusOK, resp)
		return
	}
	w.Header()["Content-Type"] = s.jsonType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.encoded.of(t))
}

// kindParam is r.URL.Query().Get("kind") without parsing the query into a
// map (three allocations) for the queries clients send.
func kindParam(u *url.URL) string {
	switch u.RawQuery {
	case "":
		return ""
	case "kind=user":
		return "user"
	case "kind=institution":
		return "institution"
	}
	return u.Query().Get("kind")
}

// tokenJSON remembers the answer of the last tokens served: a token is
// never changed once the session manager hands it out (a renewal makes a
// new one), so its JSON is encoded once, not on every read.
type tokenJSON struct {
	// last is the answer encoded last, read without the lock: reads of
	// one token (the usual case) take no lock.
	last atomic.Pointer[encodedToken]
	mu   sync.Mutex
	m    map[*tokenstore.Token][]byte
}

type encodedToken struct {
	t *tokenstore.Token
	b []byte
}

// tokenJSONMax bounds tokenJSON (two kinds per profile).
const tokenJSONMax = 64

func (c *tokenJSON) of(t *tokenstore.Token) []byte {
	if l := c.last.Load(); l != nil && l.t == t {
		return l.b
	}
	c.mu.Lock()
	b, ok := c.m[t]
	c.mu.Unlock()
	if ok {
		return b
	}
	b, err := json.Marshal(NewTokenResponse(t))
	if err != nil {
		b = []byte(`{"error":"internal","message":"token not encodable"}`)
	}
	b = append(b, '\n')
	c.mu.Lock()
	if c.m == nil || len(c.m) >= tokenJSONMax {
		c.m = map[*tokenstore.Token][]byte{}
	}
	c.m[t] = b
	c.mu.Unlock()
	c.last.Store(&encodedToken{t, b})
	return b
}

func (s *Server) startLogin(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["profile"]
	// A login writes nothing to the config, so a stale one is good enough.
	cfg, path, err := s.o.Config()
	if cfg == nil {
		s.writeErr(w, name, err)
		return
	}
	p, err := cfg.Profile(name, path)
	if err != nil {
		s.writeErr(w, name, err)
		return
	}
	redirect, err := s.redirectFor(p)
	if err != nil {
		writeError(w, http.StatusConflict, "redirect_mismatch", err.Error(), fmt.Sprintf("obpm serve --port %d", p.RedirectPort()))
		return
	}
	a, err := oauthflow.NewAuthorization(p, redirect, s.o.Now())
	if err == nil {
		err = s.logins.Add(a)
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", err.Error(), "")
		return
	}
	s.log.Info("login started", "profile", name)
	writeJSON(w, http.StatusOK, api.LoginStart{LoginID: a.ID, AuthorizeURL: a.URL, RedirectURI: redirect,
		ExpiresAt: a.Created.Add(oauthflow.DefaultLoginTTL).UTC()})
}

// redirectFor returns the redirect URI the daemon can serve for p: exactly
// the registered one, on the daemon's port (a generic provider's port 0
// becomes the daemon's port).
func (s *Server) redirectFor(p *config.Profile) (string, error) {
	u, err := url.Parse(p.RedirectURI)
	if err != nil {
		return "", err
	}
	port := p.RedirectPort()
	if s.o.Port == 0 {
		return p.RedirectURI, nil
	}
	if port == 0 && !p.IsOpenBanking() {
		u.Host = u.Hostname() + ":" + strconv.Itoa(s.o.Port)
		if u.Hostname() == "::1" {
			u.Host = "[::1]:" + strconv.Itoa(s.o.Port)
		}
		return u.String(), nil
	}
	if port != s.o.Port {
		return "", fmt.Errorf("profile %q redirects to port %d but this daemon listens on %d; the callback would not reach it", p.Name, port, s.o.Port)
	}
	return p.RedirectURI, nil
}

// knownLogin answers 404 unless the route's login id exists and belongs to
// the route's profile (a key holder cannot poke at another profile's login).
func (s *Server) knownLogin(w http.ResponseWriter, r *http.Request) (id, profile string, ok bool) {
	v := mux.Vars(r)
	res, found := s.logins.Status(v["id"])
	if !found || res.Profile != v["profile"] {
		writeError(w, http.StatusNotFound, "unknown_login", "no such login (it may have expired)", "obpm login --profile "+v["profile"])
		return "", "", false
	}
	return v["id"], v["profile"], true
}

func (s *Server) loginStatus(w http.ResponseWriter, r *http.Request) {
	id, _, ok := s.knownLogin(w, r)
	if !ok {
		return
	}
	res, _ := s.logins.Status(id)
	out := api.LoginState{Status: api.LoginStatus(res.Status)}
	if res.Err != nil {
		out.Message = res.Err.Error()
	}
	if res.Token != nil {
		out.UserSeqNo, out.Scope = res.Token.UserSeqNo(), res.Token.Scope
		if !res.Token.Expiry.IsZero() {
			x := res.Token.Expiry.UTC()
			out.ExpiresAt = &x
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// cancelLogin ends a waiting login (`obpm login` interrupted by Ctrl-C or
// its timeout): a callback that comes later is refused and stores nothing.
func (s *Server) cancelLogin(w http.ResponseWriter, r *http.Request) {
	id, profile, ok := s.knownLogin(w, r)
	if !ok {
		return
	}
	s.logins.Cancel(id, errors.New("the login was cancelled"))
	s.log.Info("login cancelled", "profile", profile)
	res, _ := s.logins.Status(id)
	writeJSON(w, http.StatusOK, api.LoginState{Status: api.LoginStatus(res.Status), Message: errText(res.Err)})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	name, ok := s.knownProfile(w, r)
	if !ok {
		return
	}
	warnings, err := s.o.Manager.Logout(r.Context(), name)
	if err != nil {
		s.writeErr(w, name, err)
		return
	}
	msgs := []string{}
	for _, w := range warnings {
		msgs = append(msgs, w.Error())
	}
	s.log.Info("logged out", "profile", name, "warnings", len(msgs))
	writeJSON(w, http.StatusOK, map[string]any{"status": "logged_out", "warnings": msgs})
}
