package sandbox

import (
	"strconv"
)

// withdrawLimit is the daily withdrawal limit per account that
// wd_limit_remain_amt counts down from (the spec's example shows 5,000,000).
// The sandbox does not refuse beyond it, so that long soak runs stay green.
const withdrawLimit = 5_000_000

// amount reads a digit-string amount field (N(12)), > 0.
func amount(m map[string]any, name string) (int64, error) {
	v, _ := m[name].(string)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, newAPIError(rspFormat, "필드 "+name+": "+strconv.Quote(v)+" is not a positive amount in digits")
	}
	return n, nil
}

// post adds a history row to an account and moves its balance; other is
// the account on the other side.
func (st *state) post(a *accountState, r *request, inout, typ, content string, amt int64, other *Counterparty) {
	if inout == inoutOut {
		a.Balance -= amt
	} else {
		a.Balance += amt
	}
	st.Seq++
	a.history().add(Txn{Date: r.day(), Time: r.hms(), InOut: inout, Type: typ,
		Content: content, Amount: amt, Branch: "오픈뱅킹", AfterBalance: a.Balance, Seq: st.Seq, Counter: other})
}

// withdrawnToday sums today's withdrawals of an account through the API
// (st.withdrawn keeps the sums, so a withdraw does not cost more with every
// transfer before it).
func (st *state) withdrawnToday(fin, day string) int64 {
	return st.withdrawn.sum(st.transferLog(), fin, day)
}

func opWithdraw(s *Server, r *request) (map[string]any, error) {
	var buf [maxDirectFields]field
	fields, err := withdrawFields(s, r, buf[:0])
	if err != nil {
		return nil, err
	}
	return fieldsMap(fields), nil
}

// withdrawFields moves the money and appends the withdraw's answer fields;
// opWithdraw and the direct answer (serveDirect) both take them from here.
func withdrawFields(s *Server, r *request, dst []field) ([]field, error) {
	c, err := s.contractFor(r)
	if err != nil {
		return dst, err
	}
	if r.str("req_client_fintech_use_num") != "" && (r.str("req_client_account_num") != "" || r.str("req_client_bank_code") != "") {
		return dst, newAPIError(rspFormat, "필드 req_client_fintech_use_num: give it or req_client_bank_code+req_client_account_num, not both")
	}
	a, err := s.accountFor(r)
	if err != nil {
		return dst, err
	}
	if !a.TransferAgree {
		return dst, newAPIError(rspNoWithdraw, "fintech_use_num "+a.FintechUseNum)
	}
	amt, err := amount(r.In, "tran_amt")
	if err != nil {
		return dst, err
	}
	if a.Balance < amt {
		return dst, bankError(bankInsufficient, "balance "+itoa(a.Balance)+" < tran_amt "+itoa(amt))
	}
	day := r.day()
	wdContent := r.str("wd_print_content")
	if wdContent == "" {
		wdContent = r.Caller.Client.ID
	}
	dpsContent := r.str("dps_print_content")
	u := s.st.Users[a.UserSeqNo]
	// The rows name each other's account, masked as the answer shows it.
	toC, fromA := s.st.counter(c, c.ContractHolder), s.st.counter(a, u.Name)
	s.st.post(a, r, inoutOut, "오픈뱅킹", wdContent, amt, toC)
	s.st.post(c, r, inoutIn, "오픈뱅킹", dpsContent, amt, fromA)
	s.st.transferLog().add(Transfer{CheckType: "1", BankTranID: r.str("bank_tran_id"), BankTranDate: day,
		Amount: amt, FintechUseNum: a.FintechUseNum, ClientUseCode: r.Caller.Client.ClientUseCode, PrintContent: wdContent})
	dst = append(dst,
		field{key: "bank_tran_id", str: r.str("bank_tran_id")},
		field{key: "bank_tran_date", str: day},
		field{key: "bank_code_tran", str: bankCodeTran},
		field{key: "bank_rsp_code", str: bankOK},
		field{key: "bank_rsp_message", str: ""},
		field{key: "dps_bank_code_std", str: c.BankCodeStd},
		field{key: "dps_bank_code_sub", str: s.st.bankCodeSub(c.BankCodeStd)},
		field{key: "dps_bank_name", str: s.st.bankName(c.BankCodeStd)},
		field{key: "dps_account_num_masked", str: toC.AccountMasked},
		field{key: "dps_print_content", str: dpsContent},
		field{key: "dps_account_holder_name", str: c.ContractHolder},
		field{key: "fintech_use_num", str: a.FintechUseNum},
		field{key: "account_alias", str: a.Alias},
		field{key: "bank_code_std", str: a.BankCodeStd},
		field{key: "bank_code_sub", str: s.st.bankCodeSub(a.BankCodeStd)},
		field{key: "bank_name", str: s.st.bankName(a.BankCodeStd)},
		field{key: "savings_bank_name", str: ""},
		field{key: "account_num_masked", str: fromA.AccountMasked},
		field{key: "print_content", str: wdContent},
		field{key: "account_holder_name", str: u.Name},
		field{key: "tran_amt", str: itoa(amt)},
		field{key: "wd_limit_remain_amt", str: itoa(max(0, withdrawLimit-s.st.withdrawnToday(a.FintechUseNum, day)))},
	)
	if r.str("account_num") != "" {
		dst = append(dst, field{key: "account_num", str: a.AccountNum})
	}
	return dst, nil
}

