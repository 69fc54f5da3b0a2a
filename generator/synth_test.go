package generator

import (
	"fmt"
	"strings"
)

// synthSpec writes a large OpenAPI 3.0 YAML document: ops operations over
// ops/2 paths (GET + POST), 20 tags, ops/10 component schemas, each operation
// with parameters, an inline request body and a $ref response. 5,000
// operations give about 12 MB, the size the issue measured.
func synthSpec(ops int) []byte {
	var b strings.Builder
	b.Grow(ops * 2600)
	b.WriteString("openapi: 3.0.3\ninfo:\n  title: Synthetic\n  version: \"1\"\nservers:\n  - url: https://api.example.com/v1\n    description: Example\ntags:\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "  - name: tag%02d\n    description: Tag number %d\n", i, i)
	}
	schemas := ops/10 + 1
	b.WriteString("security:\n  - oauth: [read]\npaths:\n")
	for p := 0; p < (ops+1)/2; p++ {
		s := p % schemas
		fmt.Fprintf(&b, "  /resource%d/{id}/items:\n    parameters:\n      - name: id\n        in: path\n        required: true\n        description: The resource id.\n        schema: {type: string, example: \"r-%d\"}\n", p, p)
		for _, m := range []string{"get", "post"} {
			if p*2+indexOf([]string{"get", "post"}, m) >= ops {
				break
			}
			fmt.Fprintf(&b, "    %s:\n      tags: [tag%02d]\n      summary: %s resource %d\n      operationId: %sResource%d\n", m, p%20, m, p, m, p)
			b.WriteString("      description: |\n        A synthetic operation used to measure the generator on large documents.\n        It carries parameters, a body and responses like a real API would.\n        Its text is long on purpose, as operation descriptions in real documents are:\n        they explain the fields, the error codes, and the order in which to call things.\n")
			b.WriteString("      parameters:\n        - {name: limit, in: query, description: Page size, schema: {type: integer, minimum: 1, maximum: 100}}\n" +
				"        - {name: cursor, in: query, description: Paging cursor, schema: {type: string}}\n" +
				"        - {name: X-Request-Id, in: header, required: true, schema: {type: string, format: uuid}}\n")
			if m == "post" {
				b.WriteString("      requestBody:\n        required: true\n        content:\n          application/json:\n            schema:\n              type: object\n              required: [name, amount]\n              properties:\n")
				for f := 0; f < 16; f++ {
					fmt.Fprintf(&b, "                field%d: {type: string, description: Field %d of the body, maxLength: 40}\n", f, f)
				}
				b.WriteString("                name: {type: string, example: item}\n                amount: {type: string, pattern: '^[0-9]+$', example: \"10000\"}\n")
			}
			fmt.Fprintf(&b, "      responses:\n        '200':\n          description: The resource.\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Model%d'}\n", s)
			b.WriteString("        '400':\n          description: Bad request.\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Error'}\n")
			b.WriteString("        '404':\n          description: Not found.\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Error'}\n")
		}
	}
	b.WriteString("components:\n  securitySchemes:\n    oauth:\n      type: oauth2\n      flows:\n        clientCredentials:\n          tokenUrl: https://api.example.com/oauth/token\n          scopes: {read: read things}\n  schemas:\n")
	b.WriteString("    Error:\n      type: object\n      properties:\n        code: {type: string}\n        message: {type: string}\n")
	for s := 0; s < schemas; s++ {
		fmt.Fprintf(&b, "    Model%d:\n      type: object\n      required: [id]\n      properties:\n        id: {type: string}\n        created: {type: string, format: date-time}\n        amount: {type: string, example: \"500\"}\n        items:\n          type: array\n          items: {$ref: '#/components/schemas/Error'}\n", s)
		for f := 0; f < 6; f++ {
			fmt.Fprintf(&b, "        attr%d: {type: string, description: Attribute %d}\n", f, f)
		}
	}
	return []byte(b.String())
}
