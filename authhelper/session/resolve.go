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
// so that `obpm profile add` takes effect in a running daemon).
type ConfigLoader func() (*config.Config, string, error)

// NewResolver resolves profiles from the config file and client secrets from
// the store. Secrets are cached per profile until the config changes (the
// loader returns a new *Config), so that serving a fresh token costs no
// keyring round trip, while `obpm profile add --force` with a new secret is
// seen by a running daemon. hc may be nil.
func NewResolver(load ConfigLoader, store *tokenstore.Store, hc *http.Client, now func() time.Time) Resolver {
	var (
		mu      sync.Mutex
		of      *config.Config // the config the cached secrets belong to
		secrets = map[string]string{}
	)
	return func(ctx context.Context, name string) (*oauthflow.Client, error) {
		cfg, path, err := load()
		if err != nil {
			return nil, err
		}
		p, err := cfg.Profile(name, path)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		if of != cfg {
			of, secrets = cfg, map[string]string{}
		}
		secret, ok := secrets[p.Name]
		mu.Unlock()
		if !ok {
			if secret, err = store.Secret(ctx, p.Name); err != nil {
				return nil, err
			}
			mu.Lock()
			if of == cfg {
				secrets[p.Name] = secret
			}
			mu.Unlock()
		}
		return &oauthflow.Client{Profile: p, Secret: secret, HTTP: hc, Now: now}, nil
	}
}

// FileLoader loads the config at path, parsing it again only when the
// file's size or modification time changed (a token read should not parse
// YAML; an edit by `obpm profile add` is still seen at once).
func FileLoader(path string) ConfigLoader {
	type fileStamp struct {
		exists bool
		size   int64
		mtime  int64
	}
	var (
		mu     sync.Mutex
		cached *config.Config
		stamp  fileStamp
	)
	return func() (*config.Config, string, error) {
		st, err := os.Stat(path)
		var cur fileStamp
		if err == nil {
			cur = fileStamp{true, st.Size(), st.ModTime().UnixNano()}
		}
		mu.Lock()
		defer mu.Unlock()
		if cached != nil && cur == stamp {
			return cached, path, nil
		}
		c, err := config.Load(path)
		if err != nil {
			return nil, path, err
		}
		cached, stamp = c, cur
		return c, path, nil
	}
}
