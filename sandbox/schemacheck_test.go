package sandbox

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/obpm/obpm/specs"
)

// candidates are values to judge against s: its examples and enum values,
// strings at and past its length bounds in ASCII, Hangul and astral
// characters (UTF-16 pairs), strings the usual patterns refuse, and values
// of other JSON types.
func candidates(s *openapi3.Schema) []any {
	out := []any{"", "0", "A", "a", "가", "😀", "12\n", "\n12", " 1", "1 ", "097", "N", "C", "??", "x-y",
		json.Number("12"), json.Number("-1.5"), float64(3), 1.5, true, false, nil,
		map[string]any{}, map[string]any{"a": "b"}, []any{}, []any{"a"}}
	for s != nil {
		if s.Example != nil {
			out = append(out, s.Example)
		}
		out = append(out, s.Enum...)
		for _, n := range []uint64{s.MinLength, s.MinLength + 1, s.MinLength - min(s.MinLength, 1)} {
			out = append(out, strings.Repeat("9", int(n)), strings.Repeat("가", int(n)), strings.Repeat("😀", int(n)/2))
		}
		if m := s.MaxLength; m != nil && *m < 400 {
			for _, n := range []uint64{*m - min(*m, 1), *m, *m + 1} {
				out = append(out, strings.Repeat("9", int(n)), strings.Repeat("Z", int(n)), strings.Repeat("가", int(n)),
					strings.Repeat("😀", int(n)/2), strings.Repeat("😀", int(n+1)/2), "가"+strings.Repeat("1", int(n)))
			}
		}
		if len(s.AllOf) != 1 {
			break
		}
		s = s.AllOf[0].Value
	}
	return out
}

// TestSchemaCheckNeverPassesWhatKinRefuses compiles every request schema of
// the embedded document (bodies and parameters) and judges candidate values
// (and, for bodies, the documented example with each field replaced by each
// candidate of its schema, removed, or joined by an unknown field) both
// ways: compileCheck may refuse what kin-openapi passes (the request then
// goes the slow way), never pass what it refuses.
func TestSchemaCheckNeverPassesWhatKinRefuses(t *testing.T) {
	doc, err := specs.LoadOpenBanking(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	opts := []openapi3.SchemaValidationOption{openapi3.VisitAsRequest()}
	judged, passed, falseRefusals := 0, 0, 0
	judge := func(where string, s *openapi3.Schema, c schemaCheck, v any) {
		t.Helper()
		judged++
		kin := s.VisitJSON(v, opts...) == nil
		fast := c(v)
		if fast && !kin {
			b, _ := json.Marshal(v)
			t.Errorf("%s: compiled check passes %s, kin-openapi refuses it: %v", where, b, s.VisitJSON(v, opts...))
		}
		if fast {
			passed++
		}
		if kin && !fast {
			falseRefusals++
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			for _, p := range op.Parameters {
				if p.Value == nil || p.Value.Schema == nil || p.Value.Schema.Value == nil {
					continue
				}
				s := p.Value.Schema.Value
				c := compileCheck(s, opts)
				sc := compileStringCheck(s)
				for _, v := range candidates(s) {
					judge(where+" parameter "+p.Value.Name, s, c, v)
					if str, ok := v.(string); ok && sc != nil {
						judge(where+" parameter "+p.Value.Name+" (string check)", s, func(any) bool { return sc(str) }, v)
					}
				}
			}
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
				continue
			}
			for _, s := range []*openapi3.Schema{mt.Schema.Value, flatSchema(mt.Schema.Value)} {
				c := compileCheck(s, opts)
				ex := requestExample(op)
				if ex == nil {
					ex = map[string]any{}
				}
				digitsToStrings(ex)
				judge(where+" example", s, c, ex)
				for _, v := range candidates(s) {
					judge(where+" body", s, c, v)
				}
				for name, ref := range s.Properties {
					for _, v := range append(candidates(ref.Value), "__delete__") {
						m := clone(ex)
						if v == "__delete__" {
							delete(m, name)
						} else {
							m[name] = v
						}
						judge(where+" body field "+name, s, c, m)
					}
				}
				m := clone(ex)
				m["obpm_unknown_field"] = "x"
				judge(where+" body with an unknown field", s, c, m)
			}
		}
	}
	t.Logf("%d values judged: %d passed the compiled checks (all confirmed by kin-openapi), %d refused that kin-openapi passes", judged, passed, falseRefusals)
	if passed == 0 {
		t.Fatal("no value passed the compiled checks: they would never be used")
	}
}

