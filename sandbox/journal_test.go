package sandbox_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/obpm/obpm/sandbox"
)

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestStateWritesDoNotGrow: with a state file, a transfer appends a record
// of the same size on the first day and after hundreds of transfers (the
// whole state is not rewritten per change), and a restart replays them all.
func TestStateWritesDoNotGrow(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	e := start(t, sandbox.Config{StateFile: file})
	user := e.userToken("user1")["access_token"].(string)
	n := 0
	withdraw := func(k int) int64 {
		before := fileSize(t, file)
		for range k {
			n++
			wantRsp(t, e.call(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", user, withdrawIn(tranID(n), fin1, "10")), "A0000")
		}
		return fileSize(t, file) - before
	}
	first := withdraw(10)
	withdraw(200)
	later := withdraw(10)
	if first <= 0 || later > first+first/10 {
		t.Errorf("10 transfers appended %d bytes at first and %d after 210: the writes grow with history", first, later)
	}
	e2 := e.restart()
	b := e2.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(n+1)))
	if want := fmt.Sprint(1000000 - 10*n); b["balance_amt"] != want {
		t.Errorf("balance after restart = %v, want %s", b["balance_amt"], want)
	}
	wantRsp(t, e2.call(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", user, withdrawIn(tranID(n), fin1, "10")), "A0326")
}

// TestStateCompaction: once the journal outgrows its threshold the file is
// rewritten as one snapshot, and nothing is lost by it.
func TestStateCompaction(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	e := start(t, sandbox.Config{StateFile: file})
	sandbox.SetCompactAt(e.srv, 8<<10)
	user := e.userToken("user1")["access_token"].(string)
	maxSize := int64(0)
	for i := 1; i <= 60; i++ {
		wantRsp(t, e.call(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", user, withdrawIn(tranID(i), fin1, "100")), "A0000")
		maxSize = max(maxSize, fileSize(t, file))
	}
	b, _ := os.ReadFile(file)
	lines := bytes.Count(b, []byte("\n"))
	if lines >= 60 {
		t.Errorf("%d lines after 60 transfers with a small threshold: never compacted", lines)
	}
	e2 := e.restart()
	if b := e2.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(61))); b["balance_amt"] != "994000" {
		t.Errorf("balance after compactions and a restart = %v, want 994000", b["balance_amt"])
	}
	tl := e2.call(http.MethodGet, "/v2.0/account/transaction_list/fin_num", user, map[string]any{"bank_tran_id": tranID(62), "fintech_use_num": fin1,
		"inquiry_type": "O", "inquiry_base": "D", "from_date": "20261126", "to_date": "20261126", "sort_order": "D", "tran_dtime": "20261126101010"})
	wantRsp(t, tl, "A0000")
	if rows := tl["res_list"].([]any); len(rows) < 25 { // a page holds 25 rows
		t.Errorf("transaction_list after restart: %d rows", len(rows))
	}
}

// TestStateTornTail: a record cut short by a crash (never acknowledged) is
// dropped at start; a damaged record with good ones after it is refused
// with its line number.
func TestStateTornTail(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	e := start(t, sandbox.Config{StateFile: file})
	user := e.userToken("user1")["access_token"].(string)
	for i := 1; i <= 3; i++ {
		wantRsp(t, e.call(http.MethodPost, "/v2.0/transfer/withdraw/fin_num", user, withdrawIn(tranID(i), fin1, "1000")), "A0000")
	}
	good, _ := os.ReadFile(file)
	if err := os.WriteFile(file, append(append([]byte{}, good...), `0badc0de {"small":{"users`...), 0o600); err != nil {
		t.Fatal(err)
	}
	e2 := e.restart()
	if b := e2.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(4))); b["balance_amt"] != "997000" {
		t.Errorf("balance after a torn tail = %v, want 997000", b["balance_amt"])
	}
	if !strings.Contains(e.logs.String(), "dropped the unfinished last change") {
		t.Errorf("no warning about the dropped record in the log:\n%s", e.logs.String())
	}

	lines := bytes.SplitAfter(good, []byte("\n"))
	if len(lines) < 4 {
		t.Fatalf("want a snapshot and records, got %d lines", len(lines))
	}
	lines[1] = bytes.Replace(lines[1], []byte(`"`), []byte(`'`), 1)
	if err := os.WriteFile(file, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sandbox.New(sandbox.Config{StateFile: file, Spec: e.cfg.Spec}); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("damaged middle record: err = %v", err)
	}
}

