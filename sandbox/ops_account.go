package sandbox

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// pageSize is the documented maximum of rows per transaction_list page.
const pageSize = 25

func opBalance(s *Server, r *request) (map[string]any, error) {
	var buf [maxDirectFields]field
	fields, err := balanceFields(s, r, buf[:0])
	if err != nil {
		return nil, err
	}
	return fieldsMap(fields), nil
}

// balanceFields appends a balance inquiry's answer fields (the bank block
// and the account's), sorted by key; opBalance and the direct answer
// (serveDirect) both take them from here.
func balanceFields(s *Server, r *request, dst []field) ([]field, error) {
	a, err := s.accountFor(r)
	if err != nil {
		return dst, err
	}
	if !a.InquiryAgree {
		return dst, newAPIError(rspNoInquiry, "fintech_use_num "+a.FintechUseNum)
	}
	last := a.IssueDate
	if h := a.history(); h.len() > 0 {
		last = h.at(h.len() - 1).Date
	}
	dst = append(dst, field{key: "account_issue_date", str: a.IssueDate})
	if r.str("account_num") != "" {
		dst = append(dst, field{key: "account_num", str: a.AccountNum})
	}
	return append(dst,
		field{key: "account_type", str: a.AccountType},
		field{key: "available_amt", str: itoa(max(a.Balance, 0))},
		field{key: "balance_amt", str: itoa(a.Balance)},
		field{key: "bank_code_tran", str: bankCodeTran},
		field{key: "bank_name", str: s.st.bankName(a.BankCodeStd)},
		field{key: "bank_rsp_code", str: bankOK},
		field{key: "bank_rsp_message", str: ""},
		field{key: "bank_tran_date", str: r.day()},
		field{key: "bank_tran_id", str: r.str("bank_tran_id")},
		field{key: "fintech_use_num", str: a.FintechUseNum},
		field{key: "last_tran_date", str: last},
		field{key: "maturity_date", str: ""},
		field{key: "product_name", str: a.ProductName},
		field{key: "savings_bank_name", str: ""},
	), nil
}

// traceKey orders history rows and is the paging cursor
// (befor_inquiry_trace_info, AN(20)): date, time and the row number.
func traceKey(t Txn) string { return fmt.Sprintf("%s%s%06d", t.Date, t.Time, t.Seq%1_000_000) }

func opTransactionList(s *Server, r *request) (map[string]any, error) {
	a, err := s.accountFor(r)
	if err != nil {
		return nil, err
	}
	if !a.InquiryAgree {
		return nil, newAPIError(rspNoInquiry, "fintech_use_num "+a.FintechUseNum)
	}
	q, err := parseTxnQuery(r)
	if err != nil {
		return nil, err
	}
	rows := q.filter(a.history())
	q.sort(rows)
	rows = q.after(rows)
	if len(rows) == 0 && q.cursor == "" {
		return nil, newAPIError(rspNoTxn, "")
	}
	next := len(rows) > pageSize
	if next {
		rows = rows[:pageSize]
	}
	return renderTxnList(s, r, a, rows, next), nil
}

// txnQuery is what a transaction list request asks for: the window, the
// direction (inquiry_type), the order and the paging cursor.
type txnQuery struct {
	from, to string // dates; "" = open
	lo, hi   string // date+time bounds of the window
	inOut    string // "I", "O" or "" (both)
	desc     bool
	cursor   string // befor_inquiry_trace_info
}

func parseTxnQuery(r *request) (txnQuery, error) {
	q := txnQuery{from: r.str("from_date"), to: r.str("to_date"), desc: r.str("sort_order") != "A",
		cursor: r.str("befor_inquiry_trace_info")}
	if q.from != "" && q.to != "" && q.from > q.to {
		return q, newAPIError(rspFormat, "필드 from_date: "+q.from+" is after to_date "+q.to)
	}
	q.lo, q.hi = q.from+"000000", q.to+"235959"
	if r.str("inquiry_base") == "T" {
		if t := r.str("from_time"); t != "" {
			q.lo = q.from + t
		}
		if t := r.str("to_time"); t != "" {
			q.hi = q.to + t
		}
	}
	switch r.str("inquiry_type") {
	case "I":
		q.inOut = inoutIn
	case "O":
		q.inOut = inoutOut
	}
	return q, nil
}

// filter returns the rows of history inside the window and direction.
func (q txnQuery) filter(history *txnStore) []Txn {
	rows := []Txn{}
	for t := range history.all() {
		at := t.Date + t.Time
		if (q.from != "" && at < q.lo) || (q.to != "" && at > q.hi) {
			continue
		}
		if q.inOut != "" && t.InOut != q.inOut {
			continue
		}
		rows = append(rows, t)
	}
	return rows
}

