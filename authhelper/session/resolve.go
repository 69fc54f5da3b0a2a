package session

import (
	"context"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/oauthflow"
	"github.com/obpm/obpm/authhelper/tokenstore"
)

// ConfigLoader returns the current config and its path (re-read on each call
// so that `obpm profile add` takes effect in a running daemon). When the file
// cannot be read or parsed the error is a *ConfigError, and the config is the
// last good one (nil if there was none): a user's half-finished edit must not
// take away tokens the daemon holds.
type ConfigLoader func() (*config.Config, string, error)

// ConfigError says the config file is unreadable now (a hand edit in
// progress, a syntax error). Stale reports that a last good config was
// returned along with it.
type ConfigError struct {
	Err   error
	Stale bool
}

func (e *ConfigError) Error() string {
	if e.Stale {
		return e.Err.Error() + " (using the last readable version until it is fixed)"
	}
	return e.Err.Error()
}

func (e *ConfigError) Unwrap() error { return e.Err }

type loadedKey struct{}

// loaded is the context WithConfig returns: one allocation per token read,
// where context.WithValue and the boxed value were two.
type loaded struct {
	context.Context
	cfg  *config.Config
	path string
}

// Value answers loadedKey with the *loaded itself (a pointer: no
// allocation to box it) and passes every other key to the parent, so
// that contexts derived from it (WithCancel, WithTimeout) still find the
// parent's cancellation without a goroutine.
func (l *loaded) Value(key any) any {
	if key == (loadedKey{}) {
		return l
	}
	return l.Context.Value(key)
}

// WithConfig returns ctx carrying cfg, a config its caller has just had from
// the loader without error: a resolver called with it uses it rather than
// loading again. A token read checks the profile and then resolves it; with
// this it looks at the config file once, not twice, and both steps see the
// same version of it.
func WithConfig(ctx context.Context, cfg *config.Config, path string) context.Context {
	if cfg == nil {
		return ctx
	}
	return &loaded{ctx, cfg, path}
}

func loadedConfig(ctx context.Context) (*config.Config, string, error) {
	if l, ok := ctx.Value(loadedKey{}).(*loaded); ok {
		return l.cfg, l.path, nil
	}
	return nil, "", nil
}

// NewResolver resolves profiles from the config file and client secrets from
// the store. Secrets are cached per profile until the config changes (the
// loader returns a new *Config), so that serving a fresh token costs no
// keyring round trip, while `obpm profile add --force` with a new secret is
// seen by a running daemon. hc may be nil. The clients are cached with
// their secrets (no allocation per token read): callers only read them.
//
// The cache is read without a lock (a token read takes none): it is a map
// never written once published, replaced by a copy when a client is added.
func NewResolver(load ConfigLoader, store *tokenstore.Store, hc *http.Client, now func() time.Time) Resolver {
	type cache struct {
		of      *config.Config               // the config the clients belong to
		clients map[string]*oauthflow.Client // by the name asked for ("" is the default profile)
	}
	var (
		mu  sync.Mutex // orders the copies
		cur atomic.Pointer[cache]
	)
	return func(ctx context.Context, name string) (*oauthflow.Client, error) {
		cfg, path, err := loadedConfig(ctx)
		if cfg == nil {
			cfg, path, err = load()
		}
		if cfg == nil {
			return nil, err
		}
		if c := cur.Load(); c != nil && c.of == cfg {
			if cl := c.clients[name]; cl != nil {
				return cl, nil
			}
		}
		p, err := cfg.Profile(name, path)
		if err != nil {
			return nil, err
		}
		secret, err := store.Secret(ctx, p.Name)
		if err != nil {
			return nil, err
		}
		cl := &oauthflow.Client{Profile: p, Secret: secret, HTTP: hc, Now: now, Ident: p.ClientIdentity()}
		mu.Lock()
		defer mu.Unlock()
		next := &cache{of: cfg, clients: map[string]*oauthflow.Client{}}
		if c := cur.Load(); c != nil && c.of == cfg {
			maps.Copy(next.clients, c.clients)
		}
		next.clients[name] = cl
		cur.Store(next)
		return cl, nil
	}
}

// FileLoader loads the config at path, parsing it again only when the
// file changed (a token read should not parse YAML; an edit by `obpm
// profile add` is still seen at once). It is NewFileConfig(path).Load.
func FileLoader(path string) ConfigLoader { return NewFileConfig(path).Load }

