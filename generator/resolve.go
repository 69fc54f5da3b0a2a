package generator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// The resolver turns a document as people publish it into one that
// kin-openapi loads: a single tree with no $ref to another file. Published
// specs put $refs where OpenAPI has none (Redocly-style descriptions, whole
// operations, tags, example values), point a requestBody at a response, or
// refer to parts that do not exist. kin-openapi refuses the whole document
// for any of these; the resolver instead
//   - inlines a $ref where OpenAPI allows none (the target's text or object),
//   - bundles a $ref to another file (or to a place that is not a component
//     of the right kind) into components/<kind>/<name>, so shared and
//     recursive schemas stay shared,
//   - converts a wrongly typed reference when its target is usable (a
//     response's content as a request body),
//   - and otherwise drops that one part with a warning naming its place.
//
// It reads every other file through the reference policy (refpolicy.go): files outside the
// spec's folder and URLs are read only when LoadOptions allow them, so a
// hostile spec can neither embed /etc/passwd in a shared collection nor make
// obpm fetch an internal URL. kin-openapi itself never reads anything: it gets
// the bundled document with external references disabled.

// kind is what OpenAPI expects at a place of the document.
type kind int

const (
	kDoc kind = iota
	kInfo
	kServer
	kServerVar
	kPaths
	kPathItem
	kOperation
	kParameter
	kHeader
	kRequestBody
	kContent
	kMediaType
	kEncoding
	kResponses
	kResponse
	kLink
	kCallback
	kExample
	kSecurityScheme
	kTag
	kExternalDocs
	kComponents
	kSchema
	kText  // a string: description, summary
	kValue // a literal: example values
)

var kindNames = map[kind]string{
	kDoc: "document", kInfo: "info", kServer: "server", kServerVar: "server variable", kPaths: "paths",
	kPathItem: "path item", kOperation: "operation", kParameter: "parameter", kHeader: "header",
	kRequestBody: "request body", kContent: "content", kMediaType: "media type", kEncoding: "encoding",
	kResponses: "responses", kResponse: "response", kLink: "link", kCallback: "callback", kExample: "example",
	kSecurityScheme: "security scheme", kTag: "tag", kExternalDocs: "external docs", kComponents: "components",
	kSchema: "schema", kText: "text", kValue: "value",
}

func (k kind) String() string { return kindNames[k] }

// section is the components section that holds kind k ("" when none: a $ref
// to such a thing is inlined).
func (k kind) section() string {
	switch k {
	case kSchema:
		return "schemas"
	case kResponse:
		return "responses"
	case kParameter:
		return "parameters"
	case kExample:
		return "examples"
	case kRequestBody:
		return "requestBodies"
	case kHeader:
		return "headers"
	case kSecurityScheme:
		return "securitySchemes"
	case kLink:
		return "links"
	case kCallback:
		return "callbacks"
	}
	return ""
}

var sectionKinds = map[string]kind{
	"schemas": kSchema, "responses": kResponse, "parameters": kParameter, "examples": kExample,
	"requestBodies": kRequestBody, "headers": kHeader, "securitySchemes": kSecurityScheme,
	"links": kLink, "callbacks": kCallback, "pathItems": kPathItem,
}

// srcFile is one file (or URL) of the document, parsed.
type srcFile struct {
	key     string // absolute path or URL; "" for the root of an in-memory document
	display string // as warnings name it: relative to the root's folder
	top     *yaml.Node
	err     error
}

// resolver is the state of one load (never shared).
type resolver struct {
	ctx      context.Context
	opts     LoadOptions
	rootDir  string // absolute; "" for an in-memory document
	root     *srcFile
	files    map[string]*srcFile
	warnings []Warning
	warned   map[string]bool
	comps    *yaml.Node                 // the root's components mapping (made on demand)
	bundled  map[string]string          // kind + target → local $ref
	used     map[string]map[string]bool // section → component names taken
	visiting map[string]bool            // targets being inlined (cycles)
	done     map[*yaml.Node]bool        // schema/component nodes already walked
	changed  bool                       // the tree differs from the root's bytes
	budget   int                        // nodes left to copy (maxLoadNodes)
	origin   map[*yaml.Node]*srcFile    // roots of subtrees from other files
	probing  bool                       // a probe (see probe): never bundles
	index    map[string]*yaml.Node      // see indexComponents; nil when the tree may change
}

