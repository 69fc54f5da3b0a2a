package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestGenerateFileOddValuesMatchLoad: numbers JSON cannot hold, odd
// strings and tags in examples, defaults, enums and bounds give the same
// result through GenerateFile as through LoadFile+Generate.
func TestGenerateFileOddValuesMatchLoad(t *testing.T) {
	vals := []string{".nan", ".inf", "-.inf", "-0", "1e400", "-0.0", "18446744073709551616", "0.1e-400", "\"\\u2028<script>&\"", "\"\\xff\\xfe\"", "!!binary aGk=", "2001-12-14", "\"\\0\"", "0x10", "1_000", "[.nan]", "{a: .inf}", "\"\\ud800\""}
	dir := t.TempDir()
	for i, v := range vals {
		doc := fmt.Sprintf(`openapi: 3.0.3
info: {title: V, version: '1'}
paths:
  /a/{id}:
    post:
      summary: s
      operationId: op
      parameters:
        - {name: id, in: path, required: true, schema: {type: number, example: %[1]s, default: %[1]s}}
        - {name: q, in: query, example: %[1]s, schema: {type: string, enum: [%[1]s]}}
        - {name: h, in: header, schema: {type: integer, minimum: %[1]s, maximum: %[1]s}}
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {a: {type: number, example: %[1]s}, b: {default: %[1]s}, c: {enum: [%[1]s]}}}
          application/x-www-form-urlencoded:
            schema: {type: object, properties: {a: {example: %[1]s}}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              example: {x: %[1]s}
              schema: {type: object, properties: {x: {type: number, maximum: %[1]s, example: %[1]s}}}
servers:
  - url: http://x/{v}
    variables: {v: {default: d}}
`, v)
		for j, d := range []string{doc, doc + "x-big: " + v + "\n"} {
			p := filepath.Join(dir, fmt.Sprintf("%d-%d.yaml", i, j))
			if err := os.WriteFile(p, []byte(d), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, o := range []Options{{}, {Folders: FoldersByPath}} {
				if diff, s := compareWithLoad(p, LoadOptions{}, o); diff != "" {
					t.Errorf("%s (streamed=%v): %s", v, s, truncate(diff, 1500))
				}
			}
		}
	}
}
