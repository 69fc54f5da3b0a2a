package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/tokenstore"
)

// ProfileAddOptions are the flags of `obpm profile add`.
type ProfileAddOptions struct {
	Name              string
	Profile           config.Profile
	NoPKCE            bool
	ClientSecretStdin bool
	Default           bool
	Force             bool
	Insecure          bool
}

func newCmdProfile(f *Factory, runF func(*ProfileAddOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Manage OAuth client profiles (config file + client secret in the keyring)",
	}
	cmd.AddCommand(newCmdProfileAdd(f, runF), newCmdProfileList(f, nil), newCmdProfileRemove(f, nil))
	return cmd
}

func newCmdProfileAdd(f *Factory, runF func(*ProfileAddOptions) error) *cobra.Command {
	opts := &ProfileAddOptions{}
	p := &opts.Profile
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Add or replace a profile; the client secret goes to the keyring",
		Long: `Add a profile to the helper's config file. The client secret is read from a
prompt with no echo (or from stdin with --client-secret-stdin) and stored in the
OS keyring, never in the file.

Providers: sandbox (obpm sandbox, default base URL http://127.0.0.1:8790),
kftc-testbed, kftc-production, oauth2 (generic: --authorize-url, --token-url).
For --provider sandbox the client id, redirect URI and secret default to the
sandbox's built-in client.

--force replaces an existing profile. Its stored tokens are kept when the
client stays the same (provider, base URL or token URL, client id); when any
of these changes they are dropped without being revoked (run obpm logout
first to revoke them), and obpm login gets new ones. A new
--institution-scope drops only the institution token.`,
		Example: `  obpm profile add sandbox --provider sandbox
  obpm profile add testbed --provider kftc-testbed --client-id ID --redirect-uri http://127.0.0.1:8791/callback
  printf %s "$SECRET" | obpm profile add idp --provider oauth2 --client-id app \
      --authorize-url https://idp/authorize --token-url https://idp/token \
      --redirect-uri http://127.0.0.1:0/callback --scope openid --client-secret-stdin`,
		Args: exactArgs(1, "obpm profile add NAME --provider …"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := config.ValidateName(opts.Name); err != nil {
				return &FlagError{Err: err}
			}
			if p.Provider == "" {
				return flagErrorf("--provider is required (one of %s)", strings.Join(config.Providers(), ", "))
			}
			if opts.NoPKCE {
				off := false
				p.PKCE = &off
			}
			if runF != nil {
				return runF(opts)
			}
			return profileAddRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&p.Provider, "provider", "", "sandbox, kftc-testbed, kftc-production or oauth2")
	fl.StringVar(&p.BaseURL, "base-url", "", "provider base URL (sandbox: default http://127.0.0.1:8790)")
	fl.StringVar(&p.ClientID, "client-id", "", "client id issued by the provider")
	fl.StringVar(&p.RedirectURI, "redirect-uri", "", "the callback URL exactly as registered (loopback http)")
	fl.StringVar(&p.Scope, "scope", "", "user (3-legged) scope (Open Banking default: login inquiry transfer)")
	fl.StringVar(&p.InstitutionScope, "institution-scope", "", "institution (client credentials) scope (default: oob; sandbox: oob sa)")
	fl.StringVar(&p.AuthorizeURL, "authorize-url", "", "oauth2 provider: authorization endpoint")
	fl.StringVar(&p.TokenURL, "token-url", "", "oauth2 provider: token endpoint")
	fl.StringVar(&p.RevokeURL, "revoke-url", "", "oauth2 provider: revocation endpoint (optional)")
	fl.BoolVar(&opts.NoPKCE, "no-pkce", false, "oauth2 provider: do not send a PKCE challenge")
	fl.StringVar(&p.RefreshMargin, "refresh-margin", "", "renew tokens this long before expiry (default 5m, at most a third of the lifetime)")
	fl.BoolVar(&opts.ClientSecretStdin, "client-secret-stdin", false, "read the client secret from stdin instead of a prompt")
	fl.BoolVar(&opts.Default, "default", false, "make it the default profile")
	fl.BoolVar(&opts.Force, "force", false, "replace an existing profile of that name (drops its tokens if the client changes)")
	storageFlag(cmd, &opts.Insecure)
	return cmd
}

