package sandbox

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// flatSeeds are bodies decodeFlatObject must decode (the first ones) or
// leave to encoding/json (with reason).
var flatSeeds = []string{
	`{"bank_tran_id":"M202300001U000000001","tran_amt":"1","req_client_name":"홍길동","dps_print_content":""}`,
	`{}`, ` { } `, "\t{\r\n\"a\" :\t\"b\" ,\n\"c\":true,\"d\":false,\"e\":null}\n ",
	`{"a":"1","a":"2"}`, `{"a":"1:2","b":":"}`, `{"가":"나"}`,
	// encoding/json's to decode:
	`{"a":1}`, `{"a":-1.5e3}`, `{"a":"\n"}`, `{"a":"\u00e9"}`, `{"a\/":"b"}`, `{"a":{"b":"c"}}`, `{"a":["b"]}`,
	`{"a":"b"} x`, `{"a":"b"}{}`, `[]`, `null`, `"a"`, `{"a":"b",}`, `{"a" "b"}`, `{"a":tru}`, `{"a":nul}`,
	`{"a":"b"`, `{"a":`, `{"a"`, `{`, ``, `{"a":"\x01"}`, "{\"a\":\"\xff\"}", "{\"\xed\xa0\x80\":\"b\"}",
	`{"a":"b"}}`, `{,}`, `{"a":"b",,"c":"d"}`, `{"a":truex}`, `{'a':'b'}`, `{"a":"b"}` + "\v",
}

// checkFlat holds decodeFlatObject to encoding/json's verdict and value.
func checkFlat(t *testing.T, in []byte) (decoded bool) {
	t.Helper()
	names := newFlatNames("a", "bank_tran_id")
	got, hasEmpty, ok := decodeFlatObject(in, names)
	if !ok {
		return false
	}
	// Again, with the names' last values set by the first pass, into a
	// recycled map.
	first := &seqMatch{}
	if again, _, _ := decodeFlatObjectInto(in, names, map[string]any{}, first); !reflect.DeepEqual(again, got) {
		t.Fatalf("%q: decoded %#v, then %#v", in, got, again)
	}
	// Once more, expecting the keys in the order just seen: the same map,
	// and the values in that order.
	if first.known {
		seq := &keySeq{names: first.order[:first.n]}
		sm := &seqMatch{seq: seq}
		again, _, _ := decodeFlatObjectInto(in, names, nil, sm)
		if !reflect.DeepEqual(again, got) || !sm.same || sm.n != first.n {
			t.Fatalf("%q: with the key order expected, decoded %#v (same %v, %d values)", in, again, sm.same, sm.n)
		}
		for i, n := range first.order[:first.n] {
			if first.n == len(got) && sm.vals[i] != got[n.key] {
				t.Fatalf("%q: value %d = %#v, map has %#v", in, i, sm.vals[i], got[n.key])
			}
		}
	}
	var want map[string]any
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil || want == nil {
		t.Fatalf("%q: decoded fast, encoding/json refuses it: %v", in, err)
	}
	if dec.More() || json.Valid(in) == false {
		t.Fatalf("%q: decoded fast, but it is not exactly one JSON value", in)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decoded %#v, encoding/json %#v", in, got, want)
	}
	empty := false
	for _, v := range want {
		empty = empty || v == ""
	}
	// hasEmpty may also be true for an "" a later duplicate replaced:
	// it only asks validate to look.
	if empty && !hasEmpty {
		t.Fatalf("%q: an empty value, hasEmpty false", in)
	}
	return true
}

func TestDecodeFlatObjectMatchesEncodingJSON(t *testing.T) {
	decoded := 0
	for _, in := range flatSeeds {
		if checkFlat(t, []byte(in)) {
			decoded++
		}
	}
	if decoded != 7 {
		t.Fatalf("%d of the 7 flat bodies decoded the fast way", decoded)
	}
	// Every prefix of a flat body, and the body with each byte replaced by
	// a byte that matters to the grammar.
	body := []byte(flatSeeds[0][:len(flatSeeds[0])-1] + `,"x":true,"y":null}`)
	for i := range body {
		checkFlat(t, body[:i])
		for _, c := range []byte(`"\:,{}[] 0tn` + "\x00\xff") {
			mutated := bytes.Clone(body)
			mutated[i] = c
			checkFlat(t, mutated)
		}
	}
}

