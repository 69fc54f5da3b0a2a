package sandbox

import (
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
	"time"
)

// state is everything the sandbox changes: it is what --state persists.
// Guarded by Server.mu.
type state struct {
	Version int `json:"version"`
	// SigningKey signs the access tokens (HS256); persisted so that tokens
	// issued before a restart stay valid.
	SigningKey []byte                   `json:"signing_key"`
	Banks      []Bank                   `json:"banks"`
	Users      map[string]*userState    `json:"users"`    // by user_seq_no
	Accounts   map[string]*accountState `json:"accounts"` // by fintech_use_num
	// Contracts holds each client's contracted account, by client_use_code.
	Contracts map[string]*accountState `json:"contracts"`
	Codes     map[string]*authCode     `json:"codes"`   // by code
	Refresh   map[string]*refreshToken `json:"refresh"` // by refresh token
	Tokens    map[string]*tokenRecord  `json:"tokens"`  // by jti
	// DupIDs holds the day's bank_tran_ids for the duplicate check.
	DupIDs *dupIDs `json:"dup_ids"`
	// TranIDs is the older files' form of DupIDs (bank_tran_id → KST day),
	// read once and moved into DupIDs.
	TranIDs map[string]string `json:"tran_ids,omitempty"`
	// Transfers carries transfers in and out (seed data, the state file);
	// in use they live in transfers (transferLog).
	Transfers []Transfer `json:"transfers"`
	transfers *transferStore
	Claims    map[string]*Claim `json:"claims"` // return/claim, by bank_tran_id
	Seq       int64             `json:"seq"`    // history row and number counter
	// PrunedDay is the KST day of the last prune (one prune a day is enough).
	PrunedDay string `json:"pruned_day"`

	withdrawn withdrawSums // derived from Transfers, not persisted
	// counters holds one Counterparty per other side seen, shared by the
	// history rows that name it (read-only once made): a transfer's two
	// rows cost no Counterparty and masked number of their own. Not
	// persisted; emptied when it passes maxCounters.
	counters map[counterKey]*Counterparty
	// subCodes is bankCodeSub per bank code, formed once.
	subCodes map[string]string
}

type counterKey struct{ name, bank, num string }

// maxCounters bounds state.counters (a seed has a few accounts and names).
const maxCounters = 4096

// counter returns the Counterparty of account a under name, shared.
func (st *state) counter(a *accountState, name string) *Counterparty {
	k := counterKey{name, a.BankCodeStd, a.AccountNum}
	if c, ok := st.counters[k]; ok {
		return c
	}
	if st.counters == nil || len(st.counters) >= maxCounters {
		st.counters = map[counterKey]*Counterparty{}
	}
	c := &Counterparty{Name: name, BankCodeStd: a.BankCodeStd, AccountMasked: maskAccount(a.AccountNum)}
	st.counters[k] = c
	return c
}

// bankCodeSub is bankCodeSub(code), formed once per bank.
func (st *state) bankCodeSub(code string) string {
	if v, ok := st.subCodes[code]; ok {
		return v
	}
	if st.subCodes == nil || len(st.subCodes) >= maxCounters {
		st.subCodes = map[string]string{}
	}
	v := bankCodeSub(code)
	st.subCodes[code] = v
	return v
}

// withdrawSums is the sum of API withdrawals per account and day, brought
// up to date from the transfers appended since the last call (Transfers
// only grows; if it ever shrinks the sums are counted again).
type withdrawSums struct {
	seen int
	sums map[[2]string]int64 // {fintech_use_num, day}
}

func (w *withdrawSums) sum(transfers *transferStore, fin, day string) int64 {
	n := transfers.len()
	if w.sums == nil || n < w.seen {
		w.seen, w.sums = 0, map[[2]string]int64{}
	}
	for i := w.seen; i < n; i++ {
		if t := transfers.at(i); t.CheckType == "1" {
			w.sums[[2]string{t.FintechUseNum, t.BankTranDate}] += t.Amount
		}
	}
	w.seen = n
	return w.sums[[2]string{fin, day}]
}

