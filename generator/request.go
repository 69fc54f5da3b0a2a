package generator

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	postman "github.com/rbretecher/go-postman-collection"
)

// namedExample is one entry of an examples map, in document order.
type namedExample struct {
	key  string
	ex   *openapi3.Example
	line int64
}

func sortedExamples(m openapi3.Examples) []namedExample {
	out := make([]namedExample, 0, len(m))
	for k, ref := range m {
		if ref == nil || ref.Value == nil {
			continue
		}
		var line int64
		if ref.Origin != nil && ref.Origin.Key != nil {
			line = docPos(ref.Origin.Key)
		} else if ref.Value.Origin != nil && ref.Value.Origin.Key != nil {
			line = docPos(ref.Value.Origin.Key)
		}
		out = append(out, namedExample{key: k, ex: ref.Value, line: line})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].line != out[j].line {
			return out[i].line < out[j].line
		}
		return out[i].key < out[j].key
	})
	return out
}

// parameters merges path-level and operation parameters (the operation's win,
// by name and location), path-level ones first.
func parameters(o *operation) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	own := map[string]bool{}
	for _, r := range o.op.Parameters {
		if r != nil && r.Value != nil {
			own[r.Value.In+" "+r.Value.Name] = true
		}
	}
	for _, r := range o.item.Parameters {
		if r != nil && r.Value != nil && !own[r.Value.In+" "+r.Value.Name] {
			out = append(out, r.Value)
		}
	}
	for _, r := range o.op.Parameters {
		if r != nil && r.Value != nil {
			out = append(out, r.Value)
		}
	}
	return out
}

// paramValue is the parameter's value: a placeholder for marked parameters, its
// example, else one derived from its schema.
func (b *builder) paramValue(p *openapi3.Parameter, place string) any {
	e1, e2 := schemaExts(p.Schema)
	if name := b.variableOf(place, p.Extensions, e1, e2); name != "" {
		if p.Example != nil {
			b.noteVarExample(name, p.Example)
		} else if p.Schema != nil && p.Schema.Value != nil && p.Schema.Value.Example != nil {
			b.noteVarExample(name, p.Schema.Value.Example)
		}
		return placeholder{name: name}
	}
	if p.Example != nil && b.validFor(p.Schema, p.Example, place) {
		return b.fromExample(p.Example, p.Schema, place, 0)
	}
	if exs := sortedExamples(p.Examples); len(exs) > 0 && b.validFor(p.Schema, exs[0].ex.Value, place) {
		return b.fromExample(exs[0].ex.Value, p.Schema, place, 0)
	}
	schema := p.Schema
	if schema == nil {
		for _, mt := range sortedContent(p.Content) {
			schema = mt.media.Schema
			break
		}
	}
	v, _ := b.sample(schema, place, nil)
	return v
}

// validFor reports whether an example validates against a schema (no schema:
// anything goes); see builder.validExample.
func (b *builder) validFor(ref *openapi3.SchemaRef, v any, place string) bool {
	if ref == nil || ref.Value == nil {
		return true
	}
	return b.validExample(ref.Value, v, place)
}

