package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/client"
	"github.com/obpm/obpm/authhelper/session"
	"github.com/obpm/obpm/authhelper/tokenstore"
)

// execWaitDelay is how long `obpm exec` lets its command wind down after
// an interrupt before killing it.
const execWaitDelay = 10 * time.Second

// ExecOptions are the flags of `obpm exec`.
type ExecOptions struct {
	Profile  string
	Args     []string
	Insecure bool
	// WriteRefresh is the file (0600) for a rotated refresh token in CI.
	WriteRefresh string
}

func newCmdExec(f *Factory, runF func(*ExecOptions) error) *cobra.Command {
	opts := &ExecOptions{}
	cmd := &cobra.Command{
		Use:   "exec [--profile P] -- COMMAND [ARG...]",
		Short: "Run a command with fresh tokens in its environment",
		Long: `Run COMMAND with these variables set, fresh:
  OBPM_ACCESS_TOKEN       the user access token
  OBPM_INSTITUTION_TOKEN  the institution (client credentials) token
  OBPM_USER_SEQ_NO        the user_seq_no that came with the user token
  OBPM_HELPER_URL         the helper daemon's URL
  OBPM_HELPER_KEY         the helper key (for Newman runs whose scripts ask the daemon)
The exit status is the command's. The variables exist only inside COMMAND, so
refer to them from a shell that COMMAND starts (single quotes keep your own
shell from expanding them first).`,
		Example: `  obpm exec -- sh -c 'newman run postman/openbanking.postman_collection.json \
      -e postman/openbanking.sandbox.postman_environment.json --env-var obpm_helper_key="$OBPM_HELPER_KEY"'
  obpm exec -- sh -c 'curl -H "Authorization: Bearer $OBPM_ACCESS_TOKEN" …'`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return flagErrorf("no command: obpm exec [--profile P] -- COMMAND [ARG...] (requires at least 1 arg)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 0 {
				return flagErrorf("put the command after --: obpm exec [--profile P] -- COMMAND [ARG...]")
			}
			opts.Args = args
			if runF != nil {
				return runF(opts)
			}
			return execRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Profile, "profile", "p", "", "profile name (default: the config's default profile)")
	storageFlag(cmd, &opts.Insecure)
	cmd.Flags().StringVar(&opts.WriteRefresh, "write-refresh-token", "", "CI (OBPM_* variables): write the refresh token, rotated or not, to this file (0600)")
	return cmd
}

func execRun(ctx context.Context, f *Factory, opts *ExecOptions) error {
	vars, err := execEnv(ctx, f, opts)
	if err != nil {
		return err
	}
	return runChild(ctx, f, opts.Args, vars)
}

// execEnv gets the fresh tokens, the helper's URL and its key: the OBPM_*
// variables COMMAND runs with.
func execEnv(ctx context.Context, f *Factory, opts *ExecOptions) (map[string]string, error) {
	// One keyring read of the helper key serves all three values below.
	env, name, dc, err := openProfile(ctx, f, opts.Insecure, opts.Profile)
	if err != nil {
		return nil, err
	}
	// The URL of the daemon that proved itself, else where one is expected.
	vars := map[string]string{}
	if dc != nil {
		vars["OBPM_HELPER_URL"] = dc.BaseURL
	} else {
		u := env.helperURL()
		// Scripts send OBPM_HELPER_KEY to OBPM_HELPER_URL: with no daemon of
		// ours there, another program must not be listening on it.
		if env.ci == nil && client.Listening(ctx, u) {
			return nil, &client.ImpostorError{URL: u, Reason: "a program that is not the obpm helper listens there and scripts would send it OBPM_HELPER_KEY"}
		}
		vars["OBPM_HELPER_URL"] = u
	}
	if env.ciNoUser() {
		// CI with only the client secret: client_credentials alone.
		fmt.Fprintf(f.ErrOut, "obpm exec: no %s; OBPM_ACCESS_TOKEN is empty\n", envRefreshToken)
		vars["OBPM_ACCESS_TOKEN"], vars["OBPM_USER_SEQ_NO"] = "", ""
	} else {
		user, err := freshToken(ctx, env, dc, name, string(tokenstore.User))
		if err != nil {
			return nil, asAuthError(err)
		}
		vars["OBPM_ACCESS_TOKEN"], vars["OBPM_USER_SEQ_NO"] = user.AccessToken, user.UserSeqNo
		// Saved now, before COMMAND runs: a rotated token must survive a
		// failing command.
		if err := env.saveRefreshToken(ctx, opts.WriteRefresh); err != nil {
			return nil, err
		}
	}
	inst, err := freshToken(ctx, env, dc, name, string(tokenstore.Institution))
	if err != nil {
		// Not every client may hold an institution scope; the user token
		// alone still runs most scripts, so say it and go on.
		var lr *session.LoginRequiredError
		if errors.As(err, &lr) {
			return nil, asAuthError(err)
		}
		fmt.Fprintf(f.ErrOut, "obpm exec: no institution token (%v); OBPM_INSTITUTION_TOKEN is empty\n", err)
		vars["OBPM_INSTITUTION_TOKEN"] = ""
	} else {
		vars["OBPM_INSTITUTION_TOKEN"] = inst.AccessToken
	}
	if dc != nil {
		vars["OBPM_HELPER_KEY"] = dc.Key
	} else {
		key, err := env.tokens.HelperKey(ctx)
		if err != nil && !errors.Is(err, tokenstore.ErrNoHelperKey) {
			return nil, err
		}
		vars["OBPM_HELPER_KEY"] = key
	}
	return vars, nil
}

// runChild runs args with vars added to obpm's environment and returns its
// exit status as an ExitError (127 not found, 126 not runnable).
func runChild(ctx context.Context, f *Factory, args []string, vars map[string]string) error {
	path, err := exec.LookPath(args[0])
	if err != nil {
		return &ExitError{Code: 127, Err: fmt.Errorf("exec %s: %w", args[0], err)}
	}
	c := exec.CommandContext(ctx, path, args[1:]...)
	// On Ctrl-C or SIGTERM the command gets an interrupt and time to finish
	// (Newman writes its reports), not an instant kill; it is killed only if
	// it is still running after execWaitDelay.
	c.Cancel = func() error { return c.Process.Signal(os.Interrupt) }
	c.WaitDelay = execWaitDelay
	c.Stdin, c.Stdout, c.Stderr = f.In, f.Out, f.ErrOut
	c.Env = os.Environ()
	for k, v := range vars {
		c.Env = append(c.Env, k+"="+v)
	}
	err = c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		code := ee.ExitCode()
		if code < 0 { // killed by a signal
			code = exitCancel
		}
		return &ExitError{Code: code}
	default:
		return &ExitError{Code: 126, Err: fmt.Errorf("exec %s: %w", args[0], err)}
	}
}
