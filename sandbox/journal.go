package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/obpm/obpm/internal/atomicfile"
)

// stateFile keeps the state in one file (--state): a snapshot of the whole
// state, one JSON document on the first line, followed by journal records,
// one line each ("crc32 JSON"), that say what each change did: the small
// parts of the state as they now are (users, account balances and consents,
// tokens, claims), plus only the new rows of the parts that grow with
// history (account histories, transfers, the day's bank_tran_ids). So a
// write costs the same on the first day and after a million transfers.
//
// A change is acknowledged only once its record is synced: concurrent
// changes share one write and one fsync (group commit). When the journal
// outgrows the snapshot (or 1 MiB), the file is rewritten as a new snapshot
// (atomically: temporary file, fsync, rename), so rewrites cost O(1) per
// change on average. A record cut short by a crash (kill -9 between write
// and fsync; it was never acknowledged) is dropped at the next start.
type stateFile struct {
	path string
	// compactAt is the journal size below which no snapshot is written.
	compactAt int64

	// Guarded by Server.mu: what the journal holds, to find what is new.
	snapSize  int64
	size      int64
	lastSmall []byte
	rows      map[string]int // history rows on file, per account key
	transfers int

	// Guarded by mu: the group commit.
	mu       sync.Mutex
	cond     *sync.Cond
	f        *os.File // the file, opened for appending
	buf      []byte   // records not yet written
	spare    []byte
	appended atomic.Uint64 // records numbered since the process started
	durable  atomic.Uint64 // records written and synced (or in a snapshot)
	syncing  bool
	err      error // the last write failed: the next change writes a snapshot
}

// compactMin is the journal size below which no snapshot is written.
const compactMin = 1 << 20

// dupFlushEvery bounds the bank_tran_ids that inquiries add between two
// records (inquiries are not written one by one).
const dupFlushEvery = 1024

func newStateFile(path string) *stateFile {
	sf := &stateFile{path: path, rows: map[string]int{}, compactAt: compactMin}
	sf.cond = sync.NewCond(&sf.mu)
	return sf
}

// journalRecord is one change.
type journalRecord struct {
	// Small is the whole smallState after the change, when it changed.
	Small json.RawMessage `json:"small,omitempty"`
	// Rows are the history rows added, by account key ("a:" fintech_use_num
	// or "c:" client_use_code for a contracted account).
	Rows      map[string][]Txn `json:"rows,omitempty"`
	Transfers []Transfer       `json:"transfers,omitempty"`
	Dup       *dupDelta        `json:"dup,omitempty"`
}

// smallState is the part of the state that does not grow with history; the
// accounts' histories are left out (journalRecord.Rows carries them).
type smallState struct {
	Users     map[string]*userState    `json:"users"`
	Accounts  map[string]*accountState `json:"accounts"`
	Contracts map[string]*accountState `json:"contracts"`
	Codes     map[string]*authCode     `json:"codes"`
	Refresh   map[string]*refreshToken `json:"refresh"`
	Tokens    map[string]*tokenRecord  `json:"tokens"`
	Claims    map[string]*Claim        `json:"claims"`
	Seq       int64                    `json:"seq"`
	PrunedDay string                   `json:"pruned_day"`
}

func withoutHistory(m map[string]*accountState) map[string]*accountState {
	out := make(map[string]*accountState, len(m))
	for k, a := range m {
		c := *a
		c.History, c.hist = nil, nil
		out[k] = &c
	}
	return out
}

// withHistory copies the accounts of m with their histories read back
// from the store into Account.History, as the state file writes them.
func withHistory(m map[string]*accountState) map[string]*accountState {
	out := make(map[string]*accountState, len(m))
	for k, a := range m {
		c := *a
		c.History, c.hist = append(a.hist.slice(0, a.hist.len()), a.History...), nil
		out[k] = &c
	}
	return out
}

