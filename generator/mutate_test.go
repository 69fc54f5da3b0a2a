package generator

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v4"
)

// compareWithLoad runs generateData and LoadFile+Generate on the file at
// path and describes the first difference ("" when equal).
func compareWithLoad(path string, lopts LoadOptions, gopts Options) (diff string, streamed bool) {
	ctx := context.Background()
	var want *Result
	doc, loadWarnings, wantErr := LoadFile(ctx, path, lopts)
	if wantErr == nil {
		want, wantErr = Generate(doc, gopts)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error(), false
	}
	got, gotWarnings, streamed, err := generateData(ctx, data, path, lopts, gopts, nil)
	if wantErr != nil || err != nil {
		if wantErr == nil || err == nil || wantErr.Error() != err.Error() {
			return fmt.Sprintf("errors differ:\n  load+generate: %v\n  GenerateFile:  %v", wantErr, err), streamed
		}
		return "", streamed
	}
	switch {
	case !slices.Equal(loadWarnings, gotWarnings):
		return fmt.Sprintf("load warnings differ:\n  want %q\n  got  %q", loadWarnings, gotWarnings), streamed
	case !slices.Equal(want.Warnings, got.Warnings):
		return fmt.Sprintf("warnings differ:\n  want %q\n  got  %q", want.Warnings, got.Warnings), streamed
	case want.Counts != got.Counts || !slices.Equal(want.Webhooks, got.Webhooks):
		return fmt.Sprintf("counts differ: want %+v, got %+v", want.Counts, got.Counts), streamed
	case len(want.Files) != len(got.Files):
		return fmt.Sprintf("%d files, want %d", len(got.Files), len(want.Files)), streamed
	}
	for i, f := range want.Files {
		if got.Files[i].Name != f.Name || !bytes.Equal(got.Files[i].Data, f.Data) {
			return fmt.Sprintf("file %s differs (got %s):\n%s", f.Name, got.Files[i].Name, firstDiff(f.Data, got.Files[i].Data)), streamed
		}
	}
	return "", streamed
}

// mutator applies random structural changes to a yaml.Node tree.
type mutator struct {
	r     *rand.Rand
	nodes []*yaml.Node
}

func (m *mutator) collect(n *yaml.Node, depth int) {
	if n == nil || depth > 60 {
		return
	}
	m.nodes = append(m.nodes, n)
	for _, c := range n.Content {
		m.collect(c, depth+1)
	}
}

func cloneNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = nil
	for _, k := range n.Content {
		c.Content = append(c.Content, cloneNode(k))
	}
	return &c
}

var mutantScalars = []struct{ tag, value string }{
	{"!!int", "42"}, {"!!int", "-0"}, {"!!float", "1e400"}, {"!!bool", "true"}, {"!!null", "null"},
	{"!!str", ""}, {"!!str", "héllo 한국어 \u2028 \x7f"}, {"!!str", strings.Repeat("long ", 300)},
	{"!!str", "0x1F"}, {"!!str", "#/components/schemas/Nope"}, {"!!str", "yes"}, {"!!str", "~"},
	{"!!str", "a: b"}, {"!!str", "- x"}, {"!!str", "{x}"}, {"!!int", "0o17"}, {"!!float", ".nan"},
	{"!!str", "'q'\"dq\"\\"}, {"!!binary", "aGVsbG8="}, {"!!timestamp", "2001-12-14"},
}

var mutantKeys = []string{"$ref", "x-obpm-name", "x-obpm-skip", "description", "type", "items", "properties",
	"required", "example", "enum", "nullable", "allOf", "oneOf", "parameters", "responses", "content",
	"application/json", "schema", "in", "name", "servers", "x-note", "tags", "operationId", "default", "", "é", "200", "3XX"}

