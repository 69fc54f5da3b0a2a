package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/obpm/obpm/sandbox"
)

// rawCall sends a business request and returns the answer's bytes.
func (e *env) rawCall(method, path, token string, in map[string]any) []byte {
	e.t.Helper()
	var body io.Reader
	target := e.ts.URL + path
	if method == http.MethodGet {
		q := url.Values{}
		for k, v := range in {
			q.Set(k, fmt.Sprint(v))
		}
		target += "?" + q.Encode()
	} else {
		raw, _ := json.Marshal(in)
		body = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, target, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return []byte(fmt.Sprintf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b))
}

// TestDirectAnswersMatchMaps sends the same requests to a sandbox with the
// direct answers (serveDirect) and to one with the generic answer maps,
// and wants the same bytes but for the random api_tran_id, across states
// (balances changed by transfers, days passing) and inputs (both routes,
// account_num or not, the failures).
func TestDirectAnswersMatchMaps(t *testing.T) {
	direct, maps := start(t, sandbox.Config{TokenTTL: 7 * 24 * time.Hour}), start(t, sandbox.Config{TokenTTL: 7 * 24 * time.Hour})
	sandbox.SetNoDirect(maps.srv, true)
	envs := []*env{direct, maps}
	var user, user2, sa [2]string
	for i, e := range envs {
		user[i] = e.userToken("user1")["access_token"].(string)
		user2[i] = e.userToken("user2")["access_token"].(string)
		sa[i] = e.institutionToken("sa")
	}
	uuid := regexp.MustCompile(`"api_tran_id":"[0-9a-f-]{36}"`)
	n, ok, wd := 0, 0, 0
	id := func() string { n++; return tranID(n) }
	const balance, acnt, withdraw = "/v2.0/account/balance/fin_num", "/v2.0/account/balance/acnt_num", "/v2.0/transfer/withdraw/fin_num"
	const wdAcnt = "/v2.0/transfer/withdraw/acnt_num"
	withAcnt := func(in map[string]any) map[string]any {
		if in["fintech_use_num"] == "" {
			delete(in, "fintech_use_num")
		}
		in["bank_code_std"], in["account_num"], in["user_seq_no"] = "097", "1234567890123", "1100000001"
		return in
	}
	for round := range 6 {
		type call struct {
			method, path string
			tok          *[2]string
			in           map[string]any
		}
		reused := id()
		calls := []call{
			{http.MethodGet, balance, &user, balanceIn(reused)},
			{http.MethodGet, balance, &user, balanceIn(reused)},
			{http.MethodGet, balance, &user, map[string]any{"bank_tran_id": id(), "fintech_use_num": "199000000100000000000002", "tran_dtime": "20261126101010"}},
			{http.MethodGet, balance, &user, map[string]any{"bank_tran_id": id(), "fintech_use_num": "199000000100000000000003", "tran_dtime": "20261126101010"}},
			{http.MethodGet, balance, &user2, balanceIn(id())},
			{http.MethodGet, balance, &user, map[string]any{"bank_tran_id": id(), "fintech_use_num": "199000000100000000000099", "tran_dtime": "20261126101010"}},
			{http.MethodGet, balance, &user, map[string]any{"bank_tran_id": id(), "fintech_use_num": fin1, "tran_dtime": "2026112610"}},
			{http.MethodGet, balance, &user, map[string]any{"bank_tran_id": "T990000001U12", "fintech_use_num": fin1, "tran_dtime": "20261126101010"}},
			{http.MethodGet, balance, &user, map[string]any{"bank_tran_id": id(), "fintech_use_num": fin1, "tran_dtime": "20261126101010", "extra": "x\"<&>\u2028"}},
			{http.MethodPost, acnt, &sa, map[string]any{"bank_tran_id": id(), "bank_code_std": "097", "account_num": "1234567890123",
				"user_seq_no": "1100000001", "tran_dtime": "20261126101010"}},
			{http.MethodPost, acnt, &sa, map[string]any{"bank_tran_id": id(), "bank_code_std": "088", "account_num": "110123456789",
				"user_seq_no": "1100000001", "tran_dtime": "20261126101010"}},
			{http.MethodPost, acnt, &sa, map[string]any{"bank_tran_id": id(), "bank_code_std": "097", "account_num": "999",
				"user_seq_no": "1100000001", "tran_dtime": "20261126101010"}},
			{http.MethodPost, withdraw, &user, withdrawIn(id(), fin1, fmt.Sprint(1+round*7000))},
			{http.MethodPost, withdraw, &user, withdrawIn(id(), "199000000100000000000002", "5")},
			{http.MethodPost, withdraw, &user2, withdrawIn(id(), "199000000100000000000003", "2")},
			{http.MethodPost, withdraw, &user, withdrawIn(id(), fin1, "900000000000")},
			{http.MethodPost, withdraw, &user, withdrawIn(reused, fin1, "3")},
			{http.MethodPost, withdraw, &user, withAcnt(withdrawIn(id(), fin1, "4"))},
			{http.MethodPost, withdraw, &user, withdrawIn(id(), fin1, "4\"\u2028")},
			{http.MethodPost, wdAcnt, &user, withAcnt(withdrawIn(id(), "", "6"))},
			{http.MethodPost, wdAcnt, &sa, withAcnt(withdrawIn(id(), "", "6"))},
		}
		for i, c := range calls {
			var got [2][]byte
			for j, e := range envs {
				got[j] = uuid.ReplaceAll(e.rawCall(c.method, c.path, c.tok[j], c.in), []byte(`"api_tran_id":"-"`))
			}
			if bytes.Contains(got[0], []byte(`"balance_amt"`)) && bytes.Contains(got[0], []byte(`"rsp_code":"A0000"`)) {
				ok++
			}
			if bytes.Contains(got[0], []byte(`"tran_amt"`)) && bytes.Contains(got[0], []byte(`"rsp_code":"A0000"`)) {
				wd++
			}
			if !bytes.Equal(got[0], got[1]) {
				t.Errorf("round %d call %d %s %s %v:\ndirect %s\nmaps   %s", round, i, c.method, c.path, c.in, got[0], got[1])
			}
		}
		for _, e := range envs {
			e.clock.Add(9 * time.Hour)
		}
	}
	if ok < 6*4 {
		t.Errorf("%d successful balance answers, want at least %d", ok, 6*4)
	}
	if wd < 6*2 {
		t.Errorf("%d successful withdraw answers, want at least %d", wd, 6*2)
	}
}
