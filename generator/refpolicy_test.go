package generator

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRefPolicy: a hostile spec's $refs read no file outside its folder and
// fetch no URL unless asked (issue 12): /etc/passwd, ../secret, file://, a
// symbolic link out of the folder and an http URL are each refused with a
// warning naming the $ref and the flag; the server gets no request.
func TestRefPolicy(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("remote: REMOTE-CONTENT\n"))
	}))
	defer srv.Close()

	root := t.TempDir()
	secret := writeSpec(t, root, "outside/secret.md", "TOP-SECRET\n")
	dir := filepath.Join(root, "spec")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "link.md")); err != nil {
		t.Fatal(err)
	}
	spec := writeSpec(t, dir, "openapi.yaml", `openapi: 3.0.3
info:
  title: Hostile
  version: "1"
  description: {$ref: '../outside/secret.md'}
tags:
  - name: a
    description: {$ref: '`+secret+`'}
  - name: b
    description: {$ref: 'file://`+filepath.ToSlash(secret)+`'}
  - name: c
    description: {$ref: 'link.md'}
  - name: d
    description: {$ref: '/etc/passwd'}
  - name: e
    description: {$ref: '`+srv.URL+`/x.yaml#/remote'}
paths:
  /x:
    get:
      tags: [a, b, c, d, e]
      responses: {'200': {description: ok}}
  /y:
    get:
      tags: [e]
      responses: {'200': {description: ok}}
`)
	gen := func(lo LoadOptions) (string, []Warning) {
		t.Helper()
		doc, warnings, err := LoadFile(context.Background(), spec, lo)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Generate(doc, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var all bytes.Buffer
		for _, f := range res.Files {
			all.Write(f.Data)
		}
		return all.String(), warnings
	}

	out, warnings := gen(LoadOptions{})
	if strings.Contains(out, "TOP-SECRET") || strings.Contains(out, "root:") || strings.Contains(out, "REMOTE-CONTENT") {
		t.Error("the collection embeds a file outside the spec's folder or a URL's content")
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server got %d requests; want none without --allow-remote-refs", n)
	}
	wants := map[string]string{
		"/info/description":   "--allow-external-refs",
		"/tags/0/description": "--allow-external-refs",
		"/tags/1/description": "--allow-external-refs",
		"/tags/2/description": "--allow-external-refs",
		"/tags/3/description": "--allow-external-refs",
		"/tags/4/description": "--allow-remote-refs",
	}
	for ptr, flag := range wants {
		found := false
		for _, w := range warnings {
			if strings.HasSuffix(w.Place, " "+ptr) && strings.Contains(w.Message, flag) && strings.Contains(w.Message, "$ref") {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning for %s naming %s; got %v", ptr, flag, warnings)
		}
	}

	out, _ = gen(LoadOptions{AllowExternalRefs: true})
	if !strings.Contains(out, "TOP-SECRET") {
		t.Error("--allow-external-refs did not read the file outside the folder")
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("--allow-external-refs fetched a URL (%d requests)", n)
	}
	out, _ = gen(LoadOptions{AllowRemoteRefs: true})
	if !strings.Contains(out, "REMOTE-CONTENT") || hits.Load() != 1 {
		t.Errorf("--allow-remote-refs: %d requests, content present %v", hits.Load(), strings.Contains(out, "REMOTE-CONTENT"))
	}
	if strings.Contains(out, "TOP-SECRET") {
		t.Error("--allow-remote-refs alone read a file outside the folder")
	}
}

// TestRefPolicySwagger: the same policy holds for Swagger 2.0 documents.
func TestRefPolicySwagger(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	root := t.TempDir()
	writeSpec(t, root, "secret.yaml", "Secret: {type: object, properties: {TOPSECRET: {type: string}}}\n")
	spec := writeSpec(t, root, "spec/sw.yaml", `swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses:
        '200': {description: ok, schema: {$ref: '../secret.yaml#/Secret'}}
        '201': {description: ok, schema: {$ref: '`+srv.URL+`/s.yaml'}}
`)
	doc, warnings, err := LoadFile(context.Background(), spec, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(res.Files[0].Data, []byte("TOPSECRET")) || hits.Load() != 0 {
		t.Errorf("Swagger 2.0 $refs escaped the folder (requests: %d)", hits.Load())
	}
	if len(warnings) != 3 {
		t.Errorf("want two refusals and the conversion note, got %v", warnings)
	}
}
