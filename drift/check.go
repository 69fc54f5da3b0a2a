package drift

import (
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Kind is a kind of difference between a response and its description.
type Kind string

// The kinds of drift.
const (
	MissingRequired Kind = "missing-required" // a required field is absent
	Undocumented    Kind = "undocumented"     // a field the description lacks
	TypeMismatch    Kind = "type"             // another JSON type than described
	FormatMismatch  Kind = "format"           // a string not in the described format
	EnumValue       Kind = "enum"             // a value the enum does not list
	RspCode         Kind = "rsp_code"         // an rsp_code (or bank_rsp_code) the description does not list
	HTTPStatus      Kind = "http-status"      // a status the operation does not describe
	NotJSON         Kind = "not-json"         // a JSON response that does not parse
)

// Finding is one difference, seen Count times.
type Finding struct {
	Kind   Kind   `json:"kind"`
	Field  string `json:"field,omitempty"` // "res_list[].bank_name"; "" for the status
	Detail string `json:"detail"`
	Count  int    `json:"count"`
}

// Operation is what the run showed of one operation.
type Operation struct {
	ID       string    `json:"operation"` // operationId, else "METHOD path"
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	Runs     int       `json:"responses"`
	Statuses []int     `json:"statuses"`
	Unread   int       `json:"bodies_missing,omitempty"` // responses whose body the report did not keep
	Findings []Finding `json:"findings"`
}

// Report is the drift of one run.
type Report struct {
	Executions int         `json:"executions"`
	Operations []Operation `json:"operations"`
	// Unmatched lists requests that match no operation of the description
	// ("METHOD URL (item)"): requests the user added, or another spec.
	Unmatched []string `json:"unmatched,omitempty"`
}

// HasDrift says whether any response differed from the description.
func (r *Report) HasDrift() bool {
	for _, o := range r.Operations {
		if len(o.Findings) > 0 {
			return true
		}
	}
	return false
}

// opMatcher finds the operation of a request by method and path: the URL's
// path must end with the operation's path template (the server's base path
// comes before it); the template with most literal segments wins.
type opMatcher struct {
	ops []*opEntry
	// bases are the servers' base paths ("api/v1"; "" for none): the
	// operation on "/" answers only a request for one of them, where any
	// URL's path ends with its (empty) template.
	bases map[string]bool
}

type opEntry struct {
	method, path, id string
	op               *openapi3.Operation
	segs             []string // "" for a parameter
	literals         int
}

func newMatcher(doc *openapi3.T) *opMatcher {
	m := &opMatcher{bases: map[string]bool{"": true}}
	for _, sv := range doc.Servers {
		if sv == nil {
			continue
		}
		if u, err := url.Parse(sv.URL); err == nil {
			m.bases[strings.Trim(u.Path, "/")] = true
		}
	}
	if doc.Paths == nil {
		return m
	}
	for _, p := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(p)
		for method, op := range item.Operations() {
			e := &opEntry{method: strings.ToUpper(method), path: p, op: op, id: op.OperationID}
			if e.id == "" {
				e.id = e.method + " " + p
			}
			for _, s := range strings.Split(strings.Trim(p, "/"), "/") {
				if s == "" && strings.Trim(p, "/") == "" {
					break // "/": no segment (a literal "" would match any last segment)
				}
				if strings.Contains(s, "{") {
					e.segs = append(e.segs, "")
				} else {
					e.segs = append(e.segs, s)
					e.literals++
				}
			}
			m.ops = append(m.ops, e)
		}
	}
	sort.SliceStable(m.ops, func(i, j int) bool { return m.ops[i].id < m.ops[j].id })
	return m
}

func (m *opMatcher) find(method, path string) *opEntry {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *opEntry
	for _, e := range m.ops {
		if e.method != method || len(e.segs) > len(segs) {
			continue
		}
		if len(e.segs) == 0 {
			if m.bases[strings.Trim(path, "/")] {
				return e // the request is for the base path itself
			}
			continue
		}
		tail := segs[len(segs)-len(e.segs):]
		ok := true
		for i, s := range e.segs {
			if s != "" && s != tail[i] || s == "" && tail[i] == "" {
				ok = false
				break
			}
		}
		if ok && (best == nil || e.literals > best.literals || e.literals == best.literals && len(e.segs) > len(best.segs)) {
			best = e
		}
	}
	return best
}

// Check compares every execution with the description.
func Check(doc *openapi3.T, execs []Execution) *Report {
	m := newMatcher(doc)
	rep := &Report{Executions: len(execs)}
	byOp := map[*opEntry]*opState{}
	var order []*opEntry
	for _, ex := range execs {
		e := m.find(ex.Method, ex.URL.Path)
		if e == nil {
			rep.Unmatched = append(rep.Unmatched, fmt.Sprintf("%s %s (%s)", ex.Method, ex.URL.Redacted(), ex.Item))
			continue
		}
		st := byOp[e]
		if st == nil {
			st = &opState{found: map[string]*Finding{}}
			byOp[e] = st
			order = append(order, e)
		}
		st.check(e.op, ex)
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].id < order[j].id })
	for _, e := range order {
		st := byOp[e]
		op := Operation{ID: e.id, Method: e.method, Path: e.path, Runs: st.runs, Unread: st.unread, Findings: []Finding{}}
		for s := range st.statuses {
			op.Statuses = append(op.Statuses, s)
		}
		sort.Ints(op.Statuses)
		for _, k := range st.order {
			op.Findings = append(op.Findings, *st.found[k])
		}
		rep.Operations = append(rep.Operations, op)
	}
	return rep
}

