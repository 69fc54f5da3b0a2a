package sandbox

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// consentPath receives the consent form (the real testbed's login screens
// are several pages; the sandbox has one form).
const consentPath = "/oauth/2.0/consent"

// authRequest is a checked authorize request.
type authRequest struct {
	Client      Client
	RedirectURI string
	Scope       []string
	State       string
	ClientInfo  string
	// PKCE (RFC 7636): KFTC does not document it, but a client that sends a
	// challenge gets it checked at the exchange.
	Challenge, ChallengeMethod string
}

// authFailure is an authorize request the sandbox must not redirect
// (unknown client, unregistered redirect URI: RFC 6749 §4.1.2.1 forbids
// redirecting to an unverified URI), or one it answers at the callback.
type authFailure struct {
	redirect    bool   // answer at the callback with error params
	code        string // O0001 detail for the page; OAuth error for the callback
	description string
}

// checkAuthRequest validates authorize parameters (from the query or the form).
func (s *Server) checkAuthRequest(v url.Values) (authRequest, *authFailure) {
	var ar authRequest
	c, ok := s.clients[v.Get("client_id")]
	if !ok {
		return ar, &authFailure{code: detailClient, description: "등록되지 않은 client_id 입니다 (unknown client_id: register it with --client-id or in the --data file)"}
	}
	ar.Client = c
	ru := v.Get("redirect_uri")
	if !c.redirectAllowed(ru) {
		return ar, &authFailure{code: detailRedirect, description: "등록되지 않은 redirect_uri 입니다 (redirect_uri is not registered for this client: use one of " + strings.Join(c.RedirectURIs, ", ") + ")"}
	}
	ar.RedirectURI, ar.State, ar.ClientInfo = ru, v.Get("state"), v.Get("client_info")
	if ar.State == "" {
		return ar, &authFailure{redirect: true, code: "invalid_request", description: "state 파라미터가 없습니다 (state is required)"}
	}
	if rt := v.Get("response_type"); rt != "code" {
		return ar, &authFailure{redirect: true, code: "unsupported_response_type", description: "response_type 은 code 여야 합니다 (response_type must be code)"}
	}
	ar.Challenge, ar.ChallengeMethod = v.Get("code_challenge"), v.Get("code_challenge_method")
	if ar.Challenge != "" && ar.ChallengeMethod == "" {
		ar.ChallengeMethod = "plain"
	}
	if ar.Challenge != "" && ar.ChallengeMethod != "S256" && ar.ChallengeMethod != "plain" {
		return ar, &authFailure{redirect: true, code: "invalid_request", description: "code_challenge_method 은 S256 또는 plain (code_challenge_method must be S256 or plain)"}
	}
	ar.Scope = strings.Fields(v.Get("scope"))
	if len(ar.Scope) == 0 {
		return ar, &authFailure{redirect: true, code: "invalid_scope", description: "scope 파라미터가 없습니다 (scope is required, e.g. login inquiry transfer)"}
	}
	allowed := strings.Fields(userScopes)
	for _, sc := range ar.Scope {
		if !slices.Contains(allowed, sc) {
			return ar, &authFailure{redirect: true, code: "invalid_scope", description: "허용되지 않은 scope: " + sc + " (allowed: " + userScopes + ")"}
		}
	}
	return ar, nil
}

// redirectAllowed compares a redirect URI with the registered ones exactly, as
// the testbed does. A client with LoopbackAnyPort also accepts a registered
// loopback IP literal on another port (RFC 8252 §7.3).
func (c Client) redirectAllowed(ru string) bool {
	if ru == "" {
		return false
	}
	if slices.Contains(c.RedirectURIs, ru) {
		return true
	}
	if !c.LoopbackAnyPort {
		return false
	}
	got, err := url.Parse(ru)
	if err != nil {
		return false
	}
	for _, reg := range c.RedirectURIs {
		want, err := url.Parse(reg)
		if err != nil {
			continue
		}
		ip := net.ParseIP(want.Hostname())
		if ip == nil || !ip.IsLoopback() {
			continue
		}
		if got.Scheme == want.Scheme && got.Hostname() == want.Hostname() && got.Path == want.Path && got.RawQuery == want.RawQuery {
			return true
		}
	}
	return false
}

type consentUser struct {
	ID, Name, UserSeqNo string
	Accounts            []string
	Checked             bool
}

type consentPage struct {
	Action      string
	ClientID    string
	RedirectURI string
	Scope       string
	Scopes      []string
	State       string
	ClientInfo  string
	Challenge   string
	Method      string
	Users       []consentUser
	Error       string
}

// handleAuthorize renders the consent page (GET /oauth/2.0/authorize and
// /oauth/2.0/authorize_account).
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	ar, fail := s.checkAuthRequest(r.URL.Query())
	if fail != nil {
		s.authFail(w, r, ar, fail)
		return
	}
	if r.URL.Query().Get("auth_type") == "2" {
		s.skipConsent(w, r, ar)
		return
	}
	s.renderConsent(w, http.StatusOK, ar, "")
}

