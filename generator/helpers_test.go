package generator

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// gen loads an inline YAML document and generates with opts.
func gen(t *testing.T, spec string, opts Options) *Result {
	t.Helper()
	doc, err := LoadData(context.Background(), []byte(spec), "")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	res, err := Generate(doc, opts)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return res
}

type jmap = map[string]any

func decode(t *testing.T, data []byte) jmap {
	t.Helper()
	var m jmap
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	return m
}

// requests flattens the collection's requests, keyed by name.
func requests(t *testing.T, res *Result) map[string]jmap {
	t.Helper()
	out := map[string]jmap{}
	var walk func(items []any)
	walk = func(items []any) {
		for _, it := range items {
			m := it.(jmap)
			if sub, ok := m["item"].([]any); ok {
				walk(sub)
				continue
			}
			out[m["name"].(string)] = m
		}
	}
	walk(decode(t, res.Files[0].Data)["item"].([]any))
	return out
}

func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(jmap)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func script(item jmap, listen string) string {
	for _, e := range item["event"].([]any) {
		if get(e, "listen") == listen {
			var lines []string
			for _, l := range get(e, "script", "exec").([]any) {
				lines = append(lines, l.(string))
			}
			return strings.Join(lines, "\n")
		}
	}
	return ""
}

func envValues(t *testing.T, data []byte) map[string]jmap {
	t.Helper()
	out := map[string]jmap{}
	for _, v := range decode(t, data)["values"].([]any) {
		out[get(v, "key").(string)] = v.(jmap)
	}
	return out
}

const specHead = "openapi: 3.0.3\ninfo: {title: T, version: \"1\"}\nservers: [{url: 'https://api.example.com', description: Live}]\n"
