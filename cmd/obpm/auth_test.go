package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/keyring"
)

func Test_NewCmdAuthFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"login bad timeout", []string{"login", "--timeout", "0s"}, exitUsage, "--timeout must be positive"},
		{"token bad kind", []string{"token", "--kind", "admin"}, exitUsage, `kind "admin"`},
		{"exec without --", []string{"exec", "ls"}, exitUsage, "put the command after --"},
		{"exec without command", []string{"exec"}, exitUsage, "requires at least 1 arg"},
		{"profile add without provider", []string{"profile", "add", "x"}, exitUsage, "--provider is required"},
		{"profile add bad name", []string{"profile", "add", "a/b", "--provider", "sandbox"}, exitUsage, "profile name"},
		{"serve bad port", []string{"serve", "--port", "70000"}, exitUsage, "--port 70000"},
		{"service bad action", []string{"service", "restart"}, exitUsage, "unknown action"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": t.TempDir(), keyring.InsecureEnv: "1"}}
			f, _, errOut := w.factory("")
			if code := w.run(context.Background(), f, tc.args...); code != tc.wantCode || !strings.Contains(errOut.String(), tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tc.wantCode, tc.wantErr)
			}
		})
	}
}

func TestProfileAddSecretNeverInConfig(t *testing.T) {
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": t.TempDir(), keyring.InsecureEnv: "1"}}
	f, _, errOut := w.factory("s3cr3t-value\n")
	code := w.run(context.Background(), f, "profile", "add", "tb", "--provider", "kftc-testbed", "--client-id", "my-client",
		"--redirect-uri", "http://127.0.0.1:8791/callback", "--client-secret-stdin", "--scope", "login inquiry")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "warning: --insecure-storage") {
		t.Error("no insecure-storage warning")
	}
	cfg, err := os.ReadFile(filepath.Join(w.env["OBPM_CONFIG_DIR"], config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cfg), "s3cr3t") || !strings.Contains(string(cfg), "my-client") {
		t.Fatalf("config:\n%s", cfg)
	}
	store, _ := os.ReadFile(filepath.Join(w.env["OBPM_CONFIG_DIR"], keyring.InsecureFile))
	if !strings.Contains(string(store), "s3cr3t-value") || strings.Contains(string(store), "s3cr3t-value\\n") {
		t.Fatalf("secret not stored (or stored with its newline): %s", store)
	}
	st, _ := os.Stat(filepath.Join(w.env["OBPM_CONFIG_DIR"], keyring.InsecureFile))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("store mode %v", st.Mode().Perm())
	}

	// Adding it again needs --force; a bad redirect names the fix.
	f, _, errOut = w.factory("x")
	if code := w.run(context.Background(), f, "profile", "add", "tb", "--provider", "kftc-testbed", "--client-id", "c",
		"--redirect-uri", "http://127.0.0.1:8791/callback", "--client-secret-stdin"); code != exitUsage || !strings.Contains(errOut.String(), "--force") {
		t.Fatalf("duplicate: exit %d %s", code, errOut)
	}
	f, _, errOut = w.factory("x")
	if code := w.run(context.Background(), f, "profile", "add", "tb2", "--provider", "kftc-testbed", "--client-id", "c",
		"--redirect-uri", "http://127.0.0.1:0/callback", "--client-secret-stdin"); code != exitUsage || !strings.Contains(errOut.String(), "port 0 is not allowed") {
		t.Fatalf("port 0: exit %d %s", code, errOut)
	}
	// Without a terminal and without --client-secret-stdin there is no secret.
	f, _, errOut = w.factory("")
	if code := w.run(context.Background(), f, "profile", "add", "tb3", "--provider", "kftc-testbed", "--client-id", "c",
		"--redirect-uri", "http://127.0.0.1:8791/callback"); code != exitUsage || !strings.Contains(errOut.String(), "--client-secret-stdin") {
		t.Fatalf("no secret: exit %d %s", code, errOut)
	}

	w.must(t, "profile", "remove", "tb")
	if list := w.must(t, "profile", "list"); strings.Contains(list, "tb") {
		t.Fatalf("removed profile listed:\n%s", list)
	}
	store, _ = os.ReadFile(filepath.Join(w.env["OBPM_CONFIG_DIR"], keyring.InsecureFile))
	if strings.Contains(string(store), "s3cr3t") {
		t.Fatal("secret left behind after profile remove")
	}
}

