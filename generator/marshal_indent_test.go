package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestAppendIndentIsJSONIndent: appendIndent writes what json.Indent writes.
func TestAppendIndentIsJSONIndent(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, `{"a":[]}`, `{"a":{},"b":[{}],"c":[[],[1,2]]}`, `"x"`, `12`,
		`{"s":"a \"quoted\" {[,:]} \\","t":"\\\\","u":"\u003c\\\"\\"}`,
		`{"item":[{"name":"n","request":{"url":{"raw":"{{base_url}}/x?a=1","query":[{"disabled":true,"key":"a"}]}}}]}`,
	} {
		var want bytes.Buffer
		if err := json.Indent(&want, []byte(in), "\t\t", "\t"); err != nil {
			t.Fatal(err)
		}
		got, err := appendIndent([]byte("prefix:"), []byte(in), "\t\t", "\t")
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if string(got) != "prefix:"+want.String() {
			t.Errorf("%s:\n got  %q\n want %q", in, got, "prefix:"+want.String())
		}
	}
	for _, bad := range []string{`{"a":1`, `{"a":"x}`, `[`} {
		if _, err := appendIndent(nil, []byte(bad), "", "\t"); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestUsedVariablesIsVarRef: usedVariables finds what varRef matches,
// a large input read in two halves included.
func TestUsedVariablesIsVarRef(t *testing.T) {
	// Over assembleMin, lines of every case above around the cut, and
	// names met only in the first or only in the second half.
	var large strings.Builder
	for i := 0; large.Len() < 2*assembleMin; i++ {
		fmt.Fprintf(&large, "\t\"a%d\": \"{{v%d}}{{{w}}}{{x\n{{y}}}}{{\",\n", i%7, i)
	}
	large.WriteString("{{last}}\n")
	for _, in := range []string{
		``, `{{a}}`, `{{{a}}}`, `{{a}`, `{{}}`, `{{a b}}`, `x{{a.b-c_1}}y{{d}}{{d}}`, `{{{{e}}}}`, `{{f}}}}{{`, `{{g}`, `{`, `{{`,
		`"url": "{{base_url}}/v2.0/user/me?user_seq_no={{user_seq_no}}", "x": "{{ not }}"`,
		large.String(),
	} {
		want := map[string]bool{}
		for _, m := range varRef.FindAllStringSubmatch(in, -1) {
			want[m[1]] = true
		}
		got := usedVariables([]byte(in))
		if len(got) != len(want) {
			t.Errorf("%.80q: got %d variables, want %d", in, len(got), len(want))
			continue
		}
		for k := range want {
			if !got[k] {
				t.Errorf("%.80q: %s missing", in, k)
			}
		}
	}
}
