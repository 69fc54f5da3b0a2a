package sandbox

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestLogHandlerMatchesTextHandler: a request line written by
// NewLogHandler's direct path is byte for byte what slog.TextHandler
// writes for the record logRequests would have built, and a line the
// direct path cannot write plainly goes to the text handler.
func TestLogHandlerMatchesTextHandler(t *testing.T) {
	kst := time.FixedZone("KST", 9*3600)
	times := []time.Time{
		time.Date(2026, 12, 1, 19, 4, 15, 123456789, time.UTC),
		time.Date(2026, 12, 1, 19, 4, 15, 0, time.UTC),
		time.Date(2026, 12, 1, 19, 4, 15, 999999999, kst),
		time.Date(1999, 1, 2, 3, 4, 5, 1000000, time.FixedZone("", -(3*3600+30*60))),
		time.Now(), // with a monotonic reading
	}
	latencies := []time.Duration{0, time.Microsecond, 35 * time.Microsecond, 999 * time.Microsecond,
		time.Millisecond, 1234567 * time.Microsecond / 1000 * 1000, 2 * time.Second, 61*time.Minute + 5*time.Second + 3*time.Microsecond}
	lines := []requestLine{
		{method: "GET", path: "/v2.0/account/balance/fin_num", status: 200, rsp: "A0000"},
		{method: "POST", path: "/v2.0/transfer/withdraw/fin_num", status: 200, rsp: "A0326"},
		{method: "POST", path: "/oauth/2.0/token", status: 200, rsp: "token"},
		{method: "GET", path: "/oauth/2.0/authorize", status: 200, rsp: ""},
		{method: "GET", path: "/nowhere", status: 404, rsp: "O0005"},
		{method: "GET", path: "/", status: 0, rsp: ""},
		// The text handler quotes these: the direct path hands them over.
		{method: "GET", path: "/v2.0/a b", status: 404, rsp: "O0005"},
		{method: "GET", path: "/v2.0/a=b", status: 404, rsp: "O0005"},
		{method: "GET", path: `/v2.0/"x"`, status: 404, rsp: "O0005"},
		{method: "GET", path: "/v2.0/계좌", status: 404, rsp: "O0005"},
		{method: "GET", path: "/v2.0/\x00\n", status: 404, rsp: "O0005"},
		{method: "GET", path: "", status: 400, rsp: ""},
		{method: "M E", path: "/x", status: 405, rsp: "O0010"},
		{method: "GET", path: "/x", status: 200, rsp: "a b"},
	}
	direct := 0
	for _, tm := range times {
		for _, lat := range latencies {
			for _, l := range lines {
				l.time, l.latency = tm, lat
				var want, got bytes.Buffer
				rec := slog.NewRecord(l.time, slog.LevelInfo, "request", 0)
				rec.AddAttrs(slog.String("method", l.method), slog.String("path", l.path),
					slog.Int("status", l.status), slog.String("rsp_code", l.rsp),
					slog.String("latency", l.latency.String()))
				if err := slog.NewTextHandler(&want, nil).Handle(context.Background(), rec); err != nil {
					t.Fatal(err)
				}
				h := NewLogHandler(&got, nil).(*logHandler)
				if h.logRequest(&l) {
					direct++
				} else if err := h.Handle(context.Background(), rec); err != nil {
					t.Fatal(err)
				}
				if got.String() != want.String() {
					t.Errorf("%+v:\n got %q\nwant %q", l, got.String(), want.String())
				}
			}
		}
	}
	if direct < len(times)*len(latencies)*6 {
		t.Errorf("%d lines took the direct path, want at least %d", direct, len(times)*len(latencies)*6)
	}
	// Options the direct path cannot honour turn it off.
	for _, opts := range []*slog.HandlerOptions{{AddSource: true}, {ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { return a }}} {
		var buf bytes.Buffer
		l := lines[0]
		if NewLogHandler(&buf, opts).(*logHandler).logRequest(&l) || buf.Len() > 0 {
			t.Errorf("options %+v: the direct path wrote %q", opts, buf.String())
		}
	}
}

// TestLogHandlerThroughTheServer: with NewLogHandler the sandbox logs each
// request in the text handler's form (what users read), other records too,
// and a level above info keeps request lines out.
func TestLogHandlerThroughTheServer(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelWarn} {
		var buf bytes.Buffer
		s, err := New(Config{Logger: slog.New(NewLogHandler(&buf, &slog.HandlerOptions{Level: level}))})
		if err != nil {
			t.Fatal(err)
		}
		h := s.Handler()
		for _, target := range []string{"/v2.0/account/balance/fin_num?bank_tran_id=x", "/nowhere", "/v2.0/a%20b"} {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
		}
		s.log.Warn("a warning", "k", "v w")
		out := buf.String()
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if level == slog.LevelWarn {
			if len(lines) != 1 || !strings.Contains(out, `level=WARN msg="a warning" k="v w"`) {
				t.Errorf("at warn: %q", out)
			}
			continue
		}
		want := []string{
			` level=INFO msg=request method=GET path=/v2.0/account/balance/fin_num status=200 rsp_code=O0001 latency=`,
			` level=INFO msg=request method=GET path=/nowhere status=404 rsp_code=O0005 latency=`,
			` level=INFO msg=request method=GET path="/v2.0/a b" status=404 rsp_code=O0005 latency=`,
			` level=WARN msg="a warning" k="v w"`,
		}
		if len(lines) != len(want) {
			t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
		}
		for i, l := range lines {
			if !strings.HasPrefix(l, "time=") || !strings.Contains(l, want[i]) {
				t.Errorf("line %d: %q, want it to hold %q", i, l, want[i])
			}
		}
	}
}
