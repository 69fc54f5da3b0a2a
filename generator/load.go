package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// Why kin-openapi and not libopenapi: on a synthetic 12 MB, 5,000-operation YAML
// spec kin-openapi v0.153 loads in about 1.1 s at 360 MB peak against 1.4 s and
// 530 MB for libopenapi v0.42; it reads 3.0 and 3.1 (type arrays, webhooks,
// const, examples), records origin lines (which give us the document's order of
// operations), and the sandbox needs its openapi3filter anyway, so one library
// serves the whole module. BenchmarkLoadLarge measures our own use of it
// (order.go: the document order without its costly IncludeOrigin).

// Load reads an OpenAPI 3.0 or 3.1 document, or a Swagger 2.0 one (converted
// on load), from path with the default reference policy (files under the
// spec's folder only, no URLs). Warnings are dropped: LoadFile returns them.
func Load(ctx context.Context, path string) (*openapi3.T, error) {
	doc, _, err := LoadFile(ctx, path, LoadOptions{})
	return doc, err
}

// LoadFile reads a document from path: YAML or JSON, OpenAPI 3.0/3.1 or
// Swagger 2.0. $refs are resolved as resolve.go describes, within opts; the
// parts that cannot be used are left out, each with a warning.
func LoadFile(ctx context.Context, path string, opts LoadOptions) (*openapi3.T, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read spec %s: %w (check the path given to --spec)", path, err)
	}
	return loadWith(ctx, data, path, opts, loadTree)
}

// LoadData parses data as an OpenAPI document. name is the document's file name:
// relative $refs are resolved against its folder, and errors name it. An empty
// name means "in memory": only local $refs are allowed. The document's Origin
// fields hold only what Generate orders by (order.go): the Key of operations,
// example entries and schema properties.
func LoadData(ctx context.Context, data []byte, name string) (*openapi3.T, error) {
	return loadData(ctx, data, name, loadTree)
}

// loadHow says how the document model is built (tests compare the ways).
type loadHow int

const (
	loadTree    loadHow = iota // decoded from the resolved tree (decodeTree), else as loadBytes
	loadBytes                  // kin-openapi's loader parses the bytes again
	loadOrigins                // as loadBytes, and the loader records origins (IncludeOrigin) instead of stampOrder
)

// loadData is LoadData, the document model built as how says.
func loadData(ctx context.Context, data []byte, name string, how loadHow) (*openapi3.T, error) {
	doc, _, err := loadWith(ctx, data, name, LoadOptions{}, how)
	return doc, err
}

