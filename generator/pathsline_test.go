package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateFilePathsLineMatchLoad: the line the splitter cuts at
// written every way YAML allows (quoted, tagged, anchored, commented,
// complex key, CRLF, markers) gives what LoadFile+Generate gives.
func TestGenerateFilePathsLineMatchLoad(t *testing.T) {
	base := string(synthSpec(3))
	variants := []string{"paths :", "\"paths\":", "'paths':", "paths: # c", "paths: !!map", "paths: &p", "? paths\n:", "paths:   ", "paths:\t", "paths: {}\nx-q:", "paths: !custom", "pat\\\nhs:", "Paths:", "paths:\r", "paths: |\n  x\nx-p:", "paths: >\nx-p:", "paths: &p\n  /zz: {}\nx-p: *p\nx-r:"}
	dir := t.TempDir()
	for i, v := range variants {
		doc := strings.Replace(base, "paths:", v, 1)
		for j, d := range []string{doc, strings.ReplaceAll(doc, "\n", "\r\n"), "---\n" + doc + "...\n", "# c\n%YAML 1.2\n---\n" + doc, strings.Replace(doc, "\n  /", "\n\n# x\n  /", 3)} {
			p := filepath.Join(dir, fmt.Sprintf("%d-%d.yaml", i, j))
			if err := os.WriteFile(p, []byte(d), 0o644); err != nil {
				t.Fatal(err)
			}
			diff, s := compareWithLoad(p, LoadOptions{}, Options{})
			if diff != "" {
				t.Errorf("%q/%d streamed=%v: %s", v, j, s, truncate(diff, 1500))
			}
		}
	}
}
