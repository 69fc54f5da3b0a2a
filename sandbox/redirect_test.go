package sandbox

import "testing"

func TestRedirectAllowed(t *testing.T) {
	reg := []string{"http://127.0.0.1:8791/callback", "https://app.example/cb"}
	tests := []struct {
		name    string
		anyPort bool
		uri     string
		want    bool
	}{
		{"exact", false, "http://127.0.0.1:8791/callback", true},
		{"other port refused by default", false, "http://127.0.0.1:40123/callback", false},
		{"other port with loopback_any_port", true, "http://127.0.0.1:40123/callback", true},
		{"other path never", true, "http://127.0.0.1:40123/other", false},
		{"localhost name is not the registered IP", true, "http://localhost:8791/callback", false},
		{"non-loopback exact", false, "https://app.example/cb", true},
		{"non-loopback other port never", true, "https://app.example:8443/cb", false},
		{"empty", true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Client{RedirectURIs: reg, LoopbackAnyPort: tt.anyPort}
			if got := c.redirectAllowed(tt.uri); got != tt.want {
				t.Fatalf("redirectAllowed(%q) = %v, want %v", tt.uri, got, tt.want)
			}
		})
	}
}
