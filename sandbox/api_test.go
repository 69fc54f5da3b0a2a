package sandbox_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/sandbox"
)

const fin1 = "199000000100000000000001"

func balanceIn(id string) map[string]any {
	return map[string]any{"bank_tran_id": id, "fintech_use_num": fin1, "tran_dtime": "20261126101010"}
}

func withdrawIn(id, fin, amt string) map[string]any {
	return map[string]any{
		"bank_tran_id": id, "cntr_account_type": "N", "cntr_account_num": "100000000001", "dps_print_content": "홍길동충전",
		"fintech_use_num": fin, "wd_print_content": "오픈뱅킹출금", "tran_amt": amt, "tran_dtime": "20261126101010",
		"req_client_name": "홍길동", "req_client_fintech_use_num": fin, "req_client_num": "HONGGILDONG0001",
		"transfer_purpose": "TR", "recv_client_name": "오픈뱅킹샌드박스", "recv_client_bank_code": "097", "recv_client_account_num": "100000000001",
	}
}

func depositIn(id, fin, amt string) map[string]any {
	return map[string]any{
		"cntr_account_type": "N", "cntr_account_num": "100000000001", "wd_pass_phrase": "NONE", "wd_print_content": "오픈뱅킹입금",
		"name_check_option": "on", "tran_dtime": "20261126101010", "req_cnt": "1",
		"req_list": []any{map[string]any{"tran_no": "1", "bank_tran_id": id, "fintech_use_num": fin, "print_content": "오픈뱅킹입금",
			"tran_amt": amt, "req_client_name": "홍길동", "req_client_num": "HONGGILDONG0001", "transfer_purpose": "TR"}},
	}
}