func profileAddRun(ctx context.Context, f *Factory, opts *ProfileAddOptions) error {
	p := opts.Profile
	p.Name = opts.Name
	sandboxDefaults := p.Provider == config.ProviderSandbox
	if sandboxDefaults {
		if p.ClientID == "" {
			p.ClientID = config.SandboxClientID
		}
		if p.RedirectURI == "" {
			p.RedirectURI = config.SandboxRedirectURI
		}
	}
	if err := p.Validate(); err != nil {
		return &FlagError{Err: err}
	}
	env, err := openAuth(f, opts.Insecure)
	if err != nil {
		return err
	}
	cfg, err := env.loadConfig()
	if err != nil {
		return err
	}
	if cfg.Profiles[p.Name] != nil && !opts.Force {
		return flagErrorf("profile %q already exists in %s (pass --force to replace it)", p.Name, env.cfgPath)
	}
	secret, err := readSecret(f, opts, sandboxDefaults && p.ClientID == config.SandboxClientID)
	if err != nil {
		return err
	}
	// The check above saved a pointless prompt; this one, under the config
	// lock, is the one that counts when several adds run at once.
	var (
		dropped []tokenstore.Kind
		prev    *config.Profile
	)
	err = config.Update(ctx, env.cfgPath, func(cfg *config.Config) error {
		old := cfg.Profiles[p.Name]
		prev = old
		if old != nil && !opts.Force {
			return flagErrorf("profile %q already exists in %s (pass --force to replace it)", p.Name, env.cfgPath)
		}
		// Tokens first: a failure leaves the old profile whole.
		dropped = staleTokens(old, &p)
		for _, k := range dropped {
			if err := env.tokens.Delete(ctx, p.Name, k); err != nil {
				return err
			}
		}
		if err := env.tokens.SetSecret(ctx, p.Name, secret); err != nil {
			return err
		}
		cfg.Profiles[p.Name] = &p
		if opts.Default || len(cfg.Profiles) == 1 {
			cfg.DefaultProfile = p.Name
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(f.ErrOut, "Profile %q saved in %s; client secret stored in the %s.\n", p.Name, env.cfgPath, storeName(env.insecure))
	switch {
	case prev == nil:
	case len(dropped) == 2:
		fmt.Fprintf(f.ErrOut, "Its stored tokens were dropped: they were issued to the old client (%s), not to this one (%s). They were not revoked at the old provider (`obpm logout` before a replace does that).\n",
			prev.ClientIdentity(), p.ClientIdentity())
	default:
		msg := "Its stored tokens were kept: the client (provider, base URL, client id) is the same."
		if len(dropped) == 1 {
			msg = "Its user token was kept (same client); the institution token was dropped (the institution scope changed) and the next use gets a new one."
		}
		fmt.Fprintln(f.ErrOut, msg)
		if prev.UserScope() != p.UserScope() {
			fmt.Fprintf(f.ErrOut, "The user token keeps its old scope until you log in again: obpm login --profile %s\n", p.Name)
		}
		return nil
	}
	fmt.Fprintf(f.ErrOut, "Next: obpm login --profile %s\n", p.Name)
	return nil
}

// staleTokens returns the kinds of stored token that replacing old (nil:
// no such profile in the config) with p makes stale. The rule
// (docs/authhelper.md): tokens belong to a client, identified by the
// provider, the base URL (generic providers: the token URL) and the client
// id. When any of these changes, or the profile is new (tokens left under
// its name belong to a profile removed by hand), both tokens are dropped,
// so that one client's tokens are never handed out for, nor refreshed or
// revoked at, another. The same client keeps them (a new secret, redirect
// URI or margin changes nothing they carry); a new institution scope drops
// only the institution token, which is re-issued without a browser.
func staleTokens(old, p *config.Profile) []tokenstore.Kind {
	switch {
	case old == nil || old.ClientIdentity() != p.ClientIdentity():
		return []tokenstore.Kind{tokenstore.User, tokenstore.Institution}
	case old.InstScope() != p.InstScope():
		return []tokenstore.Kind{tokenstore.Institution}
	}
	return nil
}

func storeName(insecure bool) string {
	if insecure {
		return "insecure file store"
	}
	return "OS keyring"
}

// readSecret gets the client secret: stdin when asked, a no-echo prompt on
// a terminal, the sandbox's well-known secret for its built-in client.
func readSecret(f *Factory, opts *ProfileAddOptions, sandboxClient bool) (string, error) {
	if opts.ClientSecretStdin {
		b, err := io.ReadAll(io.LimitReader(f.In, 64<<10))
		if err != nil {
			return "", fmt.Errorf("read client secret from stdin: %w", err)
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return "", flagErrorf("--client-secret-stdin: stdin was empty")
		}
		return s, nil
	}
	if f.isTerminal(f.In) {
		if sandboxClient {
			fmt.Fprintf(f.ErrOut, "Client secret (Enter for the sandbox default %q): ", config.SandboxClientSecret)
		} else {
			fmt.Fprint(f.ErrOut, "Client secret (input hidden): ")
		}
		b, err := f.readPassword(f.In)
		fmt.Fprintln(f.ErrOut)
		if err != nil {
			return "", fmt.Errorf("read client secret: %w", err)
		}
		if s := strings.TrimSpace(string(b)); s != "" {
			return s, nil
		}
		if sandboxClient {
			return config.SandboxClientSecret, nil
		}
		return "", flagErrorf("empty client secret")
	}
	if sandboxClient {
		return config.SandboxClientSecret, nil
	}
	return "", flagErrorf("no client secret: run in a terminal to be prompted, or pipe it with --client-secret-stdin")
}

// ProfileListOptions are the flags of `obpm profile list` (none yet; the
// type keeps the command the same shape as the others).
type ProfileListOptions struct{}

func newCmdProfileList(f *Factory, runF func(*ProfileListOptions) error) *cobra.Command {
	opts := &ProfileListOptions{}
	return &cobra.Command{
		Use:   "list",
		Short: "List profiles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return profileListRun(f, opts)
		},
	}
}

func profileListRun(f *Factory, _ *ProfileListOptions) error {
	path, err := config.Path(f.Getenv)
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	if len(cfg.Profiles) == 0 {
		fmt.Fprintf(f.ErrOut, "No profiles in %s. Add one: obpm profile add sandbox --provider sandbox\n", path)
		return nil
	}
	tw := tabwriter.NewWriter(f.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPROVIDER\tCLIENT ID\tREDIRECT URI\tDEFAULT")
	for _, n := range cfg.Names() {
		p := cfg.Profiles[n]
		def := ""
		if n == cfg.DefaultProfile {
			def = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n, p.Provider, p.ClientID, p.RedirectURI, def)
	}
	return tw.Flush()
}

// ProfileRemoveOptions are the flags of `obpm profile remove`.
type ProfileRemoveOptions struct {
	Name     string
	Insecure bool
}

func newCmdProfileRemove(f *Factory, runF func(*ProfileRemoveOptions) error) *cobra.Command {
	opts := &ProfileRemoveOptions{}
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a profile, its client secret and its stored tokens (run obpm logout first to revoke them)",
		Args:  exactArgs(1, "obpm profile remove NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return profileRemoveRun(cmd.Context(), f, opts)
		},
	}
	storageFlag(cmd, &opts.Insecure)
	return cmd
}

func profileRemoveRun(ctx context.Context, f *Factory, opts *ProfileRemoveOptions) error {
	env, err := openAuth(f, opts.Insecure)
	if err != nil {
		return err
	}
	name := opts.Name
	err = config.Update(ctx, env.cfgPath, func(cfg *config.Config) error {
		if cfg.Profiles[name] == nil {
			return &config.UnknownProfileError{Name: name, Path: env.cfgPath}
		}
		for _, k := range []tokenstore.Kind{tokenstore.User, tokenstore.Institution} {
			if err := env.tokens.Delete(ctx, name, k); err != nil {
				return err
			}
		}
		if err := env.tokens.DeleteSecret(ctx, name); err != nil {
			return err
		}
		delete(cfg.Profiles, name)
		if cfg.DefaultProfile == name {
			cfg.DefaultProfile = ""
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(f.ErrOut, "Profile %q removed from %s with its secret and tokens.\n", name, env.cfgPath)
	return nil
}
