package generator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/obpm/obpm/internal/testenv"
)

// seen is one request the fake API received.
type seen struct {
	Method, Path, Auth string
	Query              url.Values
	Body               map[string]any
	Form               url.Values
}

// fakeAPI plays a tiny Open Banking server for the extensions fixture.
type fakeAPI struct {
	mu          sync.Mutex
	reqs        []seen
	balanceCode string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	s := seen{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Query: r.URL.Query()}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(data, &s.Body)
	} else {
		s.Form, _ = url.ParseQuery(string(data))
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, s)
	code := f.balanceCode
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/oauth/2.0/token":
		fmt.Fprint(w, `{"access_token":"direct","token_type":"Bearer"}`)
	case "/oauth/2.0/revoke":
		fmt.Fprint(w, `{"rsp_code":"A0000"}`)
	case "/v2.0/account/list":
		fmt.Fprint(w, `{"rsp_code":"A0000","rsp_message":"","res_list":[{"fintech_use_num":"199000000100000000000077","bank_name":"오픈은행"}]}`)
	case "/v2.0/account/balance/fin_num":
		fmt.Fprintf(w, `{"rsp_code":%q,"rsp_message":"Access Token 거부","balance_amt":"1000"}`, code)
	case "/v2.0/transfer/deposit/fin_num":
		fmt.Fprint(w, `{"rsp_code":"A0000","api_tran_id":"API0001"}`)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeAPI) byPath(p string) []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []seen
	for _, s := range f.reqs {
		if s.Path == p {
			out = append(out, s)
		}
	}
	return out
}

// fakeHelper plays `obpm serve`'s token endpoint (docs/design.md contract).
type fakeHelper struct {
	mu    sync.Mutex
	calls map[string]int
}