// TestAPIFailures drives each documented failure and checks the codes the
// real testbed answers (docs/openbanking-api.md), all as HTTP 200.
func TestAPIFailures(t *testing.T) {
	e := start(t, sandbox.Config{TokenTTL: time.Hour})
	user := e.userToken("user1")["access_token"].(string)
	user2 := e.userToken("user2")["access_token"].(string)
	oob := e.institutionToken("oob")
	inquiryOnly := e.userTokenScope("user1", "login inquiry")["access_token"].(string)
	n := 100
	id := func() string { n++; return tranID(n) }
	const balance, withdraw, deposit = "/v2.0/account/balance/fin_num", "/v2.0/transfer/withdraw/fin_num", "/v2.0/transfer/deposit/fin_num"

	reused := id()
	wantRsp(t, e.call(http.MethodGet, balance, user, balanceIn(reused)), "A0000")

	tests := []struct {
		name         string
		method, path string
		token        string
		in           map[string]any
		wantRsp      string
		wantBank     string
		wantInMsg    string
	}{
		{"no authorization header", http.MethodGet, balance, "", balanceIn(id()), "O0001", "", "인증 파라미터 오류([992])"},
		{"invalid bearer token", http.MethodGet, balance, "not-a-token", balanceIn(id()), "O0002", "", "Access Token 거부"},
		{"forged signature", http.MethodGet, balance, user[:len(user)-4] + "AAAA", balanceIn(id()), "O0002", "", "Access Token 거부"},
		{"oob token on balance", http.MethodGet, balance, oob, balanceIn(id()), "O0011", "", "허용되지 않은 Scope 입니다."},
		{"oob token on transaction list", http.MethodGet, "/v2.0/account/transaction_list/fin_num", oob, map[string]any{
			"bank_tran_id": id(), "fintech_use_num": fin1, "inquiry_type": "A", "inquiry_base": "D", "from_date": "20261101",
			"to_date": "20261126", "sort_order": "D", "tran_dtime": "20261126101010"}, "O0011", "", "Scope"},
		{"user token on deposit", http.MethodPost, deposit, user, depositIn(id(), fin1, "1000"), "O0011", "", "Scope"},
		{"user token without the transfer scope", http.MethodPost, withdraw, inquiryOnly, withdrawIn(id(), fin1, "1000"), "O0011", "", "Scope"},
		{"bank_tran_id of another institution", http.MethodGet, balance, user, balanceIn("M202601315U000000001"), "A0004", "", "client_use_code"},
		{"bank_tran_id reused the same day", http.MethodGet, balance, user, balanceIn(reused), "A0326", "", "중복"},
		{"bank_tran_id of the wrong form", http.MethodGet, balance, user, balanceIn("T990000001U12"), "A0004", "", "bank_tran_id"},
		{"tran_dtime not a time", http.MethodGet, balance, user, map[string]any{"bank_tran_id": id(), "fintech_use_num": fin1, "tran_dtime": "20261399101010"}, "A0004", "", "tran_dtime"},
		{"tran_dtime not 14 digits", http.MethodGet, balance, user, map[string]any{"bank_tran_id": id(), "fintech_use_num": fin1, "tran_dtime": "2026-11-26"}, "A0004", "", "tran_dtime"},
		{"unknown fintech_use_num", http.MethodGet, balance, user, map[string]any{"bank_tran_id": id(), "fintech_use_num": "199000000199999999999999", "tran_dtime": "20261126101010"}, "A0002", "412", ""},
		{"another user's account", http.MethodGet, balance, user2, balanceIn(id()), "A0304", "", ""},
		{"required field missing", http.MethodGet, balance, user, map[string]any{"bank_tran_id": id(), "tran_dtime": "20261126101010"}, "A0004", "", "fintech_use_num"},
		{"required body field missing", http.MethodPost, withdraw, user, func() map[string]any {
			m := withdrawIn(id(), fin1, "1000")
			delete(m, "tran_amt")
			return m
		}(), "A0004", "", "tran_amt"},
		{"amount not digits", http.MethodPost, withdraw, user, withdrawIn(id(), fin1, "10,000"), "A0004", "", "tran_amt"},
		{"insufficient balance", http.MethodPost, withdraw, user, withdrawIn(id(), fin1, "999999999"), "A0002", "453", ""},
		{"not the contracted account", http.MethodPost, withdraw, user, func() map[string]any {
			m := withdrawIn(id(), fin1, "1000")
			m["cntr_account_num"] = "999999999999"
			return m
		}(), "A0322", "", ""},
		{"GET on a POST operation", http.MethodGet, withdraw, user, nil, "O0010", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := e.call(tt.method, tt.path, tt.token, tt.in)
			wantRsp(t, m, tt.wantRsp)
			if tt.wantBank != "" && (m["bank_rsp_code"] != tt.wantBank || m["bank_code_tran"] == nil) {
				t.Errorf("bank_rsp_code = %v, want %s (body %v)", m["bank_rsp_code"], tt.wantBank, m)
			}
			if msg, _ := m["rsp_message"].(string); !strings.Contains(msg, tt.wantInMsg) {
				t.Errorf("rsp_message %q lacks %q", msg, tt.wantInMsg)
			}
		})
	}

	// The failed withdraws moved no money.
	if b := e.call(http.MethodGet, balance, user, balanceIn(id())); b["balance_amt"] != "1000000" {
		t.Errorf("balance after failed withdraws = %v", b["balance_amt"])
	}
}

// TestTokenExpiry: a token past --token-ttl answers O0003; its refresh
// token still gives a working one.
func TestTokenExpiry(t *testing.T) {
	e := start(t, sandbox.Config{TokenTTL: 5 * time.Second})
	tok := e.userToken("user1")
	if tok["expires_in"] != float64(5) {
		t.Fatalf("expires_in = %v, want 5", tok["expires_in"])
	}
	wantRsp(t, e.call(http.MethodGet, "/v2.0/account/balance/fin_num", tok["access_token"].(string), balanceIn(tranID(1))), "A0000")
	e.clock.Add(6 * time.Second)
	wantRsp(t, e.call(http.MethodGet, "/v2.0/account/balance/fin_num", tok["access_token"].(string), balanceIn(tranID(2))), "O0003")
	fresh := e.form("/oauth/2.0/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)},
		"client_id": {sandbox.DefaultClientID}, "client_secret": {sandbox.DefaultClientSecret}})
	wantRsp(t, e.call(http.MethodGet, "/v2.0/account/balance/fin_num", fresh["access_token"].(string), balanceIn(tranID(3))), "A0000")
	// Days later, after the sandbox forgot the old token, it is still "expired".
	e.clock.Add(48 * time.Hour)
	e.institutionToken("oob") // issuing prunes old records
	wantRsp(t, e.call(http.MethodGet, "/v2.0/account/balance/fin_num", tok["access_token"].(string), balanceIn(tranID(4))), "O0003")
}

