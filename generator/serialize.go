package generator

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Parameter and form serialisation by OpenAPI's style and explode (the
// "Style Values" table of OpenAPI 3): simple, label and matrix for path
// parameters, simple for headers, form for cookies, form, spaceDelimited,
// pipeDelimited and deepObject for queries and form bodies.

// explodeOf is explode as written, else its default: true for style form
// (the default of query and cookie parameters and of form bodies), false
// for the rest.
func explodeOf(style string, explode *bool) bool {
	if explode != nil {
		return *explode
	}
	return style == "" || style == "form"
}

// styleString serialises a path, header or cookie value in style simple,
// label, matrix or form ("" is simple).
func styleString(style string, explode bool, name string, v any) string {
	var prefix, sep, kv string
	switch style {
	case "label":
		prefix, sep, kv = ".", ",", "="
		if explode {
			sep = "."
		}
	case "matrix":
		prefix, sep, kv = ";"+name+"=", ",", "="
		if explode {
			sep = ";" + name + "="
		}
	default: // simple, form (cookies: the name is written by the caller)
		sep, kv = ",", "="
	}
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = scalarString(e)
		}
		return prefix + strings.Join(parts, sep)
	case *object:
		parts := make([]string, 0, 2*len(x.keys))
		for i, k := range x.keys {
			if explode {
				parts = append(parts, k+kv+scalarString(x.vals[i]))
			} else {
				parts = append(parts, k, scalarString(x.vals[i]))
			}
		}
		if style == "matrix" && explode {
			return ";" + strings.Join(parts, ";")
		}
		if style == "label" && explode {
			return "." + strings.Join(parts, ".")
		}
		return prefix + strings.Join(parts, ",")
	}
	return prefix + scalarString(v)
}

// pathEscape percent-encodes what would change a URL's structure inside a
// path segment (a slash, ?, #, %, a space), leaving {{variables}} alone.
func pathEscape(s string) string {
	if !strings.ContainsAny(s, "/?#% ") {
		return s
	}
	r := strings.NewReplacer("%", "%25", "/", "%2F", "?", "%3F", "#", "%23", " ", "%20")
	return r.Replace(s)
}

// queryEscape percent-encodes what would split or alter a query pair (&, #,
// + read as a space, a bare %); Postman encodes spaces itself and sends the
// rest as written.
func queryEscape(s string) string {
	if !strings.ContainsAny(s, "&#+%") {
		return s
	}
	r := strings.NewReplacer("%", "%25", "&", "%26", "#", "%23", "+", "%2B")
	return r.Replace(s)
}

// formPairs serialises one field of a form body (urlencoded, or multipart
// when multipart is set) by its encoding: arrays repeat the key (form,
// explode) or are joined by the style's delimiter; objects spread their
// properties (form, explode), become key[prop] (deepObject) or a joined
// list; in multipart an object is one JSON part. The third element of a
// pair is the part's content type ("" none).
func formPairs(name string, v any, enc *openapi3.Encoding, multipart bool) [][3]string {
	style, explode := "", true
	if enc != nil {
		style, explode = enc.Style, explodeOf(enc.Style, enc.Explode)
	}
	switch x := v.(type) {
	case []any:
		if multipart || (explode && (style == "" || style == "form")) {
			out := make([][3]string, 0, len(x))
			for _, e := range x {
				ct := ""
				if _, isObj := e.(*object); isObj && multipart {
					ct = "application/json"
				}
				out = append(out, [3]string{name, scalarString(e), ct})
			}
			return out
		}
		sep := ","
		switch style {
		case "spaceDelimited":
			sep = " "
		case "pipeDelimited":
			sep = "|"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = scalarString(e)
		}
		return [][3]string{{name, strings.Join(parts, sep), ""}}
	case *object:
		switch {
		case multipart:
			return [][3]string{{name, scalarString(x), "application/json"}}
		case style == "deepObject":
			out := make([][3]string, 0, len(x.keys))
			for i, k := range x.keys {
				out = append(out, [3]string{name + "[" + k + "]", scalarString(x.vals[i]), ""})
			}
			return out
		case explode && (style == "" || style == "form"):
			out := make([][3]string, 0, len(x.keys))
			for i, k := range x.keys {
				out = append(out, [3]string{k, scalarString(x.vals[i]), ""})
			}
			return out
		default:
			parts := make([]string, 0, 2*len(x.keys))
			for i, k := range x.keys {
				parts = append(parts, k, scalarString(x.vals[i]))
			}
			return [][3]string{{name, strings.Join(parts, ","), ""}}
		}
	}
	return [][3]string{{name, scalarString(v), ""}}
}
