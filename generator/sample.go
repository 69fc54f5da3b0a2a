package generator

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxAlternatives bounds how many oneOf/anyOf branches are tried for a
// value that validates against the whole schema.
const maxAlternatives = 16

// maxSampleBytes bounds the long strings of one derived value (see
// builder.sampleString).
const maxSampleBytes = 64 << 10

// sample derives a deterministic value from a schema that validates against
// it: its example (when valid), const, default, first enum value, else a value
// built from type, format, pattern, length, range and item counts; for
// oneOf/anyOf the first branch whose value validates against the whole schema
// (discriminator set). It returns (nil, false) where a cycle or the depth
// limit cuts the schema.
func (b *builder) sample(ref *openapi3.SchemaRef, place string, stack []*openapi3.Schema) (any, bool) {
	if ref == nil || ref.Value == nil {
		return nil, true
	}
	s := ref.Value
	if stack == nil {
		b.nodes, b.strBytes = 0, 0
	}
	if b.nodes++; b.nodes > maxNodes {
		b.warn(place, "schema too large to derive a full example; the sample is cut")
		return nil, false
	}
	e1, e2 := schemaExts(ref)
	if name := b.variableOf(place, e1, e2); name != "" {
		if s.Example != nil {
			b.noteVarExample(name, s.Example)
		}
		return placeholder{name: name, raw: isRawType(s)}, true
	}
	for _, seen := range stack {
		if seen == s {
			return nil, false
		}
	}
	if len(stack) >= maxSampleDepth {
		return nil, false
	}
	stack = append(stack, s)
	orig := s
	if len(s.AllOf) > 0 {
		// Keywords of allOf members count as the schema's own (Box wraps
		// an enum string in allOf to add a description).
		s = b.mergedAllOf(s)
	}
	switch {
	case s.Example != nil && b.validSchemaValue(orig, 'e', s.Example, place):
		return b.fromExample(s.Example, ref, place, 0), true
	case len(s.Examples) > 0 && b.validSchemaValue(orig, 'x', s.Examples[0], place):
		return b.fromExample(s.Examples[0], ref, place, 0), true
	case s.Const != nil:
		return s.Const, true
	case s.Default != nil && b.validSchemaValue(orig, 'd', s.Default, place):
		return b.fromExample(s.Default, ref, place, 0), true
	case len(s.Enum) > 0:
		return firstNonNull(s.Enum), true
	}
	alts, disc := firstNonEmpty(s.OneOf, s.AnyOf), s.Discriminator
	if len(alts) > 0 && len(b.properties(orig)) == 0 && effectiveType(s) != "object" {
		return b.sampleAlternative(orig, disc, nil, alts, place, stack)
	}
	switch effectiveType(s) {
	case "object":
		props := b.properties(orig)
		o := newObjectCap(len(props))
		for _, p := range props {
			if p.ref != nil && p.ref.Value != nil && p.ref.Value.ReadOnly && strings.Contains(place, "requestBody") {
				continue
			}
			v, ok := b.sample(p.ref, place+"."+p.name, stack)
			if ok {
				o.set(p.name, v)
			}
		}
		if len(o.keys) == 0 && s.MinProps > 0 && s.AdditionalProperties.Schema != nil {
			if v, ok := b.sample(s.AdditionalProperties.Schema, place+".*", stack); ok {
				o.set("key", v)
			}
		}
		// Required names the schema does not describe (Box's invite says
		// required: [id] with only "login" among its properties).
		for _, r := range s.Required {
			if !o.has(r) && property(s, r) == nil {
				var v any = "string"
				if s.AdditionalProperties.Schema != nil {
					v, _ = b.sample(s.AdditionalProperties.Schema, place+"."+r, stack)
				}
				o.set(r, v)
			}
		}
		if len(alts) > 0 {
			return b.sampleAlternative(orig, disc, o, alts, place, stack)
		}
		return o, true
	case "array":
		return b.sampleArray(s, place, stack), true
	case "string":
		return b.sampleString(s, place), true
	case "integer", "number":
		return b.sampleNumber(s, place), true
	case "boolean":
		return true, true
	}
	return nil, true
}

