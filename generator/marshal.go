package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

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
// The patches work on the encoded bytes (a generic decode and re-encode cost
// three times as much on a 35 MB collection; BenchmarkGenerateLarge).
func marshalCollection(c *postman.Collection, id string) ([]byte, error) {
	c.Info.Schema = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	info := []byte(`"info":{`)
	i := bytes.Index(raw, info)
	if i < 0 {
		return nil, fmt.Errorf("library output has no info object")
	}
	idField, _ := json.Marshal(id)
	patched := make([]byte, 0, len(raw)+len(raw)/8)
	patched = append(patched, raw[:i+len(info)]...)
	patched = append(patched, `"_postman_id":`...)
	patched = append(patched, idField...)
	patched = append(patched, ',')
	patched = append(patched, raw[i+len(info):]...)
	patched = bytes.ReplaceAll(patched, []byte(`{"key":"\u0000obpm:disabled\u0000`), []byte(`{"disabled":true,"key":"`))
	patched = unescapeHTML(patched)
	var out bytes.Buffer
	out.Grow(len(patched) * 5 / 4)
	if err := json.Indent(&out, patched, "", "\t"); err != nil {
		return nil, fmt.Errorf("indent collection: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// unescapeHTML undoes encoding/json's \u003c, \u003e and \u0026 so scripts and
// bodies read as written. It walks escape pairs whole, so an escaped
// backslash followed by "u003c" stays as it is.
func unescapeHTML(b []byte) []byte {
	out := make([]byte, 0, len(b))
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
