package sandbox

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
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
	names := map[string]string{"a": "a", "bank_tran_id": "bank_tran_id"}
	got, hasEmpty, ok := decodeFlatObject(in, names)
	if !ok {
		return false
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
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("%q: %v, ParseQuery %v", raw, in, want)
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
