package generator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	postman "github.com/rbretecher/go-postman-collection"
)

// disabledMark prefixes the key of a query parameter that must be written
// "disabled": the library's QueryParam has no such field, so marshalCollection
// rewrites `{"key":"<mark>` into `{"disabled":true,"key":"`. A NUL cannot come
// from the document: names are cleaned of NULs (cleanName).
const disabledMark = "\x00obpm:disabled\x00"

// cleanName drops NULs from names taken from the document.
func cleanName(s string) string { return strings.ReplaceAll(s, "\x00", "") }

// marshalCollection writes the collection as Postman exports it (v2.1, tab
// indented), bridging go-postman-collection v0.9.0's gaps:
//   - Collection.Write drops the marshal error: we marshal ourselves and check it;
//   - Info has no _postman_id: we add a stable one so a re-import replaces;
//   - QueryParam has no "disabled": optional query parameters get it here;
//   - a GET request with only a URL is written as a bare string without JSON
//     escaping: every request here has a description, so the object form (and
//     encoding/json's escaping) is always used; TestURLWithQuotesStaysValidJSON
//     guards it.
//
// It frames the collection and its folders itself and marshals, patches and
// indents one request at a time straight into the output: one json.Marshal of
// the whole collection copied every request once per nesting level (the
// library's MarshalJSON methods nest) and then three more times for the
// patches and the indent (BenchmarkGenerateLarge). The bytes are the same as
// json.Indent of the whole document.
func marshalCollection(c *postman.Collection, id string) ([]byte, error) {
	w := &collectionWriter{}
	w.encodeRequests(c.Items, "\t")
	return w.collection(c, id)
}

// collection writes c around its requests, encoded ahead into w.reqs in
// the order items meets them (encodeRequests, or stream.go as it goes).
func (w *collectionWriter) collection(c *postman.Collection, id string) ([]byte, error) {
	c.Info.Schema = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
	w.out.WriteString("{")
	if c.Auth != nil {
		w.field("auth", "\t")
		w.value(c.Auth, "\t")
		w.out.WriteString(",")
	}
	w.field("info", "\t")
	w.info(c.Info, id)
	w.out.WriteString(",")
	w.field("item", "\t")
	w.items(c.Items, "\t")
	if len(c.Events) > 0 {
		w.out.WriteString(",")
		w.field("event", "\t")
		w.value(c.Events, "\t")
	}
	if len(c.Variables) > 0 {
		w.out.WriteString(",")
		w.field("variable", "\t")
		w.value(c.Variables, "\t")
	}
	w.out.WriteString("\n}\n")
	if w.err != nil {
		return nil, w.err
	}
	return w.assemble(), nil
}

// collectionWriter writes indented JSON piece by piece; the first error sticks.
// The frame (everything but the requests) goes into out, and each request
// is only noted where it goes in it: assemble copies the two together once.
type collectionWriter struct {
	out   bytes.Buffer
	err   error
	reqs  []encoded // every request, encoded ahead in document order
	next  int       // the next of reqs to write
	holes []hole    // where the requests go in out, in order
}

// hole is a request's place in the frame: before out's byte at.
type hole struct {
	at   int
	data []byte
}

// assembleMin is the output size from which assemble copies on two
// goroutines.
const assembleMin = 1 << 20

// assemble is the collection: the frame with the requests in their holes.
// It is the one copy of the whole output, into memory the process has not
// touched yet (7 MB for the 1,000-operation spec, 36 MB for 5,000): the
// page faults cost more than the copy, and two goroutines share them (the
// copy ran alone, after every other goroutine had finished).
func (w *collectionWriter) assemble() []byte {
	frame := w.out.Bytes()
	total := len(frame)
	for _, h := range w.holes {
		total += len(h.data)
	}
	// make, not bytes.Buffer.Grow: Grow clears the memory it gets, and so
	// takes its page faults on one goroutine; memory new from the system
	// is not cleared again, and every byte is written below.
	out := make([]byte, total)
	// fill copies holes[from:to], each after the frame before it (from
	// src, into out from dst), and the frame's tail after the last hole.
	fill := func(from, to, src, dst int) {
		for _, h := range w.holes[from:to] {
			dst += copy(out[dst:], frame[src:h.at])
			dst += copy(out[dst:], h.data)
			src = h.at
		}
		if to == len(w.holes) {
			copy(out[dst:], frame[src:])
		}
	}
	half := len(w.holes) / 2
	if total < assembleMin || half == 0 {
		fill(0, len(w.holes), 0, 0)
	} else {
		src, dst := w.holes[half-1].at, w.holes[half-1].at
		for _, h := range w.holes[:half] {
			dst += len(h.data)
		}
		var wg sync.WaitGroup
		wg.Go(func() { fill(half, len(w.holes), src, dst) })
		fill(0, half, 0, 0)
		wg.Wait()
	}
	w.holes, w.out = nil, bytes.Buffer{}
	return out
}