func loadWith(ctx context.Context, data []byte, name string, opts LoadOptions, how loadHow) (*openapi3.T, []Warning, error) {
	display := name
	if display == "" {
		display = "<spec>"
	}
	top := jsonTop(data)
	if top != nil {
		if err := checkTopKeys(topKeys(top), display); err != nil {
			return nil, nil, err
		}
	} else {
		if err := precheck(data, display); err != nil {
			return nil, nil, err
		}
		top = parseFull(data)
	}
	if top == nil || top.Kind != yaml.MappingNode {
		// Not a mapping: kin-openapi's message names the line.
		if _, err := runLoader(ctx, data, display, false); err != nil {
			return nil, nil, explainLoadError(err, data, display)
		}
		return nil, nil, fmt.Errorf("load spec %s: not an OpenAPI document", display)
	}
	var warnings []Warning
	var v2 *yaml.Node
	if sw := entry(top, "swagger"); sw != nil && entry(top, "openapi") == nil {
		conv, ws, err := convertSwagger(ctx, top, name, display, opts)
		if err != nil {
			return nil, nil, err
		}
		warnings = append(warnings, ws...)
		if data, err = nodeJSON(conv); err != nil {
			return nil, nil, fmt.Errorf("load spec %s: %w", display, err)
		}
		v2, top = top, conv
	}
	r, err := newResolver(ctx, top, name, opts)
	if err != nil {
		return nil, nil, err
	}
	r.walk(top, kDoc, ctxNode{f: r.root})
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("load spec %s: %w", display, err)
	}
	warnings = append(warnings, r.warnings...)
	var doc *openapi3.T
	stamped, cut := false, false
	if how == loadTree && len(r.warnings) == 0 {
		// A resolver that warned may have dropped a value from the tree
		// (a $ref it could not follow where OpenAPI has none) without
		// marking it changed: the loader reads the bytes, as it always did,
		// and reports what they hold.
		//
		// When the loader's path would read the original bytes, the tree
		// can be given up item by item as it is decoded.
		doc, stamped, cut = decodeTree(ctx, top, !r.changed && v2 == nil)
	}
	if doc == nil {
		src := data
		if r.changed {
			if src, err = nodeJSON(top); err != nil {
				return nil, nil, fmt.Errorf("load spec %s: %w", display, err)
			}
		}
		if doc, err = runLoader(ctx, src, display, how == loadOrigins); err != nil {
			if r.changed || v2 != nil {
				return nil, nil, r.explain(err, data, display, top)
			}
			return nil, nil, explainLoadError(err, data, display)
		}
		if cut {
			// decodeTree cut path items from the tree before it gave up
			// (only when the loader reads data): the order is read from a
			// fresh one.
			top = parseFull(data)
		}
	}
	if err := checkVersion(doc.OpenAPI, data, display); err != nil {
		return nil, nil, err
	}
	if how != loadOrigins {
		switch {
		case v2 != nil:
			stampOrderV2(doc, v2)
		case r.changed:
			// Parts of other files sit in the tree with their own lines:
			// number every node in document order instead.
			renumber(top)
			stampOrder(doc, top)
		case stamped:
			stampComponents(doc, top)
		default:
			stampOrder(doc, top)
		}
	}
	return doc, warnings, nil
}

// jsonTop is the tree of a JSON document whose top level is an object, or
// nil (YAML, or JSON that precheck must explain).
func jsonTop(data []byte) *yaml.Node {
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return nil
	}
	if n, err := scanJSON(data); err == nil && n.Kind == yaml.MappingNode {
		return n
	}
	return nil
}

// topKeys is what checkTopKeys reads of a JSON document's top level (the
// last of a key written twice wins, as in encoding/json).
func topKeys(top *yaml.Node) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		switch k := top.Content[i].Value; k {
		case "openapi":
			m[k] = nil
		case "swagger":
			raw, err := nodeJSON(top.Content[i+1])
			if err != nil {
				raw = nil
			}
			m[k] = raw
		}
	}
	return m
}

// parseFull parses YAML or JSON into a node tree (nil when it is neither).
// A large YAML document is parsed in chunks on every CPU (split.go); when
// it cannot be cut, parseTree parses it whole and reports as before.
func parseFull(data []byte) *yaml.Node {
	if top, ok := parseTreeParallel(data); ok {
		return top
	}
	return parseTree(data)
}

// renumber gives every node of the tree its pre-order index as Line, so
// that positions compare in document order across inlined files.
func renumber(top *yaml.Node) {
	line := 0
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > maxJSONDepth {
			return
		}
		line++
		n.Line, n.Column = line, 1
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(top, 0)
}

// runLoader runs kin-openapi's loader on a self-contained document: the
// resolver has bundled every other file already, so the loader may read
// nothing (a $ref it still met would be a bug of ours, not a file read).
func runLoader(ctx context.Context, data []byte, display string, origins bool) (doc *openapi3.T, err error) {
	// The parser must not take obpm down on a hostile document (FuzzLoad).
	// Only the parser: a panic in our own code must show in fuzzing.
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("load spec %s: the OpenAPI parser failed on this document (%v); check it with a validator", display, r)
		}
	}()
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IncludeOrigin = origins
	loader.IsExternalRefsAllowed = false
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		return nil, fmt.Errorf("reading %s is not allowed here", u)
	}
	doc, err = loader.LoadFromData(data)
	if err != nil {
		return nil, err
	}
	if doc.Paths == nil {
		doc.Paths = openapi3.NewPaths()
	}
	return doc, nil
}

