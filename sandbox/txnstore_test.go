package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// storeRows is n history rows shaped like the sandbox's own (repeating
// days, times, types and counterparties) with some that are not: unique
// contents, empty fields, a row without a counterparty, odd date strings.
func storeRows(n int) []Txn {
	cps := []*Counterparty{
		{Name: "오픈뱅킹샌드박스", BankCodeStd: "097", AccountMasked: "100000000***"},
		{Name: "홍길동", BankCodeStd: "097", AccountMasked: "1234567890***"},
		nil,
	}
	rows := make([]Txn, n)
	for i := range rows {
		t := Txn{Date: fmt.Sprintf("2026%02d%02d", 1+i/1000%12, 1+i/40%28), Time: fmt.Sprintf("%02d%02d%02d", i/3600%24, i/60%60, i%60),
			InOut: inoutOut, Type: "오픈뱅킹", Content: "bench", Amount: int64(i + 1), Branch: "오픈뱅킹",
			AfterBalance: int64(1_000_000 - i), Seq: int64(i + 7), Counter: cps[i%len(cps)]}
		switch i % 7 {
		case 1:
			t.InOut, t.Content = inoutIn, fmt.Sprintf("unique %d", i)
		case 2:
			t.Content, t.Branch, t.Type = "", "", ""
		case 3:
			t.Date, t.Time = "", "x"
		case 4:
			// A counterparty equal to another but not the same pointer.
			t.Counter = &Counterparty{Name: "홍길동", BankCodeStd: "097", AccountMasked: "1234567890***"}
		}
		rows[i] = t
	}
	return rows
}

func TestTxnStoreRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 8, 9, txnChunk - 1, txnChunk, txnChunk + 1, 3*txnChunk + 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rows := storeRows(n)
			var h txnStore
			// In two calls, as seed rows and then journal records arrive.
			h.addAll(rows[:n/3])
			for _, r := range rows[n/3:] {
				h.add(r)
			}
			if h.len() != n {
				t.Fatalf("len = %d, want %d", h.len(), n)
			}
			for i, want := range rows {
				if got := h.at(i); !reflect.DeepEqual(got, want) {
					t.Fatalf("row %d = %+v, want %+v", i, got, want)
				}
			}
			i := 0
			for got := range h.all() {
				if !reflect.DeepEqual(got, rows[i]) {
					t.Fatalf("all: row %d = %+v, want %+v", i, got, rows[i])
				}
				i++
			}
			if i != n {
				t.Fatalf("all yielded %d rows, want %d", i, n)
			}
			if n > 10 {
				if got := h.slice(n-10, n-3); !reflect.DeepEqual(got, rows[n-10:n-3]) {
					t.Errorf("slice(%d, %d) differs", n-10, n-3)
				}
			}
			if got := h.slice(n, n); got != nil {
				t.Errorf("empty slice = %v, want nil", got)
			}
			// The store keeps each distinct string and counterparty once.
			if n > 0 && len(h.counters) > 4 {
				t.Errorf("%d counterparties kept for 2 distinct ones", len(h.counters)-1)
			}
		})
	}
}

// TestTxnStoreRowsArePointerFree: the GC must never scan a chunk.
func TestTxnStoreRowsArePointerFree(t *testing.T) {
	if ty := reflect.TypeFor[txnRec](); hasPointers(ty) || ty.Size() > 64 {
		t.Errorf("txnRec: %d bytes, pointers %v", ty.Size(), hasPointers(ty))
	}
}