// FileConfig is the config file at a path as a running process sees it:
// parsed again only when its size, modification time or inode changed. A
// file that does not parse gives the last good config with a *ConfigError.
//
// Load stats the file on every call, so an edit that finished before the
// call is seen by it. LoadWatched does not, where the folder is watched
// (dirWatch: Linux, local filesystems): it trusts the last stat while the
// watch has reported nothing since and the stat is under watchTrust old.
// The watch is read by a goroutine, so an edit shows in LoadWatched a
// scheduling delay after it finished (microseconds when the process is
// idle), not at once: the daemon's token route uses it, after a Load for
// each connection it accepts (see daemon.Server.ConnState).
type FileConfig struct {
	path string
	// snap is the last result, read without the lock by LoadWatched;
	// statAt is when the last stat was (time since born): a quiet stat
	// changes nothing else, and allocates no new snap.
	snap   atomic.Pointer[configSnap]
	statAt atomic.Int64
	born   time.Time

	mu       sync.Mutex
	read     bool           // the file was read at least once
	stamp    fileStamp      // of the file as last read, good or bad
	cached   *config.Config // last good
	brokenBy error          // set while the file at stamp does not parse
	watch    *dirWatch      // nil: no watch (yet, or here)
	watched  bool           // a watch was tried (on the second read: a one-shot command needs none)
	tried    time.Duration  // when (since born) a watch was last tried
}

// configSnap is one Load's answer with what LoadWatched needs to trust it.
type configSnap struct {
	cfg   *config.Config
	err   error
	watch *dirWatch
	gen   uint64 // the watch's generation before the stat
}

// fileStamp is compared, not formatted. The inode tells an atomic rewrite
// (a new file renamed over the old) from the old file even when size and
// modification time agree (the clock the kernel stamps files with moves
// in ticks of milliseconds).
type fileStamp struct {
	exists      bool
	size, mtime int64
	ino         uint64
}

// NewFileConfig returns the config file at path; nothing is read yet.
func NewFileConfig(path string) *FileConfig { return &FileConfig{path: path, born: time.Now()} }

// Load returns the config as the file is now (one stat; a parse when it
// changed).
func (f *FileConfig) Load() (*config.Config, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Since(f.born)
	if f.read && (!f.watched || f.rearm(now)) {
		// Before the stat: a change between the two is then seen by both.
		f.watched, f.watch, f.tried = true, newDirWatch(f.path), now
	}
	var gen uint64
	if f.watch != nil {
		gen, _ = f.watch.state()
	}
	cur := statStamp(f.path)
	s := f.snap.Load()
	if !f.read || cur != f.stamp || (f.cached == nil && f.brokenBy == nil) {
		c, err := config.Load(f.path)
		f.read, f.stamp, f.brokenBy = true, cur, err
		if err == nil {
			f.cached = c
		}
		s = nil
	}
	if s == nil || s.watch != f.watch || s.gen != gen {
		s = &configSnap{cfg: f.cached, watch: f.watch, gen: gen}
		if f.brokenBy != nil {
			s.err = &ConfigError{Err: f.brokenBy, Stale: f.cached != nil}
		}
		f.snap.Store(s)
	}
	f.statAt.Store(int64(now))
	return s.cfg, f.path, s.err
}

// rearm reports whether Load should try a new watch: the last one ended
// (the folder was removed or moved, events were lost) or none could be had,
// and the last try is watchTrust old, so that a folder made again is
// watched again without a try per read while it cannot be.
func (f *FileConfig) rearm(now time.Duration) bool {
	if f.watch != nil {
		if _, ok := f.watch.state(); ok {
			return false
		}
	}
	return now-f.tried >= watchTrust
}

// LoadWatched is Load without the stat while the folder's watch has seen
// nothing since the last one (no system call: the token route's check).
func (f *FileConfig) LoadWatched() (*config.Config, string, error) {
	if s := f.snap.Load(); s != nil && s.watch != nil && time.Since(f.born)-time.Duration(f.statAt.Load()) < watchTrust {
		if gen, ok := s.watch.state(); ok && gen == s.gen {
			return s.cfg, f.path, s.err
		}
	}
	return f.Load()
}

// watchTrust is how long LoadWatched trusts a quiet dirWatch without a
// stat: what a watch cannot see (the folder's parent renamed, say) shows
// within that time.
const watchTrust = time.Second