// indexComponents lets resolve find a plain "#/components/<section>/<name>"
// of the root by a map lookup instead of a scan of the section (502 schemas
// in the synthetic spec: the scans were a fifth of a path item's walk). Only
// for a tree that no longer changes (the streamed document once walked,
// which probes only read); a $ref written any other way, or naming a key
// the index does not hold, takes resolve's path as before.
func (r *resolver) indexComponents() {
	r.index = map[string]*yaml.Node{}
	comps := entry(r.root.top, "components")
	if comps == nil || comps.Kind != yaml.MappingNode {
		return
	}
	each(comps, func(sk, _ *yaml.Node) {
		sec := sk.Value
		if isMerge(sk) || strings.ContainsAny(sec, "/~%") {
			return
		}
		sn := entry(comps, sec) // the first of a repeated key, as resolve takes it
		if sn == nil || sn.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(sn.Content); i += 2 {
			k := sn.Content[i]
			if isMerge(k) {
				continue
			}
			ref := "#/components/" + sec + "/" + pointerEscaper.Replace(k.Value)
			if _, dup := r.index[ref]; dup || strings.Contains(ref, "%") {
				continue
			}
			r.index[ref] = deref(sn.Content[i+1])
		}
	})
}

// probe is a copy of r that walks one path item on a worker goroutine
// while others walk theirs (stream.go): the walk of a document that
// streams changes and warns of nothing, so the copy is only asked whether
// that holds for the item. It reads the shared tree and writes only into
// maps of its own and into the item's nodes; where r would bundle a target
// into the shared components, the probe stops with changed set instead.
func (r *resolver) probe() *resolver {
	p := *r
	p.probing = true
	p.files = maps.Clone(r.files)
	p.warnings = nil
	p.warned = map[string]bool{}
	p.bundled = maps.Clone(r.bundled)
	p.used = nil // read and written by bundle only
	p.visiting = map[string]bool{}
	// A probe walks one path item, which meets only its own schemas, each
	// once (it has no aliases: scanNodes): no set of those done is kept.
	p.done = nil
	p.origin = maps.Clone(r.origin)
	p.changed = false
	return &p
}

func newResolver(ctx context.Context, top *yaml.Node, name string, opts LoadOptions) (*resolver, error) {
	r := &resolver{ctx: ctx, opts: opts, files: map[string]*srcFile{}, warned: map[string]bool{},
		bundled: map[string]string{}, used: map[string]map[string]bool{}, visiting: map[string]bool{},
		done: map[*yaml.Node]bool{}, origin: map[*yaml.Node]*srcFile{}, budget: maxLoadNodes}
	r.root = &srcFile{display: name, top: top}
	if name != "" {
		abs, err := filepath.Abs(name)
		if err != nil {
			return nil, fmt.Errorf("load spec %s: %w", name, err)
		}
		r.root.key = abs
		r.root.display = name
		r.rootDir = filepath.Dir(abs)
		if opts.Root != "" {
			if r.rootDir, err = filepath.Abs(opts.Root); err != nil {
				return nil, fmt.Errorf("load spec %s: %w", name, err)
			}
		}
		r.files[abs] = r.root
	} else {
		r.root.display = "<spec>"
	}
	if c := entry(top, "components"); c != nil && c.Kind == yaml.MappingNode {
		r.comps = c
		each(c, func(k, v *yaml.Node) {
			if v.Kind == yaml.MappingNode {
				names := map[string]bool{}
				each(v, func(nk, _ *yaml.Node) { names[nk.Value] = true })
				r.used[k.Value] = names
			}
		})
	}
	return r, nil
}

func (r *resolver) warn(place, msg string) {
	k := place + "\x00" + msg
	if r.warned[k] {
		return
	}
	r.warned[k] = true
	r.warnings = append(r.warnings, Warning{Place: place, Message: msg})
}

// where names a node's place for a warning: file:line and the JSON pointer.
func where(f *srcFile, n *yaml.Node, ptr string) string {
	s := f.display
	if n != nil && n.Line > 0 {
		s += ":" + strconv.Itoa(n.Line)
	}
	if ptr != "" {
		s += " " + ptr
	}
	return s
}

// ctxNode is a node's file and its place there, kept as a chain of keys
// and turned into a JSON pointer only for a warning (a large document has
// millions of nodes and few warnings).
type ctxNode struct {
	f   *srcFile
	up  *ctxNode
	key string
	abs string // a whole pointer, for a $ref's target
	// unnamed: the walk is a probe's, whose warnings only say that the
	// item cannot stream and are dropped, so no chain of keys is kept (it
	// was an allocation per field walked, a tenth of the probe). Nothing
	// but a warning reads a walked node's place: a $ref's target gets a
	// context of its own (resolve).
	unnamed bool
}

