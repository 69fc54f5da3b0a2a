package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/obpm/obpm/authhelper/keyring"
)

func TestVersion(t *testing.T) {
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": t.TempDir()}}
	f, out, errOut := w.factory("")
	if code := w.run(context.Background(), f, "--version"); code != 0 || !strings.HasPrefix(out.String(), "obpm ") || len(strings.TrimSpace(out.String())) < 8 {
		t.Fatalf("--version: exit %d %q %s", code, out, errOut)
	}
}

// A usage error points at the help of the command it belongs to.
func TestUsageErrorsNameTheSubcommandHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "--kind", "admin"}, "Run 'obpm token --help' for usage."},
		{[]string{"token", "--no-such-flag"}, "Run 'obpm token --help' for usage."},
		{[]string{"profile", "add", "x"}, "Run 'obpm profile add --help' for usage."},
		{[]string{"service", "restart"}, "Run 'obpm service --help' for usage."},
		{[]string{"exec", "ls"}, "Run 'obpm exec --help' for usage."},
	} {
		w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": t.TempDir(), keyring.InsecureEnv: "1"}}
		f, _, errOut := w.factory("")
		if code := w.run(context.Background(), f, tc.args...); code != exitUsage || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("obpm %s: exit %d, stderr %q; want %q", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
	}
}

// Shell completion offers profile names, token kinds, folder modes and
// environment names.
func TestCompletions(t *testing.T) {
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": t.TempDir(), keyring.InsecureEnv: "1"}}
	w.must(t, "profile", "add", "alpha", "--provider", "sandbox")
	w.must(t, "profile", "add", "beta", "--provider", "sandbox", "--redirect-uri", "http://127.0.0.1:9999/callback")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"token", "--profile", ""}, []string{"alpha", "beta"}},
		{[]string{"exec", "--profile", ""}, []string{"alpha", "beta"}},
		{[]string{"login", "-p", ""}, []string{"alpha", "beta"}},
		{[]string{"profile", "remove", ""}, []string{"alpha", "beta"}},
		{[]string{"token", "--kind", ""}, []string{"user", "institution"}},
		{[]string{"generate", "--folders", ""}, []string{"tags", "paths"}},
		{[]string{"generate", "--env", ""}, []string{"sandbox", "testbed", "production"}},
	} {
		f, out, errOut := w.factory("")
		if code := w.run(context.Background(), f, append([]string{"__complete"}, tc.args...)...); code != 0 {
			t.Fatalf("complete %v: exit %d %s", tc.args, code, errOut)
		}
		for _, want := range tc.want {
			if !strings.Contains(out.String(), want+"\n") {
				t.Errorf("completion of %v lacks %q:\n%s", tc.args, want, out)
			}
		}
	}
}

func TestDoctorUnknownProfileFails(t *testing.T) {
	w := sandboxProfileWorld(t)
	f, out, _ := w.factory("")
	if code := w.run(context.Background(), f, "doctor", "--offline", "--profile", "nope"); code == 0 || !strings.Contains(out.String(), "FAIL  profile nope") {
		t.Fatalf("doctor --profile nope: exit %d\n%s", code, out)
	}
}

// doctor finds copies of the helper key that other users can read.
func TestDoctorWarnsAboutReadableKeyCopies(t *testing.T) {
	w := sandboxProfileWorld(t)
	key := strings.TrimSpace(w.must(t, "env-key"))
	dir := t.TempDir()
	sub := filepath.Join(dir, "postman")
	_ = os.Mkdir(sub, 0o755)
	leaky := filepath.Join(sub, "x.sandbox.postman_environment.json")
	private := filepath.Join(sub, "y.sandbox.postman_environment.json")
	_ = os.WriteFile(leaky, []byte(`{"values":[{"key":"obpm_helper_key","value":"`+key+`"}]}`), 0o644)
	_ = os.WriteFile(private, []byte(`{"values":[{"key":"obpm_helper_key","value":"`+key+`"}]}`), 0o600)
	_ = os.Chmod(leaky, 0o644)
	f, out, _ := w.factory("")
	w.run(context.Background(), f, "doctor", "--offline", "--scan", dir)
	if !strings.Contains(out.String(), "warn  helper key copy") || !strings.Contains(out.String(), leaky) {
		t.Errorf("doctor does not warn about %s:\n%s", leaky, out)
	}
	if strings.Contains(out.String(), private) {
		t.Errorf("doctor warns about the owner-only %s:\n%s", private, out)
	}
}

// doctor searches the same three levels whether --scan is ".", a path or
// a path with a trailing slash.
func TestDoctorScanDepthSameForEveryRoot(t *testing.T) {
	w := sandboxProfileWorld(t)
	key := strings.TrimSpace(w.must(t, "env-key"))
	dir := t.TempDir()
	body := []byte(`{"values":[{"key":"obpm_helper_key","value":"` + key + `"}]}`)
	for _, d := range []string{"a/b", "a/b/c"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, d, "leak.json"), body, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Chmod(filepath.Join(dir, d, "leak.json"), 0o644)
	}
	t.Chdir(dir)
	for _, root := range []string{dir, dir + "/", "."} {
		f, out, _ := w.factory("")
		w.run(context.Background(), f, "doctor", "--offline", "--scan", root)
		in2 := strings.Contains(out.String(), filepath.Join("a", "b", "leak.json"))
		in3 := strings.Contains(out.String(), filepath.Join("a", "b", "c", "leak.json"))
		if !in2 || in3 {
			t.Errorf("--scan %s: found level-3 copy %v (want true), level-4 copy %v (want false):\n%s", root, in2, in3, out)
		}
	}
}

func TestServiceDryRunAndStatus(t *testing.T) {
	home := t.TempDir()
	w := &authWorld{env: map[string]string{"OBPM_CONFIG_DIR": t.TempDir(), "OBPM_HELPER_URL": "http://127.0.0.1:9"}}
	var ran []string
	opts := func(action string, dry bool) *ServiceOptions {
		return &ServiceOptions{Action: action, Port: 9791, GOOS: "linux", Home: home, Exe: "/usr/bin/obpm", DryRun: dry,
			Run: func(name string, args ...string) error {
				ran = append(ran, name+" "+strings.Join(args, " "))
				return nil
			},
			Output: func(name string, args ...string) (string, error) {
				ran = append(ran, name+" "+strings.Join(args, " "))
				return "inactive", nil
			}}
	}
	f, out, errOut := w.factory("")
	if err := serviceRun(f, opts("install", true)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, ".config", "systemd", "user", "obpm.service")
	if !strings.Contains(out.String(), `ExecStart="/usr/bin/obpm" serve --port 9791`) || !strings.Contains(errOut.String(), path) {
		t.Errorf("dry run: stdout %q stderr %q", out, errOut)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) || len(ran) != 0 {
		t.Fatalf("dry run changed something: %v, ran %v", err, ran)
	}

	f, out, _ = w.factory("")
	if err := serviceRun(f, opts("status", false)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"unit:    not installed", "service: inactive", "daemon:  not answering at http://127.0.0.1:9"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	f, _, errOut = w.factory("")
	if err := serviceRun(f, opts("install", false)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Wrote the systemd user unit " + path, "serve --port 9791", "systemctl --user enable --now obpm.service"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("install does not say %q:\n%s", want, errOut)
		}
	}
	f, out, _ = w.factory("")
	_ = serviceRun(f, opts("status", false))
	if !strings.Contains(out.String(), "unit:    "+path) {
		t.Errorf("status after install:\n%s", out)
	}
}
