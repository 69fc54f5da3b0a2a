package drift

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/obpm/obpm/generator"
	"github.com/obpm/obpm/internal/testenv"
	"github.com/obpm/obpm/sandbox"
	"github.com/obpm/obpm/sandbox/sandboxtest"
	"github.com/obpm/obpm/specs"
)

// newmanRun writes the generated collection and runs it once in Newman with
// the given variables, returning the JSON report.
func newmanRun(t *testing.T, res *generator.Result, vars map[string]string) []byte {
	t.Helper()
	newman := testenv.NodeBin(t, "newman")
	dir := t.TempDir()
	col := filepath.Join(dir, res.Files[0].Name)
	if err := os.WriteFile(col, res.Files[0].Data, 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "run.json")
	args := []string{"run", col, "--reporters", "json", "--reporter-json-export", report, "--timeout-request", "5000", "--color", "off"}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range vars {
			if !yield(k) {
				return
			}
		}
	}) {
		args = append(args, "--env-var", k+"="+vars[k])
	}
	out, _ := exec.Command(newman, args...).CombinedOutput() // exit 1 on failed tests: judged from the report
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("newman wrote no report: %v\n%s", err, out)
	}
	return data
}

func findings(rep *Report) []string {
	var out []string
	for _, o := range rep.Operations {
		for _, f := range o.Findings {
			out = append(out, o.ID+" "+string(f.Kind)+" "+f.Field)
		}
	}
	sort := slices.Sorted(slices.Values(out))
	return sort
}

