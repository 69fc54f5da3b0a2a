package main

import (
	"context"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/client"
	"github.com/obpm/obpm/authhelper/daemon"
	"github.com/obpm/obpm/authhelper/daemon/api"
	"github.com/obpm/obpm/authhelper/runfile"
)

// StatusOptions are the flags of `obpm status`.
type StatusOptions struct{ Insecure bool }

func newCmdStatus(f *Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List profiles with token expiry, refresh expiry and whether the daemon runs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), f, opts)
		},
	}
	storageFlag(cmd, &opts.Insecure)
	return cmd
}

func statusRun(ctx context.Context, f *Factory, opts *StatusOptions) (err error) {
	env, err := openAuth(f, opts.Insecure)
	if err != nil {
		return err
	}
	cfg, err := env.loadConfig()
	if err != nil {
		return err
	}
	url, src := env.locateHelper()
	var infos []api.ProfileInfo
	dc, derr := env.daemonAt(ctx, url)
	switch {
	case derr != nil:
		fmt.Fprintf(f.Out, "daemon: %v\n", derr)
	case dc != nil:
		fmt.Fprintf(f.Out, "daemon: running at %s (verified: it holds your helper key)\n", url)
		if infos, err = dc.Profiles(ctx); err != nil {
			return err
		}
	case src == client.FromRunfile:
		// The record names a live process that does not answer: a daemon
		// that is stopping or hung, or (where start times are unknown) a
		// PID that went to another process after a kill -9.
		fmt.Fprintf(f.Out, "daemon: not running at %s, where %s records it (a stale record, or a daemon that is stopping or hung; start one with `obpm serve`)\n",
			url, filepath.Join(filepath.Dir(env.cfgPath), runfile.Daemon))
	default:
		fmt.Fprintf(f.Out, "daemon: not running at %s (start it with `obpm serve`)\n", url)
	}
	if infos == nil {
		infos = daemon.ProfileInfos(ctx, cfg, env.manager(nil))
	}
	if len(infos) == 0 {
		fmt.Fprintf(f.Out, "no profiles in %s (add one: obpm profile add sandbox --provider sandbox)\n", env.cfgPath)
		return nil
	}
	tw := tabwriter.NewWriter(f.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tPROVIDER\tUSER TOKEN\tEXPIRES\tREFRESH EXPIRES\tUSER_SEQ_NO\tINSTITUTION TOKEN\tEXPIRES")
	for _, in := range infos {
		name := in.Name
		if in.Default {
			name += " *"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, in.Provider, state(in.User), at(in.User.ExpiresAt, f.Now()),
			at(in.User.RefreshExpiresAt, f.Now()), dash(in.User.UserSeqNo), state(in.Institution), at(in.Institution.ExpiresAt, f.Now()))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	defer func() {
		// A squatter on the daemon's port is a problem to fix, not a state:
		// the table shows the keyring's view, the exit status says it.
		if client.IsImpostor(derr) && err == nil {
			err = &ExitError{Code: exitError}
		}
	}()
	// The table has room for a state only; say why one is bad below it.
	for _, in := range infos {
		for _, st := range []api.TokenStatus{in.User, in.Institution} {
			if st.Message != "" && (st.State == api.TokenError || st.State == api.TokenLoginNeeded) {
				fmt.Fprintf(f.Out, "%s %s token: %s\n", in.Name, st.Kind, st.Message)
			}
			if st.NotPersisted {
				fmt.Fprintf(f.Out, "%s %s token: not persisted: the daemon holds it only in memory and retries the keyring write (%s); keep the daemon running and fix the keyring (obpm doctor)\n",
					in.Name, st.Kind, st.PersistError)
			}
		}
	}
	return nil
}

func state(s api.TokenStatus) string {
	st := string(s.State)
	if s.State == api.TokenLoginNeeded {
		st = "login needed"
	}
	if s.NotPersisted {
		st += " (not persisted)"
	}
	return st
}

func at(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	d := t.Sub(now).Round(time.Second)
	if d < 0 {
		return t.UTC().Format("2006-01-02 15:04Z") + " (past)"
	}
	return fmt.Sprintf("%s (in %s)", t.UTC().Format("2006-01-02 15:04Z"), d)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
