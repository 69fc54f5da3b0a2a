package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/client"
	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/session"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/internal/filelock"
)

// addAuthCommands adds the OAuth helper's commands (issue 6) and exec (issue 7).
func addAuthCommands(root *cobra.Command, f *Factory) {
	root.AddCommand(
		newCmdProfile(f, nil),
		newCmdServe(f, nil),
		newCmdLogin(f, nil),
		newCmdToken(f, nil),
		newCmdExec(f, nil),
		newCmdStatus(f, nil),
		newCmdLogout(f, nil),
		newCmdDoctor(f, nil),
		newCmdEnvKey(f, nil),
		newCmdService(f, nil),
	)
}

// authEnv is what the helper's commands share: the config file, the secret
// store and the token store, opened once per command.
type authEnv struct {
	f        *Factory
	cfgPath  string
	store    keyring.Store
	tokens   *tokenstore.Store
	insecure bool
	// ci is the profile OBPM_* variables describe when there is no config
	// file (ci.go); ciSeed what they gave.
	ci     *config.Profile
	ciSeed *ciSeed
}

// storageFlag adds --insecure-storage to a command.
func storageFlag(cmd *cobra.Command, insecure *bool) {
	cmd.Flags().BoolVar(insecure, "insecure-storage", false, "keep secrets and tokens in a 0600 file instead of the OS keyring (warned about on every use; also OBPM_INSECURE_STORAGE=1)")
}

// openAuth opens the config path and the store; with insecure storage it
// prints the warning every time.
func openAuth(f *Factory, insecure bool) (*authEnv, error) {
	path, err := config.Path(f.Getenv)
	if err != nil {
		return nil, err
	}
	insecure = insecure || keyring.Insecure(f.Getenv)
	st, warning, err := f.openStore(f.Getenv, filepath.Dir(path), insecure)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		fmt.Fprintln(f.ErrOut, warning)
	}
	return &authEnv{f: f, cfgPath: path, store: st, tokens: tokenstore.New(st), insecure: insecure}, nil
}

func (e *authEnv) loadConfig() (*config.Config, error) { return config.Load(e.cfgPath) }

func (e *authEnv) loader() session.ConfigLoader {
	load, _ := e.loaders()
	return load
}

// loaders returns the config loader and, when the config is a file, the
// same file's LoadWatched (nil otherwise: the daemon then uses load).
func (e *authEnv) loaders() (load, watched session.ConfigLoader) {
	if e.ci != nil {
		cfg := &config.Config{DefaultProfile: e.ci.Name, Profiles: map[string]*config.Profile{e.ci.Name: e.ci}}
		return func() (*config.Config, string, error) { return cfg, "the OBPM_* variables", nil }, nil
	}
	fc := session.NewFileConfig(e.cfgPath)
	return fc.Load, fc.LoadWatched
}

// profile returns the named (or default) profile.
func (e *authEnv) profile(name string) (*config.Profile, error) {
	if e.ci != nil {
		return e.ci, nil
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	return cfg.Profile(name, e.cfgPath)
}

func (e *authEnv) manager(log *slog.Logger) *session.Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &session.Manager{Store: e.tokens, Log: log, Now: e.f.Now,
		Resolve: session.NewResolver(e.loader(), e.tokens, e.f.httpClient(), e.f.Now)}
	if e.ci == nil {
		// Tokens in the keyring are shared by every process of the user;
		// CI mode's live in this process's memory and need no lock file.
		m.Lock = session.FileLocks(filepath.Join(filepath.Dir(e.cfgPath), "locks"))
	}
	return m
}

// ensureHelperKey is tokenstore.EnsureHelperKey under a lock file shared by
// the user's obpm processes: without it, an `obpm serve` and an
// `obpm env-key` started together on a fresh install would each store a
// key of their own, and one of them would go on with a key the keyring no
// longer holds (clients refuse the daemon, or Postman's key is refused).
func (e *authEnv) ensureHelperKey(ctx context.Context) (key string, created bool, err error) {
	unlock, err := filelock.Lock(ctx, filepath.Join(filepath.Dir(e.cfgPath), "locks", "helper-key.lock"))
	if err != nil {
		return "", false, fmt.Errorf("create the helper key: %w", err)
	}
	defer unlock()
	return e.tokens.EnsureHelperKey(ctx)
}

// flush is the end of a daemon-less command that may have renewed a token:
// a token the keyring refused is retried a few times (a keyring hiccup)
// before the command ends and the only copy of a rotated refresh token with it.
func (e *authEnv) flush(ctx context.Context, m *session.Manager) {
	err := m.Flush(ctx)
	for wait := 250 * time.Millisecond; err != nil && wait <= 2*time.Second; wait *= 2 {
		select {
		case <-ctx.Done():
			fmt.Fprintln(e.f.ErrOut, "warning: "+err.Error())
			return
		case <-time.After(wait):
		}
		err = m.Flush(ctx)
	}
	if err != nil {
		fmt.Fprintln(e.f.ErrOut, "warning: "+err.Error())
	}
}

// helperURL is where the daemon is expected: OBPM_HELPER_URL, else the
// runtime file `obpm serve` writes into the config folder (any port), else
// the default.
func (e *authEnv) helperURL() string {
	u, _ := e.locateHelper()
	return u
}

// locateHelper is helperURL and where it came from.
func (e *authEnv) locateHelper() (string, client.Source) {
	u, src, warn := client.Locate(e.f.Getenv, filepath.Dir(e.cfgPath))
	if warn != nil {
		fmt.Fprintln(e.f.ErrOut, "warning:", warn)
	}
	return u, src
}

// daemon returns a verified client of the running daemon (see helperURL),
// or nil when none answers.
func (e *authEnv) daemon(ctx context.Context) (*client.Client, error) {
	if e.ci != nil {
		return nil, nil // CI: tokens come from the OBPM_* variables, not a daemon
	}
	return e.daemonAt(ctx, e.helperURL())
}

// daemonAt returns a client of the daemon at url once it has proved that
// it holds this user's helper key (client.Verify), nil when no obpm daemon
// answers there, and a *client.ImpostorError when something answers that
// cannot prove it: the key is never sent to it.
func (e *authEnv) daemonAt(ctx context.Context, url string) (*client.Client, error) {
	if err := client.CheckLocal(url); err != nil {
		return nil, err
	}
	c := client.New(url)
	if !c.Running(ctx) {
		return nil, nil
	}
	key, err := e.tokens.HelperKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("the helper daemon runs at %s but its key is not readable here: %w", url, err)
	}
	if err := c.Verify(ctx, key); err != nil {
		return nil, err
	}
	return c, nil
}

// asAuthError turns "log in again" failures into AuthError (exit 4).
func asAuthError(err error) error {
	var lr *session.LoginRequiredError
	var api *client.APIError
	if errors.As(err, &lr) || (errors.As(err, &api) && api.ErrorResponse.Error == "login_required") {
		return &AuthError{Err: err}
	}
	return err
}

// exactArgs is cobra.ExactArgs as a usage error (exit 2).
func exactArgs(n int, usage string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return flagErrorf("want %d argument(s), got %d: %s", n, len(args), usage)
		}
		return nil
	}
}