func (c ctxNode) child(key string) ctxNode {
	if c.unnamed {
		return ctxNode{f: c.f, key: key, unnamed: true}
	}
	return c.chain(key)
}

// chain is child's named case: c escapes, so it gets its own function, and
// an unnamed child allocates nothing.
func (c ctxNode) chain(key string) ctxNode {
	return ctxNode{f: c.f, up: &c, key: key}
}

// ptr is the JSON pointer of the node in its file.
func (c ctxNode) ptr() string {
	var keys []string
	base := ""
	for n := &c; n != nil; n = n.up {
		if n.up == nil && n.key == "" {
			base = n.abs
			break
		}
		keys = append(keys, n.key)
	}
	var b strings.Builder
	b.WriteString(base)
	for i := len(keys) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(keys[i]))
	}
	return b.String()
}

// pointerEscaper and pointerUnescaper are JSON pointer (RFC 6901) escaping;
// read-only after init.
var (
	pointerEscaper   = strings.NewReplacer("~", "~0", "/", "~1")
	pointerUnescaper = strings.NewReplacer("~1", "/", "~0", "~")
)

// resolve reads the node a $ref points at, relative to the file at.
func (r *resolver) resolve(at *srcFile, ref string) (*yaml.Node, ctxNode, error) {
	if at == r.root && r.index != nil {
		if n := r.index[ref]; n != nil {
			return n, ctxNode{f: at, abs: ref[1:]}, nil
		}
	}
	loc, frag, _ := strings.Cut(ref, "#")
	if loc == "" && (frag == "" || frag == "/") {
		return nil, ctxNode{}, errors.New("it names the whole document, which is no part of it")
	}
	f := at
	if loc != "" {
		var err error
		if f, err = r.file(at, loc, ref); err != nil {
			return nil, ctxNode{}, err
		}
	}
	if frag != "" {
		if unesc, err := url.PathUnescape(frag); err == nil {
			frag = unesc
		}
	}
	if frag != "" && !strings.HasPrefix(frag, "/") {
		return nil, ctxNode{}, fmt.Errorf("the fragment %q is not a JSON pointer (#/…)", frag)
	}
	n := f.top
	for _, seg := range strings.Split(frag, "/")[1:] {
		seg = pointerUnescaper.Replace(seg)
		n = deref(n)
		switch {
		case n != nil && n.Kind == yaml.MappingNode:
			n = entry(n, seg)
		case n != nil && n.Kind == yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Content) {
				n = nil
			} else {
				n = n.Content[i]
			}
		default:
			n = nil
		}
		if n == nil {
			return nil, ctxNode{}, fmt.Errorf("%s has nothing at %s", f.display, frag)
		}
	}
	if n == nil {
		return nil, ctxNode{}, fmt.Errorf("%s is empty", f.display)
	}
	return deref(n), ctxNode{f: f, abs: frag}, nil
}

// deref follows YAML aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// refOf is the $ref string of mapping n ("", false when it has none).
func refOf(n *yaml.Node) (string, bool) {
	v := entry(n, "$ref")
	if v == nil {
		return "", false
	}
	if v.Kind != yaml.ScalarNode {
		return "", true
	}
	return v.Value, true
}

// maxLoadNodes bounds what one load may copy or write out: YAML aliases let a
// few lines stand for billions of nodes ("billion laughs"), and both
// inlining and nodeJSON expand them.
const maxLoadNodes = 10_000_000

// clone copies a node tree (aliases resolved); nil when the copy would
// exceed the budget (counted across the load).
func clone(n *yaml.Node, budget *int) *yaml.Node {
	return cloneDepth(n, 0, budget)
}

func cloneDepth(n *yaml.Node, depth int, budget *int) *yaml.Node {
	n = deref(n)
	if n == nil || *budget <= 0 {
		return nil
	}
	*budget--
	c := *n
	c.Alias, c.Anchor = nil, ""
	if len(n.Content) > 0 && depth < maxJSONDepth {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, x := range n.Content {
			if c.Content[i] = cloneDepth(x, depth+1, budget); c.Content[i] == nil {
				return nil
			}
		}
	}
	return &c
}

