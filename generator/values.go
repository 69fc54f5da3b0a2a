package generator

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// Values are built as plain Go values plus two types of our own: object keeps
// the key order of the document (property order), and placeholder stands for a
// Postman variable ({{name}}) that the scripts or the environment fill.

type object struct {
	keys  []string
	vals  []any          // vals[i] is the value of keys[i]
	index map[string]int // key → position, once there are more than smallObject keys
}

// smallObject is the size up to which an object finds keys by scanning them:
// most derived objects are small, and a map per object was a tenth of the
// generator's allocations (BenchmarkGenerateLarge).
const smallObject = 8

func newObject() *object { return &object{} }

// newObjectCap is newObject with room for n keys.
func newObjectCap(n int) *object {
	return &object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

func (o *object) find(k string) int {
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i, x := range o.keys {
		if x == k {
			return i
		}
	}
	return -1
}

// get is the value of k and whether o has it.
func (o *object) get(k string) (any, bool) {
	if i := o.find(k); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

func (o *object) has(k string) bool { return o.find(k) >= 0 }

// value is the value of k, nil when o has none.
func (o *object) value(k string) any {
	v, _ := o.get(k)
	return v
}

func (o *object) set(k string, v any) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	switch {
	case o.index != nil:
		o.index[k] = len(o.keys) - 1
	case len(o.keys) > smallObject:
		o.index = make(map[string]int, 2*len(o.keys))
		for i, x := range o.keys {
			o.index[x] = i
		}
	}
}

// placeholder is written as {{name}}; quoted unless raw (a number or boolean field).
type placeholder struct {
	name string
	raw  bool
}

// maxSampleDepth bounds schema-derived samples and exported JSON schemas; deeper
// levels (and any schema already on the current path: a cycle) are cut.
const maxSampleDepth = 8

// maxNodes bounds one derived sample or exported schema: a wide schema graph
// without cycles (each property a $ref to another wide schema) would
// otherwise grow exponentially with depth.
const maxNodes = 5000

// variableOf reads x-obpm-generate / x-obpm-variable from the given extension
// maps (parameter, schema ref, schema), first match wins.
func (b *builder) variableOf(place string, exts ...map[string]any) string {
	for _, ext := range exts {
		if ext == nil {
			continue
		}
		if v, ok := ext["x-obpm-generate"]; ok {
			s, _ := v.(string)
			if s == "bank_tran_id" || s == "tran_dtime" {
				return s
			}
			b.warn(place, fmt.Sprintf("x-obpm-generate %v is not bank_tran_id or tran_dtime; ignored", v))
		}
		if v, ok := ext["x-obpm-variable"]; ok {
			if s, ok := v.(string); ok && validVarName(s) {
				// Credentials may be named on purpose (a token endpoint takes
				// client_secret); obpm's helper variables never go to an API.
				if strings.HasPrefix(strings.ToLower(s), "obpm_") {
					b.warn(place, "x-obpm-variable "+s+" names one of obpm's helper variables; ignored so that spec text cannot send it to the API")
					return ""
				}
				b.optIn[s] = true
				return s
			}
			b.warn(place, fmt.Sprintf("x-obpm-variable %v is not a variable name; ignored", v))
		}
	}
	return ""
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			return false
		}
	}
	return true
}

func schemaExts(ref *openapi3.SchemaRef) (map[string]any, map[string]any) {
	if ref == nil {
		return nil, nil
	}
	var v map[string]any
	if ref.Value != nil {
		v = ref.Value.Extensions
	}
	return ref.Extensions, v
}

// firstType returns the schema's first non-null type ("" when untyped).
func firstType(s *openapi3.Schema) string {
	if s == nil || s.Type == nil {
		return ""
	}
	for _, t := range s.Type.Slice() {
		if t != "null" {
			return t
		}
	}
	return ""
}

