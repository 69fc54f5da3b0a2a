package generator

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	postman "github.com/rbretecher/go-postman-collection"
)

// operation is one path+method of the document with its place and order.
type operation struct {
	path, method string
	item         *openapi3.PathItem
	op           *openapi3.Operation
	line         int64  // docPos of its key
	place        string // "paths./pets.post"
	key          string // operationId, else "METHOD path": the seed of its ids
}

// builder carries the state of one Generate call (never shared).
type builder struct {
	doc            *openapi3.T
	opts           Options
	tmpl           *scriptTemplates
	warnings       []Warning
	warned         map[string]bool
	varExamples    map[string]string // variable → first example value in the spec
	schemes        map[string]*scheme
	schemeOrder    []*scheme
	oauthURLs      map[string]string // "token_url <url>" → variable
	oauthURLValues map[string]string // variable → URL
	manual         map[string]string
	props          map[*openapi3.Schema][]namedSchema // see builder.properties
	schemaJSON     map[*openapi3.Schema]string        // see builder.responseSchema
	events         int
	nodes          int                                   // sample size so far (see maxNodes)
	strBytes       int                                   // long-string bytes of the sample so far (see maxSampleBytes)
	merged         map[*openapi3.Schema]*openapi3.Schema // see builder.mergedAllOf
	exampleOK      map[exampleKey]bool                   // see builder.validSchemaValue
	optIn          map[string]bool                       // variables named by x-obpm-variable (see builder.neutral)
	obpm           bool                                  // Open Banking parts apply (applies.go)
	reuse          reuse                                 // see reuse.go
	// keep, when set (stream.go), holds the schemas the caches above
	// (props, schemaJSON, merged, exampleOK) may keep across path items;
	// fresh lists the others they hold now, dropped after each item.
	keep  map[*openapi3.Schema]bool
	fresh []*openapi3.Schema
}

// cached notes that a cache now holds an entry for s (see builder.keep).
func (b *builder) cached(s *openapi3.Schema) {
	if b.keep != nil && !b.keep[s] {
		b.fresh = append(b.fresh, s)
	}
}

func (b *builder) warn(place, msg string) {
	b.reuse.warnCalls++
	k := place + "\x00" + msg
	if b.warned[k] {
		return
	}
	b.warned[k] = true
	b.warnings = append(b.warnings, Warning{Place: place, Message: msg})
}

// httpMethods lists the OpenAPI 3.0/3.1 operation fields of a path item, in
// the order requests of one path are written.
func httpMethods() []string {
	return []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
}

// eachOperation calls fn for every operation of a path item map (webhooks,
// callbacks, paths) in key order, then method order.
func eachOperation(keys []string, value func(string) *openapi3.PathItem, fn func(key, method string, item *openapi3.PathItem, op *openapi3.Operation)) {
	methods := httpMethods()
	for _, k := range keys {
		item := value(k)
		if item == nil {
			continue
		}
		for _, m := range methods {
			if op := item.GetOperation(strings.ToUpper(m)); op != nil {
				fn(k, m, item, op)
			}
		}
	}
}

// operations lists the document's operations in document order (origin
// lines), with path and method as the tie-break.
func (b *builder) operations() []*operation {
	if b.doc.Paths == nil {
		return nil
	}
	return sortedOperations(b.doc.Paths.Keys(), b.doc.Paths.Value)
}