func TestConfigErrorNamesFileAndLine(t *testing.T) {
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": t.TempDir(), keyring.InsecureEnv: "1"}}
	path := filepath.Join(w.env["OBPM_CONFIG_DIR"], config.FileName)
	if err := os.WriteFile(path, []byte("profiles:\n  sb:\n    provider: sandbox\n    client_id: x\n    redirect_uri: http://example.com:8791/cb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, _, errOut := w.factory("")
	if code := w.run(context.Background(), f, "token"); code != exitError || !strings.Contains(errOut.String(), path+":5:") {
		t.Fatalf("exit %d %s", code, errOut)
	}
}

// sandboxProfileWorld has one sandbox profile whose provider is unreachable.
func sandboxProfileWorld(t *testing.T) *authWorld {
	w := newAuthWorld(t, false)
	w.must(t, "profile", "add", "sb", "--provider", "sandbox", "--base-url", "http://127.0.0.1:9",
		"--redirect-uri", fmt.Sprintf("http://127.0.0.1:%d/callback", w.port))
	return w
}

// TestHelperURLMustBeLoopback: a non-loopback OBPM_HELPER_URL is refused
// before the helper key is read or sent anywhere.
func TestHelperURLMustBeLoopback(t *testing.T) {
	w := sandboxProfileWorld(t)
	w.env["OBPM_HELPER_URL"] = "http://helper.example:8791"
	for _, args := range [][]string{{"token"}, {"logout"}, {"exec", "--", "true"}} {
		f, _, errOut := w.factory("")
		if code := w.run(context.Background(), f, args...); code != exitError || !strings.Contains(errOut.String(), "listens on this machine only") {
			t.Errorf("obpm %s: exit %d %s", strings.Join(args, " "), code, errOut)
		}
	}
	// status reports it and goes on with what the keyring holds.
	f, out, _ := w.factory("")
	if code := w.run(context.Background(), f, "status"); code != 0 || !strings.Contains(out.String(), "daemon: helper URL \"http://helper.example:8791\": the helper daemon listens on this machine only") {
		t.Errorf("obpm status: exit %d\n%s", code, out)
	}
}

func TestLoginEndsCleanly(t *testing.T) {
	t.Run("busy port", func(t *testing.T) {
		w := sandboxProfileWorld(t)
		l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", w.port))
		if err != nil {
			t.Fatal(err)
		}
		// Another web server holds the port: it answers, but it is not obpm.
		other := &http.Server{Handler: http.NotFoundHandler()}
		go func() { _ = other.Serve(l) }()
		defer other.Close()
		f, _, errOut := w.factory("")
		code := w.run(context.Background(), f, "login", "--no-browser", "--timeout", "5s")
		if code != exitError || !strings.Contains(errOut.String(), "is in use by another program") {
			t.Fatalf("exit %d %s", code, errOut)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		w := sandboxProfileWorld(t)
		f, _, errOut := w.factory("")
		code := w.run(context.Background(), f, "login", "--no-browser", "--timeout", "300ms")
		if code != exitError || !strings.Contains(errOut.String(), "obpm: login timed out after 300ms") {
			t.Fatalf("exit %d %s", code, errOut)
		}
		assertPortFree(t, w.port)
	})
	t.Run("ctrl-c", func(t *testing.T) {
		w := sandboxProfileWorld(t)
		f, _, errOut := w.factory("")
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(300*time.Millisecond, cancel)
		code := w.run(ctx, f, "login", "--no-browser", "--timeout", "30s")
		if code != exitCancel || !strings.HasSuffix(errOut.String(), "obpm: cancelled\n") {
			t.Fatalf("exit %d %s", code, errOut)
		}
		assertPortFree(t, w.port)
	})
}

// TestLoginThroughDaemonCancelled: Ctrl-C in a login the daemon owns also
// ends the login in the daemon; the browser's late callback is refused.
func TestLoginThroughDaemonCancelled(t *testing.T) {
	w := sandboxProfileWorld(t)
	w.serve(t)
	f, _, errOut := w.factory("")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- w.run(ctx, f, "login", "--no-browser", "--timeout", "30s") }()
	authRE := regexp.MustCompile(`(?m)^(http://\S+/oauth/2\.0/authorize\?\S+)$`)
	waitUntil(t, 10*time.Second, "login to print the authorize URL", func() bool { return authRE.MatchString(errOut.String()) }, errOut.String)
	authURL := authRE.FindStringSubmatch(errOut.String())[1]
	cancel()
	if code := <-done; code != exitCancel || !strings.Contains(errOut.String(), "The helper daemon at") {
		t.Fatalf("exit %d %s", code, errOut)
	}
	u, _ := url.Parse(authURL)
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/callback?code=late&state=%s", w.port, u.Query().Get("state")))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(page), "already used or has expired") {
		t.Fatalf("callback after Ctrl-C = %d %s; want it refused", resp.StatusCode, page)
	}
}

func assertPortFree(t *testing.T, port int) {
	t.Helper()
	l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("callback port still held after login ended: %v", err)
	}
	l.Close()
}