// request builds the Postman request of an operation; ex is the named request
// body example to use (split examples), or nil for the default.
func (b *builder) request(o *operation, ex *namedExample) *postman.Request {
	place := o.place
	var (
		pathVars []*postman.Variable
		query    []*postman.QueryParam
		headers  []*postman.Header
		cookies  []string
		rows     []paramRow
		rawQuery []string
	)
	// A fragment only makes the path key unique in the document (Box's
	// "/files/{file_id}#get_shared_link"); it is never sent.
	path, _, _ := strings.Cut(o.path, "#")
	for _, p := range parameters(o) {
		pplace := place + ".parameters." + p.Name
		v := b.paramValue(p, pplace)
		desc := p.Description
		rows = append(rows, paramRow{name: p.Name, in: p.In, required: p.Required, typ: typeLabel(p.Schema), desc: desc})
		switch p.In {
		case "path":
			val := pathEscape(styleString(p.Style, p.Explode != nil && *p.Explode, p.Name, v))
			if strings.Contains(path, "{"+p.Name+"}") && !wholeSegment(path, p.Name) {
				b.warn(pplace, "path parameter inside a segment is written with its example value; Postman path variables must be whole segments")
				path = strings.ReplaceAll(path, "{"+p.Name+"}", val)
				continue
			}
			pathVars = append(pathVars, &postman.Variable{Key: p.Name, Value: val, Description: desc})
		case "query":
			for _, kv := range b.queryPairs(p, v, pplace) {
				qp := &postman.QueryParam{Key: cleanName(kv[0]), Value: kv[1]}
				if desc != "" {
					d := desc
					qp.Description = &d
				}
				if p.Required {
					rawQuery = append(rawQuery, qp.Key+"="+qp.Value)
				} else {
					qp.Key = disabledMark + qp.Key
				}
				query = append(query, qp)
			}
		case "header":
			switch strings.ToLower(p.Name) {
			case "accept", "content-type", "authorization":
				b.warn(pplace, "header parameter "+p.Name+" is ignored as OpenAPI requires; the body, responses or auth set it")
				continue
			}
			headers = append(headers, &postman.Header{Key: cleanName(p.Name), Value: styleString("simple", p.Explode != nil && *p.Explode, p.Name, v), Description: desc, Disabled: !p.Required})
		case "cookie":
			cookies = append(cookies, p.Name+"="+styleString("form", false, p.Name, v))
		default:
			b.warn(pplace, fmt.Sprintf("parameter location %q is not one of path, query, header, cookie; left out", p.In))
		}
	}
	if len(cookies) > 0 {
		headers = append(headers, &postman.Header{Key: "Cookie", Value: strings.Join(cookies, "; "), Description: "cookie parameters"})
	}
	body, ctype, bodyRows := b.body(o, ex)
	rows = append(rows, bodyRows...)
	if ctype != "" {
		headers = append(headers, &postman.Header{Key: "Content-Type", Value: ctype})
	}
	if acc := acceptType(o.op); acc != "" {
		headers = append(headers, &postman.Header{Key: "Accept", Value: acc})
	}

	segments, raw := urlPath(path)
	u := &postman.URL{Host: []string{"{{base_url}}"}, Path: segments, Query: query, Variables: pathVars}
	u.Raw = "{{base_url}}" + raw
	if len(rawQuery) > 0 {
		u.Raw += "?" + strings.Join(rawQuery, "&")
	}
	// Everything so far comes from the spec; auth (next) is obpm's own.
	b.neutralRequest(place, u, headers, body)
	auth := b.auth(o)
	req := &postman.Request{
		URL:         u,
		Method:      postman.Method(strings.ToUpper(o.method)),
		Header:      headers,
		Body:        body,
		Auth:        auth,
		Description: b.describe(o, ex, rows),
	}
	return req
}

// neutralRequest passes every spec-derived string of a request through
// builder.neutral (see reserved.go).
func (b *builder) neutralRequest(place string, u *postman.URL, headers []*postman.Header, body *postman.Body) {
	u.Raw = b.neutral(u.Raw, place)
	for i := range u.Path {
		u.Path[i] = b.neutral(u.Path[i], place)
	}
	for _, q := range u.Query {
		q.Key, q.Value = b.neutral(q.Key, place), b.neutral(q.Value, place)
	}
	for _, v := range u.Variables {
		v.Value = b.neutral(v.Value, place)
	}
	for _, h := range headers {
		h.Key, h.Value = b.neutral(h.Key, place), b.neutral(h.Value, place)
	}
	if body == nil {
		return
	}
	body.Raw = b.neutral(body.Raw, place+".requestBody")
	for _, fields := range []any{body.URLEncoded, body.FormData} {
		if fs, ok := fields.([]formField); ok {
			for i := range fs {
				fs[i].Key = b.neutral(fs[i].Key, place+".requestBody")
				fs[i].Value = b.neutral(fs[i].Value, place+".requestBody")
				fs[i].ContentType = b.neutral(fs[i].ContentType, place+".requestBody")
			}
		}
	}
}