// sort orders rows by traceKey, newest first unless sort_order is A.
func (q txnQuery) sort(rows []Txn) {
	slices.SortFunc(rows, func(x, y Txn) int {
		c := strings.Compare(traceKey(x), traceKey(y))
		if q.desc {
			c = -c
		}
		return c
	})
}

// after drops the sorted rows up to and including the paging cursor.
func (q txnQuery) after(rows []Txn) []Txn {
	if q.cursor == "" {
		return rows
	}
	i := slices.IndexFunc(rows, func(t Txn) bool {
		if q.desc {
			return traceKey(t) < q.cursor
		}
		return traceKey(t) > q.cursor
	})
	if i < 0 {
		i = len(rows)
	}
	return rows[i:]
}

// renderTxnList is the answer body of one page of rows.
func renderTxnList(s *Server, r *request, a *accountState, rows []Txn, next bool) map[string]any {
	list := make([]any, 0, len(rows))
	trace := ""
	for _, t := range rows {
		list = append(list, map[string]any{
			"tran_date": t.Date, "tran_time": t.Time, "inout_type": t.InOut, "tran_type": t.Type,
			"print_content": t.Content, "tran_amt": itoa(t.Amount), "after_balance_amt": itoa(t.AfterBalance),
			"branch_name": t.Branch,
		})
		trace = traceKey(t)
	}
	out := bankBlock(r, r.str("bank_tran_id"))
	for k, v := range map[string]any{
		"bank_name": s.st.bankName(a.BankCodeStd), "savings_bank_name": "", "fintech_use_num": a.FintechUseNum,
		"balance_amt": itoa(a.Balance), "page_record_cnt": strconv.Itoa(len(list)), "next_page_yn": yn(next),
		"befor_inquiry_trace_info": trace, "res_list": list,
	} {
		out[k] = v
	}
	if r.str("account_num") != "" {
		out["account_num"] = a.AccountNum
	}
	return out
}

func opRealName(s *Server, r *request) (map[string]any, error) {
	bank, num := r.str("bank_code_std"), r.str("account_num")
	a := s.st.accountByNum(bank, num)
	if a == nil {
		return nil, bankError(bankNoAccount, "account "+bank+" "+num)
	}
	u := s.st.Users[a.UserSeqNo]
	typ, info := r.str("account_holder_info_type"), r.str("account_holder_info")
	switch typ {
	case "N": // skip the check
	case " ":
		if info != u.Birth {
			return nil, bankError(bankNameMismatch, "account_holder_info is not the holder's birth date")
		}
	default:
		// The seed knows birth dates only; other number types are accepted
		// when they start with the birth date (resident numbers do).
		if !strings.HasPrefix(info, u.Birth) {
			return nil, bankError(bankNameMismatch, "account_holder_info does not match the holder")
		}
	}
	out := bankBlock(r, r.str("bank_tran_id"))
	for k, v := range map[string]any{
		"bank_code_std": a.BankCodeStd, "bank_code_sub": bankCodeSub(a.BankCodeStd), "bank_name": s.st.bankName(a.BankCodeStd),
		"savings_bank_name": "", "account_num": a.AccountNum, "account_seq": r.str("account_seq"),
		"account_holder_info_type": typ, "account_holder_info": info, "account_holder_name": u.Name,
		"account_type": a.AccountType,
	} {
		out[k] = v
	}
	return out, nil
}

// contractFor checks cntr_account_num against the caller's contracted account.
func (s *Server) contractFor(r *request) (*accountState, error) {
	c := s.st.Contracts[r.Caller.Client.ClientUseCode]
	num := r.str("cntr_account_num")
	if c == nil || num != c.AccountNum {
		return nil, newAPIError(rspNoContract, "cntr_account_num "+num)
	}
	return c, nil
}

// opReceive names the receiving account by fintech_use_num (KFTC's own
// sample) or by bank_code_std + account_num: exactly one of the two.
func opReceive(s *Server, r *request) (map[string]any, error) {
	c, err := s.contractFor(r)
	if err != nil {
		return nil, err
	}
	if err := eitherClient(r.In); err != nil {
		return nil, err
	}
	fin, bank, num := r.str("fintech_use_num"), r.str("bank_code_std"), r.str("account_num")
	var a *accountState
	switch {
	case fin != "" && (bank != "" || num != ""):
		return nil, newAPIError(rspFormat, "필드 fintech_use_num: give it or bank_code_std+account_num, not both")
	case fin != "":
		if a = s.st.Accounts[fin]; a == nil {
			return nil, bankError(bankNoAccount, "fintech_use_num "+fin)
		}
	case bank != "" && num != "":
		if a = s.st.accountByNum(bank, num); a == nil {
			return nil, bankError(bankNoAccount, "account "+bank+" "+num)
		}
	default:
		return nil, newAPIError(rspFormat, "필드 fintech_use_num: required, or bank_code_std+account_num")
	}
	out := bankBlock(r, r.str("bank_tran_id"))
	for k, v := range map[string]any{
		"bank_code_std": a.BankCodeStd, "bank_code_sub": bankCodeSub(a.BankCodeStd), "bank_name": s.st.bankName(a.BankCodeStd),
		"savings_bank_name": "", "account_num": a.AccountNum, "account_seq": r.str("account_seq"), "account_num_masked": maskAccount(a.AccountNum),
		"print_content": r.str("print_content"), "account_holder_name": s.st.Users[a.UserSeqNo].Name,
		"wd_bank_code_std": c.BankCodeStd, "wd_bank_name": s.st.bankName(c.BankCodeStd), "wd_account_num": c.AccountNum,
		"tran_amt": r.str("tran_amt"), "cms_num": r.str("cms_num"),
	} {
		out[k] = v
	}
	return out, nil
}