// opDeposit pays each req_list item from the caller's contracted account.
// The whole request is checked before any money moves.
func opDeposit(s *Server, r *request) (map[string]any, error) {
	c, err := s.contractFor(r)
	if err != nil {
		return nil, err
	}
	items, _ := r.In["req_list"].([]any)
	type leg struct {
		item map[string]any
		acct *accountState
		amt  int64
	}
	var legs []leg
	var total int64
	for _, it := range items {
		m, _ := it.(map[string]any)
		if err := eitherClient(m); err != nil {
			return nil, err
		}
		sub := &request{Caller: r.Caller, Route: r.Route, In: m, Now: r.Now}
		sub.Caller.Kind = "institution" // oob pays any user's account
		a, err := s.accountFor(sub)
		if err != nil {
			return nil, err
		}
		amt, err := amount(m, "tran_amt")
		if err != nil {
			return nil, err
		}
		total += amt
		legs = append(legs, leg{m, a, amt})
	}
	if len(legs) == 0 {
		return nil, newAPIError(rspFormat, "필드 req_list: at least one item")
	}
	if c.Balance < total {
		return nil, bankError(bankInsufficient, "the contracted account's balance is "+itoa(c.Balance))
	}
	wdContent := r.str("wd_print_content")
	day := r.day()
	list := make([]any, 0, len(legs))
	for _, l := range legs {
		content, _ := l.item["print_content"].(string)
		tranID, _ := l.item["bank_tran_id"].(string)
		tranNo, _ := l.item["tran_no"].(string)
		// The item links to a withdraw (withdraw_bank_tran_id), echoed as the
		// real testbed does (S12), and to a receive inquiry
		// (recv_bank_tran_id); what the testbed checks about either is not
		// known, so the sandbox checks neither.
		withdrawID, _ := l.item["withdraw_bank_tran_id"].(string)
		cms, _ := l.item["cms_num"].(string)
		holder := s.st.Users[l.acct.UserSeqNo].Name
		s.st.post(c, r, inoutOut, "오픈뱅킹", wdContent, l.amt, s.st.counter(l.acct, holder))
		s.st.post(l.acct, r, inoutIn, "오픈뱅킹", content, l.amt, s.st.counter(c, c.ContractHolder))
		s.st.transferLog().add(Transfer{CheckType: "2", BankTranID: tranID, BankTranDate: day, Amount: l.amt,
			FintechUseNum: l.acct.FintechUseNum, ClientUseCode: r.Caller.Client.ClientUseCode, PrintContent: content})
		item := bankBlock(r, tranID)
		for k, v := range map[string]any{
			"tran_no": tranNo, "fintech_use_num": l.acct.FintechUseNum, "account_alias": l.acct.Alias,
			"bank_code_std": l.acct.BankCodeStd, "bank_code_sub": bankCodeSub(l.acct.BankCodeStd),
			"bank_name": s.st.bankName(l.acct.BankCodeStd), "savings_bank_name": "",
			"account_num_masked": maskAccount(l.acct.AccountNum), "print_content": content,
			"account_holder_name": s.st.Users[l.acct.UserSeqNo].Name, "tran_amt": itoa(l.amt), "cms_num": cms,
			"withdraw_bank_tran_id": withdrawID,
		} {
			item[k] = v
		}
		if _, ok := l.item["account_num"]; ok {
			item["account_num"] = l.acct.AccountNum
		}
		list = append(list, item)
	}
	return map[string]any{
		"wd_bank_code_std": c.BankCodeStd, "wd_bank_code_sub": bankCodeSub(c.BankCodeStd), "wd_bank_name": s.st.bankName(c.BankCodeStd),
		"wd_account_num_masked": maskAccount(c.AccountNum), "wd_print_content": wdContent, "wd_account_holder_name": c.ContractHolder,
		"res_cnt": strconv.Itoa(len(list)), "res_list": list,
	}, nil
}