func wholeSegment(path, name string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if len(seg) == len(name)+2 && seg[0] == '{' && seg[len(seg)-1] == '}' && seg[1:len(seg)-1] == name {
			return true
		}
	}
	return false
}

// urlPath turns "/pets/{id}" into Postman segments ["pets", ":id"] and "/pets/:id".
func urlPath(path string) ([]string, string) {
	var segs []string
	for _, s := range strings.Split(strings.Trim(path, "/"), "/") {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			s = ":" + s[1:len(s)-1]
		}
		segs = append(segs, s)
	}
	raw := "/" + strings.Join(segs, "/")
	if strings.HasSuffix(path, "/") && path != "/" {
		raw += "/"
	}
	if path == "/" || path == "" {
		return nil, "/"
	}
	return segs, raw
}

// queryPairs serialises a query value by its style: arrays repeat the key
// (form, explode) or are joined by the style's delimiter (comma, %20, |);
// objects spread their properties (form, explode), use key[prop]
// (deepObject) or a joined list. Values are escaped where they would split
// the pair.
func (b *builder) queryPairs(p *openapi3.Parameter, v any, place string) [][2]string {
	explode := explodeOf(p.Style, p.Explode)
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return [][2]string{{p.Name, ""}}
		}
		if explode && (p.Style == "" || p.Style == "form") {
			out := make([][2]string, 0, len(x))
			for _, e := range x {
				out = append(out, [2]string{p.Name, queryEscape(scalarString(e))})
			}
			return out
		}
		sep := ","
		switch p.Style {
		case "spaceDelimited":
			sep = "%20"
		case "pipeDelimited":
			sep = "|"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = queryEscape(scalarString(e))
		}
		return [][2]string{{p.Name, strings.Join(parts, sep)}}
	case *object:
		switch {
		case p.Style == "deepObject":
			out := make([][2]string, 0, len(x.keys))
			for i, k := range x.keys {
				out = append(out, [2]string{p.Name + "[" + k + "]", queryEscape(scalarString(x.vals[i]))})
			}
			return out
		case explode:
			out := make([][2]string, 0, len(x.keys))
			for i, k := range x.keys {
				out = append(out, [2]string{k, queryEscape(scalarString(x.vals[i]))})
			}
			return out
		default:
			parts := make([]string, 0, 2*len(x.keys))
			for i, k := range x.keys {
				parts = append(parts, queryEscape(k), queryEscape(scalarString(x.vals[i])))
			}
			return [][2]string{{p.Name, strings.Join(parts, ",")}}
		}
	}
	if len(p.Content) > 0 {
		b.warn(place, "query parameter with content is written as compact JSON")
	}
	return [][2]string{{p.Name, queryEscape(scalarString(v))}}
}

type mediaEntry struct {
	ctype string
	media *openapi3.MediaType
}

// sortedContent orders media types by preference: JSON, form, multipart,
// then the rest by name.
func sortedContent(c openapi3.Content) []mediaEntry {
	out := make([]mediaEntry, 0, len(c))
	for k, v := range c {
		if v != nil {
			out = append(out, mediaEntry{k, v})
		}
	}
	rank := func(ct string) int {
		ct = strings.ToLower(ct)
		switch {
		case ct == "application/json" || strings.HasPrefix(ct, "application/json;"):
			return 0
		case strings.HasSuffix(mediaBase(ct), "+json"):
			return 1
		case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
			return 2
		case strings.HasPrefix(ct, "multipart/form-data"):
			return 3
		}
		return 4
	}
	if len(out) > 1 {
		slices.SortFunc(out, func(a, b mediaEntry) int {
			if ra, rb := rank(a.ctype), rank(b.ctype); ra != rb {
				return cmp.Compare(ra, rb)
			}
			return strings.Compare(a.ctype, b.ctype)
		})
	}
	return out
}

