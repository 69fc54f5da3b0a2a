package client

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// recorder fails any request that reaches it: nothing may leave for a
// non-loopback helper URL.
type recorder struct{ reqs []*http.Request }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.reqs = append(r.reqs, req)
	return nil, http.ErrHandlerTimeout
}

func TestKeyNeverLeavesLoopback(t *testing.T) {
	tests := []struct {
		url     string
		wantErr bool
	}{
		{"http://127.0.0.1:8791", false},
		{"http://[::1]:8791", false},
		{"http://localhost:8791", false},
		{"http://example.com:8791", true},
		{"http://10.0.0.5:8791", true},
		{"https://127.0.0.1:8791", true},
		{"http://127.0.0.1.nip.io:8791", true},
		{"http://127.0.0.1:8791@evil.example", true},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			if err := CheckLocal(tc.url); (err != nil) != tc.wantErr {
				t.Fatalf("CheckLocal(%q) = %v, want error %v", tc.url, err, tc.wantErr)
			}
			if !tc.wantErr {
				return
			}
			rec := &recorder{}
			c := New(tc.url, "the-secret-key")
			c.HTTP.Transport = rec
			_, err := c.Token(context.Background(), "p", "user")
			if err == nil || !strings.Contains(err.Error(), "OBPM_HELPER_URL") {
				t.Fatalf("Token err = %v, want the loopback-only refusal naming OBPM_HELPER_URL", err)
			}
			if len(rec.reqs) != 0 {
				t.Fatalf("a request with the key went to %s", rec.reqs[0].URL)
			}
		})
	}
}