// opTransferResult finds earlier withdraws (check_type 1) or deposits (2)
// of the caller by org_bank_tran_id (and date and amount when given).
func opTransferResult(s *Server, r *request) (map[string]any, error) {
	c := s.st.Contracts[r.Caller.Client.ClientUseCode]
	items, _ := r.In["req_list"].([]any)
	list := make([]any, 0, len(items))
	for _, it := range items {
		m, _ := it.(map[string]any)
		id, _ := m["org_bank_tran_id"].(string)
		date, _ := m["org_bank_tran_date"].(string)
		amt, _ := m["org_tran_amt"].(string)
		// The newest match, as the earlier scan oldest-first kept the last.
		var found *Transfer
		for t := range s.st.transferLog().backward(id) {
			if t.ClientUseCode == r.Caller.Client.ClientUseCode &&
				(date == "" || date == t.BankTranDate) && (amt == "" || amt == itoa(t.Amount)) &&
				(r.str("check_type") == "" || r.str("check_type") == t.CheckType) {
				found = &t
				break
			}
		}
		if found == nil {
			return nil, newAPIError(rspNoTransfer, "org_bank_tran_id "+id)
		}
		a := s.st.Accounts[found.FintechUseNum]
		tranNo, _ := m["tran_no"].(string)
		item := bankBlock(r, found.BankTranID)
		item["bank_tran_date"] = found.BankTranDate
		user, party := map[string]any{}, map[string]any{}
		if a != nil {
			user = map[string]any{"bank_code_std": a.BankCodeStd, "bank_code_sub": bankCodeSub(a.BankCodeStd),
				"bank_name": s.st.bankName(a.BankCodeStd), "savings_bank_name": "", "fintech_use_num": a.FintechUseNum,
				"account_num_masked": maskAccount(a.AccountNum), "print_content": found.PrintContent,
				"account_holder_name": s.st.Users[a.UserSeqNo].Name}
		}
		if c != nil {
			party = map[string]any{"bank_code_std": c.BankCodeStd, "bank_code_sub": bankCodeSub(c.BankCodeStd),
				"bank_name": s.st.bankName(c.BankCodeStd), "savings_bank_name": "", "fintech_use_num": "",
				"account_num_masked": maskAccount(c.AccountNum), "print_content": found.PrintContent,
				"account_holder_name": c.ContractHolder}
		}
		wd, dps := user, party
		if found.CheckType == "2" {
			wd, dps = party, user
		}
		for k, v := range wd {
			item["wd_"+k] = v
		}
		for k, v := range dps {
			item["dps_"+k] = v
		}
		// Rows carry no org_* echo: neither KFTC's sample (S2) nor the
		// production client (S3) reads one.
		item["tran_no"], item["tran_amt"] = tranNo, itoa(found.Amount)
		list = append(list, item)
	}
	return map[string]any{"res_cnt": strconv.Itoa(len(list)), "res_list": list}, nil
}