// snapshot is a copy of st with the rows of its stores in the fields the
// state file has always had (Account.History, Transfers): the file's form
// does not depend on how the rows are kept in memory.
func (st *state) snapshot() *state {
	c := *st
	c.Accounts, c.Contracts = withHistory(st.Accounts), withHistory(st.Contracts)
	c.Transfers, c.transfers = append(st.transfers.slice(0, st.transfers.len()), st.Transfers...), nil
	return &c
}

func (st *state) small() smallState {
	return smallState{Users: st.Users, Accounts: withoutHistory(st.Accounts), Contracts: withoutHistory(st.Contracts),
		Codes: st.Codes, Refresh: st.Refresh, Tokens: st.Tokens, Claims: st.Claims, Seq: st.Seq, PrunedDay: st.PrunedDay}
}

// record appends what changed since the last record and returns its
// number, to wait for with wait after Server.mu is released. Nothing
// changed: the number of the last record (what the caller saw).
func (sf *stateFile) record(st *state) (uint64, error) {
	sf.mu.Lock()
	failed := sf.err != nil
	sf.mu.Unlock()
	if failed {
		return sf.compact(st)
	}
	var rec journalRecord
	small, err := json.Marshal(st.small())
	if err != nil {
		return 0, fmt.Errorf("encode sandbox state: %w", err)
	}
	if !bytes.Equal(small, sf.lastSmall) {
		rec.Small, sf.lastSmall = small, small
	}
	for _, side := range []struct {
		prefix string
		m      map[string]*accountState
	}{{"a:", st.Accounts}, {"c:", st.Contracts}} {
		for k, a := range side.m {
			key := side.prefix + k
			h := a.history()
			n, had := h.len(), sf.rows[key]
			switch {
			case n < had:
				return sf.compact(st) // not an append: write everything
			case n > had:
				if rec.Rows == nil {
					rec.Rows = map[string][]Txn{}
				}
				rec.Rows[key] = h.slice(had, n)
				sf.rows[key] = n
			}
		}
	}
	switch n := st.transferLog().len(); {
	case n < sf.transfers:
		return sf.compact(st)
	case n > sf.transfers:
		rec.Transfers = st.transferLog().slice(sf.transfers, n)
		sf.transfers = n
	}
	rec.Dup = st.DupIDs.take()
	if rec.Small == nil && rec.Rows == nil && rec.Transfers == nil && rec.Dup == nil {
		return sf.appended.Load(), nil
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("encode sandbox journal record: %w", err)
	}
	line := make([]byte, 0, len(body)+10)
	line = fmt.Appendf(line, "%08x ", crc32.ChecksumIEEE(body))
	line = append(append(line, body...), '\n')
	sf.mu.Lock()
	sf.buf = append(sf.buf, line...)
	lsn := sf.appended.Add(1)
	sf.mu.Unlock()
	sf.size += int64(len(line))
	if sf.size-sf.snapSize > max(sf.snapSize, sf.compactAt) {
		return sf.compact(st)
	}
	return lsn, nil
}

// wait returns once record lsn is on disk: the first waiter writes and
// syncs every record appended so far, the others wait for it.
func (sf *stateFile) wait(lsn uint64) error {
	if sf.durable.Load() >= lsn {
		return nil
	}
	sf.mu.Lock()
	defer sf.mu.Unlock()
	for sf.durable.Load() < lsn {
		if sf.err != nil {
			return sf.err
		}
		if sf.syncing {
			sf.cond.Wait()
			continue
		}
		buf, upto, f := sf.buf, sf.appended.Load(), sf.f
		sf.buf, sf.syncing = sf.spare[:0], true
		sf.mu.Unlock()
		_, err := f.Write(buf)
		if err == nil {
			err = f.Sync()
		}
		sf.mu.Lock()
		sf.spare, sf.syncing = buf, false
		if err != nil {
			sf.err = fmt.Errorf("append to sandbox state %s: %w", sf.path, err)
		} else {
			sf.durable.Store(upto)
		}
		sf.cond.Broadcast()
	}
	return nil
}

