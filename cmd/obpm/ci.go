package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/internal/atomicfile"
	"github.com/obpm/obpm/internal/defaults"
)

// The environment variables that stand in for a profile where there is no
// config file and no keyring (CI), the way gh reads GH_TOKEN.
const (
	envProvider     = "OBPM_PROVIDER"      // sandbox, kftc-testbed, kftc-production or oauth2
	envBaseURL      = "OBPM_BASE_URL"      // the provider's address (optional but for the sandbox on another port)
	envClientID     = "OBPM_CLIENT_ID"     // turns the mode on
	envClientSecret = "OBPM_CLIENT_SECRET" // required
	envRefreshToken = "OBPM_REFRESH_TOKEN" // the user's refresh token; without it only the institution token
	envUserSeqNo    = "OBPM_USER_SEQ_NO"   // when the provider's refresh answer lacks user_seq_no
	envScope        = "OBPM_SCOPE"         // user scope (default: the provider's)
	envInstScope    = "OBPM_INSTITUTION_SCOPE"
	envTokenURL     = "OBPM_TOKEN_URL" // provider oauth2 only
)

// ciProfileName names the profile the environment describes.
const ciProfileName = "env"

// ciSeed is what the environment gave, to tell a rotated refresh token.
type ciSeed struct {
	refreshToken string
}

// openCIAuth returns the helper's environment built from OBPM_* variables
// alone when OBPM_CLIENT_ID is set and there is no config file, else nil.
// Secrets and tokens then live in memory only: nothing is written to disk,
// no keyring or D-Bus is touched, no daemon is asked.
func openCIAuth(f *Factory, profile string) (*authEnv, error) {
	if f.Getenv(envClientID) == "" {
		return nil, nil
	}
	path, err := config.Path(f.Getenv)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err == nil {
		return nil, nil // a config file wins: this machine has profiles
	}
	if profile != "" && profile != ciProfileName {
		return nil, fmt.Errorf("--profile %s: there is no config file (%s); with %s set, the profile comes from the OBPM_* variables (name %q)", profile, path, envClientID, ciProfileName)
	}
	p := &config.Profile{
		Name:             ciProfileName,
		Provider:         f.Getenv(envProvider),
		BaseURL:          f.Getenv(envBaseURL),
		ClientID:         f.Getenv(envClientID),
		RedirectURI:      defaults.HelperCallback, // never used: no login in this mode
		Scope:            f.Getenv(envScope),
		InstitutionScope: f.Getenv(envInstScope),
		TokenURL:         f.Getenv(envTokenURL),
	}
	if p.Provider == "" {
		return nil, fmt.Errorf("%s is set but %s is not: set it to one of %s", envClientID, envProvider, strings.Join(config.Providers(), ", "))
	}
	if p.Provider == config.ProviderOAuth2 {
		p.AuthorizeURL = p.TokenURL // never used here, but a profile needs one
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("the OBPM_* variables: %w", err)
	}
	secret := f.Getenv(envClientSecret)
	if secret == "" {
		return nil, fmt.Errorf("%s is set but %s is not: the client secret must come from the CI's secret store", envClientID, envClientSecret)
	}
	mem := &memStore{m: map[string]string{}}
	tokens := tokenstore.New(mem)
	ctx := context.Background()
	if err := tokens.SetSecret(ctx, p.Name, secret); err != nil {
		return nil, err
	}
	seed := &ciSeed{refreshToken: f.Getenv(envRefreshToken)}
	if seed.refreshToken != "" {
		// An access token already spent: the first use renews it with the
		// refresh token, in memory.
		t := &tokenstore.Token{AccessToken: "-", TokenType: "Bearer", RefreshToken: seed.refreshToken}
		t.Expiry = f.Now().Add(-1)
		if n := f.Getenv(envUserSeqNo); n != "" {
			t.Extra = map[string]any{"user_seq_no": n}
		}
		if err := tokens.Save(ctx, p.Name, tokenstore.User, t); err != nil {
			return nil, err
		}
	}
	return &authEnv{f: f, cfgPath: path, store: mem, tokens: tokens, ci: p, ciSeed: seed}, nil
}

