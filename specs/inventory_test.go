package specs

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// update rewrites the generated README block instead of comparing it.
var update = flag.Bool("update", false, "rewrite the operations table in ../README.md")

// TestInventory: every endpoint the issue and docs/openbanking-api.md
// name is in the document.
func TestInventory(t *testing.T) {
	doc := loadDoc(t)
	want := []struct{ method, path string }{
		// OAuth
		{"GET", "/oauth/2.0/authorize"},
		{"GET", "/oauth/2.0/authorize_account"},
		{"POST", "/oauth/2.0/token"},
		{"POST", "/oauth/2.0/revoke"},
		// users and accounts
		{"GET", "/v2.0/user/me"},
		{"POST", "/v2.0/user/unlink"},
		{"POST", "/v2.0/user/close"},
		{"POST", "/v2.0/user/register"},
		{"POST", "/v2.0/user/register_card"},
		{"GET", "/v2.0/account/list"},
		{"POST", "/v2.0/account/cancel"},
		{"POST", "/v2.0/account/update_info"},
		{"POST", "/v2.0/account/update"},
		{"POST", "/v2.0/account/info"},
		// inquiries
		{"GET", "/v2.0/account/balance/fin_num"},
		{"POST", "/v2.0/account/balance/acnt_num"},
		{"GET", "/v2.0/account/transaction_list/fin_num"},
		{"POST", "/v2.0/account/transaction_list/acnt_num"},
		{"POST", "/v2.0/inquiry/real_name"},
		{"POST", "/v2.0/inquiry/receive"},
		{"POST", "/v2.0/inquiry/remit_list"},
		{"POST", "/v2.0/accountinfo/list"},
		// transfers
		{"POST", "/v2.0/transfer/withdraw/fin_num"},
		{"POST", "/v2.0/transfer/withdraw/acnt_num"},
		{"POST", "/v2.0/transfer/deposit/fin_num"},
		{"POST", "/v2.0/transfer/deposit/acnt_num"},
		{"POST", "/v2.0/transfer/result"},
		{"POST", "/v2.0/return/claim"},
		{"POST", "/v2.0/return/result"},
		// institution
		{"GET", "/v2.0/bank/status"},
		{"GET", "/v2.0/manage/fee"},
		{"GET", "/v2.0/manage/count"},
		{"GET", "/v2.0/manage/wd_limit"},
		{"GET", "/v2.0/inquiry/fds_detect"},
		// card, prepaid, insurance, loan
		{"GET", "/v2.0/cards"},
		{"GET", "/v2.0/cards/issue_info"},
		{"GET", "/v2.0/cards/bills"},
		{"GET", "/v2.0/cards/bills/detail"},
		{"POST", "/v2.0/cards/update"},
		{"POST", "/v2.0/cards/cancel"},
		{"GET", "/v2.0/pays"},
		{"GET", "/v2.0/pays/reload"},
		{"GET", "/v2.0/pays/balances"},
		{"GET", "/v2.0/pays/transactions"},
		{"GET", "/v2.0/insurances"},
		{"POST", "/v2.0/insurances/payment"},
		{"GET", "/v2.0/loans"},
		{"POST", "/v2.0/loans/basic"},
	}
	have := map[string]bool{}
	for _, o := range operations(doc) {
		have[o.Method+" "+o.Path] = true
	}
	for _, w := range want {
		if !have[w.method+" "+w.path] {
			t.Errorf("missing operation %s %s", w.method, w.path)
		}
		delete(have, w.method+" "+w.path)
	}
	for extra := range have {
		t.Errorf("operation %s is not in the inventory table of this test: add it here", extra)
	}
}

const (
	beginMarker = "<!-- BEGIN openbanking-operations"
	endMarker   = "<!-- END openbanking-operations -->"
)

