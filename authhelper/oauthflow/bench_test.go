package oauthflow

import "testing"

func BenchmarkParseCallback(b *testing.B) {
	q := "code=6f2c1d0e-aaaa-bbbb-cccc-0123456789ab&state=0123456789abcdef0123456789abcdef&scope=login+inquiry+transfer&client_info=x"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCallback(q); err != nil {
			b.Fatal(err)
		}
	}
}