// transferLog returns the transfers, moving any that Transfers carries
// (from seed data or a state file) into the store.
func (st *state) transferLog() *transferStore {
	if st.transfers == nil {
		st.transfers = &transferStore{}
	}
	if st.Transfers != nil {
		st.transfers.addAll(st.Transfers)
		st.Transfers = nil
	}
	return st.transfers
}

const stateVersion = 1

type userState struct {
	User
	// Unlinked is set by user/unlink and user/close until the user consents again.
	Unlinked bool `json:"unlinked"`
	Closed   bool `json:"closed"`
	// Fintech lists the user's accounts in registration order.
	Fintech []string `json:"fintech"`
}

type accountState struct {
	Account
	UserSeqNo       string `json:"user_seq_no"`
	InquiryAgree    bool   `json:"inquiry_agree"`
	TransferAgree   bool   `json:"transfer_agree"`
	AgreeDtime      string `json:"agree_dtime"` // yyyyMMddHHmmss
	ContractHolder  string `json:"contract_holder,omitempty"`
	ContractAccType string `json:"contract_acc_type,omitempty"`
	// hist holds the history once the account is in use: Account.History
	// only carries rows in and out (seed data, the state file), and history
	// moves them here.
	hist *txnStore
}

// history returns the account's history, moving any rows that
// Account.History carries (from seed data or a state file) into it.
func (a *accountState) history() *txnStore {
	if a.hist == nil {
		a.hist = &txnStore{}
	}
	if a.History != nil {
		a.hist.addAll(a.History)
		a.History = nil
	}
	return a.hist
}

// cancelled: both consents withdrawn (account/cancel for inquiry and transfer).
func (a *accountState) cancelled() bool { return !a.InquiryAgree && !a.TransferAgree }

type authCode struct {
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	UserSeqNo   string    `json:"user_seq_no"`
	Scope       string    `json:"scope"`
	Expires     time.Time `json:"expires"`
	// PKCE challenge, when the client sent one.
	Challenge       string `json:"challenge,omitempty"`
	ChallengeMethod string `json:"challenge_method,omitempty"`
}

type refreshToken struct {
	ClientID  string    `json:"client_id"`
	UserSeqNo string    `json:"user_seq_no"`
	Scope     string    `json:"scope"`
	Expires   time.Time `json:"expires"`
}

// tokenRecord is what the sandbox remembers of an access token, so that a
// token can be revoked and traced to its client.
type tokenRecord struct {
	ClientID  string    `json:"client_id"`
	UserSeqNo string    `json:"user_seq_no,omitempty"`
	Scope     string    `json:"scope"`
	Expires   time.Time `json:"expires"`
	Revoked   bool      `json:"revoked"`
	Refresh   string    `json:"refresh,omitempty"` // revoked with the access token
}

// newState builds the initial state from seed data.
func newState(d *Data, clients []Client) (*state, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("make signing key: %w", err)
	}
	st := &state{
		Version: stateVersion, SigningKey: key, Banks: d.Banks,
		Users: map[string]*userState{}, Accounts: map[string]*accountState{},
		Contracts: map[string]*accountState{}, Codes: map[string]*authCode{},
		Refresh: map[string]*refreshToken{}, Tokens: map[string]*tokenRecord{},
		DupIDs: newDupIDs(0), Claims: map[string]*Claim{},
	}
	st.transferLog().addAll(d.Transfers)
	for _, u := range d.Users {
		us := &userState{User: u}
		us.Accounts = nil
		for _, a := range u.Accounts {
			as := &accountState{Account: a, UserSeqNo: u.UserSeqNo, InquiryAgree: true, TransferAgree: true, AgreeDtime: a.IssueDate + "090000"}
			if len(as.AgreeDtime) != 14 {
				as.AgreeDtime = "20260101090000"
			}
			as.History = st.seedHistory(a)
			as.history()
			st.Accounts[a.FintechUseNum] = as
			us.Fintech = append(us.Fintech, a.FintechUseNum)
		}
		st.Users[u.UserSeqNo] = us
	}
	for i := range d.Claims {
		c := d.Claims[i]
		st.Claims[c.BankTranID] = &c
	}
	st.ensureContracts(clients)
	// The seeded withdraws landed in the contracted accounts: show them
	// there, so that remit_list has rows from the start.
	for t := range st.transferLog().all() {
		c, a := st.Contracts[t.ClientUseCode], st.Accounts[t.FintechUseNum]
		if t.CheckType != "1" || c == nil || a == nil {
			continue
		}
		st.Seq++
		c.history().add(Txn{Date: t.BankTranDate, Time: "101010", InOut: inoutIn, Type: "오픈뱅킹",
			Content: st.Users[a.UserSeqNo].Name + "충전", Amount: t.Amount, Branch: "오픈뱅킹", AfterBalance: c.Balance, Seq: st.Seq,
			Counter: &Counterparty{Name: st.Users[a.UserSeqNo].Name, BankCodeStd: a.BankCodeStd, AccountMasked: maskAccount(a.AccountNum)}})
	}
	return st, nil
}

