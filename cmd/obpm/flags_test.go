package main

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/daemon"
	"github.com/obpm/obpm/sandbox"
)

// flagCase is one command of TestFlags: how to build it with a runF that
// captures its options, and rows of arguments with the options they must
// give (want) or the usage error they must raise (wantErr, a *FlagError).
type flagCase struct {
	path  string // command path without "obpm", as a user types it
	build func(f *Factory, got *any) *cobra.Command
	rows  []flagRow
}

type flagRow struct {
	args    []string
	want    any
	wantErr string
}

// capture returns a runF that records the options it is called with.
func capture[T any](got *any) func(*T) error {
	return func(o *T) error { *got = o; return nil }
}

func flagCases(t *testing.T) []flagCase {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []flagCase{
		{"generate", func(f *Factory, got *any) *cobra.Command { return newCmdGenerate(f, capture[GenerateOptions](got)) }, []flagRow{
			{args: nil, want: &GenerateOptions{Out: "postman", Folders: "tags"}},
			{args: []string{"--spec", "api.yaml", "-o", "out", "--folders", "paths", "--env", "a,b", "--check", "--insecure-storage", "--allow-external-refs"},
				want: &GenerateOptions{Spec: "api.yaml", Out: "out", Folders: "paths", Envs: []string{"a", "b"}, Check: true, Insecure: true, AllowExternalRefs: true}},
			{args: []string{"--merge", "x.json", "--merge-prefer", "spec", "--prune"},
				want: &GenerateOptions{Out: "postman", Folders: "tags", Merge: MergeOptions{Exports: []string{"x.json"}, Prefer: "spec", Prune: true}}},
			{args: []string{"--folders", "flat"}, wantErr: "--folders must be tags or paths"},
			{args: []string{"--check", "--watch", "--spec", "a.yaml"}, wantErr: "do not go together"},
		}},
		{"diff", func(f *Factory, got *any) *cobra.Command { return newCmdDiff(f, capture[DiffOptions](got)) }, []flagRow{
			{args: []string{"a.yaml", "b.yaml"}, want: &DiffOptions{Old: "a.yaml", New: "b.yaml"}},
			{args: []string{"a.yaml"}, wantErr: "two files"},
		}},
		{"drift", func(f *Factory, got *any) *cobra.Command { return newCmdDrift(f, capture[DriftOptions](got)) }, []flagRow{
			{args: []string{"run.json", "--spec", "api.yaml", "--json"}, want: &DriftOptions{Report: "run.json", Spec: "api.yaml", JSON: true}},
			{args: nil, wantErr: "one Newman JSON report"},
		}},
		{"sandbox", func(f *Factory, got *any) *cobra.Command { return newCmdSandbox(f, capture[SandboxOptions](got)) }, []flagRow{
			{args: nil, want: &SandboxOptions{Addr: sandbox.DefaultAddr, TokenTTL: sandbox.DefaultTokenTTL}},
			{args: []string{"--addr", "127.0.0.1:0", "--client-id", "c", "--client-secret", "s", "--redirect-uri", "http://127.0.0.1:9/cb", "--token-ttl", "5s", "-v"},
				want: &SandboxOptions{Addr: "127.0.0.1:0", ClientID: "c", ClientSecret: "s", RedirectURIs: []string{"http://127.0.0.1:9/cb"}, TokenTTL: 5 * time.Second, Verbose: true}},
			{args: []string{"--fail-rate", "2"}, wantErr: "--fail-rate"},
			{args: []string{"--addr", "0.0.0.0:8790"}, wantErr: "0.0.0.0"},
		}},
		{"profile add", func(f *Factory, got *any) *cobra.Command {
			return newCmdProfile(f, capture[ProfileAddOptions](got))
		}, []flagRow{
			{args: []string{"sb", "--provider", "sandbox", "--default", "--client-secret-stdin"},
				want: &ProfileAddOptions{Name: "sb", Profile: config.Profile{Provider: "sandbox"}, Default: true, ClientSecretStdin: true}},
			{args: []string{"sb"}, wantErr: "--provider is required"},
		}},
		{"profile list", func(f *Factory, got *any) *cobra.Command {
			c := newCmdProfile(f, nil)
			replaceSub(c, newCmdProfileList(f, capture[ProfileListOptions](got)))
			return c
		}, []flagRow{
			{args: nil, want: &ProfileListOptions{}},
			{args: []string{"--nope"}, wantErr: "unknown flag"},
		}},
		{"profile remove", func(f *Factory, got *any) *cobra.Command {
			c := newCmdProfile(f, nil)
			replaceSub(c, newCmdProfileRemove(f, capture[ProfileRemoveOptions](got)))
			return c
		}, []flagRow{
			{args: []string{"sb", "--insecure-storage"}, want: &ProfileRemoveOptions{Name: "sb", Insecure: true}},
			{args: nil, wantErr: "obpm profile remove NAME"},
		}},
		{"serve", func(f *Factory, got *any) *cobra.Command { return newCmdServe(f, capture[ServeOptions](got)) }, []flagRow{
			{args: nil, want: &ServeOptions{Port: daemon.DefaultPort, RefreshEvery: 5 * time.Second}},
			{args: []string{"--port", "0", "--debug"}, want: &ServeOptions{Port: 0, RefreshEvery: 5 * time.Second, Debug: true}},
			{args: []string{"--port", "x"}, wantErr: "invalid argument"},
		}},
		{"login", func(f *Factory, got *any) *cobra.Command { return newCmdLogin(f, capture[LoginOptions](got)) }, []flagRow{
			{args: nil, want: &LoginOptions{Timeout: 5 * time.Minute}},
			{args: []string{"-p", "tb", "--no-browser", "--timeout", "1m"}, want: &LoginOptions{Profile: "tb", NoBrowser: true, Timeout: time.Minute}},
			{args: []string{"--timeout", "0s"}, wantErr: "--timeout must be positive"},
		}},
		{"token", func(f *Factory, got *any) *cobra.Command { return newCmdToken(f, capture[TokenOptions](got)) }, []flagRow{
			{args: nil, want: &TokenOptions{Kind: "user"}},
			{args: []string{"--kind", "institution", "--json", "-p", "tb"}, want: &TokenOptions{Kind: "institution", JSON: true, Profile: "tb"}},
			{args: []string{"--nope"}, wantErr: "unknown flag"},
		}},
		{"exec", func(f *Factory, got *any) *cobra.Command { return newCmdExec(f, capture[ExecOptions](got)) }, []flagRow{
			{args: []string{"-p", "tb", "--", "newman", "run", "c.json"}, want: &ExecOptions{Profile: "tb", Args: []string{"newman", "run", "c.json"}}},
			{args: nil, wantErr: "no command"},
			{args: []string{"newman"}, wantErr: "put the command after --"},
		}},
		{"status", func(f *Factory, got *any) *cobra.Command { return newCmdStatus(f, capture[StatusOptions](got)) }, []flagRow{
			{args: []string{"--insecure-storage"}, want: &StatusOptions{Insecure: true}},
			{args: []string{"--nope"}, wantErr: "unknown flag"},
		}},
		{"logout", func(f *Factory, got *any) *cobra.Command { return newCmdLogout(f, capture[LogoutOptions](got)) }, []flagRow{
			{args: []string{"-p", "tb"}, want: &LogoutOptions{Profile: "tb"}},
			{args: []string{"--nope"}, wantErr: "unknown flag"},
		}},
		{"doctor", func(f *Factory, got *any) *cobra.Command { return newCmdDoctor(f, capture[DoctorOptions](got)) }, []flagRow{
			{args: nil, want: &DoctorOptions{Scan: "."}},
			{args: []string{"--offline", "-p", "tb", "--scan", "dir"}, want: &DoctorOptions{Offline: true, Profile: "tb", Scan: "dir"}},
			{args: []string{"--nope"}, wantErr: "unknown flag"},
		}},
		{"env-key", func(f *Factory, got *any) *cobra.Command { return newCmdEnvKey(f, capture[EnvKeyOptions](got)) }, []flagRow{
			{args: nil, want: &EnvKeyOptions{}},
			{args: []string{"--insecure-storage"}, want: &EnvKeyOptions{Insecure: true}},
			{args: []string{"--nope"}, wantErr: "unknown flag"},
		}},
		{"service", func(f *Factory, got *any) *cobra.Command { return newCmdService(f, capture[ServiceOptions](got)) }, []flagRow{
			{args: []string{"install", "--dry-run", "--port", "9791"}, want: &ServiceOptions{Action: "install", DryRun: true, Port: 9791, GOOS: runtime.GOOS, Home: home, Exe: exe}},
			{args: []string{"reboot"}, wantErr: "unknown action"},
		}},
	}
}

