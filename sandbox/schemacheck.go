package sandbox

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// schemaCheck reports whether a decoded JSON value certainly passes a
// schema; false means "ask kin-openapi", never "invalid".
type schemaCheck func(v any) bool

// compileCheck turns an OpenAPI 3.0 schema into a schemaCheck, once per
// operation, so that a request is judged without kin-openapi's generic walk
// (a schema visit per field, each allocating its settings, sorting the
// object's keys and looking its pattern up in a sync.Map: a tenth of a
// withdraw). It knows the plain shapes the Open Banking document uses:
// objects with properties, required and additionalProperties, and strings
// with enum, min/maxLength and pattern. Any other schema node (arrays,
// numbers, formats, allOf with constraints, oneOf, nullable, readOnly...)
// is judged by kin-openapi's VisitJSON on that node's value, with opts.
//
// It may only be stricter than kin-openapi: a value it passes must pass
// VisitJSON (TestSchemaCheckNeverPassesWhatKinRefuses). opts are the options
// the caller gives VisitJSON (VisitAsRequest for a body).
func compileCheck(s *openapi3.Schema, opts []openapi3.SchemaValidationOption) schemaCheck {
	if c := compileNode(s, opts, 0); c != nil {
		return c
	}
	return kinCheck(s, opts)
}

// kinCheck is the node-level fallback: kin-openapi's own verdict. A child
// visited alone is judged at least as strictly as inside its parent (the
// parent's allOf/readOnly context can only excuse a missing property).
func kinCheck(s *openapi3.Schema, opts []openapi3.SchemaValidationOption) schemaCheck {
	return func(v any) bool { return s.VisitJSON(v, opts...) == nil }
}

// maxCheckDepth bounds compileNode on recursive schemas (a recursive
// property falls back to kinCheck, which handles cycles).
const maxCheckDepth = 16

// compileNode returns nil for a node it does not know.
func compileNode(s *openapi3.Schema, opts []openapi3.SchemaValidationOption, depth int) schemaCheck {
	if s == nil || depth > maxCheckDepth {
		return nil
	}
	// allOf: [X] with nothing but annotations around it is X (flatSchema's
	// rule, which keeps any wrapper that changes the verdict).
	if len(s.AllOf) == 1 {
		ref := &openapi3.SchemaRef{Value: s}
		if inner := unwrapAllOf(ref); inner != ref {
			return compileNode(inner.Value, opts, depth+1)
		}
		return nil
	}
	if s.Always != nil || s.Not != nil || len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) > 0 || s.Discriminator != nil ||
		s.Type == nil || len(*s.Type) != 1 || s.IsEmpty() ||
		// OpenAPI 3.1 keywords kin-openapi's 3.0 walk ignores today:
		// should it start to honour them, they must not be skipped here.
		s.Const != nil || s.If != nil || len(s.PatternProperties) > 0 || s.PropertyNames != nil || len(s.DependentRequired) > 0 {
		return nil
	}
	switch {
	case s.Type.Is(openapi3.TypeString):
		return compileString(s)
	case s.Type.Is(openapi3.TypeObject):
		return compileObject(s, opts, depth)
	}
	return nil
}

func compileString(s *openapi3.Schema) schemaCheck {
	check := compileStringOnly(s)
	if check == nil {
		return nil
	}
	return func(v any) bool {
		str, ok := v.(string)
		return ok && check(str)
	}
}

// compileStringCheck is compileCheck for a string value (a query
// parameter), without boxing it in an interface: nil when the schema, or
// what it wraps, is not one compileString knows.
func compileStringCheck(s *openapi3.Schema) func(string) bool {
	for s != nil && len(s.AllOf) == 1 {
		ref := &openapi3.SchemaRef{Value: s}
		inner := unwrapAllOf(ref)
		if inner == ref {
			return nil
		}
		s = inner.Value
	}
	if s == nil || s.Always != nil || s.Not != nil || len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) > 0 || s.Discriminator != nil ||
		s.Type == nil || !s.Type.Is(openapi3.TypeString) || s.IsEmpty() || s.Const != nil || s.If != nil {
		return nil
	}
	return compileStringOnly(s)
}

// compileStringOnly checks a string against a type: string schema.
func compileStringOnly(s *openapi3.Schema) func(string) bool {
	// A format kin-openapi knows (or is taught later, globally) is its to judge.
	if s.Format != "" || s.Nullable {
		return nil
	}
	var enum map[string]bool
	if len(s.Enum) > 0 {
		enum = map[string]bool{}
		for _, e := range s.Enum {
			str, ok := e.(string)
			if !ok {
				return nil
			}
			enum[str] = true
		}
	}
	var match func(string) bool
	if s.Pattern != "" {
		if match = compilePattern(s.Pattern); match == nil {
			return nil
		}
	}
	minLen, maxLen := int64(s.MinLength), int64(-1)
	if s.MaxLength != nil {
		if *s.MaxLength > 1<<62 {
			return nil
		}
		maxLen = int64(*s.MaxLength)
	}
	return func(str string) bool {
		if enum != nil && !enum[str] {
			return false
		}
		if minLen > 0 || maxLen >= 0 {
			n := strLen(str)
			if n < minLen || (maxLen >= 0 && n > maxLen) {
				return false
			}
		}
		return match == nil || match(str)
	}
}