// skipConsent is auth_type 2 (인증생략): a client that already holds a user
// token with the login scope names the user in Kftc-Bfop-UserSeqNo and the
// token in Kftc-Bfop-AccessToken, and gets a code without the consent page.
func (s *Server) skipConsent(w http.ResponseWriter, r *http.Request, ar authRequest) {
	seq := r.Header.Get("Kftc-Bfop-UserSeqNo")
	tok := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Kftc-Bfop-AccessToken"), "Bearer "))
	now := s.now()
	s.mu.Lock()
	user := s.st.Users[seq]
	ok := false
	if cl, err := parseJWT(s.st.SigningKey, tok); err == nil && user != nil {
		rec := s.st.Tokens[cl.Jti]
		ok = rec != nil && !rec.Revoked && rec.ClientID == ar.Client.ID && rec.UserSeqNo == seq &&
			now.Before(rec.Expires) && slices.Contains(strings.Fields(rec.Scope), "login")
	}
	if !ok {
		s.mu.Unlock()
		s.authFail(w, r, ar, &authFailure{redirect: true, code: "invalid_request",
			description: "auth_type 2 는 Kftc-Bfop-UserSeqNo 와 login 권한의 유효한 Kftc-Bfop-AccessToken 이 필요합니다 (auth_type 2 needs Kftc-Bfop-UserSeqNo and a valid user token with login scope in Kftc-Bfop-AccessToken; use auth_type 0 to show the consent page)"})
		return
	}
	code := s.grantLocked(ar, user, now)
	s.mu.Unlock()
	s.redirectCode(w, r, ar, code)
}

func (s *Server) renderConsent(w http.ResponseWriter, status int, ar authRequest, msg string) {
	page := consentPage{Action: consentPath, ClientID: ar.Client.ID, RedirectURI: ar.RedirectURI,
		Scope: strings.Join(ar.Scope, " "), Scopes: ar.Scope, State: ar.State, ClientInfo: ar.ClientInfo, Challenge: ar.Challenge, Method: ar.ChallengeMethod, Error: msg}
	s.mu.Lock()
	for _, u := range s.sortedUsers() {
		cu := consentUser{ID: u.ID, Name: u.Name, UserSeqNo: u.UserSeqNo, Checked: len(page.Users) == 0}
		for _, a := range s.st.userAccounts(u) {
			cu.Accounts = append(cu.Accounts, s.st.bankName(a.BankCodeStd)+" "+maskAccount(a.AccountNum))
		}
		page.Users = append(page.Users, cu)
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := s.consent.ExecuteTemplate(w, "consent.html", page); err != nil {
		s.log.Error("render consent page", "err", err)
	}
}

// sortedUsers lists users by consent id; the caller holds mu.
func (s *Server) sortedUsers() []*userState {
	out := make([]*userState, 0, len(s.st.Users))
	for _, u := range s.st.Users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *userState) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// authFail answers a bad authorize request: an error page when the redirect
// URI cannot be trusted, else a redirect with error and error_description.
func (s *Server) authFail(w http.ResponseWriter, r *http.Request, ar authRequest, f *authFailure) {
	if !f.redirect {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_ = s.consent.ExecuteTemplate(w, "error.html", map[string]string{
			"Code": rspAuthParam, "Message": authParamMessage(f.code), "Detail": f.description})
		return
	}
	q := url.Values{"error": {f.code}, "error_description": {f.description}}
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	http.Redirect(w, r, withQuery(ar.RedirectURI, q), http.StatusFound)
}

func withQuery(base string, q url.Values) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}

// handleConsent takes the consent form: approve as a user, or deny.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad consent form: "+err.Error(), http.StatusBadRequest)
		return
	}
	ar, fail := s.checkAuthRequest(r.PostForm)
	if fail != nil {
		s.authFail(w, r, ar, fail)
		return
	}
	switch r.PostForm.Get("action") {
	case "deny":
		s.authFail(w, r, ar, &authFailure{redirect: true, code: "access_denied", description: "사용자가 동의하지 않았습니다 (the user denied consent)"})
		return
	case "approve":
	default:
		s.renderConsent(w, http.StatusBadRequest, ar, "승인 또는 거부를 선택하세요 (choose approve or deny)")
		return
	}
	now := s.now()
	s.mu.Lock()
	var user *userState
	for _, u := range s.st.Users {
		if u.ID == r.PostForm.Get("user") {
			user = u
		}
	}
	if user == nil {
		s.mu.Unlock()
		s.renderConsent(w, http.StatusBadRequest, ar, "사용자를 선택하세요 (choose a test user)")
		return
	}
	code := s.grantLocked(ar, user, now)
	s.mu.Unlock()
	s.redirectCode(w, r, ar, code)
}

// grantLocked records the user's consent and issues an authorization code;
// the caller holds mu. Consenting again links the user again and renews the
// consents the scopes ask for, so that unlink/cancel in a manual run can be
// undone.
func (s *Server) grantLocked(ar authRequest, user *userState, now time.Time) string {
	user.Unlinked, user.Closed = false, false
	for _, a := range s.st.userAccounts(user) {
		if slices.Contains(ar.Scope, "inquiry") {
			a.InquiryAgree = true
		}
		if slices.Contains(ar.Scope, "transfer") {
			a.TransferAgree = true
		}
		a.AgreeDtime = kstDtime(now)
	}
	code := randomToken(24)
	s.st.prune(now)
	s.st.Codes[code] = &authCode{ClientID: ar.Client.ID, RedirectURI: ar.RedirectURI, UserSeqNo: user.UserSeqNo,
		Scope: strings.Join(ar.Scope, " "), Expires: now.Add(s.cfg.CodeTTL), Challenge: ar.Challenge, ChallengeMethod: ar.ChallengeMethod}
	s.persistLocked()
	return code
}

func (s *Server) redirectCode(w http.ResponseWriter, r *http.Request, ar authRequest, code string) {
	q := url.Values{"code": {code}, "scope": {strings.Join(ar.Scope, " ")}, "client_info": {ar.ClientInfo}, "state": {ar.State}}
	http.Redirect(w, r, withQuery(ar.RedirectURI, q), http.StatusFound)
}
