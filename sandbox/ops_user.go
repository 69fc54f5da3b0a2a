package sandbox

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// operations maps "METHOD /path" of the spec to the stateful handlers;
// operations not listed answer their success example (exampleHandler).
func (s *Server) operations() map[string]opHandler {
	return map[string]opHandler{
		"GET /v2.0/user/me":                            opUserMe,
		"POST /v2.0/user/unlink":                       opUserUnlink,
		"POST /v2.0/user/close":                        opUserClose,
		"POST /v2.0/user/register":                     opUserRegister,
		"GET /v2.0/account/list":                       opAccountList,
		"POST /v2.0/account/cancel":                    opAccountCancel,
		"POST /v2.0/account/update_info":               opAccountUpdateInfo,
		"GET /v2.0/account/balance/fin_num":            opBalance,
		"POST /v2.0/account/balance/acnt_num":          opBalance,
		"GET /v2.0/account/transaction_list/fin_num":   opTransactionList,
		"POST /v2.0/account/transaction_list/acnt_num": opTransactionList,
		"POST /v2.0/inquiry/real_name":                 opRealName,
		"POST /v2.0/inquiry/receive":                   opReceive,
		"POST /v2.0/inquiry/remit_list":                opRemitList,
		"POST /v2.0/transfer/withdraw/fin_num":         opWithdraw,
		"POST /v2.0/transfer/withdraw/acnt_num":        opWithdraw,
		"POST /v2.0/transfer/deposit/fin_num":          opDeposit,
		"POST /v2.0/transfer/deposit/acnt_num":         opDeposit,
		"POST /v2.0/transfer/result":                   opTransferResult,
		"POST /v2.0/return/claim":                      opReturnClaim,
		"POST /v2.0/return/result":                     opReturnResult,
		"GET /v2.0/bank/status":                        opBankStatus,
	}
}

// opsByOperation is ops keyed by the spec's operations. The router's
// routes name the operation of their method and path, so the two lookups
// agree, except for an operation the spec reaches by several paths (a
// $ref'd path item), which may have different handlers: that one is left
// to ops.
func opsByOperation(doc *openapi3.T, ops map[string]opHandler) map[*openapi3.Operation]opHandler {
	out := map[*openapi3.Operation]opHandler{}
	seen := map[*openapi3.Operation]bool{}
	shared := map[*openapi3.Operation]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			shared[op] = shared[op] || seen[op]
			seen[op] = true
			if h := ops[method+" "+path]; h != nil {
				out[op] = h
			}
		}
	}
	for op, sh := range shared {
		if sh {
			delete(out, op)
		}
	}
	return out
}

// userFor finds the user a request names and checks that the caller may
// act for them: a user token only for its own user, an sa token for anyone.
func (s *Server) userFor(r *request, userSeqNo string) (*userState, error) {
	if userSeqNo == "" {
		userSeqNo = r.Caller.UserSeqNo
	}
	if r.Caller.Kind == "user" && userSeqNo != r.Caller.UserSeqNo {
		return nil, newAPIError(rspUserMismatch, "user_seq_no "+userSeqNo+" is not the token's user")
	}
	u := s.st.Users[userSeqNo]
	if u == nil {
		return nil, newAPIError(rspNoUser, "user_seq_no "+userSeqNo)
	}
	if u.Closed {
		return nil, newAPIError(rspWithdrawn, "user_seq_no "+userSeqNo)
	}
	return u, nil
}

// accountFor finds an account by fintech_use_num (or bank_code_std +
// account_num for the acnt_num operations) and checks it belongs to the
// caller's user and is registered.
func (s *Server) accountFor(r *request) (*accountState, error) {
	var a *accountState
	fin := r.str("fintech_use_num")
	switch {
	case fin != "":
		a = s.st.Accounts[fin]
		if a == nil {
			return nil, bankError(bankNoAccount, "fintech_use_num "+fin)
		}
	case r.str("account_num") != "" || r.str("wd_account_num") != "":
		// acnt_num operations: the account by number (withdraw names it wd_*).
		bank, num := r.str("bank_code_std"), r.str("account_num")
		if num == "" {
			bank, num = r.str("wd_bank_code_std"), r.str("wd_account_num")
		}
		a = s.st.accountByNum(bank, num)
		if a == nil {
			return nil, bankError(bankNoAccount, "account "+bank+" "+num)
		}
	default:
		return nil, newAPIError(rspFormat, "필드 fintech_use_num: required")
	}
	if want := r.str("user_seq_no"); want != "" && want != a.UserSeqNo {
		return nil, newAPIError(rspUserMismatch, "the account is not user_seq_no "+want+"'s")
	}
	if r.Caller.Kind == "user" && a.UserSeqNo != r.Caller.UserSeqNo {
		return nil, newAPIError(rspFintechOther, "the account is not the token's user's")
	}
	u := s.st.Users[a.UserSeqNo]
	if u == nil || u.Closed {
		return nil, newAPIError(rspWithdrawn, "")
	}
	if u.Unlinked {
		return nil, newAPIError(rspNotRegistered, "the user is unlinked: authorize again")
	}
	return a, nil
}

