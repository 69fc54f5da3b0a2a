package sandbox

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
)

func TestDupKey(t *testing.T) {
	const code = "T990000001"
	seen := map[uint64]string{}
	for _, id := range []string{code + "U4BC34239Z", code + "U4BC34239Y", code + "U000000000", code + "U00000000", code + "0U00000000",
		code + "u4bc34239z", code + "U4BC34239Z0000", code, code + "-"} {
		k := dupKey(code, id)
		if other, dup := seen[k]; dup {
			t.Errorf("dupKey(%q) = dupKey(%q)", id, other)
		}
		seen[k] = id
	}
	if dupKey(code, code+"U4BC34239Z") >= 1<<63 || dupKey(code, code+"u4bc34239z") < 1<<63 {
		t.Error("the exact form and the hashed form share a range")
	}
}

// TestDupIDsWindow: the newest window ids are always remembered, memory
// stays within two generations, and a new day forgets the old one.
func TestDupIDsWindow(t *testing.T) {
	const code, window = "T990000001", 4
	d := newDupIDs(window)
	d.startDay("20261126")
	id := func(i int) string { return fmt.Sprintf("%sU%09d", code, i) }
	for i := range 100 {
		if d.seen(code, id(i)) {
			t.Fatalf("id %d seen before it was added", i)
		}
		d.add(code, id(i))
		for j := max(0, i-window+1); j <= i; j++ {
			if !d.seen(code, id(j)) {
				t.Fatalf("after %d ids, id %d (within the window) is forgotten", i+1, j)
			}
		}
		if g := d.clients[code]; len(g.cur)+len(g.prev) > 2*window {
			t.Fatalf("after %d ids, %d remembered (> 2×window)", i+1, len(g.cur)+len(g.prev))
		}
	}
	if d.seen(code, id(0)) {
		t.Error("id 0 still remembered after 100 ids with a window of 4")
	}
	if d.seen("T990000002", id(99)) {
		t.Error("another client's id counts as a duplicate")
	}
	d.startDay("20261127")
	if d.seen(code, id(99)) {
		t.Error("yesterday's id is a duplicate today")
	}
}

func TestDupIDsJSONAndLegacy(t *testing.T) {
	const code = "T990000001"
	d := newDupIDs(8)
	d.startDay("20261126")
	for i := range 20 {
		d.add(code, fmt.Sprintf("%sU%09d", code, i))
	}
	d.add(code, code+"odd-form")
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	back := newDupIDs(8)
	if err := json.Unmarshal(b, back); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		id := fmt.Sprintf("%sU%09d", code, i)
		if d.seen(code, id) != back.seen(code, id) {
			t.Errorf("%s: seen %v before the round trip, %v after", id, d.seen(code, id), back.seen(code, id))
		}
	}
	if !back.seen(code, code+"odd-form") || back.Day != "20261126" {
		t.Error("round trip lost the odd id or the day")
	}

	st := &state{DupIDs: newDupIDs(8), TranIDs: map[string]string{code + "U000000001": "20261126", code + "U000000002": "20261125"}}
	st.adoptTranIDs([]Client{{ClientUseCode: code}})
	if !st.DupIDs.seen(code, code+"U000000001") || st.DupIDs.seen(code, code+"U000000002") || st.TranIDs != nil {
		t.Errorf("legacy tran_ids not adopted as the newest day's: %+v", st.DupIDs)
	}
}

// BenchmarkDupIDs adds b.N fresh ids of one client on one day, as a long
// soak does, and reports the live heap afterwards: it stays flat (about
// 2×DefaultDupWindow×8 bytes plus map overhead) however large b.N is
// (try -benchtime 1000000x).
func BenchmarkDupIDs(b *testing.B) {
	const code = "T990000001"
	d := newDupIDs(0)
	d.startDay("20261126")
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		id := fmt.Sprintf("%sU%09d", code, i)
		if d.seen(code, id) {
			b.Fatalf("fresh id %s seen", id)
		}
		d.add(code, id)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(d)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "heap-MB")
}
