package session

import (
	"context"
	"net/http"
	"os"
	"sync"
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
func NewResolver(load ConfigLoader, store *tokenstore.Store, hc *http.Client, now func() time.Time) Resolver {
	var (
		mu      sync.Mutex
		of      *config.Config // the config the cached clients belong to
		clients = map[string]*oauthflow.Client{}
	)
	return func(ctx context.Context, name string) (*oauthflow.Client, error) {
		cfg, path, err := loadedConfig(ctx)
		if cfg == nil {
			cfg, path, err = load()
		}
		if cfg == nil {
			return nil, err
		}
		p, err := cfg.Profile(name, path)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		if of != cfg {
			of, clients = cfg, map[string]*oauthflow.Client{}
		}
		c := clients[p.Name]
		mu.Unlock()
		if c != nil {
			return c, nil
		}
		secret, err := store.Secret(ctx, p.Name)
		if err != nil {
			return nil, err
		}
		c = &oauthflow.Client{Profile: p, Secret: secret, HTTP: hc, Now: now, Ident: p.ClientIdentity()}
		mu.Lock()
		if of == cfg {
			clients[p.Name] = c
		}
		mu.Unlock()
		return c, nil
	}
}

// FileLoader loads the config at path, parsing it again only when the
// file's size or modification time changed (a token read should not parse
// YAML; an edit by `obpm profile add` is still seen at once). A file that
// does not parse gives the last good config with a *ConfigError.
//
// Where the folder can be watched (dirWatch: Linux, local filesystems) a
// read with no change in the folder since the last one costs no stat
// either; the file is still stat'ed at least once every watchTrust, so
// that what a watch cannot see (the folder's parent renamed, say) shows
// within that time.
func FileLoader(path string) ConfigLoader {
	// The stamp is compared, not formatted.
	type fileStamp struct {
		exists      bool
		size, mtime int64
	}
	var (
		mu       sync.Mutex
		cached   *config.Config // last good
		read     bool           // the file was read at least once
		stamp    fileStamp      // of the file as last read, good or bad
		brokenBy error          // set while the file at stamp does not parse
		watch    *dirWatch      // nil: stat on every read
		watched  bool           // a watch was tried (on the second read: a one-shot command needs none)
		statAt   time.Time      // of the last stat
	)
	result := func() (*config.Config, string, error) {
		if brokenBy != nil {
			return cached, path, &ConfigError{Err: brokenBy, Stale: cached != nil}
		}
		return cached, path, nil
	}
	return func() (*config.Config, string, error) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if read && (cached != nil || brokenBy != nil) && watch != nil && now.Sub(statAt) < watchTrust && !watch.changed() {
			return result()
		}
		if read && !watched {
			// Before the stat: a change between the two is then seen by both.
			watched, watch = true, newDirWatch(path)
		}
		st, err := os.Stat(path)
		statAt = now
		var cur fileStamp
		if err == nil {
			cur = fileStamp{true, st.Size(), st.ModTime().UnixNano()}
		}
		if !read || cur != stamp || (cached == nil && brokenBy == nil) {
			c, err := config.Load(path)
			read, stamp, brokenBy = true, cur, err
			if err == nil {
				cached = c
			}
		}
		return result()
	}
}

// watchTrust is how long FileLoader trusts a quiet dirWatch without a stat.
const watchTrust = time.Second