// compact rewrites the file as a snapshot of st; every record so far is in
// it, so they all count as durable.
func (sf *stateFile) compact(st *state) (uint64, error) {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	for sf.syncing {
		sf.cond.Wait()
	}
	size, err := writeSnapshot(sf.path, st)
	if err != nil {
		sf.err = err
		return 0, err
	}
	f, err := os.OpenFile(sf.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		sf.err = fmt.Errorf("open sandbox state %s: %w", sf.path, err)
		return 0, sf.err
	}
	if sf.f != nil {
		_ = sf.f.Close()
	}
	sf.f, sf.buf, sf.err = f, sf.buf[:0], nil
	sf.size, sf.snapSize, sf.lastSmall = size, size, nil
	clear(sf.rows)
	for k, a := range st.Accounts {
		sf.rows["a:"+k] = a.history().len()
	}
	for k, a := range st.Contracts {
		sf.rows["c:"+k] = a.history().len()
	}
	sf.transfers = st.transferLog().len()
	st.DupIDs.take()
	lsn := sf.appended.Load()
	sf.durable.Store(lsn)
	sf.cond.Broadcast()
	return lsn, nil
}

// writeSnapshot replaces the file with st as one JSON line, atomically
// (atomicfile: temporary file, fsync, rename), encoding straight into the
// file so that a large history is not held twice in memory. It returns the
// size written.
func writeSnapshot(path string, st *state) (int64, error) {
	var n countingWriter
	err := atomicfile.WriteWith(path, 0o600, func(w io.Writer) error {
		n.w = w
		return encodeSnapshot(&n, st)
	})
	if err != nil {
		return 0, fmt.Errorf("sandbox state: %w", err)
	}
	return n.n, nil
}

// encodeSnapshot writes st.snapshot() to w as json.Encoder.Encode would,
// byte for byte (one line, with its newline), without building it: the
// snapshot holds every history row and transfer as a Txn or Transfer (~3x
// the compact stores), and the encoder would hold its whole text too, so a
// compaction's transient peak was several times the state, and the heap
// goal (GOGC 200: 3x the live heap at that peak) kept RSS there. Here the
// state is encoded with placeholders in place of the accounts, contracts
// and transfers, which are then written piece by piece, one row at a time.
func encodeSnapshot(w io.Writer, st *state) error {
	var nb [12]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return fmt.Errorf("encode sandbox state: %w", err)
	}
	// A placeholder holds a random string that no data holds: it is found
	// exactly once in the encoded text.
	mark := "\x00obpm-snapshot-" + hex.EncodeToString(nb[:])
	c := *st
	c.Accounts = map[string]*accountState{mark + "-a": nil}
	c.Contracts = map[string]*accountState{mark + "-c": nil}
	c.Transfers, c.transfers = []Transfer{{BankTranID: mark + "-t"}}, nil
	head, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("encode sandbox state: %w", err)
	}
	type part struct {
		at, n int
		write func() error
	}
	parts := make([]part, 0, 3)
	for _, p := range []struct {
		v     any
		write func() error
	}{
		{c.Accounts, func() error { return encodeAccounts(w, st.Accounts, mark) }},
		{c.Contracts, func() error { return encodeAccounts(w, st.Contracts, mark) }},
		{c.Transfers, func() error {
			ts := st.transfers
			return encodeRows(w, ts.len(), ts.at, st.Transfers)
		}},
	} {
		ph, err := json.Marshal(p.v)
		if err != nil {
			return fmt.Errorf("encode sandbox state: %w", err)
		}
		at := bytes.Index(head, ph)
		if at < 0 {
			return fmt.Errorf("encode sandbox state: placeholder %s not found", ph)
		}
		parts = append(parts, part{at, len(ph), p.write})
	}
	slices.SortFunc(parts, func(a, b part) int { return a.at - b.at })
	prev := 0
	for _, p := range parts {
		if _, err := w.Write(head[prev:p.at]); err != nil {
			return err
		}
		if err := p.write(); err != nil {
			return err
		}
		prev = p.at + p.n
	}
	if _, err := w.Write(head[prev:]); err != nil {
		return err
	}
	_, err = w.Write([]byte{'\n'})
	return err
}

