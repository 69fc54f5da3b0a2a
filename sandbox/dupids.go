package sandbox

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
)

// DefaultDupWindow is how many bank_tran_ids per client the duplicate check
// is sure to remember on one day: between this many and twice as many.
// Bounded so that a million-request soak keeps its memory flat (8 bytes an
// id, about 4 MB per busy client at most) instead of growing until midnight.
const DefaultDupWindow = 1 << 17

// dupIDs remembers the bank_tran_ids used on one KST day, per
// client_use_code. Each id becomes one uint64 (exact for the usual form,
// a 63-bit hash otherwise); each client keeps two generations of at most
// window ids and drops the older when the newer is full, so the newest
// window ids are always remembered and memory never passes 2×window.
// Guarded by Server.mu.
type dupIDs struct {
	Day     string
	window  int
	clients map[string]*idGenerations
	// added lists the ids added since the journal last took them (only
	// while a state file is kept).
	track bool
	added map[string][]uint64
}

type idGenerations struct{ cur, prev map[uint64]struct{} }

func newDupIDs(window int) *dupIDs {
	if window <= 0 {
		window = DefaultDupWindow
	}
	return &dupIDs{window: window, clients: map[string]*idGenerations{}}
}

// dupKey maps the part of id after the client's code to a uint64: up to 12
// characters of [0-9A-Z] (the testbed's "U" + 9 characters) bijectively in
// base 37 below 2^63, anything else as a 63-bit FNV-1a hash with the top
// bit set, so the two never meet.
func dupKey(code, id string) uint64 {
	suffix := strings.TrimPrefix(id, code)
	if len(suffix) <= 12 {
		var v uint64
		ok := true
		for i := 0; i < len(suffix) && ok; i++ {
			switch c := suffix[i]; {
			case c >= '0' && c <= '9':
				v = v*37 + uint64(c-'0'+1)
			case c >= 'A' && c <= 'Z':
				v = v*37 + uint64(c-'A'+11)
			default:
				ok = false
			}
		}
		if ok {
			return v
		}
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(suffix))
	return 1<<63 | h.Sum64()
}

// startDay forgets everything when day is a new KST day.
func (d *dupIDs) startDay(day string) {
	if d.Day == day {
		return
	}
	d.Day = day
	clear(d.clients)
	if d.track {
		d.added = map[string][]uint64{}
	}
}

func (d *dupIDs) seen(code, id string) bool { return d.seenKey(code, dupKey(code, id)) }

// seenKey is seen for the id's dupKey.
func (d *dupIDs) seenKey(code string, k uint64) bool {
	g := d.clients[code]
	if g == nil {
		return false
	}
	if _, inCur := g.cur[k]; inCur {
		return true
	}
	_, inPrev := g.prev[k]
	return inPrev
}

func (d *dupIDs) add(code, id string) { d.addTracked(code, dupKey(code, id)) }

// addTracked is add for the id's dupKey.
func (d *dupIDs) addTracked(code string, k uint64) {
	d.addKey(code, k)
	if d.track {
		if d.added == nil {
			d.added = map[string][]uint64{}
		}
		d.added[code] = append(d.added[code], k)
	}
}

func (d *dupIDs) addKey(code string, k uint64) {
	g := d.clients[code]
	if g == nil {
		g = &idGenerations{cur: map[uint64]struct{}{}}
		d.clients[code] = g
	}
	if len(g.cur) >= d.window {
		g.prev, g.cur = g.cur, make(map[uint64]struct{}, d.window/8)
	}
	g.cur[k] = struct{}{}
}

// pending counts the ids added since take.
func (d *dupIDs) pending() (n int) {
	for _, l := range d.added {
		n += len(l)
	}
	return n
}

// take returns and forgets the ids added since the last take.
func (d *dupIDs) take() *dupDelta {
	if d.pending() == 0 {
		return nil
	}
	out := &dupDelta{Day: d.Day, Added: d.added}
	d.added = map[string][]uint64{}
	return out
}

// dupDelta is a journal record's part of dupIDs: the ids added on Day.
type dupDelta struct {
	Day   string              `json:"day"`
	Added map[string][]uint64 `json:"added"`
}

func (d *dupIDs) apply(x *dupDelta) {
	d.startDay(x.Day)
	for code, keys := range x.Added {
		for _, k := range keys {
			d.addKey(code, k)
		}
	}
}

// dupJSON is the state file's form: each generation as base64 of
// little-endian uint64s (a JSON number list would be three times larger).
type dupJSON struct {
	Day     string                       `json:"day"`
	Clients map[string]map[string]string `json:"clients"` // code → cur/prev → ids
}

func (d *dupIDs) MarshalJSON() ([]byte, error) {
	out := dupJSON{Day: d.Day, Clients: map[string]map[string]string{}}
	for code, g := range d.clients {
		out.Clients[code] = map[string]string{"cur": packKeys(g.cur), "prev": packKeys(g.prev)}
	}
	return json.Marshal(out)
}

func (d *dupIDs) UnmarshalJSON(b []byte) error {
	var in dupJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	if d.clients == nil {
		d.clients = map[string]*idGenerations{}
	}
	d.Day = in.Day
	for code, gens := range in.Clients {
		cur, err := unpackKeys(gens["cur"])
		if err != nil {
			return fmt.Errorf("dup_ids %s: %w", code, err)
		}
		prev, err := unpackKeys(gens["prev"])
		if err != nil {
			return fmt.Errorf("dup_ids %s: %w", code, err)
		}
		d.clients[code] = &idGenerations{cur: cur, prev: prev}
	}
	return nil
}

func packKeys(m map[uint64]struct{}) string {
	b := make([]byte, 0, 8*len(m))
	for k := range m {
		b = binary.LittleEndian.AppendUint64(b, k)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func unpackKeys(s string) (map[uint64]struct{}, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%8 != 0 {
		return nil, fmt.Errorf("damaged id list")
	}
	m := make(map[uint64]struct{}, len(b)/8)
	for i := 0; i < len(b); i += 8 {
		m[binary.LittleEndian.Uint64(b[i:])] = struct{}{}
	}
	return m, nil
}