// TestSnapshotKeepsTheFileForm: a state whose rows live in the stores is
// written to the state file exactly as the same state with its rows in
// Account.History and Transfers was, the state itself is left as it was,
// and the file reads back to the same rows.
func TestSnapshotKeepsTheFileForm(t *testing.T) {
	rows, transfers := storeRows(txnChunk+5), storeTransfers(transferChunk+5)
	for _, tc := range []struct {
		name      string
		rows      []Txn
		transfers []Transfer
	}{{"none", nil, nil}, {"some", rows[:3], transfers[:2]}, {"many chunks", rows, transfers}} {
		t.Run(tc.name, func(t *testing.T) {
			acct := func() *accountState {
				return &accountState{Account: Account{BankCodeStd: "097", AccountNum: "1234567890123", FintechUseNum: "199000000100000000000001",
					Balance: 12345, History: tc.rows}, UserSeqNo: "1100000001", InquiryAgree: true, AgreeDtime: "20260101090000"}
			}
			plain := &state{Version: stateVersion, SigningKey: []byte("k"), Accounts: map[string]*accountState{"f": acct()},
				Contracts: map[string]*accountState{"T990000001": {Account: Account{BankCodeStd: "097", AccountNum: "100000000001"}}},
				Transfers: tc.transfers, DupIDs: newDupIDs(0)}
			want, err := json.Marshal(plain)
			if err != nil {
				t.Fatal(err)
			}
			st := &state{Version: stateVersion, SigningKey: []byte("k"), Accounts: map[string]*accountState{"f": acct()},
				Contracts: map[string]*accountState{"T990000001": {Account: Account{BankCodeStd: "097", AccountNum: "100000000001"}}},
				Transfers: tc.transfers, DupIDs: newDupIDs(0)}
			st.Accounts["f"].history() // the rows move into the stores
			st.transferLog()
			if st.Accounts["f"].History != nil || st.Transfers != nil {
				t.Fatal("rows left outside the stores")
			}
			got, err := json.Marshal(st.snapshot())
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("JSON differs:\n got %.300s\nwant %.300s", got, want)
			}
			if st.Accounts["f"].History != nil || st.Transfers != nil || st.Accounts["f"].hist.len() != len(tc.rows) || st.transfers.len() != len(tc.transfers) {
				t.Fatal("snapshot changed the state")
			}
			var back state
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			h, tl := back.Accounts["f"].history(), back.transferLog()
			if h.len() != len(tc.rows) || tl.len() != len(tc.transfers) {
				t.Fatalf("read back %d rows and %d transfers, want %d and %d", h.len(), tl.len(), len(tc.rows), len(tc.transfers))
			}
			for i := range tc.rows {
				if g := h.at(i); !reflect.DeepEqual(g, tc.rows[i]) {
					t.Fatalf("read back row %d = %+v, want %+v", i, g, tc.rows[i])
				}
			}
			for i := range tc.transfers {
				if g := tl.at(i); g != tc.transfers[i] {
					t.Fatalf("read back transfer %d = %+v, want %+v", i, g, tc.transfers[i])
				}
			}
		})
	}
}

// storeTransfers is n transfers: unique ids (some long, some empty),
// repeating days, accounts and contents.
func storeTransfers(n int) []Transfer {
	out := make([]Transfer, n)
	for i := range out {
		t := Transfer{CheckType: "1", BankTranID: fmt.Sprintf("T990000001U%09d", i), BankTranDate: fmt.Sprintf("202611%02d", 1+i/500%28),
			Amount: int64(i), FintechUseNum: "199000000100000000000001", ClientUseCode: "T990000001", PrintContent: "bench"}
		switch i % 5 {
		case 1:
			t.CheckType, t.PrintContent = "2", fmt.Sprintf("unique %d", i)
		case 2:
			t.BankTranID = ""
		case 3:
			t.BankTranID = strings.Repeat("X", 100+i%7)
		}
		out[i] = t
	}
	return out
}

func TestTransferStoreRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 9, transferChunk, transferChunk + 1, 3*transferChunk + 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ts := storeTransfers(n)
			var h transferStore
			h.addAll(ts[:n/2])
			for _, tr := range ts[n/2:] {
				h.add(tr)
			}
			if h.len() != n {
				t.Fatalf("len = %d, want %d", h.len(), n)
			}
			for i, want := range ts {
				if got := h.at(i); got != want {
					t.Fatalf("transfer %d = %+v, want %+v", i, got, want)
				}
			}
			if n > 5 {
				if got := h.slice(2, 5); !reflect.DeepEqual(got, ts[2:5]) {
					t.Errorf("slice(2, 5) = %+v", got)
				}
			}
		})
	}
	// One id longer than an arena chunk, between ordinary ones.
	var h transferStore
	long := strings.Repeat("L", idChunk+3)
	for _, id := range []string{"a", long, "b"} {
		h.add(Transfer{BankTranID: id})
	}
	if h.at(0).BankTranID != "a" || h.at(1).BankTranID != long || h.at(2).BankTranID != "b" {
		t.Error("a long id is not read back whole between its neighbours")
	}
}

// TestTransferStoreFindsTheNewest: backward yields the transfers of one id
// newest first, and nothing else.
func TestTransferStoreFindsTheNewest(t *testing.T) {
	var h transferStore
	for i := range 3 * transferChunk {
		id := fmt.Sprintf("T990000001U%09d", i%(transferChunk+1))
		h.add(Transfer{CheckType: "1", BankTranID: id, Amount: int64(i)})
	}
	var got []int64
	for tr := range h.backward("T990000001U000000007") {
		got = append(got, tr.Amount)
	}
	want := []int64{2*(transferChunk+1) + 7, transferChunk + 1 + 7, 7}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("backward = %v, want %v", got, want)
	}
	for range h.backward("T990000001U00000000") { // a prefix of many ids
		t.Error("backward matched a prefix")
	}
}

