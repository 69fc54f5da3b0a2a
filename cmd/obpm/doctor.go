package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/obpm/obpm/authhelper/client"
	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/daemon/api"
	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/oauthflow"
	"github.com/obpm/obpm/authhelper/tokenstore"
)

// DoctorOptions are the flags of `obpm doctor`.
type DoctorOptions struct {
	Profile  string
	Offline  bool
	Insecure bool
	// Scan is the folder searched for copies of the helper key that other
	// users can read (default: the current folder).
	Scan string
}

func newCmdDoctor(f *Factory, runF func(*DoctorOptions) error) *cobra.Command {
	opts := &DoctorOptions{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check keyring, config, ports, daemon, clock and proxy settings; one line each with the fix",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return doctorRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Profile, "profile", "p", "", "check only this profile")
	cmd.Flags().BoolVar(&opts.Offline, "offline", false, "skip checks that contact the provider (clock)")
	cmd.Flags().StringVar(&opts.Scan, "scan", ".", "folder to search (3 levels deep) for copies of the helper key that other users can read")
	storageFlag(cmd, &opts.Insecure)
	return cmd
}

type checkResult struct {
	level string // ok, warn, FAIL
	name  string
	msg   string
	fix   string
}

type doctor struct {
	f       *Factory
	results []checkResult
}

func (d *doctor) add(level, name, msg, fix string) {
	d.results = append(d.results, checkResult{level, name, msg, fix})
	line := fmt.Sprintf("%-4s  %-22s %s", level, name, msg)
	if fix != "" && level != "ok" {
		line += " — fix: " + fix
	}
	fmt.Fprintln(d.f.Out, line)
}

func doctorRun(ctx context.Context, f *Factory, opts *DoctorOptions) error {
	d := &doctor{f: f}
	env, err := openAuth(f, opts.Insecure)
	if err != nil {
		d.add("FAIL", "setup", err.Error(), "set OBPM_CONFIG_DIR")
		return ErrSilent
	}
	key := d.checkKeyring(ctx, env)
	cfg, err := env.loadConfig()
	if err != nil {
		d.add("FAIL", "config", err.Error(), "edit the file at the line named, or re-add the profile with `obpm profile add --force`")
	} else if len(cfg.Profiles) == 0 {
		d.add("warn", "config", "no profiles in "+env.cfgPath, "obpm profile add sandbox --provider sandbox")
	} else {
		d.add("ok", "config", fmt.Sprintf("%s: %d profile(s) valid", env.cfgPath, len(cfg.Profiles)), "")
	}
	daemonPort := d.checkDaemon(ctx, env)
	if daemonPort != 0 {
		d.checkPersisted(ctx, env)
	}
	if cfg != nil && opts.Profile != "" && cfg.Profiles[opts.Profile] == nil {
		d.add("FAIL", "profile "+opts.Profile, "not in "+env.cfgPath, "obpm profile list (or obpm profile add "+opts.Profile+" …)")
	}
	if cfg != nil {
		for _, n := range cfg.Names() {
			if opts.Profile != "" && n != opts.Profile {
				continue
			}
			d.checkProfile(ctx, env, cfg.Profiles[n], daemonPort, opts.Offline)
		}
	}
	d.checkProxy()
	if key != "" && opts.Scan != "" {
		d.checkKeyCopies(opts.Scan, key)
	}
	for _, r := range d.results {
		if r.level == "FAIL" {
			return ErrSilent
		}
	}
	return nil
}

// checkKeyring checks the store with a round trip and returns the helper
// key ("" when there is none or the store fails).
func (d *doctor) checkKeyring(ctx context.Context, env *authEnv) string {
	name := "keyring"
	if env.insecure {
		name = "insecure file store"
	}
	// A read first: it has the short timeout, so a hung Secret Service is
	// reported in seconds, not after a write's longer wait.
	key, keyErr := env.tokens.HelperKey(ctx)
	err := keyErr
	if errors.Is(keyErr, tokenstore.ErrNoHelperKey) {
		err = nil
	}
	probe := "doctor-probe"
	v := strconv.FormatInt(time.Now().UnixNano(), 36)
	got := v
	if err == nil {
		err = env.store.Set(ctx, probe, v)
	}
	if err == nil {
		got, err = env.store.Get(ctx, probe)
		_ = env.store.Delete(ctx, probe)
	}
	var tmo *keyring.TimeoutError
	switch {
	case errors.As(err, &tmo):
		d.add("FAIL", name, "no answer (locked?)", "unlock the keyring (printf PASSWORD | gnome-keyring-daemon --unlock --components=secrets) or log in to the desktop session")
	case errors.Is(err, keyring.ErrNoSessionBus):
		d.add("FAIL", name, keyring.ErrNoSessionBus.Error(), "start a D-Bus session (dbus-run-session -- $SHELL) and unlock gnome-keyring in it, or use --insecure-storage; obpm does not start one behind your back")
	case err != nil:
		d.add("FAIL", name, err.Error(), "install and unlock gnome-keyring (or KeePassXC's Secret Service), run inside a D-Bus session, or use --insecure-storage")
	case got != v:
		d.add("FAIL", name, "round trip returned a different value", "check the Secret Service provider")
	case env.insecure:
		d.add("ok", name, "set/get/delete round trip works (a plain file: prefer the OS keyring)", "")
	default:
		d.add("ok", name, "set/get/delete round trip works (service "+keyring.ServiceFromEnv(d.f.Getenv)+")", "")
	}
	if err == nil {
		if errors.Is(keyErr, tokenstore.ErrNoHelperKey) {
			d.add("warn", "helper key", "not created yet", "obpm env-key")
		} else {
			d.add("ok", "helper key", "present (print it with `obpm env-key`)", "")
		}
	}
	if err != nil || keyErr != nil {
		return ""
	}
	return key
}

// Bounds of the search for key copies: doctor must stay quick in a big tree.
const (
	scanDepth   = 3
	scanEntries = 20000
	scanMaxFile = 1 << 20
)

// checkKeyCopies looks under root for Postman environments and other JSON
// files holding the helper key that other users can read (group or other
// read permission): with the key they can take your tokens from the daemon.
func (d *doctor) checkKeyCopies(root, key string) {
	var found []string
	seen := 0
	_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if seen++; seen > scanEntries {
			return fs.SkipAll
		}
		if e.IsDir() {
			// Levels below root, however root is spelled ("." walks "a/b",
			// "/x" walks "/x/a/b", "x/" walks "x/a/b").
			rel, _ := filepath.Rel(root, p)
			depth := strings.Count(filepath.ToSlash(rel), "/") + 1
			if p != root && (depth >= scanDepth || e.Name() == "node_modules" || e.Name() == ".git") {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".json") {
			return nil
		}
		fi, err := e.Info()
		if err != nil || fi.Size() > scanMaxFile || fi.Mode().Perm()&0o044 == 0 {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(key)) {
			found = append(found, fmt.Sprintf("%s (mode %o)", p, fi.Mode().Perm()))
		}
		return nil
	})
	if len(found) == 0 {
		d.add("ok", "helper key copies", "no copy readable by other users under "+root, "")
		return
	}
	for _, p := range found {
		d.add("warn", "helper key copy", p+" holds the helper key and other users may read it", "chmod 600 the file (obpm generate --with-key writes the key only to an owner-only local/ folder), or rotate the key: delete it from the keyring and run obpm env-key")
	}
}

