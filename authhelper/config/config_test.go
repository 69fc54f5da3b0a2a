package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const good = `default_profile: sb
profiles:
  sb:
    provider: sandbox
    client_id: obpm-sandbox
    redirect_uri: http://127.0.0.1:8791/callback
  gen:
    provider: oauth2
    client_id: c
    redirect_uri: http://127.0.0.1:0/cb
    authorize_url: http://127.0.0.1:9/authorize
    token_url: http://127.0.0.1:9/token
    scope: openid
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string // substring, including file:line
	}{
		{"syntax", "profiles: [", "c.yaml"},
		{"unknown top key", "profile:\n  a: {}\n", "c.yaml:1: unknown key \"profile\""},
		{"unknown field", "profiles:\n  a:\n    provider: sandbox\n    clientid: x\n", "c.yaml:4: unknown field \"clientid\""},
		{"bad provider", "profiles:\n  a:\n    provider: kftc\n    client_id: x\n    redirect_uri: http://127.0.0.1:8791/cb\n", "c.yaml:3: profile \"a\": provider \"kftc\""},
		{"missing client id", "profiles:\n  a:\n    provider: sandbox\n    redirect_uri: http://127.0.0.1:8791/cb\n", "c.yaml:2: profile \"a\": client_id is empty"},
		{"non-loopback redirect", "profiles:\n  a:\n    provider: kftc-testbed\n    client_id: x\n    redirect_uri: http://example.com:8791/cb\n", "c.yaml:5: profile \"a\": redirect_uri \"http://example.com:8791/cb\" must point at 127.0.0.1"},
		{"port 0 for open banking", "profiles:\n  a:\n    provider: kftc-testbed\n    client_id: x\n    redirect_uri: http://127.0.0.1:0/cb\n", "c.yaml:5: profile \"a\": redirect_uri \"http://127.0.0.1:0/cb\": Open Banking"},
		{"no path", "profiles:\n  a:\n    provider: sandbox\n    client_id: x\n    redirect_uri: http://127.0.0.1:8791\n", "c.yaml:5: profile \"a\": redirect_uri \"http://127.0.0.1:8791\" needs a path"},
		{"daemon route as callback", "profiles:\n  a:\n    provider: sandbox\n    client_id: x\n    redirect_uri: http://127.0.0.1:8791/v1/cb\n", "c.yaml:5: profile \"a\": redirect_uri \"http://127.0.0.1:8791/v1/cb\": path /v1/cb belongs to the helper daemon's API"},
		{"https redirect", "profiles:\n  a:\n    provider: sandbox\n    client_id: x\n    redirect_uri: https://127.0.0.1:8791/cb\n", "c.yaml:5:"},
		{"oauth2 without token url", "profiles:\n  a:\n    provider: oauth2\n    client_id: x\n    redirect_uri: http://127.0.0.1:0/cb\n    authorize_url: http://h/a\n", "c.yaml:2: profile \"a\": token_url is required"},
		{"bad margin", "profiles:\n  a:\n    provider: sandbox\n    client_id: x\n    redirect_uri: http://127.0.0.1:8791/cb\n    refresh_margin: soon\n", "c.yaml:6: profile \"a\": refresh_margin"},
		{"bad name", "profiles:\n  \"a b\":\n    provider: sandbox\n", "c.yaml:2: profile name \"a b\""},
		{"default missing", "default_profile: x\nprofiles: {}\n", "c.yaml:1: default_profile \"x\" is not a profile"},
		{"wrong type", "profiles:\n  a:\n    provider: sandbox\n    pkce: maybe\n", "c.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.doc))
			if err == nil {
				t.Fatalf("Parse accepted bad config")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestParseGoodAndDefaults(t *testing.T) {
	c, err := Parse("c.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := c.Profile("", "c.yaml")
	if err != nil || sb.Name != "sb" {
		t.Fatalf("default profile = %v, %v", sb, err)
	}
	a, tok, rev := sb.Endpoints()
	if a != "http://127.0.0.1:8790/oauth/2.0/authorize" || tok != "http://127.0.0.1:8790/oauth/2.0/token" || rev != "http://127.0.0.1:8790/oauth/2.0/revoke" {
		t.Errorf("sandbox endpoints = %s %s %s", a, tok, rev)
	}
	if sb.UserScope() != SandboxUserScope || sb.InstScope() != "oob sa" || sb.UsePKCE() {
		t.Errorf("sandbox scopes/pkce = %q %q %v", sb.UserScope(), sb.InstScope(), sb.UsePKCE())
	}
	gen := c.Profiles["gen"]
	if !gen.UsePKCE() || gen.RedirectPort() != 0 || gen.InstScope() != "" {
		t.Errorf("generic profile: pkce=%v port=%d inst=%q", gen.UsePKCE(), gen.RedirectPort(), gen.InstScope())
	}
	if _, err := c.Profile("nope", "c.yaml"); err == nil || !strings.Contains(err.Error(), "obpm profile list") {
		t.Errorf("unknown profile err = %v", err)
	}
	for _, tc := range []struct{ provider, want string }{
		{ProviderTestbed, "https://testapi.openbanking.or.kr/oauth/2.0/token"},
		{ProviderProduction, "https://openapi.openbanking.or.kr/oauth/2.0/token"},
	} {
		p := &Profile{Provider: tc.provider}
		if _, got, _ := p.Endpoints(); got != tc.want {
			t.Errorf("%s token URL = %s", tc.provider, got)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "obpm", FileName)
	c, err := Load(path)
	if err != nil || len(c.Profiles) != 0 {
		t.Fatalf("missing file: %v, %v", c, err)
	}
	c.Profiles["sb"] = &Profile{Name: "sb", Provider: ProviderSandbox, ClientID: SandboxClientID, RedirectURI: SandboxRedirectURI, RefreshMargin: "30s"}
	c.DefaultProfile = "sb"
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), "secret") && !strings.Contains(string(b), "client secrets are in the OS keyring") {
		t.Errorf("config holds a secret:\n%s", b)
	}
	c2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p := c2.Profiles["sb"]
	if p == nil || p.ClientID != SandboxClientID || p.Margin().String() != "30s" || c2.DefaultProfile != "sb" {
		t.Fatalf("round trip lost data: %+v", p)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
}

func TestDir(t *testing.T) {
	d, err := Dir(func(k string) string {
		if k == DirEnv {
			return "/x/y"
		}
		return ""
	})
	if err != nil || d != "/x/y" {
		t.Fatalf("Dir = %q, %v", d, err)
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true, "localhost": true, "LOCALHOST": true,
		"example.com": false, "10.0.0.1": false, "localhost.evil.com": false, "": false, "0.0.0.0": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestMargin(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{{"", DefaultRefreshMargin}, {"30s", 30 * time.Second}, {"0s", 0}, {"-1m", DefaultRefreshMargin}, {"soon", DefaultRefreshMargin}} {
		if got := (&Profile{RefreshMargin: tc.in}).Margin(); got != tc.want {
			t.Errorf("Margin(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestLoadRefusesWhatOthersMayChange: the config names where secrets go, so
// a file or folder other users may write is refused with the fix, while a
// symbolic link to a private file (a dotfiles checkout) is read.
func TestLoadRefusesWhatOthersMayChange(t *testing.T) {
	good := "profiles:\n  sb:\n    provider: sandbox\n    client_id: x\n    redirect_uri: http://127.0.0.1:8791/callback\n"
	write := func(t *testing.T, dir string, perm os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, FileName)
		if err := os.WriteFile(p, []byte(good), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, perm); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("world-writable file", func(t *testing.T) {
		p := write(t, t.TempDir(), 0o666)
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "chmod go-w "+p) {
			t.Fatalf("Load = %v", err)
		}
	})
	t.Run("world-writable folder", func(t *testing.T) {
		dir := t.TempDir()
		p := write(t, dir, 0o600)
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "chmod 700 "+dir) {
			t.Fatalf("Load = %v", err)
		}
		// Update refuses too, before fn runs.
		ran := false
		if err := Update(context.Background(), p, func(*Config) error { ran = true; return nil }); err == nil || ran {
			t.Fatalf("Update = %v (fn ran: %v)", err, ran)
		}
	})
	t.Run("link to a private file", func(t *testing.T) {
		target := write(t, t.TempDir(), 0o600)
		p := filepath.Join(t.TempDir(), FileName)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if c, err := Load(p); err != nil || c.Profiles["sb"] == nil {
			t.Fatalf("Load = %v, %v", c, err)
		}
	})
}
