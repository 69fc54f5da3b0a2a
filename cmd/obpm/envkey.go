package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// EnvKeyOptions are the flags of `obpm env-key`.
type EnvKeyOptions struct{ Insecure bool }

func newCmdEnvKey(f *Factory, runF func(*EnvKeyOptions) error) *cobra.Command {
	opts := &EnvKeyOptions{}
	cmd := &cobra.Command{
		Use:   "env-key",
		Short: "Print the helper key (create it on first use) for the environment's obpm_helper_key",
		Long: `Print the per-install key that callers of the helper daemon present as
"Authorization: Bearer KEY". Paste it into the Postman environment's
obpm_helper_key (a secret variable), or let 'obpm generate --with-key' fill it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return envKeyRun(cmd.Context(), f, opts)
		},
	}
	storageFlag(cmd, &opts.Insecure)
	return cmd
}

func envKeyRun(ctx context.Context, f *Factory, opts *EnvKeyOptions) error {
	env, err := openAuth(f, opts.Insecure)
	if err != nil {
		return err
	}
	key, created, err := env.ensureHelperKey(ctx)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintln(f.ErrOut, "Created a new helper key (a running `obpm serve` must be restarted to use it).")
	}
	_, err = fmt.Fprintln(f.Out, key)
	return err
}
