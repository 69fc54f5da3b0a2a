package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
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

// redirectAllowed compares a redirect URI with the registered ones. For a
// registered loopback IP literal the port may differ (RFC 8252 §7.3), so
// tests and the helper can listen on a free port.
func (c Client) redirectAllowed(ru string) bool {
	if ru == "" {
		return false
	}
	if slices.Contains(c.RedirectURIs, ru) {
		return true
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
	s.renderConsent(w, http.StatusOK, ar, "")
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
	// Consenting again links the user again and renews the consents the
	// scopes ask for, so that unlink/cancel in a manual run can be undone.
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
	s.mu.Unlock()
	q := url.Values{"code": {code}, "scope": {strings.Join(ar.Scope, " ")}, "client_info": {ar.ClientInfo}, "state": {ar.State}}
	http.Redirect(w, r, withQuery(ar.RedirectURI, q), http.StatusFound)
}

// pkceMatches checks a code_verifier against the stored challenge.
func pkceMatches(challenge, method, verifier string) bool {
	if verifier == "" {
		return false
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

func oauthError(detail string) map[string]any {
	return map[string]any{"rsp_code": rspAuthParam, "rsp_message": authParamMessage(detail)}
}

// clientFromForm authenticates the client by form fields or HTTP Basic.
func (s *Server) clientFromForm(r *http.Request) (Client, map[string]any) {
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if bid, bsec, ok := r.BasicAuth(); ok && id == "" {
		id, secret = bid, bsec
	}
	if id == "" || secret == "" {
		return Client{}, oauthError(detailMissing)
	}
	c, ok := s.clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return Client{}, oauthError(detailClient)
	}
	return c, nil
}

// handleToken is POST /oauth/2.0/token for the three grants.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, map[string]any{"rsp_code": rspMethod, "rsp_message": rspMessages[rspMethod]})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, oauthError(detailMissing))
		return
	}
	c, fail := s.clientFromForm(r)
	if fail != nil {
		writeJSON(w, fail)
		return
	}
	f := r.PostForm
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.prune(now)
	var body map[string]any
	switch grant := f.Get("grant_type"); grant {
	case "authorization_code":
		body = s.exchangeCode(c, f, now)
	case "refresh_token":
		body = s.refresh(c, f, now)
	case "client_credentials":
		body = s.clientCredentials(c, f, now)
	default:
		body = oauthError(detailMissing)
	}
	if _, ok := body["access_token"]; ok {
		s.log.Info("token issued", "client_id", c.ID, "grant", f.Get("grant_type"), "scope", body["scope"], "user_seq_no", body["user_seq_no"])
		s.persistLocked()
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, body)
}

func (s *Server) exchangeCode(c Client, f url.Values, now time.Time) map[string]any {
	codeStr, ru := f.Get("code"), f.Get("redirect_uri")
	if codeStr == "" || ru == "" {
		return oauthError(detailMissing)
	}
	code, ok := s.st.Codes[codeStr]
	// A code is single-use: whatever the outcome, it is gone.
	delete(s.st.Codes, codeStr)
	if !ok || code.ClientID != c.ID || now.After(code.Expires) {
		if ok {
			s.persistLocked()
		}
		return oauthError(detailCodeExpired)
	}
	if code.RedirectURI != ru {
		s.persistLocked()
		return oauthError(detailRedirect)
	}
	if code.Challenge != "" && !pkceMatches(code.Challenge, code.ChallengeMethod, f.Get("code_verifier")) {
		s.persistLocked()
		return oauthError(detailMissing)
	}
	return s.issueUserToken(c, code.UserSeqNo, code.Scope, now)
}

func (s *Server) refresh(c Client, f url.Values, now time.Time) map[string]any {
	rt := f.Get("refresh_token")
	if rt == "" {
		return oauthError(detailMissing)
	}
	old, ok := s.st.Refresh[rt]
	if !ok || old.ClientID != c.ID || now.After(old.Expires) {
		return oauthError(detailCodeExpired)
	}
	scope := old.Scope
	if want := strings.Fields(f.Get("scope")); len(want) > 0 {
		have := strings.Fields(old.Scope)
		for _, sc := range want {
			if !slices.Contains(have, sc) {
				return map[string]any{"rsp_code": rspScope, "rsp_message": rspMessages[rspScope]}
			}
		}
		scope = strings.Join(want, " ")
	}
	// Rotation: the old refresh token stops working once a new one exists.
	delete(s.st.Refresh, rt)
	return s.issueUserToken(c, old.UserSeqNo, scope, now)
}

