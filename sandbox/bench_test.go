package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/obpm/obpm/sandbox"
	"github.com/obpm/obpm/sandbox/sandboxtest"
)

// BenchmarkNew measures building a sandbox from the embedded seed with an
// already loaded spec (what each test pays).
func BenchmarkNew(b *testing.B) {
	doc := loadSpec(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sandbox.New(sandbox.Config{Spec: doc}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadSpec measures parsing and validating the embedded spec,
// which sandbox.New does when Config.Spec is nil.
func BenchmarkLoadSpec(b *testing.B) {
	for b.Loop() {
		loadSpec(b)
	}
}

// BenchmarkBalance measures one balance inquiry through the whole handler:
// token check, request validation, the bank_tran_id rule and the answer.
func BenchmarkBalance(b *testing.B) {
	srv, err := sandbox.New(sandbox.Config{Spec: loadSpec(b)})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	ts := httptest.NewServer(h)
	defer ts.Close()
	q := url.Values{"response_type": {"code"}, "client_id": {sandbox.DefaultClientID}, "redirect_uri": {sandbox.DefaultRedirectURI},
		"scope": {"inquiry"}, "state": {strings.Repeat("s", 32)}}
	loc, err := sandboxtest.Approve(context.Background(), nil, ts.URL+"/oauth/2.0/authorize?"+q.Encode(), "user1")
	if err != nil {
		b.Fatal(err)
	}
	resp, err := http.PostForm(ts.URL+"/oauth/2.0/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"client_id": {sandbox.DefaultClientID}, "client_secret": {sandbox.DefaultClientSecret}, "redirect_uri": {sandbox.DefaultRedirectURI}})
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		q := url.Values{"bank_tran_id": {tranID(i)}, "fintech_use_num": {fin1}, "tran_dtime": {"20261126101010"}}
		req := httptest.NewRequest(http.MethodGet, "/v2.0/account/balance/fin_num?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), `"rsp_code":"A0000"`) {
			b.Fatal(rec.Body.String())
		}
	}
}
