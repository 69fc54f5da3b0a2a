package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/daemon"
	"github.com/obpm/obpm/authhelper/runfile"
)

// ServeOptions are the flags of `obpm serve`.
type ServeOptions struct {
	Port         int
	RefreshEvery time.Duration
	Debug        bool
	Insecure     bool
}

func newCmdServe(f *Factory, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the token helper daemon on 127.0.0.1 (Postman/Newman/curl fetch fresh tokens from it)",
		Long: `Run the helper daemon on 127.0.0.1 and [::1] only. It loads tokens from the
keyring, renews them before they expire, serves them to callers presenting the
per-install key (obpm env-key), and owns the login callback of every profile whose
redirect URI points at its port. Stop it with Ctrl-C (graceful).

Routes: GET /healthz, GET /v1/profiles, GET /v1/profiles/{p}/token?kind=user|institution,
POST /v1/profiles/{p}/login, POST /v1/profiles/{p}/logout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Port < 0 || opts.Port > 65535 {
				return flagErrorf("--port %d: want 0-65535", opts.Port)
			}
			if runF != nil {
				return runF(opts)
			}
			return serveRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().IntVar(&opts.Port, "port", daemon.DefaultPort, "port on 127.0.0.1 and [::1]")
	cmd.Flags().DurationVar(&opts.RefreshEvery, "refresh-every", 5*time.Second, "how often to look for tokens due for renewal")
	cmd.Flags().BoolVar(&opts.Debug, "debug", false, "log every request (method, path, status; never tokens)")
	storageFlag(cmd, &opts.Insecure)
	return cmd
}

func serveRun(ctx context.Context, f *Factory, opts *ServeOptions) error {
	ctx, stop := stopOnHangup(ctx)
	defer stop()
	level := slog.LevelInfo
	if opts.Debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(f.ErrOut, &slog.HandlerOptions{Level: level}))
	env, err := openAuth(f, opts.Insecure)
	if err != nil {
		return err
	}
	if _, err := env.loadConfig(); err != nil {
		return err
	}
	key, created, err := env.ensureHelperKey(ctx)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintln(f.ErrOut, "Created the helper key; print it with `obpm env-key` for the Postman environment (obpm_helper_key).")
	}
	ls, err := daemon.Listen(opts.Port)
	if err != nil {
		return err
	}
	port := ls[0].Addr().(*net.TCPAddr).Port
	load, watched := env.loaders()
	srv := daemon.New(daemon.Options{Manager: env.manager(log), Config: load, ConfigWatched: watched, Key: key, Port: port,
		Log: log, Now: f.Now, RefreshEvery: opts.RefreshEvery})
	also := ""
	if len(ls) > 1 {
		also = fmt.Sprintf(" and http://[::1]:%d", port)
	}
	// Record where we listen so that every other command finds this daemon
	// on any port (owner-only file; removed when we stop).
	cfgDir := filepath.Dir(env.cfgPath)
	rec := runfile.Record{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Port: port, Started: f.Now().UTC()}
	if err := runfile.Write(cfgDir, runfile.Daemon, rec); err != nil {
		fmt.Fprintf(f.ErrOut, "warning: other obpm commands will not find this daemon: %v\n", err)
	} else {
		defer runfile.Remove(cfgDir, runfile.Daemon, os.Getpid())
	}
	fmt.Fprintf(f.ErrOut, "obpm helper listening on http://127.0.0.1:%d%s (Ctrl-C to stop)\n", port, also)
	if err := srv.Run(ctx, ls); err != nil {
		return fmt.Errorf("helper daemon: %w", err)
	}
	fmt.Fprintln(f.ErrOut, "obpm helper stopped")
	return nil
}

// stopOnHangup cancels ctx on SIGHUP as Main does on SIGINT and SIGTERM, for
// the long-running commands: a closed terminal or a dropped ssh session
// then stops them as Ctrl-C does (tokens not yet saved are flushed, the
// runtime file is removed) instead of killing them where they stand. Under
// nohup SIGHUP is ignored and must stay so: Notify would undo that.
func stopOnHangup(ctx context.Context) (context.Context, context.CancelFunc) {
	if signal.Ignored(syscall.SIGHUP) {
		return context.WithCancel(ctx)
	}
	return signal.NotifyContext(ctx, syscall.SIGHUP)
}