// replaceSub swaps parent's subcommand of the same name for sub.
func replaceSub(parent, sub *cobra.Command) {
	name := strings.Fields(sub.Use)[0]
	for _, c := range parent.Commands() {
		if c.Name() == name {
			parent.RemoveCommand(c)
		}
	}
	parent.AddCommand(sub)
}

// withoutFuncs copies a pointer to an options struct with its func fields
// (test hooks such as LoginOptions.OpenBrowser) cleared, for DeepEqual.
func withoutFuncs(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return v
	}
	c := reflect.New(rv.Elem().Type())
	c.Elem().Set(rv.Elem())
	for i := 0; i < c.Elem().NumField(); i++ {
		if fld := c.Elem().Field(i); fld.Kind() == reflect.Func && fld.CanSet() {
			fld.Set(reflect.Zero(fld.Type()))
		}
	}
	return c.Interface()
}

// TestFlags runs every command's flag parsing through runF: the options a
// command line gives, and the usage errors it raises (exit 2 in Main).
func TestFlags(t *testing.T) {
	for _, fc := range flagCases(t) {
		for _, row := range fc.rows {
			name := fc.path + " " + strings.Join(row.args, " ")
			t.Run(name, func(t *testing.T) {
				f, _, _ := testFactory()
				var got any
				root := &cobra.Command{Use: "obpm", SilenceUsage: true, SilenceErrors: true}
				root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &FlagError{Err: err, Cmd: c.CommandPath()} })
				root.AddCommand(fc.build(f, &got))
				root.SetOut(&bytes.Buffer{})
				root.SetErr(&bytes.Buffer{})
				root.SetArgs(append(strings.Fields(fc.path), row.args...))
				err := root.Execute()
				if row.wantErr != "" {
					var fe *FlagError
					if !errors.As(err, &fe) || !strings.Contains(err.Error(), row.wantErr) {
						t.Fatalf("err = %v (%T), want a *FlagError containing %q", err, err, row.wantErr)
					}
					if got != nil {
						t.Errorf("runF was called after a usage error: %+v", got)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(withoutFuncs(got), withoutFuncs(row.want)) {
					t.Errorf("options\n got %+v\nwant %+v", withoutFuncs(got), withoutFuncs(row.want))
				}
			})
		}
	}
}

// TestFlagsCoverEveryCommand: a new command fails here until TestFlags has
// a case for it with at least one accepted and one refused command line.
func TestFlagsCoverEveryCommand(t *testing.T) {
	f, _, _ := testFactory()
	covered := map[string]bool{}
	for _, fc := range flagCases(t) {
		ok, bad := false, false
		for _, r := range fc.rows {
			ok = ok || r.wantErr == ""
			bad = bad || r.wantErr != ""
		}
		if !ok || !bad {
			t.Errorf("TestFlags case %q needs an accepted and a refused command line", fc.path)
		}
		covered[fc.path] = true
	}
	var missing []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.HasSubCommands() {
				walk(sub)
				continue
			}
			path := strings.TrimPrefix(sub.CommandPath(), "obpm ")
			if sub.Runnable() && !sub.Hidden && path != "help" && path != "completion" && !covered[path] {
				missing = append(missing, path)
			}
		}
	}
	walk(newRootCmd(f))
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("commands without a TestFlags case: %v", missing)
	}
}
