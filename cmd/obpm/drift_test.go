package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func Test_drift(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "run.json")
	// Newman writes a response body as a Node Buffer.
	body := func(s string) string {
		var b strings.Builder
		for i, c := range []byte(s) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(strconv.Itoa(int(c)))
		}
		return `{"type":"Buffer","data":[` + b.String() + `]}`
	}
	write := func(resp string) {
		t.Helper()
		data := `{"run":{"executions":[{"item":{"name":"ok"},"request":{"method":"GET","url":"http://h/api/v1/ok"},` +
			`"response":{"code":200,"header":[{"key":"Content-Type","value":"application/json"}],"stream":` + body(resp) + `}}]}}`
		if err := os.WriteFile(report, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := filepath.Join("..", "..", "drift", "testdata", "api.yaml")
	tests := []struct {
		name, resp string
		args       []string
		code       int
		want       string
	}{
		{"as described", `{"status":"up"}`, nil, 0, "0 operations differ"},
		{"drift", `{"status":"sideways"}`, nil, 1, "value \"sideways\" is not listed"},
		{"json", `{"status":"up","extra":1}`, []string{"--json"}, 1, `"kind": "undocumented"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(tt.resp)
			f, out, errOut := genFactory()
			if code := Main(append([]string{"drift", report, "--spec", spec}, tt.args...), f); code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
	f, _, errOut := genFactory()
	if code := Main([]string{"drift", filepath.Join(dir, "none.json")}, f); code != 2 || !strings.Contains(errOut.String(), "none.json") {
		t.Errorf("missing report: exit %d %s", code, errOut)
	}
}