// mediaBase is a media type without its parameters (what precedes ';').
func mediaBase(ct string) string {
	base, _, _ := strings.Cut(ct, ";")
	return base
}

func isJSON(ct string) bool {
	base := strings.ToLower(strings.TrimSpace(mediaBase(ct)))
	return base == "application/json" || strings.HasSuffix(base, "+json")
}

// formField is an element of a urlencoded or formdata body (the library leaves
// their type open).
type formField struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Type        string `json:"type"`
	Src         string `json:"src,omitempty"`
	Description string `json:"description,omitempty"`
	Disabled    bool   `json:"disabled,omitempty"`
	ContentType string `json:"contentType,omitempty"`
}

// bodyValue picks the request body value: the named example, the media
// type's example, its first example, else one derived from the schema.
func (b *builder) bodyValue(m *openapi3.MediaType, ex *namedExample, place string) (any, bool) {
	switch {
	case ex != nil:
		// A named example the user split requests by is kept as written.
		return b.fromExample(ex.ex.Value, m.Schema, place, 0), true
	case m.Example != nil && b.validFor(m.Schema, m.Example, place):
		return b.fromExample(m.Example, m.Schema, place, 0), true
	}
	if exs := sortedExamples(m.Examples); len(exs) > 0 && b.validFor(m.Schema, exs[0].ex.Value, place) {
		return b.fromExample(exs[0].ex.Value, m.Schema, place, 0), true
	}
	v, _ := b.sample(m.Schema, place, nil)
	return v, false
}

func (b *builder) body(o *operation, ex *namedExample) (*postman.Body, string, []paramRow) {
	if o.op.RequestBody == nil || o.op.RequestBody.Value == nil {
		return nil, "", nil
	}
	place := o.place + ".requestBody"
	content := sortedContent(o.op.RequestBody.Value.Content)
	if len(content) == 0 {
		b.warn(place, "request body has no content; sent empty")
		return nil, "", nil
	}
	ct, m := content[0].ctype, content[0].media
	var schema *openapi3.Schema
	if m.Schema != nil {
		schema = m.Schema.Value
	}
	var rows []paramRow
	required := map[string]bool{}
	if schema != nil {
		for _, r := range schema.Required {
			required[r] = true
		}
		for _, p := range b.properties(schema) {
			d := ""
			if p.ref != nil && p.ref.Value != nil {
				d = p.ref.Value.Description
			}
			rows = append(rows, paramRow{name: p.name, in: "body", required: required[p.name], typ: typeLabel(p.ref), desc: d})
		}
	}
	v, fromExample := b.bodyValue(m, ex, place)
	lower := strings.ToLower(ct)
	switch {
	case isJSON(ct):
		return &postman.Body{Mode: "raw", Raw: b.jsonString(v, "    "), Options: &postman.BodyOptions{Raw: postman.BodyOptionsRaw{Language: "json"}}}, ct, rows
	case strings.HasPrefix(lower, "application/x-www-form-urlencoded"), strings.HasPrefix(lower, "multipart/form-data"):
		multipart := strings.HasPrefix(lower, "multipart/")
		fields := b.formFields(schema, v, fromExample, required, multipart, m.Encoding, place)
		if multipart {
			partTypes(fields, m.Encoding)
		}
		if multipart {
			// Postman sets the multipart boundary itself; a fixed Content-Type would break it.
			return &postman.Body{Mode: "formdata", FormData: fields}, "", rows
		}
		return &postman.Body{Mode: "urlencoded", URLEncoded: fields}, ct, rows
	}
	lang := "text"
	if strings.Contains(lower, "xml") {
		lang = "xml"
	}
	raw, isString := v.(string)
	if !isString {
		raw = b.jsonString(v, "    ")
		b.warn(place, fmt.Sprintf("no string example for %s; the body holds a JSON rendering of the schema to edit", ct))
	}
	return &postman.Body{Mode: "raw", Raw: raw, Options: &postman.BodyOptions{Raw: postman.BodyOptionsRaw{Language: lang}}}, ct, rows
}