// walk processes node n of kind k read from c; it returns false when the
// node must be dropped from its parent.
func (r *resolver) walk(n *yaml.Node, k kind, c ctxNode) bool {
	if n == nil {
		return false
	}
	// An alias is walked where its anchor is: both places are in one file,
	// so what the walk rewrites there holds for both.
	n = deref(n)
	if err := r.ctx.Err(); err != nil {
		return true
	}
	if n.Kind == yaml.MappingNode {
		if ref, ok := refOf(n); ok {
			return r.walkRef(n, ref, k, c)
		}
	}
	switch k {
	case kText, kValue:
		if k == kValue {
			return r.walkValue(n, c, 0)
		}
		return true
	case kSchema:
		if r.done != nil {
			if r.done[n] {
				return true
			}
			r.done[n] = true
		}
		r.walkSchema(n, c)
		return true
	}
	if n.Kind != yaml.MappingNode {
		return true // kin-openapi names the wrongly typed value
	}
	fields := fieldKinds(k)
	switch k {
	case kPaths, kCallback:
		r.walkMap(n, kPathItem, c, true)
		return true
	case kResponses:
		r.walkMap(n, kResponse, c, true)
		return true
	case kContent:
		r.walkMap(n, kMediaType, c, true)
		return true
	case kComponents:
		each(n, func(key, v *yaml.Node) {
			if sk, ok := sectionKinds[key.Value]; ok && v.Kind == yaml.MappingNode {
				r.walkMap(v, sk, c.child(key.Value), false)
			}
		})
		return true
	}
	r.walkFields(n, fields, c)
	return true
}

// walkFields walks the fields of mapping n by the kinds fields gives; a
// field whose value must be dropped is removed.
func (r *resolver) walkFields(n *yaml.Node, fields func(string) (kind, shape, bool), c ctxNode) {
	out := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, v := n.Content[i], n.Content[i+1]
		keep := true
		if isMerge(key) {
			for _, m := range mergedMaps(v) {
				r.walkFields(m, fields, c)
			}
		} else if fk, sh, ok := fields(key.Value); ok {
			cc := c.child(key.Value)
			if bad := badShape(deref(v), fk, sh); bad != "" {
				r.warn(where(c.f, key, cc.ptr()), "is "+bad+"; left out")
				r.changed = true
				continue
			}
			switch sh {
			case one:
				keep = r.walk(v, fk, cc)
			case list:
				r.walkList(v, fk, cc)
			case mapOf:
				r.walkMap(v, fk, cc, false)
			}
		}
		if keep {
			out = append(out, key, v)
		} else {
			r.changed = true
		}
	}
	n.Content = out
}

func (r *resolver) walkList(n *yaml.Node, k kind, c ctxNode) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		if n.Kind == yaml.MappingNode {
			if ref, ok := refOf(n); ok {
				// A $ref where a list belongs: the list is elsewhere.
				tc, key, ok := r.replace(n, ref, kValue, c)
				if !ok || n.Kind != yaml.SequenceNode {
					if ok {
						r.warn(where(c.f, n, c.ptr()), fmt.Sprintf("$ref %q points at a %s where a list belongs; left out", ref, kindOfNode(n)))
					}
					n.Kind, n.Content, n.Tag = yaml.SequenceNode, nil, "!!seq"
					return
				}
				r.visiting[key] = true
				defer delete(r.visiting, key)
				r.walkList(n, k, tc)
			}
		}
		return
	}
	out := n.Content[:0]
	for i, v := range n.Content {
		if r.walk(v, k, c.child(strconv.Itoa(i))) {
			out = append(out, v)
		} else {
			r.changed = true
		}
	}
	n.Content = out
}

// walkMap walks every value of mapping n as kind k; extension keys (x-…) are
// left alone when skipExt.
func (r *resolver) walkMap(n *yaml.Node, k kind, c ctxNode, skipExt bool) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return
	}
	if ref, ok := refOf(n); ok {
		// A $ref where a map belongs (properties, responses, headers…).
		tc, key, ok := r.replace(n, ref, kValue, c)
		if !ok || n.Kind != yaml.MappingNode {
			if ok {
				r.warn(where(c.f, n, c.ptr()), fmt.Sprintf("$ref %q points at a %s where a mapping belongs; left out", ref, kindOfNode(n)))
			}
			n.Kind, n.Content, n.Tag = yaml.MappingNode, nil, "!!map"
			return
		}
		r.visiting[key] = true
		defer delete(r.visiting, key)
		c = tc
	}
	out := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, v := n.Content[i], n.Content[i+1]
		if skipExt && strings.HasPrefix(key.Value, "x-") {
			out = append(out, key, v)
			continue
		}
		if isMerge(key) {
			for _, m := range mergedMaps(v) {
				r.walkMap(m, k, c, skipExt)
			}
			out = append(out, key, v)
			continue
		}
		if r.walk(v, k, c.child(key.Value)) {
			out = append(out, key, v)
		} else {
			r.changed = true
		}
	}
	n.Content = out
}

