package sandbox_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/obpm/obpm/sandbox"
)

// TestLongHistorySurvivesRestart: an account history of several thousand
// rows (several chunks of the compact history store) plus withdrawals made
// with a state file, compacted on the way, reads back after a restart in
// the same order, with the same rows, page by page.
func TestLongHistorySurvivesRestart(t *testing.T) {
	const seeded = 9000 // 40 rows a day, 1 January to 1 September
	data, err := sandbox.ParseData(sandbox.SeedYAML())
	if err != nil {
		t.Fatal(err)
	}
	acct := &data.Users[0].Accounts[0]
	acct.History = nil
	for i := range seeded {
		d := i / 40
		acct.History = append(acct.History, sandbox.Txn{Date: fmt.Sprintf("2026%02d%02d", 1+d/28, 1+d%28), Time: fmt.Sprintf("10%02d00", i%40),
			InOut: "입금", Type: "대체", Content: fmt.Sprintf("row%05d", i), Amount: 10, Branch: "본점"})
	}
	file := filepath.Join(t.TempDir(), "state.json")
	e := start(t, sandbox.Config{Data: data, StateFile: file})
	sandbox.SetCompactAt(e.srv, 16<<10) // a few snapshots on the way
	user := e.userToken("user1")["access_token"].(string)
	const withdrawals = 30
	for i := 1; i <= withdrawals; i++ {
		wantRsp(t, e.call(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", user, withdrawIn(tranID(i), fin1, "1")), "A0000")
	}
	n := withdrawals
	list := func(e *env, in map[string]any) map[string]any {
		t.Helper()
		n++
		q := map[string]any{"bank_tran_id": tranID(n), "fintech_use_num": fin1, "inquiry_type": "A", "inquiry_base": "D",
			"sort_order": "A", "tran_dtime": "20261126101010"}
		for k, v := range in {
			q[k] = v
		}
		m := e.call(http.MethodGet, "/v2.0/account/transaction_list/fin_num", user, q)
		wantRsp(t, m, "A0000")
		return m
	}
	contents := func(m map[string]any) string {
		var out []string
		for _, r := range m["res_list"].([]any) {
			out = append(out, r.(map[string]any)["print_content"].(string))
		}
		return strings.Join(out, ",")
	}
	rowNames := func(from, to, step int) string {
		var out []string
		for i := from; i != to; i += step {
			out = append(out, fmt.Sprintf("row%05d", i))
		}
		return strings.Join(out, ",")
	}
	check := func(e *env, when string) {
		t.Helper()
		// The oldest day, oldest first, over two pages.
		p1 := list(e, map[string]any{"from_date": "20260101", "to_date": "20260101"})
		if got, want := contents(p1), rowNames(0, 25, 1); got != want {
			t.Errorf("%s: first day, page 1 = %s, want %s", when, got, want)
		}
		p2 := list(e, map[string]any{"from_date": "20260101", "to_date": "20260101", "befor_inquiry_trace_info": p1["befor_inquiry_trace_info"]})
		if got, want := contents(p2), rowNames(25, 40, 1); got != want || p2["next_page_yn"] != "N" {
			t.Errorf("%s: first day, page 2 = %s (next %v), want %s", when, got, p2["next_page_yn"], want)
		}
		// A day in the middle of the third chunk, newest first.
		mid := list(e, map[string]any{"from_date": "20260705", "to_date": "20260705", "sort_order": "D"})
		d := 6*28 + 4
		if got, want := contents(mid), rowNames(d*40+39, d*40+14, -1); got != want {
			t.Errorf("%s: 5 July = %s, want %s", when, got, want)
		}
		// The last seeded day, then today's withdrawals, newest first.
		last := list(e, map[string]any{"from_date": "20260901", "to_date": "20260901", "sort_order": "D", "inquiry_type": "I"})
		if got, want := contents(last), rowNames(seeded-1, seeded-26, -1); got != want {
			t.Errorf("%s: 1 September = %s, want %s", when, got, want)
		}
		today := list(e, map[string]any{"from_date": "20261126", "to_date": "20261126", "sort_order": "D", "inquiry_type": "O"})
		if today["page_record_cnt"] != "25" || today["next_page_yn"] != "Y" || !strings.HasPrefix(contents(today), "오픈뱅킹출금,") {
			t.Errorf("%s: today's withdrawals: cnt %v next %v rows %s", when, today["page_record_cnt"], today["next_page_yn"], contents(today))
		}
		rows := today["res_list"].([]any)
		if r := rows[0].(map[string]any); r["after_balance_amt"] != fmt.Sprint(1_000_000-withdrawals) {
			t.Errorf("%s: newest after_balance_amt = %v, want %d", when, r["after_balance_amt"], 1_000_000-withdrawals)
		}
		if r := rows[24].(map[string]any); r["after_balance_amt"] != fmt.Sprint(1_000_000-withdrawals+24) {
			t.Errorf("%s: 25th newest after_balance_amt = %v", when, r["after_balance_amt"])
		}
	}
	check(e, "before the restart")
	e2 := e.restart()
	check(e2, "after the restart")
	b := e2.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(1000)))
	if want := fmt.Sprint(1_000_000 - withdrawals); b["balance_amt"] != want || b["last_tran_date"] != "20261126" {
		t.Errorf("after restart: balance %v (want %s), last_tran_date %v", b["balance_amt"], want, b["last_tran_date"])
	}
	// transfer/result finds the first withdrawal (in a snapshot by now) and
	// the last (in a journal record).
	oob := e2.institutionToken("oob")
	for _, id := range []string{tranID(1), tranID(withdrawals)} {
		n++
		res := e2.call(http.MethodPost, "/v2.0/transfer/result", oob, map[string]any{"check_type": "1", "tran_dtime": "20261126111010", "req_cnt": "1",
			"req_list": []any{map[string]any{"tran_no": "1", "org_bank_tran_id": id, "org_bank_tran_date": "20261126", "org_tran_amt": "1"}}})
		wantRsp(t, res, "A0000")
		if item := res["res_list"].([]any)[0].(map[string]any); item["bank_tran_id"] != id || item["wd_fintech_use_num"] != fin1 {
			t.Errorf("transfer/result of %s after restart = %v", id, item)
		}
	}
	// A second restart replays the journal written after the first.
	wantRsp(t, e2.call(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", user, withdrawIn(tranID(2000), fin1, "1")), "A0000")
	e3 := e2.restart()
	b = e3.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(2001)))
	if want := fmt.Sprint(1_000_000 - withdrawals - 1); b["balance_amt"] != want {
		t.Errorf("after a second restart: balance %v, want %s", b["balance_amt"], want)
	}
}