// explain is explainLoadError for a document the resolver rewrote: the
// loader's lines are those of the rewritten JSON, so the place comes from
// the JSON pointer in its message, looked up in the tree (and its files).
func (r *resolver) explain(err error, data []byte, display string, top *yaml.Node) error {
	msg := err.Error()
	if m := typeErrorRE.FindStringSubmatch(msg); m != nil {
		ptr := strings.TrimSuffix(m[5], ";")
		if m[4] != "" {
			ptr += "/" + m[4]
		}
		file, line := r.locate(top, ptr)
		e := explainTypeError(msg, file)
		return errors.New(strings.Replace(e.Error(), file+":"+m[1]+":", file+":"+strconv.Itoa(line)+":", 1))
	}
	return fmt.Errorf("load spec %s: %v", display, err)
}

// locate finds the file and line of the node at JSON pointer ptr of the
// resolved tree.
func (r *resolver) locate(top *yaml.Node, ptr string) (string, int) {
	f, n := r.root, top
	line := 0
	for _, seg := range strings.Split(ptr, "/")[1:] {
		seg = pointerUnescaper.Replace(seg)
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg {
					next = n.Content[i+1]
					if n.Content[i].Line > 0 {
						line = n.Content[i].Line
					}
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
		}
		if next == nil {
			break
		}
		n = next
		if of, ok := r.origin[n]; ok {
			f = of
		}
		if n.Line > 0 {
			line = n.Line
		}
	}
	return f.display, line
}

// precheck turns syntax errors into messages with a line and column, and
// recognises documents that are not OpenAPI 3 before the loader tries.
func precheck(data []byte, name string) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return fmt.Errorf("load spec %s: the file is empty; give an OpenAPI 3.0 or 3.1 document (YAML or JSON)", name)
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		// Only the top level is decoded: the loader reads the rest.
		var top map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &top); err != nil {
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &se):
				off := int(se.Offset) + bytes.Index(data, trimmed[:1])
				line, col := lineCol(data, off)
				return fmt.Errorf("load spec %s:%d:%d: not valid JSON: %v; fix the syntax there", name, line, col, se)
			case errors.As(err, &te) && te.Field == "":
				return fmt.Errorf("load spec %s: the top level is not an object, so this is not an OpenAPI document", name)
			}
			return fmt.Errorf("load spec %s: not valid JSON: %v", name, err)
		}
		return checkTopKeys(top, name)
	}
	return nil
}

func checkTopKeys(m map[string]json.RawMessage, name string) error {
	if _, ok := m["openapi"]; ok {
		return nil
	}
	if raw, ok := m["swagger"]; ok {
		var v any
		_ = json.Unmarshal(raw, &v)
		if v == "2.0" {
			return nil // converted on load
		}
		return fmt.Errorf("load spec %s: this is Swagger %v; obpm reads Swagger 2.0 and OpenAPI 3.0/3.1", name, v)
	}
	return fmt.Errorf("load spec %s: no top-level \"openapi\" field, so this is not an OpenAPI 3 document", name)
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)
var quotedRE = regexp.MustCompile(`"([^"]+)"`)

// explainLoadError rewrites the loader's errors so that they name the file, the
// line where one is known, and what to do.
func explainLoadError(err error, data []byte, name string) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "failed to unmarshal data") && typeErrorRE.MatchString(msg):
		return explainTypeError(msg, name)
	case strings.Contains(msg, "failed to unmarshal data"):
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			detail := msg
			if i := strings.LastIndex(msg, "yaml: "); i >= 0 {
				detail = msg[i+len("yaml: "):]
			}
			if j := strings.Index(detail, ": "); j >= 0 && strings.HasPrefix(detail, "line ") {
				detail = detail[j+2:]
			}
			return fmt.Errorf("load spec %s:%s: not valid YAML: %s; fix the syntax there", name, m[1], detail)
		}
		return fmt.Errorf("load spec %s: not valid YAML or JSON: %v", name, err)
	case strings.Contains(msg, "resolv") || strings.Contains(msg, "no such file") || strings.Contains(msg, "reference"):
		ref := ""
		for _, m := range quotedRE.FindAllStringSubmatch(msg, -1) {
			if strings.Contains(m[1], "#") || strings.Contains(m[1], ".") {
				ref = m[1]
				break
			}
		}
		where := name
		if ref != "" {
			if line := findLine(data, ref); line > 0 {
				where = fmt.Sprintf("%s:%d", name, line)
			}
			return fmt.Errorf("load spec %s: unresolved $ref %q: %v; check that the target exists (files are resolved relative to the spec's folder)", where, ref, err)
		}
		return fmt.Errorf("load spec %s: unresolved $ref: %v; check that the target exists", where, err)
	}
	return fmt.Errorf("load spec %s: %w", name, err)
}

