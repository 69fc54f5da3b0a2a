package daemon

import (
	"net/url"
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