// TestWithdrawShowsEverywhere: a withdraw moves money into the contracted
// account, appears in the history, and transfer/result finds it; a deposit
// moves it back.
func TestWithdrawShowsEverywhere(t *testing.T) {
	e := start(t, sandbox.Config{})
	user := e.userToken("user1")["access_token"].(string)
	oob := e.institutionToken("oob")
	e.clock.Add(time.Hour) // 11:10:10 KST

	w := e.call(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", user, withdrawIn(tranID(1), fin1, "10000"))
	wantRsp(t, w, "A0000")
	if w["tran_amt"] != "10000" || w["bank_tran_id"] != tranID(1) || w["bank_tran_date"] != "20261126" || w["dps_account_num_masked"] != "100000000***" {
		t.Errorf("withdraw = %v", w)
	}
	b := e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(2)))
	if b["balance_amt"] != "990000" {
		t.Errorf("balance after withdraw = %v, want 990000", b["balance_amt"])
	}
	tl := e.call(http.MethodGet, "/v2.0/account/transaction_list/fin_num", user, map[string]any{"bank_tran_id": tranID(3), "fintech_use_num": fin1,
		"inquiry_type": "O", "inquiry_base": "D", "from_date": "20261126", "to_date": "20261126", "sort_order": "D", "tran_dtime": "20261126111010"})
	wantRsp(t, tl, "A0000")
	rows := tl["res_list"].([]any)
	if len(rows) != 1 {
		t.Fatalf("today's withdrawals = %v", rows)
	}
	row := rows[0].(map[string]any)
	if row["tran_amt"] != "10000" || row["inout_type"] != "출금" || row["after_balance_amt"] != "990000" || row["tran_time"] != "111010" {
		t.Errorf("row = %v", row)
	}

	res := e.call(http.MethodPost, "/v2.0/transfer/result", oob, map[string]any{"check_type": "1", "tran_dtime": "20261126111010", "req_cnt": "1",
		"req_list": []any{map[string]any{"tran_no": "1", "org_bank_tran_id": tranID(1), "org_bank_tran_date": "20261126", "org_tran_amt": "10000"}}})
	wantRsp(t, res, "A0000")
	item := res["res_list"].([]any)[0].(map[string]any)
	if _, echoed := item["org_bank_tran_id"]; echoed || item["bank_tran_id"] != tranID(1) || item["bank_code_tran"] != "097" || item["tran_amt"] != "10000" || item["wd_fintech_use_num"] != fin1 || item["bank_rsp_code"] != "000" {
		t.Errorf("transfer/result item = %v", item)
	}
	// The contracted account received it: remit_list names the remitter.
	rl := e.call(http.MethodPost, "/v2.0/inquiry/remit_list", oob, map[string]any{"bank_tran_id": tranID(6), "bank_code_std": "097",
		"account_num": "100000000001", "from_date": "20261126", "from_time": "110000", "to_date": "20261126", "to_time": "235959",
		"sort_order": "D", "tran_dtime": "20261126111010"})
	wantRsp(t, rl, "A0000")
	remits := rl["res_list"].([]any)
	if len(remits) != 1 || rl["total_record_cnt"] != "1" || rl["balance_amt"] == "" {
		t.Fatalf("remit_list = %v", rl)
	}
	if r := remits[0].(map[string]any); r["remitter_name"] != "홍길동" || r["tran_amt"] != "10000" || r["remitter_account_num"] != "1234567890***" || r["remitter_bank_code"] != "097" {
		t.Errorf("remit = %v", r)
	}
	missing := e.call(http.MethodPost, "/v2.0/transfer/result", oob, map[string]any{"check_type": "1", "tran_dtime": "20261126111010", "req_cnt": "1",
		"req_list": []any{map[string]any{"tran_no": "1", "org_bank_tran_id": tranID(99), "org_bank_tran_date": "20261126", "org_tran_amt": "10000"}}})
	wantRsp(t, missing, "A0310")

	d := e.call(http.MethodPost, "/v2.0/transfer/deposit/fin_num", oob, depositIn(tranID(4), fin1, "10000"))
	wantRsp(t, d, "A0000")
	if b := e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(5))); b["balance_amt"] != "1000000" {
		t.Errorf("balance after deposit = %v, want 1000000", b["balance_amt"])
	}

	// A return claim names the deposit; return/result names the claim by
	// the claim's own bank_tran_id and date (claim_bank_tran_*).
	claimIn := func(id, org string) map[string]any {
		return map[string]any{"bank_tran_id": id, "org_bank_tran_date": "20261126", "org_bank_tran_id": org, "org_dps_fintech_use_num": fin1,
			"org_tran_amt": "10000", "org_wd_bank_code_std": "097", "claim_code": "03", "claim_message": "금액 착오 입금",
			"total_return_yn": "Y", "return_account_num": "100000000001", "use_org_contact": "010-1234-5678", "use_org_email": "ops@example.com"}
	}
	wantRsp(t, e.call(http.MethodPost, "/v2.0/return/claim", oob, claimIn(tranID(7), tranID(1))), "A0310") // a withdraw, not a deposit
	both := claimIn(tranID(11), tranID(4))
	both["org_dps_bank_code_std"], both["org_dps_account_num"] = "097", "1234567890123"
	wantRsp(t, e.call(http.MethodPost, "/v2.0/return/claim", oob, both), "A0004") // fintech number and account at once
	c := e.call(http.MethodPost, "/v2.0/return/claim", oob, claimIn(tranID(8), tranID(4)))
	wantRsp(t, c, "A0000")
	if c["org_bank_tran_id"] != tranID(4) || c["bank_tran_id"] != tranID(8) || c["return_account_num"] != "100000000001" || c["wd_bank_code_std"] != "097" {
		t.Errorf("claim = %v", c)
	}
	rr := e.call(http.MethodPost, "/v2.0/return/result", oob, map[string]any{"claim_bank_tran_date": c["bank_tran_date"], "claim_bank_tran_id": tranID(8)})
	wantRsp(t, rr, "A0000")
	if rr["claim_bank_tran_id"] != tranID(8) || rr["claim_normal_yn"] != "Y" || rr["return_yn"] != "N" || rr["total_return_yn"] != "Y" {
		t.Errorf("return/result = %v", rr)
	}
	wantRsp(t, e.call(http.MethodPost, "/v2.0/return/result", oob, map[string]any{"claim_bank_tran_date": c["bank_tran_date"], "claim_bank_tran_id": tranID(77)}), "A0310")
	// The old request shape (bank_tran_id + org_*) is not the API's: A0004.
	wantRsp(t, e.call(http.MethodPost, "/v2.0/return/result", oob, map[string]any{"bank_tran_id": tranID(9), "org_bank_tran_date": "20261126", "org_bank_tran_id": tranID(8)}), "A0004")
}