type shape int

// badShape says what is wrong with v at a field of kind k and shape sh
// ("a number where OpenAPI expects a list"), or "" when it can be used.
// Nulls are left to kin-openapi, which reads them as absent.
func badShape(v *yaml.Node, k kind, sh shape) string {
	if v == nil || v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
		return ""
	}
	_, isRef := refOf(v)
	want, ok := "", true
	switch {
	case sh == list:
		want, ok = "a list", v.Kind == yaml.SequenceNode || isRef
	case sh == mapOf:
		want, ok = "a mapping", v.Kind == yaml.MappingNode
	case k == kText:
		want, ok = "text", v.Kind == yaml.ScalarNode || isRef
	case k == kValue:
	case k == kSchema:
		want, ok = "a schema", v.Kind == yaml.MappingNode || v.ShortTag() == "!!bool"
	default:
		want, ok = "a mapping", v.Kind == yaml.MappingNode
	}
	if ok {
		return ""
	}
	return kindOfYAMLTag(strings.TrimPrefix(v.ShortTag(), "!!")) + " where OpenAPI expects " + want
}

const (
	one shape = iota
	list
	mapOf
)

// fieldKinds says what each field of a kind holds (the fields that can carry
// a $ref or lead to one).
func fieldKinds(k kind) func(string) (kind, shape, bool) {
	text := func(f string) bool { return f == "description" || f == "summary" }
	return func(f string) (kind, shape, bool) {
		if strings.HasPrefix(f, "x-") {
			return 0, 0, false
		}
		switch k {
		case kDoc:
			switch f {
			case "info":
				return kInfo, one, true
			case "servers":
				return kServer, list, true
			case "paths":
				return kPaths, one, true
			case "webhooks":
				return kPathItem, mapOf, true
			case "components":
				return kComponents, one, true
			case "tags":
				return kTag, list, true
			case "externalDocs":
				return kExternalDocs, one, true
			}
		case kInfo, kExternalDocs, kLink, kSecurityScheme, kServerVar:
			if text(f) {
				return kText, one, true
			}
		case kServer:
			if f == "variables" {
				return kServerVar, mapOf, true
			}
			if text(f) {
				return kText, one, true
			}
		case kTag:
			if f == "externalDocs" {
				return kExternalDocs, one, true
			}
			if text(f) {
				return kText, one, true
			}
		case kPathItem:
			if indexOf(httpMethods(), f) >= 0 {
				return kOperation, one, true
			}
			switch f {
			case "parameters":
				return kParameter, list, true
			case "servers":
				return kServer, list, true
			}
			if text(f) {
				return kText, one, true
			}
		case kOperation:
			switch f {
			case "parameters":
				return kParameter, list, true
			case "requestBody":
				return kRequestBody, one, true
			case "responses":
				return kResponses, one, true
			case "callbacks":
				return kCallback, mapOf, true
			case "servers":
				return kServer, list, true
			case "externalDocs":
				return kExternalDocs, one, true
			}
			if text(f) {
				return kText, one, true
			}
		case kParameter, kHeader:
			switch f {
			case "schema":
				return kSchema, one, true
			case "content":
				return kContent, one, true
			case "examples":
				return kExample, mapOf, true
			case "example":
				return kValue, one, true
			}
			if text(f) {
				return kText, one, true
			}
		case kRequestBody:
			if f == "content" {
				return kContent, one, true
			}
			if text(f) {
				return kText, one, true
			}
		case kMediaType:
			switch f {
			case "schema":
				return kSchema, one, true
			case "example":
				return kValue, one, true
			case "examples":
				return kExample, mapOf, true
			case "encoding":
				return kEncoding, mapOf, true
			}
		case kEncoding:
			if f == "headers" {
				return kHeader, mapOf, true
			}
		case kResponse:
			switch f {
			case "headers":
				return kHeader, mapOf, true
			case "content":
				return kContent, one, true
			case "links":
				return kLink, mapOf, true
			}
			if text(f) {
				return kText, one, true
			}
		case kExample:
			if f == "value" {
				return kValue, one, true
			}
			if text(f) {
				return kText, one, true
			}
		}
		return 0, 0, false
	}
}

