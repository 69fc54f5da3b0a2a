package generator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/obpm/obpm/internal/testenv"
	"github.com/obpm/obpm/sandbox"
	"github.com/obpm/obpm/sandbox/sandboxtest"
	"github.com/obpm/obpm/specs"
)

// sandboxToken posts a grant to the sandbox's token endpoint.
func sandboxToken(t *testing.T, base string, form url.Values) map[string]any {
	t.Helper()
	form.Set("client_id", "obpm-sandbox")
	form.Set("client_secret", "obpm-sandbox-secret")
	resp, err := http.PostForm(base+"/oauth/2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body["access_token"] == nil {
		t.Fatalf("token %s: %v %v", form.Get("grant_type"), err, body)
	}
	return body
}

// TestOpenBankingCollectionRunsOnSandbox: the generated Open Banking
// collection, run whole and repeated in Newman against the real sandbox with
// the generated sandbox environment, passes with 0 failures (docs/design.md,
// "Order and full-collection runs"). Tokens come from the environment here;
// the helper's part is tested by TestNewmanScripts and the e2e suite.
func TestOpenBankingCollectionRunsOnSandbox(t *testing.T) {
	newman := testenv.NodeBin(t, "newman")
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()

	inst := sandboxToken(t, srv.URL, url.Values{"grant_type": {"client_credentials"}, "scope": {"oob sa"}})
	authURL := srv.URL + "/oauth/2.0/authorize?" + url.Values{"response_type": {"code"}, "client_id": {"obpm-sandbox"},
		"redirect_uri": {DefaultHelperURL + "/callback"}, "scope": {"login inquiry transfer cardinfo fintechinfo insuinfo loaninfo"}, "state": {strings.Repeat("s", 32)}, "auth_type": {"0"}}.Encode()
	loc, err := sandboxtest.Approve(context.Background(), nil, authURL, "user1")
	if err != nil {
		t.Fatal(err)
	}
	user := sandboxToken(t, srv.URL, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {DefaultHelperURL + "/callback"}})

	doc, err := specs.LoadOpenBanking(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(doc, Options{FileStem: "openbanking"})
	if err != nil {
		t.Fatal(err)
	}
	rep := runNewman(t, newman, res, map[string]string{"base_url": srv.URL, "obpm_helper_url": "",
		"user_access_token": user["access_token"].(string), "institution_access_token": inst["access_token"].(string)}, 3)
	if f := rep.failures(); f != "" {
		t.Errorf("full collection run on the sandbox failed:\n%s", f)
	}
	if n := rep.Run.Stats["requests"].Total; n < 3*10 {
		t.Errorf("only %d requests ran in 3 iterations", n)
	}
}
