package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCmdEnvKey(f *Factory, runF func() error) *cobra.Command {
	var insecure bool
	cmd := &cobra.Command{
		Use:   "env-key",
		Short: "Print the helper key (create it on first use) for the environment's obpm_helper_key",
		Long: `Print the per-install key that callers of the helper daemon present as
"Authorization: Bearer KEY". Paste it into the Postman environment's
obpm_helper_key (a secret variable), or let 'obpm generate --with-key' fill it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF()
			}
			env, err := openAuth(f, insecure)
			if err != nil {
				return err
			}
			key, created, err := env.tokens.EnsureHelperKey(cmd.Context())
			if err != nil {
				return err
			}
			if created {
				fmt.Fprintln(f.ErrOut, "Created a new helper key (a running `obpm serve` must be restarted to use it).")
			}
			_, err = fmt.Fprintln(f.Out, key)
			return err
		},
	}
	storageFlag(cmd, &insecure)
	return cmd
}
