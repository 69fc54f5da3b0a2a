package daemonkey

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/obpm/obpm/authhelper/keyring"
)

func TestEnsureGetEqual(t *testing.T) {
	kr := keyring.NewMock("obpm-test-key")
	ctx := context.Background()
	if _, err := Get(ctx, kr); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Get before Ensure: %v", err)
	}
	k, created, err := Ensure(ctx, kr)
	if err != nil || !created {
		t.Fatalf("Ensure = %v, %v", created, err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil || len(raw) < 32 {
		t.Fatalf("key %q is not ≥32 random bytes", k)
	}
	k2, created, _ := Ensure(ctx, kr)
	if created || k2 != k {
		t.Fatal("second Ensure made a new key")
	}
	// Load opens the OS keyring, which checks for a session bus first; the
	// mock never dials it, any address will do.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/obpm-test-bus")
	env := map[string]string{keyring.ServiceEnv: "obpm-test-key"}
	if got, warning, err := Load(ctx, func(s string) string { return env[s] }); err != nil || got != k || warning != "" {
		t.Fatalf("Load = %q, %q, %v", got, warning, err)
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{{k, k, true}, {k + "x", k, false}, {"", k, false}, {"", "", false}, {k[:10], k, false}} {
		if Equal(tc.a, tc.b) != tc.want {
			t.Errorf("Equal(%q,%q) != %v", tc.a, tc.b, tc.want)
		}
	}
}
