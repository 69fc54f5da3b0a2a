package merge

import (
	"encoding/json"
	"reflect"
	"strings"
)

// obj is a decoded JSON object; arr a decoded JSON array. Numbers stay
// json.Number so a merged file keeps them as written.
type (
	obj = map[string]any
	arr = []any
)

// decode parses JSON keeping numbers exact.
func decode(data []byte) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// clone deep-copies a decoded JSON value, so an output never aliases an input.
func clone(v any) any {
	switch x := v.(type) {
	case obj:
		out := make(obj, len(x))
		for k, e := range x {
			out[k] = clone(e)
		}
		return out
	case arr:
		out := make(arr, len(x))
		for i, e := range x {
			out[i] = clone(e)
		}
		return out
	}
	return v
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return ""
}

func asObj(v any) obj { o, _ := v.(obj); return o }
func asArr(v any) arr { a, _ := v.(arr); return a }

// equal compares two canonical values.
func equal(a, b any) bool { return reflect.DeepEqual(a, b) }

// The canon* functions reduce a part of a request to what a user can see and
// edit, so that what Postman (or its SDK) rewrites on import and export —
// ids, "type": "text" on headers, description objects, a URL split into parts
// without "raw", "packages": {} on scripts — does not count as a user's edit.
// Without this every re-exported field would look edited and no spec change
// would ever reach the user.

// canonText is a description: a string or {"content": ...}.
func canonText(v any) any {
	if o := asObj(v); o != nil {
		v = o["content"]
	}
	s := strings.TrimSpace(str(v))
	if s == "" {
		return nil
	}
	return s
}

// canonURL is the URL as one string of its enabled parts, plus the disabled
// query parameters (optional parameters obpm writes disabled).
func canonURL(v any) any {
	if s, ok := v.(string); ok {
		return obj{"url": s}
	}
	o := asObj(v)
	if o == nil {
		return nil
	}
	hostParts := o["host"]
	pathParts := o["path"]
	if hostParts == nil && pathParts == nil {
		return obj{"url": str(o["raw"])}
	}
	var b strings.Builder
	if p := str(o["protocol"]); p != "" {
		b.WriteString(p + "://")
	}
	b.WriteString(joinParts(hostParts, "."))
	if p := str(o["port"]); p != "" {
		b.WriteString(":" + p)
	}
	if path := joinParts(pathParts, "/"); path != "" {
		b.WriteString("/" + path)
	}
	var on, off []string
	for _, q := range asArr(o["query"]) {
		qo := asObj(q)
		if qo == nil {
			continue
		}
		kv := str(qo["key"])
		if qo["value"] != nil {
			kv += "=" + str(qo["value"])
		}
		if qo["disabled"] == true {
			off = append(off, kv)
		} else {
			on = append(on, kv)
		}
	}
	if len(on) > 0 {
		b.WriteString("?" + strings.Join(on, "&"))
	}
	out := obj{"url": b.String()}
	if len(off) > 0 {
		out["disabled"] = strings.Join(off, "&")
	}
	var vars []string
	for _, pv := range asArr(o["variable"]) {
		if po := asObj(pv); po != nil {
			vars = append(vars, str(po["key"])+"="+str(po["value"]))
		}
	}
	if len(vars) > 0 {
		out["variable"] = strings.Join(vars, "&")
	}
	return out
}

func joinParts(v any, sep string) string {
	if s, ok := v.(string); ok {
		return s
	}
	var parts []string
	for _, p := range asArr(v) {
		if po := asObj(p); po != nil { // path segments may be {"value": ...}
			parts = append(parts, str(po["value"]))
			continue
		}
		parts = append(parts, str(p))
	}
	return strings.Join(parts, sep)
}

// canonKV is a list of key/value pairs (headers, form fields): key, value,
// disabled and, for form data, a file's src.
func canonKV(v any) any {
	var out arr
	for _, e := range asArr(v) {
		o := asObj(e)
		if o == nil {
			continue
		}
		c := obj{"key": str(o["key"]), "value": str(o["value"])}
		if o["disabled"] == true {
			c["disabled"] = true
		}
		if o["type"] == "file" {
			c["src"] = o["src"]
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// canonBody keeps the body's mode and that mode's content.
func canonBody(v any) any {
	o := asObj(v)
	if o == nil {
		return nil
	}
	mode := str(o["mode"])
	if mode == "" {
		return nil
	}
	c := obj{"mode": mode}
	switch mode {
	case "raw":
		c["raw"] = str(o["raw"])
	case "urlencoded", "formdata":
		c[mode] = canonKV(o[mode])
	case "graphql":
		c["graphql"] = clone(o["graphql"])
	case "file":
		c["file"] = clone(o["file"])
	}
	if o["disabled"] == true {
		c["disabled"] = true
	}
	return c
}

// canonAuth keeps the auth type and the parameters of that type as a map.
func canonAuth(v any) any {
	o := asObj(v)
	if o == nil {
		return nil
	}
	t := str(o["type"])
	c := obj{"type": t}
	params := obj{}
	switch p := o[t].(type) {
	case arr:
		for _, e := range p {
			if eo := asObj(e); eo != nil {
				params[str(eo["key"])] = str(eo["value"])
			}
		}
	case obj: // collection format v2.0: a plain map
		for k, e := range p {
			params[k] = str(e)
		}
	}
	c["params"] = params
	return c
}

// canonScript is a script's lines (exec may be a string or lines), with
// trailing blank lines dropped.
func canonScript(v any) []string {
	o := asObj(v)
	if o == nil {
		return nil
	}
	script := asObj(o["script"])
	if script == nil {
		return nil
	}
	var lines []string
	switch e := script["exec"].(type) {
	case string:
		lines = strings.Split(e, "\n")
	case arr:
		for _, l := range e {
			lines = append(lines, strings.Split(str(l), "\n")...)
		}
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil
	}
	if script["disabled"] == true || o["disabled"] == true {
		lines = append([]string{"\x00disabled"}, lines...)
	}
	return lines
}

// canonResponse is a saved response as the user sees it.
func canonResponse(v any) any {
	o := asObj(v)
	if o == nil {
		return nil
	}
	c := obj{"name": str(o["name"]), "code": str(o["code"]), "body": str(o["body"]), "header": canonKV(o["header"])}
	return c
}

// canonVar is a collection variable: its value (and whether it is disabled).
func canonVar(v any) any {
	o := asObj(v)
	if o == nil {
		return nil
	}
	c := obj{"value": str(o["value"])}
	if c["value"] == "undefined" {
		// The postman-collection SDK exports a variable without a value
		// as the string "undefined"; it is no user's edit.
		c["value"] = ""
	}
	if o["disabled"] == true {
		c["disabled"] = true
	}
	return c
}