// encodeAccounts writes m as withHistory(m) encodes: keys in order, each
// account with its history rows written one at a time.
func encodeAccounts(w io.Writer, m map[string]*accountState, mark string) error {
	if _, err := io.WriteString(w, "{"); err != nil {
		return err
	}
	for i, k := range slices.Sorted(maps.Keys(m)) {
		kb, err := json.Marshal(k)
		if err != nil {
			return fmt.Errorf("encode sandbox state: %w", err)
		}
		if i > 0 {
			kb = append([]byte{','}, kb...)
		}
		if _, err := w.Write(append(kb, ':')); err != nil {
			return err
		}
		if err := encodeAccount(w, m[k], mark); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "}")
	return err
}

// encodeAccount writes a with its history rows written one at a time, in
// the place of a placeholder history holding mark (encodeSnapshot's).
func encodeAccount(w io.Writer, a *accountState, mark string) error {
	if a == nil {
		_, err := io.WriteString(w, "null")
		return err
	}
	c := *a
	c.hist = nil
	if a.hist.len()+len(a.History) == 0 {
		c.History = nil // as withHistory makes it: null
		b, err := json.Marshal(&c)
		if err != nil {
			return fmt.Errorf("encode sandbox state: %w", err)
		}
		_, err = w.Write(b)
		return err
	}
	c.History = []Txn{{Content: mark + "-h"}}
	b, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("encode sandbox state: %w", err)
	}
	ph, err := json.Marshal(c.History)
	if err != nil {
		return fmt.Errorf("encode sandbox state: %w", err)
	}
	at := bytes.Index(b, ph)
	if at < 0 {
		return fmt.Errorf("encode sandbox state: history placeholder not found")
	}
	if _, err := w.Write(b[:at]); err != nil {
		return err
	}
	h := a.hist
	if err := encodeRows(w, h.len(), h.at, a.History); err != nil {
		return err
	}
	_, err = w.Write(b[at+len(ph):])
	return err
}

// encodeRows writes at(0) … at(n-1) followed by more as one JSON array, as
// json encodes append(slice(0, n), more...): null when empty.
func encodeRows[T any](w io.Writer, n int, at func(int) T, more []T) error {
	if n+len(more) == 0 {
		_, err := io.WriteString(w, "null")
		return err
	}
	// One buffer and encoder for all rows: json.Marshal would allocate a
	// result per row. Encode writes what Marshal returns, plus a newline.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	sep := byte('[')
	one := func(v T) error {
		buf.Reset()
		buf.WriteByte(sep)
		sep = ','
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode sandbox state: %w", err)
		}
		_, err := w.Write(buf.Bytes()[:buf.Len()-1])
		return err
	}
	for i := range n {
		if err := one(at(i)); err != nil {
			return err
		}
	}
	for _, v := range more {
		if err := one(v); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]")
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// close writes what is pending and closes the file.
func (sf *stateFile) close(st *state) error {
	lsn, err := sf.record(st)
	if err == nil {
		err = sf.wait(lsn)
	}
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if sf.f != nil {
		if cerr := sf.f.Close(); err == nil {
			err = cerr
		}
		sf.f = nil
	}
	return err
}