// TestStateChildProcess is the sandbox process TestStateSurvivesKill kills.
func TestStateChildProcess(t *testing.T) {
	file := os.Getenv("OBPM_SANDBOX_CHILD_STATE")
	if file == "" {
		t.Skip("run by TestStateSurvivesKill")
	}
	srv, err := sandbox.New(sandbox.Config{StateFile: file, Spec: loadSpec(t)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	fmt.Printf("listening %s\n", ts.URL)
	time.Sleep(2 * time.Minute) // killed long before
	t.Fatal("not killed")
}

// TestStateSurvivesKill: a sandbox process killed with SIGKILL while
// transfers are in flight keeps every transfer it acknowledged.
func TestStateSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	file := filepath.Join(t.TempDir(), "state.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestStateChildProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "OBPM_SANDBOX_CHILD_STATE="+file)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var base string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
			base = u
			break
		}
	}
	if base == "" {
		t.Fatal("the child sandbox printed no address")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()

	// The client side of the env helpers, pointed at the child.
	child := &env{t: t, router: specRouter(t, loadSpec(t)), ts: &httptest.Server{URL: base}}
	user := child.userToken("user1")["access_token"].(string)

	const sent, amt = 40, 1000
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	hc := &http.Client{Timeout: 10 * time.Second}
	killed := make(chan struct{})
	for i := 1; i <= sent; i++ {
		wg.Go(func() {
			id := tranID(i)
			body, _ := json.Marshal(withdrawIn(id, fin1, fmt.Sprint(amt)))
			req, _ := http.NewRequest(http.MethodPost, base+"/v2.0/transfer/withdraw/fin_num", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+user)
			resp, err := hc.Do(req)
			if err != nil {
				return // killed in flight: not acknowledged
			}
			defer resp.Body.Close()
			var m map[string]any
			if json.NewDecoder(resp.Body).Decode(&m) != nil || m["rsp_code"] != "A0000" {
				return
			}
			mu.Lock()
			acked = append(acked, id)
			if len(acked) == sent/2 {
				// Kill at once, with the other half in flight.
				_ = cmd.Process.Signal(syscall.SIGKILL)
				close(killed)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("only %d of %d transfers acknowledged before the kill", len(acked), sent)
	}
	_ = cmd.Wait()

	e := start(t, sandbox.Config{StateFile: file, Now: time.Now})
	oob := e.institutionToken("oob")
	day := time.Now().In(time.FixedZone("KST", 9*3600)).Format("20060102")
	found := 0
	for i := 1; i <= sent; i++ {
		res := e.call(http.MethodPost, "/v2.0/transfer/result", oob, map[string]any{"check_type": "1", "tran_dtime": day + "101010", "req_cnt": "1",
			"req_list": []any{map[string]any{"tran_no": "1", "org_bank_tran_id": tranID(i), "org_bank_tran_date": day, "org_tran_amt": fmt.Sprint(amt)}}})
		if res["rsp_code"] == "A0000" {
			found++
		}
	}
	for _, id := range acked {
		res := e.call(http.MethodPost, "/v2.0/transfer/result", oob, map[string]any{"check_type": "1", "tran_dtime": day + "101010", "req_cnt": "1",
			"req_list": []any{map[string]any{"tran_no": "1", "org_bank_tran_id": id, "org_bank_tran_date": day, "org_tran_amt": fmt.Sprint(amt)}}})
		if res["rsp_code"] != "A0000" {
			t.Errorf("acknowledged transfer %s lost by the kill: %v", id, res["rsp_code"])
		}
	}
	b := e.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(sent+1)))
	if want := fmt.Sprint(1000000 - amt*found); b["balance_amt"] != want {
		t.Errorf("balance after the kill = %v, want %s (%d transfers kept, %d acknowledged)", b["balance_amt"], want, found, len(acked))
	}
	t.Logf("%d transfers acknowledged before SIGKILL, %d kept", len(acked), found)
}

// TestStateConcurrentTransfers: transfers from many connections at once
// share fsyncs (group commit) and all survive a restart.
func TestStateConcurrentTransfers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	e := start(t, sandbox.Config{StateFile: file})
	user := e.userToken("user1")["access_token"].(string)
	const workers, each = 16, 5
	var wg sync.WaitGroup
	var failed sync.Map
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := tranID(1 + w*each + i)
				body, _ := json.Marshal(withdrawIn(id, fin1, "10"))
				req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/v2.0/transfer/withdraw/fin_num", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+user)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					failed.Store(id, err.Error())
					continue
				}
				var m map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&m)
				resp.Body.Close()
				if m["rsp_code"] != "A0000" {
					failed.Store(id, m)
				}
			}
		})
	}
	wg.Wait()
	failed.Range(func(k, v any) bool { t.Errorf("withdraw %v: %v", k, v); return true })
	e2 := e.restart()
	b := e2.call(http.MethodGet, "/v2.0/account/balance/fin_num", user, balanceIn(tranID(workers*each+1)))
	if want := fmt.Sprint(1000000 - 10*workers*each); b["balance_amt"] != want {
		t.Errorf("balance after %d concurrent transfers and a restart = %v, want %s", workers*each, b["balance_amt"], want)
	}
}
