package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/keyring"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/sandbox"
)

// TestProfileForceDropsOtherClientsTokens: `profile add NAME --force` that
// changes what identifies the client (provider, base URL / token URL,
// client id) drops the profile's stored tokens, in the store and in a
// running daemon's memory, so that the old client's tokens are never handed
// out for (or refreshed at) the new one; a replacement that keeps the client
// keeps them.
func TestProfileForceDropsOtherClientsTokens(t *testing.T) {
	for _, tc := range []struct {
		name string
		real bool
	}{{"file store", false}, {"real keyring", true}} {
		t.Run(tc.name, func(t *testing.T) { profileForceDropsTokens(t, tc.real) })
	}
}

func profileForceDropsTokens(t *testing.T, realKeyring bool) {
	w := newAuthWorld(t, realKeyring)
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", w.port)
	newSandbox := func() string {
		sb, err := sandbox.New(sandbox.Config{Now: w.clock.Now,
			Clients: []sandbox.Client{sandbox.NewClient("obpm-sandbox", "obpm-sandbox-secret", []string{redirect}, "")},
			Logger:  slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sb.Handler())
		t.Cleanup(srv.Close)
		return srv.URL
	}
	oldURL, newURL := newSandbox(), newSandbox()

	w.must(t, "profile", "add", "sb", "--provider", "sandbox", "--base-url", oldURL, "--redirect-uri", redirect)
	w.login(t)
	user := tokenJSON(t, w.must(t, "token", "--json"))["access_token"].(string)
	inst := tokenJSON(t, w.must(t, "token", "--kind", "institution", "--json"))["access_token"].(string)

	// Same client, another scope and margin: the tokens stay.
	f, _, errOut := w.factory("")
	if code := w.run(context.Background(), f, "profile", "add", "sb", "--force", "--provider", "sandbox", "--base-url", oldURL+"/",
		"--redirect-uri", redirect, "--scope", "login inquiry", "--refresh-margin", "1m"); code != 0 {
		t.Fatalf("profile add --force (same client): exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "tokens were kept") {
		t.Errorf("profile add --force (same client) does not say the tokens were kept:\n%s", errOut)
	}
	if got := tokenJSON(t, w.must(t, "token", "--json"))["access_token"]; got != user {
		t.Fatalf("same client re-added: user token %v, want the stored one kept", got)
	}

	// A daemon that has the tokens in memory.
	stop, _ := w.serve(t)
	if got := tokenJSON(t, w.must(t, "token", "--json"))["access_token"]; got != user {
		t.Fatalf("daemon token %v, want the stored one", got)
	}

	// Another server: the old server's tokens must not be handed out.
	f, _, errOut = w.factory("")
	if code := w.run(context.Background(), f, "profile", "add", "sb", "--force", "--provider", "sandbox", "--base-url", newURL,
		"--redirect-uri", redirect); code != 0 {
		t.Fatalf("profile add --force (new base URL): exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "tokens were dropped") {
		t.Errorf("profile add --force does not say the tokens were dropped:\n%s", errOut)
	}
	noOldTokens := func(when string) {
		t.Helper()
		f, out, errOut := w.factory("")
		code := w.run(context.Background(), f, "token", "--json")
		if strings.Contains(out.String(), user) || code != exitAuth || !strings.Contains(errOut.String(), "obpm login") {
			t.Fatalf("%s: token after the client changed: exit %d, handed out the old token: %v\n%s", when, code, strings.Contains(out.String(), user), errOut)
		}
		got := tokenJSON(t, w.must(t, "token", "--kind", "institution", "--json"))["access_token"]
		if got == inst {
			t.Fatalf("%s: institution token of the old server handed out for the new one", when)
		}
	}
	noOldTokens("through the daemon")
	if !realKeyring {
		store, err := os.ReadFile(filepath.Join(w.env["OBPM_CONFIG_DIR"], keyring.InsecureFile))
		if err != nil || strings.Contains(string(store), user) {
			t.Fatalf("the old user token is still in the store (read error %v)", err)
		}
	}
	// Without the daemon, from the store.
	stop()
	noOldTokens("from the store")

	// A login gets the new server's tokens, which work there.
	w.login(t)
	got := tokenJSON(t, w.must(t, "token", "--json"))["access_token"].(string)
	if got == user {
		t.Fatal("the login after the change handed out the old token")
	}
	if rsp := sandboxCall(t, newURL+"/v2.0/user/me?user_seq_no=1100000001", got); rsp != "A0000" {
		t.Fatalf("user/me at the new server with the new token: rsp_code %s", rsp)
	}

}

// TestProfileAddDropsLeftoverTokens: tokens stored under a name that is not
// in the config (a profile deleted from config.yaml by hand) belong to no
// known client; adding a profile of that name drops them.
func TestProfileAddDropsLeftoverTokens(t *testing.T) {
	w := newSeamWorld(t, "http://127.0.0.1:1")
	ctx := context.Background()
	st := tokenstore.New(w.backend.Keyring("obpm-test"))
	for _, k := range []tokenstore.Kind{tokenstore.User, tokenstore.Institution} {
		if err := st.Save(ctx, "ghost", k, &tokenstore.Token{AccessToken: "left-" + string(k), RefreshToken: "rt"}); err != nil {
			t.Fatal(err)
		}
	}
	f, _, errOut := w.factory("", time.Second)
	if code := w.run(t, f, "profile", "add", "ghost", "--provider", "sandbox", "--base-url", "http://127.0.0.1:2"); code != 0 {
		t.Fatalf("profile add: exit %d\n%s", code, errOut)
	}
	for _, k := range []tokenstore.Kind{tokenstore.User, tokenstore.Institution} {
		if tok, err := st.Load(ctx, "ghost", k); err == nil {
			t.Errorf("leftover %s token %q kept", k, tok.AccessToken)
		}
	}
}
