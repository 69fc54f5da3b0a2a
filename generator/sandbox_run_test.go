package generator

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/obpm/obpm/internal/testenv"
	"github.com/obpm/obpm/sandbox"
	"github.com/obpm/obpm/sandbox/sandboxtest"
	"github.com/obpm/obpm/specs"
)

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

	inst, user, err := sandboxtest.Tokens(context.Background(), nil, srv.URL)
	if err != nil {
		t.Fatal(err)
	}

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
