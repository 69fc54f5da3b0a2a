package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/client"
	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/daemon"
	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/runfile"
	"github.com/obpm/obpm/internal/atomicfile"
	"github.com/obpm/obpm/templates"
)

// ServiceOptions configure `obpm service`.
type ServiceOptions struct {
	Action string
	Port   int
	GOOS   string
	Home   string
	Exe    string
	DryRun bool
	// Run runs a service manager command (systemctl, launchctl); tests record it.
	Run func(name string, args ...string) error
	// Output runs a service manager query and returns what it printed
	// (status); tests fake it.
	Output func(name string, args ...string) (string, error)
}

// serviceUnit is what the unit templates need.
type serviceUnit struct {
	Exe   string
	Port  int
	Env   []serviceEnvVar
	Label string
}

// serviceEnvVar is one variable the service runs with.
type serviceEnvVar struct{ Name, Value string }

// serviceEnv is the environment that decides which config folder and which
// secret store `obpm serve` uses, as this shell has it. A service starts
// with the service manager's environment, not the shell's: without these a
// shell that sets XDG_CONFIG_HOME, OBPM_INSECURE_STORAGE (a machine without
// a keyring) or OBPM_KEYRING_SERVICE gets a daemon that reads another config
// and another store than every other command (profiles unknown to it,
// tokens it cannot see, or a keyring it cannot open, restarted for ever).
func serviceEnv(getenv func(string) string) ([]serviceEnvVar, error) {
	dir, err := config.Dir(getenv)
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(dir) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("config folder %s: %w", dir, err)
		}
		dir = abs
	}
	env := []serviceEnvVar{{config.DirEnv, dir}}
	if v := getenv(keyring.ServiceEnv); v != "" {
		env = append(env, serviceEnvVar{keyring.ServiceEnv, v})
	}
	if keyring.Insecure(getenv) {
		env = append(env, serviceEnvVar{keyring.InsecureEnv, "1"})
	}
	if v := getenv(keyring.TimeoutEnv); v != "" {
		env = append(env, serviceEnvVar{keyring.TimeoutEnv, v})
	}
	return env, nil
}

const launchdLabel = "dev.obpm.helper"

func newCmdService(f *Factory, runF func(*ServiceOptions) error) *cobra.Command {
	opts := &ServiceOptions{GOOS: runtime.GOOS, Run: runServiceCommand, Output: serviceOutput}
	cmd := &cobra.Command{
		Use:   "service install|uninstall|start|stop|status",
		Short: "Run obpm serve at login (systemd --user on Linux, launchd on macOS)",
		Long: `Run 'obpm serve' at login as a user service, never as root and never behind
your back: install writes a systemd user unit (~/.config/systemd/user/obpm.service)
or a launchd agent (~/Library/LaunchAgents/dev.obpm.helper.plist), says where,
then enables and starts it. --dry-run prints the file and its path and changes
nothing. status shows the file, the service manager's view and whether the
daemon answers.`,
		Example: `  obpm service install --dry-run     # see what would be written, and where
  obpm service install --port 9791
  obpm service status`,
		Args:      exactArgs(1, "obpm service install|uninstall|start|stop|status"),
		ValidArgs: []string{"install", "uninstall", "start", "stop", "status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch args[0] {
			case "install", "uninstall", "start", "stop", "status":
			default:
				return flagErrorf("unknown action %q: use install, uninstall, start, stop or status", args[0])
			}
			opts.Action = args[0]
			if opts.Home == "" {
				h, err := os.UserHomeDir()
				if err != nil {
					return err
				}
				opts.Home = h
			}
			if opts.Exe == "" {
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("find the obpm binary: %w", err)
				}
				opts.Exe = exe
			}
			if runF != nil {
				return runF(opts)
			}
			return serviceRun(f, opts)
		},
	}
	cmd.Flags().IntVar(&opts.Port, "port", daemon.DefaultPort, "port for obpm serve")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "install: print the unit/plist and its path; change nothing")
	return cmd
}

// serviceOutput runs a query and returns its output even when it exits
// non-zero (systemctl is-active answers "inactive" with status 3).
func serviceOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		err = nil
	}
	return string(bytes.TrimSpace(out)), err
}

func runServiceCommand(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %w: %s", name, args, err, bytes.TrimSpace(out))
	}
	return nil
}

// unitPath returns where the unit file goes.
func unitPath(opts *ServiceOptions) (string, error) {
	switch opts.GOOS {
	case "linux":
		return filepath.Join(opts.Home, ".config", "systemd", "user", "obpm.service"), nil
	case "darwin":
		return filepath.Join(opts.Home, "Library", "LaunchAgents", launchdLabel+".plist"), nil
	}
	return "", fmt.Errorf("obpm service supports Linux (systemd --user) and macOS (launchd); on %s run `obpm serve` from your session's startup instead", opts.GOOS)
}