// walkSchema walks the places of a schema that hold schemas or references.
func (r *resolver) walkSchema(n *yaml.Node, c ctxNode) {
	if n.Kind != yaml.MappingNode {
		return
	}
	out := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, v := n.Content[i], n.Content[i+1]
		cc := c.child(key.Value)
		keep := true
		if isMerge(key) {
			for _, m := range mergedMaps(v) {
				r.walkSchema(m, c)
			}
		}
		switch key.Value {
		case "properties", "patternProperties", "$defs", "definitions", "dependentSchemas":
			r.walkMap(v, kSchema, cc, false)
		case "items":
			if deref(v).Kind == yaml.SequenceNode {
				r.walkList(v, kSchema, cc)
			} else {
				keep = r.walk(v, kSchema, cc)
			}
		case "additionalProperties", "additionalItems", "not", "contains", "if", "then", "else",
			"propertyNames", "unevaluatedProperties", "unevaluatedItems", "contentSchema":
			if deref(v).Kind == yaml.MappingNode {
				keep = r.walk(v, kSchema, cc)
			}
		case "allOf", "anyOf", "oneOf", "prefixItems":
			r.walkList(v, kSchema, cc)
		case "description", "title":
			keep = r.walk(v, kText, cc)
		case "discriminator":
			r.walkMapping(entry(deref(v), "mapping"), cc.child("mapping"))
		}
		if keep {
			out = append(out, key, v)
		} else {
			r.changed = true
		}
	}
	n.Content = out
}

// walkMapping rewrites a discriminator's mapping values, which are $refs as
// plain strings ("#/components/schemas/Cat", "Cat.yaml", or a bare name).
func (r *resolver) walkMapping(n *yaml.Node, c ctxNode) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	out := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, v := n.Content[i], n.Content[i+1]
		keep := true
		if v.Kind == yaml.ScalarNode && (strings.Contains(v.Value, "#") || strings.Contains(v.Value, "/") || strings.Contains(v.Value, ".")) {
			local, ok := r.refTo(v.Value, kSchema, c.child(key.Value), v)
			if ok {
				if v.Value != local {
					v.Value, r.changed = local, true
				}
			} else {
				keep = false
			}
		}
		if keep {
			out = append(out, key, v)
		} else {
			r.changed = true
		}
	}
	n.Content = out
}

// walkValue resolves {$ref: …} objects inside a literal value (published
// specs put examples in other files that way).
func (r *resolver) walkValue(n *yaml.Node, c ctxNode, depth int) bool {
	if depth > 64 {
		return true
	}
	switch n.Kind {
	case yaml.MappingNode:
		if ref, ok := refOf(n); ok && len(n.Content) == 2 {
			return r.inline(n, ref, kValue, c)
		}
		out := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			if r.walkValue(n.Content[i+1], c.child(n.Content[i].Value), depth+1) {
				out = append(out, n.Content[i], n.Content[i+1])
			} else {
				r.changed = true
			}
		}
		n.Content = out
	case yaml.SequenceNode:
		out := n.Content[:0]
		for i, v := range n.Content {
			if r.walkValue(v, c.child(strconv.Itoa(i)), depth+1) {
				out = append(out, v)
			} else {
				r.changed = true
			}
		}
		n.Content = out
	}
	return true
}

// walkRef handles mapping n holding a $ref at a place of kind k.
func (r *resolver) walkRef(n *yaml.Node, ref string, k kind, c ctxNode) bool {
	if k.section() == "" {
		return r.inline(n, ref, k, c)
	}
	refNode := entry(n, "$ref")
	local, ok := r.refTo(ref, k, c, refNode)
	if !ok {
		return false
	}
	if local != ref {
		refNode.Value, refNode.Tag, refNode.Style = local, "!!str", 0
		r.changed = true
	}
	return true
}

