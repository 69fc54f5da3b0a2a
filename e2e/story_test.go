// Package e2e_test runs the seed's whole story with the real binary and the real
// client: obpm sandbox, obpm serve with the OS keyring, obpm login with the test
// playing the browser, obpm generate, and obpm exec -- newman run of the full
// generated Open Banking collection. No token is ever pasted by hand.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/internal/authtest"
	"github.com/obpm/obpm/internal/testenv"
	"github.com/obpm/obpm/sandbox/sandboxtest"
)

const (
	e2eClient = "obpm-e2e"
	e2eSecret = "e2e-client-secret"
	e2eUser   = "user1"
)

// loggedIn is a world with a sandbox, a daemon and a user that has logged in.
type loggedIn struct {
	*world
	sandboxProc *proc
	daemon      *proc
	newman      string
	collection  string
	environment string
}

// setUp runs the README's quick start: sandbox, profile add, serve, login, generate.
func setUp(t *testing.T, sandboxArgs ...string) *loggedIn {
	t.Helper()
	testenv.RequireKeyring(t)
	newman := testenv.NodeBin(t, "newman")
	w := newWorld(t, buildObpm(t))
	w.env = append(w.env, "OBPM_KEYRING_SERVICE="+authtest.KeyringService(t, "obpm-e2e"))
	// The daemon and the sandbox run on random, non-default ports and no
	// OBPM_HELPER_URL is set: every command finds the daemon through the
	// runtime file `obpm serve` writes, and generate --with-key writes both
	// real URLs into the local environment (issue 12).
	w.unset("OBPM_HELPER_URL")
	redirect := w.helper + "/callback"

	args := append([]string{"sandbox", "--addr", strings.TrimPrefix(w.sandbox, "http://"),
		"--client-id", e2eClient, "--client-secret", e2eSecret, "--redirect-uri", redirect}, sandboxArgs...)
	sb := w.start(args...)
	waitHTTP(t, w.sandbox+"/oauth/2.0/token", 30*time.Second)

	w.run(e2eSecret, "profile", "add", "e2e", "--provider", "sandbox", "--base-url", w.sandbox,
		"--client-id", e2eClient, "--redirect-uri", redirect, "--client-secret-stdin", "--default")
	l := &loggedIn{world: w, sandboxProc: sb, newman: newman}
	l.startDaemon(t)
	l.login(t)

	out := filepath.Join(w.dir, "postman")
	w.run("", "generate", "--out", out, "--with-key")
	l.collection = onlyFile(t, out, "*.postman_collection.json")
	l.environment = onlyFile(t, filepath.Join(out, "local"), "*.sandbox.postman_environment.json")
	if _, errOut, err := w.runErr("", "generate", "--out", out, "--check"); err != nil {
		t.Fatalf("generate --check right after generate --with-key: %v\n%s", err, errOut)
	}
	return l
}

func (l *loggedIn) startDaemon(t *testing.T) {
	t.Helper()
	l.daemon = l.start("serve", "--port", fmt.Sprint(l.hport))
	waitHTTP(t, l.helper+"/healthz", 30*time.Second)
}