// loadState reads a state file: the snapshot, then each journal record in
// order. It returns (nil, "", nil) when no file exists yet, and a note when
// a record cut short by a crash was dropped.
func loadState(path string, dupWindow int) (*state, string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read sandbox state %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var st state
	if err := dec.Decode(&st); err != nil {
		return nil, "", fmt.Errorf("parse sandbox state %s: %w (delete the file to start from the seed data)", path, err)
	}
	if st.Version != stateVersion || len(st.SigningKey) == 0 {
		return nil, "", fmt.Errorf("sandbox state %s: unknown version %d (delete the file to start from the seed data)", path, st.Version)
	}
	st.fillMaps()
	st.DupIDs.window = dupWindow
	off := int(dec.InputOffset())
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	rest := b[off:]
	var note string
	for len(rest) > 0 {
		end := bytes.IndexByte(rest, '\n')
		cur, complete := rest, end >= 0
		if complete {
			cur, rest = rest[:end], rest[end+1:]
		} else {
			rest = nil
		}
		if len(bytes.TrimSpace(cur)) > 0 {
			rec, perr := parseRecord(cur)
			if perr == nil && !complete {
				perr = errors.New("no line end")
			}
			if perr != nil {
				if len(bytes.TrimSpace(rest)) == 0 {
					// The last record, cut short by a crash before its
					// fsync returned: it was never acknowledged.
					note = fmt.Sprintf("sandbox state %s: dropped the unfinished last change on line %d (%v)", path, line, perr)
					break
				}
				return nil, "", fmt.Errorf("sandbox state %s line %d: damaged change record (%v); later changes follow it, so it is not a crash's unfinished write: restore the file from a backup, or delete it to start from the seed data", path, line, perr)
			}
			st.apply(rec)
		}
		line++
	}
	return &st, note, nil
}

func parseRecord(line []byte) (*journalRecord, error) {
	sum, body, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(sum) != 8 {
		return nil, errors.New("no checksum")
	}
	want, err := strconv.ParseUint(string(sum), 16, 32)
	if err != nil || uint32(want) != crc32.ChecksumIEEE(body) {
		return nil, errors.New("checksum mismatch")
	}
	var rec journalRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// apply replays one record.
func (st *state) apply(rec *journalRecord) {
	if rec.Small != nil {
		var sm smallState
		if err := json.Unmarshal(rec.Small, &sm); err == nil {
			keepHistory(sm.Accounts, st.Accounts)
			keepHistory(sm.Contracts, st.Contracts)
			st.Users, st.Accounts, st.Contracts = sm.Users, sm.Accounts, sm.Contracts
			st.Codes, st.Refresh, st.Tokens, st.Claims = sm.Codes, sm.Refresh, sm.Tokens, sm.Claims
			st.Seq, st.PrunedDay = sm.Seq, sm.PrunedDay
			st.fillMaps()
		}
	}
	for key, rows := range rec.Rows {
		var a *accountState
		switch key[:2] {
		case "a:":
			a = st.Accounts[key[2:]]
		case "c:":
			a = st.Contracts[key[2:]]
		}
		if a != nil {
			a.history().addAll(rows)
		}
	}
	st.transferLog().addAll(rec.Transfers)
	if rec.Dup != nil {
		st.DupIDs.apply(rec.Dup)
	}
}

func keepHistory(now, before map[string]*accountState) {
	for k, a := range now {
		if old := before[k]; old != nil {
			a.History, a.hist = old.History, old.hist
		}
	}
}

// fillMaps makes the maps a file may lack.
func (st *state) fillMaps() {
	if st.Users == nil {
		st.Users = map[string]*userState{}
	}
	if st.Accounts == nil {
		st.Accounts = map[string]*accountState{}
	}
	if st.Codes == nil {
		st.Codes = map[string]*authCode{}
	}
	if st.Refresh == nil {
		st.Refresh = map[string]*refreshToken{}
	}
	if st.Tokens == nil {
		st.Tokens = map[string]*tokenRecord{}
	}
	if st.DupIDs == nil {
		st.DupIDs = newDupIDs(0)
	}
	if st.Claims == nil {
		st.Claims = map[string]*Claim{}
	}
	if st.Contracts == nil {
		st.Contracts = map[string]*accountState{}
	}
}
