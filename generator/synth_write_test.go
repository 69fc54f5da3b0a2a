package generator

import (
	"os"
	"strconv"
	"testing"
)

// TestWriteSynthSpec writes the synthetic spec for bench/compare.sh when
// OBPM_SYNTH_OUT names a file (OBPM_SYNTH_OPS operations, default 5,000);
// otherwise it skips.
func TestWriteSynthSpec(t *testing.T) {
	out := os.Getenv("OBPM_SYNTH_OUT")
	if out == "" {
		t.Skip("OBPM_SYNTH_OUT not set (used by bench/compare.sh)")
	}
	ops := 5000
	if s := os.Getenv("OBPM_SYNTH_OPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("OBPM_SYNTH_OPS=%q: %v", s, err)
		}
		ops = n
	}
	if err := os.WriteFile(out, synthSpec(ops), 0o644); err != nil {
		t.Fatal(err)
	}
}