// TestTransactionListPaging: 30 rows page as 25 + 5 through
// befor_inquiry_trace_info, and the date and direction filters apply.
func TestTransactionListPaging(t *testing.T) {
	data, err := sandbox.ParseData(sandbox.SeedYAML())
	if err != nil {
		t.Fatal(err)
	}
	acct := &data.Users[0].Accounts[0]
	acct.History = nil
	for i := 0; i < 30; i++ {
		inout := "입금"
		if i%3 == 0 {
			inout = "출금"
		}
		acct.History = append(acct.History, sandbox.Txn{Date: fmt.Sprintf("202610%02d", i+1), Time: "120000", InOut: inout,
			Type: "대체", Content: fmt.Sprintf("row%02d", i+1), Amount: 1000, Branch: "본점"})
	}
	e := start(t, sandbox.Config{Data: data})
	user := e.userToken("user1")["access_token"].(string)
	n := 0
	list := func(extra map[string]any) map[string]any {
		n++
		in := map[string]any{"bank_tran_id": tranID(n), "fintech_use_num": fin1, "inquiry_type": "A", "inquiry_base": "D",
			"from_date": "20261001", "to_date": "20261031", "sort_order": "D", "tran_dtime": "20261126101010"}
		for k, v := range extra {
			in[k] = v
		}
		m := e.call(http.MethodGet, "/v2.0/account/transaction_list/fin_num", user, in)
		wantRsp(t, m, "A0000")
		return m
	}
	contents := func(m map[string]any) []string {
		var out []string
		for _, r := range m["res_list"].([]any) {
			out = append(out, r.(map[string]any)["print_content"].(string))
		}
		return out
	}

	p1 := list(nil)
	if p1["page_record_cnt"] != "25" || p1["next_page_yn"] != "Y" || p1["befor_inquiry_trace_info"] == "" {
		t.Fatalf("page 1: cnt %v next %v trace %v", p1["page_record_cnt"], p1["next_page_yn"], p1["befor_inquiry_trace_info"])
	}
	if c := contents(p1); c[0] != "row30" || c[24] != "row06" {
		t.Errorf("page 1 order = %v", c)
	}
	p2 := list(map[string]any{"befor_inquiry_trace_info": p1["befor_inquiry_trace_info"]})
	if p2["page_record_cnt"] != "5" || p2["next_page_yn"] != "N" {
		t.Fatalf("page 2: cnt %v next %v", p2["page_record_cnt"], p2["next_page_yn"])
	}
	if c := contents(p2); strings.Join(c, ",") != "row05,row04,row03,row02,row01" {
		t.Errorf("page 2 = %v", c)
	}

	if c := contents(list(map[string]any{"from_date": "20261010", "to_date": "20261012", "sort_order": "A"})); strings.Join(c, ",") != "row10,row11,row12" {
		t.Errorf("date filter = %v", c)
	}
	if c := contents(list(map[string]any{"inquiry_type": "O", "to_date": "20261007"})); strings.Join(c, ",") != "row07,row04,row01" {
		t.Errorf("withdrawals only = %v", c)
	}
	if c := contents(list(map[string]any{"inquiry_base": "T", "from_date": "20261002", "from_time": "120001", "to_date": "20261004", "to_time": "120000"})); strings.Join(c, ",") != "row04,row03" {
		t.Errorf("time filter = %v", c)
	}
	// The last row's after-balance is the account balance.
	if r := p1["res_list"].([]any)[0].(map[string]any); r["after_balance_amt"] != "1000000" {
		t.Errorf("newest after_balance_amt = %v", r["after_balance_amt"])
	}
}