// typeErrorRE matches the decoder's complaint about a value of the wrong type
// in well-formed YAML/JSON: "line 6: cannot construct !!int `5` into
// openapi3.Parameters in /paths/~1x/get/parameters" or "line 1: cannot
// unmarshal !!int into string field "openapi"".
var typeErrorRE = regexp.MustCompile("line (\\d+): cannot (?:construct|unmarshal) !!(\\w+)(?: `[^`]*`)? into (\\S+)(?: field \"([^\"]+)\")?(?: in (/\\S*))?")

// explainTypeError names the place of the first wrongly typed value (a JSON
// pointer), what was found and what OpenAPI expects there: the document is
// well-formed, so "fix the syntax" would mislead.
func explainTypeError(msg, name string) error {
	m := typeErrorRE.FindStringSubmatch(msg)
	line, found, want, field, ptr := m[1], m[2], m[3], m[4], strings.TrimSuffix(m[5], ";")
	where := "the top level"
	switch {
	case ptr != "" && field != "":
		where = ptr + "/" + field
	case ptr != "":
		where = ptr
	case field != "":
		where = "/" + field
	}
	fix := "fix the value there"
	if kindOfGoType(want) == "a string" && (found == "int" || found == "float" || found == "bool") {
		fix = "quote the value there (for example openapi: \"3.0.3\")"
	}
	return fmt.Errorf("load spec %s:%s: not a valid OpenAPI document: %s is %s where OpenAPI expects %s; %s",
		name, line, where, kindOfYAMLTag(found), kindOfGoType(want), fix)
}

func kindOfYAMLTag(tag string) string {
	switch tag {
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	case "str":
		return "a string"
	case "int", "float":
		return "a number"
	case "bool":
		return "a boolean"
	case "null":
		return "null"
	}
	return "!!" + tag
}

// kindOfGoType says in OpenAPI terms what the decoder's Go type holds.
func kindOfGoType(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "a boolean"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint") || strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "[]"), t == "openapi3.Parameters", t == "openapi3.SchemaRefs",
		t == "openapi3.SecurityRequirements", t == "openapi3.Servers", t == "openapi3.Tags":
		return "a list"
	case t == "openapi3.T":
		return "a mapping (openapi, info, paths, ...)"
	}
	return "a mapping"
}

func checkVersion(v string, data []byte, name string) error {
	if v == "" {
		var probe struct {
			Swagger string `json:"swagger"`
		}
		_ = json.Unmarshal(data, &probe)
		if probe.Swagger != "" || bytes.Contains(data, []byte("swagger:")) {
			return fmt.Errorf("load spec %s: this is Swagger 2.0, not OpenAPI 3; convert it first (for example with swagger2openapi) and pass the result to --spec", name)
		}
		return fmt.Errorf("load spec %s: no top-level \"openapi\" field, so this is not an OpenAPI 3 document", name)
	}
	if strings.HasPrefix(v, "3.0.") || strings.HasPrefix(v, "3.1.") || v == "3.0" || v == "3.1" {
		return nil
	}
	line := findLine(data, v)
	where := name
	if line > 0 {
		where = fmt.Sprintf("%s:%d", name, line)
	}
	return fmt.Errorf("load spec %s: unsupported OpenAPI version %q; obpm reads 3.0.x and 3.1.x", where, v)
}

// findLine returns the 1-based line of the first occurrence of s in data, or 0.
func findLine(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 0
	}
	line, _ := lineCol(data, i)
	return line
}

func lineCol(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := off - bytes.LastIndexByte(before, '\n')
	return line, col
}