// TestSameKeysStillJudged: after a withdraw passes, a body with the same
// keys in the same order (the validator then judges only its values) is
// still refused for a bad value, and a body without a required member or
// with one more is judged whole; a good body passes again.
func TestSameKeysStillJudged(t *testing.T) {
	e := start(t, sandbox.Config{})
	user := e.userToken("user1")["access_token"].(string)
	const path = "/v2.0/transfer/withdraw/fin_num"
	n := 0
	body := func(change func(map[string]any)) map[string]any {
		n++
		in := withdrawIn(tranID(n), fin1, "1")
		if change != nil {
			change(in)
		}
		return in
	}
	wantRsp(t, e.call(http.MethodPost, path, user, body(nil)), "A0000")
	wantRsp(t, e.call(http.MethodPost, path, user, body(nil)), "A0000")
	for _, tc := range []struct {
		name   string
		change func(map[string]any)
		field  string
	}{
		{"bad enum", func(in map[string]any) { in["cntr_account_type"] = "X" }, "cntr_account_type"},
		{"bad pattern", func(in map[string]any) { in["tran_amt"] = "1a" }, "tran_amt"},
		{"too long", func(in map[string]any) { in["req_client_num"] = strings.Repeat("A", 200) }, "req_client_num"},
		{"a required member missing", func(in map[string]any) { delete(in, "transfer_purpose") }, "transfer_purpose"},
	} {
		m := e.call(http.MethodPost, path, user, body(tc.change))
		wantRsp(t, m, "A0004")
		if msg, _ := m["rsp_message"].(string); !strings.Contains(msg, tc.field) {
			t.Errorf("%s: rsp_message %q does not name %s", tc.name, msg, tc.field)
		}
		wantRsp(t, e.call(http.MethodPost, path, user, body(nil)), "A0000")
	}
}