// encoded is one request marshaled, patched and indented.
type encoded struct {
	data []byte
	err  error
}

// encodeRequests encodes every request of items (folders at prefix) on
// all CPUs: requests are independent, and encoding them is most of the
// writing (BenchmarkGenerateLarge). items then copies them in order.
func (w *collectionWriter) encodeRequests(items []*postman.Items, prefix string) {
	type job struct {
		it     *postman.Items
		prefix string
	}
	var jobs []job
	var walk func(items []*postman.Items, prefix string)
	walk = func(items []*postman.Items, prefix string) {
		for _, it := range items {
			if it.IsGroup() {
				walk(it.Items, prefix+"\t\t") // as folder and items indent
			} else {
				jobs = append(jobs, job{it, prefix + "\t"})
			}
		}
	}
	walk(items, prefix)
	w.reqs = make([]encoded, len(jobs))
	workers := min(runtime.GOMAXPROCS(0), len(jobs)/64+1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var scratch []byte // this worker's, reused from request to request
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				w.reqs[i].data, scratch, w.reqs[i].err = encodeInto(scratch, jobs[i].it, jobs[i].prefix)
			}
		})
	}
	wg.Wait()
}

// marshalCompact is json.Marshal, but calls a value's own MarshalJSON
// directly: the library's output is already compact and escaped, and
// json.Marshal would only copy it once more.
func marshalCompact(v any) ([]byte, error) {
	if m, ok := v.(json.Marshaler); ok {
		return m.MarshalJSON()
	}
	return json.Marshal(v)
}

// encodeValue marshals v, applies the patches and indents it under prefix.
// A request item goes through the direct encoder (appendItem) when it covers
// it, anything else through the library (encodeLibrary): the same bytes.
func encodeValue(v any, prefix string) ([]byte, error) {
	data, _, err := encodeInto(nil, v, prefix)
	return data, err
}

// encodeInto is encodeValue with a scratch buffer for the direct encoder:
// the result is copied out of it at its exact size, and the scratch (grown
// as needed) is handed back for the next call.
func encodeInto(scratch []byte, v any, prefix string) (data, scratchOut []byte, err error) {
	if it, ok := v.(*postman.Items); ok && it != nil && !it.IsGroup() {
		out, ok := appendItem(scratch[:0], it, prefix)
		if ok {
			return append([]byte(nil), out...), out, nil
		}
		scratch = out
	}
	data, err = encodeLibrary(v, prefix)
	return data, scratch, err
}

