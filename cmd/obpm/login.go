package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/pkg/browser"
	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/client"
	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/daemon"
	"github.com/obpm/obpm/authhelper/daemon/api"
	"github.com/obpm/obpm/authhelper/oauthflow"
)

// LoginOptions are the flags of `obpm login`.
type LoginOptions struct {
	Profile     string
	NoBrowser   bool
	Timeout     time.Duration
	Insecure    bool
	OpenBrowser func(string) error
}

func newCmdLogin(f *Factory, runF func(*LoginOptions) error) *cobra.Command {
	opts := &LoginOptions{OpenBrowser: browser.OpenURL}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in with the browser (3-legged OAuth) and store the user token in the keyring",
		Long: `Start the provider's login in the browser and wait for its callback on the
profile's redirect URI, exactly as registered. When 'obpm serve' runs on that port,
the daemon owns the callback; otherwise login serves it itself for the duration.
The authorize URL is printed on a line of its own for remote shells.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Timeout <= 0 {
				return flagErrorf("--timeout must be positive")
			}
			if runF != nil {
				return runF(opts)
			}
			return loginRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Profile, "profile", "p", "", "profile name (default: the config's default profile)")
	cmd.Flags().BoolVar(&opts.NoBrowser, "no-browser", false, "only print the URL; do not open a browser")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "how long to wait for the browser to come back")
	storageFlag(cmd, &opts.Insecure)
	return cmd
}

func loginRun(ctx context.Context, f *Factory, opts *LoginOptions) error {
	env, err := openAuth(f, opts.Insecure)
	if err != nil {
		return err
	}
	p, err := env.profile(opts.Profile)
	if err != nil {
		return err
	}
	if _, err := env.tokens.Secret(ctx, p.Name); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	daemonURL := env.helperURL()
	if port := p.RedirectPort(); port > 0 {
		daemonURL = "http://127.0.0.1:" + strconv.Itoa(port)
	}
	dc, err := env.daemonAt(ctx, daemonURL)
	if err != nil {
		return err
	}
	var res loginSummary
	if dc != nil {
		res, err = loginViaDaemon(ctx, f, opts, dc, p)
	} else {
		res, err = loginLocal(ctx, f, opts, env, p)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("login timed out after %s: the browser did not come back to %s (run `obpm login` again; --timeout sets the wait)", opts.Timeout, p.RedirectURI)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(f.ErrOut, "Logged in: profile %s", p.Name)
	if res.userSeqNo != "" {
		fmt.Fprintf(f.ErrOut, ", user_seq_no %s", res.userSeqNo)
	}
	if res.scope != "" {
		fmt.Fprintf(f.ErrOut, ", scope %q", res.scope)
	}
	if !res.expires.IsZero() {
		fmt.Fprintf(f.ErrOut, ", token valid until %s", res.expires.UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(f.ErrOut)
	return nil
}

type loginSummary struct {
	userSeqNo, scope string
	expires          time.Time
}

func showURL(f *Factory, opts *LoginOptions, u string) {
	fmt.Fprintln(f.ErrOut, "Open this URL in a browser to log in:")
	fmt.Fprintln(f.ErrOut, u)
	if !opts.NoBrowser && opts.OpenBrowser != nil {
		// A failed browser start is not fatal: the URL is on screen.
		if err := opts.OpenBrowser(u); err != nil {
			fmt.Fprintf(f.ErrOut, "(could not open a browser: %v; open the URL yourself)\n", err)
		}
	}
	fmt.Fprintln(f.ErrOut, "Waiting for the browser to come back… (Ctrl-C to stop)")
}

func loginViaDaemon(ctx context.Context, f *Factory, opts *LoginOptions, dc *client.Client, p *config.Profile) (loginSummary, error) {
	start, err := dc.StartLogin(ctx, p.Name)
	if err != nil {
		return loginSummary{}, err
	}
	fmt.Fprintf(f.ErrOut, "The helper daemon at %s takes the callback.\n", dc.BaseURL)
	defer func() {
		if ctx.Err() != nil {
			// Ctrl-C or the timeout: the daemon must not finish this login
			// later behind the user's back.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
			defer cancel()
			_ = dc.CancelLogin(cctx, p.Name, start.LoginID)
		}
	}()
	showURL(f, opts, start.AuthorizeURL)
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return loginSummary{}, ctx.Err()
		case <-tick.C:
		}
		st, err := dc.LoginStatus(ctx, p.Name, start.LoginID)
		if err != nil {
			if ctx.Err() != nil {
				return loginSummary{}, ctx.Err()
			}
			return loginSummary{}, err
		}
		switch st.Status {
		case api.LoginSucceeded:
			s := loginSummary{userSeqNo: st.UserSeqNo, scope: st.Scope}
			if st.ExpiresAt != nil {
				s.expires = *st.ExpiresAt
			}
			return s, nil
		case api.LoginFailed:
			return loginSummary{}, &AuthError{Err: errors.New("login failed: " + oauthflow.SafeText(st.Message))}
		}
	}
}

// loginLocal serves the callback itself on the redirect URI's host and port.
func loginLocal(ctx context.Context, f *Factory, opts *LoginOptions, env *authEnv, p *config.Profile) (loginSummary, error) {
	u, err := url.Parse(p.RedirectURI)
	if err != nil {
		return loginSummary{}, err
	}
	origHost := u.Hostname()
	wantPort, _ := strconv.Atoi(u.Port())
	lns, err := oauthflow.ListenLoopback(origHost, wantPort)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return loginSummary{}, fmt.Errorf("port %s for the callback (%s) is in use by another program: stop it, or run `obpm serve --port %s` so the daemon takes the callback", u.Port(), p.RedirectURI, u.Port())
		}
		return loginSummary{}, fmt.Errorf("serve the callback %s: %w", p.RedirectURI, err)
	}
	port := strconv.Itoa(lns[0].Addr().(*net.TCPAddr).Port)
	redirect := p.RedirectURI
	if u.Port() == "0" {
		u.Host = net.JoinHostPort(origHost, port)
		redirect = u.String()
	}
	logins := oauthflow.NewLogins(env.manager(nil).CompleteLogin, slog.New(slog.DiscardHandler), f.Now)
	closeAll := func() {
		for _, l := range lns {
			l.Close()
		}
	}
	a, err := oauthflow.NewAuthorization(p, redirect, f.Now())
	if err != nil {
		closeAll()
		return loginSummary{}, err
	}
	if err := logins.Add(a); err != nil {
		closeAll()
		return loginSummary{}, err
	}
	srv := &http.Server{Handler: daemon.Guard(logins, slog.New(slog.DiscardHandler)), ReadHeaderTimeout: 10 * time.Second}
	for _, l := range lns {
		go func() { _ = srv.Serve(l) }()
	}
	defer func() {
		// Shutdown lets the browser receive its page before the port closes.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	showURL(f, opts, a.URL)
	res, err := logins.Wait(ctx, a.ID)
	if err != nil {
		logins.Cancel(a.ID, err)
		return loginSummary{}, err
	}
	if res.Status != oauthflow.StatusSucceeded {
		return loginSummary{}, &AuthError{Err: fmt.Errorf("login failed: %w", res.Err)}
	}
	return loginSummary{userSeqNo: res.Token.UserSeqNo(), scope: res.Token.Scope, expires: res.Token.Expiry}, nil
}
