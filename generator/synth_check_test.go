package generator

import (
	"context"
	"testing"
)

// TestSynthSpecLoads keeps the benchmark input honest: it is valid OpenAPI and
// generates the number of requests it claims (on a small size: fast).
func TestSynthSpecLoads(t *testing.T) {
	doc, err := LoadData(context.Background(), synthSpec(41), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("synthetic spec invalid: %v", err)
	}
	res, err := Generate(doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Requests != 41 || res.Counts.Folders != 20 {
		t.Errorf("counts = %+v", res.Counts)
	}
	if n := len(synthSpec(5000)); n < 10<<20 || n > 14<<20 {
		t.Errorf("5,000 operations give %d bytes, want about 12 MB", n)
	}
}
