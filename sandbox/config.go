package sandbox

import (
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/obpm/obpm/internal/defaults"
	"go.yaml.in/yaml/v4"
)

// Defaults from docs/design.md ("Sandbox defaults and seed data").
const (
	DefaultAddr             = defaults.SandboxAddr
	DefaultClientID         = defaults.SandboxClientID
	DefaultClientSecret     = defaults.SandboxClientSecret
	DefaultRedirectURI      = defaults.HelperCallback
	DefaultClientUseCode    = defaults.SandboxClientUseCode
	DefaultTokenTTL         = 90 * 24 * time.Hour // 7,776,000 s, the documented expires_in
	DefaultCodeTTL          = 10 * time.Minute
	refreshGrace            = 10 * 24 * time.Hour // "access expiry + 10 days" (unconfirmed, see docs/openbanking-api.md)
	defaultContractBalance  = 1_000_000_000
	postmanCallback         = "https://oauth.pstmn.io/v1/callback"
	postmanBrowserCallback  = "https://oauth.pstmn.io/v1/browser-callback"
	userScopes              = defaults.SandboxUserScope
	institutionScopesNormal = "oob"
)

//go:embed seed.yaml
var seedYAML []byte

// SeedYAML returns the built-in seed data (users, accounts, histories and the
// default client) as YAML, the format that --data accepts.
func SeedYAML() []byte { return append([]byte(nil), seedYAML...) }

