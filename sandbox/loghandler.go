package sandbox

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// NewLogHandler is slog.NewTextHandler(w, opts) that also writes the
// sandbox's request lines itself: the line a request logs (logRequests)
// is appended to a buffer field by field, in the very bytes the text
// handler writes for it, without a slog.Record, the handler's attribute
// walk and quoting checks, or the latency's string (the text handler was a
// twentieth of a balance inquiry's CPU). Any other record, and a request
// line with a value the text handler would quote (an unusual path),
// takes the text handler. TestLogHandlerMatchesTextHandler holds the two
// to the same bytes.
func NewLogHandler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	if opts == nil {
		opts = &slog.HandlerOptions{}
	}
	h := &logHandler{fast: opts.ReplaceAttr == nil && !opts.AddSource}
	// The text handler and the request lines write through one lock, so
	// that lines never interleave on any writer (a LogWriter has its own).
	if lw, ok := w.(*LogWriter); ok {
		h.out = lw
	} else {
		h.out = &lockedWriter{w: w}
	}
	h.Handler = slog.NewTextHandler(h.out, opts)
	return h
}

// logHandler is a *slog.TextHandler with a direct path for request lines.
type logHandler struct {
	slog.Handler // the text handler
	out          io.Writer
	fast         bool // no ReplaceAttr and no AddSource: lines are plain
	bufs         sync.Pool
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// requestLine is what logRequests logs for one request.
type requestLine struct {
	time         time.Time
	method, path string
	status       int
	rsp          string
	latency      time.Duration // rounded to the microsecond
}

// logRequest writes line, at info level, in the text handler's form; the
// caller has asked Enabled. It reports false, having written nothing,
// when the text handler must write it.
func (h *logHandler) logRequest(line *requestLine) bool {
	if !h.fast || !plainLogValue(line.method) || !plainLogValue(line.path) || (line.rsp != "" && !plainLogValue(line.rsp)) {
		return false
	}
	bp, _ := h.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
		*bp = make([]byte, 0, 256)
	}
	b := append((*bp)[:0], "time="...)
	b = appendLogTime(b, line.time)
	b = append(b, " level=INFO msg=request method="...)
	b = append(b, line.method...)
	b = append(b, " path="...)
	b = append(b, line.path...)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(line.status), 10)
	b = append(b, " rsp_code="...)
	if line.rsp == "" {
		b = append(b, `""`...)
	} else {
		b = append(b, line.rsp...)
	}
	b = append(b, " latency="...)
	// A duration's string never needs quoting (digits, '.', '-', units).
	b = append(b, line.latency.String()...)
	b = append(b, '\n')
	_, _ = h.out.Write(b)
	if cap(b) <= 4<<10 {
		*bp = b[:0]
		h.bufs.Put(bp)
	}
	return true
}

// appendLogTime appends t as the text handler does: RFC 3339 with
// milliseconds, the monotonic reading stripped.
func appendLogTime(b []byte, t time.Time) []byte {
	t = t.Round(0)
	// slog's appendRFC3339Millis: RFC3339Nano of t truncated to the
	// millisecond plus a tenth of one (so that four digits follow the
	// period), with the fourth digit dropped.
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	b = t.Truncate(time.Millisecond).Add(time.Millisecond/10).AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}

// plainLogValue reports whether the text handler writes s as it is: a
// non-empty string of letters, digits and a few punctuation marks (a
// subset of what it leaves unquoted).
func plainLogValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '/', c == '.', c == '_', c == '-', c == ':', c == '~', c == ',', c == '@', c == '+':
		default:
			return false
		}
	}
	return true
}

// WithAttrs and WithGroup give plain text handlers: their lines carry
// more than a request line.
func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler { return h.Handler.WithAttrs(attrs) }
func (h *logHandler) WithGroup(name string) slog.Handler       { return h.Handler.WithGroup(name) }
