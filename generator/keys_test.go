package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestGenerateFileKeysAndTagsMatchLoad: null, merge, duplicate, escaped
// and non-string keys and local tags at every level of a path item give
// what LoadFile+Generate gives.
func TestGenerateFileKeysAndTagsMatchLoad(t *testing.T) {
	head := "openapi: 3.0.3\ninfo: {title: L, version: '1'}\n"
	ok := "responses: {'200': {description: ok}}"
	docs := []string{
		head + "paths:\n  x-a: {null: 1}\n  /a: {get: {" + ok + "}}\n",
		head + "paths:\n  /a: {x-a: {null: 1}, get: {" + ok + "}}\n",
		head + "paths:\n  /a: {get: {x-a: {~: 1}, " + ok + "}}\n",
		head + "paths:\n  /a: {get: {" + ok + ", requestBody: {content: {application/json: {example: {null: 1}}}}}}\n",
		head + "paths:\n  /a: {get: {" + ok + ", requestBody: {content: {application/json: {schema: {properties: {null: {type: string}}}}}}}}\n",
		head + "paths:\n  /a: {get: {responses: {null: {description: ok}}}}\n",
		head + "paths:\n  /a: {get: {responses: {200: {description: ok}, 201: {description: ok}}}}\n",
		head + "paths:\n  /a: {get: {responses: {2XX: {description: ok}, '200': {description: ok}}}}\n",
		head + "paths:\n  /a: {get: {" + ok + "}, null: 1}\n",
		head + "paths:\n  /a: {get: {" + ok + "}}\ncomponents: {schemas: {null: {type: string}}}\n",
		head + "paths:\n  /a: {get: {" + ok + "}}\nx-a: {null: 1}\n",
		head + "paths:\n  /a: {get: {" + ok + "}}\n  x-a: {null: 1}\n",
		head + "paths:\n  /a: {get: {" + ok + "}}\n  x-a: {<<: {b: 1}}\n",
		head + "paths:\n  /a: {get: {" + ok + "}}\n  x-a: {1: 2, true: 3, 1.5: 4}\n",
		head + "paths:\n  /a: {get: {" + ok + ", x-a: {1: 2, true: 3, 1.5: 4, 0x10: 5}}}\n",
		head + "paths:\n  /a: {get: {" + ok + ", x-a: [!!binary aGk=, !!timestamp 2001-01-01, !!float 1, !!int 0o7]}}\n",
		head + "paths:\n  /a: {get: {" + ok + ", x-a: !custom {a: 1}}}\n",
		head + "paths:\n  /a: {get: {" + ok + ", description: !md hi}}\n",
		head + "paths:\n  /a: !custom {get: {" + ok + "}}\n",
		head + "paths:\n  /a: {get: {" + ok + "}}\n  x-b: !custom 1\n",
		head + "paths:\n  /a: {get: {" + ok + "}}\n  !custom /b: {get: {" + ok + "}}\n",
		head + "paths: !!map\n  /a: {get: {" + ok + "}}\n",
		head + "paths: !custom\n  /a: {get: {" + ok + "}}\n",
		head + "paths:\n  /a: {get: {" + ok + "}}\n  /a: {get: {" + ok + "}}\n",
		head + "paths:\n  /a: {get: {" + ok + "}, get: {" + ok + "}}\n",
		head + "paths:\n  /a: {get: {" + ok + ", " + ok + "}}\n",
		head + "paths:\n  /a: {get: {" + ok + "}}\n  '/a': {put: {" + ok + "}}\n",
		head + "paths:\n  /a: {get: {" + ok + "}}\n  \"\\x2Fa\": {put: {" + ok + "}}\n",
	}
	dir := t.TempDir()
	for i, d := range docs {
		p := filepath.Join(dir, fmt.Sprintf("%d.yaml", i))
		if err := os.WriteFile(p, []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
		diff, s := compareWithLoad(p, LoadOptions{}, Options{})
		if diff != "" {
			t.Errorf("doc %d (streamed=%v): %s\n%s", i, s, truncate(diff, 1500), d)
		}
	}
}
