package jsonstr

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestPlain8IsBytewise: the eight-bytes-at-once test of str agrees with the
// byte test for every byte value at every position, and for random words.
func TestPlain8IsBytewise(t *testing.T) {
	plain := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
				return false
			}
		}
		return true
	}
	check := func(s string) {
		if got, want := plain8(s, 0), plain(s); got != want {
			t.Errorf("plain8(%q) = %v, want %v", s, got, want)
		}
	}
	for pos := range 8 {
		for c := range 256 {
			for _, fill := range []byte{'a', ' ', '~', 0x21} {
				b := bytes.Repeat([]byte{fill}, 8)
				b[pos] = byte(c)
				check(string(b))
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		var b [8]byte
		for i := range b {
			b[i] = byte(r.IntN(256))
			if r.IntN(2) == 0 {
				b[i] = byte(0x1e + r.IntN(0x62)) // near the edges more often
			}
		}
		check(string(b[:]))
	}
}
