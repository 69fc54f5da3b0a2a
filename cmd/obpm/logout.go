package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// LogoutOptions are the flags of `obpm logout`.
type LogoutOptions struct {
	Profile  string
	Insecure bool
}

func newCmdLogout(f *Factory, runF func(*LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Revoke the profile's tokens at the provider and delete them from the keyring",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return logoutRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Profile, "profile", "p", "", "profile name (default: the config's default profile)")
	storageFlag(cmd, &opts.Insecure)
	return cmd
}

func logoutRun(ctx context.Context, f *Factory, opts *LogoutOptions) error {
	// Through the daemon when it runs, so that it forgets the tokens too.
	env, name, dc, err := openProfile(ctx, f, opts.Insecure, opts.Profile)
	if err != nil {
		return err
	}
	var warnings []string
	if dc != nil {
		if warnings, err = dc.Logout(ctx, name); err != nil {
			return err
		}
	} else {
		ws, err := env.manager(nil).Logout(ctx, name)
		if err != nil {
			return err
		}
		for _, w := range ws {
			warnings = append(warnings, w.Error())
		}
	}
	for _, w := range warnings {
		fmt.Fprintln(f.ErrOut, "warning:", w)
	}
	fmt.Fprintf(f.ErrOut, "Logged out: profile %s (tokens revoked and deleted from the keyring).\n", name)
	return nil
}
