package main

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/daemon"
	"github.com/obpm/obpm/authhelper/keyring"
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
	// Run runs a service manager command (systemctl, launchctl); tests record it.
	Run func(name string, args ...string) error
}

// serviceUnit is what the unit templates need.
type serviceUnit struct {
	Exe            string
	Port           int
	KeyringService string
	ConfigDir      string
	Label          string
}

const launchdLabel = "dev.obpm.helper"

func newCmdService(f *Factory, runF func(*ServiceOptions) error) *cobra.Command {
	opts := &ServiceOptions{GOOS: runtime.GOOS, Run: runServiceCommand}
	cmd := &cobra.Command{
		Use:       "service install|uninstall|start|stop|status",
		Short:     "Run obpm serve at login (systemd --user on Linux, launchd on macOS)",
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
	return cmd
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
	var t interface {
		Execute(w io.Writer, data any) error
	}
	var err error
	if opts.GOOS == "darwin" {
		// A plist is XML: html/template escapes paths holding & or <.
		t, err = htmltemplate.ParseFS(templates.Helper, name)
	} else {
		t, err = template.ParseFS(templates.Helper, name)
	}
	if err != nil {
		return nil, err
	}
	u := serviceUnit{Exe: opts.Exe, Port: opts.Port, KeyringService: f.Getenv(keyring.ServiceEnv),
		ConfigDir: f.Getenv("OBPM_CONFIG_DIR"), Label: launchdLabel}
	var b bytes.Buffer
	if err := t.Execute(&b, u); err != nil {
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
		if err := writeFileAtomic(path, unit, 0o644); err != nil {
			return err
		}
		fmt.Fprintln(f.ErrOut, "Wrote", path)
		if linux {
			if err := opts.Run("systemctl", "--user", "daemon-reload"); err != nil {
				return err
			}
			return opts.Run("systemctl", "--user", "enable", "--now", "obpm.service")
		}
		return opts.Run("launchctl", "load", "-w", path)
	case "uninstall":
		if linux {
			_ = opts.Run("systemctl", "--user", "disable", "--now", "obpm.service")
		} else {
			_ = opts.Run("launchctl", "unload", "-w", path)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		fmt.Fprintln(f.ErrOut, "Removed", path)
		if linux {
			return opts.Run("systemctl", "--user", "daemon-reload")
		}
		return nil
	case "start", "stop":
		if linux {
			return opts.Run("systemctl", "--user", opts.Action, "obpm.service")
		}
		return opts.Run("launchctl", opts.Action, launchdLabel)
	default: // status
		if linux {
			return opts.Run("systemctl", "--user", "status", "--no-pager", "obpm.service")
		}
		return opts.Run("launchctl", "list", launchdLabel)
	}
}

// writeFileAtomic writes via a temp file and rename.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, data, mode)
}