// TestStateSurvivesRestart: with a state file, money moved and tokens
// issued before a restart are still there after it.
func TestStateSurvivesRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	e := start(t, sandbox.Config{StateFile: file})
	user := e.userToken("user1")["access_token"].(string)
	wantRsp(t, e.call(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", user, withdrawIn(tranID(1), fin1, "25000")), "A0000")

	e2 := e.restart()
	b := e2.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(2)))
	wantRsp(t, b, "A0000")
	if b["balance_amt"] != "975000" {
		t.Errorf("balance after restart = %v, want 975000", b["balance_amt"])
	}
	// The day's bank_tran_ids survive too.
	wantRsp(t, e2.call(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", user, withdrawIn(tranID(1), fin1, "1")), "A0326")
	// Written by rename: no temp file is left beside it, and it is private.
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("files beside the state: %v", entries)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode: %v %v", fi.Mode(), err)
	}
	// A broken file is refused with the way out.
	if err := os.WriteFile(file, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sandbox.New(sandbox.Config{StateFile: file, Spec: e.cfg.Spec}); err == nil || !strings.Contains(err.Error(), "delete the file") {
		t.Errorf("broken state: err = %v", err)
	}
}

// TestManualOperationsChangeLists: account/cancel and user/unlink change what
// user/me and account/list return; consenting again restores them.
func TestManualOperationsChangeLists(t *testing.T) {
	doc := loadSpec(t)
	for _, p := range []string{"/v2.0/account/cancel", "/v2.0/user/unlink"} {
		if doc.Paths.Value(p) == nil {
			t.Fatalf("the embedded spec has no %s", p)
		}
	}
	e := start(t, sandbox.Config{Spec: doc})
	user := e.userToken("user1")["access_token"].(string)
	me := func(tok string) map[string]any {
		m := e.call(http.MethodGet, "/v2.0/user/me", tok, map[string]any{"user_seq_no": "1100000001"})
		wantRsp(t, m, "A0000")
		return m
	}
	accounts := func(tok, include string) []any {
		m := e.call(http.MethodGet, "/v2.0/account/list", tok, map[string]any{"user_seq_no": "1100000001", "include_cancel_yn": include, "sort_order": "D"})
		wantRsp(t, m, "A0000")
		return m["res_list"].([]any)
	}
	if got := me(user)["res_cnt"]; got != "2" {
		t.Fatalf("res_cnt = %v", got)
	}
	for _, sc := range []string{"inquiry", "transfer"} {
		wantRsp(t, e.call(http.MethodPost, "/v2.0/account/cancel", user, map[string]any{"bank_tran_id": tranID(len(sc)), "scope": sc, "fintech_use_num": fin1}), "A0000")
	}
	if got := me(user)["res_cnt"]; got != "1" {
		t.Errorf("user/me res_cnt after cancel = %v, want 1", got)
	}
	if got := accounts(user, "N"); len(got) != 1 {
		t.Errorf("account/list N = %v", got)
	}
	all := accounts(user, "Y")
	if len(all) != 2 {
		t.Fatalf("account/list Y = %v", all)
	}
	states := map[any]any{}
	for _, a := range all {
		states[a.(map[string]any)["fintech_use_num"]] = a.(map[string]any)["account_state"]
	}
	if states[fin1] != "09" {
		t.Errorf("cancelled account_state = %v", states[fin1])
	}
	wantRsp(t, e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(20))), "A0305")

	wantRsp(t, e.call(http.MethodPost, "/v2.0/user/unlink", user, map[string]any{"client_use_code": sandbox.DefaultClientUseCode, "user_seq_no": "1100000001"}), "A0000")
	if got := me(user)["res_cnt"]; got != "0" {
		t.Errorf("user/me res_cnt after unlink = %v, want 0", got)
	}
	user = e.userToken("user1")["access_token"].(string)
	if got := me(user)["res_cnt"]; got != "2" {
		t.Errorf("user/me res_cnt after consenting again = %v, want 2", got)
	}
}