func (m *mutator) mutate() {
	n := m.nodes[m.r.IntN(len(m.nodes))]
	switch m.r.IntN(9) {
	case 0: // drop a key or an element
		if len(n.Content) == 0 {
			return
		}
		if n.Kind == yaml.MappingNode {
			i := m.r.IntN(len(n.Content)/2) * 2
			n.Content = slices.Delete(n.Content, i, i+2)
		} else if n.Kind == yaml.SequenceNode {
			i := m.r.IntN(len(n.Content))
			n.Content = slices.Delete(n.Content, i, i+1)
		}
	case 1: // duplicate a key or element
		if len(n.Content) == 0 {
			return
		}
		if n.Kind == yaml.MappingNode {
			i := m.r.IntN(len(n.Content)/2) * 2
			n.Content = append(n.Content, cloneNode(n.Content[i]), cloneNode(n.Content[i+1]))
		} else if n.Kind == yaml.SequenceNode {
			n.Content = append(n.Content, cloneNode(n.Content[m.r.IntN(len(n.Content))]))
		}
	case 2: // swap with another node's value
		o := m.nodes[m.r.IntN(len(m.nodes))]
		if o == n || o.Kind == yaml.DocumentNode || n.Kind == yaml.DocumentNode {
			return
		}
		c := cloneNode(o)
		*n = *c
	case 3, 4: // scalar change
		if n.Kind == yaml.DocumentNode {
			return
		}
		s := mutantScalars[m.r.IntN(len(mutantScalars))]
		*n = yaml.Node{Kind: yaml.ScalarNode, Tag: s.tag, Value: s.value}
	case 5: // add a key
		if n.Kind != yaml.MappingNode {
			return
		}
		k := mutantKeys[m.r.IntN(len(mutantKeys))]
		var v *yaml.Node
		switch m.r.IntN(4) {
		case 0:
			v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		case 1:
			v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "#/components/schemas/" + []string{"Pet", "Error", "Nope", "Resource"}[m.r.IntN(4)]}
		case 2:
			v = cloneNode(m.nodes[m.r.IntN(len(m.nodes))])
			if v.Kind == yaml.DocumentNode {
				v = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			}
		default:
			s := mutantScalars[m.r.IntN(len(mutantScalars))]
			v = &yaml.Node{Kind: yaml.ScalarNode, Tag: s.tag, Value: s.value}
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, v)
	case 6: // empty it
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			n.Content = nil
		}
	case 7: // flow style / tag on a key
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			n.Style ^= yaml.FlowStyle
		}
	case 8: // a $ref to a component with a sibling
		if n.Kind != yaml.MappingNode {
			return
		}
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "$ref"},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "#/components/" + []string{"schemas/Resource", "parameters/Limit", "responses/Error", "schemas/Error"}[m.r.IntN(4)]})
	}
}