// opReturnClaim records a claim on an earlier deposit of the caller
// (자금반환청구). The sandbox never pays the money back, so that repeated
// collection runs keep the balances steady: return/result keeps answering
// "not returned yet". The deposit's account is named either by
// org_dps_fintech_use_num or by org_dps_bank_code_std + org_dps_account_num;
// both at once is a format error, as S3 (a production client) documents.
func opReturnClaim(s *Server, r *request) (map[string]any, error) {
	id, date := r.str("org_bank_tran_id"), r.str("org_bank_tran_date")
	fin, bank, num := r.str("org_dps_fintech_use_num"), r.str("org_dps_bank_code_std"), r.str("org_dps_account_num")
	switch {
	case fin != "" && (bank != "" || num != ""):
		return nil, newAPIError(rspFormat, "필드 org_dps_fintech_use_num: give it or org_dps_bank_code_std+org_dps_account_num, not both")
	case fin == "" && (bank == "" || num == ""):
		return nil, newAPIError(rspFormat, "필드 org_dps_fintech_use_num: required, or org_dps_bank_code_std+org_dps_account_num")
	}
	var found *Transfer
	for t := range s.st.transferLog().backward(id) {
		if t.CheckType == "2" && t.ClientUseCode == r.Caller.Client.ClientUseCode && (date == "" || date == t.BankTranDate) {
			found = &t
			break
		}
	}
	if found == nil {
		return nil, newAPIError(rspNoTransfer, "org_bank_tran_id "+id+" is not one of your deposits")
	}
	a := s.st.Accounts[found.FintechUseNum]
	if fin != "" && fin != found.FintechUseNum {
		return nil, newAPIError(rspFintechOther, "org_dps_fintech_use_num "+fin)
	}
	if fin == "" && (a == nil || a.BankCodeStd != bank || a.AccountNum != num) {
		return nil, newAPIError(rspFintechOther, "org_dps_account_num "+bank+" "+num+" is not the deposit's account")
	}
	amt, err := amount(r.In, "org_tran_amt")
	if err != nil {
		return nil, err
	}
	if amt > found.Amount || (r.str("total_return_yn") == "Y" && amt != found.Amount) {
		return nil, newAPIError(rspFormat, "필드 org_tran_amt: "+itoa(amt)+" does not fit the deposit's "+itoa(found.Amount)+" (total_return_yn "+r.str("total_return_yn")+")")
	}
	claimID := r.str("bank_tran_id")
	s.st.Claims[claimID] = &Claim{BankTranID: claimID, Date: kstDay(r.Now), Amount: amt, OrgTranID: id, TotalReturn: r.str("total_return_yn")}
	c := s.st.Contracts[r.Caller.Client.ClientUseCode]
	out := bankBlock(r, claimID)
	for k, v := range map[string]any{
		"org_bank_tran_id": found.BankTranID, "org_bank_tran_date": found.BankTranDate, "org_tran_amt": itoa(amt),
		"org_dps_fintech_use_num": fin, "org_dps_account_num": num, "return_account_num": r.str("return_account_num"),
	} {
		out[k] = v
	}
	if a != nil {
		out["dps_bank_code_std"], out["org_dps_bank_code_std"] = a.BankCodeStd, a.BankCodeStd
	}
	if c != nil {
		out["wd_bank_code_std"], out["wd_bank_code_sub"], out["wd_bank_name"] = c.BankCodeStd, bankCodeSub(c.BankCodeStd), s.st.bankName(c.BankCodeStd)
	}
	return out, nil
}

// opReturnResult finds a claim by the claim's own bank_tran_id and date
// (claim_bank_tran_id, claim_bank_tran_date), as S2, S3 and S14 send them.
func opReturnResult(s *Server, r *request) (map[string]any, error) {
	id, date := r.str("claim_bank_tran_id"), r.str("claim_bank_tran_date")
	c := s.st.Claims[id]
	if c == nil || date != c.Date {
		return nil, newAPIError(rspNoTransfer, "no return claim "+id+" on "+date)
	}
	total := c.TotalReturn
	if total == "" {
		total = "Y"
	}
	return map[string]any{
		"claim_bank_tran_date": c.Date, "claim_bank_tran_id": c.BankTranID, "claim_normal_yn": "Y",
		"claim_bank_rsp_code": bankOK, "claim_bank_rsp_message": "", "return_yn": "N", "return_fail_code": "",
		"return_fail_message": "", "total_return_yn": total, "return_amt": "0", "return_date": "",
	}, nil
}