// TestFaultKnobs: --fail-rate 1 answers every API call with A0003 (OAuth is
// spared, so tokens still come); --latency holds each answer at least that long.
func TestFaultKnobs(t *testing.T) {
	t.Run("fail rate", func(t *testing.T) {
		e := start(t, sandbox.Config{FailRate: 1})
		user := e.userToken("user1")["access_token"].(string)
		for i := 0; i < 3; i++ {
			wantRsp(t, e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(i+1))), "A0003")
		}
	})
	t.Run("fail rate out of range", func(t *testing.T) {
		if _, err := sandbox.New(sandbox.Config{FailRate: 2, Spec: loadSpec(t)}); err == nil {
			t.Fatal("fail rate 2 accepted")
		}
	})
	t.Run("latency", func(t *testing.T) {
		const d = 30 * time.Millisecond
		e := start(t, sandbox.Config{Latency: d})
		user := e.userToken("user1")["access_token"].(string)
		t0 := time.Now()
		wantRsp(t, e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(1))), "A0000")
		if el := time.Since(t0); el < d {
			t.Errorf("answered after %s, before the %s latency", el, d)
		}
	})
}

// TestBadData: seed data errors name the place and the fix.
func TestBadData(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"not yaml", "users: [", "parse yaml"},
		{"short fintech number", "banks: [{code: \"097\", name: x}]\nusers:\n- {id: u, user_seq_no: \"1100000001\", accounts: [{bank_code_std: \"097\", account_num: \"1\", fintech_use_num: \"123\"}]}", "users[0].accounts[0].fintech_use_num"},
		{"unknown bank", "users:\n- {id: u, user_seq_no: \"1100000001\", accounts: [{bank_code_std: \"999\", account_num: \"1\", fintech_use_num: \"199000000100000000000009\"}]}", "not listed under banks"},
		{"bad client use code", "clients: [{client_id: a, client_secret: b, redirect_uris: [\"http://127.0.0.1/cb\"], client_use_code: x1}]", "clients[0].client_use_code"},
		{"duplicate user_seq_no", "users:\n- {id: a, user_seq_no: \"1100000001\"}\n- {id: b, user_seq_no: \"1100000001\"}", "users[1].user_seq_no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sandbox.ParseData([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
	if _, err := sandbox.LoadData(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := sandbox.New(sandbox.Config{TokenTTL: 500 * time.Millisecond}); err == nil || !strings.Contains(err.Error(), "want at least 1s") {
		t.Errorf("sub-second token TTL: %v, want it refused (expires_in would be 0)", err)
	}
}

// TestBankTranIDNextDay: a bank_tran_id is unique within a KST day only.
func TestBankTranIDNextDay(t *testing.T) {
	e := start(t, sandbox.Config{})
	user := e.userToken("user1")["access_token"].(string)
	wantRsp(t, e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(7))), "A0000")
	wantRsp(t, e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(7))), "A0326")
	e.clock.Add(14 * time.Hour) // 00:10 KST the next day
	wantRsp(t, e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(7))), "A0000")
}

