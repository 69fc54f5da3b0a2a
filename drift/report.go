// Package drift compares the responses recorded in a Newman JSON report (or
// the Postman CLI's `--reporter-json-structure newman`) with the OpenAPI
// description the collection was generated from, and lists per operation
// where reality differs: missing required fields, fields the description
// lacks, type and format mismatches, enum values and rsp_codes it does not
// list, and HTTP statuses it does not describe.
package drift

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Execution is one request and its response, as a run recorded it.
type Execution struct {
	Item   string // the request's name in the collection
	Method string
	URL    *url.URL
	Status int
	// Body is the response body; nil when the report did not keep it.
	Body        []byte
	ContentType string
}

// ParseNewman reads a Newman JSON report (newman run -r json) or the
// Postman CLI's JSON report in Newman's structure.
func ParseNewman(data []byte) ([]Execution, error) {
	var rep struct {
		Run *struct {
			Executions []struct {
				Item struct {
					Name string `json:"name"`
				} `json:"item"`
				Request  *json.RawMessage `json:"request"`
				Response *struct {
					Code   int             `json:"code"`
					Header json.RawMessage `json:"header"`
					Stream json.RawMessage `json:"stream"`
					Body   *string         `json:"body"`
				} `json:"response"`
			} `json:"executions"`
		} `json:"run"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("not a JSON report: %w", err)
	}
	if rep.Run == nil {
		return nil, fmt.Errorf("no \"run\" object: give the report of `newman run -r json --reporter-json-export FILE` (Postman CLI: --reporter-json-structure newman)")
	}
	var out []Execution
	for i, e := range rep.Run.Executions {
		if e.Request == nil || e.Response == nil {
			continue // the request never got an answer (skipped, or a network error)
		}
		ex := Execution{Item: e.Item.Name, Status: e.Response.Code}
		var req struct {
			Method string          `json:"method"`
			URL    json.RawMessage `json:"url"`
		}
		if err := json.Unmarshal(*e.Request, &req); err != nil {
			return nil, fmt.Errorf("run.executions[%d].request: %w", i, err)
		}
		ex.Method = strings.ToUpper(req.Method)
		u, err := parseURL(req.URL)
		if err != nil {
			return nil, fmt.Errorf("run.executions[%d].request.url: %w", i, err)
		}
		ex.URL = u
		ex.ContentType = headerValue(e.Response.Header, "Content-Type")
		switch {
		case e.Response.Body != nil:
			ex.Body = []byte(*e.Response.Body)
		case len(e.Response.Stream) > 0:
			b, err := streamBytes(e.Response.Stream)
			if err != nil {
				return nil, fmt.Errorf("run.executions[%d].response.stream: %w", i, err)
			}
			ex.Body = b
		}
		out = append(out, ex)
	}
	return out, nil
}

// streamBytes decodes Node's JSON form of a Buffer ({"type":"Buffer","data":
// [bytes]}), which is how Newman writes a response body, or a base64 string.
func streamBytes(raw json.RawMessage) ([]byte, error) {
	if bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var buf struct {
		Type string `json:"type"`
		Data []byte `json:"-"`
		Raw  []int  `json:"data"`
	}
	if err := json.Unmarshal(raw, &buf); err == nil && buf.Type == "Buffer" {
		out := make([]byte, len(buf.Raw))
		for i, b := range buf.Raw {
			out[i] = byte(b)
		}
		return out, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if b, err := base64.StdEncoding.DecodeString(s); err == nil {
			return b, nil
		}
		return []byte(s), nil
	}
	return nil, fmt.Errorf("neither a Node Buffer nor a string")
}

func headerValue(raw json.RawMessage, name string) string {
	var hs []struct{ Key, Value string }
	if json.Unmarshal(raw, &hs) == nil {
		for _, h := range hs {
			if strings.EqualFold(h.Key, name) {
				return h.Value
			}
		}
	}
	return ""
}

// parseURL reads a Postman URL: a string or {protocol, host[], port, path[],
// query[]}.
func parseURL(raw json.RawMessage) (*url.URL, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return url.Parse(s)
	}
	var u struct {
		Protocol string `json:"protocol"`
		Host     any    `json:"host"`
		Port     string `json:"port"`
		Path     any    `json:"path"`
		Raw      string `json:"raw"`
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, err
	}
	if u.Host == nil && u.Path == nil {
		return url.Parse(u.Raw)
	}
	join := func(v any, sep string) string {
		switch x := v.(type) {
		case string:
			return x
		case []any:
			parts := make([]string, 0, len(x))
			for _, p := range x {
				if m, ok := p.(map[string]any); ok {
					p = m["value"]
				}
				parts = append(parts, fmt.Sprint(p))
			}
			return strings.Join(parts, sep)
		}
		return ""
	}
	out := &url.URL{Scheme: u.Protocol, Host: join(u.Host, "."), Path: "/" + join(u.Path, "/")}
	if u.Port != "" {
		out.Host += ":" + u.Port
	}
	return out, nil
}