// ciNoUser says whether the environment gave no refresh token, so only the
// institution token can be had.
func (e *authEnv) ciNoUser() bool { return e.ci != nil && e.ciSeed.refreshToken == "" }

// saveRefreshToken writes the user's current refresh token to path (0600)
// when asked; a CI secret cannot be updated from inside the job, so a
// rotated token is otherwise lost, which is said on stderr.
func (e *authEnv) saveRefreshToken(ctx context.Context, path string) error {
	if e.ci == nil {
		if path != "" {
			return flagErrorf("--write-refresh-token is for CI runs from OBPM_* variables (no config file); with a profile the keyring keeps the token")
		}
		return nil
	}
	t, err := e.tokens.Load(ctx, e.ci.Name, tokenstore.User)
	if err != nil || t.RefreshToken == "" {
		if path != "" {
			return fmt.Errorf("--write-refresh-token %s: no refresh token (set %s)", path, envRefreshToken)
		}
		return nil
	}
	rotated := t.RefreshToken != e.ciSeed.refreshToken
	if path == "" {
		if rotated {
			fmt.Fprintf(e.f.ErrOut, "obpm: the provider rotated the refresh token; %s is spent. Run with --write-refresh-token FILE to keep the new one and update the CI secret.\n", envRefreshToken)
		}
		return nil
	}
	if err := atomicfile.Write(path, []byte(t.RefreshToken+"\n"), 0o600); err != nil {
		return fmt.Errorf("--write-refresh-token: %w", err)
	}
	if rotated {
		fmt.Fprintf(e.f.ErrOut, "obpm: the provider rotated the refresh token; the new one is in %s (0600): put it into the CI secret %s\n", path, envRefreshToken)
	}
	return nil
}

// exportRefresh prints the refresh token (--kind refresh), or with export
// the OBPM_* lines to paste into a CI secret store, with a warning of what
// they grant.
func exportRefresh(ctx context.Context, e *authEnv, name string, export bool) error {
	t, err := e.tokens.Load(ctx, name, tokenstore.User)
	if err != nil || t.RefreshToken == "" {
		return &AuthError{Err: fmt.Errorf("profile %q has no refresh token: run `obpm login --profile %s` first", name, name)}
	}
	fmt.Fprintf(e.f.ErrOut, `warning: this refresh token, with the client secret, lets whoever holds it get access
tokens for the user of profile %q (every scope of the login) until it expires, without
the user. Keep it only in a CI secret store, never in the repository or a log. If the
provider rotates refresh tokens (KFTC, obpm sandbox), the first renewal in CI spends it and
this machine needs 'obpm login' again: prefer a login made for CI alone.
`, name)
	if !export {
		_, err := fmt.Fprintln(e.f.Out, t.RefreshToken)
		return err
	}
	p, err := e.profile(name)
	if err != nil {
		return err
	}
	secret, err := e.tokens.Secret(ctx, name)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	lines := []string{envProvider + "=" + p.Provider}
	if p.BaseURL != "" {
		lines = append(lines, envBaseURL+"="+p.BaseURL)
	}
	if p.Provider == config.ProviderOAuth2 {
		lines = append(lines, envTokenURL+"="+p.TokenURL)
	}
	lines = append(lines, envClientID+"="+p.ClientID)
	if secret != "" {
		lines = append(lines, envClientSecret+"="+secret)
	}
	lines = append(lines, envRefreshToken+"="+t.RefreshToken)
	if n := t.UserSeqNo(); n != "" {
		lines = append(lines, envUserSeqNo+"="+n)
	}
	_, err = fmt.Fprintln(e.f.Out, strings.Join(lines, "\n"))
	return err
}

// memStore is a keyring.Store in memory: CI runs keep every secret and
// token in the process only.
type memStore struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memStore) Get(_ context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (s *memStore) Set(_ context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
	return nil
}

func (s *memStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}