// renderUnit renders the systemd unit or launchd plist.
func renderUnit(f *Factory, opts *ServiceOptions) ([]byte, error) {
	name := "helper/obpm.service"
	if opts.GOOS == "darwin" {
		name = "helper/obpm.plist"
	}
	// Every value is escaped for where it lands by a function of the
	// template (servicequote.go): text/template does no escaping itself.
	t, err := template.New("").Funcs(template.FuncMap{
		"systemdExec": systemdExecStart,
		"systemdEnv":  systemdEnv,
		"plist":       plistString,
	}).ParseFS(templates.Helper, name)
	if err != nil {
		return nil, err
	}
	env, err := serviceEnv(f.Getenv)
	if err != nil {
		return nil, err
	}
	u := serviceUnit{Exe: opts.Exe, Port: opts.Port, Env: env, Label: launchdLabel}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, filepath.Base(name), u); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return b.Bytes(), nil
}

func serviceRun(f *Factory, opts *ServiceOptions) error {
	path, err := unitPath(opts)
	if err != nil {
		return err
	}
	linux := opts.GOOS == "linux"
	switch opts.Action {
	case "install":
		unit, err := renderUnit(f, opts)
		if err != nil {
			return err
		}
		kind := "systemd user unit"
		if !linux {
			kind = "launchd agent"
		}
		if opts.DryRun {
			fmt.Fprintf(f.ErrOut, "Would write the %s %s (runs `%s serve --port %d` at login):\n", kind, path, opts.Exe, opts.Port)
			_, err := f.Out.Write(unit)
			return err
		}
		if err := writeFileAtomic(path, unit, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(f.ErrOut, "Wrote the %s %s: it runs `%s serve --port %d` at login.\n", kind, path, opts.Exe, opts.Port)
		if linux {
			if err := opts.Run("systemctl", "--user", "daemon-reload"); err != nil {
				return systemctlUserError(path, err)
			}
			fmt.Fprintln(f.ErrOut, "Enabling and starting it: systemctl --user enable --now obpm.service")
			if err := opts.Run("systemctl", "--user", "enable", "--now", "obpm.service"); err != nil {
				return systemctlUserError(path, err)
			}
		} else {
			fmt.Fprintln(f.ErrOut, "Loading it: launchctl load -w "+path)
			if err := opts.Run("launchctl", "load", "-w", path); err != nil {
				return err
			}
		}
		fmt.Fprintln(f.ErrOut, "Check it with `obpm service status`; remove it with `obpm service uninstall`.")
		return nil
	case "uninstall":
		if !linux {
			_ = opts.Run("launchctl", "unload", "-w", path)
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			fmt.Fprintln(f.ErrOut, "Removed", path)
			return nil
		}
		return uninstallSystemd(f, opts, path)
	case "start", "stop":
		if !linux {
			return opts.Run("launchctl", opts.Action, launchdLabel)
		}
		if opts.Action == "start" {
			// After the unit's start limit gave up (a keyring that did not
			// open, say), systemd refuses a start until the failure is reset.
			_ = opts.Run("systemctl", "--user", "reset-failed", "obpm.service")
		}
		if err := opts.Run("systemctl", "--user", opts.Action, "obpm.service"); err != nil {
			if noUserManager(err) && opts.Action == "start" {
				return fmt.Errorf("could not start obpm.service: this login has no systemd user manager to ask (%w). "+
					"In a desktop or ssh login session of this user run `systemctl --user start obpm.service`, or run `obpm serve` yourself", err)
			}
			if noUserManager(err) {
				return fmt.Errorf("could not stop obpm.service: this login has no systemd user manager to ask (%w). "+
					"In a desktop or ssh login session of this user run `systemctl --user stop obpm.service`; a daemon started with `obpm serve` stops with Ctrl-C or kill%s", err, recordedDaemon(f))
			}
			return fmt.Errorf("%w (see `systemctl --user status obpm.service`)", err)
		}
		return nil
	default: // status
		return serviceStatus(f, opts, path)
	}
}

// noUserManager reports whether a `systemctl --user` failed because this
// login has no systemd user manager to talk to: a shell from su, sudo or an
// ssh session without a login session, a container, a machine without
// systemd.
func noUserManager(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "connect to bus") || strings.Contains(msg, "XDG_RUNTIME_DIR") || errors.Is(err, exec.ErrNotFound)
}