func clone(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestCompileCheckShapes: the shapes compileCheck knows, and its fallback to
// kin-openapi for the others, judged on small schemas written here.
func TestCompileCheckShapes(t *testing.T) {
	str := func(s *openapi3.Schema) *openapi3.Schema { s.Type = &openapi3.Types{"string"}; return s }
	ptr := openapi3.Ptr[uint64]
	no, yes := false, true
	obj := &openapi3.Schema{Type: &openapi3.Types{"object"}, Required: []string{"a"},
		Properties: openapi3.Schemas{
			"a": {Value: str(&openapi3.Schema{MaxLength: ptr(3), Pattern: "^[0-9]{1,3}$"})},
			"e": {Value: str(&openapi3.Schema{Enum: []any{"N", "C"}})},
			"n": {Value: &openapi3.Schema{Type: &openapi3.Types{"integer"}, Max: openapi3.Ptr(5.0)}}, // kin's judgement
			"w": {Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{{Value: str(&openapi3.Schema{MinLength: 2})}}, Description: "d"}},
		},
		AdditionalProperties: openapi3.AdditionalProperties{Has: &no}}
	ro := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{"r": {Value: str(&openapi3.Schema{ReadOnly: true})}}}
	extra := &openapi3.Schema{Type: &openapi3.Types{"object"}, AdditionalProperties: openapi3.AdditionalProperties{Has: &yes,
		Schema: &openapi3.SchemaRef{Value: str(&openapi3.Schema{MaxLength: ptr(1)})}}}
	for _, tc := range []struct {
		name   string
		s      *openapi3.Schema
		v      any
		want   bool // the compiled verdict
		kinToo bool // kin-openapi's: a false want with kinToo is a (harmless) false refusal
	}{
		{"valid", obj, map[string]any{"a": "123", "e": "N", "n": json.Number("4"), "w": "xy"}, true, true},
		{"too long", obj, map[string]any{"a": "1234"}, false, false},
		{"pattern", obj, map[string]any{"a": "1a"}, false, false},
		{"newline after digits", obj, map[string]any{"a": "12\n"}, false, false},
		{"enum", obj, map[string]any{"a": "1", "e": "X"}, false, false},
		{"missing required", obj, map[string]any{"e": "N"}, false, false},
		{"unknown field", obj, map[string]any{"a": "1", "z": "1"}, false, false},
		{"kin's node refuses", obj, map[string]any{"a": "1", "n": json.Number("6")}, false, false},
		{"kin's node passes", obj, map[string]any{"a": "1", "n": json.Number("5")}, true, true},
		{"wrapped ref", obj, map[string]any{"a": "1", "w": "x"}, false, false},
		{"not an object", obj, "a", false, false},
		{"number for a string", obj, map[string]any{"a": json.Number("1")}, false, false},
		{"null", obj, map[string]any{"a": nil}, false, false},
		{"readOnly present: kin judges", ro, map[string]any{"r": "x"}, false, false},
		{"readOnly absent: kin judges", ro, map[string]any{}, true, true},
		{"additional schema", extra, map[string]any{"q": "x"}, true, true},
		{"additional schema refuses", extra, map[string]any{"q": "xy"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []openapi3.SchemaValidationOption{openapi3.VisitAsRequest()}
			got := compileCheck(tc.s, opts)(tc.v)
			kin := tc.s.VisitJSON(tc.v, opts...) == nil
			if got != tc.want || kin != tc.kinToo {
				t.Fatalf("compiled %v (want %v), kin-openapi %v (want %v)", got, tc.want, kin, tc.kinToo)
			}
		})
	}
}

// TestPatternMatchersMatchRegexp: each pattern of the document, and a few
// shapes the table matcher must leave to regexp, against strings near
// their edges.
func TestPatternMatchersMatchRegexp(t *testing.T) {
	doc, err := specs.LoadOpenBanking(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	patterns := []string{`^[0-9]{1,12}$`, `^[A-Z]+$`, `^[a-c]*$`, `^[0-9]?$`, `^[0-9]$`, `^[^0-9]{2}$`, `^(?i)[a-k]{1,3}$`,
		`^[0-9A-Za-z]{0,20}$`, `[0-9]{3}`, `^[0-9]{3}`, `^[가-힣]{1,3}$`, `^[\d]{2}$`, `^\w{2}$`, `^([0-9]{8})?$`, `^-?[0-9]{1,13}$`}
	seen := map[*openapi3.Schema]bool{}
	var walk func(s *openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if s.Pattern != "" && !slices.Contains(patterns, s.Pattern) {
			patterns = append(patterns, s.Pattern)
		}
		for _, r := range s.AllOf {
			walk(r.Value)
		}
		for _, r := range s.Properties {
			walk(r.Value)
		}
		if s.Items != nil {
			walk(s.Items.Value)
		}
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value.Schema != nil {
					walk(p.Value.Schema.Value)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					if mt.Schema != nil {
						walk(mt.Schema.Value)
					}
				}
			}
		}
	}
	inputs := []string{"", "0", "9", "a", "A", "k", "K", "\u212a", "ſ", "가", "😀", "\xff", "12\n", "\n", "-1", "00", "123",
		"1234567890123", "12345678901234", "ABCDEFGHIJKLMNOPQRSTU", "abc", "a1", "1 ", " 1", "가나", "_1"}
	for n := range 30 {
		inputs = append(inputs, strings.Repeat("7", n), strings.Repeat("Z", n), strings.Repeat("z", n), strings.Repeat("7", n)+"\n")
	}
	table := 0
	for _, p := range patterns {
		match := compilePattern(p)
		if match == nil {
			t.Errorf("pattern %q: not compiled", p)
			continue
		}
		if asciiRunMatcher(p) != nil {
			table++
		}
		re := regexp.MustCompile(p)
		for _, in := range inputs {
			if got, want := match(in), re.MatchString(in); got != want {
				t.Errorf("pattern %q on %q: %v, regexp says %v", p, in, got, want)
			}
		}
	}
	if table < 10 {
		t.Errorf("only %d of %d patterns matched by table: the document's ^[class]{m,n}$ should be", table, len(patterns))
	}
	if compilePattern(`^\u0041$`) != nil || compilePattern(`^[`) != nil {
		t.Error("a pattern kin-openapi rewrites, or one that does not compile, must be left to kin-openapi")
	}
}