func (h *fakeHelper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	m := regexp.MustCompile(`^/v1/profiles/([^/]+)/token$`).FindStringSubmatch(r.URL.Path)
	if m == nil {
		http.NotFound(w, r)
		return
	}
	kind := r.URL.Query().Get("kind")
	h.mu.Lock()
	h.calls[kind]++
	h.mu.Unlock()
	switch {
	case r.Header.Get("Authorization") != "Bearer key-ok":
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"unauthorized","message":"missing or wrong helper key","hint":"obpm env-key"}`)
	case m[1] == "nologin":
		w.WriteHeader(http.StatusConflict)
		fmt.Fprint(w, `{"error":"login_required","message":"no usable user token","hint":"obpm login --profile nologin"}`)
	default:
		json.NewEncoder(w).Encode(map[string]string{
			"access_token": "tok-" + kind, "token_type": "Bearer", "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			"scope": "login inquiry", "user_seq_no": "1100000099", "client_use_code": "T990000002",
		})
	}
}

type newmanReport struct {
	Run struct {
		Stats map[string]struct {
			Total, Failed, Pending int
		} `json:"stats"`
		Failures []struct {
			Error struct {
				Test, Message string
			} `json:"error"`
			Source struct {
				Name string `json:"name"`
			} `json:"source"`
		} `json:"failures"`
		Executions []struct {
			Item       struct{ Name string } `json:"item"`
			Assertions []struct {
				Assertion string `json:"assertion"`
				Error     *struct {
					Message string `json:"message"`
				} `json:"error"`
			} `json:"assertions"`
		} `json:"executions"`
	} `json:"run"`
}

func (r *newmanReport) failures() string {
	var b strings.Builder
	for _, f := range r.Run.Failures {
		fmt.Fprintf(&b, "%s: %s | %s\n", f.Source.Name, f.Error.Test, f.Error.Message)
	}
	return b.String()
}

// runNewman writes the generated files, points the sandbox environment at the
// fakes and runs Newman in a zone far from Korea (so tran_dtime must be KST by
// computation, not by the machine's zone).
func runNewman(t *testing.T, newman string, res *Result, env map[string]string, iterations int, extra ...string) *newmanReport {
	t.Helper()
	dir := t.TempDir()
	var colPath, envPath string
	for _, f := range res.Files {
		p := filepath.Join(dir, f.Name)
		data := f.Data
		if strings.HasSuffix(f.Name, ".sandbox.postman_environment.json") {
			var e map[string]any
			if err := json.Unmarshal(f.Data, &e); err != nil {
				t.Fatal(err)
			}
			for _, v := range e["values"].([]any) {
				m := v.(map[string]any)
				if nv, ok := env[m["key"].(string)]; ok {
					m["value"] = nv
				}
			}
			data, _ = json.Marshal(e)
			envPath = p
		} else if strings.HasSuffix(f.Name, ".postman_collection.json") {
			colPath = p
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	report := filepath.Join(dir, "report.json")
	args := append([]string{"run", colPath, "-e", envPath, "-n", fmt.Sprint(iterations), "--timeout-request", "5000",
		"--reporters", "json", "--reporter-json-export", report, "--color", "off"}, extra...)
	cmd := exec.Command(newman, args...)
	cmd.Env = append(os.Environ(), "TZ=Pacific/Honolulu", "NO_COLOR=1")
	out, _ := cmd.CombinedOutput() // exit status 1 on failed assertions: judged from the report
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("newman wrote no report: %v\n%s", err, out)
	}
	var rep newmanReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// TestNewmanScripts runs the generated collection of the extensions fixture in
// real Newman against a fake API and a fake helper daemon, proving what the
// scripts do.
func TestNewmanScripts(t *testing.T) {
	newman := testenv.NodeBin(t, "newman")
	res := loadFixture(t, "extensions")
	kst := time.FixedZone("KST", 9*3600)

	t.Run("happy path with helper tokens", func(t *testing.T) {
		api := &fakeAPI{balanceCode: "A0000"}
		apiSrv := httptest.NewServer(api)
		defer apiSrv.Close()
		helper := &fakeHelper{calls: map[string]int{}}
		helperSrv := httptest.NewServer(helper)
		defer helperSrv.Close()
		start := time.Now()
		rep := runNewman(t, newman, res, map[string]string{"base_url": apiSrv.URL, "obpm_helper_url": helperSrv.URL,
			"obpm_helper_key": "key-ok", "client_use_code": "", "fintech_use_num": "199000000100000000000001"}, 2)
		if f := rep.failures(); f != "" {
			t.Fatalf("failures:\n%s", f)
		}
		if n := rep.Run.Stats["assertions"].Total; n < 16 {
			t.Errorf("only %d assertions ran", n)
		}
		// helper: one fetch per kind, then the cache
		if helper.calls["user"] != 1 || helper.calls["institution"] != 1 {
			t.Errorf("helper calls = %v, want one per kind (cached until shortly before expiry)", helper.calls)
		}
		// manual requests were skipped; the others ran twice
		if n := len(api.byPath("/oauth/2.0/revoke")); n != 0 {
			t.Errorf("manual revoke ran %d times", n)
		}
		for _, tok := range api.byPath("/oauth/2.0/token") {
			if tok.Form.Get("grant_type") != "client_credentials" || tok.Auth != "" {
				t.Errorf("token request: grant %q auth %q (manual authorization_code must be skipped, no auth)", tok.Form.Get("grant_type"), tok.Auth)
			}
			if tok.Form.Get("client_id") != "obpm-sandbox" {
				t.Errorf("client_id = %q", tok.Form.Get("client_id"))
			}
		}
		list, bal, dep := api.byPath("/v2.0/account/list"), api.byPath("/v2.0/account/balance/fin_num"), api.byPath("/v2.0/transfer/deposit/fin_num")
		if len(list) != 2 || len(bal) != 2 || len(dep) != 2 {
			t.Fatalf("requests: list %d, balance %d, deposit %d; want 2 each", len(list), len(bal), len(dep))
		}
		for _, s := range list {
			if s.Auth != "Bearer tok-user" || s.Query.Get("user_seq_no") != "1100000099" {
				t.Errorf("account/list: auth %q user_seq_no %q; want the helper's user token and user_seq_no", s.Auth, s.Query.Get("user_seq_no"))
			}
		}
		idRE := regexp.MustCompile(`^T990000002U[0-9A-Z]{9}$`)
		ids := map[string]bool{}
		var dtimes []string
		for _, s := range bal {
			if s.Auth != "Bearer tok-user" {
				t.Errorf("balance auth = %q", s.Auth)
			}
			if s.Query.Get("fintech_use_num") != "199000000100000000000077" {
				t.Errorf("balance fintech_use_num = %q; want the value captured from account/list", s.Query.Get("fintech_use_num"))
			}
			ids[s.Query.Get("bank_tran_id")] = true
			dtimes = append(dtimes, s.Query.Get("tran_dtime"))
		}
		for _, s := range dep {
			if s.Auth != "Bearer tok-institution" {
				t.Errorf("deposit auth = %q", s.Auth)
			}
			item := get(s.Body, "req_list", 0).(map[string]any)
			ids[item["bank_tran_id"].(string)] = true
			dtimes = append(dtimes, s.Body["tran_dtime"].(string))
		}
		if len(ids) != 4 {
			t.Errorf("bank_tran_id not unique across requests: %v", ids)
		}
		for id := range ids {
			if !idRE.MatchString(id) {
				t.Errorf("bank_tran_id %q does not match client_use_code (from the helper) + U + 9 upper-case alphanumerics", id)
			}
		}
		for _, d := range dtimes {
			at, err := time.ParseInLocation("20060102150405", d, kst)
			if err != nil || at.Before(start.Add(-2*time.Second)) || at.After(time.Now().Add(2*time.Second)) {
				t.Errorf("tran_dtime %q is not the current Korea time (machine zone Pacific/Honolulu): %v", d, err)
			}
		}
		schemaChecks := 0
		for _, e := range rep.Run.Executions {
			for _, a := range e.Assertions {
				if a.Assertion == "body matches the response schema" && a.Error == nil {
					schemaChecks++
				}
			}
		}
		if schemaChecks < 8 {
			t.Errorf("schema validation passed %d times, want at least 8", schemaChecks)
		}
	})

	t.Run("rsp_code other than A0000 fails the test", func(t *testing.T) {
		api := &fakeAPI{balanceCode: "O0002"}
		apiSrv := httptest.NewServer(api)
		defer apiSrv.Close()
		rep := runNewman(t, newman, res, map[string]string{"base_url": apiSrv.URL, "obpm_helper_url": "", "user_access_token": "tok-env"}, 1)
		if len(rep.Run.Failures) != 1 || rep.Run.Failures[0].Error.Test != "rsp_code is A0000" || rep.Run.Failures[0].Source.Name != "잔액조회" ||
			!strings.Contains(rep.Run.Failures[0].Error.Message, "O0002 Access Token 거부") {
			t.Errorf("want exactly the rsp_code failure of 잔액조회, got:\n%s", rep.failures())
		}
		if b := api.byPath("/v2.0/account/balance/fin_num"); len(b) != 1 || b[0].Auth != "Bearer tok-env" {
			t.Errorf("without a helper the environment's token is used: %+v", b)
		}
	})

	helperFailures := []struct {
		name    string
		env     map[string]string
		want    string
		helper  bool
		skipped bool
	}{
		{"helper down", map[string]string{"obpm_helper_key": "key-ok"}, "start it with `obpm serve`", false, true},
		{"wrong key", map[string]string{"obpm_helper_key": "wrong"}, "run `obpm env-key`", true, true},
		{"login required", map[string]string{"obpm_helper_key": "key-ok", "obpm_profile": "nologin"}, "run `obpm login --profile nologin`", true, true},
	}
	for _, tt := range helperFailures {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{balanceCode: "A0000"}
			apiSrv := httptest.NewServer(api)
			defer apiSrv.Close()
			helperSrv := httptest.NewServer(&fakeHelper{calls: map[string]int{}})
			helperURL := helperSrv.URL
			if !tt.helper {
				helperSrv.Close() // nothing listens there any more
			} else {
				defer helperSrv.Close()
			}
			env := map[string]string{"base_url": apiSrv.URL, "obpm_helper_url": helperURL}
			for k, v := range tt.env {
				env[k] = v
			}
			rep := runNewman(t, newman, res, env, 1)
			failed := map[string]bool{}
			for _, f := range rep.Run.Failures {
				if f.Source.Name == "" && strings.Contains(f.Error.Message, "ECONNREFUSED") {
					continue // Newman itself also reports the refused pm.sendRequest connection
				}
				if !strings.Contains(f.Error.Message, tt.want) || strings.Contains(f.Error.Message, "O0002") {
					t.Errorf("failure without the hint %q: %s: %s", tt.want, f.Source.Name, f.Error.Message)
				}
				failed[f.Source.Name] = true
			}
			// user-token requests fail with the hint (institution ones too, except for login_required)
			if !failed["등록계좌조회"] || !failed["잔액조회"] {
				t.Errorf("token requests did not fail with the hint:\n%s", rep.failures())
			}
			if n := len(api.byPath("/v2.0/account/list")) + len(api.byPath("/v2.0/account/balance/fin_num")); n != 0 {
				t.Errorf("%d requests were sent without a token; they must be skipped", n)
			}
			if len(api.byPath("/oauth/2.0/token")) != 1 {
				t.Error("a request without security must run regardless of the helper")
			}
		})
	}

	t.Run("obpm_allow_manual sends manual requests", func(t *testing.T) {
		api := &fakeAPI{balanceCode: "A0000"}
		apiSrv := httptest.NewServer(api)
		defer apiSrv.Close()
		helperSrv := httptest.NewServer(&fakeHelper{calls: map[string]int{}})
		defer helperSrv.Close()
		runNewman(t, newman, res, map[string]string{"base_url": apiSrv.URL, "obpm_helper_url": helperSrv.URL, "obpm_helper_key": "key-ok"}, 1,
			"--env-var", "obpm_allow_manual=true")
		if len(api.byPath("/oauth/2.0/revoke")) != 1 || len(api.byPath("/oauth/2.0/token")) != 2 {
			t.Errorf("manual requests not sent with obpm_allow_manual=true: revoke %d, token %d",
				len(api.byPath("/oauth/2.0/revoke")), len(api.byPath("/oauth/2.0/token")))
		}
	})
}
