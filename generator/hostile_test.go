package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// hostileDocs are documents built to cost: alias bombs, deep nesting, huge
// flow lines, very long keys, many path items.
func hostileDocs() map[string]string {
	head := "openapi: 3.0.3\ninfo: {title: H, version: '1'}\n"
	ok := "{responses: {'200': {description: ok}}}"
	docs := map[string]string{}
	// alias bomb in a path item
	var b strings.Builder
	b.WriteString(head + "x-a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "x-a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("paths:\n  /a:\n    get: " + ok + "\n    x-b: *a8\n")
	docs["bomb"] = b.String()
	// bomb in components examples
	b.Reset()
	b.WriteString(head + "paths:\n  /a:\n    get: {responses: {'200': {description: ok, content: {application/json: {example: *a8}}}}}\ncomponents:\n  examples:\n")
	b.WriteString("    a0: {value: &a0 [x, x, x, x, x, x, x, x, x, x]}\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "    a%d: {value: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]}\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	docs["bomb2"] = b.String()
	// deep nesting
	docs["deepflow"] = head + "paths:\n  /a:\n    get: " + ok + "\n    x-d: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"
	docs["deepflowmap"] = head + "paths:\n  /a:\n    get: " + ok + "\n    x-d: " + strings.Repeat("{a: ", 5000) + "1" + strings.Repeat("}", 5000) + "\n"
	var d strings.Builder
	d.WriteString(head + "paths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n      requestBody:\n        content:\n          application/json:\n            schema:\n")
	in := "              "
	for i := 0; i < 600; i++ {
		d.WriteString(in + "type: object\n" + in + "properties:\n" + in + "  p:\n")
		in += "    "
	}
	d.WriteString(in + "type: string\n")
	docs["deepschema"] = d.String()
	docs["deepjson"] = `{"openapi":"3.0.3","info":{"title":"H","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}},"x-d":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}}`
	docs["longline"] = head + "paths:\n  /a:\n    get: " + ok + "\n    x-l: [" + strings.Repeat("abc, ", 100000) + "z]\n"
	docs["longkey"] = head + "paths:\n  /" + strings.Repeat("k", 200000) + ":\n    get: " + ok + "\n"
	docs["longkey2"] = head + "paths:\n  /a:\n    get: " + ok + "\n    x-" + strings.Repeat("k", 2000) + ": 1\n"
	var m strings.Builder
	m.WriteString(head + "paths:\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&m, "  /p%d: {}\n", i)
	}
	docs["manyitems"] = m.String()
	return docs
}

// TestGenerateFileHostileMatchesLoad: on hostile documents GenerateFile
// stays bounded and gives what LoadFile+Generate gives (errors included).
func TestGenerateFileHostileMatchesLoad(t *testing.T) {
	dir := t.TempDir()
	docs := hostileDocs()
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".yaml")
			if err := os.WriteFile(p, []byte(docs[name]), 0o644); err != nil {
				t.Fatal(err)
			}
			d, streamed := compareWithLoad(p, LoadOptions{}, Options{})
			if d != "" {
				t.Errorf("streamed=%v: %s", streamed, truncate(d, 2000))
			}
		})
	}
}
