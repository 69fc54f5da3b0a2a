package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/client"
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
	// One daemon per config folder: a second one would replace the first's
	// daemon.json, and once it stopped no command would find the first.
	// The check and the record are made under one lock, so that two
	// daemons starting together cannot both find the place free.
	cfgDir := filepath.Dir(env.cfgPath)
	lockCtx, cancelLock := context.WithTimeout(ctx, 30*time.Second)
	unlock, err := runfile.Lock(lockCtx, cfgDir, runfile.Daemon)
	cancelLock()
	if err != nil {
		return fmt.Errorf("start the helper daemon: %w", err)
	}
	release := sync.OnceFunc(unlock)
	defer release()
	if err := refuseSecondDaemon(ctx, f, cfgDir, key); err != nil {
		return err
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
	rec := runfile.Record{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Port: port, Started: f.Now().UTC()}
	if err := runfile.Write(cfgDir, runfile.Daemon, rec); err != nil {
		fmt.Fprintf(f.ErrOut, "warning: other obpm commands will not find this daemon: %v\n", err)
	} else {
		defer runfile.Remove(cfgDir, runfile.Daemon, os.Getpid())
	}
	release()
	fmt.Fprintf(f.ErrOut, "obpm helper listening on http://127.0.0.1:%d%s (Ctrl-C to stop)\n", port, also)
	if err := srv.Run(ctx, ls); err != nil {
		return fmt.Errorf("helper daemon: %w", err)
	}
	fmt.Fprintln(f.ErrOut, "obpm helper stopped")
	return nil
}

// refuseSecondDaemon returns an error when daemon.json in cfgDir names a
// live helper daemon of this user: one that proves it holds the helper key
// (client.Verify; nothing is sent to a daemon that cannot), or, where
// process start times are known, the very process that wrote the record.
// A stale record (its process ended, or its PID went to another process)
// is replaced as before. A daemon that is stopping still has its record
// for a moment, so a record that does not answer is looked at again for a
// few seconds before it is judged.
func refuseSecondDaemon(ctx context.Context, f *Factory, cfgDir, key string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	path := filepath.Join(cfgDir, runfile.Daemon)
	for {
		r, err := runfile.Read(cfgDir, runfile.Daemon)
		if err != nil {
			if !errors.Is(err, runfile.ErrNone) {
				fmt.Fprintf(f.ErrOut, "warning: %v; this daemon records itself in its place\n", err)
			}
			return nil
		}
		verr := client.CheckLocal(r.URL)
		if verr == nil {
			verr = client.New(r.URL).Verify(ctx, key)
		}
		if verr == nil {
			return fmt.Errorf("another `obpm serve` already runs for this config folder: pid %d at %s (recorded in %s; it proved it holds your helper key). "+
				"Every obpm command finds it there, so use it; to run it on another port, stop it first "+
				"(`obpm service stop` if the service runs it, else `kill %d`) and start again", r.PID, r.URL, path, r.PID)
		}
		select {
		case <-ctx.Done():
			if r.ProcStart != 0 {
				// Read checked the start time: the process that wrote the
				// record still runs. Starting beside it would hide it.
				return fmt.Errorf("obpm serve pid %d, recorded in %s, still runs but did not answer at %s as your daemon within 5s (%v): "+
					"it may be starting or stopping, be hung, or hold a helper key that has since changed; try again, or stop it (`obpm service stop` if the service runs it, else `kill %d`) and start again",
					r.PID, path, r.URL, verr, r.PID)
			}
			fmt.Fprintf(f.ErrOut, "warning: %s names pid %d at %s, which does not answer as your daemon (%v); this daemon records itself in its place\n", path, r.PID, r.URL, verr)
			return nil
		case <-time.After(250 * time.Millisecond):
		}
	}
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
