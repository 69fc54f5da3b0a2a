package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/sandbox"
)

func envFactory(env map[string]string, stdin string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &Factory{In: strings.NewReader(stdin), Out: out, ErrOut: errOut, Getenv: func(k string) string { return env[k] }, Now: time.Now}, out, errOut
}

// TestTokenFromEnvironment: with no config file, OBPM_* variables stand in
// for a profile; mistakes in them are named.
func TestTokenFromEnvironment(t *testing.T) {
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	base := map[string]string{"OBPM_CONFIG_DIR": t.TempDir(), "OBPM_HELPER_URL": "http://127.0.0.1:1",
		"OBPM_PROVIDER": "sandbox", "OBPM_BASE_URL": srv.URL, "OBPM_CLIENT_ID": "obpm-sandbox", "OBPM_CLIENT_SECRET": "obpm-sandbox-secret"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		code    int
		wantOut string
		wantErr string
	}{
		{"institution token from the secret alone", base, []string{"token", "--kind", "institution"}, 0, ".", ""},
		{"no refresh token: login required", base, []string{"token"}, exitAuth, "", "no user token"},
		{"no provider", with("OBPM_PROVIDER", ""), []string{"token", "--kind", "institution"}, 1, "", "OBPM_PROVIDER is not"},
		{"no secret", with("OBPM_CLIENT_SECRET", ""), []string{"token", "--kind", "institution"}, 1, "", "OBPM_CLIENT_SECRET is not"},
		{"bad provider", with("OBPM_PROVIDER", "kftc"), []string{"token", "--kind", "institution"}, 1, "", "provider \"kftc\" is not one of"},
		{"another profile", base, []string{"token", "--profile", "work", "--kind", "institution"}, 1, "", "--profile work: there is no config file"},
		{"write refresh token without one", base, []string{"token", "--kind", "institution", "--write-refresh-token", filepath.Join(t.TempDir(), "rt")}, 1, "", "no refresh token"},
		{"export needs kind refresh", base, []string{"token", "--export"}, exitUsage, "", "--export goes with --kind refresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := envFactory(tt.env, "")
			if code := Main(tt.args, f); code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out.String(), tt.wantOut) || !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stdout %q (want %q), stderr %q (want %q)", out, tt.wantOut, errOut, tt.wantErr)
			}
		})
	}
}

// TestTokenExportRefresh: `obpm token --kind refresh --export` prints the
// OBPM_* lines for a CI secret store, and warns about what they grant.
func TestTokenExportRefresh(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"OBPM_CONFIG_DIR": dir, "OBPM_INSECURE_STORAGE": "1", "OBPM_HELPER_URL": "http://127.0.0.1:1"}
	f, out, errOut := envFactory(env, "s3cret\n")
	if code := Main([]string{"profile", "add", "ci", "--provider", "kftc-testbed", "--client-id", "cid", "--redirect-uri", "http://127.0.0.1:8791/callback", "--client-secret-stdin"}, f); code != 0 {
		t.Fatalf("profile add: exit %d %s %s", code, out, errOut)
	}
	f, _, errOut = envFactory(env, "")
	if code := Main([]string{"token", "--profile", "ci", "--kind", "refresh"}, f); code != exitAuth || !strings.Contains(errOut.String(), "obpm login --profile ci") {
		t.Errorf("no refresh token yet: exit %d %s", code, errOut)
	}
	store := tokenstore.New(keyring.NewFileStore(filepath.Join(dir, keyring.InsecureFile)))
	if err := store.Save(context.Background(), "ci", tokenstore.User, &tokenstore.Token{AccessToken: "at", RefreshToken: "rt-123", Expiry: time.Now().Add(time.Hour),
		Extra: map[string]any{"user_seq_no": "1100000001"}}); err != nil {
		t.Fatal(err)
	}
	f, out, errOut = envFactory(env, "")
	if code := Main([]string{"token", "--profile", "ci", "--kind", "refresh", "--export"}, f); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "OBPM_PROVIDER=kftc-testbed\nOBPM_CLIENT_ID=cid\nOBPM_CLIENT_SECRET=s3cret\nOBPM_REFRESH_TOKEN=rt-123\nOBPM_USER_SEQ_NO=1100000001\n"
	if out.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut.String(), "warning: this refresh token") {
		t.Errorf("no warning on stderr: %s", errOut)
	}
}