func maskAccount(num string) string {
	if len(num) <= 3 {
		return strings.Repeat("*", len(num))
	}
	return num[:len(num)-3] + "***"
}

func bankCodeSub(bank string) string { return bank + "0001" }

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// accountItem is one row of user/me and account/list.
func (s *Server) accountItem(a *accountState, holder string) map[string]any {
	inqDtime, trDtime := a.AgreeDtime, a.AgreeDtime
	if !a.InquiryAgree {
		inqDtime = ""
	}
	if !a.TransferAgree {
		trDtime = ""
	}
	return map[string]any{
		"fintech_use_num": a.FintechUseNum, "account_alias": a.Alias,
		"bank_code_std": a.BankCodeStd, "bank_code_sub": bankCodeSub(a.BankCodeStd),
		"bank_name": s.st.bankName(a.BankCodeStd), "savings_bank_name": "",
		"account_num_masked": maskAccount(a.AccountNum), "account_seq": "",
		"account_holder_name": holder, "account_holder_type": "P", "account_type": a.AccountType,
		"inquiry_agree_yn": yn(a.InquiryAgree), "inquiry_agree_dtime": inqDtime,
		"transfer_agree_yn": yn(a.TransferAgree), "transfer_agree_dtime": trDtime,
		"payer_num": "",
	}
}

// bankBlock is the participant-bank block of a successful answer.
func bankBlock(r *request, tranID string) map[string]any {
	return bankBlockSized(r, tranID, 0)
}

// bankBlockSized is bankBlock with room for extra more fields.
func bankBlockSized(r *request, tranID string, extra int) map[string]any {
	m := make(map[string]any, 5+extra)
	m["bank_tran_id"], m["bank_tran_date"], m["bank_code_tran"] = tranID, r.day(), bankCodeTran
	m["bank_rsp_code"], m["bank_rsp_message"] = bankOK, ""
	return m
}

func opUserMe(s *Server, r *request) (map[string]any, error) {
	u, err := s.userFor(r, r.str("user_seq_no"))
	if err != nil {
		return nil, err
	}
	list := []any{}
	if !u.Unlinked {
		for _, a := range s.st.userAccounts(u) {
			if !a.cancelled() {
				list = append(list, s.accountItem(a, u.Name))
			}
		}
	}
	return map[string]any{
		"user_seq_no": u.UserSeqNo, "user_ci": u.CI, "user_name": u.Name, "user_info": u.Birth,
		"user_gender": u.Gender, "user_cell_no": u.CellNo, "user_email": u.Email,
		"res_cnt": strconv.Itoa(len(list)), "res_list": list,
	}, nil
}

func opAccountList(s *Server, r *request) (map[string]any, error) {
	u, err := s.userFor(r, r.str("user_seq_no"))
	if err != nil {
		return nil, err
	}
	accts := []*accountState{}
	if !u.Unlinked {
		for _, a := range s.st.userAccounts(u) {
			if a.cancelled() && r.str("include_cancel_yn") != "Y" {
				continue
			}
			accts = append(accts, a)
		}
	}
	slices.SortStableFunc(accts, func(a, b *accountState) int {
		c := strings.Compare(a.AgreeDtime, b.AgreeDtime)
		if r.str("sort_order") == "D" {
			c = -c
		}
		return c
	})
	list := []any{}
	for _, a := range accts {
		it := s.accountItem(a, u.Name)
		it["account_state"] = "01"
		if a.cancelled() {
			it["account_state"] = "09"
		}
		list = append(list, it)
	}
	return map[string]any{"user_name": u.Name, "res_cnt": strconv.Itoa(len(list)), "res_list": list}, nil
}

