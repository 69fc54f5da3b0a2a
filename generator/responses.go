package generator

// Responses: the saved example responses of a request, their headers, and
// the compact JSON Schema the generated tests check a response against.

import (
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	postman "github.com/rbretecher/go-postman-collection"
)

// responseSchema is the compact JSON Schema of a response schema, remembered
// per schema (operations share $ref'd response schemas).
func (b *builder) responseSchema(ref *openapi3.SchemaRef) string {
	if s, ok := b.schemaJSON[ref.Value]; ok && ref.Value != nil {
		return s
	}
	s := b.jsonString(jsonSchema(ref, nil, new(int)), "")
	if ref.Value != nil {
		b.schemaJSON[ref.Value] = s
		b.cached(ref.Value)
	}
	return s
}

// responses are the saved examples: one per response code and named example
// (or one derived from the schema), JSON media types pretty-printed.
func (b *builder) responses(o *operation) []*postman.Response {
	if o.op.Responses == nil {
		return nil
	}
	codes := o.op.Responses.Keys()
	sort.Strings(codes)
	var out []*postman.Response
	for _, code := range codes {
		r := o.op.Responses.Value(code)
		if r == nil || r.Value == nil {
			continue
		}
		n, _ := strconv.Atoi(code)
		desc := ""
		if r.Value.Description != nil {
			desc = strings.TrimSpace(*r.Value.Description)
		}
		label := code
		if desc != "" {
			label = code + " " + firstLine(desc)
		}
		place := o.place + ".responses." + code
		headers := b.responseHeaders(r.Value, place)
		if len(r.Value.Links) > 0 {
			b.warn(place+".links", "response links are not represented in Postman; mark the fields later requests need with x-obpm-capture")
		}
		content := sortedContent(r.Value.Content)
		if len(content) == 0 {
			resp := &postman.Response{Name: label, Code: n, Status: statusText(code)}
			if len(headers) > 0 {
				resp.Headers = &postman.HeaderList{Headers: headers}
			}
			out = append(out, resp)
			continue
		}
		m := content[0]
		type variant struct {
			name    string
			val     any
			text    string // the body, when derived from the schema (val unused)
			derived bool
		}
		var one [1]variant // most responses have one: no slice to allocate
		vs := one[:0]
		asJSON := isJSON(m.ctype)
		switch {
		case m.media.Example != nil:
			vs = append(vs, variant{name: label, val: b.fromExample(m.media.Example, m.media.Schema, place, 0)})
		case len(m.media.Examples) > 0:
			for _, ex := range sortedExamples(m.media.Examples) {
				l := strings.TrimSpace(ex.ex.Summary)
				if l == "" {
					l = ex.key
				}
				vs = append(vs, variant{name: code + " " + l, val: b.fromExample(ex.ex.Value, m.media.Schema, place, 0)})
			}
		default:
			vs = append(vs, variant{name: label, text: b.sampleBody(m.media.Schema, place, asJSON), derived: true})
		}
		for _, v := range vs {
			hs := make([]*postman.Header, 1+len(headers))
			hs[0] = &postman.Header{Key: "Content-Type", Value: m.ctype}
			copy(hs[1:], headers)
			// one allocation for the response and its header list
			rh := &struct {
				r postman.Response
				h postman.HeaderList
			}{r: postman.Response{Name: v.name, Code: n, Status: statusText(code)}, h: postman.HeaderList{Headers: hs}}
			resp := &rh.r
			resp.Headers = &rh.h
			resp.PreviewLanguage = "text"
			if resp.Body = v.text; !v.derived {
				resp.Body = b.bodyText(v.val, asJSON)
			}
			if asJSON {
				resp.PreviewLanguage = "json"
			}
			out = append(out, resp)
		}
	}
	return out
}

// responseHeaders are the response's documented headers (name order) with
// their example, or a value derived from the schema, for a saved response.
func (b *builder) responseHeaders(r *openapi3.Response, place string) []*postman.Header {
	var out []*postman.Header
	for _, name := range sortedKeys(r.Headers) {
		h := r.Headers[name]
		if h == nil || h.Value == nil || strings.EqualFold(name, "Content-Type") {
			continue // OpenAPI ignores a Content-Type header here: the media type says it
		}
		v := b.paramValue(&h.Value.Parameter, place+".headers."+name)
		out = append(out, &postman.Header{Key: cleanName(name), Value: scalarString(v), Description: h.Value.Description})
	}
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// bodyText is a saved response's body: JSON pretty-printed for JSON media
// types, the scalar as text otherwise.
func (b *builder) bodyText(v any, asJSON bool) string {
	if asJSON {
		return b.jsonString(v, "    ")
	}
	return scalarString(v)
}
