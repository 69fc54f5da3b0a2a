package sandbox_test

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/obpm/obpm/sandbox"
)

func TestZZProfile(t *testing.T) {
	if os.Getenv("ZZPROF") == "" {
		t.Skip()
	}
	f, _ := os.Create("/tmp/h13/sblog")
	defer f.Close()
	var w io.Writer = f
	e := start(t, sandbox.Config{StateFile: filepath.Join(t.TempDir(), "s.json")})
	_ = w
	user := e.userToken("user1")["access_token"].(string)
	var n atomic.Int64
	var wg sync.WaitGroup
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	path := os.Getenv("ZZPROF")
	for range 32 {
		wg.Go(func() {
			for range 3000 {
				i := n.Add(1)
				var req *http.Request
				if path == "balance" {
					req, _ = http.NewRequest("GET", e.ts.URL+"/v2.0/account/balance/fin_num?bank_tran_id="+tranID(int(i))+"&fintech_use_num="+fin1+"&tran_dtime=20261126101010", nil)
				}
				req.Header.Set("Authorization", "Bearer "+user)
				resp, err := hc.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	_ = slog.Default
}