// TestDriftFromFixtureServer: a server that answers with an extra field, a
// missing field, a wrong type, an unknown rsp_code and an undescribed status
// is reported with exactly those, by operation; the operation answering as
// described is not.
func TestDriftFromFixtureServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/balance":
			fmt.Fprint(w, `{"rsp_code":"A0999","rsp_message":"unknown to the spec","balance_amt":"1000"}`)
		case "/api/v1/users/7":
			fmt.Fprint(w, `{"id":"7","name":"Kim","nickname":"k","created":"2026-11-26T10:00:00Z"}`)
		case "/api/v1/items":
			fmt.Fprint(w, `[{"sku":"a","qty":1},{"sku":"b"}]`)
		case "/api/v1/ok":
			fmt.Fprint(w, `{"status":"up","since":"2026-11-26"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	doc, err := generator.Load(context.Background(), "testdata/api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := generator.Generate(doc, generator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data := newmanRun(t, res, map[string]string{"base_url": srv.URL + "/api", "obpm_helper_url": ""})
	execs, err := ParseNewman(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(execs) != 4 {
		t.Fatalf("%d executions in the report, want 4", len(execs))
	}
	rep := Check(doc, execs)
	want := []string{
		"getBalance rsp_code rsp_code",
		"getUser type id",
		"getUser undocumented nickname",
		"listItems missing-required [].qty",
	}
	if got := findings(rep); !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), rep.Markdown("run.json"))
	}
	if !rep.HasDrift() {
		t.Error("HasDrift = false")
	}
	md := string(rep.Markdown("run.json"))
	for _, s := range []string{"## getUser — `GET /v1/users/{id}`", "| rsp_code | `rsp_code` | value \"A0999\" is not listed | 1 |", "described as integer, got string", "`getOK` (1)"} {
		if !strings.Contains(md, s) {
			t.Errorf("Markdown lacks %q:\n%s", s, md)
		}
	}
	js, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil || len(back.Operations) != 4 {
		t.Errorf("JSON round trip: %v %s", err, js)
	}
}

func TestHTTPStatusNotDescribed(t *testing.T) {
	doc, err := generator.Load(context.Background(), "testdata/api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://x/api/v1/ok")
	rep := Check(doc, []Execution{{Method: "GET", URL: u, Status: 503, Body: []byte(`{}`), ContentType: "application/json"}})
	if got := findings(rep); !slices.Equal(got, []string{"getOK http-status "}) {
		t.Errorf("findings = %q", got)
	}
}

func TestParseNewmanBodyForms(t *testing.T) {
	report := `{"run":{"executions":[
	  {"item":{"name":"a"},"request":{"method":"GET","url":"http://h/api/v1/ok"},"response":{"code":200,"header":[{"key":"Content-Type","value":"application/json"}],"stream":{"type":"Buffer","data":[123,125]}}},
	  {"item":{"name":"b"},"request":{"method":"get","url":{"protocol":"http","host":["h"],"path":["api","v1","ok"]}},"response":{"code":200,"body":"{\"status\":\"up\"}"}},
	  {"item":{"name":"skipped"},"request":{"method":"GET","url":"http://h/x"}}]}}`
	execs, err := ParseNewman([]byte(report))
	if err != nil {
		t.Fatal(err)
	}
	if len(execs) != 2 || string(execs[0].Body) != "{}" || string(execs[1].Body) != `{"status":"up"}` || execs[1].URL.Path != "/api/v1/ok" || execs[1].Method != "GET" {
		t.Errorf("parsed %+v", execs)
	}
	if _, err := ParseNewman([]byte(`{"collection":{}}`)); err == nil || !strings.Contains(err.Error(), "newman run -r json") {
		t.Errorf("a report without run: %v", err)
	}
}

// TestSandboxRunHasNoDrift: a whole run of the generated Open Banking
// collection against the sandbox matches the embedded description.
func TestSandboxRunHasNoDrift(t *testing.T) {
	testenv.NodeBin(t, "newman")
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	instTok, userTok, err := sandboxtest.Tokens(context.Background(), nil, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	inst, user := instTok["access_token"].(string), userTok["access_token"].(string)
	doc, err := specs.LoadOpenBanking(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := generator.Generate(doc, generator.Options{FileStem: "openbanking"})
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"base_url": srv.URL, "obpm_helper_url": "", "user_access_token": user, "institution_access_token": inst,
		"client_use_code": "T990000001", "user_seq_no": "1100000001", "fintech_use_num": "199000000100000000000001"}
	data := newmanRun(t, res, vars)
	execs, err := ParseNewman(data)
	if err != nil {
		t.Fatal(err)
	}
	rep := Check(doc, execs)
	if rep.HasDrift() || len(rep.Unmatched) > 0 {
		t.Errorf("the sandbox drifts from the spec:\n%s", rep.Markdown("sandbox run"))
	}
	if len(rep.Operations) < 10 {
		t.Errorf("only %d operations answered in the run", len(rep.Operations))
	}
	for _, o := range rep.Operations {
		if o.Unread > 0 {
			t.Errorf("%s: %d response bodies missing from the Newman report", o.ID, o.Unread)
		}
	}
}

// TestSchemaShapes: fields an alternative of oneOf/anyOf describes beside
// properties, and integers beyond int64 or written 1.0, are no drift; an
// undescribed field still is.
func TestSchemaShapes(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pay:
    get:
      operationId: pay
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  kind: {type: string}
                  id: {type: integer}
                  ratio: {type: integer}
                oneOf:
                  - {$ref: '#/components/schemas/Card'}
                  - properties: {iban: {type: string}}
components:
  schemas:
    Card:
      type: object
      properties:
        pan: {type: string}
        next: {oneOf: [{$ref: '#/components/schemas/Card'}]}
`
	doc, err := generator.LoadData(context.Background(), []byte(spec), "")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://h/pay")
	body := `{"kind":"card","id":123456789012345678901234,"ratio":2.0,"pan":"4111","iban":"DE00","extra":1}`
	rep := Check(doc, []Execution{{Method: "GET", URL: u, Status: 200, Body: []byte(body), ContentType: "application/json"}})
	if got := findings(rep); !slices.Equal(got, []string{"pay undocumented extra"}) {
		t.Errorf("findings = %q, want only the undescribed field", got)
	}
}

// TestRootOperation: the operation on "/" answers a request for the server's
// base path only; it neither takes "/{id}"'s requests nor hides requests the
// description lacks.
func TestRootOperation(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: 'http://h/api'}]
paths:
  /:
    get:
      operationId: index
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object, properties: {links: {type: array}}}}}}}
  /{id}:
    get:
      operationId: item
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object, properties: {id: {type: string}}}}}}}
`
	doc, err := generator.LoadData(context.Background(), []byte(spec), "")
	if err != nil {
		t.Fatal(err)
	}
	ex := func(p, body string) Execution {
		u, _ := url.Parse("http://h" + p)
		return Execution{Method: "GET", URL: u, Status: 200, Body: []byte(body), ContentType: "application/json"}
	}
	rep := Check(doc, []Execution{ex("/api", `{"links":[]}`), ex("/api/", `{"links":[]}`), ex("/api/7", `{"id":"7"}`), ex("/api/a/b/c", `{}`)})
	if got := findings(rep); len(got) != 0 {
		t.Errorf("findings = %q, want none", got)
	}
	runs := map[string]int{}
	for _, o := range rep.Operations {
		runs[o.ID] = o.Runs
	}
	if runs["index"] != 2 || runs["item"] != 2 || len(rep.Unmatched) != 0 {
		t.Errorf("runs %v, unmatched %q; want index 2, item 2", runs, rep.Unmatched)
	}
}
