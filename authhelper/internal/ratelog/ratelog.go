// Package ratelog logs a kind of event at most once per interval and counts
// the ones it held back: refused requests to the helper daemon come from any
// local process or web page, which must not be able to fill the journal
// with one line per request.
package ratelog

import (
	"log/slog"
	"sync"
	"time"
)

// DefaultEvery is the interval between two lines of one Limiter.
const DefaultEvery = time.Minute

// maxAttr bounds a logged attribute (a path chosen by the caller).
const maxAttr = 200

// Limiter is safe for concurrent use.
type Limiter struct {
	log   *slog.Logger
	now   func() time.Time
	every time.Duration

	mu   sync.Mutex
	last map[string]time.Time
	held map[string]int
}

// New returns a Limiter writing to log; now and every may be zero.
func New(log *slog.Logger, now func() time.Time, every time.Duration) *Limiter {
	if now == nil {
		now = time.Now
	}
	if every <= 0 {
		every = DefaultEvery
	}
	return &Limiter{log: log, now: now, every: every, last: map[string]time.Time{}, held: map[string]int{}}
}

// Warn logs msg with path unless a line with msg was logged less than the
// interval ago; the next line that is logged says how many were held back.
// Keys are the fixed messages of the caller, so the maps stay small.
func (l *Limiter) Warn(msg, path string, args ...any) {
	l.mu.Lock()
	now := l.now()
	if last, ok := l.last[msg]; ok && now.Sub(last) < l.every {
		l.held[msg]++
		l.mu.Unlock()
		return
	}
	held := l.held[msg]
	l.last[msg], l.held[msg] = now, 0
	l.mu.Unlock()
	if len(path) > maxAttr {
		path = path[:maxAttr] + "…"
	}
	args = append([]any{"path", path}, args...)
	if held > 0 {
		args = append(args, "similar_held_back", held)
	}
	l.log.Warn(msg, args...)
}
