package sandbox

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReadBody: the body whatever Content-Length says of it, and the 1 MiB cap.
func TestReadBody(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	for _, tc := range []struct {
		name    string
		body    string
		length  int64
		wantErr bool
	}{
		{"exact", `{"a":"b"}`, 9, false},
		{"unknown length", `{"a":"b"}`, -1, false},
		{"shorter than announced", `{"a"`, 9, false},
		{"longer than announced", `{"a":"b"}`, 3, false},
		{"1 MiB", big, 1 << 20, false},
		{"1 MiB and a byte", big + "y", 1<<20 + 1, true},
		{"1 MiB and a byte, announced less", big + "y", 10, true},
		{"1 MiB and a byte, unknown length", big + "y", -1, true},
		{"empty", "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodPost, "http://sandbox/", nil)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(tc.body)), tc.length
			got, err := readBody(r)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err == nil && !bytes.Equal(got, []byte(tc.body)) {
				t.Fatalf("read %d bytes %.20q, want %d", len(got), got, len(tc.body))
			}
			// The same into a recycled buffer, smaller, larger and
			// holding an earlier body's bytes.
			for _, size := range []int{0, 4, 64, 2 << 20} {
				buf := bytes.Repeat([]byte("#"), size)
				r.Body = io.NopCloser(strings.NewReader(tc.body))
				got, err := readBodyInto(r, &buf)
				if (err != nil) != tc.wantErr {
					t.Fatalf("into %d bytes: err %v, want error %v", size, err, tc.wantErr)
				}
				if err == nil && !bytes.Equal(got, []byte(tc.body)) {
					t.Fatalf("into %d bytes: read %d bytes %.20q, want %d", size, len(got), got, len(tc.body))
				}
			}
		})
	}
}
