package generator

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// What a document's $refs may read (issue 12): files under the spec's folder
// by default; other files and URLs only when asked. A hostile spec could
// otherwise embed /etc/passwd or ~/.ssh into a collection that is then
// shared, or make obpm generate (in CI, under --watch) GET cloud metadata
// URLs. The resolver reads every file through file(); kin-openapi reads none.

// LoadOptions set what a document's $refs may read.
type LoadOptions struct {
	// AllowExternalRefs lets $refs read files outside the spec's folder
	// (`obpm generate --allow-external-refs`).
	AllowExternalRefs bool
	// AllowRemoteRefs lets $refs fetch http(s) URLs
	// (`obpm generate --allow-remote-refs`).
	AllowRemoteRefs bool
	// Root is the folder $refs may read without AllowExternalRefs; empty:
	// the folder of the spec.
	Root string
	// HTTPClient fetches remote $refs; nil: a client with a 30 s timeout.
	HTTPClient *http.Client
}

// maxRefFile caps what one referenced file or URL may hold.
const maxRefFile = 64 << 20

// file reads the file (or URL) loc names, relative to at, within the policy.
func (r *resolver) file(at *srcFile, loc, ref string) (*srcFile, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("not a valid reference: %v", err)
	}
	var key string
	remote := false
	switch {
	case u.Scheme == "http" || u.Scheme == "https":
		key, remote = u.String(), true
	case u.Scheme == "file":
		key = filepath.FromSlash(u.Path)
	case u.Scheme != "" && len(u.Scheme) > 1: // a drive letter is no scheme
		return nil, fmt.Errorf("the scheme %s: is not supported; use a relative file path", u.Scheme)
	case strings.HasPrefix(at.key, "http://") || strings.HasPrefix(at.key, "https://"):
		base, _ := url.Parse(at.key)
		key, remote = base.ResolveReference(u).String(), true
	case at.key == "":
		return nil, errors.New("an in-memory document can only refer to itself (#/…); load it from a file")
	default:
		p, _ := url.PathUnescape(u.Path)
		if filepath.IsAbs(p) || path.IsAbs(p) {
			key = filepath.Clean(filepath.FromSlash(p))
		} else {
			key = filepath.Join(filepath.Dir(at.key), filepath.FromSlash(p))
		}
	}
	if remote {
		if !r.opts.AllowRemoteRefs {
			return nil, fmt.Errorf("it is a URL and obpm fetches no URL unless asked; pass --allow-remote-refs to fetch %s", key)
		}
	} else if !r.opts.AllowExternalRefs && !within(r.rootDir, key) {
		return nil, fmt.Errorf("it reads %s, outside the spec's folder %s; pass --allow-external-refs to allow files elsewhere", key, r.rootDir)
	}
	if f, ok := r.files[key]; ok {
		return f, f.err
	}
	f := &srcFile{key: key, display: key}
	if !remote {
		if rel, err := filepath.Rel(r.rootDir, key); err == nil && !strings.HasPrefix(rel, "..") {
			f.display = filepath.ToSlash(rel)
		}
	}
	r.files[key] = f
	var data []byte
	if remote {
		data, f.err = r.fetch(key)
	} else {
		data, f.err = readLimited(key)
	}
	if f.err == nil {
		switch strings.ToLower(path.Ext(strings.SplitN(key, "?", 2)[0])) {
		case ".md", ".markdown", ".txt", ".html", ".htm":
			f.top = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(data)}
		default:
			if f.top = parseFull(data); f.top == nil {
				f.err = fmt.Errorf("%s is not valid YAML or JSON", f.display)
			}
		}
	}
	return f, f.err
}

// within: p is root or below it, symbolic links followed (a link inside the
// folder to /etc/passwd is outside).
func within(root, p string) bool {
	if root == "" {
		return false
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func readLimited(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRefFile+1))
	if err == nil && len(data) > maxRefFile {
		err = fmt.Errorf("%s is larger than %d MB", p, maxRefFile>>20)
	}
	return data, err
}

func (r *resolver) fetch(u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	c := r.opts.HTTPClient
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRefFile+1))
	if err == nil && len(data) > maxRefFile {
		err = fmt.Errorf("%s is larger than %d MB", u, maxRefFile>>20)
	}
	return data, err
}