// sortedOperations lists the operations of the path items keys names in
// document order (operations does it for the whole document, stream.go for
// one path item).
func sortedOperations(keys []string, value func(string) *openapi3.PathItem) []*operation {
	var ops []*operation
	eachOperation(keys, value, func(path, m string, item *openapi3.PathItem, op *openapi3.Operation) {
		o := &operation{path: path, method: m, item: item, op: op, place: "paths." + path + "." + m}
		if op.Origin != nil && op.Origin.Key != nil {
			o.line = docPos(op.Origin.Key)
		}
		o.key = op.OperationID
		if o.key == "" {
			o.key = strings.ToUpper(m) + " " + path
		}
		ops = append(ops, o)
	})
	methods := httpMethods()
	sort.SliceStable(ops, func(i, j int) bool {
		a, c := ops[i], ops[j]
		if a.line != c.line {
			return a.line < c.line
		}
		if a.path != c.path {
			return a.path < c.path
		}
		return indexOf(methods, a.method) < indexOf(methods, c.method)
	})
	return ops
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

var versionSeg = regexp.MustCompile(`^v\d+(\.\d+)*$`)

// folderOf names the folder of an operation ("" = collection root).
func (b *builder) folderOf(o *operation) string {
	if b.opts.Folders == FoldersByPath {
		for _, seg := range strings.Split(strings.Trim(o.path, "/"), "/") {
			if seg != "" && !versionSeg.MatchString(seg) && !strings.Contains(seg, "{") {
				return seg
			}
		}
		return ""
	}
	if len(o.op.Tags) > 0 {
		if len(o.op.Tags) > 1 {
			b.warn(o.place+".tags", fmt.Sprintf("operation has %d tags; placed in the first folder, %q", len(o.op.Tags), o.op.Tags[0]))
		}
		return o.op.Tags[0]
	}
	return ""
}

// Generate builds the Postman collection and environments for doc. It does
// not change doc.
func Generate(doc *openapi3.T, opts Options) (*Result, error) {
	if doc == nil {
		return nil, errors.New("generate: no OpenAPI document")
	}
	b, err := newBuilder(doc, opts)
	if err != nil {
		return nil, err
	}
	items, folders, requests, err := b.collectionItems()
	if err != nil {
		return nil, err
	}
	return b.finish(items, folders, requests, marshalCollection)
}

// newBuilder checks opts and reads the templates.
func newBuilder(doc *openapi3.T, opts Options) (*builder, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	tmpl, err := loadTemplates(opts.Templates)
	if err != nil {
		return nil, err
	}
	b := &builder{
		doc: doc, opts: opts, tmpl: tmpl,
		warned: map[string]bool{}, varExamples: map[string]string{}, schemes: map[string]*scheme{},
		oauthURLs: map[string]string{}, oauthURLValues: map[string]string{},
		manual: map[string]string{}, props: map[*openapi3.Schema][]namedSchema{}, schemaJSON: map[*openapi3.Schema]string{},
		exampleOK: map[exampleKey]bool{}, optIn: map[string]bool{}, merged: map[*openapi3.Schema]*openapi3.Schema{},
	}
	b.obpm = opts.OpenBanking || usesObpm(doc)
	b.mapSchemes()
	return b, nil
}

// finish writes the collection around its items (folders and requests, as
// collectionItems gives them) with marshal, and the environments.
func (b *builder) finish(items []*postman.Items, folders, requests int, marshal func(*postman.Collection, string) ([]byte, error)) (*Result, error) {
	name, stem := collectionNames(b.doc, b.opts)
	col := &postman.Collection{Info: postman.Info{Name: name}, Items: items}
	if b.doc.Info != nil {
		col.Info.Version = b.doc.Info.Version
	}
	res := &Result{}
	res.Counts.Folders, res.Counts.Requests = folders, requests
	res.Webhooks = b.webhooks()
	res.Counts.Webhooks = len(res.Webhooks)
	col.Info.Description = postman.Description{Content: b.collectionDescription(res.Webhooks), Type: "text/markdown"}

	pre, err := render(b.tmpl.collectionPre, collectionScriptData{Manual: b.manual, TokenKinds: b.tokenKinds(), Stamp: b.obpm})
	if err != nil {
		return nil, err
	}
	col.Events = []*postman.Event{postman.CreateEvent(postman.PreRequest, pre)}
	b.events++
	col.Variables = collectionVariables(b.obpm)

	colJSON, err := marshal(col, stableID("collection:"+name))
	if err != nil {
		return nil, fmt.Errorf("generate: write collection: %w", err)
	}
	res.Files = append(res.Files, File{Name: stem + ".postman_collection.json", Data: colJSON})

	envs, err := b.environments(name, usedVariables(colJSON))
	if err != nil {
		return nil, err
	}
	for _, e := range envs {
		res.Files = append(res.Files, File{Name: stem + "." + e.envName + ".postman_environment.json", Data: e.data})
	}
	res.Counts.Environments = len(envs)
	res.Counts.Events = b.events
	res.Warnings = b.warnings
	return res, nil
}

// withDefaults fills the zero fields of opts and checks the folder mode.
func (opts Options) withDefaults() (Options, error) {
	if opts.Folders == "" {
		opts.Folders = FoldersByTag
	}
	if opts.Folders != FoldersByTag && opts.Folders != FoldersByPath {
		return opts, fmt.Errorf("generate: folders must be %q or %q, not %q", FoldersByTag, FoldersByPath, opts.Folders)
	}
	if opts.SandboxURL == "" {
		opts.SandboxURL = DefaultSandboxURL
	}
	if opts.HelperURL == "" {
		opts.HelperURL = DefaultHelperURL
	}
	return opts, nil
}

// collectionNames gives the collection's name (Options.Name, else the
// document's title) and the stem of the file names.
func collectionNames(doc *openapi3.T, opts Options) (name, stem string) {
	name = opts.Name
	if name == "" && doc.Info != nil {
		name = strings.TrimSpace(doc.Info.Title)
	}
	if name == "" {
		name = "OpenAPI"
	}
	if stem = slug(opts.FileStem); stem == "" {
		stem = slug(name)
	}
	if stem == "" {
		stem = "collection"
	}
	return name, stem
}

// collectionItems builds every request and groups them: folders first, in
// the document's tag order (then tags met only on operations), then the
// requests without a folder.
func (b *builder) collectionItems() (items []*postman.Items, folderCount, requests int, err error) {
	folders := map[string]*postman.Items{}
	var folderOrder []string
	addFolder := func(tag string) *postman.Items {
		if f, ok := folders[tag]; ok {
			return f
		}
		f := &postman.Items{Name: tag, Items: []*postman.Items{}}
		folders[tag] = f
		folderOrder = append(folderOrder, tag)
		return f
	}
	ops := b.operations()
	if len(ops) == 0 {
		b.warn("paths", "the document has no operations; the collection is empty")
	}
	tagDesc := map[string]string{}
	if b.opts.Folders == FoldersByTag {
		used := map[string]bool{}
		for _, o := range ops {
			if len(o.op.Tags) > 0 {
				used[o.op.Tags[0]] = true
			}
		}
		for _, t := range b.doc.Tags {
			if t != nil {
				tagDesc[t.Name] = t.Description
				if used[t.Name] {
					addFolder(t.Name)
				}
			}
		}
	}
	var root []*postman.Items
	for _, o := range ops {
		its, err := b.items(o)
		if err != nil {
			return nil, 0, 0, err
		}
		requests += len(its)
		if f := b.folderOf(o); f != "" {
			folder := addFolder(f)
			folder.Description = tagDesc[f]
			folder.Items = append(folder.Items, its...)
		} else {
			root = append(root, its...)
		}
	}
	for _, f := range folderOrder {
		items = append(items, folders[f])
	}
	return append(items, root...), len(folderOrder), requests, nil
}

// items builds the request(s) of one operation: one per named request-body
// example when x-obpm-split-examples is true, else one.
func (b *builder) items(o *operation) ([]*postman.Items, error) {
	name := requestName(o)
	var variants []*namedExample
	if split, _ := o.op.Extensions["x-obpm-split-examples"].(bool); split {
		if o.op.RequestBody != nil && o.op.RequestBody.Value != nil {
			if c := sortedContent(o.op.RequestBody.Value.Content); len(c) > 0 {
				for _, ex := range sortedExamples(c[0].media.Examples) {
					variants = append(variants, &ex)
				}
			}
		}
		if len(variants) == 0 {
			b.warn(o.place, "x-obpm-split-examples is set but the request body has no named examples; one request generated")
		}
	}
	if len(variants) == 0 {
		variants = []*namedExample{nil}
	}
	b.warnUnrepresented(o)
	var out []*postman.Items
	for _, ex := range variants {
		itemName, seed := name, o.key
		if ex != nil {
			label := strings.TrimSpace(ex.ex.Summary)
			if label == "" {
				label = ex.key
			}
			itemName = name + " — " + label
			seed = o.key + "#" + ex.key
		}
		id := stableID("request:" + seed)
		req := b.request(o, ex)
		test, err := b.testScript(o, itemName)
		if err != nil {
			return nil, err
		}
		item := &postman.Items{Name: itemName, ID: id, Request: req, Events: []*postman.Event{postman.CreateEvent(postman.Test, test)}}
		b.events++
		if b.isManual(o, ex) {
			b.manual[id] = itemName
			guard, err := render(b.tmpl.requestPre, nil)
			if err != nil {
				return nil, err
			}
			item.Events = append([]*postman.Event{postman.CreateEvent(postman.PreRequest, guard)}, item.Events...)
			b.events++
		}
		item.Responses = b.responses(o)
		out = append(out, item)
	}
	return out, nil
}

// warnUnrepresented names the operation's constructs a Postman request has no
// place for, so that none is dropped silently.
func (b *builder) warnUnrepresented(o *operation) {
	if len(o.item.Servers) > 0 {
		b.warn("paths."+o.path+".servers", "path-level servers are not represented; requests use {{base_url}} from the environment (set it to "+o.item.Servers[0].URL+" for these)")
	}
	if o.op.Servers != nil && len(*o.op.Servers) > 0 {
		b.warn(o.place+".servers", "operation-level servers are not represented; the request uses {{base_url}} from the environment (set it to "+(*o.op.Servers)[0].URL+" for it)")
	}
	for _, name := range sortedKeys(o.op.Callbacks) {
		b.warn(o.place+".callbacks."+name, "callback listed in the request description, not generated as a request (the API calls it)")
	}
}

// callbackLines lists an operation's callbacks as "name: METHOD expression".
func callbackLines(op *openapi3.Operation) []string {
	var out []string
	for _, name := range sortedKeys(op.Callbacks) {
		cb := op.Callbacks[name]
		if cb == nil || cb.Value == nil {
			continue
		}
		eachOperation(slices.Sorted(slices.Values(cb.Value.Keys())), cb.Value.Value, func(expr, m string, _ *openapi3.PathItem, _ *openapi3.Operation) {
			out = append(out, name+": "+strings.ToUpper(m)+" "+expr)
		})
	}
	return out
}

// testScript renders the per-request test: status, rsp_code, schema, captures.
func (b *builder) testScript(o *operation, name string) ([]string, error) {
	data := testScriptData{Name: name, Status: []int{}}
	var schema *openapi3.SchemaRef
	for _, code := range successCodes(o.op) {
		if n, err := strconv.Atoi(code); err == nil {
			data.Status = append(data.Status, n)
		}
		r := o.op.Responses.Value(code)
		if schema == nil && r != nil && r.Value != nil {
			for _, m := range sortedContent(r.Value.Content) {
				if isJSON(m.ctype) && m.media.Schema != nil {
					schema = m.media.Schema
				}
				break
			}
		}
	}
	key, reusable := b.testScriptKey(data.Status, schema)
	if lines, ok := b.reuse.tests[key]; ok && reusable {
		return lines, nil
	}
	if schema != nil {
		data.Schema = b.responseSchema(schema)
		data.Captures = b.captures(schema)
	}
	lines, err := render(b.tmpl.requestTest, data)
	if err == nil && reusable {
		if b.reuse.tests == nil {
			b.reuse.tests = map[testKey][]string{}
		}
		b.reuse.tests[key] = lines
		if b.keep != nil && key.schema != nil && !b.keep[key.schema] {
			b.reuse.freshTests = append(b.reuse.freshTests, key)
		}
	}
	return lines, err
}

// webhooks lists 3.1 webhooks ("name METHOD"); they are not requests.
func (b *builder) webhooks() []string {
	var out []string
	lookup := func(n string) *openapi3.PathItem { return b.doc.Webhooks[n] }
	eachOperation(slices.Sorted(maps.Keys(b.doc.Webhooks)), lookup, func(n, m string, _ *openapi3.PathItem, _ *openapi3.Operation) {
		out = append(out, n+" "+strings.ToUpper(m))
		b.warn("webhooks."+n+"."+m, "webhook listed in the collection description, not generated as a request (the API calls it)")
	})
	return out
}

func (b *builder) collectionDescription(webhooks []string) string {
	var sb strings.Builder
	if b.doc.Info != nil {
		sb.WriteString(strings.TrimSpace(b.doc.Info.Description))
	}
	if d := b.doc.ExternalDocs; d != nil && d.URL != "" {
		label := strings.TrimSpace(d.Description)
		if label == "" {
			label = d.URL
		}
		sb.WriteString("\n\nSee also: [" + cell(label) + "](" + d.URL + ")")
	}
	sb.WriteString("\n\nGenerated by obpm from OpenAPI " + b.doc.OpenAPI + ". Pick an environment; with `obpm serve` running, " +
		"requests get their tokens from the helper (`obpm_helper_url`, `obpm_helper_key`, `obpm_profile`).")
	if vars := b.serverVariables(); vars != "" {
		sb.WriteString("\n\n## Server variables\n\n" + vars)
	}
	if len(webhooks) > 0 {
		sb.WriteString("\n\n## Webhooks\n\nThe API calls these; they are not requests of this collection:\n\n")
		for _, w := range webhooks {
			sb.WriteString("- `" + w + "`\n")
		}
	}
	return strings.TrimSpace(sb.String())
}

// serverVariables lists the servers' variables with their enums (Markdown).
func (b *builder) serverVariables() string {
	var sb strings.Builder
	for _, s := range b.doc.Servers {
		if s == nil {
			continue
		}
		keys := slices.Sorted(maps.Keys(s.Variables))
		for _, k := range keys {
			v := s.Variables[k]
			if v == nil {
				continue
			}
			sb.WriteString("- `" + k + "` (" + s.URL + "): default `" + v.Default + "`")
			if len(v.Enum) > 0 {
				sb.WriteString(", one of `" + strings.Join(v.Enum, "`, `") + "`")
			}
			if d := strings.TrimSpace(v.Description); d != "" {
				sb.WriteString(": " + cell(d))
			}
			sb.WriteString("\n")
		}
	}
	return sb.String()
}

// tokenKinds maps each token variable to the kind the helper hands out.
func (b *builder) tokenKinds() map[string]string {
	out := map[string]string{}
	for _, sc := range b.schemeOrder {
		if sc.kind != "" && sc.tokenVar != "" {
			out[sc.tokenVar] = sc.kind
		}
	}
	return out
}

// Variables the collection scripts set themselves (collection scope); the
// bank_tran_id/tran_dtime ones only for Open Banking documents.
func collectionVariables(openBanking bool) []*postman.Variable {
	if !openBanking {
		return []*postman.Variable{
			{Key: "obpm_token_user", Type: "string", Description: "internal: cached user token from the helper"},
			{Key: "obpm_token_institution", Type: "string", Description: "internal: cached institution token from the helper"},
		}
	}
	return []*postman.Variable{
		{Key: "bank_tran_id", Type: "string", Description: "set before every request by the collection script"},
		{Key: "tran_dtime", Type: "string", Description: "set before every request by the collection script (Korea time)"},
		{Key: "obpm_allow_manual", Value: "false", Type: "string", Description: "true sends the requests marked manual in collection runs"},
		{Key: "obpm_last_tick", Type: "string", Description: "internal: keeps bank_tran_id increasing within a run"},
		{Key: "obpm_token_user", Type: "string", Description: "internal: cached user token from the helper"},
		{Key: "obpm_token_institution", Type: "string", Description: "internal: cached institution token from the helper"},
	}
}

var varRef = regexp.MustCompile(`\{\{([A-Za-z0-9_.\-]+)\}\}`)

// usedVariables lists the {{variables}} the collection JSON refers to: the
// matches of varRef, found by hand (the regexp took a tenth of Generate on
// a 35 MB collection). A large collection is read in two halves at once,
// cut at a line break: no match holds one, so the halves' matches are the
// whole's.
func usedVariables(data []byte) map[string]bool {
	if len(data) < assembleMin {
		return usedVariablesIn(data)
	}
	cut := len(data) / 2
	if j := bytes.IndexByte(data[cut:], '\n'); j >= 0 {
		cut += j
	} else {
		return usedVariablesIn(data)
	}
	var second map[string]bool
	var wg sync.WaitGroup
	wg.Go(func() { second = usedVariablesIn(data[cut:]) })
	out := usedVariablesIn(data[:cut])
	wg.Wait()
	maps.Copy(out, second)
	return out
}

// usedVariablesIn is usedVariables on one goroutine.
func usedVariablesIn(data []byte) map[string]bool {
	out := map[string]bool{}
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("{{"))
		if j < 0 {
			return out
		}
		start := i + j + 2
		end := start
		for end < len(data) && varNameByte(data[end]) {
			end++
		}
		if end > start && end+1 < len(data) && data[end] == '}' && data[end+1] == '}' {
			if !out[string(data[start:end])] {
				out[string(data[start:end])] = true
			}
			i = end + 2
		} else {
			i = start - 1 // as the regexp: the next match may start one byte on
		}
	}
}

// varNameByte: c may be part of a {{variable}} name (varRef).
func varNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}