// Config configures a sandbox. The zero value serves the embedded seed data
// with the default client, in memory, with the documented token lifetimes.
type Config struct {
	// Data is the seed data; nil means the embedded seed (SeedYAML).
	Data *Data
	// Clients replaces the data's clients when not empty.
	Clients []Client
	// Spec is the OpenAPI document requests are validated against and
	// routed by; nil means specs.LoadOpenBanking.
	Spec *openapi3.T
	// StateFile, when set, persists the state (a snapshot and a journal of
	// changes in one file, see stateFile) and restores it at start.
	StateFile string
	// TokenTTL is the access token lifetime (default 90 days).
	TokenTTL time.Duration
	// RefreshTTL is the refresh token lifetime (default TokenTTL + 10 days).
	RefreshTTL time.Duration
	// CodeTTL is how long an authorization code may be exchanged (default 10 min).
	CodeTTL time.Duration
	// Latency delays every business API answer (a fault-test knob).
	Latency time.Duration
	// FailRate in [0,1] is the share of business API calls answered with
	// A0003 (a fault-test knob).
	FailRate float64
	// DupWindow is how many bank_tran_ids per client the duplicate check
	// remembers at least (default DefaultDupWindow); see dupIDs.
	DupWindow int
	// Logger receives one line per request and per token issued; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Client is a registered institution application.
type Client struct {
	ID            string   `yaml:"client_id" json:"client_id"`
	Secret        string   `yaml:"client_secret" json:"-"`
	RedirectURIs  []string `yaml:"redirect_uris" json:"redirect_uris"`
	ClientUseCode string   `yaml:"client_use_code" json:"client_use_code"`
	// SelfAuth clients may be granted the `sa` scope.
	SelfAuth bool `yaml:"self_auth" json:"self_auth"`
	// LoopbackAnyPort lets a registered loopback redirect URI match on any port
	// (RFC 8252 §7.3). Off by default: the real testbed compares host, port and
	// path exactly, and a sandbox that forgave a wrong port would hide the
	// mistake until the user reached the testbed.
	LoopbackAnyPort bool `yaml:"loopback_any_port" json:"loopback_any_port"`
	// Contract is the institution's contracted account (cntr_account_num):
	// withdrawals land in it, deposits are paid from it.
	Contract ContractAccount `yaml:"contract" json:"contract"`
}

// ContractAccount is a client's contracted account.
type ContractAccount struct {
	Type        string `yaml:"type" json:"type"` // cntr_account_type, N or C
	BankCodeStd string `yaml:"bank_code_std" json:"bank_code_std"`
	AccountNum  string `yaml:"account_num" json:"account_num"`
	HolderName  string `yaml:"holder_name" json:"holder_name"`
	Balance     int64  `yaml:"balance" json:"balance"`
}

// Data is the seed data: clients, banks and users with their accounts.
type Data struct {
	Clients []Client `yaml:"clients"`
	Banks   []Bank   `yaml:"banks"`
	Users   []User   `yaml:"users"`
	// Transfers are earlier transfers that transfer/result can find.
	Transfers []Transfer `yaml:"transfers"`
	// Claims are earlier return claims that return/result can find.
	Claims []Claim `yaml:"claims"`
}

// Claim is a return claim (자금반환청구) on an earlier deposit.
type Claim struct {
	BankTranID string `yaml:"bank_tran_id" json:"bank_tran_id"` // the claim's own id
	Date       string `yaml:"date" json:"date"`
	Amount     int64  `yaml:"amount" json:"amount"`
	OrgTranID  string `yaml:"org_bank_tran_id" json:"org_bank_tran_id"` // the deposit claimed
	// TotalReturn is the claim's total_return_yn, echoed by return/result.
	TotalReturn string `yaml:"total_return_yn,omitempty" json:"total_return_yn,omitempty"`
}

// Bank is a participant bank.
type Bank struct {
	Code string `yaml:"code" json:"code"`
	Name string `yaml:"name" json:"name"`
}

// User is a test user who can log in on the consent page.
type User struct {
	ID        string    `yaml:"id" json:"id"` // the consent page choice, e.g. user1
	UserSeqNo string    `yaml:"user_seq_no" json:"user_seq_no"`
	Name      string    `yaml:"name" json:"name"`
	Birth     string    `yaml:"birth" json:"birth"` // YYMMDD
	Gender    string    `yaml:"gender" json:"gender"`
	CI        string    `yaml:"ci" json:"ci"`
	CellNo    string    `yaml:"cell_no" json:"cell_no"`
	Email     string    `yaml:"email" json:"email"`
	Accounts  []Account `yaml:"accounts" json:"-"`
}

// Account is a user's bank account as seeded.
type Account struct {
	BankCodeStd   string `yaml:"bank_code_std" json:"bank_code_std"`
	AccountNum    string `yaml:"account_num" json:"account_num"`
	FintechUseNum string `yaml:"fintech_use_num" json:"fintech_use_num"`
	Alias         string `yaml:"alias" json:"alias"`
	ProductName   string `yaml:"product_name" json:"product_name"`
	AccountType   string `yaml:"account_type" json:"account_type"`
	IssueDate     string `yaml:"issue_date" json:"issue_date"`
	Balance       int64  `yaml:"balance" json:"balance"`
	// History is listed oldest first; after-balances are computed so that
	// the last row ends at Balance.
	History []Txn `yaml:"history" json:"history"`
}

// Txn is one row of an account's history.
type Txn struct {
	Date         string `yaml:"date" json:"date"`   // yyyyMMdd
	Time         string `yaml:"time" json:"time"`   // HHmmss
	InOut        string `yaml:"inout" json:"inout"` // 입금 or 출금
	Type         string `yaml:"type" json:"type"`   // 현금, 대체, 급여, 타행, F/B…
	Content      string `yaml:"content" json:"content"`
	Amount       int64  `yaml:"amount" json:"amount"`
	Branch       string `yaml:"branch" json:"branch"`
	AfterBalance int64  `yaml:"-" json:"after_balance"`
	Seq          int64  `yaml:"-" json:"seq"`
	// Counter is the other side of a transfer (remit_list shows it).
	Counter *Counterparty `yaml:"-" json:"counter,omitempty"`
}

// Counterparty is the other account of a transfer.
type Counterparty struct {
	Name          string `json:"name"`
	BankCodeStd   string `json:"bank_code_std"`
	AccountMasked string `json:"account_masked"`
}

// Transfer is a withdraw or deposit that transfer/result can find.
type Transfer struct {
	CheckType     string `yaml:"check_type" json:"check_type"` // 1 withdraw, 2 deposit
	BankTranID    string `yaml:"bank_tran_id" json:"bank_tran_id"`
	BankTranDate  string `yaml:"bank_tran_date" json:"bank_tran_date"`
	Amount        int64  `yaml:"amount" json:"amount"`
	FintechUseNum string `yaml:"fintech_use_num" json:"fintech_use_num"` // the user's account
	ClientUseCode string `yaml:"client_use_code" json:"client_use_code"`
	PrintContent  string `yaml:"print_content" json:"print_content"`
}

var (
	reClientUseCode = regexp.MustCompile(`^[A-Z][0-9]{9}$`)
	reDigits        = regexp.MustCompile(`^[0-9]+$`)
)

// LoadData reads seed data from a YAML file and checks it.
func LoadData(path string) (*Data, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sandbox data %s: %w", path, err)
	}
	d, err := ParseData(b)
	if err != nil {
		return nil, fmt.Errorf("sandbox data %s: %w", path, err)
	}
	return d, nil
}

