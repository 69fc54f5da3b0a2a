package generator

import (
	"reflect"
	"strconv"
	"strings"

	postman "github.com/rbretecher/go-postman-collection"

	"github.com/obpm/obpm/internal/jsonstr"
)

// The direct encoder of request items: it appends a request item as
// encodeLibrary writes it (go-postman-collection v0.9.0's MarshalJSON methods
// through encoding/json, then patch, then appendIndent), without the
// reflection, the nested re-compaction of every MarshalJSON result and the two
// extra passes: the encoding was a third of Generate (BenchmarkGenerateLarge).
//
// It covers the types and values the builder makes. Anything else (a field
// the builder never sets, an interface holding another type, a value the
// library writes with one of its quirks) makes it give up, and encodeValue
// takes the library path for that item: the fallback is always exact.
// TestItemEncoderIsLibrary compares both on every document of testdata and
// specs/.

// itemWriter appends indented JSON: each member or element on its own line
// under prefix plus one indent per depth, empty objects and arrays as {} and
// [] (appendIndent's layout).
type itemWriter struct {
	b      []byte
	prefix string
	depth  int
	first  bool // no member or element written yet in the open container
	bad    bool // met something it does not encode exactly: use the library
}

// appendItem appends the request item it to dst at prefix; ok is false when
// the item needs the library path (dst is then to be dropped).
func appendItem(dst []byte, it *postman.Items, prefix string) (out []byte, ok bool) {
	w := itemWriter{b: dst, prefix: prefix}
	w.item(it)
	return w.b, !w.bad
}

func (w *itemWriter) newline() {
	w.b = append(w.b, '\n')
	w.b = append(w.b, w.prefix...)
	for range w.depth {
		w.b = append(w.b, '\t')
	}
}

func (w *itemWriter) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.first = true
}

func (w *itemWriter) close(c byte) {
	w.depth--
	if !w.first {
		w.newline()
	}
	w.b = append(w.b, c)
	w.first = false
}

// elem starts an array element.
func (w *itemWriter) elem() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.newline()
}

// key starts an object member; name needs no escaping (the library's JSON
// names).
func (w *itemWriter) key(name string) {
	w.elem()
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':', ' ')
}

// firstKey writes an object's "key" member when it is the object's first:
// patch turns `{"key":"<disabledMark>…` into `{"disabled":true,"key":"…`.
func (w *itemWriter) firstKey(k string) {
	if rest, ok := strings.CutPrefix(k, disabledMark); ok {
		w.key("disabled")
		w.b = append(w.b, "true"...)
		k = rest
	}
	w.key("key")
	w.str(k)
}

func (w *itemWriter) strMember(name, v string) {
	w.key(name)
	w.str(v)
}

// optStr writes a string member tagged omitempty.
func (w *itemWriter) optStr(name, v string) {
	if v != "" {
		w.strMember(name, v)
	}
}

// optTrue writes a bool member tagged omitempty.
func (w *itemWriter) optTrue(name string, v bool) {
	if v {
		w.key(name)
		w.b = append(w.b, "true"...)
	}
}

func (w *itemWriter) null() { w.b = append(w.b, "null"...) }

// str appends s quoted (jsonstr.Append: encoding/json minus the HTML
// escaping that unescapeHTML undoes).
func (w *itemWriter) str(s string) { w.b = jsonstr.Append(w.b, s) }

// strList writes a []string member tagged omitempty.
func (w *itemWriter) strList(name string, list []string) {
	if len(list) == 0 {
		return
	}
	w.key(name)
	w.open('[')
	for _, s := range list {
		w.elem()
		w.str(s)
	}
	w.close(']')
}

// item is Items.MarshalJSON of a request (the library's Item struct: a
// request item's Auth and Items are not written).
func (w *itemWriter) item(it *postman.Items) {
	if it.IsGroup() || it.ProtocolProfileBehavior != nil {
		w.bad = true
		return
	}
	w.open('{')
	w.strMember("name", it.Name)
	w.optStr("description", it.Description)
	w.variables(it.Variables)
	if len(it.Events) > 0 {
		w.key("event")
		w.open('[')
		for _, e := range it.Events {
			w.elem()
			w.event(e)
		}
		w.close(']')
	}
	w.optStr("id", it.ID)
	if it.Request != nil {
		w.key("request")
		w.request(it.Request)
	}
	if len(it.Responses) > 0 {
		w.key("response")
		w.open('[')
		for _, r := range it.Responses {
			w.elem()
			w.response(r)
		}
		w.close(']')
	}
	w.close('}')
}

