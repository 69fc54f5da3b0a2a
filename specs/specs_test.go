package specs

import (
	"context"
	"testing"
)

// TestLoadOpenBanking loads the embedded document the way the generator and
// the sandbox do and checks that kin-openapi accepts it.
func TestLoadOpenBanking(t *testing.T) {
	doc, err := LoadOpenBanking(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Origin == nil || op.Origin.Key == nil || op.Origin.Key.Line == 0 {
				t.Errorf("%s %s: no origin line (IncludeOrigin must stay on: the generator orders requests by it)", method, path)
			}
		}
	}
}