func (s *Server) clientCredentials(c Client, f url.Values, now time.Time) map[string]any {
	scopes := strings.Fields(f.Get("scope"))
	if len(scopes) == 0 {
		return oauthError(detailMissing)
	}
	var granted []string
	for _, sc := range []string{"oob", "sa"} {
		if !slices.Contains(scopes, sc) {
			continue
		}
		if sc == "sa" && !c.SelfAuth {
			return map[string]any{"rsp_code": rspScope, "rsp_message": rspMessages[rspScope]}
		}
		granted = append(granted, sc)
	}
	if len(granted) != len(scopes) {
		return oauthError(detailMissing) // the testbed answers [3000103] for user scopes here
	}
	scope := strings.Join(granted, " ")
	tok, jti, err := s.sign(c.ClientUseCode, granted, now)
	if err != nil {
		return map[string]any{"rsp_code": rspInternal, "rsp_message": rspMessages[rspInternal]}
	}
	s.st.Tokens[jti] = &tokenRecord{ClientID: c.ID, Scope: scope, Expires: now.Add(s.cfg.TokenTTL)}
	return map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int64(s.cfg.TokenTTL / time.Second),
		"scope": scope, "client_use_code": c.ClientUseCode}
}

func (s *Server) issueUserToken(c Client, userSeqNo, scope string, now time.Time) map[string]any {
	tok, jti, err := s.sign(userSeqNo, strings.Fields(scope), now)
	if err != nil {
		return map[string]any{"rsp_code": rspInternal, "rsp_message": rspMessages[rspInternal]}
	}
	rt := randomToken(32)
	s.st.Refresh[rt] = &refreshToken{ClientID: c.ID, UserSeqNo: userSeqNo, Scope: scope, Expires: now.Add(s.cfg.RefreshTTL)}
	s.st.Tokens[jti] = &tokenRecord{ClientID: c.ID, UserSeqNo: userSeqNo, Scope: scope, Expires: now.Add(s.cfg.TokenTTL), Refresh: rt}
	return map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int64(s.cfg.TokenTTL / time.Second),
		"refresh_token": rt, "scope": scope, "user_seq_no": userSeqNo}
}

func (s *Server) sign(aud string, scope []string, now time.Time) (tok, jti string, err error) {
	jti = newUUID()
	tok, err = signJWT(s.st.SigningKey, claims{Aud: aud, Scope: scope, Iss: jwtIssuer, Exp: now.Add(s.cfg.TokenTTL).Unix(), Jti: jti})
	return tok, jti, err
}

// handleRevoke is POST /oauth/2.0/revoke: it ends an access token (and the
// refresh token issued with it) or a refresh token. Unknown tokens answer
// success too (RFC 7009 §2.2), so revoking twice is harmless.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, map[string]any{"rsp_code": rspMethod, "rsp_message": rspMessages[rspMethod]})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, oauthError(detailMissing))
		return
	}
	c, fail := s.clientFromForm(r)
	if fail != nil {
		writeJSON(w, fail)
		return
	}
	tok := r.PostForm.Get("access_token")
	if tok == "" {
		tok = r.PostForm.Get("token")
	}
	if tok == "" {
		tok = r.PostForm.Get("refresh_token")
	}
	if tok == "" {
		writeJSON(w, oauthError(detailMissing))
		return
	}
	s.mu.Lock()
	if rt, ok := s.st.Refresh[tok]; ok && rt.ClientID == c.ID {
		delete(s.st.Refresh, tok)
	} else if cl, err := parseJWT(s.st.SigningKey, tok); err == nil {
		if rec, ok := s.st.Tokens[cl.Jti]; ok && rec.ClientID == c.ID {
			rec.Revoked = true
			delete(s.st.Refresh, rec.Refresh)
		}
	}
	s.persistLocked()
	s.mu.Unlock()
	s.log.Info("token revoked", "client_id", c.ID)
	writeJSON(w, map[string]any{"rsp_code": rspOK, "rsp_message": ""})
}