// TestREADMETable keeps the README's operation table generated from the
// document: it fails when they differ, and `go test ./specs -update`
// rewrites the block.
func TestREADMETable(t *testing.T) {
	doc := loadDoc(t)
	table := operationTable(doc)
	path := filepath.Join("..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := replaceBlock(readme, table)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if bytes.Equal(got, readme) {
		return
	}
	if !*update {
		t.Fatalf("%s: the Open Banking operations table is out of date; run `go test ./specs -update`", path)
	}
	if err := writeFileAtomic(path, got); err != nil {
		t.Fatal(err)
	}
	t.Logf("rewrote the operations table in %s", path)
}

// replaceBlock puts body between the BEGIN line and the END marker.
func replaceBlock(readme []byte, body string) ([]byte, error) {
	s := string(readme)
	b := strings.Index(s, beginMarker)
	if b < 0 {
		return nil, fmt.Errorf("no %q line: put the BEGIN/END markers back under \"The Open Banking API\"", beginMarker)
	}
	nl := strings.Index(s[b:], "\n")
	if nl < 0 {
		return nil, fmt.Errorf("nothing after the BEGIN marker")
	}
	start := b + nl + 1
	e := strings.Index(s[start:], endMarker)
	if e < 0 {
		return nil, fmt.Errorf("no %q after the BEGIN marker", endMarker)
	}
	return []byte(s[:start] + body + s[start+e:]), nil
}

// writeFileAtomic writes a sibling temporary file and renames it over path,
// so an interrupted -update never leaves half a README.
func writeFileAtomic(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".README-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), info.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// operationTable renders the README table: one row per operation in
// collection order (tag order, then document order), with its token kind and
// scopes read from the security requirements.
func operationTable(doc *openapi3.T) string {
	tagIndex := map[string]int{}
	for i, tag := range doc.Tags {
		tagIndex[tag.Name] = i
	}
	ops := operations(doc)
	byTag := make([][]docOp, len(doc.Tags))
	for _, o := range ops {
		i := tagIndex[o.Op.Tags[0]]
		byTag[i] = append(byTag[i], o)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%d operations in `specs/%s` (OpenAPI %s, version %s), in the order of the generated collection. "+
		"† = skipped by a collection run (`x-obpm-run: manual`). Errors arrive as HTTP 200 with a non-`A0000` `rsp_code`.\n\n",
		len(ops), OpenBankingFile, doc.OpenAPI, doc.Info.Version)
	b.WriteString("| Folder | Method | Path | 이름 (Name) | Token | Scope |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for i, group := range byTag {
		for _, o := range group {
			name := o.Op.Summary
			if o.Op.Extensions["x-obpm-run"] == "manual" {
				name += " †"
			}
			token, scope := tokenAndScope(doc, o.Op)
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s | %s |\n", doc.Tags[i].Name, o.Method, o.Path, name, token, scope)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// tokenAndScope describes an operation's security requirements for humans:
// "user / institution" and "`login` / `sa`", or the client credentials for
// the OAuth endpoints.
func tokenAndScope(doc *openapi3.T, op *openapi3.Operation) (string, string) {
	if op.Security == nil || len(*op.Security) == 0 {
		if op.RequestBody == nil {
			return "none (browser page)", "—"
		}
		return "none (client_id + client_secret)", "—"
	}
	var tokens, scopes []string
	for _, req := range *op.Security {
		for _, scheme := range sortedKeys(req) {
			kind := scheme
			if ss := doc.Components.SecuritySchemes[scheme]; ss != nil && ss.Value != nil {
				if k := extension(ss.Value.Extensions, "x-obpm-token-kind"); k != "" {
					kind = k
				}
			}
			tokens = append(tokens, kind)
			var quoted []string
			for _, s := range req[scheme] {
				quoted = append(quoted, "`"+s+"`")
			}
			scopes = append(scopes, strings.Join(quoted, " "))
		}
	}
	return strings.Join(tokens, " / "), strings.Join(scopes, " / ")
}