// eitherClient: the requesting customer is named by
// req_client_fintech_use_num or by req_client_bank_code +
// req_client_account_num, never both (S4's rule, 주 4).
func eitherClient(m map[string]any) error {
	fin, _ := m["req_client_fintech_use_num"].(string)
	bank, _ := m["req_client_bank_code"].(string)
	num, _ := m["req_client_account_num"].(string)
	if fin != "" && (bank != "" || num != "") {
		return newAPIError(rspFormat, "필드 req_client_fintech_use_num: give it or req_client_bank_code+req_client_account_num, not both")
	}
	if fin == "" && (bank == "") != (num == "") {
		return newAPIError(rspFormat, "필드 req_client_account_num: req_client_bank_code and req_client_account_num go together")
	}
	return nil
}

// opRemitList lists the deposits into the named account (송금인정보조회):
// the caller's contracted account or a user account, paged like the
// transaction list by befor_inquiry_trace_info.
func opRemitList(s *Server, r *request) (map[string]any, error) {
	bank, num := r.str("bank_code_std"), r.str("account_num")
	var a *accountState
	if c := s.st.Contracts[r.Caller.Client.ClientUseCode]; c != nil && c.AccountNum == num && c.BankCodeStd == bank {
		a = c
	} else if a = s.st.accountByNum(bank, num); a == nil {
		return nil, bankError(bankNoAccount, "account "+bank+" "+num)
	}
	from, to := r.str("from_date"), r.str("to_date")
	if from > to {
		return nil, newAPIError(rspFormat, "필드 from_date: "+from+" is after to_date "+to)
	}
	lo, hi := from+"000000", to+"235959"
	if t := r.str("from_time"); t != "" {
		lo = from + t
	}
	if t := r.str("to_time"); t != "" {
		hi = to + t
	}
	desc := r.str("sort_order") != "A"
	var rows []Txn
	for t := range a.history().all() {
		if at := t.Date + t.Time; t.InOut == inoutIn && at >= lo && at <= hi {
			rows = append(rows, t)
		}
	}
	slices.SortFunc(rows, func(x, y Txn) int {
		c := strings.Compare(traceKey(x), traceKey(y))
		if desc {
			c = -c
		}
		return c
	})
	total := len(rows)
	cur := r.str("befor_inquiry_trace_info")
	if cur != "" {
		i := slices.IndexFunc(rows, func(t Txn) bool {
			if desc {
				return traceKey(t) < cur
			}
			return traceKey(t) > cur
		})
		if i < 0 {
			i = len(rows)
		}
		rows = rows[i:]
	}
	next := len(rows) > pageSize
	if next {
		rows = rows[:pageSize]
	}
	list := make([]any, 0, len(rows))
	trace := ""
	for _, t := range rows {
		item := map[string]any{"tran_date": t.Date, "tran_time": t.Time, "inout_type": t.InOut, "tran_type": t.Type,
			"print_content": t.Content, "tran_amt": itoa(t.Amount), "after_balance_amt": itoa(t.AfterBalance), "branch_name": t.Branch,
			"remitter_name": t.Content, "remitter_bank_code": a.BankCodeStd, "remitter_account_num": ""}
		if t.Counter != nil {
			item["remitter_name"], item["remitter_bank_code"], item["remitter_account_num"] = t.Counter.Name, t.Counter.BankCodeStd, t.Counter.AccountMasked
		}
		list = append(list, item)
		trace = traceKey(t)
	}
	out := bankBlock(r, r.str("bank_tran_id"))
	for k, v := range map[string]any{
		"bank_code_std": a.BankCodeStd, "account_num": a.AccountNum, "bank_name": s.st.bankName(a.BankCodeStd),
		"balance_amt": itoa(a.Balance), "total_record_cnt": strconv.Itoa(total), "page_record_cnt": strconv.Itoa(len(list)),
		"next_page_yn": yn(next), "befor_inquiry_trace_info": trace, "res_list": list,
	} {
		out[k] = v
	}
	return out, nil
}