// strLen is a string's length as kin-openapi counts it for min/maxLength:
// one per rune (an invalid byte counts one). Its comment says UTF-16 code
// units, but it asks utf16.IsSurrogate of runes that range over a string
// yields, which never are: 😀 counts one. Its verdict is the reference.
func strLen(s string) int64 { return int64(utf8.RuneCountInString(s)) }

func compileObject(s *openapi3.Schema, opts []openapi3.SchemaValidationOption, depth int) schemaCheck {
	props := compileProps(s, opts, depth)
	if props == nil {
		return nil
	}
	var extra schemaCheck // additionalProperties' schema
	closed := false       // additionalProperties: false
	if ap := s.AdditionalProperties; ap.Schema != nil {
		if ap.Schema.Value == nil {
			return nil
		}
		if extra = compileNode(ap.Schema.Value, opts, depth+1); extra == nil {
			extra = kinCheck(ap.Schema.Value, opts)
		}
	} else if ap.Has != nil && !*ap.Has {
		closed = true
	}
	required := s.Required
	minProps, maxProps := int(min(s.MinProps, 1<<30)), -1
	if s.MaxProps != nil {
		maxProps = int(min(*s.MaxProps, 1<<30))
	}
	return func(v any) bool {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if len(m) < minProps || (maxProps >= 0 && len(m) > maxProps) {
			return false
		}
		for _, k := range required {
			if _, ok := m[k]; !ok {
				return false
			}
		}
		for k, x := range m {
			if c, ok := props[k]; ok {
				if !c(x) {
					return false
				}
				continue
			}
			if closed || (extra != nil && !extra(x)) {
				return false
			}
		}
		return true
	}
}

// compileProps compiles the checks of an object schema's properties, by
// name; nil when compileObject does not know the object.
func compileProps(s *openapi3.Schema, opts []openapi3.SchemaValidationOption, depth int) map[string]schemaCheck {
	if s.Nullable || len(s.Enum) > 0 {
		return nil
	}
	props := make(map[string]schemaCheck, len(s.Properties))
	for name, ref := range s.Properties {
		if ref == nil || ref.Value == nil || ref.Value.ReadOnly || ref.Value.WriteOnly {
			// readOnly/writeOnly properties change what a request may
			// hold and what it must: kin-openapi judges the whole object.
			return nil
		}
		c := compileNode(ref.Value, opts, depth+1)
		if c == nil {
			c = kinCheck(ref.Value, opts)
		}
		props[name] = rememberPassed(c)
	}
	return props
}

// compilePattern matches a string as kin-openapi's compiled pattern does
// (Go's regexp, which it uses for a pattern without \uXXXX escapes). The
// document's patterns are nearly all ^[class]{m,n}$ over ASCII, which a
// byte table matches without the regexp machine; others use regexp. nil:
// the pattern is not Go syntax, or has escapes kin-openapi rewrites.
func compilePattern(p string) func(string) bool {
	if strings.Contains(p, `\u`) {
		return nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil
	}
	if m := asciiRunMatcher(p); m != nil {
		return m
	}
	return re.MatchString
}

// asciiRunMatcher recognises ^C{min,max}$ (or C, C*, C+, C?) where C is a
// character class of ASCII characters only, and matches it with a table.
func asciiRunMatcher(p string) func(string) bool {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) != 3 ||
		re.Sub[0].Op != syntax.OpBeginText || re.Sub[2].Op != syntax.OpEndText {
		return nil
	}
	run := re.Sub[1]
	lo, hi := 1, 1
	switch run.Op {
	case syntax.OpCharClass:
	case syntax.OpRepeat:
		lo, hi = run.Min, run.Max
	case syntax.OpStar:
		lo, hi = 0, -1
	case syntax.OpPlus:
		lo, hi = 1, -1
	case syntax.OpQuest:
		lo, hi = 0, 1
	default:
		return nil
	}
	if run.Op != syntax.OpCharClass {
		if len(run.Sub) != 1 {
			return nil
		}
		run = run.Sub[0]
	}
	if run.Op != syntax.OpCharClass || len(run.Rune) == 0 || len(run.Rune)%2 != 0 {
		return nil
	}
	var set [utf8.RuneSelf]bool
	for i := 0; i < len(run.Rune); i += 2 {
		from, to := run.Rune[i], run.Rune[i+1]
		if from < 0 || to >= utf8.RuneSelf || from > to {
			return nil // a class reaching past ASCII: regexp judges runes
		}
		for r := from; r <= to; r++ {
			set[r] = true
		}
	}
	return func(s string) bool {
		// Every byte must be in the (ASCII) class, so a match has as many
		// runes as bytes; a non-ASCII byte fails it, as its rune would.
		if len(s) < lo || (hi >= 0 && len(s) > hi) {
			return false
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c >= utf8.RuneSelf || !set[c] {
				return false
			}
		}
		return true
	}
}

// rememberPassed wraps a property's check: a string value equal to the
// last one that passed passes again without being checked (every check is
// a function of the value alone). The comparison is short when the value
// is the very same string, as a repeated body member decoded through
// flatNames is, and a withdraw repeats all its members but bank_tran_id:
// the checks were a tenth of the handler's time.
func rememberPassed(c schemaCheck) schemaCheck {
	var last atomic.Value // a string that passed
	return func(x any) bool {
		s, isString := x.(string)
		if !isString {
			return c(x)
		}
		if p, _ := last.Load().(string); p == s && p != "" {
			return true
		}
		if !c(x) {
			return false
		}
		last.Store(x)
		return true
	}
}
