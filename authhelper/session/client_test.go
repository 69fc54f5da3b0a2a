package session

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/config"
	"github.com/obpm/obpm/authhelper/internal/fakeprovider"
	"github.com/obpm/obpm/authhelper/oauthflow"
	"github.com/obpm/obpm/authhelper/tokenstore"
)

// TestTokenOfAnotherClientNotServed: when the profile's client changes
// under a running manager (a hand edit of the config, or `profile add
// --force` whose keyring cleanup another process did not see), the tokens
// issued to the old client are neither handed out nor sent to the new
// provider (refresh, revoke); switching back finds the old client's token.
// A token stored before tokens recorded their client is still served.
func TestTokenOfAnotherClientNotServed(t *testing.T) {
	f := newFixture(t)
	other := fakeprovider.New(t)
	other.ClientID, other.Secret = f.p.ClientID, f.p.Secret // same client id, another server
	profile := func(base string) *config.Profile {
		return &config.Profile{Name: "sb", Provider: config.ProviderSandbox, BaseURL: base, ClientID: f.p.ClientID,
			RedirectURI: "http://127.0.0.1:8791/callback"}
	}
	var cur atomic.Pointer[oauthflow.Client]
	use := func(base string) {
		p := profile(base)
		cur.Store(&oauthflow.Client{Profile: p, Secret: f.p.Secret, Now: f.clk.Now, HTTP: &http.Client{Timeout: 300 * time.Millisecond}, Ident: p.ClientIdentity()})
	}
	use(f.p.URL)
	f.m.Resolve = func(context.Context, string) (*oauthflow.Client, error) { return cur.Load(), nil }
	ctx := context.Background()

	tok := f.login(t)
	if tok.Client != profile(f.p.URL).ClientIdentity() {
		t.Fatalf("token issued to %q, want the profile's client recorded", tok.Client)
	}
	if got, err := f.m.Token(ctx, "sb", tokenstore.User); err != nil || got.AccessToken != tok.AccessToken {
		t.Fatalf("Token = %v, %v", got, err)
	}
	inst, err := f.m.Token(ctx, "sb", tokenstore.Institution)
	if err != nil {
		t.Fatal(err)
	}

	use(other.URL)
	var lr *LoginRequiredError
	if got, err := f.m.Token(ctx, "sb", tokenstore.User); !errors.As(err, &lr) {
		t.Fatalf("after the client changed: Token = %v, %v; want a login needed", got, err)
	}
	f.clk.Add(time.Hour) // due: a refresh would send the old refresh token to the new server
	if got, err := f.m.Token(ctx, "sb", tokenstore.User); !errors.As(err, &lr) || other.Attempts("refresh_token") != 0 {
		t.Fatalf("due, after the client changed: Token = %v, %v; %d refreshes at the new server", got, err, other.Attempts("refresh_token"))
	}
	if st := f.m.Status(ctx, "sb", tokenstore.User); st.State != StateNone {
		t.Errorf("status after the client changed: %+v, want none", st)
	}
	if got, err := f.m.Token(ctx, "sb", tokenstore.Institution); err != nil || got.AccessToken == inst.AccessToken {
		t.Fatalf("institution token after the client changed: %v, %v; want a new one", got, err)
	}
	if _, err := f.m.Logout(ctx, "sb"); err != nil {
		t.Fatal(err)
	}
	if other.IsRevoked(tok.AccessToken) || other.IsRevoked(tok.RefreshToken) {
		t.Error("the old client's token was sent to the new server's revoke endpoint")
	}

	// An unrecorded client (a set stored by an older obpm) is the profile's.
	use(f.p.URL)
	legacy := &tokenstore.Token{AccessToken: "legacy-access", TokenType: "Bearer", Expiry: f.clk.Now().Add(time.Hour)}
	if err := f.store.Save(ctx, "sb", tokenstore.User, legacy); err != nil {
		t.Fatal(err)
	}
	m2 := f.newManager()
	m2.Resolve = f.m.Resolve
	for range 2 { // the locked path, then the fast path
		if got, err := m2.Token(ctx, "sb", tokenstore.User); err != nil || got.AccessToken != "legacy-access" {
			t.Fatalf("legacy token: %v, %v", got, err)
		}
	}
}