// refTo gives the root-local $ref for ref (read in c.f) at a place of kind
// k, bundling its target into components when needed; false (with a warning)
// when the target cannot be used. refNode is where the reference is written.
func (r *resolver) refTo(ref string, k kind, c ctxNode, refNode *yaml.Node) (string, bool) {
	// The place is named only for a warning: building the pointer for
	// every $ref cost a tenth of a large document's walk.
	place := func() string { return where(c.f, refNode, c.ptr()) }
	target, tc, err := r.resolve(c.f, ref)
	if err != nil {
		r.warn(place(), fmt.Sprintf("$ref %q: %v; this %s is skipped", ref, err, k))
		return "", false
	}
	tk, name := kindAt(tc.ptr())
	if chain := r.refCycle(target, tc); chain != "" {
		r.warn(place(), fmt.Sprintf("$ref %q leads to a cycle of references with nothing else in it (%s); this %s is skipped", ref, chain, k))
		return "", false
	}
	if tc.f == r.root && tk == k && name != "" {
		return "#" + tc.ptr(), true // a component of the right kind: kin-openapi resolves it
	}
	if tk != k && tk != kValue {
		conv := convert(target, tk, k, &r.budget)
		if conv == nil {
			r.warn(place(), fmt.Sprintf("$ref %q points at a %s where a %s belongs; this %s is skipped", ref, tk, k, k))
			return "", false
		}
		r.warn(place(), fmt.Sprintf("$ref %q points at a %s where a %s belongs; its content is used", ref, tk, k))
		key := k.String() + "\x00" + tc.f.key + "#" + tc.ptr()
		if local, ok := r.bundled[key]; ok {
			return local, true
		}
		if r.probing {
			r.changed = true // the answer is known; the shared tree stays as it is
			return "", false
		}
		return r.bundle(key, k, conv, tc, name), true
	}
	key := k.String() + "\x00" + tc.f.key + "#" + tc.ptr()
	if local, ok := r.bundled[key]; ok {
		return local, true
	}
	if r.probing {
		r.changed = true
		return "", false
	}
	cp := clone(target, &r.budget)
	if cp == nil {
		r.warn(place(), fmt.Sprintf("$ref %q: the document expands beyond %d nodes (YAML aliases?); this %s is skipped", ref, maxLoadNodes, k))
		return "", false
	}
	return r.bundle(key, k, cp, tc, name), true
}

// refCycle follows target while it is nothing but a $ref; when that comes
// back to a place it passed, it returns the chain ("A → B → A"), else "".
func (r *resolver) refCycle(target *yaml.Node, tc ctxNode) string {
	if _, ok := refOf(target); !ok || len(target.Content) != 2 {
		return "" // the common case: a real object
	}
	seen := map[string]bool{tc.f.key + "#" + tc.ptr(): true}
	chain := []string{tc.ptr()}
	n, c := target, tc
	for i := 0; i < 64; i++ {
		ref, ok := refOf(n)
		if !ok || n.Kind != yaml.MappingNode || len(n.Content) != 2 {
			return ""
		}
		next, nc, err := r.resolve(c.f, ref)
		if err != nil {
			return ""
		}
		key := nc.f.key + "#" + nc.ptr()
		chain = append(chain, nc.ptr())
		if seen[key] {
			return strings.Join(chain, " → ")
		}
		seen[key] = true
		n, c = next, nc
	}
	return ""
}

