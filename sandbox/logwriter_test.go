package sandbox

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowWriter records writes; each waits on gate when one is set.
type slowWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	gate   chan struct{}
}

func (w *slowWriter) Write(p []byte) (int, error) {
	if w.gate != nil {
		<-w.gate
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return w.buf.Write(p)
}

func (w *slowWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.buf.String() }

// TestLogWriterKeepsEveryLineInOrder: lines from many goroutines all
// arrive whole, each goroutine's in its order, in fewer writes than lines
// when they come faster than the writer takes them; writes after Close go
// straight through.
func TestLogWriterKeepsEveryLineInOrder(t *testing.T) {
	w := &slowWriter{gate: make(chan struct{})}
	l := NewLogWriter(w)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(l, "g=%d i=%d %s\n", g, i, strings.Repeat("x", 300))
			}
		})
	}
	// Let the writer through once a burst has piled up, then freely.
	time.Sleep(10 * time.Millisecond)
	close(w.gate)
	wg.Wait()
	_ = l.Close()
	_, _ = l.Write([]byte("after close\n"))
	_ = l.Close()
	got := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	if len(got) != writers*lines+1 || got[len(got)-1] != "after close" {
		t.Fatalf("%d lines, last %q", len(got), got[len(got)-1])
	}
	next := make([]int, writers)
	for _, line := range got[:len(got)-1] {
		var g, i int
		if _, err := fmt.Sscanf(line, "g=%d i=%d", &g, &i); err != nil || i != next[g] || len(line) != len(fmt.Sprintf("g=%d i=%d ", g, i))+300 {
			t.Fatalf("line %q out of order or cut (want i=%d for g=%d)", line, next[g], g)
		}
		next[g]++
	}
	if w.writes >= writers*lines {
		t.Errorf("%d writes for %d lines: no batching", w.writes, writers*lines)
	}
}

// TestLogWriterWritesALoneLineAtOnce: without Close, a line reaches the
// writer on its own (polled, bounded).
func TestLogWriterWritesALoneLineAtOnce(t *testing.T) {
	w := &slowWriter{}
	l := NewLogWriter(w)
	defer l.Close()
	_, _ = l.Write([]byte("one\n"))
	for i := 0; w.String() != "one\n"; i++ {
		if i > 1000 {
			t.Fatalf("the line never arrived: %q", w.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLogWriterBoundsPending: while the writer is stuck, Write waits once
// maxLogPending bytes are pending instead of growing without bound.
func TestLogWriterBoundsPending(t *testing.T) {
	w := &slowWriter{gate: make(chan struct{})}
	l := NewLogWriter(w)
	line := []byte(strings.Repeat("y", 1023) + "\n")
	wrote := make(chan int)
	go func() {
		n := 0
		for range 4 * maxLogPending / len(line) {
			_, _ = l.Write(line)
			n++
		}
		wrote <- n
	}()
	time.Sleep(50 * time.Millisecond)
	l.mu.Lock()
	pending := len(l.buf)
	l.mu.Unlock()
	if pending > maxLogPending {
		t.Errorf("%d bytes pending with the writer stuck", pending)
	}
	close(w.gate)
	if n := <-wrote; n != 4*maxLogPending/len(line) {
		t.Fatalf("%d writes", n)
	}
	_ = l.Close()
	if got := len(w.String()); got != 4*maxLogPending/len(line)*len(line) {
		t.Fatalf("%d bytes written", got)
	}
}
