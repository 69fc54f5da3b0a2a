package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateFileStringsMatchLoad: characters JSON and Postman treat
// specially (HTML, line separators, controls, quotes, template braces) in
// every named place give what LoadFile+Generate gives, streaming (the key
// plain) and not.
func TestGenerateFileStringsMatchLoad(t *testing.T) {
	vals := []string{`"<a&b>"`, `"\u2028\u2029"`, `"\x7f\x01\t"`, `"q\"b\\s/"`, `"\U0001F600 한"`, `"\ud7ff\ue000\uffff"`, `"%zz%20{x}"`, `" lead"`, `"trail "`, `"a\nb"`, `"{{x}}"`, `"$x"`, `":@;"`}
	dir := t.TempDir()
	for i, v := range vals {
		for j, seg := range []string{"", strings.Trim(v, `"`)} {
			doc := fmt.Sprintf(`openapi: 3.0.3
info: {title: %[1]s, version: %[1]s, description: %[1]s}
servers: [{url: "http://h/%[2]s", description: %[1]s}]
tags: [{name: %[1]s, description: %[1]s}]
paths:
  "/a%[2]s/{id}":
    get:
      tags: [%[1]s]
      summary: %[1]s
      description: %[1]s
      operationId: %[1]s
      parameters:
        - {name: id, in: path, required: true, description: %[1]s, schema: {type: string, example: %[1]s, enum: [%[1]s]}}
        - {name: %[1]s, in: query, schema: {type: string, default: %[1]s}}
        - {name: %[1]s, in: header, example: %[1]s}
        - {name: %[1]s, in: cookie, example: %[1]s}
      requestBody:
        content:
          application/json: {schema: {type: object, required: [%[1]s], properties: {%[1]s: {type: string, example: %[1]s, pattern: "^a+$"}}}}
      responses:
        '200':
          description: %[1]s
          headers: {%[1]s: {schema: {type: string}}}
          content: {application/json: {schema: {type: object, properties: {%[1]s: {type: string}}}, example: {%[1]s: %[1]s}}}
`, v, seg)
			p := filepath.Join(dir, fmt.Sprintf("%d-%d.yaml", i, j))
			if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, o := range []Options{{}, {Folders: FoldersByPath}} {
				d, s := compareWithLoad(p, LoadOptions{}, o)
				if d != "" {
					t.Errorf("%s streamed=%v: %s", v, s, truncate(d, 1500))
				}
			}
		}
	}
}