// sampleAlternative picks the first oneOf/anyOf branch whose value (merged
// into base, the schema's own properties, when there are some) validates
// against the whole schema s; with a discriminator, the branch's
// discriminator value is set. When no branch validates (or values hold
// placeholders that cannot be checked), the first one is used.
func (b *builder) sampleAlternative(s *openapi3.Schema, d *openapi3.Discriminator, base *object, alts openapi3.SchemaRefs, place string, stack []*openapi3.Schema) (any, bool) {
	var first any
	firstOK, haveFirst := false, false
	for i, alt := range alts {
		if i >= maxAlternatives {
			break
		}
		v, ok := b.sample(alt, place, stack)
		if !ok && v == nil {
			continue
		}
		v = mergeBranch(base, v)
		if o, isObj := v.(*object); isObj && d != nil && d.PropertyName != "" {
			if dv, ok := discriminatorValue(d, alt, o.value(d.PropertyName)); ok {
				o.set(d.PropertyName, dv)
			}
		}
		if !haveFirst {
			first, firstOK, haveFirst = v, ok, true
		}
		if plain, checkable := toPlain(v); checkable && s.VisitJSON(plain, openapi3.VisitAsRequest()) == nil {
			return v, ok
		}
	}
	if !haveFirst {
		if base != nil {
			return base, true
		}
		return nil, false
	}
	return first, firstOK
}

// mergedAllOf is s with the keywords it lacks taken from its allOf members
// (depth-first, the first member that has one wins), remembered per schema.
// Properties stay with properties(), which walks allOf itself.
func (b *builder) mergedAllOf(s *openapi3.Schema) *openapi3.Schema {
	if m, ok := b.merged[s]; ok {
		return m
	}
	m := *s
	b.merged[s] = &m
	if b.keep[s] {
		b.keep[&m] = true // a shared schema's merge is shared too
	}
	b.cached(s)
	var fill func(x *openapi3.Schema, depth int)
	fill = func(x *openapi3.Schema, depth int) {
		if x == nil || depth > maxSampleDepth {
			return
		}
		for _, r := range x.AllOf {
			if r == nil || r.Value == nil {
				continue
			}
			v := r.Value
			if m.Type == nil || len(*m.Type) == 0 {
				m.Type = v.Type
			}
			if m.Format == "" {
				m.Format = v.Format
			}
			if len(m.Enum) == 0 {
				m.Enum = v.Enum
			}
			if m.Example == nil {
				m.Example = v.Example
			}
			if m.Default == nil {
				m.Default = v.Default
			}
			if m.Const == nil {
				m.Const = v.Const
			}
			if m.Pattern == "" {
				m.Pattern = v.Pattern
			}
			if m.MinLength == 0 {
				m.MinLength = v.MinLength
			}
			if m.MaxLength == nil {
				m.MaxLength = v.MaxLength
			}
			if m.Min == nil && !m.ExclusiveMin.IsSet() {
				m.Min, m.ExclusiveMin = v.Min, v.ExclusiveMin
			}
			if m.Max == nil && !m.ExclusiveMax.IsSet() {
				m.Max, m.ExclusiveMax = v.Max, v.ExclusiveMax
			}
			if m.MultipleOf == nil {
				m.MultipleOf = v.MultipleOf
			}
			if m.Items == nil {
				m.Items = v.Items
			}
			if m.MinItems == 0 {
				m.MinItems = v.MinItems
			}
			if m.MaxItems == nil {
				m.MaxItems = v.MaxItems
			}
			if len(m.OneOf) == 0 && len(m.AnyOf) == 0 {
				m.OneOf, m.AnyOf = v.OneOf, v.AnyOf
				if m.Discriminator == nil {
					m.Discriminator = v.Discriminator
				}
			}
			fill(v, depth+1)
		}
	}
	fill(s, 0)
	return &m
}

// mergeBranch adds a branch's object fields to the schema's own (the branch
// wins); anything else replaces base.
func mergeBranch(base *object, v any) any {
	if base == nil {
		return v
	}
	bo, _ := v.(*object)
	n := len(base.keys)
	if bo != nil {
		n += len(bo.keys)
	}
	o := newObjectCap(n)
	for i, k := range base.keys {
		o.set(k, base.vals[i])
	}
	if bo != nil {
		for i, k := range bo.keys {
			o.set(k, bo.vals[i])
		}
	}
	return o
}

