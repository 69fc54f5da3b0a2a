package generator

import (
	"crypto/sha1"
	"fmt"
	"strings"
	"unicode"
)

// idNamespace is the UUID namespace of every id obpm writes (a fixed random
// UUID), so that ids derived from the same names never change between runs and a
// re-import in Postman replaces the earlier collection instead of duplicating it.
const idNamespace = "obpm-\x9a\x4e\x1b\x8c\x47\x3e\x21\x5d\x90\xa2\x11"

// stableID returns a version-5 (SHA-1, name-based) UUID of name in obpm's namespace.
func stableID(name string) string {
	h := sha1.New()
	h.Write([]byte(idNamespace))
	h.Write([]byte(name))
	s := h.Sum(nil)
	s[6] = (s[6] & 0x0f) | 0x50
	s[8] = (s[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// slug lower-cases s and keeps ASCII letters and digits, joining the rest with
// single hyphens ("Open Banking (testbed)" → "open-banking-testbed").
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// snake turns a scheme name such as "userToken" or "api-key" into "user_token"
// or "api_key".
func snake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case unicode.IsUpper(r):
			if i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	return strings.Trim(b.String(), "_")
}

// schemeBase is the scheme's variable stem: snake_case with a trailing
// _token/_auth removed ("userToken" → "user"), as docs/design.md fixes it.
func schemeBase(scheme string) string {
	s := snake(scheme)
	for _, suf := range []string{"_token", "_auth"} {
		if t := strings.TrimSuffix(s, suf); t != s && t != "" {
			return t
		}
	}
	return s
}

// tokenVariable is the Postman variable that holds the bearer token of a scheme.
func tokenVariable(scheme string) string { return schemeBase(scheme) + "_access_token" }

// maxNameLen bounds a request's name: Postman's sidebar shows about this much.
const maxNameLen = 80

// requestName is the operation's summary, else its operationId, else
// "METHOD path"; a summary that is a paragraph is cut to its first sentence
// and at most maxNameLen characters (some specs put whole descriptions there).
func requestName(o *operation) string {
	if name := shortName(o.op.Summary); name != "" {
		return name
	}
	if o.op.OperationID != "" {
		return o.op.OperationID
	}
	return strings.ToUpper(o.method) + " " + o.path
}

// shortName is s on one line: its first sentence when s is longer than
// maxNameLen, then cut at a word boundary with "…".
func shortName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) <= maxNameLen {
		return s
	}
	for i, r := range s {
		if (r == '.' || r == '!' || r == '?' || r == '。') && i > 0 {
			rest := s[i+len(string(r)):]
			if rest == "" || rest[0] == ' ' {
				s = s[:i+len(string(r))]
				if r == '.' {
					s = strings.TrimSuffix(s, ".")
				}
				break
			}
		}
	}
	rs := []rune(s)
	if len(rs) <= maxNameLen {
		return s
	}
	cut := string(rs[:maxNameLen-1])
	if i := strings.LastIndexByte(cut, ' '); i > maxNameLen/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:-") + "…"
}