// ensureContracts adds the contracted account of each client that has none
// yet (a client added by flags after the state file was written).
func (st *state) ensureContracts(clients []Client) {
	for _, c := range clients {
		if _, ok := st.Contracts[c.ClientUseCode]; ok {
			continue
		}
		st.Contracts[c.ClientUseCode] = &accountState{
			Account:         Account{BankCodeStd: c.Contract.BankCodeStd, AccountNum: c.Contract.AccountNum, Balance: c.Contract.Balance, AccountType: "1", ProductName: "이용기관 약정계좌"},
			ContractHolder:  c.Contract.HolderName,
			ContractAccType: c.Contract.Type,
		}
	}
}

// seedHistory numbers the seeded rows and computes their after-balances so
// that the last row ends at the account's balance.
func (st *state) seedHistory(a Account) []Txn {
	rows := append([]Txn(nil), a.History...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Date+rows[i].Time < rows[j].Date+rows[j].Time })
	bal := a.Balance
	for _, r := range rows {
		bal -= signed(r)
	}
	for i := range rows {
		bal += signed(rows[i])
		rows[i].AfterBalance = bal
		st.Seq++
		rows[i].Seq = st.Seq
	}
	return rows
}

func signed(t Txn) int64 {
	if t.InOut == inoutOut {
		return -t.Amount
	}
	return t.Amount
}

// userAccounts lists a user's accounts in registration order.
func (st *state) userAccounts(u *userState) []*accountState {
	out := make([]*accountState, 0, len(u.Fintech))
	for _, f := range u.Fintech {
		if a := st.Accounts[f]; a != nil {
			out = append(out, a)
		}
	}
	return out
}

// accountByNum finds a user account by bank code and account number.
func (st *state) accountByNum(bank, num string) *accountState {
	for _, a := range st.Accounts {
		if a.BankCodeStd == bank && a.AccountNum == num {
			return a
		}
	}
	return nil
}

func (st *state) bankName(code string) string {
	for _, b := range st.Banks {
		if b.Code == code {
			return b.Name
		}
	}
	return "기타은행"
}

// prune drops expired codes, refresh tokens and token records so that a long
// soak with a short --token-ttl does not grow the state without bound.
func (st *state) prune(now time.Time) {
	for k, c := range st.Codes {
		if now.After(c.Expires) {
			delete(st.Codes, k)
		}
	}
	for k, r := range st.Refresh {
		if now.After(r.Expires) {
			delete(st.Refresh, k)
		}
	}
	for k, t := range st.Tokens {
		if now.After(t.Expires.Add(time.Hour)) {
			delete(st.Tokens, k)
		}
	}
	today := kstDay(now)
	st.PrunedDay = today
	st.DupIDs.startDay(today)
}

// adoptTranIDs moves an older file's tran_ids into DupIDs, each id under
// the client whose client_use_code starts it.
func (st *state) adoptTranIDs(clients []Client) {
	for id, day := range st.TranIDs {
		if day < st.DupIDs.Day {
			continue
		}
		if day > st.DupIDs.Day {
			st.DupIDs.startDay(day)
		}
		code := ""
		for _, c := range clients {
			if c.ClientUseCode != "" && strings.HasPrefix(id, c.ClientUseCode) {
				code = c.ClientUseCode
			}
		}
		st.DupIDs.addKey(code, dupKey(code, id))
	}
	st.TranIDs = nil
}