// TestInquiries: real-name and receive inquiries answer from the seed.
func TestInquiries(t *testing.T) {
	e := start(t, sandbox.Config{})
	oob := e.institutionToken("oob")
	n := 0
	realName := func(bank, acct, typ, info string) map[string]any {
		n++
		return e.call(http.MethodPost, "/v2.0/inquiry/real_name", oob, map[string]any{"bank_tran_id": tranID(n), "bank_code_std": bank,
			"account_num": acct, "account_holder_info_type": typ, "account_holder_info": info, "tran_dtime": "20261126101010"})
	}
	m := realName("097", "1234567890123", " ", "880101")
	wantRsp(t, m, "A0000")
	if m["account_holder_name"] != "홍길동" || m["bank_name"] != "오픈은행" {
		t.Errorf("real_name = %v", m)
	}
	if m := realName("004", "123401234567", " ", "900215"); m["account_holder_name"] != "김철수" {
		t.Errorf("real_name user2 = %v", m)
	}
	m = realName("097", "1234567890123", " ", "900215")
	wantRsp(t, m, "A0002")
	if m["bank_rsp_code"] != "463" {
		t.Errorf("wrong birth date: bank_rsp_code = %v", m["bank_rsp_code"])
	}
	m = realName("097", "9999999999", " ", "880101")
	wantRsp(t, m, "A0002")
	if m["bank_rsp_code"] != "412" {
		t.Errorf("unknown account: bank_rsp_code = %v", m["bank_rsp_code"])
	}

	receive := func(cntr string) map[string]any {
		n++
		return e.call(http.MethodPost, "/v2.0/inquiry/receive", oob, map[string]any{"bank_tran_id": tranID(n), "cntr_account_type": "N",
			"cntr_account_num": cntr, "bank_code_std": "088", "account_num": "110123456789", "print_content": "오픈뱅킹입금",
			"tran_amt": "10000", "req_client_name": "홍길동", "req_client_fintech_use_num": fin1, "req_client_num": "HONGGILDONG0001",
			"transfer_purpose": "TR", "tran_dtime": "20261126101010"})
	}
	m = receive("100000000001")
	wantRsp(t, m, "A0000")
	if m["account_holder_name"] != "홍길동" || m["bank_code_std"] != "088" || m["wd_account_num"] != "100000000001" {
		t.Errorf("receive = %v", m)
	}
	wantRsp(t, receive("999999999999"), "A0322")
}

// TestSelfAuthRegister: an sa institution registers a new user's account,
// then serves it by account number; registering again answers the same ids.
func TestSelfAuthRegister(t *testing.T) {
	e := start(t, sandbox.Config{})
	sa := e.institutionToken("oob sa")
	register := func(id string) map[string]any {
		m := e.call(http.MethodPost, "/v2.0/user/register", sa, map[string]any{"bank_tran_id": id, "bank_code_std": "020",
			"register_account_num": "1002123456789", "user_info": "950505", "user_name": "이영희", "user_ci": "CILEEYOUNGHEE==",
			"user_email": "lee@example.com", "scope": "inquiry", "info_prvd_agmt_yn": "Y", "wd_agmt_yn": "Y", "agmt_data_type": "2",
			"tran_dtime": "20261126101010"})
		wantRsp(t, m, "A0000")
		return m
	}
	first := register(tranID(1))
	seq, fin := first["user_seq_no"].(string), first["fintech_use_num"].(string)
	if len(seq) != 10 || len(fin) != 24 || seq == "1100000001" || seq == "1100000002" {
		t.Fatalf("register = %v", first)
	}
	if again := register(tranID(2)); again["user_seq_no"] != seq || again["fintech_use_num"] != fin {
		t.Errorf("second register = %v, want the same ids", again)
	}
	me := e.call(http.MethodGet, "/v2.0/user/me", sa, map[string]any{"user_seq_no": seq})
	wantRsp(t, me, "A0000")
	if me["user_name"] != "이영희" || me["res_cnt"] != "1" {
		t.Errorf("user/me = %v", me)
	}
	b := e.call(http.MethodPost, "/v2.0/account/balance/acnt_num", sa, map[string]any{"bank_tran_id": tranID(3), "bank_code_std": "020",
		"account_num": "1002123456789", "user_seq_no": seq, "tran_dtime": "20261126101010"})
	wantRsp(t, b, "A0000")
	if b["balance_amt"] != "0" || b["fintech_use_num"] != fin {
		t.Errorf("balance = %v", b)
	}
	// An oob-only token may not register.
	wantRsp(t, e.call(http.MethodPost, "/v2.0/user/register", e.institutionToken("oob"), map[string]any{"bank_tran_id": tranID(4)}), "O0011")
}

