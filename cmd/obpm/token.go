package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/client"
	"github.com/obpm/obpm/authhelper/daemon"
	"github.com/obpm/obpm/authhelper/daemon/api"
	"github.com/obpm/obpm/authhelper/tokenstore"
)

// kindRefresh is `obpm token --kind refresh`: the user's refresh token.
const kindRefresh = "refresh"

// TokenOptions are the flags of `obpm token`.
type TokenOptions struct {
	Profile  string
	Kind     string
	JSON     bool
	Insecure bool
	// Export prints, with --kind refresh, the OBPM_* lines for a CI secret store.
	Export bool
	// WriteRefresh is the file (0600) for a rotated refresh token in CI.
	WriteRefresh string
}

func newCmdToken(f *Factory, runF func(*TokenOptions) error) *cobra.Command {
	opts := &TokenOptions{}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print a fresh access token (for curl and scripts)",
		Long: `Print a fresh access token of the profile: through the helper daemon when it
runs, else straight from the keyring (renewing it first when it is due).
--json prints the daemon's JSON, with user_seq_no / client_use_code and every
extra field of the provider's token response.`,
		Example: `  curl -H "Authorization: Bearer $(obpm token)" "http://127.0.0.1:8790/v2.0/user/me?user_seq_no=1100000001"
  obpm token --kind institution --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Kind != kindRefresh {
				if _, err := tokenstore.ParseKind(opts.Kind); err != nil {
					return &FlagError{Err: fmt.Errorf("--kind: %w (or refresh)", err)}
				}
			}
			if opts.Export && opts.Kind != kindRefresh {
				return flagErrorf("--export goes with --kind refresh")
			}
			if runF != nil {
				return runF(opts)
			}
			return tokenRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Profile, "profile", "p", "", "profile name (default: the config's default profile)")
	cmd.Flags().StringVar(&opts.Kind, "kind", "user", "user, institution, or refresh (the user's refresh token, for a CI secret)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the token response as JSON")
	cmd.Flags().BoolVar(&opts.Export, "export", false, "with --kind refresh: print the OBPM_* variables to paste into a CI secret store")
	cmd.Flags().StringVar(&opts.WriteRefresh, "write-refresh-token", "", "CI (OBPM_* variables): write the refresh token, rotated or not, to this file (0600)")
	storageFlag(cmd, &opts.Insecure)
	return cmd
}

// freshToken gets a token through the daemon dc when one runs (see
// authEnv.daemon), else directly.
func freshToken(ctx context.Context, env *authEnv, dc *client.Client, profile, kind string) (*api.TokenResponse, error) {
	if dc != nil {
		return dc.Token(ctx, profile, kind)
	}
	p, err := env.profile(profile)
	if err != nil {
		return nil, err
	}
	k, err := tokenstore.ParseKind(kind)
	if err != nil {
		return nil, err
	}
	m := env.manager(nil)
	t, err := m.Token(ctx, p.Name, k)
	env.flush(ctx, m)
	if err != nil {
		return nil, err
	}
	r := daemon.NewTokenResponse(t)
	return &r, nil
}

// resolveProfileName maps "" to the default profile's name (the daemon
// needs a name in its URL).
func resolveProfileName(env *authEnv, name string) (string, error) {
	p, err := env.profile(name)
	if err != nil {
		return "", err
	}
	return p.Name, nil
}

// openProfile is the common start of token, exec and logout: the config and
// keyring, the profile's name, and a client of the daemon when one runs (nil
// otherwise).
func openProfile(ctx context.Context, f *Factory, insecure bool, profile string) (*authEnv, string, *client.Client, error) {
	if env, err := openCIAuth(f, profile); err != nil || env != nil {
		if err != nil {
			return nil, "", nil, err
		}
		return env, env.ci.Name, nil, nil
	}
	env, err := openAuth(f, insecure)
	if err != nil {
		return nil, "", nil, err
	}
	name, err := resolveProfileName(env, profile)
	if err != nil {
		return nil, "", nil, err
	}
	dc, err := env.daemon(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	return env, name, dc, nil
}

func tokenRun(ctx context.Context, f *Factory, opts *TokenOptions) error {
	env, name, dc, err := openProfile(ctx, f, opts.Insecure, opts.Profile)
	if err != nil {
		return err
	}
	if opts.Kind == kindRefresh {
		return exportRefresh(ctx, env, name, opts.Export)
	}
	t, err := freshToken(ctx, env, dc, name, opts.Kind)
	if err != nil {
		return asAuthError(err)
	}
	if t.ConfigError != "" {
		fmt.Fprintln(f.ErrOut, "warning: the helper daemon serves this token from its last good config: "+t.ConfigError)
	}
	if err := env.saveRefreshToken(ctx, opts.WriteRefresh); err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(f.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(t)
	}
	_, err = fmt.Fprintln(f.Out, t.AccessToken)
	return err
}
