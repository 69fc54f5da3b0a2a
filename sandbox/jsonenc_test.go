package sandbox

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

// TestAppendJSONMatchesEncoder: the hand-written encoder writes exactly
// what encoding/json's Encoder (SetEscapeHTML(false)) writes.
func TestAppendJSONMatchesEncoder(t *testing.T) {
	values := []any{
		nil, true, false, "", "plain", "홍길동", "quote\" back\\slash", "ctl\b\f\n\r\t\x01\x1f", "<html>&",
		"bad utf8 \xff\xfe end", "sep \u2028 \u2029", 0.0, 1.0, -3.5, 1e21, 1e-7, 123456789.0, 1.5e300, math.Copysign(0, -1),
		7, int64(-42), []any{}, []any(nil), []any{"a", 1.0, nil, map[string]any{"z": 1.0, "a": "x"}},
		map[string]any{}, map[string]any{"rsp_code": "A0000", "res_list": []any{map[string]any{"b": "2", "a": "1"}}, "한글키": "값", "k\"q": true},
		map[string]any{"typed": []string{"x", "y"}, "n": int64(5), "m": map[string]string{"b": "1", "a": "<"}, "s": struct {
			A string `json:"a"`
		}{"&"}},
	}
	for _, v := range values {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatalf("encoding/json %#v: %v", v, err)
		}
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatalf("appendJSON(%#v): %v", v, err)
		}
		if string(got)+"\n" != want.String() {
			t.Errorf("appendJSON(%#v)\n got %s\nwant %s", v, got, want.String())
		}
	}
	if _, err := appendJSON(nil, map[string]any{"x": math.NaN()}); err == nil {
		t.Error("NaN: no error")
	}
}

// TestKeyOrdersMatchAppendJSON: answers written through remembered key
// orders are appendJSON's bytes, also for key sets of one size that differ,
// a key set that grows, and past the bound.
func TestKeyOrdersMatchAppendJSON(t *testing.T) {
	var o keyOrders
	maps := []map[string]any{
		{"b": "1", "a": "2", "c": map[string]any{"y": 1.0, "x": nil}},
		{"b": "1", "a": "2", "d": "3"}, // same size, another key
		{"b": "1", "a": "2", "c": "3"}, // the first set again
		{"b": "1", "a": "2", "c": "3", "e": []any{"z"}},
		{},
		{"한글": "값", "a": "\"q\""},
	}
	for i := range maxKeyOrders + 5 {
		maps = append(maps, map[string]any{"k" + strconv.Itoa(i): i, "a": "x"})
	}
	for round := range 2 {
		for _, m := range maps {
			want, err := appendJSON([]byte("prefix"), m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := o.appendMap([]byte("prefix"), m)
			if err != nil || string(got) != string(want) {
				t.Fatalf("round %d: %v\n got %s\nwant %s", round, err, got, want)
			}
		}
	}
	if n := len(*o.lists.Load()); n != maxKeyOrders {
		t.Errorf("%d key orders remembered, want the bound %d", n, maxKeyOrders)
	}
	if _, err := o.appendMap(nil, map[string]any{"b": "1", "a": "2", "c": math.Inf(1)}); err == nil {
		t.Error("Inf through a remembered order: no error")
	}
}
