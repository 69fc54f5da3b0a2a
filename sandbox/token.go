package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

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

// postingClient checks what the token and revoke endpoints share: a POST
// form naming a registered client with its secret. On failure it has
// answered (O0010 or O0001) and returns false.
func (s *Server) postingClient(w http.ResponseWriter, r *http.Request) (Client, bool) {
	if r.Method != http.MethodPost {
		writeJSON(w, rspBody(rspMethod))
		return Client{}, false
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, oauthError(detailMissing))
		return Client{}, false
	}
	c, fail := s.clientFromForm(r)
	if fail != nil {
		writeJSON(w, fail)
		return Client{}, false
	}
	return c, true
}

// handleToken is POST /oauth/2.0/token for the three grants.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	c, ok := s.postingClient(w, r)
	if !ok {
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
		attrs := []any{"client_id", c.ID, "grant", f.Get("grant_type"), "scope", body["scope"]}
		if u, ok := body["user_seq_no"]; ok {
			attrs = append(attrs, "user_seq_no", u)
		}
		s.log.Info("token issued", attrs...)
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
				return rspBody(rspScope)
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
			return rspBody(rspScope)
		}
		granted = append(granted, sc)
	}
	if len(granted) != len(scopes) {
		return oauthError(detailMissing) // the testbed answers [3000103] for user scopes here
	}
	scope := strings.Join(granted, " ")
	tok, jti, err := s.sign(c.ClientUseCode, granted, now)
	if err != nil {
		return rspBody(rspInternal)
	}
	s.st.Tokens[jti] = &tokenRecord{ClientID: c.ID, Scope: scope, Expires: now.Add(s.cfg.TokenTTL)}
	return map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int64(s.cfg.TokenTTL / time.Second),
		"scope": scope, "client_use_code": c.ClientUseCode}
}

func (s *Server) issueUserToken(c Client, userSeqNo, scope string, now time.Time) map[string]any {
	tok, jti, err := s.sign(userSeqNo, strings.Fields(scope), now)
	if err != nil {
		return rspBody(rspInternal)
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
	c, ok := s.postingClient(w, r)
	if !ok {
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