func TestTransferRecIsPointerFree(t *testing.T) {
	if ty := reflect.TypeFor[transferRec](); hasPointers(ty) || ty.Size() > 40 {
		t.Errorf("transferRec: %d bytes, pointers %v", ty.Size(), hasPointers(ty))
	}
}

// hasPointers reports whether a value of type ty holds a pointer the GC
// would follow.
func hasPointers(ty reflect.Type) bool {
	switch ty.Kind() {
	case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return ty.Len() > 0 && hasPointers(ty.Elem())
	case reflect.Struct:
		for i := range ty.NumField() {
			if hasPointers(ty.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

// The state file's snapshot is written piece by piece (encodeSnapshot), so
// that a compaction does not build it in memory: its bytes are those
// json.Encoder writes for st.snapshot(), whatever the state holds: rows in
// the stores and rows still in Account.History or Transfers, empty and
// nil histories and maps, strings json escapes, keys that look like the
// file's own.
func TestEncodeSnapshotMatchesEncoder(t *testing.T) {
	rows, transfers := storeRows(txnChunk+5), storeTransfers(transferChunk+5)
	odd := []Txn{{Date: "<&>", Content: "\"history\":[] \u2028 \x00", Counter: &Counterparty{Name: "a<b>&c"}}}
	for _, tc := range []struct {
		name            string
		stored, pending []Txn
		tStored, tPend  []Transfer
		nilContracts    bool
	}{
		{name: "none"},
		{name: "nil maps", nilContracts: true},
		{name: "empty, not nil", pending: []Txn{}, tPend: []Transfer{}},
		{name: "some", stored: rows[:3], tStored: transfers[:2]},
		{name: "pending only", pending: rows[:4], tPend: transfers[:3]},
		{name: "stored and pending", stored: rows[:5], pending: odd, tStored: transfers[:2], tPend: []Transfer{{BankTranID: "<x>", PrintContent: "&"}}},
		{name: "many chunks", stored: rows, tStored: transfers},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &state{Version: stateVersion, SigningKey: []byte("k<>&"), DupIDs: newDupIDs(0),
				Users:  map[string]*userState{"accounts": {Fintech: []string{"f"}}},
				Claims: map[string]*Claim{"transfers": {}, "history": {}},
				Accounts: map[string]*accountState{
					"f":   {Account: Account{FintechUseNum: "f", Alias: "<b>", History: tc.stored}, UserSeqNo: "1100000001"},
					"g&h": {Account: Account{FintechUseNum: "g", History: []Txn{}}},
					"e":   {Account: Account{FintechUseNum: "e"}},
				},
				Contracts: map[string]*accountState{"T990000001": {Account: Account{AccountNum: "100000000001", History: rows[:2]}}},
				Transfers: tc.tStored, Seq: 42, PrunedDay: "20261126"}
			if tc.nilContracts {
				st.Contracts, st.Accounts = nil, map[string]*accountState{}
			}
			for _, a := range st.Accounts {
				a.history()
			}
			for _, a := range st.Contracts {
				a.history()
			}
			st.transferLog()
			if a := st.Accounts["f"]; a != nil {
				a.History = tc.pending
			}
			st.Transfers = tc.tPend
			var want bytes.Buffer
			if err := json.NewEncoder(&want).Encode(st.snapshot()); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := encodeSnapshot(&got, st); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				g, w := got.String(), want.String()
				i := 0
				for i < len(g) && i < len(w) && g[i] == w[i] {
					i++
				}
				t.Fatalf("bytes differ at %d of %d/%d:\n got …%.200s\nwant …%.200s", i, len(g), len(w), g[max(0, i-50):], w[max(0, i-50):])
			}
		})
	}
}

// BenchmarkSnapshotEncode is one compaction's encoding of a long history
// (200,000 rows, 100,000 transfers): streamed, and built then encoded as
// before (what the file must equal).
func BenchmarkSnapshotEncode(b *testing.B) {
	st := &state{Version: stateVersion, SigningKey: []byte("k"), DupIDs: newDupIDs(0),
		Accounts:  map[string]*accountState{"f": {Account: Account{FintechUseNum: "f", History: storeRows(200_000)}}},
		Contracts: map[string]*accountState{}, Transfers: storeTransfers(100_000)}
	st.Accounts["f"].history()
	st.transferLog()
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := encodeSnapshot(io.Discard, st); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("built", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := json.NewEncoder(io.Discard).Encode(st.snapshot()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
