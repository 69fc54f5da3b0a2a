// Package jsonstr quotes strings as encoding/json does without HTML
// escaping: the one string encoder behind the generator's direct request
// writer and the sandbox's answers, both byte-identical to encoding/json.
package jsonstr

import "unicode/utf8"

// Append appends s quoted as encoding/json quotes it with SetEscapeHTML(false)
// (the generator undoes the HTML escaping, the sandbox never does it):
// \" \\ \b \f \n \r \t, other control bytes as \u00XX, invalid UTF-8 as
// \ufffd, U+2028 and U+2029 escaped.
func Append(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Whole words while they are plain, then the bytes of the word that
		// is not one by one: testing a word at every byte of a short or
		// escaped string (the scripts are full of both) cost more than it saved.
		i = skipPlain8(s, i)
		for end := min(i+8, len(s)); i < end; {
			c := s[i]
			if c < utf8.RuneSelf {
				if c >= 0x20 && c != '"' && c != '\\' {
					i++
					continue
				}
				b = append(b, s[start:i]...)
				switch c {
				case '"', '\\':
					b = append(b, '\\', c)
				case '\b':
					b = append(b, '\\', 'b')
				case '\f':
					b = append(b, '\\', 'f')
				case '\n':
					b = append(b, '\\', 'n')
				case '\r':
					b = append(b, '\\', 'r')
				case '\t':
					b = append(b, '\\', 't')
				default:
					b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
				}
				i++
				start = i
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			if r == '\u2028' || r == '\u2029' {
				b = append(b, s[start:i]...)
				b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
				i += size
				start = i
				continue
			}
			i += size
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plain8 reports whether the 8 bytes of s from i are printable ASCII other
// than '"' and '\\' (nothing Append escapes), testing them at once: a byte
// below 0x20, equal to '"' or '\\', or with its high bit set shows as a
// high bit in the sum (the "has less" and "has zero" tricks, exact when no
// byte has its high bit set, and that case is caught by x itself).
func plain8(s string, i int) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return (x|(x-ones*0x20)&^x|(q-ones)&^q|(bs-ones)&^bs)&highs == 0
}

// skipPlain8 advances i over the 8-byte words of s that need no escaping.
func skipPlain8(s string, i int) int {
	for i+8 <= len(s) && plain8(s, i) {
		i += 8
	}
	return i
}