// formFields lists a form's fields in property order; fields outside the
// example (or optional ones when there is none) are present but disabled.
func (b *builder) formFields(s *openapi3.Schema, v any, fromExample bool, required map[string]bool, multipart bool, enc map[string]*openapi3.Encoding, place string) []formField {
	obj, _ := v.(*object)
	if obj == nil {
		obj = newObject()
		if v != nil {
			b.warn(place, "form body example is not an object; fields left empty")
		}
	}
	var out []formField
	seen := map[string]bool{}
	add := func(name string, ref *openapi3.SchemaRef) {
		seen[name] = true
		f := formField{Key: name, Type: "text"}
		if ref != nil && ref.Value != nil {
			f.Description = ref.Value.Description
			if multipart && ref.Value.Format == "binary" {
				f.Type = "file"
			}
		}
		val, inObj := obj.get(name)
		if !inObj {
			val, _ = b.sample(ref, place+"."+name, nil)
		}
		// From an example: the example's fields are the ones to send. From the
		// schema: the required ones.
		f.Disabled = (fromExample && !inObj) || (!fromExample && !required[name])
		if f.Type == "file" {
			f.Value = ""
			out = append(out, f)
			return
		}
		pairs := formPairs(name, val, enc[name], multipart)
		if len(pairs) == 0 {
			// An empty array: the field is listed (disabled) so it can be filled in.
			pairs = [][3]string{{name, "", ""}}
			f.Disabled = true
		}
		for _, kv := range pairs {
			g := f
			g.Key, g.Value, g.ContentType = kv[0], kv[1], kv[2]
			out = append(out, g)
		}
	}
	for _, p := range b.properties(s) {
		add(p.name, p.ref)
	}
	for _, k := range obj.keys {
		if !seen[k] {
			add(k, nil)
		}
	}
	return out
}

// partTypes gives multipart fields the content type their encoding names
// (Postman sends it as the part's Content-Type).
func partTypes(fields []formField, enc map[string]*openapi3.Encoding) {
	for i := range fields {
		if e := enc[fields[i].Key]; e != nil && e.ContentType != "" {
			fields[i].ContentType = e.ContentType
		}
	}
}

// acceptType is the media type of the first success response, for Accept.
func acceptType(op *openapi3.Operation) string {
	if op.Responses == nil {
		return ""
	}
	for _, code := range successCodes(op) {
		r := op.Responses.Value(code)
		if r == nil || r.Value == nil {
			continue
		}
		for _, m := range sortedContent(r.Value.Content) {
			return m.ctype
		}
	}
	return ""
}

// successCodes lists the 2xx response keys in numeric order ("2XX" and
// "default" last).
func successCodes(op *openapi3.Operation) []string {
	if op.Responses == nil {
		return nil
	}
	var out []string
	for _, k := range op.Responses.Keys() {
		if len(k) == 3 && k[0] == '2' {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	if len(out) == 0 && op.Responses.Value("default") != nil {
		out = append(out, "default")
	}
	return out
}

func statusText(code string) string {
	if len(code) == 3 && isDigit(code[0]) && isDigit(code[1]) && isDigit(code[2]) {
		// what Sscanf below reads from three digits, without its allocations
		if t := http.StatusText(int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')); t != "" {
			return t
		}
		return code
	}
	var n int
	if _, err := fmt.Sscanf(code, "%d", &n); err == nil {
		if t := http.StatusText(n); t != "" {
			return t
		}
	}
	return code
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
