package sandbox

import (
	"bytes"
	"encoding/json"
	"math"
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