// encodeLibrary is the library path of encodeValue: go-postman-collection's
// MarshalJSON methods through encoding/json, the patches, the indent.
func encodeLibrary(v any, prefix string) ([]byte, error) {
	raw, err := marshalCompact(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	out, err := appendIndent(make([]byte, 0, len(raw)+len(raw)/2), patch(raw), prefix, "\t")
	if err != nil {
		return nil, fmt.Errorf("indent collection: %w", err)
	}
	return out, nil
}

// request writes the next request encoded ahead (encodeRequests).
func (w *collectionWriter) request() {
	if w.err != nil {
		return
	}
	if w.next >= len(w.reqs) {
		w.err = errors.New("encode collection: more requests than were encoded")
		return
	}
	r := w.reqs[w.next]
	w.reqs[w.next] = encoded{}
	w.next++
	if r.err != nil {
		w.err = r.err
		return
	}
	w.holes = append(w.holes, hole{at: w.out.Len(), data: r.data})
}

// field starts an object member on its own line: `\n<prefix>"name": `.
func (w *collectionWriter) field(name, prefix string) {
	w.out.WriteString("\n" + prefix + `"` + name + `": `)
}

// value marshals v, applies the patches and appends it indented under prefix.
func (w *collectionWriter) value(v any, prefix string) {
	if w.err != nil {
		return
	}
	raw, err := marshalCompact(v)
	if err != nil {
		w.err = fmt.Errorf("encode %T: %w", v, err)
		return
	}
	w.indent(patch(raw), prefix)
}

func (w *collectionWriter) indent(raw []byte, prefix string) {
	if w.err == nil {
		if err := json.Indent(&w.out, raw, prefix, "\t"); err != nil {
			w.err = fmt.Errorf("indent collection: %w", err)
		}
	}
}

// info writes the info object with the stable _postman_id first.
func (w *collectionWriter) info(info postman.Info, id string) {
	raw, err := json.Marshal(info)
	if err != nil {
		w.err = fmt.Errorf("encode collection info: %w", err)
		return
	}
	idField, _ := json.Marshal(id)
	withID := make([]byte, 0, len(raw)+len(idField)+16)
	withID = append(withID, `{"_postman_id":`...)
	withID = append(withID, idField...)
	if len(raw) > 2 {
		withID = append(withID, ',')
	}
	withID = append(withID, raw[1:]...)
	w.indent(patch(withID), "\t")
}

// items writes an item array: folders framed here, requests marshaled whole.
func (w *collectionWriter) items(items []*postman.Items, prefix string) {
	if len(items) == 0 {
		w.out.WriteString("[]")
		return
	}
	w.out.WriteString("[")
	for i, it := range items {
		if i > 0 {
			w.out.WriteString(",")
		}
		w.out.WriteString("\n" + prefix + "\t")
		if it.IsGroup() {
			w.folder(it, prefix+"\t")
		} else {
			w.request()
		}
	}
	w.out.WriteString("\n" + prefix + "]")
}

// folder writes a folder: the library's encoding of it with an empty item
// list, whose `"item": []` is then filled in (a key can only be that: quotes
// inside strings are escaped).
func (w *collectionWriter) folder(f *postman.Items, prefix string) {
	shell := *f
	shell.Items = []*postman.Items{}
	raw, err := json.Marshal(&shell)
	if err != nil {
		w.err = fmt.Errorf("encode folder %q: %w", f.Name, err)
		return
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, patch(raw), prefix, "\t"); err != nil {
		w.err = fmt.Errorf("indent collection: %w", err)
		return
	}
	mark := []byte(`"item": []`)
	i := bytes.Index(ind.Bytes(), mark)
	if i < 0 {
		w.err = fmt.Errorf("library output for folder %q has no item list", f.Name)
		return
	}
	w.out.Write(ind.Bytes()[:i+len(`"item": `)])
	w.items(f.Items, prefix+"\t")
	w.out.Write(ind.Bytes()[i+len(mark):])
}

// patch marks optional query parameters disabled and undoes HTML escaping,
// in place (both only shorten raw, which the caller owns).
func patch(raw []byte) []byte {
	from, to := []byte(`{"key":"\u0000obpm:disabled\u0000`), []byte(`{"disabled":true,"key":"`)
	if i := bytes.Index(raw, from); i >= 0 {
		out := raw[:i]
		for i >= 0 {
			out = append(out, to...)
			raw = raw[i+len(from):]
			if i = bytes.Index(raw, from); i >= 0 {
				out = append(out, raw[:i]...)
			}
		}
		// copy, not append: the tail overlaps the space it moves into
		n := len(out)
		out = out[:n+len(raw)]
		copy(out[n:], raw)
		raw = out
	}
	return unescapeHTML(raw)
}

// unescapeHTML undoes encoding/json's \u003c, \u003e and \u0026 so scripts and
// bodies read as written. It works in place (b is overwritten) and walks
// escape pairs whole, so an escaped backslash followed by "u003c" stays.
func unescapeHTML(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u00`)) {
		return b
	}
	out := b[:0] // in place: the output never overtakes the input
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if b[i+1] == 'u' && i+5 < len(b) && b[i+2] == '0' && b[i+3] == '0' {
			switch string(b[i+4 : i+6]) {
			case "3c":
				out = append(out, '<')
				i += 5
				continue
			case "3e":
				out = append(out, '>')
				i += 5
				continue
			case "26":
				out = append(out, '&')
				i += 5
				continue
			}
		}
		out = append(out, b[i], b[i+1])
		i++
	}
	return out
}

// encode writes JSON tab-indented without HTML escaping (environments).
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// appendIndent is json.Indent for the compact JSON encoding/json writes (no
// whitespace outside strings), without its validating scanner, a third of
// the time it took: the same bytes, empty objects and arrays kept as {} and
// []. It fails only on input that does not close what it opens.
func appendIndent(dst, src []byte, prefix, indent string) ([]byte, error) {
	newline := func(depth int) {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	needIndent, depth := false, 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if needIndent && c != '}' && c != ']' {
			needIndent = false
			depth++
			newline(depth)
		}
		switch c {
		case '"':
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, errors.New("unterminated string")
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			needIndent = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline(depth)
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			if needIndent {
				needIndent = false
			} else {
				depth--
				newline(depth)
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	if depth != 0 || needIndent {
		return nil, errors.New("unbalanced brackets")
	}
	return dst, nil
}