// checkDaemon finds the daemon where the other commands look for it
// (OBPM_HELPER_URL, the runtime file of `obpm serve`, the default port),
// checks that it proves it holds this user's key, and that it refuses a
// foreign Host and an Origin. It returns the daemon's port, 0 when no
// daemon of ours runs.
func (d *doctor) checkDaemon(ctx context.Context, env *authEnv) int {
	url, src, warn := client.Locate(d.f.Getenv, filepath.Dir(env.cfgPath))
	if warn != nil {
		d.add("warn", "daemon runtime file", warn.Error(), "")
	}
	c := client.New(url)
	if !c.Running(ctx) {
		d.add("warn", "daemon", "not running at "+url, "obpm serve (or obpm service install)")
		return 0
	}
	key, err := env.tokens.HelperKey(ctx)
	if err != nil {
		d.add("FAIL", "daemon", fmt.Sprintf("something answers at %s but the helper key is not readable here: %v", url, err), "obpm env-key")
		return 0
	}
	if err := c.Verify(ctx, key); err != nil {
		d.add("FAIL", "daemon", err.Error(), "stop the program on that port, then obpm serve")
		return 0
	}
	how := "found through " + string(src)
	d.add("ok", "daemon", fmt.Sprintf("running at %s (%s; it proved it holds your helper key)", url, how), "")
	for _, probe := range []struct {
		name   string
		header string
		value  string
	}{{"daemon foreign Host", "Host", "rebind.example"}, {"daemon Origin", "Origin", "https://evil.example"}} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/healthz", nil)
		if probe.header == "Host" {
			req.Host = probe.value
		} else {
			req.Header.Set(probe.header, probe.value)
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			d.add("FAIL", probe.name, err.Error(), "restart obpm serve")
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusForbidden {
			d.add("ok", probe.name, "refused (403)", "")
		} else {
			d.add("FAIL", probe.name, fmt.Sprintf("answered %d instead of 403", resp.StatusCode), "something else than obpm serve holds "+url)
		}
	}
	port, _ := strconv.Atoi(c.Addr[strings.LastIndex(c.Addr, ":")+1:])
	return port
}

