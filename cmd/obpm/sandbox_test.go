package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/runfile"
	"github.com/obpm/obpm/sandbox"

	"github.com/obpm/obpm/internal/testenv"
)

// testenv.Buffer is written by the server goroutine and read by the test.
func testFactory() (*Factory, *testenv.Buffer, *testenv.Buffer) {
	out, errOut := &testenv.Buffer{}, &testenv.Buffer{}
	return &Factory{In: strings.NewReader(""), Out: out, ErrOut: errOut, Getenv: func(string) string { return "" }, Now: time.Now}, out, errOut
}

func Test_NewCmdSandbox(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, o *SandboxOptions)
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, o *SandboxOptions) {
			if o.Addr != "127.0.0.1:8790" || o.TokenTTL != sandbox.DefaultTokenTTL || o.ClientID != "" {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "client with two redirect uris", args: []string{"--client-id", "app", "--client-secret", "s", "--redirect-uri", "http://127.0.0.1:1/a", "--redirect-uri", "http://127.0.0.1:2/b", "--token-ttl", "5s"},
			check: func(t *testing.T, o *SandboxOptions) {
				if len(o.RedirectURIs) != 2 || o.TokenTTL != 5*time.Second {
					t.Errorf("opts = %+v", o)
				}
			}},
		{name: "ipv6 loopback", args: []string{"--addr", "[::1]:8790"}},
		{name: "localhost", args: []string{"--addr", "localhost:0"}},
		{name: "remote address refused", args: []string{"--addr", "0.0.0.0:8790"}, wantErr: "not a loopback address"},
		{name: "all interfaces refused", args: []string{"--addr", ":8790"}, wantErr: "not a loopback address"},
		{name: "remote address allowed", args: []string{"--addr", "0.0.0.0:8790", "--allow-remote"}},
		{name: "id without secret", args: []string{"--client-id", "app"}, wantErr: "go together"},
		{name: "id without redirect", args: []string{"--client-id", "app", "--client-secret", "s"}, wantErr: "--redirect-uri"},
		{name: "redirect without id extends the built-in client", args: []string{"--redirect-uri", "http://127.0.0.1:1/a"}},
		{name: "redirect without id, with --data", args: []string{"--redirect-uri", "http://127.0.0.1:1/a", "--data", "d.yaml"}, wantErr: "data file"},
		{name: "fail rate over 1", args: []string{"--fail-rate", "1.5"}, wantErr: "--fail-rate"},
		{name: "bad duration", args: []string{"--token-ttl", "soon"}, wantErr: "invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *SandboxOptions
			cmd := newCmdSandbox(f, func(o *SandboxOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(f.Out)
			cmd.SetErr(f.ErrOut)
			cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &FlagError{Err: err} })
			err := cmd.Execute()
			if tt.wantErr != "" {
				var fe *FlagError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &fe) {
					t.Fatalf("err = %v, want a flag error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got == nil {
				t.Fatalf("err = %v, opts %v", err, got)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

// Test_sandboxRun starts the real command on a free port, checks the
// banner and a request, then stops it as SIGINT would (ctx cancelled).
func Test_sandboxRun(t *testing.T) {
	f, out, errOut := testFactory()
	cfgDir := t.TempDir()
	f.Getenv = func(k string) string {
		if k == "OBPM_CONFIG_DIR" {
			return cfgDir
		}
		return ""
	}
	state := filepath.Join(t.TempDir(), "state.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	// --redirect-uri alone adds a callback to the built-in client (a helper
	// on another port) without repeating its id and secret.
	extra := "http://127.0.0.1:9791/callback"
	opts := &SandboxOptions{Addr: "127.0.0.1:0", StateFile: state, TokenTTL: sandbox.DefaultTokenTTL, RedirectURIs: []string{extra}, ready: func(a string) { ready <- a }}
	done := make(chan error, 1)
	go func() { done <- sandboxRun(ctx, f, opts) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("sandbox ended early: %v\n%s", err, errOut.String())
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not start")
	}
	for _, want := range []string{"client_id", "obpm-sandbox", "obpm-sandbox-secret", "http://127.0.0.1:8791/callback", extra, "T990000001", "user1", "http://" + addr} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	for _, redirect := range []string{extra, "http://127.0.0.1:8791/callback"} {
		q := url.Values{"response_type": {"code"}, "client_id": {sandbox.DefaultClientID}, "redirect_uri": {redirect},
			"scope": {"login inquiry"}, "state": {strings.Repeat("s", 32)}, "auth_type": {"0"}}
		resp, err := http.Get("http://" + addr + "/oauth/2.0/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("authorize with redirect_uri %s = %d, want the consent page", redirect, resp.StatusCode)
		}
	}
	// Where it listens is recorded for generate --with-key, owner-only.
	rec, err := runfile.Read(cfgDir, runfile.Sandbox)
	if err != nil || rec.URL != "http://"+addr {
		t.Errorf("runtime record = %+v, %v; want url http://%s", rec, err, addr)
	}
	if fi, err := os.Stat(filepath.Join(cfgDir, runfile.Sandbox)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("runtime record mode: %v %v", fi, err)
	}
	resp, err := http.Get("http://" + addr + "/oauth/2.0/token")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["rsp_code"] != "O0010" {
		t.Errorf("GET token = %v", m)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop")
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("state file not written: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfgDir, runfile.Sandbox)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("runtime record left after stop: %v", err)
	}
	logs := errOut.String()
	if !strings.Contains(logs, "method=GET path=/oauth/2.0/token") || !strings.Contains(logs, "rsp_code=O0010") || !strings.Contains(logs, "stopped") {
		t.Errorf("log:\n%s", logs)
	}
}

// Test_sandboxRun_busyPort: a port held by another program ends the command
// at once with one line that says so.
func Test_sandboxRun_busyPort(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, _, _ := testFactory()
	err = sandboxRun(context.Background(), f, &SandboxOptions{Addr: l.Addr().String(), TokenTTL: sandbox.DefaultTokenTTL})
	want := "listen on " + l.Addr().String() + ": port in use (is another obpm sandbox running? stop it, or pick another --addr)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func Test_sandboxRun_printData(t *testing.T) {
	f, out, _ := testFactory()
	if err := sandboxRun(context.Background(), f, &SandboxOptions{PrintData: true}); err != nil {
		t.Fatal(err)
	}
	d, err := sandbox.ParseData([]byte(out.String()))
	if err != nil || len(d.Users) != 2 {
		t.Fatalf("printed data does not parse back: %v", err)
	}
}