func TestDoctor(t *testing.T) {
	w := sandboxProfileWorld(t)
	w.env["HTTPS_PROXY"] = "http://proxy.corp:3128"
	f, out, errOut := w.factory("")
	code := w.run(context.Background(), f, "doctor")
	lines := out.String()
	for _, want := range []string{
		"ok    insecure file store",
		"ok    config ",
		"warn  daemon ",
		"ok    profile sb             client secret in the store",
		"ok    profile sb port",
		"warn  profile sb provider",
		"warn  proxy                  HTTPS_PROXY set and NO_PROXY lacks 127.0.0.1",
		"fix: export NO_PROXY=localhost,127.0.0.1,::1",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, lines)
		}
	}
	if code != 0 {
		t.Fatalf("exit %d (warnings only): %s", code, errOut)
	}

	// With the daemon running: it must refuse a foreign Host and an Origin.
	_, _ = w.serve(t)
	f, out, _ = w.factory("")
	w.run(context.Background(), f, "doctor", "--offline")
	for _, want := range []string{"ok    daemon foreign Host    refused (403)", "ok    daemon Origin          refused (403)", "held by obpm serve"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}

	// A broken config fails with the file and line.
	path := filepath.Join(w.env["OBPM_CONFIG_DIR"], config.FileName)
	_ = os.WriteFile(path, []byte("profiles:\n  sb:\n    provider: nope\n"), 0o600)
	f, out, _ = w.factory("")
	if code := w.run(context.Background(), f, "doctor", "--offline"); code != exitError || !strings.Contains(out.String(), "FAIL  config") || !strings.Contains(out.String(), path+":3:") {
		t.Fatalf("broken config: exit %d\n%s", code, out)
	}
}

func TestServiceUnits(t *testing.T) {
	for _, goos := range []string{"linux", "darwin"} {
		t.Run(goos, func(t *testing.T) {
			home := t.TempDir()
			w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": "/home/u/my cfg", "OBPM_KEYRING_SERVICE": "obpm-x"}}
			f, _, errOut := w.factory("")
			var ran []string
			opts := &ServiceOptions{Action: "install", Port: 8799, GOOS: goos, Home: home, Exe: "/opt/obpm & co/obpm",
				Run: func(name string, args ...string) error {
					ran = append(ran, name+" "+strings.Join(args, " "))
					return nil
				}}
			if err := serviceRun(f, opts); err != nil {
				t.Fatalf("%v %s", err, errOut)
			}
			path, _ := unitPath(opts)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			unit := string(b)
			if goos == "linux" {
				for _, want := range []string{`ExecStart="/opt/obpm & co/obpm" serve --port 8799`, "Environment=OBPM_KEYRING_SERVICE=obpm-x",
					`Environment="OBPM_CONFIG_DIR=/home/u/my cfg"`, "WantedBy=default.target", "Restart=on-failure"} {
					if !strings.Contains(unit, want) {
						t.Errorf("unit lacks %q:\n%s", want, unit)
					}
				}
				if strings.Join(ran, "; ") != "systemctl --user daemon-reload; systemctl --user enable --now obpm.service" {
					t.Errorf("ran %v", ran)
				}
			} else {
				var plist struct {
					Dict struct {
						Keys    []string `xml:"key"`
						Strings []string `xml:"string"`
					} `xml:"dict"`
				}
				if err := xml.Unmarshal(b, &plist); err != nil {
					t.Fatalf("plist is not XML: %v\n%s", err, unit)
				}
				if !strings.Contains(strings.Join(plist.Dict.Strings, ","), launchdLabel) || !strings.Contains(unit, "<string>/opt/obpm &amp; co/obpm</string>") {
					t.Errorf("plist:\n%s", unit)
				}
				if len(ran) != 1 || !strings.HasPrefix(ran[0], "launchctl load -w ") {
					t.Errorf("ran %v", ran)
				}
			}
			ran = nil
			opts.Action = "uninstall"
			if err := serviceRun(f, opts); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Error("unit file left behind")
			}
		})
	}
	opts := &ServiceOptions{Action: "install", GOOS: "windows", Home: t.TempDir()}
	if err := serviceRun(&Factory{Getenv: func(string) string { return "" }}, opts); err == nil || !strings.Contains(err.Error(), "obpm serve") {
		t.Fatalf("windows: %v", err)
	}
}

func TestEnvKeyStable(t *testing.T) {
	w := newAuthWorld(t, false)
	k1 := strings.TrimSpace(w.must(t, "env-key"))
	k2 := strings.TrimSpace(w.must(t, "env-key"))
	if len(k1) < 43 || k1 != k2 {
		t.Fatalf("env-key %q then %q", k1, k2)
	}
}

// waitUntil polls cond until it holds or the time is up; then it fails the
// test with what and the output, instead of hanging the whole run.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool, output func() string) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s; output:\n%s", limit, what, output())
		}
	}
}
