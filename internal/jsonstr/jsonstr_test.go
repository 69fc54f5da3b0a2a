package jsonstr

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
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

// TestAppendIsEncodingJSON: Append gives encoding/json's bytes (HTML
// escaping off) on strings made of the parts that change its path: plain
// runs longer and shorter than a word, quotes, backslashes, control bytes,
// multi-byte runes, U+2028/2029 and invalid UTF-8, at every alignment.
func TestAppendIsEncodingJSON(t *testing.T) {
	parts := []string{"a", "abcdefghij", "0123456", "\"", "\\", "\n", "\t", "\x01", "\x1f", "é", "中", "😀", "\u2028", "\u2029", "\xff", "\xe2\x80", "<&>", " ", "~"}
	r := rand.New(rand.NewPCG(5, 6))
	for range 50000 {
		var s strings.Builder
		for range r.IntN(12) {
			s.WriteString(parts[r.IntN(len(parts))])
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s.String()); err != nil {
			t.Fatal(err)
		}
		if got := Append(nil, s.String()); string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Fatalf("%q: Append gives %s, encoding/json %s", s.String(), got, want.String())
		}
	}
}