// effectiveType guesses the type of an untyped schema from its keywords.
func effectiveType(s *openapi3.Schema) string {
	if t := firstType(s); t != "" {
		return t
	}
	switch {
	case s == nil:
		return ""
	case len(s.Properties) > 0 || len(s.AllOf) > 0:
		return "object"
	case s.Items != nil:
		return "array"
	}
	return ""
}

type namedSchema struct {
	name string
	ref  *openapi3.SchemaRef
	line int64
}

// docPos is a sortable document position: line, then column (flow-style YAML
// and minified JSON put many keys on one line, columns past 65,535 included).
func docPos(loc *openapi3.Location) int64 {
	return int64(loc.Line)<<32 | int64(uint32(loc.Column))
}

// refLine is the document position of a schema's key (see docPos).
func refLine(r *openapi3.SchemaRef) int64 {
	var loc *openapi3.Location
	switch {
	case r == nil:
		return 0
	case r.Origin != nil && r.Origin.Key != nil:
		loc = r.Origin.Key
	case r.Value != nil && r.Value.Origin != nil && r.Value.Origin.Key != nil:
		loc = r.Value.Origin.Key
	default:
		return 0
	}
	return docPos(loc)
}

// properties lists a schema's properties in document order, allOf members
// first, so that bodies read like the spec.
func properties(s *openapi3.Schema) []namedSchema {
	if s != nil && len(s.AllOf) == 0 {
		// The common case: the names of one map are distinct already.
		if len(s.Properties) == 0 {
			return nil
		}
		return ownProperties(s)
	}
	var out []namedSchema
	seen := map[string]bool{}
	var walk func(s *openapi3.Schema, depth int)
	walk = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > maxSampleDepth {
			return
		}
		for _, m := range s.AllOf {
			if m != nil {
				walk(m.Value, depth+1)
			}
		}
		for _, p := range ownProperties(s) {
			if !seen[p.name] {
				seen[p.name] = true
				out = append(out, p)
			}
		}
	}
	walk(s, 0)
	return out
}

// ownProperties lists the schema's own properties in document order (by
// name where positions tie: a total order, names being distinct).
func ownProperties(s *openapi3.Schema) []namedSchema {
	own := make([]namedSchema, 0, len(s.Properties))
	for name, ref := range s.Properties {
		own = append(own, namedSchema{name: name, ref: ref, line: refLine(ref)})
	}
	slices.SortFunc(own, func(a, b namedSchema) int {
		if a.line != b.line {
			return cmp.Compare(a.line, b.line)
		}
		return strings.Compare(a.name, b.name)
	})
	return own
}

// properties is the package's properties, remembered per schema: shared
// ($ref) schemas are met once per operation using them.
func (b *builder) properties(s *openapi3.Schema) []namedSchema {
	if s == nil {
		return nil
	}
	if p, ok := b.props[s]; ok {
		return p
	}
	p := properties(s)
	b.props[s] = p
	b.cached(s)
	return p
}

// property finds the schema of a named property, looking through allOf and the
// first oneOf/anyOf alternative.
func property(s *openapi3.Schema, name string) *openapi3.SchemaRef {
	for _, p := range properties(s) {
		if p.name == name {
			return p.ref
		}
	}
	if s != nil {
		for _, alts := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
			for _, a := range alts {
				if a != nil && a.Value != nil {
					if r := property(a.Value, name); r != nil {
						return r
					}
				}
			}
		}
	}
	return nil
}

