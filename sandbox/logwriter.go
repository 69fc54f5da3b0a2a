package sandbox

import (
	"io"
	"sync"
	"time"
)

// LogWriter passes what is written to it on to w from one goroutine, in
// batches: the lines written while a write to w is under way go out
// together in the next one. The sandbox logs a line per request; written
// one by one, each line cost a write system call, a twentieth of a
// balance inquiry's CPU under load. When requests are few, each line goes
// out at once, as before (the goroutine wakes for it); under load, one
// write carries many. The bytes, and their order, are unchanged.
//
// Close writes what is pending and stops the goroutine; later writes go
// straight to w. Pending bytes are bounded (maxLogPending): past that a
// Write waits for the goroutine, as a direct write would wait for w.
type LogWriter struct {
	w    io.Writer
	mu   sync.Mutex
	room sync.Cond // signalled when a batch has been written
	buf  []byte    // pending bytes
	// spare is the buffer the goroutine wrote last, reused for the next batch.
	spare   []byte
	kick    chan struct{} // a batch is pending (capacity 1)
	writing bool          // the goroutine is writing a batch
	done    chan struct{} // the goroutine has ended
	closed  bool
	once    sync.Once
}

// maxLogPending bounds LogWriter's pending bytes.
const maxLogPending = 1 << 20

// logBatchWindow is the least time between two writes to w while lines keep
// coming: a batch taken as soon as the last write returned held one or two
// lines under load (177,000 writes for 300,000 lines, a write call costing
// 2 µs of a 35 µs balance inquiry), so the goroutine waits out the rest of
// the window before the next one. A line that comes after a quiet window
// still goes out at once; no line waits longer than the window.
const logBatchWindow = time.Millisecond

// NewLogWriter starts the goroutine that writes to w.
func NewLogWriter(w io.Writer) *LogWriter {
	l := &LogWriter{w: w, kick: make(chan struct{}, 1), done: make(chan struct{})}
	l.room.L = &l.mu
	go l.run()
	return l
}

// Write queues a copy of p; it never fails (w's errors are dropped, as
// slog drops a handler's).
func (l *LogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	for len(l.buf) > 0 && len(l.buf)+len(p) > maxLogPending && !l.closed {
		l.room.Wait()
	}
	if l.closed {
		// After the last batch, so that lines stay in order.
		l.mu.Unlock()
		<-l.done
		return l.w.Write(p)
	}
	if len(l.buf) == 0 {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
	l.buf = append(l.buf, p...)
	l.mu.Unlock()
	return len(p), nil
}

func (l *LogWriter) run() {
	defer close(l.done)
	var last time.Time // when the last write returned
	for range l.kick {
		if wait := logBatchWindow - time.Since(last); wait > 0 {
			time.Sleep(wait)
		}
		l.mu.Lock()
		out := l.buf
		l.buf = l.spare[:0]
		l.spare = nil
		closing := l.closed
		l.writing = true
		l.mu.Unlock()
		if len(out) > 0 {
			_, _ = l.w.Write(out)
		}
		last = time.Now()
		l.mu.Lock()
		if cap(out) <= 64<<10 { // a burst's large buffer is not kept
			l.spare = out[:0]
		}
		l.writing = false
		l.room.Broadcast()
		l.mu.Unlock()
		if closing {
			return
		}
	}
}

// Flush returns once what was written before it has been passed to w.
func (l *LogWriter) Flush() {
	l.mu.Lock()
	for (len(l.buf) > 0 || l.writing) && !l.closed {
		l.room.Wait()
	}
	closed := l.closed
	l.mu.Unlock()
	if closed {
		<-l.done
	}
}

// Close writes what is pending, then returns; it may be called more than once.
func (l *LogWriter) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.room.Broadcast()
		l.mu.Unlock()
		// The goroutine sees closed on its next batch: make sure there is one.
		select {
		case l.kick <- struct{}{}:
		default:
		}
		<-l.done
	})
	return nil
}
