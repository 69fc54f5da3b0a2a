package sandbox

import (
	"iter"
)

// txnStore is one account's history, oldest first, kept compact: each row
// is a fixed-size record without pointers (its strings are indexes into
// the store's table of distinct strings, its counterparty an index into
// the store's distinct counterparties), in chunks of txnChunk records.
//
// Why: a withdraw adds two rows. As []Txn each row was 128 bytes with
// seven pointers, grown by copying the whole slice: after 760,000
// withdrawals the in-memory sandbox held 1.1 GB of RSS, every row was
// scanned by each GC cycle, and the growth faulted in fresh pages of
// copies. A record here is 56 bytes, the GC never looks inside a chunk,
// and a full chunk is never copied. The strings of a history repeat (a
// day, the contents a client sends, the few types and branches; a time of
// day has at most 86,400 values), so the table stays small; a row reads
// back as the same Txn, string for string, without allocating.
//
// Not safe for concurrent use: guarded by Server.mu like the rest of the state.
type txnStore struct {
	chunks [][]txnRec
	n      int
	strs   strTable
	// counters holds the distinct counterparties (counters[0] is nil), shared
	// read-only by the rows read back, as the rows that made them shared them.
	counters   []*Counterparty
	counterIdx map[Counterparty]uint32
	// last is the previous row's strings and indexes: most fields repeat
	// from one row to the next, and a string compared with itself is one
	// pointer comparison, cheaper than a map lookup.
	lastStr [txnStrFields]string
	lastIdx [txnStrFields]uint32
	lastCP  *Counterparty
	lastCPi uint32
}

// txnChunk is the records in a full chunk (56 bytes each: 224 KiB).
const txnChunk = 4096

// The string fields of a row, by index into txnRec.str.
const (
	txnDate = iota
	txnTime
	txnInOut
	txnType
	txnContent
	txnBranch
	txnStrFields
)

// txnRec is one row: no pointers, so a chunk is never scanned by the GC.
type txnRec struct {
	amount, after, seq int64
	str                [txnStrFields]uint32
	counter            uint32 // 0: none
}

// len is the number of rows.
func (h *txnStore) len() int {
	if h == nil {
		return 0
	}
	return h.n
}

// add appends t.
func (h *txnStore) add(t Txn) {
	var rec txnRec
	rec.amount, rec.after, rec.seq = t.Amount, t.AfterBalance, t.Seq
	for i, s := range [txnStrFields]string{t.Date, t.Time, t.InOut, t.Type, t.Content, t.Branch} {
		rec.str[i] = h.intern(i, s)
	}
	rec.counter = h.counter(t.Counter)
	h.chunks = appendChunked(h.chunks, rec, txnChunk)
	h.n++
}

// addAll appends rows in order.
func (h *txnStore) addAll(rows []Txn) {
	for _, t := range rows {
		h.add(t)
	}
}

func (h *txnStore) intern(field int, s string) uint32 {
	if s == h.lastStr[field] && s != "" {
		return h.lastIdx[field]
	}
	i := h.strs.intern(s)
	h.lastStr[field], h.lastIdx[field] = s, i
	return i
}

// strTable keeps each distinct string once, numbered from 1 (0 is "").
type strTable struct {
	strs  []string          // strs[0] is ""
	index map[string]uint32 // string → its index in strs
}

func (t *strTable) intern(s string) uint32 {
	if s == "" {
		return 0
	}
	i, ok := t.index[s]
	if !ok {
		if t.strs == nil {
			t.strs, t.index = []string{""}, map[string]uint32{}
		}
		i = uint32(len(t.strs))
		t.strs = append(t.strs, s)
		t.index[s] = i
	}
	return i
}

func (t *strTable) get(i uint32) string {
	if i == 0 {
		return ""
	}
	return t.strs[i]
}

func (h *txnStore) counter(c *Counterparty) uint32 {
	if c == nil {
		return 0
	}
	if c == h.lastCP {
		return h.lastCPi
	}
	i, ok := h.counterIdx[*c]
	if !ok {
		if h.counters == nil {
			h.counters, h.counterIdx = []*Counterparty{nil}, map[Counterparty]uint32{}
		}
		i = uint32(len(h.counters))
		h.counters = append(h.counters, c)
		h.counterIdx[*c] = i
	}
	h.lastCP, h.lastCPi = c, i
	return i
}

// at returns row i (0 ≤ i < len).
func (h *txnStore) at(i int) Txn {
	var rec *txnRec
	if i < len(h.chunks[0]) {
		rec = &h.chunks[0][i]
	} else {
		// Every chunk but the first holds txnChunk rows, and the first is
		// full (txnChunk rows) once a second exists.
		j := i - txnChunk
		rec = &h.chunks[1+j/txnChunk][j%txnChunk]
	}
	return Txn{Date: h.strs.get(rec.str[txnDate]), Time: h.strs.get(rec.str[txnTime]), InOut: h.strs.get(rec.str[txnInOut]),
		Type: h.strs.get(rec.str[txnType]), Content: h.strs.get(rec.str[txnContent]), Amount: rec.amount,
		Branch: h.strs.get(rec.str[txnBranch]), AfterBalance: rec.after, Seq: rec.seq, Counter: h.counterAt(rec.counter)}
}

func (h *txnStore) counterAt(i uint32) *Counterparty {
	if i == 0 {
		return nil
	}
	return h.counters[i]
}

// all yields the rows in order.
func (h *txnStore) all() iter.Seq[Txn] { return seqOf(h.len(), h.at) }

// slice returns rows [from, to) as a new slice (nil when empty, as a
// history that never had a row was).
func (h *txnStore) slice(from, to int) []Txn { return sliceOf(from, to, h.at) }

// appendChunked appends rec to chunks, all full (of size full) but the
// last. The first chunk grows from a few records by doubling (most
// accounts have a short history); later ones are made full once and never
// copied, so a long history is never moved.
func appendChunked[T any](chunks [][]T, rec T, full int) [][]T {
	last := len(chunks) - 1
	if last < 0 || len(chunks[last]) == cap(chunks[last]) {
		if last >= 0 && cap(chunks[last]) < full {
			grown := make([]T, len(chunks[last]), min(2*cap(chunks[last]), full))
			copy(grown, chunks[last])
			chunks[last] = grown
		} else {
			size := full
			if last < 0 {
				size = 8
			}
			chunks = append(chunks, make([]T, 0, size))
			last++
		}
	}
	chunks[last] = append(chunks[last], rec)
	return chunks
}

// seqOf yields at(0) … at(n-1): both compact stores (rows, transfers) read
// a record back one at a time.
func seqOf[T any](n int, at func(int) T) iter.Seq[T] {
	return func(yield func(T) bool) {
		for i := range n {
			if !yield(at(i)) {
				return
			}
		}
	}
}

// sliceOf returns at(from) … at(to-1) as a new slice, nil when empty.
func sliceOf[T any](from, to int, at func(int) T) []T {
	if from >= to {
		return nil
	}
	out := make([]T, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, at(i))
	}
	return out
}