// fromExample converts an example value into an ordered value, replacing the
// fields marked x-obpm-generate / x-obpm-variable with placeholders and
// recording example values of variables for the environments.
func (b *builder) fromExample(v any, ref *openapi3.SchemaRef, place string, depth int) any {
	var s *openapi3.Schema
	if ref != nil {
		s = ref.Value
		e1, e2 := schemaExts(ref)
		if name := b.variableOf(place, e1, e2); name != "" {
			b.noteVarExample(name, v)
			return placeholder{name: name, raw: isRawType(s)}
		}
	}
	if depth > 4*maxSampleDepth {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		o := newObjectCap(len(x))
		for _, p := range b.properties(s) {
			if val, ok := x[p.name]; ok {
				o.set(p.name, b.fromExample(val, p.ref, place+"."+p.name, depth+1))
			}
		}
		rest := make([]string, 0, len(x))
		for k := range x {
			if !o.has(k) {
				rest = append(rest, k)
			}
		}
		sort.Strings(rest)
		for _, k := range rest {
			o.set(k, b.fromExample(x[k], property(s, k), place+"."+k, depth+1))
		}
		return o
	case []any:
		var items *openapi3.SchemaRef
		if s != nil {
			items = s.Items
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = b.fromExample(e, items, place+"[]", depth+1)
		}
		return out
	}
	return v
}

func isRawType(s *openapi3.Schema) bool {
	switch firstType(s) {
	case "integer", "number", "boolean":
		return true
	}
	return false
}

func (b *builder) noteVarExample(name string, v any) {
	if _, ok := b.varExamples[name]; ok || v == nil {
		return
	}
	if str := scalarString(v); str != "" {
		b.varExamples[name] = str
	}
}

// scalarString formats a scalar example for a URL, header or form field.
func scalarString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case placeholder:
		return "{{" + x.name + "}}"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	}
	var buf bytes.Buffer
	writeJSON(&buf, v, "", "")
	return buf.String()
}

// writeJSON writes v as JSON with the given indent (empty: compact), keeping
// object key order and writing placeholders as Postman variables.
func writeJSON(buf *bytes.Buffer, v any, prefix, indent string) {
	nl := func(p string) {
		if indent != "" {
			buf.WriteByte('\n')
			buf.WriteString(p)
		}
	}
	sep := ":"
	if indent != "" {
		sep = ": "
	}
	switch x := v.(type) {
	case *object:
		if len(x.keys) == 0 {
			buf.WriteString("{}")
			return
		}
		buf.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			nl(prefix + indent)
			writeString(buf, k)
			buf.WriteString(sep)
			writeJSON(buf, x.vals[i], prefix+indent, indent)
		}
		nl(prefix)
		buf.WriteByte('}')
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		vals := make([]any, len(keys))
		for i, k := range keys {
			vals[i] = x[k]
		}
		o := &object{keys: keys, vals: vals}
		writeJSON(buf, o, prefix, indent)
	case []any:
		if len(x) == 0 {
			buf.WriteString("[]")
			return
		}
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			nl(prefix + indent)
			writeJSON(buf, e, prefix+indent, indent)
		}
		nl(prefix)
		buf.WriteByte(']')
	case placeholder:
		if x.raw {
			buf.WriteString("{{" + x.name + "}}")
		} else {
			buf.WriteString(`"{{` + x.name + `}}"`)
		}
	case string:
		writeString(buf, x)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			buf.WriteString("null")
			return
		}
		buf.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	default:
		data, err := json.Marshal(x)
		if err != nil {
			buf.WriteString("null")
			return
		}
		buf.Write(data)
	}
}

// writeString writes a JSON string without HTML escaping (bodies show < and &
// as typed). Strings with nothing to escape (the common case) are copied as
// they are; the rest go through encoding/json's rules.
func writeString(buf *bytes.Buffer, s string) {
	if plainJSONString(s) {
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return
	}
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	buf.Write(bytes.TrimSuffix(tmp.Bytes(), []byte("\n")))
}

// plainJSONString: s is valid UTF-8 without quotes, backslashes, control
// characters and U+2028/U+2029, so JSON (escapeHTML off) writes it unchanged.
func plainJSONString(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c == '"', c == '\\':
			return false
		case c >= 0x80:
			ascii = false
		}
	}
	return ascii || (utf8.ValidString(s) && !strings.ContainsAny(s, "\u2028\u2029"))
}
