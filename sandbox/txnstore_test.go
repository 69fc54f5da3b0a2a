package sandbox

import (
	"encoding/json"
	"fmt"
	"reflect"
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
	var hasPointers func(reflect.Type) bool
	hasPointers = func(ty reflect.Type) bool {
		switch ty.Kind() {
		case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
			return true
		case reflect.Array:
			return hasPointers(ty.Elem())
		case reflect.Struct:
			for i := range ty.NumField() {
				if hasPointers(ty.Field(i).Type) {
					return true
				}
			}
		}
		return false
	}
	if ty := reflect.TypeFor[txnRec](); hasPointers(ty) || ty.Size() > 64 {
		t.Errorf("txnRec: %d bytes, pointers %v", ty.Size(), hasPointers(ty))
	}
}

// TestAccountJSONKeepsItsForm: an account whose rows live in the store is
// written to the state file exactly as the plain struct with its rows in
// Account.History was, and reads back to the same rows.
func TestAccountJSONKeepsItsForm(t *testing.T) {
	rows := storeRows(txnChunk + 5)
	type plain accountState
	for _, tc := range []struct {
		name string
		rows []Txn
	}{{"none", nil}, {"some", rows[:3]}, {"many chunks", rows}} {
		t.Run(tc.name, func(t *testing.T) {
			base := accountState{Account: Account{BankCodeStd: "097", AccountNum: "1234567890123", FintechUseNum: "199000000100000000000001",
				Balance: 12345, History: tc.rows}, UserSeqNo: "1100000001", InquiryAgree: true, AgreeDtime: "20260101090000"}
			want, err := json.Marshal(plain(base))
			if err != nil {
				t.Fatal(err)
			}
			a := base
			a.history() // the rows move into the store
			if a.History != nil || a.hist.len() != len(tc.rows) {
				t.Fatalf("after history(): History %d rows, store %d", len(a.History), a.hist.len())
			}
			got, err := json.Marshal(&a)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("JSON differs:\n got %.300s\nwant %.300s", got, want)
			}
			var back accountState
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			h := back.history()
			if h.len() != len(tc.rows) {
				t.Fatalf("read back %d rows, want %d", h.len(), len(tc.rows))
			}
			for i := range tc.rows {
				if g := h.at(i); !reflect.DeepEqual(g, tc.rows[i]) {
					t.Fatalf("read back row %d = %+v, want %+v", i, g, tc.rows[i])
				}
			}
		})
	}
}