// variables writes a []*Variable member tagged omitempty.
func (w *itemWriter) variables(vs []*postman.Variable) {
	if len(vs) == 0 {
		return
	}
	w.key("variable")
	w.open('[')
	for _, v := range vs {
		w.elem()
		if v == nil {
			w.null()
			continue
		}
		w.open('{')
		w.optStr("id", v.ID)
		if v.Key != "" {
			if v.ID == "" {
				w.firstKey(v.Key)
			} else {
				w.strMember("key", v.Key)
			}
		}
		w.optStr("type", v.Type)
		w.optStr("name", v.Name)
		w.optStr("value", v.Value)
		w.optStr("description", v.Description)
		w.optTrue("system", v.System)
		w.optTrue("disabled", v.Disabled)
		w.close('}')
	}
	w.close(']')
}

func (w *itemWriter) event(e *postman.Event) {
	if e == nil {
		w.null()
		return
	}
	w.open('{')
	w.optStr("id", e.ID)
	w.optStr("listen", string(e.Listen))
	if s := e.Script; s != nil {
		if s.Src != nil {
			w.bad = true
			return
		}
		w.key("script")
		w.open('{')
		w.optStr("id", s.ID)
		w.optStr("type", s.Type)
		w.strList("exec", s.Exec)
		w.optStr("name", s.Name)
		w.close('}')
	}
	w.optTrue("disabled", e.Disabled)
	w.close('}')
}

// request is Request.MarshalJSON; the library writes a request with nothing
// but a GET method and a URL as an unescaped string: left to it.
func (w *itemWriter) request(r *postman.Request) {
	if r.Auth == nil && r.Proxy == nil && r.Certificate == nil && r.Description == nil && r.Header == nil && r.Body == nil && r.Method == postman.Get {
		w.bad = true
		return
	}
	if r.Proxy != nil || r.Certificate != nil {
		w.bad = true
		return
	}
	w.open('{')
	w.key("url")
	if r.URL == nil {
		w.null()
	} else {
		w.url(r.URL)
	}
	if r.Auth != nil {
		w.key("auth")
		w.auth(r.Auth)
	}
	w.strMember("method", string(r.Method))
	if r.Description != nil {
		d, ok := r.Description.(string)
		if !ok {
			w.bad = true
			return
		}
		w.strMember("description", d)
	}
	w.headers("header", r.Header, true)
	if r.Body != nil {
		w.key("body")
		w.body(r.Body)
	}
	w.close('}')
}

// libraryVersion reads the unexported version field of the library's URL
// and Auth, which picks their v2.0.0 forms. The builder never sets it (only
// Collection.Write and parsing do), but an item that carries it is left to
// the library, and so is one whose type has no such field.
func libraryVersion(v any) string {
	f := reflect.ValueOf(v).Elem().FieldByName("version")
	if !f.IsValid() || f.Kind() != reflect.String {
		return "unknown"
	}
	return f.String()
}

// url is URL.MarshalJSON in its v2.1.0 (object) form.
func (w *itemWriter) url(u *postman.URL) {
	if v := libraryVersion(u); v != "" && v != "v2.1.0" {
		w.bad = true
		return
	}
	w.open('{')
	w.strMember("raw", u.Raw)
	w.optStr("protocol", u.Protocol)
	w.strList("host", u.Host)
	w.strList("path", u.Path)
	w.optStr("port", u.Port)
	if len(u.Query) > 0 {
		w.key("query")
		w.open('[')
		for _, q := range u.Query {
			w.elem()
			if q == nil {
				w.null()
				continue
			}
			w.open('{')
			w.firstKey(q.Key)
			w.strMember("value", q.Value)
			w.key("description")
			if q.Description == nil {
				w.null()
			} else {
				w.str(*q.Description)
			}
			w.close('}')
		}
		w.close(']')
	}
	w.optStr("hash", u.Hash)
	w.variables(u.Variables)
	w.close('}')
}

