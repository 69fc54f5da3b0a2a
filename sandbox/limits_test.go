package sandbox_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/obpm/obpm/sandbox"
)

// countingBody is a huge form body that counts what the server reads.
type countingBody struct {
	left, read int
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), b.left)
	for i := range n {
		p[i] = 'a'
	}
	b.left -= n
	b.read += n
	return n, nil
}

func (b *countingBody) Close() error { return nil }

// The token, revoke and consent routes read at most MaxFormBytes of a form
// (net/http alone reads 10 MB) and answer 413.
func TestFormBodiesAreCapped(t *testing.T) {
	e := start(t, sandbox.Config{})
	h := e.srv.Handler()
	for _, path := range []string{"/oauth/2.0/token", "/oauth/2.0/revoke", "/oauth/2.0/consent"} {
		for _, known := range []bool{true, false} {
			body := &countingBody{left: 10 << 20}
			req := httptest.NewRequest(http.MethodPost, path, nil)
			req.Body = body
			req.ContentLength = -1 // chunked: the length is not known up front
			if known {
				req.ContentLength = 10 << 20
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("%s (length known %v) = %d %s, want 413", path, known, rec.Code, strings.TrimSpace(rec.Body.String()))
			}
			if body.read > 2*sandbox.MaxFormBytes {
				t.Errorf("%s (length known %v): the server read %d bytes of the body", path, known, body.read)
			}
		}
	}
}