// TestMutantsGenerateFileMatchesLoad: random structural mutants of small
// documents give the same result through generateData (streaming, split,
// yamlfast, kindecode) as through LoadFile+Generate, in YAML and JSON.
func TestMutantsGenerateFileMatchesLoad(t *testing.T) {
	seeds := map[string][]byte{"synth": synthSpec(6)}
	for _, p := range []string{"testdata/petstore/openapi.yaml", "testdata/composition/openapi.yaml", "testdata/forms/openapi.yaml",
		"testdata/v31/openapi.yaml", "testdata/refbody/openapi.yaml", "testdata/circular/openapi.yaml"} {
		if data, err := os.ReadFile(p); err == nil {
			seeds[p] = data
		}
	}
	names := make([]string, 0, len(seeds))
	for n := range seeds {
		names = append(names, n)
	}
	slices.Sort(names)
	dir := t.TempDir()
	seed := uint64(13)
	if s := os.Getenv("OBPM_MUTANT_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	r := rand.New(rand.NewPCG(seed, 2026))
	n := 200
	if s := os.Getenv("OBPM_MUTANTS"); s != "" {
		fmt.Sscan(s, &n)
	}
	if testing.Short() {
		n = 40
	}
	streamedCount, failures := 0, 0
	for i := 0; i < n && failures < 5; i++ {
		name := names[i%len(names)]
		var tree yaml.Node
		if err := yaml.Unmarshal(seeds[name], &tree); err != nil {
			t.Fatal(err)
		}
		m := &mutator{r: r}
		m.collect(&tree, 0)
		for range 1 + r.IntN(3) {
			m.mutate()
		}
		ydata, err := yaml.Marshal(&tree)
		if err != nil {
			continue
		}
		forms := [][2]string{{"yaml", string(ydata)}}
		if len(tree.Content) > 0 {
			if j, err := nodeJSON(tree.Content[0]); err == nil {
				forms = append(forms, [2]string{"json", string(j)})
			}
		}
		for _, f := range forms {
			p := filepath.Join(dir, fmt.Sprintf("m%d.%s", i, f[0]))
			if err := os.WriteFile(p, []byte(f[1]), 0o644); err != nil {
				t.Fatal(err)
			}
			opts := Options{}
			if i%2 == 1 {
				opts.Folders = FoldersByPath
			}
			d, streamed := compareWithLoad(p, LoadOptions{}, opts)
			if d2 := compareTreeWithBytes(p); d2 != "" {
				t.Errorf("mutant %d: tree vs loader: %s\n%s", i, d2, truncate(string(must(os.ReadFile(p))), 3000))
			}
			if streamed {
				streamedCount++
			}
			if d != "" {
				failures++
				t.Errorf("mutant %d of %s (%s): %s\n--- document:\n%s", i, name, f[0], d, truncate(f[1], 3000))
			}
		}
	}
	t.Logf("%d mutants, %d streamed", n, streamedCount)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// TestStreamPathsRefKey: a "$ref" key among the path items makes the
// resolver treat the paths object as a reference (a warning, or the
// target); GenerateFile must give what LoadFile+Generate gives.
func TestStreamPathsRefKey(t *testing.T) {
	dir := t.TempDir()
	for i, v := range []string{
		"{get: {responses: {'200': {description: ok}}}}",
		"'#/components/schemas/S'",
		"42",
	} {
		doc := "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  $ref: " + v +
			"\n  /a:\n    get: {responses: {'200': {description: ok}}}\ncomponents:\n  schemas:\n    S: {type: string}\n"
		p := filepath.Join(dir, fmt.Sprintf("%d.yaml", i))
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if d, _ := compareWithLoad(p, LoadOptions{}, Options{}); d != "" {
			t.Errorf("paths $ref %s: %s", v, d)
		}
	}
}

// TestGenerateFileOptionsMatchLoad: GenerateFile equals LoadFile+Generate
// under non-default Options and LoadOptions, streaming or not.
func TestGenerateFileOptionsMatchLoad(t *testing.T) {
	dir := t.TempDir()
	synth := filepath.Join(dir, "synth.yaml")
	if err := os.WriteFile(synth, synthSpec(30), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpls := fstest.MapFS{
		"request-test.js.tmpl":          {Data: []byte("// {{.Name}} {{json .Status}}\n{{range .Captures}}{{.}}{{end}}\n")},
		"request-prerequest.js.tmpl":    {Data: []byte("// pre {{.}}\n")},
		"collection-prerequest.js.tmpl": {Data: []byte("// coll {{json .}}\n")},
	}
	dotOnly := fstest.MapFS{"request-test.js.tmpl": {Data: []byte("// {{printf \"%v\" .}}\n")}}
	opts := map[string]Options{
		"paths":     {Folders: FoldersByPath},
		"name":      {Name: "Other Name é", FileStem: "stem"},
		"templates": {Templates: tmpls},
		"dot":       {Templates: dotOnly, Name: "X"},
		"urls":      {SandboxURL: "http://127.0.0.1:1/s", HelperURL: "http://127.0.0.1:2/h", HelperKey: "k", Envs: []string{"sandbox"}},
		"ob":        {OpenBanking: true, Folders: FoldersByPath},
	}
	docs := map[string]LoadOptions{
		synth:                                  {},
		"testdata/multifile/openapi.yaml":      {},
		"testdata/petstore/openapi.yaml":       {},
		"testdata/digitalocean/openapi.yaml":   {AllowExternalRefs: true},
		"testdata/corpus/box/openapi.json":     {},
		"testdata/multifile/paths/orders.yaml": {AllowExternalRefs: true},
	}
	for p, lo := range docs {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		for on, o := range opts {
			t.Run(filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p)+"/"+on, func(t *testing.T) {
				if d, streamed := compareWithLoad(p, lo, o); d != "" {
					t.Errorf("streamed=%v: %s", streamed, d)
				}
			})
		}
	}
}

// textMutants are line-level edits of YAML source: what the splitter and
// yamlfast read as text (comments, indentation, markers, quoting, block
// scalars, tags, anchors, line ends).
var textMutants = []func(r *rand.Rand, lines []string, i int) []string{
	func(r *rand.Rand, l []string, i int) []string {
		return slices.Insert(l, i, indentOf(l[i])+"# comment: {x}")
	},
	func(r *rand.Rand, l []string, i int) []string { return slices.Insert(l, i, "# top comment") },
	func(r *rand.Rand, l []string, i int) []string { l[i] += " # trailing"; return l },
	func(r *rand.Rand, l []string, i int) []string { l[i] = " " + l[i]; return l },
	func(r *rand.Rand, l []string, i int) []string { l[i] = strings.TrimPrefix(l[i], " "); return l },
	func(r *rand.Rand, l []string, i int) []string { return slices.Insert(l, i, "---") },
	func(r *rand.Rand, l []string, i int) []string { return slices.Insert(l, i, "...") },
	func(r *rand.Rand, l []string, i int) []string { return slices.Insert(l, i, "") },
	func(r *rand.Rand, l []string, i int) []string { return slices.Insert(l, i, "   ") },
	func(r *rand.Rand, l []string, i int) []string { return slices.Insert(l, i, "\t") },
	func(r *rand.Rand, l []string, i int) []string { l[i] += "\r"; return l },
	func(r *rand.Rand, l []string, i int) []string { l[i] = strings.Replace(l[i], "  ", "\t", 1); return l },
	func(r *rand.Rand, l []string, i int) []string {
		if k, v, ok := strings.Cut(l[i], ": "); ok {
			l[i] = k + ": |\n" + indentOf(l[i]) + "  " + v
		}
		return l
	},
	func(r *rand.Rand, l []string, i int) []string {
		if k, v, ok := strings.Cut(l[i], ": "); ok {
			l[i] = k + ": >-\n" + indentOf(l[i]) + "  " + v + "\n\n" + indentOf(l[i]) + "  more"
		}
		return l
	},
	func(r *rand.Rand, l []string, i int) []string {
		if k, v, ok := strings.Cut(l[i], ":"); ok {
			in := indentOf(k)
			l[i] = in + "\"" + strings.TrimSpace(k) + "\":" + v
		}
		return l
	},
	func(r *rand.Rand, l []string, i int) []string {
		if k, v, ok := strings.Cut(l[i], ":"); ok {
			in := indentOf(k)
			l[i] = in + "'" + strings.TrimSpace(k) + "' :" + v
		}
		return l
	},
	func(r *rand.Rand, l []string, i int) []string {
		if k, v, ok := strings.Cut(l[i], ": "); ok {
			l[i] = k + ": !!str " + v
		}
		return l
	},
	func(r *rand.Rand, l []string, i int) []string {
		if k, v, ok := strings.Cut(l[i], ": "); ok {
			l[i] = k + ": &a" + strconv.Itoa(i) + " " + v
		}
		return l
	},
	func(r *rand.Rand, l []string, i int) []string {
		if k, _, ok := strings.Cut(l[i], ":"); ok {
			l[i] = indentOf(k) + "? " + strings.TrimSpace(k) + "\n" + indentOf(k) + ":" + l[i][len(k)+1:]
		}
		return l
	},
	func(r *rand.Rand, l []string, i int) []string { return slices.Insert(l, i, "%YAML 1.2") },
	func(r *rand.Rand, l []string, i int) []string { l[i] = "\ufeff" + l[i]; return l },
	func(r *rand.Rand, l []string, i int) []string { l[i] = strings.Replace(l[i], ": ", ":  ", 1); return l },
	func(r *rand.Rand, l []string, i int) []string { l[i] = strings.Replace(l[i], ": ", " : ", 1); return l },
	func(r *rand.Rand, l []string, i int) []string {
		l[i] = strings.Replace(l[i], ": ", ": \"multi\n"+indentOf(l[i])+"  line\" # ", 1)
		return l
	},
	func(r *rand.Rand, l []string, i int) []string { l[i] = strings.Replace(l[i], "'", "\"", -1); return l },
	func(r *rand.Rand, l []string, i int) []string {
		return slices.Insert(l, i, indentOf(l[i])+"x-k: {a: [1, 2, {b: c}], \"d\": 'e''f'}")
	},
	func(r *rand.Rand, l []string, i int) []string {
		return slices.Insert(l, i, indentOf(l[i])+"<<: {x-m: 1}")
	},
	func(r *rand.Rand, l []string, i int) []string { return slices.Insert(l, i, indentOf(l[i])+"x-n: *a1") },
	func(r *rand.Rand, l []string, i int) []string {
		l[i] = strings.Replace(l[i], "/", "/\u00e9\u2028", 1)
		return l
	},
	func(r *rand.Rand, l []string, i int) []string { l[i] = strings.ReplaceAll(l[i], "\"", ""); return l },
	func(r *rand.Rand, l []string, i int) []string { j := r.IntN(len(l)); l[i], l[j] = l[j], l[i]; return l },
	func(r *rand.Rand, l []string, i int) []string { return slices.Delete(l, i, i+1) },
	func(r *rand.Rand, l []string, i int) []string { return slices.Insert(l, i, l[i]) },
}

func indentOf(s string) string { return s[:len(s)-len(strings.TrimLeft(s, " "))] }

// TestTextMutantsGenerateFileMatchesLoad: line-level mutants of YAML
// sources give the same result through generateData as LoadFile+Generate.
func TestTextMutantsGenerateFileMatchesLoad(t *testing.T) {
	var seeds [][]byte
	seeds = append(seeds, synthSpec(5))
	for _, p := range []string{"testdata/petstore/openapi.yaml", "testdata/forms/openapi.yaml", "testdata/v31/openapi.yaml"} {
		if data, err := os.ReadFile(p); err == nil {
			seeds = append(seeds, data)
		}
	}
	seed := uint64(7)
	if s := os.Getenv("OBPM_MUTANT_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	n := 200
	if s := os.Getenv("OBPM_MUTANTS"); s != "" {
		fmt.Sscan(s, &n)
	}
	r := rand.New(rand.NewPCG(seed, 99))
	dir := t.TempDir()
	failures, streamed := 0, 0
	for i := 0; i < n && failures < 5; i++ {
		lines := strings.Split(string(seeds[i%len(seeds)]), "\n")
		for range 1 + r.IntN(3) {
			j := r.IntN(len(lines))
			lines = textMutants[r.IntN(len(textMutants))](r, lines, j)
		}
		doc := strings.Join(lines, "\n")
		p := filepath.Join(dir, fmt.Sprintf("t%d.yaml", i))
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		d, s := compareWithLoad(p, LoadOptions{}, Options{})
		if d2 := compareTreeWithBytes(p); d2 != "" {
			t.Errorf("mutant %d: tree vs loader: %s\n%s", i, d2, truncate(string(must(os.ReadFile(p))), 3000))
		}
		if s {
			streamed++
		}
		if d != "" {
			failures++
			t.Errorf("text mutant %d: %s\n--- document:\n%s", i, d, truncate(doc, 4000))
		}
	}
	t.Logf("%d text mutants, %d streamed", n, streamed)
}

// compareTreeWithBytes compares the document model decoded from the tree
// (decodeTree, kindecode) with kin-openapi's loader on the bytes, and what
// Generate makes of each; "" when equal.
func compareTreeWithBytes(path string) string {
	ctx := context.Background()
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	want, _, wantErr := loadWith(ctx, data, path, LoadOptions{}, loadBytes)
	got, _, gotErr := loadWith(ctx, data, path, LoadOptions{}, loadTree)
	if wantErr != nil || gotErr != nil {
		if wantErr == nil || gotErr == nil || wantErr.Error() != gotErr.Error() {
			return fmt.Sprintf("errors differ:\n tree:   %v\n loader: %v", gotErr, wantErr)
		}
		return ""
	}
	wr, wErr := Generate(want, Options{})
	gr, gErr := Generate(got, Options{})
	if (wErr == nil) != (gErr == nil) || wErr != nil && wErr.Error() != gErr.Error() {
		return fmt.Sprintf("Generate errors differ: tree %v, loader %v", gErr, wErr)
	}
	if wErr != nil {
		return ""
	}
	if !slices.Equal(wr.Warnings, gr.Warnings) {
		return fmt.Sprintf("warnings differ:\n tree   %q\n loader %q", gr.Warnings, wr.Warnings)
	}
	for i := range wr.Files {
		if !bytes.Equal(wr.Files[i].Data, gr.Files[i].Data) {
			return fmt.Sprintf("%s differs (loader is golden):\n%s", wr.Files[i].Name, firstDiff(wr.Files[i].Data, gr.Files[i].Data))
		}
	}
	return ""
}

func must[T any](v T, _ error) T { return v }

// TestTreeMatchesLoaderWhenResolverSkips: where the resolver warns and
// drops a value it cannot follow (a $ref that is no string, or leads
// nowhere, under properties), the tree path must report what kin-openapi's
// loader reports on the bytes, as LoadFile did before decodeTree.
func TestTreeMatchesLoaderWhenResolverSkips(t *testing.T) {
	dir := t.TempDir()
	head := "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a: {get: {responses: {'200': {description: ok, content: {application/json: {schema: {properties: "
	for i, props := range []string{"{$ref: 1}", "{a: {type: string}, $ref: '#/components/schemas/Nope'}", "{$ref: [x]}"} {
		p := filepath.Join(dir, fmt.Sprintf("%d.yaml", i))
		if err := os.WriteFile(p, []byte(head+props+"}}}}}}}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if d := compareTreeWithBytes(p); d != "" {
			t.Errorf("properties %s: %s", props, d)
		}
	}
}
