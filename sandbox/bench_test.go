package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
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

// benchToken starts a sandbox handler for cfg and returns it with a user
// token carrying scope (approved by user1 through the real authorize flow).
func benchToken(b *testing.B, cfg sandbox.Config, scope string) (http.Handler, string) {
	b.Helper()
	cfg.Spec = loadSpec(b)
	srv, err := sandbox.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	ts := httptest.NewServer(h)
	b.Cleanup(ts.Close)
	q := url.Values{"response_type": {"code"}, "client_id": {sandbox.DefaultClientID}, "redirect_uri": {sandbox.DefaultRedirectURI},
		"scope": {scope}, "state": {strings.Repeat("s", 32)}}
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
	if tok.AccessToken == "" {
		b.Fatal("no access token")
	}
	return h, tok.AccessToken
}

// BenchmarkBalance measures one balance inquiry through the whole handler:
// token check, request validation, the bank_tran_id rule and the answer.
func BenchmarkBalance(b *testing.B) {
	h, tok := benchToken(b, sandbox.Config{}, "inquiry")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		q := url.Values{"bank_tran_id": {tranID(i)}, "fintech_use_num": {fin1}, "tran_dtime": {"20261126101010"}}
		req := httptest.NewRequest(http.MethodGet, "/v2.0/account/balance/fin_num?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), `"rsp_code":"A0000"`) {
			b.Fatal(rec.Body.String())
		}
	}
}

// BenchmarkWithdraw measures one withdraw of 1 won through the whole
// handler, in memory and with a state file (journal record and fsync).
func BenchmarkWithdraw(b *testing.B) {
	for _, bc := range []struct {
		name  string
		state bool
	}{{"memory", false}, {"state", true}} {
		b.Run(bc.name, func(b *testing.B) {
			var cfg sandbox.Config
			if bc.state {
				cfg.StateFile = b.TempDir() + "/state.json"
			}
			h, tok := benchToken(b, cfg, "login inquiry transfer")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				body, _ := json.Marshal(withdrawIn(tranID(i), fin1, "1"))
				req := httptest.NewRequest(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", strings.NewReader(string(body)))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if !strings.Contains(rec.Body.String(), `"rsp_code":"A0000"`) {
					b.Fatal(rec.Body.String())
				}
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing: the handler
// benchmarks below count the sandbox's own allocations only.
type discardWriter struct {
	h    http.Header
	body []byte
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(int)     {}
func (w *discardWriter) Write(b []byte) (int, error) {
	w.body = append(w.body[:0], b...)
	return len(b), nil
}

// BenchmarkHandler measures the handler alone on balance and withdraw
// (in memory, logging at info level to a discarded text log): the
// requests are built before the loop and re-armed, so allocs/op are the
// sandbox's own (net/http's reading and writing left out).
func BenchmarkHandler(b *testing.B) {
	for _, route := range []string{"balance", "withdraw"} {
		b.Run(route, func(b *testing.B) {
			logger := slog.New(sandbox.NewLogHandler(io.Discard, nil))
			h, tok := benchToken(b, sandbox.Config{Logger: logger}, "login inquiry transfer")
			w := &discardWriter{h: http.Header{}}
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			var body bytes.Reader
			i := 0
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			for b.Loop() {
				i++
				id := tranID(i)
				if route == "balance" {
					req.Method = http.MethodGet
					req.URL.Path, req.URL.RawQuery = "/v2.0/account/balance/fin_num", "bank_tran_id="+id+"&fintech_use_num="+fin1+"&tran_dtime=20261126101010"
					req.Body, req.ContentLength = http.NoBody, 0
				} else {
					raw := withdrawBody(id)
					body.Reset(raw)
					req.Method = http.MethodPost
					req.URL.Path, req.URL.RawQuery = "/v2.0/transfer/withdraw/fin_num", ""
					req.Header.Set("Content-Type", "application/json")
					req.Body, req.ContentLength = io.NopCloser(&body), int64(len(raw))
				}
				clear(w.h)
				h.ServeHTTP(w, req)
				if !bytes.Contains(w.body, []byte(`"rsp_code":"A0000"`)) {
					b.Fatalf("%s", w.body)
				}
			}
			// What each request leaves on the heap: the in-memory history
			// of a withdraw (two rows, a transfer, its id), nothing of a
			// balance but the day's duplicate-id set.
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(i), "live-B/req")
		})
	}
}

// withdrawBody is withdrawIn(id, fin1, "1") encoded, without
// encoding/json's allocations in the loop.
func withdrawBody(id string) []byte {
	return []byte(`{"bank_tran_id":"` + id + `","cntr_account_type":"N","cntr_account_num":"100000000001","dps_print_content":"bench","fintech_use_num":"` + fin1 +
		`","wd_print_content":"bench","tran_amt":"1","tran_dtime":"20261126101010","req_client_name":"홍길동","req_client_fintech_use_num":"` + fin1 +
		`","req_client_num":"BENCH0001","transfer_purpose":"TR","recv_client_name":"bench","recv_client_bank_code":"097","recv_client_account_num":"100000000001"}`)
}