// login runs `obpm login --no-browser` and plays the browser on the sandbox's
// consent page: the redirect then hits the daemon's callback, as a browser's would.
func (l *loggedIn) login(t *testing.T) {
	t.Helper()
	p := l.start("login", "--profile", "e2e", "--no-browser", "--timeout", "1m")
	authURL := waitLine(t, p, 30*time.Second, func(s string) bool {
		return strings.HasPrefix(s, l.sandbox+"/oauth/2.0/authorize?")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	loc, err := sandboxtest.Approve(ctx, nil, authURL, e2eUser)
	if err != nil {
		t.Fatalf("approve on the consent page: %v", err)
	}
	if !strings.HasPrefix(loc.String(), l.helper+"/callback?") {
		t.Fatalf("consent redirected to %s, want the daemon's callback %s/callback", loc, l.helper)
	}
	resp, err := http.Get(loc.String())
	if err != nil {
		t.Fatalf("deliver the callback: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback page status %d", resp.StatusCode)
	}
	if err := p.wait(t, time.Minute); err != nil {
		t.Fatalf("obpm login: %v\nstderr:\n%s", err, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "Logged in") {
		t.Fatalf("login did not report success:\n%s", p.stderr)
	}
}

// newmanRun runs the whole collection through `obpm exec`, so the only place a
// token or key comes from is the helper, and returns Newman's JSON report.
func (l *loggedIn) newmanRun(t *testing.T, iterations int) *report {
	t.Helper()
	export := filepath.Join(l.dir, fmt.Sprintf("newman-%d.json", time.Now().UnixNano()))
	// The local environment from generate --with-key holds the helper's
	// and the sandbox's real URLs and the key: nothing else is passed.
	script := fmt.Sprintf(`exec %q run %q -e %q -n %d --reporters cli,json --reporter-json-export %q `+
		`--env-var obpm_profile=e2e`,
		l.newman, l.collection, l.environment, iterations, export)
	out, errOut, err := l.runErr("", "exec", "--profile", "e2e", "--", "sh", "-c", script)
	if err != nil {
		t.Fatalf("obpm exec -- newman run: %v\n%s\n%s", err, tail(out, 60), errOut)
	}
	b, err := os.ReadFile(export)
	if err != nil {
		t.Fatalf("newman report: %v", err)
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("newman report %s: %v", export, err)
	}
	r.assertClean(t)
	return &r
}

// TestSeedStory is issue 7's proof: the full collection runs in Newman with
// tokens only from the helper, chained values flow, a transfer shows in the
// next balance, the sandbox issued the tokens to the helper's client, and a
// restarted daemon serves the next run from the keyring with no new login.
func TestSeedStory(t *testing.T) {
	l := setUp(t)

	r := l.newmanRun(t, 2)
	if r.Run.Stats.Requests.Total < 60 {
		t.Errorf("only %d requests ran; the whole collection has more", r.Run.Stats.Requests.Total)
	}
	t.Logf("run 1: %d requests, %d assertions, 0 failed", r.Run.Stats.Requests.Total, r.Run.Stats.Assertions.Total)

	// Chaining: every business call used the fintech_use_num that user/me returned
	// for the logged-in user, and the user_seq_no that came with the helper's token.
	for _, e := range r.executions("/v2.0/account/balance/fin_num") {
		if q := e.query("fintech_use_num"); q != "199000000100000000000001" {
			t.Errorf("balance asked for fintech_use_num %q, want the chained 199000000100000000000001", q)
		}
	}
	for _, e := range r.executions("/v2.0/user/me") {
		if q := e.query("user_seq_no"); q != "1100000001" {
			t.Errorf("user/me sent user_seq_no %q, want the helper's 1100000001", q)
		}
	}

	// A transfer's effect shows in the next balance call: iteration 2's balance is
	// iteration 1's plus every deposit and minus every withdrawal the run made on
	// that account in between (by fintech_use_num or by its account number).
	bal := r.fields("/v2.0/account/balance/fin_num", "balance_amt")
	if len(bal) != 2 {
		t.Fatalf("balances per iteration = %v, want 2", bal)
	}
	net, moves := r.moneyMoved(t, "199000000100000000000001", "1234567890123", 1)
	if moves == 0 {
		t.Fatal("the run made no successful withdraw or deposit on the chained account")
	}
	if want := atoi(t, bal[0]) + net; atoi(t, bal[1]) != want {
		t.Errorf("balance went %s → %s; the %d transfers in between imply %d", bal[0], bal[1], moves, want)
	}
	t.Logf("balance %s → %s across %d transfers (net %+d)", bal[0], bal[1], moves, net)

	// The sandbox issued the tokens to the helper's client.
	sbLog := l.sandboxProc.stderr.String()
	for _, grant := range []string{"authorization_code", "client_credentials"} {
		re := regexp.MustCompile(`token issued.*client_id=` + e2eClient + `.*grant=` + grant)
		if !re.MatchString(sbLog) {
			t.Errorf("sandbox log has no token issued to %s by %s:\n%s", e2eClient, grant, tail(sbLog, 20))
		}
	}

	// Kill the daemon between two runs: the next run needs no new login.
	logins := strings.Count(sbLog, "grant=authorization_code")
	l.daemon.stop(t)
	l.startDaemon(t)

	// The run's own withdrawals and deposits cancel out (same amounts), so
	// the check above would also hold if transfers changed nothing. Withdraw
	// an odd amount in between, with the restarted daemon's token, and the
	// next run's first balance must show it.
	const odd = 1234
	l.withdraw(t, r, odd)
	after, _ := r.moneyMoved(t, "199000000100000000000001", "1234567890123", 2)
	r2 := l.newmanRun(t, 1)
	if n := strings.Count(l.sandboxProc.stderr.String(), "grant=authorization_code"); n != logins {
		t.Errorf("after the daemon restart the sandbox saw %d code exchanges, want %d (no new login)", n, logins)
	}
	bal2 := r2.fields("/v2.0/account/balance/fin_num", "balance_amt")
	if want := atoi(t, bal[1]) + after - odd; len(bal2) == 0 || atoi(t, bal2[0]) != want {
		t.Errorf("balance after a withdraw of %d = %v, want %d", odd, bal2, want)
	}
	t.Logf("run after daemon restart: %d requests, 0 failed; balance %s after a withdraw of %d", r2.Run.Stats.Requests.Total, bal2[0], odd)
}

// withdraw sends one more withdraw like the run's first successful one, for
// amount, with a fresh bank_tran_id and the user token the helper hands out.
func (l *loggedIn) withdraw(t *testing.T, r *report, amount int) {
	t.Helper()
	var body map[string]any
	for _, e := range r.executions("/v2.0/transfer/withdraw/fin_num") {
		if e.ok() {
			body = e.jsonBody()
			break
		}
	}
	if body == nil {
		t.Fatal("the run made no successful withdraw to copy")
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(l.run("", "token", "--profile", "e2e", "--json")), &tok); err != nil {
		t.Fatalf("obpm token --json: %v", err)
	}
	id, _ := body["bank_tran_id"].(string)
	kst := time.Now().In(time.FixedZone("KST", 9*3600))
	body["bank_tran_id"] = fmt.Sprintf("%sU%09d", id[:10], kst.UnixNano()%1e9)
	body["tran_dtime"] = kst.Format("20060102150405")
	body["tran_amt"] = fmt.Sprint(amount)
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, l.sandbox+"/v2.0/transfer/withdraw/fin_num", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || m["rsp_code"] != "A0000" {
		t.Fatalf("withdraw of %d: %v %v", amount, m, err)
	}
}

// TestSoakRefresh runs the collection for about a minute while access tokens
// live 6 s: the daemon refreshes them under Newman's feet with no failure. A
// token is handed out while a third of its life is left (RefreshDue): 2 s
// here, so a request that a busy CI machine delays by a second still
// arrives with a live token (with 3 s tokens, one at load average 9 did not).
func TestSoakRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: about a minute")
	}
	l := setUp(t, "--token-ttl", "6s")
	start := time.Now()
	r := l.newmanRun(t, 45)
	refreshes := strings.Count(l.sandboxProc.stderr.String(), "grant=refresh_token")
	inst := strings.Count(l.sandboxProc.stderr.String(), "grant=client_credentials")
	t.Logf("soak: %d iterations, %d requests, %d assertions, 0 failed, %d user-token refreshes, %d institution tokens, %s",
		r.Run.Stats.Iterations.Total, r.Run.Stats.Requests.Total, r.Run.Stats.Assertions.Total, refreshes, inst, time.Since(start).Round(time.Second))
	if refreshes < 3 {
		t.Errorf("%d refreshes during a %s soak with 6 s tokens, want several", refreshes, time.Since(start).Round(time.Second))
	}
}

// moneyMoved sums, after the n-th balance call and before the next one, the
// successful withdrawals (negative) and deposits (positive) on one account.
func (r *report) moneyMoved(t *testing.T, fintech, accountNum string, n int) (net int64, moves int) {
	t.Helper()
	seenBalance := 0
	for _, e := range r.Run.Executions {
		if e.Response == nil {
			continue
		}
		p := e.path()
		if p == "/v2.0/account/balance/fin_num" {
			seenBalance++
			continue
		}
		if seenBalance != n || !e.ok() || !strings.HasPrefix(p, "/v2.0/transfer/") {
			continue
		}
		body := e.jsonBody()
		mine := func(m map[string]any) bool {
			return m["fintech_use_num"] == fintech || m["account_num"] == accountNum || m["wd_account_num"] == accountNum
		}
		switch {
		case strings.HasPrefix(p, "/v2.0/transfer/withdraw/") && mine(body):
			net -= atoi(t, fmt.Sprint(body["tran_amt"]))
			moves++
		case strings.HasPrefix(p, "/v2.0/transfer/deposit/"):
			items, _ := body["req_list"].([]any)
			for _, it := range items {
				if m, _ := it.(map[string]any); m != nil && mine(m) {
					net += atoi(t, fmt.Sprint(m["tran_amt"]))
					moves++
				}
			}
		}
	}
	return net, moves
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return n
}

func onlyFile(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(m) != 1 {
		t.Fatalf("want one %s in %s, got %v (%v)", pattern, dir, m, err)
	}
	return m[0]
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}
