package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
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
type Factory struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	Getenv func(string) string
	Now    func() time.Time
}

func defaultFactory() *Factory {
	return &Factory{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Getenv: os.Getenv, Now: time.Now}
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

// SilentError means the command already explained itself; Main prints nothing more.
var SilentError = errors.New("silent error")

// FlagError is a usage mistake: Main prints it and exits with exitUsage.
type FlagError struct{ Err error }

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
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(f.In)
	root.SetOut(f.Out)
	root.SetErr(f.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &FlagError{Err: err} })
	root.AddCommand(newCmdGenerate(f, nil), newCmdDiff(f, nil), newCmdSandbox(f, nil), newCmdDrift(f, nil))
	addAuthCommands(root, f)
	return root
}

// Main runs obpm with args and returns the process exit code.
func Main(args []string, f *Factory) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return exitCode(err, f.ErrOut)
}

func exitCode(err error, errOut io.Writer) int {
	if err == nil {
		return exitOK
	}
	var exitErr *ExitError
	var flagErr *FlagError
	var authErr *AuthError
	switch {
	case errors.Is(err, SilentError):
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
		fmt.Fprintln(errOut, "Run 'obpm --help' for usage.")
		return exitUsage
	case errors.As(err, &authErr):
		fmt.Fprintln(errOut, "obpm:", err)
		return exitAuth
	default:
		fmt.Fprintln(errOut, "obpm:", err)
		return exitError
	}
}