func firstNonEmpty(lists ...openapi3.SchemaRefs) openapi3.SchemaRefs {
	for _, l := range lists {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

// firstNonNull is an enum's first value that is not null (a nullable enum
// often lists null first), else null.
func firstNonNull(enum []any) any {
	for _, v := range enum {
		if v != nil {
			return v
		}
	}
	return enum[0]
}

// discriminatorValue is the value of the discriminator property for branch
// alt: the mapping key that points at it; else the value the branch itself
// fixes (a const or single enum, already sampled into current: OpenAI's chat
// messages say role "developer", not the schema's name); else the last
// segment of alt's $ref, as OpenAPI's implicit mapping. ok=false leaves the
// property as sampled.
func discriminatorValue(d *openapi3.Discriminator, alt *openapi3.SchemaRef, current any) (any, bool) {
	keys := slices.Sorted(maps.Keys(d.Mapping))
	for _, k := range keys {
		if alt.Ref != "" && d.Mapping[k].Ref != "" && (alt.Ref == d.Mapping[k].Ref || strings.HasSuffix(alt.Ref, "/"+strings.TrimPrefix(d.Mapping[k].Ref, "#/components/schemas/"))) {
			return k, true
		}
	}
	if alt.Value != nil {
		if p := property(alt.Value, d.PropertyName); p != nil && p.Value != nil && (p.Value.Const != nil || len(p.Value.Enum) > 0) {
			return current, current != nil
		}
	}
	if i := strings.LastIndex(alt.Ref, "/"); i >= 0 {
		return alt.Ref[i+1:], true
	}
	if len(keys) > 0 {
		return keys[0], true
	}
	return nil, false
}

// validExample reports whether a spec example validates against its schema;
// an invalid one is warned about once and replaced by a generated value, so
// that the request is one the API accepts.
func (b *builder) validExample(s *openapi3.Schema, v any, place string) bool {
	if err := s.VisitJSON(v, openapi3.VisitAsRequest(), openapi3.DisableReadOnlyValidation()); err != nil {
		b.warn(place, "example does not match its schema ("+firstLine(err.Error())+"); a value derived from the schema is used")
		return false
	}
	return true
}

// exampleKey names one example-like value of a schema: 'e' example, 'x'
// examples[0], 'd' default.
type exampleKey struct {
	s    *openapi3.Schema
	kind byte
}

// validSchemaValue is validExample remembered per schema: shared schemas are
// sampled once per use, and their example warned about once.
func (b *builder) validSchemaValue(s *openapi3.Schema, kind byte, v any, place string) bool {
	k := exampleKey{s, kind}
	if ok, seen := b.exampleOK[k]; seen {
		return ok
	}
	ok := b.validExample(s, v, place)
	b.exampleOK[k] = ok
	b.cached(s)
	return ok
}

// toPlain turns a sampled value into what encoding/json would decode (maps,
// float64), for schema validation; ok=false when it holds a placeholder,
// whose value is not known here.
func toPlain(v any) (any, bool) {
	switch x := v.(type) {
	case placeholder:
		return nil, false
	case *object:
		m := make(map[string]any, len(x.keys))
		for i, k := range x.keys {
			pv, ok := toPlain(x.vals[i])
			if !ok {
				return nil, false
			}
			m[k] = pv
		}
		return m, true
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			pv, ok := toPlain(e)
			if !ok {
				return nil, false
			}
			out[i] = pv
		}
		return out, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return v, true
}

// sampleArray builds minItems items (at least one unless maxItems is 0),
// distinct when uniqueItems asks, capped at maxGenItems.
func (b *builder) sampleArray(s *openapi3.Schema, place string, stack []*openapi3.Schema) []any {
	n := uint64(1)
	if s.MinItems > n {
		n = s.MinItems
	}
	if s.MaxItems != nil && *s.MaxItems < n {
		n = *s.MaxItems
	}
	if n > maxGenItems {
		b.warn(place, fmt.Sprintf("minItems %d is above obpm's cap of %d items; the generated array is shorter than the schema asks", s.MinItems, maxGenItems))
		n = maxGenItems
	}
	if n == 0 {
		return []any{}
	}
	first, ok := b.sample(s.Items, place+"[]", stack)
	if !ok {
		return []any{}
	}
	if n > 1 {
		// The other items are variants of the first: count their size
		// against the sample's budget.
		var buf bytes.Buffer
		writeJSON(&buf, first, "", "")
		size := uint64(buf.Len()) + 1
		if budget := uint64(max(maxSampleBytes-b.strBytes, 0)); size*(n-1) > budget {
			b.warn(place, fmt.Sprintf("the derived value is above obpm's cap of %d bytes; the array has fewer items than minItems %d", maxSampleBytes, s.MinItems))
			n = 1 + budget/size
		}
		b.strBytes += int(size * (n - 1))
	}
	out := []any{first}
	for i := 1; i < int(n); i++ {
		out = append(out, b.variant(s.Items, first, i, place+"[]"))
	}
	return out
}

// variant is the i-th item of a generated array: for uniqueness, the i-th
// enum value, a longer pattern match, the number plus i steps, or the string
// with a suffix; otherwise the first item again.
func (b *builder) variant(ref *openapi3.SchemaRef, first any, i int, place string) any {
	if ref == nil || ref.Value == nil {
		return first
	}
	s := ref.Value
	if len(s.Enum) > i {
		return s.Enum[i]
	}
	switch x := first.(type) {
	case string:
		if v := formatVariant(s.Format, i); v != "" {
			return v
		}
		if s.Pattern != "" {
			if v, ok := regexString(s.Pattern, utf8.RuneCountInString(x)+i, maxLenOf(s)); ok && v != x {
				return v
			}
		}
		v := x + strconv.Itoa(i)
		if m := maxLenOf(s); m >= 0 && utf8.RuneCountInString(v) > m && m > 0 {
			v = string([]rune(x)[:m-len(strconv.Itoa(i))]) + strconv.Itoa(i)
		}
		return v
	case int64:
		step := int64(1)
		if s.MultipleOf != nil && *s.MultipleOf >= 1 && *s.MultipleOf == math.Trunc(*s.MultipleOf) {
			step = int64(*s.MultipleOf)
		}
		return x + int64(i)*step
	case float64:
		step := 1.0
		if s.MultipleOf != nil && *s.MultipleOf > 0 {
			step = *s.MultipleOf
		}
		return x + float64(i)*step
	}
	return first
}

// formatVariant is a distinct valid value of a format for the i-th item of
// a unique array ("" when the format has none).
func formatVariant(format string, i int) string {
	d := strconv.Itoa(i % 10)
	switch format {
	case "uuid":
		return fmt.Sprintf("3fa85f64-5717-4562-b3fc-%012x", 0x2c963f66afa6+i)
	case "date":
		return fmt.Sprintf("2026-11-%02d", 1+i%28)
	case "date-time":
		return fmt.Sprintf("2026-11-%02dT10:10:10Z", 1+i%28)
	case "email", "idn-email":
		return "user" + strconv.Itoa(i) + "@example.com"
	case "uri", "url", "iri":
		return "https://example.com/" + strconv.Itoa(i)
	case "ipv4":
		return "192.0.2." + strconv.Itoa(1+i%250)
	case "hostname", "idn-hostname":
		return "host" + d + ".example.com"
	}
	return ""
}

func maxLenOf(s *openapi3.Schema) int {
	if s.MaxLength == nil || *s.MaxLength > math.MaxInt32 {
		return -1
	}
	return int(*s.MaxLength)
}

// formatString is a valid example of a string format (RFC 3339 dates and
// times, RFC 4122 uuid, …); "" for no or an unknown format.
func formatString(format string) string {
	switch format {
	case "date":
		return "2026-11-26"
	case "date-time":
		return "2026-11-26T10:10:10Z"
	case "time":
		return "10:10:10Z"
	case "duration":
		return "P1D"
	case "email", "idn-email":
		return "user@example.com"
	case "uuid":
		return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	case "uri", "url", "iri":
		return "https://example.com"
	case "uri-reference", "iri-reference":
		return "/example"
	case "uri-template":
		return "https://example.com/{id}"
	case "hostname", "idn-hostname":
		return "example.com"
	case "ipv4":
		return "192.0.2.1"
	case "ipv6":
		return "2001:db8::1"
	case "byte":
		return "b2JwbQ=="
	case "binary":
		return ""
	case "password":
		return "password"
	case "json-pointer":
		return "/a"
	case "regex":
		return "^a$"
	}
	return ""
}

// sampleString builds a string that satisfies format, pattern and length:
// a pattern match (from the regex's parse tree) when there is a pattern, else
// the format's example, else "string"; cut to maxLength and padded to
// minLength. Lengths above maxGenLen are capped, with a warning.
func (b *builder) sampleString(s *openapi3.Schema, place string) string {
	minLen := 0
	if s.MinLength > maxGenLen {
		b.warn(place, fmt.Sprintf("minLength %d is above obpm's cap of %d characters; the generated value is shorter than the schema asks", s.MinLength, maxGenLen))
		minLen = maxGenLen
	} else {
		minLen = int(s.MinLength)
	}
	// One derived value holds at most maxSampleBytes of padding and pattern
	// text: nested arrays of long strings multiply otherwise.
	if b.strBytes += minLen; b.strBytes > maxSampleBytes && minLen > 0 {
		b.warn(place, fmt.Sprintf("the derived value is above obpm's cap of %d bytes; minLength %d is not met", maxSampleBytes, s.MinLength))
		minLen = 0
	}
	maxLen := maxLenOf(s)
	if s.Pattern != "" {
		if v, ok := regexString(s.Pattern, minLen, maxLen); ok {
			return v
		}
		b.warn(place, "pattern "+strconv.Quote(s.Pattern)+" could not be matched by a generated value (not RE2 syntax, or it conflicts with the length); the value may not match")
	}
	v := formatString(s.Format)
	if v == "" && s.Format != "binary" {
		v = "string"
	}
	if maxLen >= 0 && utf8.RuneCountInString(v) > maxLen {
		v = string([]rune(v)[:maxLen])
	}
	if n := utf8.RuneCountInString(v); n < minLen {
		v += strings.Repeat("x", minLen-n)
	}
	return v
}

// sampleNumber picks the smallest "natural" number in range: 0 when allowed,
// else the lower bound (the next step when exclusive), else the upper bound;
// rounded up to multipleOf, kept inside int32/int64 for those formats.
func (b *builder) sampleNumber(s *openapi3.Schema, place string) any {
	integer := firstType(s) == "integer"
	lo, hi := math.Inf(-1), math.Inf(1)
	loEx, hiEx := false, false
	if s.Min != nil {
		lo, loEx = *s.Min, s.ExclusiveMin.IsTrue()
	}
	if v := s.ExclusiveMin.Value; v != nil && (*v >= lo) {
		lo, loEx = *v, true
	}
	if s.Max != nil {
		hi, hiEx = *s.Max, s.ExclusiveMax.IsTrue()
	}
	if v := s.ExclusiveMax.Value; v != nil && (*v <= hi) {
		hi, hiEx = *v, true
	}
	switch s.Format {
	case "int32":
		lo, hi = math.Max(lo, math.MinInt32), math.Min(hi, math.MaxInt32)
	case "int64":
		lo, hi = math.Max(lo, -(1<<53)), math.Min(hi, 1<<53)
	}
	step := 1.0
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		step = *s.MultipleOf
	}
	above := func(x float64) bool { return x > lo || (!loEx && x == lo) }
	below := func(x float64) bool { return x < hi || (!hiEx && x == hi) }
	n := 0.0
	switch {
	case above(0) && below(0):
	case !math.IsInf(lo, -1):
		n = lo
		if integer {
			n = math.Ceil(n)
		}
		if s.MultipleOf != nil && *s.MultipleOf > 0 {
			n = math.Ceil(n/step) * step
		}
		if !above(n) {
			if integer || s.MultipleOf != nil {
				n += step
			} else if !math.IsInf(hi, 1) {
				n = lo + (hi-lo)/2
			} else {
				n = lo + 1
			}
		}
	default:
		n = hi
		if integer {
			n = math.Floor(n)
		}
		if s.MultipleOf != nil && *s.MultipleOf > 0 {
			n = math.Floor(n/step) * step
		}
		if !below(n) {
			n -= step
		}
	}
	if !above(n) || !below(n) {
		b.warn(place, "no number satisfies the schema's bounds and multipleOf; the value is outside them")
	}
	if integer || (n == math.Trunc(n) && math.Abs(n) < 1<<53) {
		return int64(n)
	}
	return n
}