// bundle adds node (a copy of the target tc, kind k) to the root's components
// and walks it where it was read; it returns the new local $ref.
func (r *resolver) bundle(key string, k kind, node *yaml.Node, tc ctxNode, name string) string {
	sec := k.section()
	if name == "" {
		name = nameFor(tc)
	}
	if r.used[sec] == nil {
		r.used[sec] = map[string]bool{}
	}
	base := name
	for i := 2; r.used[sec][name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	r.used[sec][name] = true
	local := "#/components/" + sec + "/" + pointerEscaper.Replace(name)
	r.bundled[key] = local
	if r.comps == nil {
		r.comps = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		r.root.top.Content = append(r.root.top.Content, scalar("components"), r.comps)
	}
	secNode := entry(r.comps, sec)
	if secNode == nil || secNode.Kind != yaml.MappingNode {
		secNode = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		r.comps.Content = append(r.comps.Content, scalar(sec), secNode)
	}
	secNode.Content = append(secNode.Content, scalar(name), node)
	r.changed = true
	if tc.f != r.root {
		r.origin[node] = tc.f
	}
	if !r.walk(node, k, tc) {
		// Its own $ref failed (warned); an empty object keeps the references valid.
		*node = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	return local
}

// inline replaces mapping n (a $ref at a place of kind k, where OpenAPI has
// no reference) by its target, then walks it there; false drops it.
func (r *resolver) inline(n *yaml.Node, ref string, k kind, c ctxNode) bool {
	tc, key, ok := r.replace(n, ref, k, c)
	if !ok {
		return false
	}
	r.visiting[key] = true
	defer delete(r.visiting, key)
	return r.walk(n, k, tc)
}

// replace puts a copy of the target of ref (read in c) in place of mapping
// n, with n's other fields over it; it returns where the target was read
// and its key for cycle checks, or false (warned) when it cannot.
func (r *resolver) replace(n *yaml.Node, ref string, k kind, c ctxNode) (ctxNode, string, bool) {
	refNode := entry(n, "$ref")
	place := func() string { return where(c.f, refNode, c.ptr()) } // for a warning only
	if refNode.Kind != yaml.ScalarNode {
		r.warn(place(), "$ref is not a string; this "+k.String()+" is skipped")
		return ctxNode{}, "", false
	}
	target, tc, err := r.resolve(c.f, ref)
	if err != nil {
		r.warn(place(), fmt.Sprintf("$ref %q: %v; this %s is skipped", ref, err, k))
		return ctxNode{}, "", false
	}
	key := tc.f.key + "#" + tc.ptr()
	if r.visiting[key] {
		r.warn(place(), fmt.Sprintf("$ref %q refers back to itself (a cycle where OpenAPI has no references); this %s is skipped", ref, k))
		return ctxNode{}, "", false
	}
	if k == kText && target.Kind != yaml.ScalarNode {
		r.warn(place(), fmt.Sprintf("$ref %q points at a %s, not text; this %s is skipped", ref, kindOfNode(target), c.ptr()))
		return ctxNode{}, "", false
	}
	if tk, _ := kindAt(tc.ptr()); tk != kValue && k != kValue && tk != k {
		conv := convert(target, tk, k, &r.budget)
		if conv == nil {
			r.warn(place(), fmt.Sprintf("$ref %q points at a %s where a %s belongs; this %s is skipped", ref, tk, k, k))
			return ctxNode{}, "", false
		}
		target = conv
	}
	cp := clone(target, &r.budget)
	if cp == nil {
		r.warn(place(), fmt.Sprintf("$ref %q: the document expands beyond %d nodes (YAML aliases?); this %s is skipped", ref, maxLoadNodes, k))
		return ctxNode{}, "", false
	}
	// Fields beside the $ref win over the target's (OpenAPI 3.1, Redocly).
	if cp.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if kk := n.Content[i].Value; kk != "$ref" {
				setEntry(cp, kk, n.Content[i+1])
			}
		}
	}
	*n = *cp
	r.changed = true
	if tc.f != r.root {
		r.origin[n] = tc.f
	}
	return tc, key, true
}

func kindOfNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// kindAt is the kind a pointer's place holds when it names a component
// ("/components/responses/X" → response, "X"), else kValue and "".
func kindAt(ptr string) (kind, string) {
	segs := strings.Split(ptr, "/")
	if len(segs) == 4 && segs[0] == "" && segs[1] == "components" {
		if k, ok := sectionKinds[segs[2]]; ok {
			return k, pointerUnescaper.Replace(segs[3])
		}
	}
	return kValue, ""
}

// convert turns target (a from) into a usable to, or nil: a response's or
// request body's content serves the other, a parameter serves as a header.
func convert(target *yaml.Node, from, to kind, budget *int) *yaml.Node {
	if target.Kind != yaml.MappingNode {
		return nil
	}
	if _, isRef := refOf(target); isRef {
		return nil // a chain of wrongly typed references: not worth guessing
	}
	pick := func(keys ...string) *yaml.Node {
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range keys {
			if v := entry(target, k); v != nil {
				out.Content = append(out.Content, scalar(k), cloneDepth(v, 0, budget))
			}
		}
		return out
	}
	switch {
	case from == kResponse && to == kRequestBody:
		if entry(target, "content") == nil {
			return nil
		}
		return pick("description", "content")
	case from == kRequestBody && to == kResponse:
		out := pick("description", "content")
		if entry(out, "description") == nil {
			setEntry(out, "description", scalar(""))
		}
		return out
	case from == kParameter && to == kHeader:
		return pick("description", "required", "deprecated", "schema", "content", "example", "examples", "style", "explode")
	}
	return nil
}

// nameFor names a bundled component after its target: the last pointer
// segment, else the file's base name.
func nameFor(tc ctxNode) string {
	if i := strings.LastIndex(tc.ptr(), "/"); i >= 0 && i+1 < len(tc.ptr()) {
		return cleanComponentName(pointerUnescaper.Replace(tc.ptr()[i+1:]))
	}
	base := path.Base(filepath.ToSlash(tc.f.key))
	if i := strings.IndexByte(base, '?'); i >= 0 {
		base = base[:i]
	}
	return cleanComponentName(strings.TrimSuffix(base, path.Ext(base)))
}

// cleanComponentName keeps what OpenAPI allows in a component name.
func cleanComponentName(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c < 128 && (c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "ref"
	}
	return b.String()
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// setEntry sets key in mapping n to v.
func setEntry(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, scalar(key), v)
}
