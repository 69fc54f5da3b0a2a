// Package fakeprovider is an Open Banking-style OAuth provider for the
// helper's tests: it approves every authorize request, issues opaque tokens
// of a chosen size and lifetime, rotates refresh tokens, and can be switched
// into the failure modes the hostile tests need.
package fakeprovider

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Mode is a failure mode of the token endpoint.
type Mode int

// Failure modes.
const (
	OK            Mode = iota
	Down               // connection closed without an answer
	Slow               // answers after Delay
	Malformed          // HTTP 200 with a broken body
	RefuseRefresh      // refresh grant answered with O0001 (dead refresh token)
	ServerError        // HTTP 200 with A0003 (transient)
	// The next modes answer HTTP 200 with a token response that must not be
	// stored, without touching the provider's state (no refresh rotation).
	EmptyToken // access_token ""
	BadToken   // access_token with CR LF (header injection)
	NoExpiry   // no expires_in
	WrongType  // token_type "mac"
	NoSeqNo    // no user_seq_no
)

// Provider is a running fake.
type Provider struct {
	*httptest.Server
	ClientID, Secret string
	TTL              time.Duration
	TokenSize        int // bytes of each token (default 40)
	Delay            time.Duration

	mu       sync.Mutex
	mode     Mode
	codes    map[string]string // code → redirect_uri
	refresh  map[string]bool
	access   map[string]bool
	Counts   map[string]int // grant → successful issues
	attempts map[string]int // grant → token requests, failed ones too
	Revoked  []string
	lastForm url.Values
}

// New starts a provider; it is closed with the test.
func New(t testing.TB) *Provider {
	p := &Provider{ClientID: "cid", Secret: "csecret", TTL: time.Hour, codes: map[string]string{},
		refresh: map[string]bool{}, access: map[string]bool{}, Counts: map[string]int{}, attempts: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth/2.0/authorize", p.authorize)
	mux.HandleFunc("/oauth/2.0/token", p.token)
	mux.HandleFunc("/oauth/2.0/revoke", p.revoke)
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	return p
}

// SetMode switches the failure mode.
func (p *Provider) SetMode(m Mode) { p.mu.Lock(); p.mode = m; p.mu.Unlock() }

// Count returns how many tokens a grant issued.
func (p *Provider) Count(grant string) int { p.mu.Lock(); defer p.mu.Unlock(); return p.Counts[grant] }

// Attempts returns how many token requests used a grant, failed ones included.
func (p *Provider) Attempts(grant string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attempts[grant]
}

// LastForm returns the last token request's form.
func (p *Provider) LastForm() url.Values { p.mu.Lock(); defer p.mu.Unlock(); return p.lastForm }

// IsRevoked reports whether tok was revoked.
func (p *Provider) IsRevoked(tok string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.Revoked {
		if r == tok {
			return true
		}
	}
	return false
}

// Approve plays the browser: it returns the callback URL the provider would
// redirect to for authorizeURL, without following it.
func (p *Provider) Approve(t testing.TB, authorizeURL string) string {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if loc == "" {
		t.Fatalf("authorize answered %d without Location", resp.StatusCode)
	}
	return loc
}

func (p *Provider) newToken(prefix string) string {
	n := p.TokenSize
	if n <= 0 {
		n = 40
	}
	b := make([]byte, n/2+1)
	_, _ = rand.Read(b)
	return (prefix + hex.EncodeToString(b))[:max(n, len(prefix)+1)]
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ru := q.Get("redirect_uri")
	if q.Get("client_id") != p.ClientID || ru == "" {
		http.Error(w, "bad client", http.StatusBadRequest)
		return
	}
	code := p.newToken("code-")
	p.mu.Lock()
	p.codes[code] = ru
	p.mu.Unlock()
	v := url.Values{"code": {code}, "state": {q.Get("state")}, "scope": {q.Get("scope")}}
	http.Redirect(w, r, ru+"?"+v.Encode(), http.StatusFound)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p.mu.Lock()
	mode, delay := p.mode, p.Delay
	p.lastForm = r.PostForm
	p.attempts[r.PostForm.Get("grant_type")]++
	p.mu.Unlock()
	switch mode {
	case Down:
		hj, ok := w.(http.Hijacker)
		if ok {
			c, _, _ := hj.Hijack()
			c.Close()
			return
		}
	case Slow:
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	case Malformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token": "half`))
		return
	case ServerError:
		writeJSON(w, map[string]any{"rsp_code": "A0003", "rsp_message": "내부 처리 오류"})
		return
	case EmptyToken, BadToken, NoExpiry, WrongType, NoSeqNo:
		resp := map[string]any{"access_token": "at-garbled", "token_type": "Bearer", "expires_in": p.TTL.Seconds(),
			"refresh_token": "rt-garbled", "scope": "login inquiry transfer", "user_seq_no": "1100000001"}
		switch mode {
		case EmptyToken:
			resp["access_token"] = ""
		case BadToken:
			resp["access_token"] = "at-garbled\r\nX-Evil: 1"
		case NoExpiry:
			delete(resp, "expires_in")
		case WrongType:
			resp["token_type"] = "mac"
		case NoSeqNo:
			delete(resp, "user_seq_no")
		}
		writeJSON(w, resp)
		return
	}
	f := r.PostForm
	if f.Get("client_id") != p.ClientID || f.Get("client_secret") != p.Secret {
		writeJSON(w, map[string]any{"rsp_code": "O0001", "rsp_message": "인증 파라미터 오류([3000201])"})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	grant := f.Get("grant_type")
	resp := map[string]any{"token_type": "Bearer", "expires_in": p.TTL.Seconds()}
	switch grant {
	case "authorization_code":
		ru, ok := p.codes[f.Get("code")]
		delete(p.codes, f.Get("code"))
		if !ok || ru != f.Get("redirect_uri") {
			writeJSON(w, map[string]any{"rsp_code": "O0001", "rsp_message": "인증 파라미터 오류([3000113])"})
			return
		}
		resp["scope"] = "login inquiry transfer"
		resp["user_seq_no"] = "1100000001"
	case "refresh_token":
		rt := f.Get("refresh_token")
		if mode == RefuseRefresh || !p.refresh[rt] {
			writeJSON(w, map[string]any{"rsp_code": "O0001", "rsp_message": "인증 파라미터 오류([3000113])"})
			return
		}
		delete(p.refresh, rt)
		resp["scope"] = f.Get("scope")
		resp["user_seq_no"] = "1100000001"
	case "client_credentials":
		resp["scope"] = f.Get("scope")
		resp["client_use_code"] = "T990000001"
	default:
		writeJSON(w, map[string]any{"rsp_code": "O0001", "rsp_message": "grant"})
		return
	}
	at := p.newToken("at-")
	p.access[at] = true
	resp["access_token"] = at
	if grant != "client_credentials" {
		rt := p.newToken("rt-")
		p.refresh[rt] = true
		resp["refresh_token"] = rt
	}
	p.Counts[grant]++
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, resp)
}

func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	tok := r.PostForm.Get("access_token")
	if tok == "" {
		tok = r.PostForm.Get("token")
	}
	p.mu.Lock()
	p.Revoked = append(p.Revoked, tok)
	delete(p.access, tok)
	delete(p.refresh, tok)
	p.mu.Unlock()
	writeJSON(w, map[string]any{"rsp_code": "A0000", "rsp_message": ""})
}