// FuzzDecodeFlatObject: go test ./sandbox -run '^$' -fuzz FuzzDecodeFlatObject
func FuzzDecodeFlatObject(f *testing.F) {
	for _, s := range flatSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(strings.Repeat(`{"a":"b",`, 3)))
	f.Fuzz(func(t *testing.T, in []byte) { checkFlat(t, in) })
}

var querySeeds = []string{
	"bank_tran_id=M202300001U000000001&fintech_use_num=199000000100000000000001&tran_dtime=20261126101010",
	"", "a", "a=", "=b", "a=1&&b=2", "&a=1&", "a=1&a=2", "a=1=2", "a=%41", "a=b+c", "a=1;b=2", "a=%zz", "가=나",
	"a=1&b", "a&a", "=&=", "a=\x00", "%", "a=1&A=2",
}

// checkPlainQuery holds plainQuery to url.ParseQuery's first values.
func checkPlainQuery(t *testing.T, raw string) bool {
	t.Helper()
	in, plain := plainQuery(raw)
	if !plain {
		return false
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("%q: read plainly, ParseQuery says %v", raw, err)
	}
	want := map[string]any{}
	for k, v := range q {
		if len(v) != 1 {
			t.Fatalf("%q: read plainly, ParseQuery has %d values for %q", raw, len(v), k)
		}
		want[k] = v[0]
	}
	// An empty query reads as a nil map (no members either way).
	if !reflect.DeepEqual(in, want) && (len(in) != 0 || len(want) != 0) {
		t.Fatalf("%q: %v, ParseQuery %v", raw, in, want)
	}
	// Into a recycled map, the same.
	// Into a recycled map, with names whose last values are set (twice).
	names := newFlatNames("a", "b", "bank_tran_id")
	for range 2 {
		if into, _ := plainQueryInto(raw, names, map[string]any{}); len(want) > 0 && !reflect.DeepEqual(into, want) {
			t.Fatalf("%q: into a recycled map %v, ParseQuery %v", raw, into, want)
		}
	}
	return true
}

func TestPlainQueryMatchesParseQuery(t *testing.T) {
	plain := 0
	for _, raw := range querySeeds {
		if checkPlainQuery(t, raw) {
			plain++
		}
	}
	if !checkPlainQuery(t, querySeeds[0]) || plain < 10 {
		t.Fatalf("%d queries read plainly", plain)
	}
}

// FuzzPlainQuery: go test ./sandbox -run '^$' -fuzz FuzzPlainQuery
func FuzzPlainQuery(f *testing.F) {
	for _, s := range querySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) { checkPlainQuery(t, raw) })
}

// TestDecodeFlatObjectSharesRepeatedValues: a value equal to the last one
// of its name is the same string; a different one is decoded as it is.
func TestDecodeFlatObjectSharesRepeatedValues(t *testing.T) {
	names := newFlatNames("a", "b")
	var firstA string
	for i, tc := range []struct{ in, a, b string }{
		{`{"a":"x","b":"1"}`, "x", "1"},
		{`{"a":"x","b":"2"}`, "x", "2"},
		{`{"a":"y","b":"2","c":"z"}`, "y", "2"},
		{`{"b":"","a":"x"}`, "x", ""},
		{`{"a":"x","a":"xx"}`, "xx", ""},
		{`{"a":"x"}`, "x", ""},
	} {
		m, _, ok := decodeFlatObject([]byte(tc.in), names)
		if !ok {
			t.Fatalf("%s: not decoded", tc.in)
		}
		a, _ := m["a"].(string)
		b, _ := m["b"].(string)
		if a != tc.a || b != tc.b {
			t.Errorf("%s: a=%q b=%q, want %q %q", tc.in, a, b, tc.a, tc.b)
		}
		if i == 0 {
			firstA = a
		}
		if i == 1 && unsafe.StringData(a) != unsafe.StringData(firstA) {
			t.Errorf("%s: the repeated value was copied again", tc.in)
		}
	}
	body := []byte(`{"a":"xyz","b":"200"}`)
	shared := testing.AllocsPerRun(100, func() { decodeFlatObject(body, names) })
	copied := testing.AllocsPerRun(100, func() { decodeFlatObject(body, nil) })
	if shared+4 > copied {
		t.Errorf("%v allocations decoding two repeated values, %v without names: want 4 fewer (a string and a box each)", shared, copied)
	}
}
