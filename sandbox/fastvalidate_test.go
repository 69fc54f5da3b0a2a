package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/obpm/obpm/specs"
)

// TestFastChecksNeverPassWhatOpenapi3filterRefuses: for every operation
// with a fast check, the document's own request example and broken copies
// of it (each field replaced by each candidate value of its schema: too
// long, too short, Hangul and astral characters, numbers, null, objects,
// characters encoding/json escapes...; each field removed; an unknown field
// added) go the way validate takes them (decodeBody, then the fast check)
// and to openapi3filter; the fast check may send a valid request the slow
// way (counted and logged as false refusals), never pass an invalid one.
func TestFastChecksNeverPassWhatOpenapi3filterRefuses(t *testing.T) {
	doc, err := specs.LoadOpenBanking(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Spec: doc})
	if err != nil {
		t.Fatal(err)
	}
	slow := func(r *http.Request, body []byte) bool {
		r.Body = http.NoBody
		if body != nil {
			r.Body = readCloser(body)
		}
		route, params, err := s.router.FindRoute(r)
		if err != nil {
			t.Fatal(err)
		}
		return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true}}) == nil
	}
	mutations := func(op *openapi3.Operation, m map[string]any) []map[string]any {
		schemas := map[string]*openapi3.Schema{}
		if op.RequestBody != nil {
			for name, ref := range op.RequestBody.Value.Content.Get("application/json").Schema.Value.Properties {
				schemas[name] = ref.Value
			}
		}
		for _, p := range op.Parameters {
			schemas[p.Value.Name] = p.Value.Schema.Value
		}
		out := []map[string]any{m}
		for k, schema := range schemas {
			vals := append(candidates(schema), "x"+strings.Repeat("9", 300), "<&>", "\u0041", nil)
			for i, v := range vals {
				c := maps.Clone(m)
				if i == len(vals)-1 {
					delete(c, k)
				} else {
					c[k] = v
				}
				out = append(out, c)
			}
		}
		c := maps.Clone(m)
		c["obpm_unknown_field"] = "x"
		return append(out, c)
	}
	fast, fastBody, judged, falseRefusals := 0, 0, 0, 0
	exampleFast := map[string]bool{}
	for key, route := range s.routes {
		qc, bc := s.queryChecks[route], s.bodyChecks[route]
		if qc == nil && bc == nil {
			continue
		}
		ex := requestExample(route.Operation)
		if ex == nil {
			continue
		}
		for i, in := range mutations(route.Operation, ex) {
			var r *http.Request
			var passed, valid bool
			var shown string
			if qc != nil {
				q := url.Values{}
				for k, v := range in {
					if s, ok := v.(string); ok {
						q.Set(k, s)
					} else if n, ok := v.(json.Number); ok {
						q.Set(k, n.String())
					}
				}
				r, _ = http.NewRequest(key.method, "http://sandbox"+key.path+"?"+q.Encode(), nil)
				passed, shown = qc.valid(r.URL.Query()), q.Encode()
				// validate's way for a plain query (no escapes), which must agree.
				if in, plain := plainQuery(r.URL.RawQuery); plain && qc.validPlain(in) != passed {
					t.Errorf("%s %s %s: validPlain says %v, valid %v", key.method, key.path, shown, !passed, passed)
				}
				valid = slow(r, nil)
			} else {
				body, _ := json.Marshal(in)
				r, _ = http.NewRequest(key.method, "http://sandbox"+key.path, nil)
				r.Header.Set("Content-Type", "application/json; charset=UTF-8")
				m, norm, err := s.decodeBody(route, body)
				passed, shown = err == nil && bc.valid(r.Header.Get("Content-Type"), m), string(body)
				if err == nil {
					valid = slow(r, norm)
				}
				if passed {
					fastBody++
				}
			}
			if passed {
				fast++
				if !valid {
					t.Errorf("%s %s: the fast check passed %s, openapi3filter refuses it", key.method, key.path, shown)
				}
			} else if valid {
				falseRefusals++
				if falseRefusals <= 5 {
					t.Logf("false refusal (it goes the slow way): %s %s %.200s", key.method, key.path, shown)
				}
			}
			if i == 0 {
				exampleFast[key.method+" "+key.path] = passed
			}
			judged++
		}
	}
	if fastBody == 0 || fast == fastBody || judged == 0 {
		t.Fatalf("%d judged, %d passed the fast way (%d bodies): both kinds of check must be exercised", judged, fast, fastBody)
	}
	// The load test's routes must take the fast way with their examples.
	for _, op := range []string{"GET /v2.0/account/balance/fin_num", "POST /v2.0/transfer/withdraw/fin_num"} {
		if !exampleFast[op] {
			t.Errorf("%s: the documented example does not pass the fast check", op)
		}
	}
	t.Logf("%d requests judged, %d passed the fast checks (all confirmed by openapi3filter), %d valid ones refused by them", judged, fast, falseRefusals)
}

