package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/daemon"
	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/session"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/sandbox"
)

// flakyStore is the file store with writes that fail while failing is set:
// a keyring that has a hiccup.
type flakyStore struct {
	keyring.Store
	failing atomic.Bool
}

func (s *flakyStore) Set(ctx context.Context, k, v string) error {
	if s.failing.Load() {
		return &keyring.UnavailableError{Op: "write", Key: k, Err: errors.New("org.freedesktop.Secret.Error.IsLocked")}
	}
	return s.Store.Set(ctx, k, v)
}

// TestStatusAndDoctorShowNotPersisted: the daemon refreshes while the
// keyring refuses writes; `obpm status` and `obpm doctor` say the token is
// not persisted; stopping the daemon after the keyring is back writes it,
// so the next command needs no login.
func TestStatusAndDoctorShowNotPersisted(t *testing.T) {
	w := newAuthWorld(t, false)
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", w.port)
	sb, err := sandbox.New(sandbox.Config{TokenTTL: 3 * time.Second, Now: w.clock.Now,
		Clients: []sandbox.Client{sandbox.NewClient("obpm-sandbox", "obpm-sandbox-secret", []string{redirect}, "")}})
	if err != nil {
		t.Fatal(err)
	}
	sbSrv := httptest.NewServer(sb.Handler())
	t.Cleanup(sbSrv.Close)
	w.must(t, "profile", "add", "sb", "--provider", "sandbox", "--base-url", sbSrv.URL, "--redirect-uri", redirect)
	w.login(t)

	// The daemon, in process, over the same file store with flaky writes.
	dir := w.env["OBPM_CONFIG_DIR"]
	fs := &flakyStore{Store: keyring.NewFileStore(filepath.Join(dir, keyring.InsecureFile))}
	key, _, err := tokenstore.New(fs).EnsureHelperKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st := tokenstore.New(fs)
	load := session.FileLoader(filepath.Join(dir, config.FileName))
	m := &session.Manager{Store: st, Now: w.clock.Now, Resolve: session.NewResolver(load, st, &http.Client{Timeout: 10 * time.Second}, w.clock.Now)}
	srv := daemon.New(daemon.Options{Manager: m, Config: load, Key: key, Now: w.clock.Now, RefreshEvery: time.Hour, Log: slog.New(slog.DiscardHandler)})
	l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", w.port))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, []net.Listener{l}) }()
	t.Cleanup(cancel)

	before := tokenJSON(t, w.must(t, "token", "--json"))
	fs.failing.Store(true)
	w.clock.Advance(3500 * time.Millisecond)
	after := tokenJSON(t, w.must(t, "token", "--json"))
	if after["access_token"] == before["access_token"] {
		t.Fatal("no refresh past the TTL")
	}
	if out := w.must(t, "status"); !strings.Contains(out, "ok (not persisted)") || !strings.Contains(out, "sb user token: not persisted") ||
		!strings.Contains(out, "IsLocked") {
		t.Fatalf("status does not say the token is not persisted:\n%s", out)
	}
	f, out, _ := w.factory("")
	if code := w.run(context.Background(), f, "doctor", "--offline"); code == 0 || !strings.Contains(out.String(), "token not persisted") {
		t.Fatalf("doctor: exit %d\n%s", code, out)
	}

	fs.failing.Store(false)
	cancel() // stop the daemon: it flushes
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(3500 * time.Millisecond)
	again := tokenJSON(t, w.must(t, "token", "--json")) // daemon-less: from the store, refreshed
	if again["access_token"] == after["access_token"] || again["user_seq_no"] != "1100000001" {
		t.Fatalf("after the daemon stopped: %v", again)
	}
}