func opUserUnlink(s *Server, r *request) (map[string]any, error) {
	if code := r.str("client_use_code"); code != "" && code != r.Caller.Client.ClientUseCode {
		return nil, newAPIError(rspFormat, fmt.Sprintf("필드 client_use_code: %q is not your client_use_code %s", code, r.Caller.Client.ClientUseCode))
	}
	u, err := s.userFor(r, r.str("user_seq_no"))
	if err != nil {
		return nil, err
	}
	u.Unlinked = true
	return map[string]any{"client_use_code": r.Caller.Client.ClientUseCode, "user_seq_no": u.UserSeqNo}, nil
}

func opUserClose(s *Server, r *request) (map[string]any, error) {
	out, err := opUserUnlink(s, r)
	if err != nil {
		return nil, err
	}
	u := s.st.Users[out["user_seq_no"].(string)]
	u.Closed = true
	for _, a := range s.st.userAccounts(u) {
		a.InquiryAgree, a.TransferAgree = false, false
	}
	return out, nil
}

func opAccountCancel(s *Server, r *request) (map[string]any, error) {
	a, err := s.accountFor(r)
	if err != nil {
		return nil, err
	}
	switch r.str("scope") {
	case "inquiry":
		a.InquiryAgree = false
	case "transfer":
		a.TransferAgree = false
	default: // both, for a scope value the schema let through
		a.InquiryAgree, a.TransferAgree = false, false
	}
	out := bankBlock(r, r.str("bank_tran_id"))
	out["fintech_use_num"] = a.FintechUseNum
	out["bank_name"] = s.st.bankName(a.BankCodeStd)
	return out, nil
}

func opAccountUpdateInfo(s *Server, r *request) (map[string]any, error) {
	a, err := s.accountFor(r)
	if err != nil {
		return nil, err
	}
	if alias, ok := r.In["account_alias"].(string); ok {
		a.Alias = alias
	}
	return map[string]any{"fintech_use_num": a.FintechUseNum, "account_alias": a.Alias}, nil
}

// opUserRegister registers an account for a self-authenticating
// institution; registering an account already known answers its user and
// fintech_use_num again, so a repeated run stays green.
func opUserRegister(s *Server, r *request) (map[string]any, error) {
	bank, num := r.str("bank_code_std"), r.str("register_account_num")
	if num == "" {
		num = r.str("account_num")
	}
	a := s.st.accountByNum(bank, num)
	if a == nil {
		var u *userState
		for _, cand := range s.st.Users {
			if ci := r.str("user_ci"); ci != "" && cand.CI == ci {
				u = cand
			}
		}
		if u == nil {
			s.st.Seq++
			u = &userState{User: User{ID: fmt.Sprintf("user%d", len(s.st.Users)+1), UserSeqNo: fmt.Sprintf("11%08d", len(s.st.Users)+1),
				Name: r.str("user_name"), Birth: r.str("user_info"), CI: r.str("user_ci"), Email: r.str("user_email"), Gender: "M"}}
			for s.st.Users[u.UserSeqNo] != nil {
				s.st.Seq++
				u.UserSeqNo = fmt.Sprintf("12%08d", s.st.Seq%100000000)
			}
			s.st.Users[u.UserSeqNo] = u
		}
		s.st.Seq++
		fin := fmt.Sprintf("1%s%014d", r.Caller.Client.ClientUseCode[1:], 90000000000000+s.st.Seq)
		a = &accountState{Account: Account{BankCodeStd: bank, AccountNum: num, FintechUseNum: fin, AccountType: "1",
			ProductName: "자체인증 등록계좌", IssueDate: kstDay(r.Now)}, UserSeqNo: u.UserSeqNo,
			InquiryAgree: true, TransferAgree: true, AgreeDtime: kstDtime(r.Now)}
		s.st.Accounts[fin] = a
		u.Fintech = append(u.Fintech, fin)
	}
	u := s.st.Users[a.UserSeqNo]
	u.Unlinked, u.Closed = false, false
	out := bankBlock(r, r.str("bank_tran_id"))
	for k, v := range map[string]any{"user_seq_no": u.UserSeqNo, "bank_code_std": a.BankCodeStd,
		"bank_name": s.st.bankName(a.BankCodeStd), "account_num_masked": maskAccount(a.AccountNum),
		"fintech_use_num": a.FintechUseNum, "user_name": u.Name} {
		out[k] = v
	}
	return out, nil
}

func opBankStatus(s *Server, r *request) (map[string]any, error) {
	list := []any{}
	for _, b := range s.st.Banks {
		list = append(list, map[string]any{"bank_code_std": b.Code, "bank_name": b.Name, "bank_status": "Y"})
	}
	return map[string]any{"res_cnt": strconv.Itoa(len(list)), "res_list": list}, nil
}