func (d *doctor) checkProfile(ctx context.Context, env *authEnv, p *config.Profile, daemonPort int, offline bool) {
	name := "profile " + p.Name
	if _, err := env.tokens.Secret(ctx, p.Name); err != nil {
		d.add("FAIL", name, "client secret: "+err.Error(), "obpm profile add "+p.Name+" --force … --client-secret-stdin")
	} else {
		d.add("ok", name, "client secret in the store", "")
	}
	port := p.RedirectPort()
	if port > 0 {
		u, _ := p.Redirect()
		lns, err := oauthflow.ListenLoopback(u.Hostname(), port)
		switch {
		case err == nil:
			for _, l := range lns {
				l.Close()
			}
			d.add("ok", name+" port", fmt.Sprintf("redirect port %d is free for `obpm login`", port), "")
		case daemonPort == port:
			d.add("ok", name+" port", fmt.Sprintf("redirect port %d is held by obpm serve (it takes the callback)", port), "")
		default:
			d.add("FAIL", name+" port", fmt.Sprintf("redirect port %d is in use by another program", port), "stop that program, or run `obpm serve --port "+strconv.Itoa(port)+"`")
		}
	}
	if offline {
		return
	}
	_, tokenURL, _ := p.Endpoints()
	d.checkClock(ctx, name, tokenURL)
}

// checkClock compares the local clock with the provider's Date header:
// a skewed clock makes tokens look expired (or fresh) when they are not.
func (d *doctor) checkClock(ctx context.Context, name, endpoint string) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodHead, endpoint, nil)
	resp, err := d.f.httpClient().Do(req)
	if err != nil {
		d.add("warn", name+" provider", "not reachable: "+err.Error(), "start the provider (obpm sandbox) or check the network; the clock check needs it")
		return
	}
	resp.Body.Close()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		d.add("warn", "clock", "provider sent no Date header; not checked", "")
		return
	}
	skew := d.f.Now().Sub(date).Round(time.Second)
	if skew < 0 {
		skew = -skew
	}
	if skew > time.Minute {
		d.add("FAIL", "clock", fmt.Sprintf("differs from the provider by %s", skew), "enable time sync (timedatectl set-ntp true)")
		return
	}
	d.add("ok", "clock", fmt.Sprintf("within %s of the provider", max(skew, time.Second)), "")
}

// checkProxy: Go never proxies loopback, but Newman, curl and Postman may
// send 127.0.0.1 through HTTP(S)_PROXY unless NO_PROXY names it.
func (d *doctor) checkProxy() {
	var proxies []string
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"} {
		if d.f.Getenv(k) != "" {
			proxies = append(proxies, k)
		}
	}
	if len(proxies) == 0 {
		d.add("ok", "proxy", "no proxy variables set", "")
		return
	}
	noProxy := d.f.Getenv("NO_PROXY") + "," + d.f.Getenv("no_proxy")
	for _, h := range []string{"127.0.0.1", "localhost"} {
		if !strings.Contains(noProxy, h) {
			d.add("warn", "proxy", fmt.Sprintf("%s set and NO_PROXY lacks %s: Newman/curl may send helper and sandbox calls to the proxy", strings.Join(proxies, ", "), h), "export NO_PROXY=localhost,127.0.0.1,::1")
			return
		}
	}
	d.add("ok", "proxy", "proxy set, loopback excluded by NO_PROXY", "")
}

// checkPersisted reports tokens the daemon holds only in memory because the
// keyring refused the write: stopping the daemon now would lose them.
func (d *doctor) checkPersisted(ctx context.Context, env *authEnv) {
	dc, err := env.daemon(ctx)
	if err != nil || dc == nil {
		return
	}
	infos, err := dc.Profiles(ctx)
	if err != nil {
		return
	}
	bad := false
	for _, in := range infos {
		for _, st := range []api.TokenStatus{in.User, in.Institution} {
			if st.NotPersisted {
				bad = true
				d.add("FAIL", "profile "+in.Name+" "+string(st.Kind), "token not persisted: only the daemon's memory holds it ("+st.PersistError+")",
					"fix the keyring (see the keyring line) and keep the daemon running: it retries the write and flushes on shutdown")
			}
		}
	}
	if !bad {
		d.add("ok", "tokens persisted", "every token the daemon holds is in the store", "")
	}
}
