package merge

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Environment merges a Postman environment. A value the user set (different
// from what obpm wrote last time, or any value when there is no record of
// that) is never overwritten, nor is a non-empty secret; values obpm wrote
// and the user left alone follow the spec. Variables the user added stay;
// variables the spec dropped go unless the user changed them.
func Environment(base, theirs, ours []byte) ([]byte, *Report, error) {
	rep := &Report{NoBase: base == nil}
	var b, t, o obj
	for _, x := range []struct {
		data []byte
		dst  *obj
		what string
	}{{base, &b, "previous environment"}, {theirs, &t, "your environment"}, {ours, &o, "generated environment"}} {
		if x.data == nil {
			continue
		}
		v, err := decode(x.data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", x.what, err)
		}
		if *x.dst = asObj(v); *x.dst == nil || (*x.dst)["values"] == nil && x.what != "previous environment" {
			return nil, nil, fmt.Errorf("%s: not a Postman environment (no \"values\")", x.what)
		}
	}
	where := str(o["name"])
	values := func(e obj) (map[string]obj, []string) {
		m := map[string]obj{}
		var order []string
		for _, v := range asArr(e["values"]) {
			vo := asObj(v)
			if vo == nil {
				continue
			}
			k := str(vo["key"])
			if _, dup := m[k]; !dup {
				order = append(order, k)
			}
			m[k] = vo
		}
		return m, order
	}
	bm, _ := values(b)
	tm, tOrder := values(t)
	om, oOrder := values(o)
	var out arr
	for _, k := range oOrder {
		ov := clone(om[k]).(obj)
		tv, inT := tm[k]
		bv, inB := bm[k]
		if inT {
			tval := str(tv["value"])
			secret := str(tv["type"]) == "secret" || str(ov["type"]) == "secret"
			userSet := tval != "" && (!inB || tval != str(bv["value"]))
			if (userSet || (secret && tval != "")) && tval != str(ov["value"]) {
				ov["value"] = tv["value"]
				if secret {
					rep.add(KeptEdit, where, k, "your secret kept")
				} else {
					rep.add(KeptEdit, where, k, "your value kept")
				}
			} else if inB && str(ov["value"]) != str(bv["value"]) {
				rep.add(Updated, where, k, "changed by the spec")
			}
			if e, ok := tv["enabled"]; ok {
				ov["enabled"] = e
			}
		} else if inB {
			rep.add(KeptEdit, where, k, "you deleted it; not restored")
			continue
		}
		out = append(out, ov)
	}
	for _, k := range tOrder {
		if _, inO := om[k]; inO {
			continue
		}
		tv := tm[k]
		if bv, inB := bm[k]; inB && str(tv["value"]) == str(bv["value"]) {
			rep.add(Updated, where, k, "removed by the spec")
			continue
		}
		out = append(out, tv)
	}
	o["values"] = out
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(o); err != nil {
		return nil, nil, fmt.Errorf("encode merged environment: %w", err)
	}
	return buf.Bytes(), rep, nil
}
