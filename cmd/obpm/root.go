package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/oauthflow"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes, decided in one place (Main) from typed errors, as gh does.
const (
	exitOK     = 0
	exitError  = 1
	exitUsage  = 2
	exitAuth   = 4
	exitCancel = 130
)

// Factory holds everything with side effects so that tests can swap it.
// Data goes to Out; progress, warnings and errors go to ErrOut.
//
// The seams below OpenStore are optional: a nil one means the real thing, so
// a test sets only what it fakes (a hung keyring, a terminal, a skewed
// provider clock) and still runs the command in process.
type Factory struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	Getenv func(string) string
	Now    func() time.Time

	// OpenStore opens the secret store (keyring.Open).
	OpenStore func(getenv func(string) string, configDir string, insecure bool) (keyring.Store, string, error)
	// HTTPClient is the client for the provider (token grants, doctor's clock check).
	HTTPClient func() *http.Client
	// IsTerminal reports whether r is an interactive terminal (prompts).
	IsTerminal func(r io.Reader) bool
	// ReadPassword reads a line from the terminal r without echo.
	ReadPassword func(r io.Reader) ([]byte, error)
}

func defaultFactory() *Factory {
	return &Factory{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Getenv: os.Getenv, Now: time.Now,
		OpenStore: keyring.Open, HTTPClient: defaultHTTPClient, IsTerminal: isTerminal, ReadPassword: readPassword}
}

func (f *Factory) openStore(getenv func(string) string, configDir string, insecure bool) (keyring.Store, string, error) {
	if f.OpenStore != nil {
		return f.OpenStore(getenv, configDir, insecure)
	}
	return keyring.Open(getenv, configDir, insecure)
}

func (f *Factory) httpClient() *http.Client {
	if f.HTTPClient != nil {
		return f.HTTPClient()
	}
	return defaultHTTPClient()
}

func (f *Factory) isTerminal(r io.Reader) bool {
	if f.IsTerminal != nil {
		return f.IsTerminal(r)
	}
	return isTerminal(r)
}

func (f *Factory) readPassword(r io.Reader) ([]byte, error) {
	if f.ReadPassword != nil {
		return f.ReadPassword(r)
	}
	return readPassword(r)
}

// defaultHTTPClient bounds every call to a provider: a hung token endpoint
// must not hang a command.
func defaultHTTPClient() *http.Client {
	return &http.Client{Timeout: oauthflow.DefaultHTTPTimeout}
}

func isTerminal(r io.Reader) bool {
	file, ok := r.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

func readPassword(r io.Reader) ([]byte, error) {
	file, ok := r.(*os.File)
	if !ok {
		return nil, errors.New("no terminal to read the secret from")
	}
	return term.ReadPassword(int(file.Fd()))
}

// ExitError ends the command with a given status after the command has already
// said what went wrong (for example `generate --check` finding stale files).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// ErrSilent means the command already explained itself; Main prints nothing more.
var ErrSilent = errors.New("silent error")

// FlagError is a usage mistake: Main prints it, points at the help of the
// command it belongs to (Cmd, e.g. "obpm token") and exits with exitUsage.
type FlagError struct {
	Err error
	Cmd string
}

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

func flagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// AuthError marks failures the user fixes by logging in again.
type AuthError struct{ Err error }

func (e *AuthError) Error() string { return e.Err.Error() }
func (e *AuthError) Unwrap() error { return e.Err }

func newRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:           "obpm",
		Short:         "OpenAPI to Postman, a local Open Banking testbed, and an OAuth token helper",
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("obpm {{.Version}}\n")
	root.SetIn(f.In)
	root.SetOut(f.Out)
	root.SetErr(f.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &FlagError{Err: err, Cmd: c.CommandPath()} })
	root.AddCommand(newCmdGenerate(f, nil), newCmdDiff(f, nil), newCmdSandbox(f, nil), newCmdDrift(f, nil))
	addAuthCommands(root, f)
	addCompletions(root, f)
	return root
}

// Main runs obpm with args and returns the process exit code.
func Main(args []string, f *Factory) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(f)
	root.SetArgs(args)
	return exitCode(executeC(ctx, root), f.ErrOut)
}

// executeC runs root and marks a usage error with the command it belongs to.
func executeC(ctx context.Context, root *cobra.Command) error {
	cmd, err := root.ExecuteContextC(ctx)
	var fe *FlagError
	if errors.As(err, &fe) && fe.Cmd == "" && cmd != nil {
		fe.Cmd = cmd.CommandPath()
	}
	return err
}

func exitCode(err error, errOut io.Writer) int {
	if err == nil {
		return exitOK
	}
	var exitErr *ExitError
	var flagErr *FlagError
	var authErr *AuthError
	switch {
	case errors.Is(err, ErrSilent):
		return exitError
	case errors.As(err, &exitErr):
		if exitErr.Err != nil {
			fmt.Fprintln(errOut, "obpm:", exitErr.Err)
		}
		return exitErr.Code
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(errOut, "obpm: cancelled")
		return exitCancel
	case errors.As(err, &flagErr):
		fmt.Fprintln(errOut, "obpm:", err)
		help := "obpm"
		if flagErr.Cmd != "" {
			help = flagErr.Cmd
		}
		fmt.Fprintf(errOut, "Run '%s --help' for usage.\n", help)
		return exitUsage
	case errors.As(err, &authErr):
		fmt.Fprintln(errOut, "obpm:", err)
		return exitAuth
	default:
		fmt.Fprintln(errOut, "obpm:", err)
		return exitError
	}
}

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version string

// versionString is the release version, else the module version and the
// VCS revision Go recorded in the binary.
func versionString() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if v == "" && ok {
		v = info.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	if !ok {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		return fmt.Sprintf("%s (commit %s%s, %s)", v, rev, modified, info.GoVersion)
	}
	return fmt.Sprintf("%s (%s)", v, info.GoVersion)
}