// opState gathers the findings of one operation over its responses.
type opState struct {
	runs, unread int
	statuses     map[int]bool
	found        map[string]*Finding
	order        []string
}

func (st *opState) add(k Kind, field, detail string) {
	key := string(k) + "\x00" + field + "\x00" + detail
	if f := st.found[key]; f != nil {
		f.Count++
		return
	}
	st.found[key] = &Finding{Kind: k, Field: field, Detail: detail, Count: 1}
	st.order = append(st.order, key)
}

func (st *opState) check(op *openapi3.Operation, ex Execution) {
	st.runs++
	if st.statuses == nil {
		st.statuses = map[int]bool{}
	}
	st.statuses[ex.Status] = true
	var ref *openapi3.ResponseRef
	if op.Responses != nil {
		ref = op.Responses.Status(ex.Status)
		if ref == nil {
			ref = op.Responses.Default()
		}
	}
	if ref == nil || ref.Value == nil {
		var listed []string
		if op.Responses != nil {
			listed = slices.Sorted(func(yield func(string) bool) {
				for k := range op.Responses.Map() {
					if !yield(k) {
						return
					}
				}
			})
		}
		st.add(HTTPStatus, "", fmt.Sprintf("HTTP %d is not described (described: %s)", ex.Status, strings.Join(listed, ", ")))
		return
	}
	mt := jsonMedia(ref.Value.Content, ex.ContentType)
	if mt == nil || mt.Schema == nil {
		return // nothing described to compare a body with
	}
	if ex.Body == nil {
		st.unread++
		return
	}
	if len(strings.TrimSpace(string(ex.Body))) == 0 {
		st.add(NotJSON, "", "empty body where JSON is described")
		return
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(ex.Body)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		st.add(NotJSON, "", "body is not JSON: "+err.Error())
		return
	}
	c := &checker{add: st.add}
	// The Open Banking way: an error is HTTP 200 with a non-A0000 rsp_code
	// and only the common fields; its missing success fields are no drift.
	if o, ok := v.(map[string]any); ok {
		if code, ok := o["rsp_code"].(string); ok && code != "A0000" {
			c.errorAnswer = true
		}
	}
	c.value(mt.Schema, v, "", 0)
}

// jsonMedia picks the described media type of the response: the one of its
// Content-Type, else the first JSON one.
func jsonMedia(content openapi3.Content, contentType string) *openapi3.MediaType {
	if len(content) == 0 {
		return nil
	}
	if ct, _, err := mime.ParseMediaType(contentType); err == nil {
		if mt := content.Get(ct); mt != nil && isJSON(ct) {
			return mt
		}
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range content {
			if !yield(k) {
				return
			}
		}
	}) {
		if isJSON(k) {
			return content[k]
		}
	}
	return nil
}

func isJSON(ct string) bool {
	ct = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	return ct == "application/json" || strings.HasSuffix(ct, "+json") || ct == "*/*"
}

// checker walks a value against a schema.
type checker struct {
	add         func(k Kind, field, detail string)
	errorAnswer bool
}

// view is a schema with its allOf parts folded in.
type view struct {
	types    []string
	nullable bool
	format   string
	enum     []any
	props    map[string]*openapi3.SchemaRef
	required []string
	addl     *openapi3.BoolSchema
	items    *openapi3.SchemaRef
	alts     []*openapi3.SchemaRef // oneOf / anyOf
}

func fold(ref *openapi3.SchemaRef, v *view, depth int) {
	if ref == nil || ref.Value == nil || depth > 32 {
		return
	}
	s := ref.Value
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if !slices.Contains(v.types, t) {
				v.types = append(v.types, t)
			}
		}
	}
	v.nullable = v.nullable || s.Nullable
	if s.Format != "" {
		v.format = s.Format
	}
	if len(s.Enum) > 0 {
		v.enum = s.Enum
	}
	for k, p := range s.Properties {
		if v.props == nil {
			v.props = map[string]*openapi3.SchemaRef{}
		}
		v.props[k] = p
	}
	v.required = append(v.required, s.Required...)
	if s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil {
		a := s.AdditionalProperties
		v.addl = &a
	}
	if s.Items != nil {
		v.items = s.Items
	}
	v.alts = append(v.alts, s.OneOf...)
	v.alts = append(v.alts, s.AnyOf...)
	for _, p := range s.AllOf {
		fold(p, v, depth+1)
	}
}

