package daemon

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkTokenRead measures a fresh-token read through the whole handler
// (guards, key check, memory hit, JSON), without the network.
func BenchmarkTokenRead(b *testing.B) {
	f := newFixture(b)
	f.login(b)
	h := f.d.Handler()
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8791/v1/profiles/sb/token?kind=user", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkTokenReadParallel is BenchmarkTokenRead from many goroutines at
// once, as Postman runners and load tests call it: the fresh-token path
// must not queue callers on the profile's lock.
func BenchmarkTokenReadParallel(b *testing.B) {
	f := newFixture(b)
	f.login(b)
	h := f.d.Handler()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8791/v1/profiles/sb/token?kind=user", nil)
		req.Header.Set("Authorization", "Bearer "+testKey)
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}
