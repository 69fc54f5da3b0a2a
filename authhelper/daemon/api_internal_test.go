package daemon

import (
	"net/url"
	"path"
	"strings"
	"testing"
)

// kindParam reads the kind as url.Values would, whatever the query.
func TestKindParamAgreesWithQuery(t *testing.T) {
	for _, q := range []string{"", "kind=user", "kind=institution", "kind=", "kind=User", "kind=user&kind=institution",
		"kind=institution&kind=user", "x=1&kind=institution", "kind=%75ser", "kind=user;x", "kind=user&", "kind", "kind=user%",
		"kind=institution ", "KIND=user"} {
		u := &url.URL{Path: "/v1/profiles/sb/token", RawQuery: q}
		if got, want := kindParam(u), u.Query().Get("kind"); got != want {
			t.Errorf("kindParam(%q) = %q, url.Values say %q", q, got, want)
		}
	}
}

// tokenPath takes the paths the router's clean-path rule would, and only
// those with one profile element.
func TestTokenPathIsClean(t *testing.T) {
	for _, p := range []string{"/v1/profiles/sb/token", "/v1/profiles/./token", "/v1/profiles/../token", "/v1/profiles/.../token",
		"/v1/profiles//token", "/v1/profiles/a/b/token", "/v1/profiles/sb/token/", "/v1//profiles/sb/token", "/v1/profiles/sb/./token",
		"/v1/profiles/.sb/token", "/v1/profiles/sb./token", "/v1/profiles/sb/token/..", "v1/profiles/sb/token", "/v1/profiles/%2e/token"} {
		rest, ok := strings.CutPrefix(p, "/v1/profiles/")
		name, ok2 := strings.CutSuffix(rest, "/token")
		want := ok && ok2 && name != "" && !strings.Contains(name, "/") && path.Clean(p) == p
		got, gotOK := tokenPath(p)
		if gotOK != want || (want && got != name) {
			t.Errorf("tokenPath(%q) = %q, %v; want %v", p, got, gotOK, want)
		}
	}
}