func readCloser(b []byte) *readerCloser { return &readerCloser{bytes.NewReader(b)} }

type readerCloser struct{ *bytes.Reader }

func (readerCloser) Close() error { return nil }

// requestExample is an operation's documented request: its body example,
// or its parameters' examples.
func requestExample(op *openapi3.Operation) map[string]any {
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		mt := op.RequestBody.Value.Content.Get("application/json")
		if mt == nil {
			return nil
		}
		v := mt.Example
		for _, ex := range mt.Examples {
			if v == nil && ex != nil && ex.Value != nil {
				v = ex.Value.Value
			}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if dec.Decode(&m) != nil {
			return nil
		}
		return m
	}
	m := map[string]any{}
	for _, p := range op.Parameters {
		v := p.Value.Example
		if v == nil && p.Value.Schema != nil && p.Value.Schema.Value != nil {
			v = p.Value.Schema.Value.Example
		}
		if s, ok := v.(string); ok {
			m[p.Value.Name] = s
		}
	}
	return m
}

// TestFlatSchemaUnwrapsAnnotatedRefs: the withdraw body's fields written
// `allOf: [$ref]` with x-obpm-generate are validated against the $ref'd
// schema directly, and a wrapper that adds a constraint is kept.
func TestFlatSchemaUnwrapsAnnotatedRefs(t *testing.T) {
	inner := &openapi3.SchemaRef{Ref: "#/components/schemas/BankTranId", Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, Pattern: "^[A-Z0-9]{20}$"}}
	plain := &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{inner}, Description: "d",
		Extensions: map[string]any{"x-obpm-generate": "bank_tran_id"}}}
	limited := &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{inner}, MaxLength: openapi3.Ptr(uint64(5))}}
	readOnly := &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{inner}, ReadOnly: true}}
	// not: {} refuses every value, although kin-openapi's IsEmpty calls it empty.
	refuseAll := &openapi3.SchemaRef{Value: &openapi3.Schema{AllOf: openapi3.SchemaRefs{inner}, Not: &openapi3.SchemaRef{Value: &openapi3.Schema{}}}}
	s := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{"a": plain, "b": limited, "c": readOnly, "d": inner, "e": refuseAll}}
	flat := flatSchema(s)
	if flat.Properties["a"] != inner || flat.Properties["b"] != limited || flat.Properties["c"] != readOnly || flat.Properties["d"] != inner ||
		flat.Properties["e"] != refuseAll {
		t.Fatalf("flattened properties %v", flat.Properties)
	}
	if s.Properties["a"] != plain {
		t.Fatal("flatSchema changed the spec's schema")
	}
	if same := flatSchema(&openapi3.Schema{Properties: openapi3.Schemas{"d": inner}}); same.Properties["d"] != inner {
		t.Fatal("nothing to flatten: changed")
	}
}
