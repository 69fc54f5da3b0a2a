package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/obpm/obpm/authhelper/client"
	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/runfile"
	"github.com/obpm/obpm/generator"
	"github.com/obpm/obpm/internal/atomicfile"
)

// The helper key goes only into local environments: copies of the shared
// environment files in the output folder's local/ subfolder, which is
// owner-only (0700, files 0600) and listed in the output folder's
// .gitignore, so the key is neither committed nor readable by other local
// users, and the shared files stay what `generate --check` expects. (A
// subfolder, not a name suffix: a spec's server may be called "local".)
const (
	envSuffix      = ".postman_environment.json"
	localEnvDir    = "local"
	localEnvIgnore = "/" + localEnvDir + "/"
)

// writeLocalEnvs writes a local copy of every generated environment with the
// helper key and the URLs where the helper daemon and the sandbox really run
// (their runtime files; OBPM_HELPER_URL wins for the helper).
func writeLocalEnvs(f *Factory, dir string, files []generator.File, key string) error {
	helperURL := generator.DefaultHelperURL
	sandboxURL := generator.DefaultSandboxURL
	if cfgDir, err := config.Dir(f.Getenv); err == nil {
		u, _, warn := client.Locate(f.Getenv, cfgDir)
		if warn != nil {
			fmt.Fprintln(f.ErrOut, "warning:", warn)
		}
		helperURL = u
		// Postman sends obpm_helper_key to obpm_helper_url on every request:
		// the key must not go into a file that points it at another machine
		// (a mistyped or hostile OBPM_HELPER_URL), as exec and token refuse too.
		if err := client.CheckLocal(helperURL); err != nil {
			return fmt.Errorf("--with-key: %w", err)
		}
		if r, err := runfile.Read(cfgDir, runfile.Sandbox); err == nil && r.URL != "" {
			sandboxURL = r.URL
		}
	}
	if err := ensureGitignore(dir); err != nil {
		return err
	}
	ldir := filepath.Join(dir, localEnvDir)
	if err := privateDir(f, ldir); err != nil {
		return err
	}
	for _, file := range files {
		if !strings.HasSuffix(file.Name, envSuffix) {
			continue
		}
		p := filepath.Join(ldir, file.Name)
		data, err := localEnv(file.Data, key, helperURL, sandboxURL)
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := atomicfile.Write(p, data, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(f.Out, "wrote %s (with the helper key: owner-only, git-ignored; helper %s)\n", p, helperURL)
	}
	return nil
}

// localEnv rewrites one environment: the key into obpm_helper_key, and the
// default helper and sandbox URLs (obpm_helper_url, base_url, redirect_uri,
// OAuth URLs) to where they really run.
func localEnv(data []byte, key, helperURL, sandboxURL string) ([]byte, error) {
	var env map[string]any
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, err
	}
	if name, ok := env["name"].(string); ok {
		env["name"] = strings.TrimSuffix(name, ")") + ", local)"
		if !strings.HasSuffix(name, ")") {
			env["name"] = name + " (local)"
		}
	}
	if id, ok := env["id"].(string); ok {
		env["id"] = id + "-local"
	}
	vals, _ := env["values"].([]any)
	for _, v := range vals {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		s, _ := m["value"].(string)
		switch {
		case m["key"] == "obpm_helper_key":
			m["value"] = key
		case strings.HasPrefix(s, generator.DefaultHelperURL):
			m["value"] = helperURL + strings.TrimPrefix(s, generator.DefaultHelperURL)
		case strings.HasPrefix(s, generator.DefaultSandboxURL):
			m["value"] = sandboxURL + strings.TrimPrefix(s, generator.DefaultSandboxURL)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// privateDir creates the folder for the key files owner-only, or makes an
// existing one so: others must neither list nor enter it, nor swap files.
func privateDir(f *Factory, dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is in the way of the local environments (the helper key goes there): move it and run again", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("make %s private to you (it holds the helper key): %w", dir, err)
		}
		fmt.Fprintf(f.ErrOut, "Made %s private to you (mode %o → 700): it holds the helper key.\n", dir, perm)
	}
	return nil
}

// ensureGitignore adds the local files' pattern to dir/.gitignore.
func ensureGitignore(dir string) error {
	p := filepath.Join(dir, ".gitignore")
	old, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", p, err)
	}
	for _, line := range strings.Split(string(old), "\n") {
		if strings.TrimSpace(line) == localEnvIgnore {
			return nil
		}
	}
	var b bytes.Buffer
	b.Write(old)
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteString("# written by obpm generate --with-key: the helper key, never commit\n" + localEnvIgnore + "\n")
	return atomicfile.Write(p, b.Bytes(), 0o644)
}
