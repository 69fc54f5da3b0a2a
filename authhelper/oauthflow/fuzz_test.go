package oauthflow

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseCallback: whatever the query, parsing never panics, and what it
// accepts is bounded, printable and not ambiguous.
func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{
		"code=abc&state=0123456789abcdef0123456789abcdef&scope=login+inquiry+transfer&client_info=x",
		"error=access_denied&error_description=%EC%82%AC%EC%9A%A9%EC%9E%90+%EC%B7%A8%EC%86%8C",
		"code=a&state=b&state=c",
		"code=%zz",
		"state=%00",
		"scope=login%2Binquiry",
		"",
		"&&&=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		p, err := ParseCallback(q)
		if err != nil {
			if p != (CallbackParams{}) {
				t.Fatalf("error %v with non-empty params %+v", err, p)
			}
			return
		}
		for name, v := range map[string]string{"code": p.Code, "state": p.State, "error": p.Error} {
			if strings.ContainsFunc(v, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
				t.Fatalf("%s %q holds non-printable characters", name, v)
			}
		}
		for _, v := range []string{p.Scope, p.ClientInfo, p.ErrorDescription} {
			if !utf8.ValidString(v) || len(v) > maxTextLen {
				t.Fatalf("text %q invalid or too long", v)
			}
		}
		if strings.Contains(p.Scope, "+") {
			t.Fatalf("scope %q keeps a '+'", p.Scope)
		}
		if len(p.Code) > maxCodeLen || len(p.State) > maxStateLen {
			t.Fatal("over-long value accepted")
		}
		// An accepted query decodes to the same single values with the stdlib.
		v, _ := url.ParseQuery(q)
		if v.Get("code") != p.Code || v.Get("state") != p.State {
			t.Fatalf("disagrees with url.ParseQuery: %+v vs %v", p, v)
		}
		// A state check never accepts a different state.
		if p.State != "" {
			if _, err := p.Check(p.State + "x"); err == nil {
				t.Fatal("Check accepted a different state")
			}
		}
	})
}
