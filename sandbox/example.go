package sandbox

import (
	"encoding/json"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// successExample returns a fresh copy of the operation's success example
// (the first named example, by key, whose rsp_code is A0000, else the
// media type's example), or an empty body.
func successExample(route *routers.Route) map[string]any {
	resp := route.Operation.Responses.Status(200)
	if resp == nil || resp.Value == nil {
		return map[string]any{}
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil {
		return map[string]any{}
	}
	var pick any
	keys := make([]string, 0, len(mt.Examples))
	for k := range mt.Examples {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ex := mt.Examples[k]
		if ex == nil || ex.Value == nil {
			continue
		}
		if m, ok := ex.Value.Value.(map[string]any); ok && m["rsp_code"] == rspOK {
			pick = m
			break
		}
	}
	if pick == nil {
		pick = mt.Example
	}
	return deepCopy(pick)
}

func deepCopy(v any) map[string]any {
	out := map[string]any{}
	if v == nil {
		return out
	}
	b, err := json.Marshal(v)
	if err != nil {
		return out
	}
	_ = json.Unmarshal(b, &out)
	return out
}

// copyJSON copies a value decoded by encoding/json (maps, slices and
// immutable scalars), so that an answer may change its copy of a cached
// example. It is what deepCopy does without the encode and decode, which
// were a quarter of a balance inquiry's time.
func copyJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t)+4) // room for the fields an answer adds
		for k, x := range t {
			m[k] = copyJSON(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = copyJSON(x)
		}
		return l
	default:
		return v
	}
}

// examples holds each operation's success example, decoded once (deepCopy
// normalises it to what encoding/json decodes); overlay copies from it.
type examples map[*openapi3.Operation]map[string]any

func newExamples(doc *openapi3.T) examples {
	ex := examples{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ex[op] = successExample(&routers.Route{Operation: op})
		}
	}
	return ex
}

// exampleHandler serves an operation the sandbox keeps no state for (card,
// pay, insurance, loan, management lines): its documented success example,
// with the request's bank_tran_id and today's date put in where the example
// has them (overlay does that: a response that documents no bank_tran_id
// gets none, or `obpm drift` would rightly call it undocumented).
func exampleHandler(s *Server, r *request) (map[string]any, error) {
	return map[string]any{}, nil
}

// overlay completes out, the computed fields, with the success example's
// other fields, so that the fields the sandbox does not compute keep their
// documented example values; the example's bank_tran_date (when out has
// none) is today, and a bank_tran_id in the answer is the request's. It
// fills out in place rather than a copy of the example: most fields of an
// example are ones out computes.
func (ex examples) overlay(route *routers.Route, in, out map[string]any, day string) map[string]any {
	base, ok := ex[route.Operation]
	if !ok {
		base = successExample(route)
	}
	if out == nil {
		out = make(map[string]any, len(base)+4)
	}
	_, outDate := out["bank_tran_date"]
	for k, v := range base {
		if _, set := out[k]; !set {
			out[k] = copyJSON(v)
		}
	}
	if _, ok := out["bank_tran_date"]; ok && !outDate {
		out["bank_tran_date"] = day
	}
	if id, ok := in["bank_tran_id"].(string); ok {
		if _, has := out["bank_tran_id"]; has {
			out["bank_tran_id"] = id
		}
	}
	return out
}
