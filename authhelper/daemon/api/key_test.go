package api

import "testing"

func TestKeyEqual(t *testing.T) {
	k := "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	for _, tc := range []struct {
		a, b string
		want bool
	}{{k, k, true}, {k + "x", k, false}, {"", k, false}, {"", "", false}, {k[:10], k, false}} {
		if KeyEqual(tc.a, tc.b) != tc.want {
			t.Errorf("KeyEqual(%q,%q) != %v", tc.a, tc.b, tc.want)
		}
	}
}

func TestProof(t *testing.T) {
	n := NewNonce()
	p := Proof("key", n, "127.0.0.1:8791")
	for _, tc := range []struct {
		key, nonce, addr, proof string
		want                    bool
	}{
		{"key", n, "127.0.0.1:8791", p, true},
		{"other", n, "127.0.0.1:8791", p, false},
		{"key", NewNonce(), "127.0.0.1:8791", p, false},
		{"key", n, "[::1]:8791", p, false},
		{"", n, "127.0.0.1:8791", Proof("", n, "127.0.0.1:8791"), false},
		{"key", n, "127.0.0.1:8791", "", false},
	} {
		if got := VerifyProof(tc.key, tc.nonce, tc.addr, tc.proof); got != tc.want {
			t.Errorf("VerifyProof(%q, nonce, %q) = %v, want %v", tc.key, tc.addr, got, tc.want)
		}
	}
}
