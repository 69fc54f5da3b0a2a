package sandbox_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/obpm/obpm/sandbox"
)

// TestRecycledBuffersKeepHistoryIntact: direct answers reuse their request
// body buffer, input map and the last value of each field; what the history
// keeps (print contents, bank_tran_ids) must be the request's own, not
// bytes a later request wrote over. Withdraws with distinct and repeated
// contents, between other bodies, then the transaction list and
// transfer/result must show each one as sent.
func TestRecycledBuffersKeepHistoryIntact(t *testing.T) {
	e := start(t, sandbox.Config{})
	user := e.userToken("user1")["access_token"].(string)
	oob := e.institutionToken("oob")
	const n = 20
	content := func(i int) string {
		if i%3 == 0 {
			return "같은내용"
		}
		return fmt.Sprintf("내용%02d-%s", i, "xyzxyzxyz"[:i%9])
	}
	for i := 1; i <= n; i++ {
		in := withdrawIn(tranID(i), fin1, strconv.Itoa(i))
		in["wd_print_content"] = content(i)
		wantRsp(t, e.call(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", user, in), "A0000")
		// A longer body of another shape through the same buffers.
		bad := withdrawIn(tranID(1000+i), fin1, "900000000000")
		bad["wd_print_content"] = "덮어쓰기덮어쓰기덮어쓰기"
		wantRsp(t, e.call(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", user, bad), "A0002")
		wantRsp(t, e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(2000+i))), "A0000")
	}
	tl := e.call(http.MethodGet, "/v2.0/account/transaction_list/fin_num", user, map[string]any{"bank_tran_id": tranID(3000), "fintech_use_num": fin1,
		"inquiry_type": "O", "inquiry_base": "D", "from_date": "20261126", "to_date": "20261126", "sort_order": "D", "tran_dtime": "20261126111010"})
	wantRsp(t, tl, "A0000")
	rows, _ := tl["res_list"].([]any)
	if len(rows) < 10 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		row := r.(map[string]any)
		amt, _ := strconv.Atoi(row["tran_amt"].(string))
		if amt < 1 || amt > n || row["print_content"] != content(amt) {
			t.Errorf("row %v: want print_content %q", row, content(amt))
		}
	}
	for i := 1; i <= n; i++ {
		res := e.call(http.MethodPost, "/v2.0/transfer/result", oob, map[string]any{"check_type": "1", "tran_dtime": "20261126111010", "req_cnt": "1",
			"req_list": []any{map[string]any{"tran_no": "1", "org_bank_tran_id": tranID(i), "org_bank_tran_date": "20261126", "org_tran_amt": strconv.Itoa(i)}}})
		wantRsp(t, res, "A0000")
		if item := res["res_list"].([]any)[0].(map[string]any); item["bank_tran_id"] != tranID(i) || item["tran_amt"] != strconv.Itoa(i) {
			t.Errorf("transfer/result %d: %v", i, item)
		}
	}
}
