package sandbox_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/generator"
	"github.com/obpm/obpm/internal/testenv"
	"github.com/obpm/obpm/sandbox"
)

// TestNewmanRunsGeneratedCollection runs the generated Open Banking
// collection with the real Newman against the sandbox, two iterations in a
// row (the e2e soak repeats it 45 times), with tokens obtained over HTTP: every request and assertion passes,
// and the withdraws and deposits of the run show in the account history.
func TestNewmanRunsGeneratedCollection(t *testing.T) {
	newman := testenv.NodeBin(t, "newman")
	doc := loadSpec(t)
	e := start(t, sandbox.Config{Spec: doc, Now: time.Now})
	user := e.userTokenScope("user1", allUserScopes)["access_token"].(string)
	inst := e.institutionToken("oob sa")

	res, err := generator.Generate(doc, generator.Options{SandboxURL: e.ts.URL, Envs: []string{generator.SandboxEnv}})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	dir := t.TempDir()
	var coll, envFile string
	for _, f := range res.Files {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, f.Data, 0o600); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(f.Name, ".postman_collection.json"):
			coll = p
		case strings.HasSuffix(f.Name, ".sandbox.postman_environment.json"):
			envFile = p
		}
	}
	if coll == "" || envFile == "" {
		t.Fatalf("generated files: %v", res.Files)
	}

	report := filepath.Join(dir, "report.json")
	const iterations = 2
	cmd := exec.Command(newman, "run", coll, "-e", envFile, "-n", strconv.Itoa(iterations),
		"--env-var", "base_url="+e.ts.URL, "--env-var", "obpm_helper_url=",
		"--env-var", "user_access_token="+user, "--env-var", "institution_access_token="+inst,
		"--reporters", "cli,json", "--reporter-json-export", report, "--color", "off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("newman: %v\n%s", err, tail(string(out), 4000))
	}
	var rep struct {
		Run struct {
			Stats map[string]struct{ Total, Failed int } `json:"stats"`
		} `json:"run"`
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"requests", "assertions", "testScripts", "prerequestScripts"} {
		if s := rep.Run.Stats[k]; s.Failed != 0 {
			t.Errorf("newman %s: %d of %d failed\n%s", k, s.Failed, s.Total, tail(string(out), 4000))
		}
	}
	if s := rep.Run.Stats["requests"]; s.Total < 20*iterations {
		t.Errorf("newman ran %d requests, want the whole collection %d times", s.Total, iterations)
	}
	t.Logf("newman: %d requests, %d assertions, 0 failed", rep.Run.Stats["requests"].Total, rep.Run.Stats["assertions"].Total)

	// The run's withdraws and deposits are in today's history of the chained account.
	today := time.Now().In(time.FixedZone("KST", 9*3600)).Format("20060102")
	tl := e.call(http.MethodGet, "/v2.0/account/transaction_list/fin_num", user, map[string]any{"bank_tran_id": tranID(999999), "fintech_use_num": fin1,
		"inquiry_type": "A", "inquiry_base": "D", "from_date": today, "to_date": today, "sort_order": "D", "tran_dtime": time.Now().Format("20060102150405")})
	wantRsp(t, tl, "A0000")
	if n := len(tl["res_list"].([]any)); n < 2*iterations {
		t.Errorf("today's rows on %s = %d, want the run's withdraws and deposits (>= %d)", fin1, n, 2*iterations)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