// uninstallSystemd disables and stops the unit, removes it and tells the
// user manager. Without a user manager in this login, the files are
// removed all the same (what `disable` would have removed included), and
// a warning says what could not be done and where to do it.
func uninstallSystemd(f *Factory, opts *ServiceOptions, path string) error {
	disableErr := opts.Run("systemctl", "--user", "disable", "--now", "obpm.service")
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	fmt.Fprintln(f.ErrOut, "Removed", path)
	reloadErr := opts.Run("systemctl", "--user", "daemon-reload")
	var unreachable error
	for _, err := range []error{disableErr, reloadErr} {
		if err != nil && noUserManager(err) {
			unreachable = err
			break
		}
	}
	if unreachable == nil {
		return reloadErr
	}
	// `disable` would have removed the link that starts the unit at login;
	// a dangling one makes systemd complain at every login.
	wants := filepath.Join(filepath.Dir(path), "default.target.wants", "obpm.service")
	if target, err := os.Readlink(wants); err == nil && target == path {
		if err := os.Remove(wants); err == nil {
			fmt.Fprintln(f.ErrOut, "Removed", wants)
		}
	}
	fmt.Fprintf(f.ErrOut, "warning: this login has no systemd user manager to tell (%v): "+
		"if obpm.service runs in another session of yours, it runs until stopped there: `systemctl --user stop obpm.service && systemctl --user daemon-reload`", unreachable)
	fmt.Fprintln(f.ErrOut, recordedDaemon(f))
	return nil
}

// recordedDaemon names the daemon this config folder's daemon.json records,
// for a message that tells how to stop it, or returns "".
func recordedDaemon(f *Factory) string {
	cfgDir, err := config.Dir(f.Getenv)
	if err != nil {
		return ""
	}
	r, err := runfile.Read(cfgDir, runfile.Daemon)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("; one runs now (pid %d at %s): `kill %d` stops it", r.PID, r.URL, r.PID)
}

// systemctlUserError explains a failed `systemctl --user` after the unit
// was written. The usual cause on a real machine is that this login has no
// systemd user manager to talk to: a shell from su, sudo or an ssh session
// without a login session, a container, a machine without systemd.
func systemctlUserError(unit string, err error) error {
	if noUserManager(err) {
		return fmt.Errorf("wrote %s, but this login has no systemd user manager to load it (%w). "+
			"In a desktop or ssh login session of this user run `systemctl --user daemon-reload && systemctl --user enable --now obpm.service`; "+
			"`loginctl enable-linger $USER` keeps it running without a login; or run `obpm serve` yourself", unit, err)
	}
	return fmt.Errorf("wrote %s, but systemd did not start it: %w (see `systemctl --user status obpm.service`)", unit, err)
}

// serviceStatus prints the unit file, the service manager's view and
// whether a daemon answers where the other commands look for it.
func serviceStatus(f *Factory, opts *ServiceOptions, path string) error {
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(f.Out, "unit:    not installed (%s missing; `obpm service install` writes it)\n", path)
	} else {
		fmt.Fprintf(f.Out, "unit:    %s\n", path)
	}
	var state string
	var err error
	if opts.GOOS == "linux" {
		state, err = opts.Output("systemctl", "--user", "is-active", "obpm.service")
	} else {
		state, err = opts.Output("launchctl", "list", launchdLabel)
	}
	switch {
	case opts.GOOS == "linux" && (err != nil && noUserManager(err) || err == nil && noUserManager(errors.New(state))):
		if err == nil {
			err = errors.New(state)
		}
		fmt.Fprintf(f.Out, "service: unknown: this login has no systemd user manager to ask (%v); "+
			"the service runs only in a login session of this user (or with `loginctl enable-linger $USER`)\n", err)
	case err != nil:
		fmt.Fprintf(f.Out, "service: unknown (%v)\n", err)
	case state == "":
		fmt.Fprintln(f.Out, "service: unknown (no answer from the service manager)")
	case opts.GOOS == "linux" && state == "failed":
		fmt.Fprintln(f.Out, "service: failed (see `journalctl --user -u obpm.service`; systemd stops restarting it after repeated failures: fix the cause, then `obpm service start`)")
	default:
		fmt.Fprintf(f.Out, "service: %s\n", strings.ReplaceAll(state, "\n", "\n         "))
	}
	cfgDir, _ := config.Dir(f.Getenv)
	url, src, _ := client.Locate(f.Getenv, cfgDir)
	if client.New(url).Running(context.Background()) {
		fmt.Fprintf(f.Out, "daemon:  answering at %s (%s)\n", url, src)
	} else {
		fmt.Fprintf(f.Out, "daemon:  not answering at %s\n", url)
	}
	return nil
}

// writeFileAtomic writes via a temp file and rename.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, data, mode)
}
