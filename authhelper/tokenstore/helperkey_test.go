package tokenstore

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/obpm/obpm/authhelper/keyring"
)

func TestHelperKeyEnsure(t *testing.T) {
	s := New(keyring.NewMock("obpm-test-key"))
	ctx := context.Background()
	if _, err := s.HelperKey(ctx); !errors.Is(err, ErrNoHelperKey) {
		t.Fatalf("HelperKey before Ensure: %v", err)
	}
	k, created, err := s.EnsureHelperKey(ctx)
	if err != nil || !created {
		t.Fatalf("EnsureHelperKey = %v, %v", created, err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil || len(raw) < 32 {
		t.Fatalf("key %q is not ≥32 random bytes", k)
	}
	k2, created, _ := s.EnsureHelperKey(ctx)
	if created || k2 != k {
		t.Fatal("second EnsureHelperKey made a new key")
	}
	if got, err := s.HelperKey(ctx); err != nil || got != k {
		t.Fatalf("HelperKey = %q, %v", got, err)
	}
}
