// Package config reads and writes the helper's profiles file
// (os.UserConfigDir()/obpm/config.yaml, or $OBPM_CONFIG_DIR/config.yaml).
// Every error names the file and line and says how to fix it. Client secrets
// are never in this file; they live in the keyring.
package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/obpm/obpm/internal/atomicfile"
	"github.com/obpm/obpm/internal/filelock"
	"github.com/obpm/obpm/internal/private"
)

// DirEnv overrides the config folder.
const DirEnv = "OBPM_CONFIG_DIR"

// FileName is the config file inside the folder.
const FileName = "config.yaml"

// Providers.
const (
	ProviderSandbox    = "sandbox"
	ProviderTestbed    = "kftc-testbed"
	ProviderProduction = "kftc-production"
	ProviderOAuth2     = "oauth2"
)

// Providers lists the accepted provider names in help order (a fresh slice
// each call: no package-level mutable state).
func Providers() []string {
	return []string{ProviderSandbox, ProviderTestbed, ProviderProduction, ProviderOAuth2}
}

// DefaultRefreshMargin is how long before expiry a token is refreshed, when
// the profile does not say (capped at a third of the token's lifetime).
const DefaultRefreshMargin = 5 * time.Minute

// Config is the whole file.
type Config struct {
	DefaultProfile string              `yaml:"default_profile,omitempty"`
	Profiles       map[string]*Profile `yaml:"profiles"`
}

// Dir returns the config folder: $OBPM_CONFIG_DIR or os.UserConfigDir()/obpm.
func Dir(getenv func(string) string) (string, error) {
	if getenv != nil {
		if d := getenv(DirEnv); d != "" {
			return d, nil
		}
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find config folder: %w (set %s)", err, DirEnv)
	}
	return filepath.Join(d, "obpm"), nil
}

// Path returns the config file path.
func Path(getenv func(string) string) (string, error) {
	d, err := Dir(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, FileName), nil
}

// Load reads the file at path. A missing file is an empty config. The file
// names where the client secret and the tokens are sent, so it and its
// folder must be this user's alone (private.Check): one that other users
// may change is refused. The file may be a symbolic link (a dotfiles
// checkout); what it points at is checked.
func Load(path string) (*Config, error) {
	if err := private.Dir("config folder", filepath.Dir(path)); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{Profiles: map[string]*Profile{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if err := private.Check("config", path, fi); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return Parse(path, b)
}

// Parse decodes and validates a config document; path is used in errors.
func Parse(path string, b []byte) (*Config, error) {
	c := &Config{Profiles: map[string]*Profile{}}
	if len(bytes.TrimSpace(b)) == 0 {
		return c, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("config %s: %w (fix the YAML syntax)", path, err)
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, posErr(path, root, "the file must be a mapping with default_profile and profiles")
	}
	var profilesNode, defaultNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "default_profile":
			defaultNode = v
			c.DefaultProfile = v.Value
		case "profiles":
			profilesNode = v
		default:
			return nil, posErr(path, k, "unknown key %q (known: default_profile, profiles)", k.Value)
		}
	}
	if profilesNode != nil && profilesNode.Kind != yaml.ScalarNode {
		if profilesNode.Kind != yaml.MappingNode {
			return nil, posErr(path, profilesNode, "profiles must be a mapping of profile name to settings")
		}
		for i := 0; i+1 < len(profilesNode.Content); i += 2 {
			k, v := profilesNode.Content[i], profilesNode.Content[i+1]
			p, err := parseProfile(path, k, v)
			if err != nil {
				return nil, err
			}
			if _, dup := c.Profiles[p.Name]; dup {
				return nil, posErr(path, k, "profile %q is defined twice (remove one)", p.Name)
			}
			c.Profiles[p.Name] = p
		}
	}
	if c.DefaultProfile != "" && c.Profiles[c.DefaultProfile] == nil {
		return nil, posErr(path, defaultNode, "default_profile %q is not a profile (add it with `obpm profile add` or fix the name)", c.DefaultProfile)
	}
	return c, nil
}

func parseProfile(path string, key, node *yaml.Node) (*Profile, error) {
	if err := ValidateName(key.Value); err != nil {
		return nil, posErr(path, key, "%v", err)
	}
	if node.Kind != yaml.MappingNode {
		return nil, posErr(path, node, "profile %q must be a mapping (provider, client_id, redirect_uri, …)", key.Value)
	}
	p := &Profile{Name: key.Value}
	lines := map[string]*yaml.Node{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if !knownField(k.Value) {
			return nil, posErr(path, k, "unknown field %q in profile %q (known: %s)", k.Value, p.Name, knownFieldList())
		}
		lines[k.Value] = v
	}
	if err := node.Decode(p); err != nil {
		return nil, fmt.Errorf("config %s: profile %q: %w", path, p.Name, err)
	}
	p.Name = key.Value
	if fe := p.validate(); fe != nil {
		at := key
		if n, ok := lines[fe.field]; ok {
			at = n
		}
		return nil, posErr(path, at, "profile %q: %s", p.Name, fe.msg)
	}
	return p, nil
}

func posErr(path string, n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return fmt.Errorf("config %s:%d: %s", path, line, fmt.Sprintf(format, args...))
}

// Profile returns the named profile, or the default one when name is empty
// (the only profile when there is exactly one).
func (c *Config) Profile(name, path string) (*Profile, error) {
	if name == "" {
		name = c.DefaultProfile
	}
	if name == "" {
		switch len(c.Profiles) {
		case 0:
			return nil, fmt.Errorf("no profiles in %s (add one: obpm profile add NAME --provider sandbox)", path)
		case 1:
			for _, p := range c.Profiles {
				return p, nil
			}
		default:
			return nil, fmt.Errorf("several profiles in %s and no default_profile (pass --profile, one of: %v)", path, c.Names())
		}
	}
	p := c.Profiles[name]
	if p == nil {
		return nil, &UnknownProfileError{Name: name, Path: path}
	}
	return p, nil
}

// UnknownProfileError is returned for a profile name not in the file.
type UnknownProfileError struct{ Name, Path string }

func (e *UnknownProfileError) Error() string {
	return fmt.Sprintf("unknown profile %q in %s (list them with `obpm profile list`, add with `obpm profile add`)", e.Name, e.Path)
}

// Names returns the profile names, sorted.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Profiles))
	for n := range c.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Save writes the config to path atomically (temp file + rename, mode 0600).
func (c *Config) Save(path string) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode config %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	data := append([]byte("# obpm helper profiles; client secrets are in the OS keyring, not here.\n"), b...)
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// LockPath is the lock file beside the config at path: every obpm process
// takes it around a read-modify-write of the config.
func LockPath(path string) string { return path + ".lock" }

// Update reads the config at path, lets fn change it and writes it back,
// holding the config's lock across processes the whole time, so that
// parallel `obpm profile add` runs each add their profile instead of the
// last writer's copy replacing everyone else's. fn runs under the lock (it
// may store a secret so that the secret and its profile land together); an
// error from fn leaves the file as it was.
func Update(ctx context.Context, path string, fn func(*Config) error) error {
	unlock, err := filelock.Lock(ctx, LockPath(path))
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	defer unlock()
	c, err := Load(path)
	if err != nil {
		return err
	}
	if err := fn(c); err != nil {
		return err
	}
	return c.Save(path)
}