// ParseData parses and checks seed data in YAML.
func ParseData(b []byte) (*Data, error) {
	var d Data
	if err := yaml.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("parse yaml: %w (compare with `obpm sandbox --print-data`)", err)
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	return &d, nil
}

func (d *Data) check() error {
	var errs []error
	banks := map[string]bool{}
	for i, b := range d.Banks {
		if len(b.Code) != 3 {
			errs = append(errs, fmt.Errorf("banks[%d].code %q: want 3 characters such as 097", i, b.Code))
		}
		banks[b.Code] = true
	}
	for i, c := range d.Clients {
		errs = append(errs, c.check(fmt.Sprintf("clients[%d]", i)))
	}
	seqs, fins, ids := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, u := range d.Users {
		at := fmt.Sprintf("users[%d]", i)
		if u.ID == "" || ids[u.ID] {
			errs = append(errs, fmt.Errorf("%s.id %q: want a unique non-empty login id such as user1", at, u.ID))
		}
		ids[u.ID] = true
		if len(u.UserSeqNo) != 10 || seqs[u.UserSeqNo] {
			errs = append(errs, fmt.Errorf("%s.user_seq_no %q: want a unique 10-character value such as 1100000001", at, u.UserSeqNo))
		}
		seqs[u.UserSeqNo] = true
		for j, a := range u.Accounts {
			at := fmt.Sprintf("%s.accounts[%d]", at, j)
			if len(a.FintechUseNum) != 24 || !reDigits.MatchString(a.FintechUseNum) || fins[a.FintechUseNum] {
				errs = append(errs, fmt.Errorf("%s.fintech_use_num %q: want a unique 24-digit number", at, a.FintechUseNum))
			}
			fins[a.FintechUseNum] = true
			if !banks[a.BankCodeStd] {
				errs = append(errs, fmt.Errorf("%s.bank_code_std %q: not listed under banks", at, a.BankCodeStd))
			}
			if a.AccountNum == "" || len(a.AccountNum) > 16 {
				errs = append(errs, fmt.Errorf("%s.account_num %q: want 1 to 16 characters", at, a.AccountNum))
			}
		}
	}
	return errors.Join(errs...)
}

func (c Client) check(at string) error {
	var errs []error
	if c.ID == "" || c.Secret == "" {
		errs = append(errs, fmt.Errorf("%s: client_id and client_secret are required", at))
	}
	if !reClientUseCode.MatchString(c.ClientUseCode) {
		errs = append(errs, fmt.Errorf("%s.client_use_code %q: want a letter and 9 digits such as T990000001", at, c.ClientUseCode))
	}
	if len(c.RedirectURIs) == 0 {
		errs = append(errs, fmt.Errorf("%s.redirect_uris: register at least one callback URL", at))
	}
	for i, r := range c.RedirectURIs {
		if u, err := url.Parse(r); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s.redirect_uris[%d] %q: want an absolute URL such as %s", at, i, r, DefaultRedirectURI))
		}
	}
	return errors.Join(errs...)
}

// DefaultClient is the client registered when none is configured.
func DefaultClient() Client {
	return Client{
		ID: DefaultClientID, Secret: DefaultClientSecret,
		RedirectURIs: []string{DefaultRedirectURI, postmanCallback, postmanBrowserCallback}, ClientUseCode: DefaultClientUseCode,
		SelfAuth: true,
		Contract: ContractAccount{Type: "N", BankCodeStd: "097", AccountNum: "100000000001", HolderName: "오픈뱅킹샌드박스", Balance: defaultContractBalance},
	}
}

// NewClient fills a client registered from flags with the default client's
// use code and contracted account.
func NewClient(id, secret string, redirectURIs []string, clientUseCode string) Client {
	c := DefaultClient()
	c.ID, c.Secret, c.RedirectURIs = id, secret, redirectURIs
	if clientUseCode != "" {
		c.ClientUseCode = clientUseCode
	}
	return c
}

// withDefaults fills the zero fields of a client's contract.
func (c Client) withDefaults() Client {
	d := DefaultClient().Contract
	if c.Contract.Type == "" {
		c.Contract.Type = d.Type
	}
	if c.Contract.AccountNum == "" {
		c.Contract.BankCodeStd, c.Contract.AccountNum = d.BankCodeStd, d.AccountNum
	}
	if c.Contract.HolderName == "" {
		c.Contract.HolderName = d.HolderName
	}
	if c.Contract.Balance == 0 {
		c.Contract.Balance = d.Balance
	}
	return c
}
