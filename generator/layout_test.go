package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateFileLayoutsMatchLoad: documents laid out as the authors of
// the streaming path did not write theirs (paths first or twice, keys that
// are not strings or null, chains of component $refs, every component
// section) give what LoadFile+Generate gives, in 3.0 and 3.1.
func TestGenerateFileLayoutsMatchLoad(t *testing.T) {
	item := "  /a:\n    get: {operationId: a, responses: {'200': {description: ok}}}\n  /b/{id}:\n    parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n    get: {responses: {'200': {description: ok}}}\n"
	head := "openapi: 3.0.3\ninfo: {title: L, version: '1'}\n"
	docs := []string{
		"paths:\n" + item + head,
		head + "paths:\n" + item + "paths:\n" + item,
		head + "paths:\n" + item + "openapi: 3.1.0\n",
		head + "paths:\n" + item + "info: {title: Other, version: '2'}\n",
		head + "paths:\n" + item + "  /a/:\n    get: {responses: {'200': {description: ok}}}\n",
		head + "paths:\n" + item + "  /b/{name}:\n    get: {responses: {'200': {description: ok}}}\n",
		head + "paths:\n" + item + "  a:\n    get: {responses: {'200': {description: ok}}}\n",
		head + "paths:\n" + item + "  /c:\n    get: {operationId: a, responses: {'200': {description: ok}}}\n",
		head + "paths:\n" + item + "  /c: null\n",
		head + "paths:\n" + item + "  /c:\n",
		head + "paths:\n" + item + "  /c: {}\n  /c/{x}: {get: {responses: {'200': {description: ok}}}}\n",
		head + "paths:\n" + item + "  ? /d\n  : {get: {responses: {'200': {description: ok}}}}\n",
		head + "paths:\n" + item + "  \"/e\": {get: {responses: {'200': {description: ok}}}}\n",
		head + "paths:\n" + item + "  1: {get: {responses: {'200': {description: ok}}}}\n",
		head + "paths:\n" + item + "  true: {get: {responses: {'200': {description: ok}}}}\n",
		head + "paths:\n" + item + "  null: {get: {responses: {'200': {description: ok}}}}\n",
		head + "paths:\n" + item + "  ~: {get: {responses: {'200': {description: ok}}}}\n",
		head + "paths:\n" + item + "  ? \n  : {get: {responses: {'200': {description: ok}}}}\n",
		head + "paths:\n" + item + "  !!null x: {get: {responses: {'200': {description: ok}}}}\n",
		head + "null: 1\npaths:\n" + item,
		head + "paths:\n" + item + "  !!str /f: {get: {responses: {'200': {description: ok}}}}\n",
		head + "paths:\n" + item + "  /g: {get: {responses: {'200': {description: ok}}}, x-obpm: 1}\n",
		head + "paths:\n" + item + "  /h: {get: {responses: {'200': {description: ok}}}, $ref: '#/components/pathItems/P'}\ncomponents: {pathItems: {P: {post: {responses: {'200': {description: ok}}}}}}\n",
		head + "paths:\n" + item + "x-tagGroups: [{name: g, tags: [a]}]\ntags: [{name: a}]\n",
		head + "security: [{k: []}]\npaths:\n" + item + "components: {securitySchemes: {k: {type: apiKey, in: header, name: X}}}\n",
		head + "servers: [{url: 'https://{h}/v1', variables: {h: {default: x.com}}}]\npaths:\n" + item,
		head + "paths:\n" + item + "servers: [{url: /rel}]\n",
		head + "paths:\n" + item + "components: {schemas: {S: {$ref: '#/components/schemas/T'}, T: {$ref: '#/components/schemas/S'}}}\n",
		head + "paths:\n" + item + "components: {parameters: {P: {$ref: '#/components/parameters/P'}}}\n",
		head + "paths:\n  /z:\n    get: {parameters: [{$ref: '#/components/parameters/P'}], responses: {'200': {description: ok}}}\ncomponents: {parameters: {P: {$ref: '#/components/parameters/Q'}, Q: {name: q, in: query}}}\n",
		head + "paths:\n  /z:\n    get: {parameters: [{$ref: '#/components/parameters/P'}], responses: {'200': {description: ok}}}\ncomponents: {parameters: {P: {$ref: '#/components/parameters/P'}}}\n",
		head + "paths:\n  /z:\n    get: {responses: {'200': {$ref: '#/components/responses/R'}}}\ncomponents: {responses: {R: {$ref: '#/components/responses/R2'}, R2: {description: x, content: {application/json: {schema: {$ref: '#/components/schemas/S'}}}}}, schemas: {S: {type: object, properties: {a: {$ref: '#/components/schemas/S'}}}}}\n",
		head + "paths:\n  /z:\n    get: {responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/a~1b'}}}}}}\ncomponents: {schemas: {a/b: {type: string}}}\n",
		head + "paths:\n  /z:\n    get: {responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/a%20b'}}}}}}\ncomponents: {schemas: {a b: {type: string}}}\n",
		head + "paths:\n  /z:\n    get: {responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/S/properties/a'}}}}}}\ncomponents: {schemas: {S: {properties: {a: {type: string}}}}}\n",
		head + "paths:\n  /z:\n    get: {responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/'}}}}}}\ncomponents: {schemas: {S: {properties: {a: {type: string}}}}}\n",
		head + "paths:\n  /z:\n    get: {responses: {'200': {description: ok, content: {application/json: {examples: {e: {$ref: '#/components/examples/E'}}}}}}}}\ncomponents: {examples: {E: {value: {a: 1}}}}\n",
		head + "paths:\n  /z:\n    get: {responses: {'200': {description: ok, headers: {H: {$ref: '#/components/headers/H'}}}}}\ncomponents: {headers: {H: {$ref: '#/components/headers/H2'}, H2: {schema: {type: integer}}}}\n",
		head + "paths:\n  /z:\n    get: {requestBody: {$ref: '#/components/requestBodies/B'}, responses: {'200': {description: ok}}}\ncomponents: {requestBodies: {B: {$ref: '#/components/requestBodies/C'}, C: {content: {application/json: {schema: {type: object}}}}}}\n",
		head + "paths:\n  /z:\n    get: {security: [{k: []}], responses: {'200': {description: ok}}}\ncomponents: {securitySchemes: {k: {$ref: '#/components/securitySchemes/k2'}, k2: {type: http, scheme: bearer}}}\n",
		head + "paths:\n  /z:\n    get: {callbacks: {c: {$ref: '#/components/callbacks/C'}}, responses: {'200': {description: ok}}}\ncomponents: {callbacks: {C: {'{$request.body#/u}': {post: {responses: {'200': {description: ok}}}}}}}\n",
		head + "paths:\n  /z:\n    get: {responses: {'200': {description: ok, links: {l: {$ref: '#/components/links/L'}}}}}\ncomponents: {links: {L: {operationId: a}}}\n",
	}
	dir := t.TempDir()
	for i, d := range docs {
		for _, v := range []string{"3.0.3", "3.1.0"} {
			doc := d
			if v != "3.0.3" {
				doc = strings.Replace(d, "openapi: 3.0.3", "openapi: "+v, 1)
			}
			p := filepath.Join(dir, fmt.Sprintf("%d-%s.yaml", i, v))
			if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, o := range []Options{{}, {Folders: FoldersByPath}} {
				diff, s := compareWithLoad(p, LoadOptions{}, o)
				if diff != "" {
					t.Errorf("doc %d %s (streamed=%v): %s\n%s", i, v, s, truncate(diff, 1500), doc)
				}
			}
		}
	}
}
