package daemon

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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

// BenchmarkTokenServe is a token read as `obpm serve` runs it (info level,
// the config read from its file: "file" through the folder's watch, as
// every request does, "file-newconn" with the stat a new connection costs,
// as when every request comes on a connection of its own)
// through a ResponseWriter that costs nothing, so that what it reports is
// the daemon's own work per request: net/http's share is the same as a bare
// handler's (BenchmarkBareServe, the floor bench/load.sh compares with).
func BenchmarkTokenServe(b *testing.B) {
	for _, tc := range []struct {
		name          string
		file, newConn bool
	}{{"config=memory", false, false}, {"config=file", true, false}, {"config=file-newconn", true, true}} {
		b.Run(tc.name, func(b *testing.B) {
			f := newFixture(b)
			f.logLevel = slog.LevelInfo
			if tc.file {
				f.cfgPath = filepath.Join(b.TempDir(), "config.yaml")
				if err := f.cfg.Save(f.cfgPath); err != nil {
					b.Fatal(err)
				}
			}
			f.start()
			f.login(b)
			h := f.d.Handler()
			req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8791/v1/profiles/sb/token?kind=user", nil)
			req.Header.Set("Authorization", "Bearer "+testKey)
			w := &nopWriter{h: http.Header{}}
			h.ServeHTTP(w, req) // the first read after a login loads the config
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				if tc.newConn {
					f.d.ConnState(nil, http.StateNew)
				}
				h.ServeHTTP(w, req)
				if w.code != http.StatusOK || w.n < 100 {
					b.Fatalf("status %d, %d bytes", w.code, w.n)
				}
			}
		})
	}
}

// BenchmarkBareServe is bench/load's bare handler through the same writer.
func BenchmarkBareServe(b *testing.B) {
	body := []byte(`{"access_token":"eyJhbGciOiJIUzI1NiJ9.constant.constant","token_type":"Bearer","expires_at":"2027-01-01T00:00:00Z"}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8791/", nil)
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, req)
	}
}

// nopWriter is a ResponseWriter that keeps only the status and the size.
type nopWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *nopWriter) Header() http.Header { return w.h }
func (w *nopWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *nopWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

func (w *nopWriter) reset() { clear(w.h); w.code, w.n = 0, 0 }