// auth is Auth.MarshalJSON in its v2.1.0 form (parameter arrays).
func (w *itemWriter) auth(a *postman.Auth) {
	if v := libraryVersion(a); v != "" && v != "v2.1.0" {
		w.bad = true
		return
	}
	w.open('{')
	w.optStr("type", string(a.Type))
	for _, p := range []struct {
		name   string
		params []*postman.AuthParam
	}{
		{"apikey", a.APIKey}, {"awsv4", a.AWSV4}, {"basic", a.Basic}, {"bearer", a.Bearer}, {"digest", a.Digest},
		{"hawk", a.Hawk}, {"noauth", a.NoAuth}, {"oauth1", a.OAuth1}, {"oauth2", a.OAuth2}, {"ntlm", a.NTLM},
	} {
		if len(p.params) == 0 {
			continue
		}
		w.key(p.name)
		w.open('[')
		for _, ap := range p.params {
			w.elem()
			w.authParam(ap)
		}
		w.close(']')
	}
	w.close('}')
}

func (w *itemWriter) authParam(p *postman.AuthParam) {
	if p == nil {
		w.null()
		return
	}
	w.open('{')
	if p.Key != "" {
		w.firstKey(p.Key)
	}
	if p.Value != nil {
		w.key("value")
		switch v := p.Value.(type) {
		case string:
			w.str(v)
		case bool:
			w.b = strconv.AppendBool(w.b, v)
		default:
			w.bad = true
			return
		}
	}
	w.optStr("type", p.Type)
	w.close('}')
}

// headers writes a []*Header member, omitted when empty if omitEmpty
// (Request.Header); else written as HeaderList.MarshalJSON does (nil is
// null).
func (w *itemWriter) headers(name string, hs []*postman.Header, omitEmpty bool) {
	if omitEmpty && len(hs) == 0 {
		return
	}
	w.key(name)
	if hs == nil {
		w.null()
		return
	}
	w.open('[')
	for _, h := range hs {
		w.elem()
		if h == nil {
			w.null()
			continue
		}
		w.open('{')
		w.firstKey(h.Key)
		w.strMember("value", h.Value)
		w.optTrue("disabled", h.Disabled)
		w.optStr("description", h.Description)
		w.close('}')
	}
	w.close(']')
}

func (w *itemWriter) body(b *postman.Body) {
	if b.File != nil || b.GraphQL != nil {
		w.bad = true
		return
	}
	w.open('{')
	w.strMember("mode", b.Mode)
	w.optStr("raw", b.Raw)
	w.formFields("urlencoded", b.URLEncoded)
	w.formFields("formdata", b.FormData)
	w.optTrue("disabled", b.Disabled)
	if b.Options != nil {
		w.key("options")
		w.open('{')
		w.key("raw")
		w.open('{')
		w.optStr("language", b.Options.Raw.Language)
		w.close('}')
		w.close('}')
	}
	w.close('}')
}

// formFields writes an interface{} member tagged omitempty that holds the
// builder's []formField (a nil slice in it is still written, as null).
func (w *itemWriter) formFields(name string, v any) {
	if v == nil {
		return
	}
	fs, ok := v.([]formField)
	if !ok {
		w.bad = true
		return
	}
	w.key(name)
	if fs == nil {
		w.null()
		return
	}
	w.open('[')
	for _, f := range fs {
		w.elem()
		w.open('{')
		w.firstKey(f.Key)
		w.strMember("value", f.Value)
		w.strMember("type", f.Type)
		w.optStr("src", f.Src)
		w.optStr("description", f.Description)
		w.optTrue("disabled", f.Disabled)
		w.optStr("contentType", f.ContentType)
		w.close('}')
	}
	w.close(']')
}

func (w *itemWriter) response(r *postman.Response) {
	if r == nil {
		w.null()
		return
	}
	if r.ResponseTime != nil || r.Timings != nil || len(r.Cookies) > 0 {
		w.bad = true
		return
	}
	w.open('{')
	w.optStr("id", r.ID)
	if r.OriginalRequest != nil {
		w.key("originalRequest")
		w.request(r.OriginalRequest)
	}
	if r.Headers != nil {
		w.headers("header", r.Headers.Headers, false)
	}
	w.optStr("body", r.Body)
	w.optStr("status", r.Status)
	if r.Code != 0 {
		w.key("code")
		w.b = strconv.AppendInt(w.b, int64(r.Code), 10)
	}
	w.optStr("name", r.Name)
	w.optStr("_postman_previewlanguage", r.PreviewLanguage)
	w.close('}')
}