// TestUpdateAlias: account/update_info changes the alias user/me shows.
func TestUpdateAlias(t *testing.T) {
	e := start(t, sandbox.Config{})
	user := e.userToken("user1")["access_token"].(string)
	wantRsp(t, e.call(http.MethodPost, "/v2.0/account/update_info", user, map[string]any{"fintech_use_num": fin1, "account_alias": "여행 자금"}), "A0000")
	me := e.call(http.MethodGet, "/v2.0/user/me", user, map[string]any{"user_seq_no": "1100000001"})
	if a := me["res_list"].([]any)[0].(map[string]any); a["account_alias"] != "여행 자금" {
		t.Errorf("alias = %v", a["account_alias"])
	}
}

// TestDuplicateIDWithinABatch: a bank_tran_id repeated inside one deposit
// batch is refused as a repeat across requests is (A0326), the whole batch
// before any money moves, and the refused batch uses up none of its ids.
// The embedded document fixes a deposit at one item (req_cnt "1"), so the
// sandbox runs here with a document that allows several, as earlier
// versions of the API (and Config.Spec) may.
func TestDuplicateIDWithinABatch(t *testing.T) {
	doc := loadSpec(t)
	body := doc.Paths.Value("/v2.0/transfer/deposit/fin_num").Post.RequestBody.Value.Content.Get("application/json").Schema.Value
	body.Properties["req_cnt"].Value.Enum = nil
	body.Properties["req_list"].Value.MaxItems = nil
	e := start(t, sandbox.Config{TokenTTL: time.Hour, Spec: doc})
	user := e.userToken("user1")["access_token"].(string)
	oob := e.institutionToken("oob")
	const deposit = "/v2.0/transfer/deposit/fin_num"
	batch := func(ids ...string) map[string]any {
		in := depositIn(ids[0], fin1, "1000")
		item := in["req_list"].([]any)[0].(map[string]any)
		var list []any
		for i, id := range ids {
			it := map[string]any{}
			for k, v := range item {
				it[k] = v
			}
			it["tran_no"], it["bank_tran_id"] = fmt.Sprint(i+1), id
			list = append(list, it)
		}
		in["req_list"], in["req_cnt"] = list, fmt.Sprint(len(ids))
		return in
	}
	before := e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(1)))["balance_amt"]

	m := e.call(http.MethodPost, deposit, oob, batch(tranID(2), tranID(3), tranID(2)))
	wantRsp(t, m, "A0326")
	if msg, _ := m["rsp_message"].(string); !strings.Contains(msg, "중복") || !strings.Contains(msg, tranID(2)) {
		t.Errorf("rsp_message %q: want the duplicate named", msg)
	}
	if b := e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(4)))["balance_amt"]; b != before {
		t.Errorf("balance after the refused batch = %v, want %v (no money moved)", b, before)
	}
	// None of the refused batch's ids was used: each works once now.
	wantRsp(t, e.call(http.MethodPost, deposit, oob, batch(tranID(2), tranID(3))), "A0000")
	wantRsp(t, e.call(http.MethodPost, deposit, oob, batch(tranID(5), tranID(3))), "A0326") // across requests, as before
}
