package session

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/obpm/obpm/authhelper/internal/fakeprovider"
	"github.com/obpm/obpm/authhelper/tokenstore"
	"github.com/obpm/obpm/internal/fakekeyring"
)

// TestUnsavedTokenIsRetried: the keyring fails while the provider rotates
// the refresh token. The new set is served from memory and reported as not
// persisted; once the keyring is back the daemon's ticker writes it, so a
// restart needs no login (the old refresh token is dead at the provider).
func TestUnsavedTokenIsRetried(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		write func(f *fixture) // what gets the token to the keyring
	}{
		{"ticker", func(f *fixture) { f.clk.Add(time.Minute); f.m.RefreshAll(ctx) }}, // past the write's backoff
		{"shutdown flush", func(f *fixture) {
			if err := f.m.Flush(ctx); err != nil {
				panic(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.login(t)
			f.kr.Fail(fakekeyring.ErrUnavailable)
			f.clk.Add(time.Hour - time.Minute)
			nt, err := f.m.Token(ctx, "sb", tokenstore.User)
			if err != nil || f.p.Count("refresh_token") != 1 {
				t.Fatalf("refresh with a failing keyring: %v, %v", nt, err)
			}
			st := f.m.Status(ctx, "sb", tokenstore.User)
			if !st.NotPersisted || !strings.Contains(st.PersistError, "keyring") || st.State != "ok" {
				t.Fatalf("status while unsaved = %+v, want ok and not persisted with the reason", st)
			}
			if err := f.m.Flush(ctx); err == nil {
				t.Fatal("Flush with a failing keyring reported success")
			}
			f.kr.Fail(nil)
			tc.write(f)
			if st := f.m.Status(ctx, "sb", tokenstore.User); st.NotPersisted {
				t.Fatalf("still not persisted after the keyring came back: %+v", st)
			}
			if f.stored(t).AccessToken != nt.AccessToken {
				t.Fatal("the refreshed set is not in the keyring")
			}
			// A restart, past the new token's refresh time: the stored refresh
			// token is the rotated one, so no login is needed.
			f.clk.Add(time.Hour)
			if _, err := f.newManager().Token(ctx, "sb", tokenstore.User); err != nil {
				t.Fatalf("after a restart: %v (the rotated refresh token was lost)", err)
			}
		})
	}
}

// TestOneRefreshAcrossProcesses: ten managers (ten `obpm token` processes
// of a CI matrix, each with its own memory) share the keyring and the lock
// files; the provider rotates refresh tokens. One refreshes, the others
// read its result: all get a token, none is told to log in.
func TestOneRefreshAcrossProcesses(t *testing.T) {
	f := newFixture(t)
	f.login(t)
	f.clk.Add(time.Hour - time.Minute)
	lock := FileLocks(t.TempDir())
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := f.newManager()
			m.Lock = lock
			_, errs[i] = m.Token(context.Background(), "sb", tokenstore.User)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	if n := f.p.Count("refresh_token"); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}

// TestRefusedRefreshRereadsKeyring: without a shared lock (another tool, an
// older obpm) a process whose refresh token was rotated by another one
// re-reads the keyring before it gives up.
func TestRefusedRefreshRereadsKeyring(t *testing.T) {
	f := newFixture(t)
	f.login(t)
	a, b := f.newManager(), f.newManager()
	ctx := context.Background()
	if _, err := b.Token(ctx, "sb", tokenstore.User); err != nil { // b has read the keyring
		t.Fatal(err)
	}
	f.clk.Add(time.Hour - time.Minute)
	ta, err := a.Token(ctx, "sb", tokenstore.User) // a rotates and stores
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Token(ctx, "sb", tokenstore.User) // b's refresh token is dead now
	if err != nil {
		t.Fatalf("second process: %v, want the token the first one stored", err)
	}
	if tb.AccessToken != ta.AccessToken {
		t.Fatal("the second process did not take the stored set")
	}
}

// TestInterruptedRefreshIsExplained: a refresh record left by a process
// killed mid-refresh turns the next start's "log in again" into what happened.
func TestInterruptedRefreshIsExplained(t *testing.T) {
	f := newFixture(t)
	f.login(t)
	ctx := context.Background()
	started := f.clk.Now()
	if _, err := f.store.BeginRefresh(ctx, "sb", tokenstore.User, tokenstore.Pending{Started: started, PID: 4242}); err != nil {
		t.Fatal(err)
	}
	f.p.SetMode(fakeprovider.RefuseRefresh) // the killed process's refresh rotated it
	f.clk.Add(time.Hour + time.Second)      // expired: the old token cannot be served meanwhile
	_, err := f.newManager().Token(ctx, "sb", tokenstore.User)
	var lr *LoginRequiredError
	if !errors.As(err, &lr) || !strings.Contains(err.Error(), "never finished") || !strings.Contains(err.Error(), "4242") ||
		!strings.Contains(err.Error(), started.UTC().Format(time.RFC3339)) || !strings.Contains(err.Error(), "obpm login") {
		t.Fatalf("err = %v, want the interrupted refresh explained and the fix", err)
	}
	// Still explained on the next start; gone after a login.
	if _, err := f.newManager().Token(ctx, "sb", tokenstore.User); err == nil || !strings.Contains(err.Error(), "never finished") {
		t.Fatalf("second start: %v", err)
	}
	f.p.SetMode(fakeprovider.OK)
	f.login(t)
	if p, err := f.store.PendingRefresh(ctx, "sb", tokenstore.User); err != nil || p != nil {
		t.Fatalf("pending record after a login: %v %v", p, err)
	}
}

// TestRefreshLeavesNoRecord: a refresh that went well, or that the provider
// refused on its own, leaves no pending record (so no false story later);
// the set keeps the refresh token it replaced.
func TestRefreshLeavesNoRecord(t *testing.T) {
	f := newFixture(t)
	old := f.login(t)
	ctx := context.Background()
	f.clk.Add(time.Hour - time.Minute)
	if _, err := f.m.Token(ctx, "sb", tokenstore.User); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.store.PendingRefresh(ctx, "sb", tokenstore.User); p != nil {
		t.Fatalf("record left after a good refresh: %+v", p)
	}
	if st := f.stored(t); st.PreviousRefresh != old.RefreshToken || st.RefreshToken == old.RefreshToken {
		t.Fatalf("stored set: previous %q current %q, want previous = the login's", st.PreviousRefresh, st.RefreshToken)
	}
	f.p.SetMode(fakeprovider.RefuseRefresh)
	f.clk.Add(time.Hour)
	if _, err := f.m.Token(ctx, "sb", tokenstore.User); err == nil || strings.Contains(err.Error(), "never finished") {
		t.Fatalf("refused refresh: %v, want a plain refusal", err)
	}
	if p, _ := f.store.PendingRefresh(ctx, "sb", tokenstore.User); p != nil {
		t.Fatalf("record left after a refused refresh: %+v", p)
	}
}

// TestPreviousRefreshTokenTried: when the stored refresh token is refused,
// the one it replaced is tried (a provider with a grace period for rotated
// tokens, or a stored token that never worked).
func TestPreviousRefreshTokenTried(t *testing.T) {
	f := newFixture(t)
	good := f.login(t)
	ctx := context.Background()
	bad := *good
	bad.RefreshToken, bad.PreviousRefresh = "rt-never-issued", good.RefreshToken
	if err := f.store.Save(ctx, "sb", tokenstore.User, &bad); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Hour - time.Minute)
	got, err := f.newManager().Token(ctx, "sb", tokenstore.User)
	if err != nil || got.AccessToken == good.AccessToken {
		t.Fatalf("Token = %v, %v; want a refresh with the previous refresh token", got, err)
	}
}

// TestLogoutForgetsUnsavedToken: a token the keyring refused and a logout
// that followed once the keyring was back: nothing is left to persist, so
// neither the ticker nor the shutdown flush tries to write a token that is
// gone (and Flush does not report a logged-out profile as not persisted).
func TestLogoutForgetsUnsavedToken(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.login(t)
	f.kr.Fail(fakekeyring.ErrUnavailable)
	f.clk.Add(time.Hour - time.Minute)
	if _, err := f.m.Token(ctx, "sb", tokenstore.User); err != nil {
		t.Fatal(err)
	}
	f.kr.Fail(nil)
	if _, err := f.m.Logout(ctx, "sb"); err != nil {
		t.Fatal(err)
	}
	if st := f.m.Status(ctx, "sb", tokenstore.User); st.NotPersisted || st.State != StateNone {
		t.Errorf("status after logout = %+v, want none and nothing unsaved", st)
	}
	if err := f.m.Flush(ctx); err != nil {
		t.Errorf("Flush after logout: %v", err)
	}
}
