package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/runfile"
	"github.com/obpm/obpm/sandbox"
)

// SandboxOptions are the flags of `obpm sandbox`.
type SandboxOptions struct {
	Addr          string
	AllowRemote   bool
	ClientID      string
	ClientSecret  string
	RedirectURIs  []string
	ClientUseCode string
	DataFile      string
	StateFile     string
	TokenTTL      time.Duration
	RefreshTTL    time.Duration
	Latency       time.Duration
	FailRate      float64
	PrintData     bool
	Verbose       bool

	// ready, when set (tests), receives the listening address.
	ready func(addr string)
}

func newCmdSandbox(f *Factory, runF func(*SandboxOptions) error) *cobra.Command {
	opts := &SandboxOptions{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a local, stateful Open Banking testbed",
		Long: `Run a local simulator of the KFTC Open Banking testbed: the OAuth consent page and
token endpoint, and every operation of the embedded API document, answered from seeded
users, accounts and histories. Nothing leaves your machine.

Without --client-id the sandbox registers the default client and prints its id, secret,
redirect URI and client_use_code.`,
		Example: `  obpm sandbox
  obpm sandbox --state sandbox.json --token-ttl 5s
  obpm sandbox --client-id my-app --client-secret s3cret --redirect-uri http://127.0.0.1:9000/cb
  obpm sandbox --redirect-uri http://127.0.0.1:9791/callback   # the built-in client, one more callback
  obpm sandbox --print-data > data.yaml && obpm sandbox --data data.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (opts.ClientID == "") != (opts.ClientSecret == "") {
				return flagErrorf("--client-id and --client-secret go together")
			}
			if opts.ClientID == "" && (len(opts.RedirectURIs) > 0 || opts.ClientUseCode != "") && opts.DataFile != "" {
				return flagErrorf("--redirect-uri and --client-use-code without --client-id change the built-in client; with --data, put them in the data file's client (redirect_uris, client_use_code)")
			}
			if opts.ClientID != "" && len(opts.RedirectURIs) == 0 {
				return flagErrorf("--client-id needs at least one --redirect-uri (the callback URL the client registers)")
			}
			if opts.FailRate < 0 || opts.FailRate > 1 {
				return flagErrorf("--fail-rate %v: want a number from 0 to 1", opts.FailRate)
			}
			if opts.TokenTTL < 0 || opts.RefreshTTL < 0 || opts.Latency < 0 {
				return flagErrorf("--token-ttl, --refresh-ttl and --latency must not be negative")
			}
			if !opts.AllowRemote && !opts.PrintData {
				if err := checkLoopback(opts.Addr); err != nil {
					return &FlagError{Err: err}
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return sandboxRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", sandbox.DefaultAddr, "address to listen on (loopback only unless --allow-remote)")
	fl.BoolVar(&opts.AllowRemote, "allow-remote", false, "allow a non-loopback --addr (the sandbox has no real security)")
	fl.StringVar(&opts.ClientID, "client-id", "", "register this client instead of the default one")
	fl.StringVar(&opts.ClientSecret, "client-secret", "", "the registered client's secret")
	fl.StringArrayVar(&opts.RedirectURIs, "redirect-uri", nil, "a registered callback URL of --client-id, or one more of the built-in client (repeatable)")
	fl.StringVar(&opts.ClientUseCode, "client-use-code", "", "the registered client's client_use_code (default "+sandbox.DefaultClientUseCode+")")
	fl.StringVar(&opts.DataFile, "data", "", "seed data YAML (users, accounts, clients) replacing the built-in data")
	fl.StringVar(&opts.StateFile, "state", "", "persist the state in this JSON file (restored at start)")
	fl.DurationVar(&opts.TokenTTL, "token-ttl", sandbox.DefaultTokenTTL, "access token lifetime, e.g. 5s to test refresh")
	fl.DurationVar(&opts.RefreshTTL, "refresh-ttl", 0, "refresh token lifetime (default token-ttl + 10 days)")
	fl.DurationVar(&opts.Latency, "latency", 0, "delay every API answer by this much")
	fl.Float64Var(&opts.FailRate, "fail-rate", 0, "share of API calls (0 to 1) answered with A0003")
	fl.BoolVar(&opts.PrintData, "print-data", false, "print the built-in seed data YAML and exit")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "log at debug level")
	return cmd
}

// sandboxGCPercent is the sandbox's GOGC unless the environment sets one.
const sandboxGCPercent = 200

// checkLoopback refuses addresses reachable from other machines: the
// sandbox hands out tokens to anyone who asks.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: want host:port such as %s: %w", addr, sandbox.DefaultAddr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %q is not a loopback address: use 127.0.0.1 or [::1], or add --allow-remote", addr)
}

func sandboxRun(ctx context.Context, f *Factory, opts *SandboxOptions) error {
	ctx, stop := stopOnHangup(ctx)
	defer stop()
	out, errOut := f.Out, f.ErrOut
	if opts.PrintData {
		_, err := out.Write(sandbox.SeedYAML())
		return err
	}
	// The sandbox's live heap is small and its requests allocate: at the
	// default GOGC=100 the collector ran every few thousand requests, a
	// tenth of the CPU under load. 200 cut a request's server CPU by about
	// a tenth, for a heap up to 3x its live size instead of 2x (~8 MB more
	// RSS when fresh, ~1.4x with a long in-memory history: bench/RESULTS.md).
	// GOGC, when set, is the user's choice.
	if f.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(sandboxGCPercent))
	}
	level := slog.LevelInfo
	if opts.Verbose {
		level = slog.LevelDebug
	}
	// A log line per request: batched, not a write call each (LogWriter).
	logOut := sandbox.NewLogWriter(errOut)
	defer logOut.Close()
	cfg := sandbox.Config{
		StateFile: opts.StateFile, TokenTTL: opts.TokenTTL, RefreshTTL: opts.RefreshTTL,
		Latency: opts.Latency, FailRate: opts.FailRate, Now: f.Now,
		Logger: slog.New(sandbox.NewLogHandler(logOut, &slog.HandlerOptions{Level: level})),
	}
	if opts.DataFile != "" {
		d, err := sandbox.LoadData(opts.DataFile)
		if err != nil {
			return err
		}
		cfg.Data = d
	}
	switch {
	case opts.ClientID != "":
		cfg.Clients = []sandbox.Client{sandbox.NewClient(opts.ClientID, opts.ClientSecret, opts.RedirectURIs, opts.ClientUseCode)}
	case len(opts.RedirectURIs) > 0 || opts.ClientUseCode != "":
		// The built-in client with more callbacks (a helper on another
		// port: obpm serve --port N) or another client_use_code, without
		// repeating its public id and secret.
		c := sandbox.DefaultClient()
		for _, u := range opts.RedirectURIs {
			if !slices.Contains(c.RedirectURIs, u) {
				c.RedirectURIs = append(c.RedirectURIs, u)
			}
		}
		if opts.ClientUseCode != "" {
			c.ClientUseCode = opts.ClientUseCode
		}
		cfg.Clients = []sandbox.Client{c}
	}
	srv, err := sandbox.New(cfg)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := srv.Close(); cerr != nil {
			fmt.Fprintf(errOut, "obpm sandbox: %v\n", cerr)
		}
	}()
	ln, err := net.Listen("tcp", opts.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on %s: port in use (is another obpm sandbox running? stop it, or pick another --addr)", opts.Addr)
	}
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pick another --addr)", opts.Addr, err)
	}
	base := "http://" + ln.Addr().String()
	// Record where the sandbox listens (owner-only file in the config
	// folder) so that `obpm generate --with-key` writes the real base_url.
	if dir, err := config.Dir(f.Getenv); err == nil {
		if runfile.Write(dir, runfile.Sandbox, runfile.Record{URL: base, Port: ln.Addr().(*net.TCPAddr).Port, Started: time.Now().UTC()}) == nil {
			defer runfile.Remove(dir, runfile.Sandbox, os.Getpid())
		}
	}
	logOut.Flush() // warnings of New before the banner
	printBanner(f, opts, srv, base)
	if opts.ready != nil {
		opts.ready(ln.Addr().String())
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("sandbox on %s: %w", opts.Addr, err)
	case <-ctx.Done():
	}
	// Shut down on SIGINT/SIGTERM (root.go cancels ctx) or SIGHUP: finish the requests
	// in flight, then return cleanly.
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shut down sandbox: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sandbox on %s: %w", opts.Addr, err)
	}
	_ = logOut.Close() // the last requests' lines before "stopped"
	fmt.Fprintln(errOut, "obpm sandbox: stopped")
	return nil
}

// printBanner shows what a newcomer copies into Postman or the helper.
func printBanner(f *Factory, opts *SandboxOptions, srv *sandbox.Server, base string) {
	w := tabwriter.NewWriter(f.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "obpm sandbox listening on %s\n", base)
	fmt.Fprintf(w, "  authorize\t%s/oauth/2.0/authorize\n", base)
	fmt.Fprintf(w, "  token\t%s/oauth/2.0/token\n", base)
	for _, c := range srv.Clients() {
		secret := c.Secret
		if opts.ClientSecret != "" {
			secret = "(as given by --client-secret)"
		}
		fmt.Fprintf(w, "  client_id\t%s\n  client_secret\t%s\n  redirect_uri\t%s\n  client_use_code\t%s\n",
			c.ID, secret, strings.Join(c.RedirectURIs, " "), c.ClientUseCode)
	}
	if opts.StateFile != "" {
		fmt.Fprintf(w, "  state file\t%s\n", opts.StateFile)
	}
	if opts.TokenTTL != sandbox.DefaultTokenTTL {
		fmt.Fprintf(w, "  token ttl\t%s\n", opts.TokenTTL)
	}
	for _, u := range srv.Users() {
		fmt.Fprintf(w, "  test user\t%s (%s, user_seq_no %s)\n", u.ID, u.Name, u.UserSeqNo)
	}
	w.Flush()
}