// altProp is the schema of property k in the first of alts (folded) that
// describes it; nil when none does.
func altProp(alts []*openapi3.SchemaRef, k string, depth int) *openapi3.SchemaRef {
	if depth > 32 {
		return nil
	}
	for _, a := range alts {
		var av view
		fold(a, &av, 0)
		if p, ok := av.props[k]; ok {
			return p
		}
		if p := altProp(av.alts, k, depth+1); p != nil {
			return p
		}
	}
	return nil
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		// An integer beyond int64 (a long id) or written 1.0 is still an
		// integer to JSON Schema.
		if !strings.ContainsAny(string(x), ".eE") {
			return "integer"
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && !math.IsInf(f, 0) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func (c *checker) value(ref *openapi3.SchemaRef, v any, path string, depth int) {
	if ref == nil || ref.Value == nil || depth > 64 {
		return
	}
	var w view
	fold(ref, &w, 0)
	if len(w.alts) > 0 && len(w.types) == 0 && w.props == nil {
		// oneOf/anyOf alone: judge by the alternative that fits best.
		var best []func()
		for i, alt := range w.alts {
			var calls []func()
			sub := &checker{errorAnswer: c.errorAnswer, add: func(k Kind, f, d string) {
				calls = append(calls, func() { c.add(k, f, d) })
			}}
			sub.value(alt, v, path, depth+1)
			if i == 0 || len(calls) < len(best) {
				best = calls
			}
		}
		for _, f := range best {
			f()
		}
		return
	}
	got := jsonType(v)
	field := path
	if field == "" {
		field = "(body)"
	}
	if got == "null" {
		if w.nullable || slices.Contains(w.types, "null") || len(w.types) == 0 {
			return
		}
		c.add(TypeMismatch, field, fmt.Sprintf("described as %s, got null", strings.Join(w.types, " or ")))
		return
	}
	if len(w.types) > 0 && !typeFits(w.types, got) {
		c.add(TypeMismatch, field, fmt.Sprintf("described as %s, got %s", strings.Join(w.types, " or "), got))
		return
	}
	if len(w.enum) > 0 && !inEnum(w.enum, v) {
		kind, last := EnumValue, path[strings.LastIndex(path, ".")+1:]
		if last == "rsp_code" || last == "bank_rsp_code" {
			kind = RspCode
		}
		c.add(kind, field, fmt.Sprintf("value %s is not listed", enc(v)))
	}
	switch x := v.(type) {
	case string:
		if msg := badFormat(w.format, x); msg != "" {
			c.add(FormatMismatch, field, msg)
		}
	case json.Number:
		if w.format == "int32" {
			if n, err := x.Int64(); err != nil || n < math.MinInt32 || n > math.MaxInt32 {
				c.add(FormatMismatch, field, "not an int32")
			}
		}
	case map[string]any:
		if !c.errorAnswer {
			for _, r := range w.required {
				if _, ok := x[r]; !ok {
					c.add(MissingRequired, join(path, r), "required field is missing")
				}
			}
		}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range x {
				if !yield(k) {
					return
				}
			}
		}) {
			if p, ok := w.props[k]; ok {
				c.value(p, x[k], join(path, k), depth+1)
				continue
			}
			// Properties beside oneOf/anyOf: a field one alternative
			// describes is described.
			if p := altProp(w.alts, k, 0); p != nil {
				c.value(p, x[k], join(path, k), depth+1)
				continue
			}
			switch {
			case w.addl != nil && w.addl.Schema != nil:
				c.value(w.addl.Schema, x[k], join(path, k), depth+1)
			case w.addl != nil && w.addl.Has != nil && *w.addl.Has && w.props == nil:
				// a free-form map: any key is described
			case w.props != nil || (w.addl != nil && w.addl.Has != nil && !*w.addl.Has):
				c.add(Undocumented, join(path, k), fmt.Sprintf("field not in the description (a %s)", jsonType(x[k])))
			}
		}
	case []any:
		for _, e := range x {
			c.value(w.items, e, path+"[]", depth+1)
		}
	}
}

func typeFits(types []string, got string) bool {
	for _, t := range types {
		if t == got || t == "number" && got == "integer" {
			return true
		}
	}
	return false
}

func inEnum(enum []any, v any) bool {
	s := enc(v)
	for _, e := range enum {
		if enc(e) == s {
			return true
		}
	}
	return false
}

// enc is a value's JSON text with numbers normalised (1 and 1.0 agree).
func enc(v any) string {
	if n, ok := v.(json.Number); ok {
		if f, err := n.Float64(); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// badFormat checks the string formats whose meaning is fixed (OpenAPI's and
// JSON Schema's); others (KFTC's own, "password") are not judged.
func badFormat(format, s string) string {
	switch format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return fmt.Sprintf("%q is not a date-time (RFC 3339)", s)
		}
	case "date":
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return fmt.Sprintf("%q is not a date (YYYY-MM-DD)", s)
		}
	case "uuid":
		if !uuidRE.MatchString(s) {
			return fmt.Sprintf("%q is not a uuid", s)
		}
	case "email":
		if _, err := mail.ParseAddress(s); err != nil {
			return "not an email address"
		}
	}
	return ""
}
