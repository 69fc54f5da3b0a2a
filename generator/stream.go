package generator

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	postman "github.com/rbretecher/go-postman-collection"
	"go.yaml.in/yaml/v4"
)

// Streaming: LoadFile followed by Generate holds the whole document twice
// over at its peak, as nodes and as kin-openapi's model (5,000-operation
// synthetic spec: 160 MB of nodes, 86 MB of document, 39 MB of result; the
// process peaked at 480 MB, more than openapi-to-postmanv2). Most documents
// are nothing but path items over shared components, and a path item's
// requests need only itself and the components. So GenerateFile loads the
// rest of the document once (info, servers, tags, components…) and then
// takes one path item at a time: parse, resolver walk, decode, link its
// $refs to the components, build and encode its requests, and let it go.
// What it keeps across items is the output and the rest of the document.
//
// It streams only where that gives the very bytes, warnings and counts of
// LoadFile+Generate (TestGenerateFileMatchesLoadAndGenerate), and otherwise
// does exactly that: Swagger 2.0, anything the resolver changes or warns
// about (other files, $refs it bundles or inlines), YAML aliases, a paths
// mapping that is not plain, x-obpm-* extensions (whether they apply is
// decided on the whole document before the first request), a $ref in a
// path item that is not a plain #/components/<section>/<name> (or, in 3.1,
// has fields beside it: kin-openapi then changes the shared component), and
// any error (the whole-document path reports it as it always has).

// GenerateFile reads the document at path and generates its collection and
// environments: the result and the load warnings of LoadFile followed by
// Generate, in less memory for a large document (see above).
func GenerateFile(ctx context.Context, path string, lopts LoadOptions, gopts Options) (*Result, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read spec %s: %w (check the path given to --spec)", path, err)
	}
	res, ws, _, err := generateData(ctx, data, path, lopts, gopts, nil)
	return res, ws, err
}

// streamHook lets tests watch the streaming path: item is called after
// each path item is done with, with its decoded model and its node.
type streamHook struct {
	item func(item *openapi3.PathItem, node *yaml.Node)
}

// generateData streams when it can (streamed says so), else loads and
// generates the whole document.
func generateData(ctx context.Context, data []byte, name string, lopts LoadOptions, gopts Options, hook *streamHook) (res *Result, ws []Warning, streamed bool, err error) {
	src := &data // streamGenerate lets it go once it no longer needs it
	if res, ok, err := streamGenerate(ctx, src, name, lopts, gopts, hook); ok {
		if err != nil {
			return nil, nil, true, err
		}
		return res, nil, true, nil
	}
	doc, ws, err := loadWith(ctx, *src, name, lopts, loadTree)
	if err != nil {
		return nil, nil, false, err
	}
	if res, err = Generate(doc, gopts); err != nil {
		return nil, nil, false, err
	}
	return res, ws, false, nil
}

// streamer is the state of one streaming run.
type streamer struct {
	ctx    context.Context
	b      *builder
	r      *resolver
	paths  ctxNode // the resolver's place of the paths mapping
	strict bool    // OpenAPI 3.1+: no fields beside a $ref in a path item
	// json: the items are scanned from JSON (jsonScanner), whose nodes
	// prepareNodes would leave as they are: keys are quoted strings, tags
	// only !!str, !!int, !!float (never .inf or .nan), !!bool and !!null,
	// no aliases, and the depth is bounded alike. It is not run on them.
	json    bool
	seen    map[string]bool
	lastPos int64 // document position of the last operation so far
	used    map[string]bool
	// keepNodes: a test hook gets each item's nodes after use, so they
	// are not scanned into an arena that the next item reuses.
	keepNodes bool
	folders   map[string]*streamFolder
	met       []string // folders in the order operations meet them
	root      []*piece // encoded requests without a folder
	ops       int
	requests  int

	encoders     sync.WaitGroup
	encodeJobs   chan encodeJob
	encodeFailed atomic.Bool // an encodeValue failed (the whole-document path reports it)
}

// streamFolder is one folder's encoded requests.
type streamFolder struct {
	reqs []*piece
}

// streamGenerate is LoadFile+Generate one path item at a time; ok=false
// when the document does not allow it (see the top of this file), and then
// *src is as it was. Once every path item is done it sets *src to nil (the
// bytes are the size of the output) and the result is final: err is what
// Generate would return with the same builder.
func streamGenerate(ctx context.Context, src *[]byte, name string, lopts LoadOptions, gopts Options, hook *streamHook) (res *Result, ok bool, err error) {
	committed := false
	defer func() {
		if !committed && recover() != nil {
			res, ok, err = nil, false, nil // the whole-document path reports it
		}
	}()
	data := *src
	t := bytes.TrimSpace(data)
	if len(t) == 0 || t[0] == '[' || bytes.Contains(data, []byte("x-obpm-")) {
		return nil, false, nil
	}
	display := name
	if display == "" {
		display = "<spec>"
	}
	top, items, split := splitSource(data)
	if !split || top == nil || top.Kind != yaml.MappingNode {
		return nil, false, nil
	}
	if t[0] == '{' && checkTopKeys(topKeys(top), display) != nil {
		return nil, false, nil
	}
	if entry(top, "openapi") == nil {
		return nil, false, nil // Swagger 2.0, or an error to report
	}
	at, paths := pathsEntry(top)
	if paths == nil || len(paths.Content) != 0 || !scanNodes(top, 0, false, false) {
		return nil, false, nil
	}

	// The rest of the document, as loadWith and decodeTree take it.
	r, err := newResolver(ctx, top, name, lopts)
	if err != nil {
		return nil, false, nil
	}
	r.walk(top, kDoc, ctxNode{f: r.root})
	if r.changed || len(r.warnings) > 0 || ctx.Err() != nil {
		return nil, false, nil
	}
	r.indexComponents() // the tree no longer changes: the item walks are probes
	if prepareNodes(top, 0) != nil {
		return nil, false, nil
	}
	doc := &openapi3.T{}
	top.Content[at] = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if err := decodeDoc(top, doc); err != nil {
		return nil, false, nil
	}
	top.Content[at] = paths
	doc.Paths = openapi3.NewPaths()
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = false
	loader.ReadFromURIFunc = func(*openapi3.Loader, *url.URL) ([]byte, error) {
		return nil, errNotFast
	}
	if err := loader.ResolveRefsIn(doc, nil); err != nil {
		return nil, false, nil
	}
	if checkVersion(doc.OpenAPI, data, display) != nil {
		return nil, false, nil
	}
	stampComponents(doc, top)

	b, err := newBuilder(doc, gopts)
	if err != nil {
		return nil, false, nil
	}
	b.keep = sharedSchemas(doc.Components)
	s := &streamer{ctx: ctx, b: b, r: r, paths: ctxNode{f: r.root}.child("paths"), strict: doc.IsOpenAPI31OrLater(), json: looksJSON(data),
		seen: map[string]bool{}, used: map[string]bool{}, folders: map[string]*streamFolder{},
		keepNodes: hook != nil && hook.item != nil}
	if !s.run(items, hook) {
		return nil, false, nil
	}
	committed = true
	s.r, *src = nil, nil
	// The collection is about to be copied out of its pieces. When the copy
	// would take the heap past the collector's goal, the garbage of the
	// items goes first, so the heap holds the two copies and little else
	// (5,000 operations: 147 MB of heap at the peak, 100 MB with it). Under
	// the goal (1,000 operations, most runs: about 20 MB of heap and 7 MB of
	// output for a goal of 29 MB) no collection would run, and forcing one
	// cost 2 ms.
	if heapPastGoal(s.outputSize()) {
		runtime.GC()
	}
	res, err = s.finish()
	return res, true, err
}

// outputSize is the size of the encoded requests (once the encoders are
// done).
func (s *streamer) outputSize() int {
	n := 0
	for _, f := range s.folders {
		for _, r := range f.reqs {
			n += len(r.data)
		}
	}
	for _, r := range s.root {
		n += len(r.data)
	}
	return n
}

// heapPastGoal reports whether allocating more bytes would take the heap's
// objects past the collector's current goal.
func heapPastGoal(more int) bool {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 || sample[1].Value.Kind() != metrics.KindUint64 {
		return true // unknown: collect, as it always did
	}
	return sample[0].Value.Uint64()+uint64(more) > sample[1].Value.Uint64()
}

// prepared is a path item made ready by a worker: parsed, checked,
// decoded and linked; ok=false when it cannot be streamed.
type prepared struct {
	key, node *yaml.Node
	item      *openapi3.PathItem // nil for an extension of the paths object
	ok        bool
}

// prepare readies one path item for use; it runs on a worker, so it
// touches nothing shared but what it reads (the components). A JSON item
// is scanned into the worker's arena, which is taken back before prepare
// returns: the decoded item holds no node (keepNodes aside).
func (s *streamer) prepare(src pathSource, arena *nodeArena) (p prepared) {
	if s.keepNodes {
		arena = nil
	}
	defer func() {
		if recover() != nil {
			p = prepared{}
		}
		if arena != nil {
			p.node = nil
			arena.reset()
		}
	}()
	if src.parse == nil {
		return prepared{}
	}
	k, v, err := src.parse(arena)
	if err != nil || k == nil || v == nil || k.Kind != yaml.ScalarNode || kinMergeKey(k) || isMerge(k) {
		return prepared{}
	}
	if k.Value == "$ref" || k.Tag == "!!null" {
		// The resolver takes the paths object for a reference (and warns
		// or follows it), and kin-openapi refuses a null key ("mapping key
		// is null"): the whole-document path decides.
		return prepared{}
	}
	if strings.HasPrefix(k.Value, "x-") {
		// An extension of the paths object: no path item, nothing
		// generated (decodePaths, walkMap).
		return prepared{key: k, node: v, ok: scanNodes(v, 2, false, false) && prepareNodes(v, 2) == nil}
	}
	if !scanNodes(v, 2, true, s.strict) {
		return prepared{}
	}
	// The resolver's walk, as loadWith runs it on the whole document, on a
	// probe (a tenth of the time went to it on the one goroutine that
	// uses the items). It must change and warn of nothing.
	r := s.r.probe()
	at := s.paths.child(k.Value)
	at.unnamed = true // its warnings only say no: their places are not kept
	r.walk(v, kPathItem, at)
	if r.changed || len(r.warnings) > 0 || !s.json && prepareNodes(v, 2) != nil {
		return prepared{}
	}
	cut := *v // decodePathItem cuts the node it decodes; the walk needs it
	item, err := decodePathItem(&cut)
	if err != nil || !linkPathItem(item, s.b.doc.Components, 0) {
		return prepared{}
	}
	return prepared{key: k, node: v, item: item, ok: true}
}

// run prepares the path items on all CPUs, a bounded window ahead, and
// uses them in document order; false when one cannot be streamed. The
// parse funcs of different items run at the same time (splitSource's
// contract).
func (s *streamer) run(items []pathSource, hook *streamHook) bool {
	workers := runtime.GOMAXPROCS(0)
	queue := make(chan chan prepared, 2*workers+2) // results in document order
	stop := make(chan struct{})
	// The workers live as long as the run: a goroutine per item (or per
	// request) grew a fresh stack through the parse's recursion each time,
	// which cost more than the channels do.
	type job struct {
		src pathSource
		ch  chan prepared
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arena := &nodeArena{}
			for j := range jobs {
				j.ch <- s.prepare(j.src, arena)
			}
		}()
	}
	s.startEncoders(workers)
	go func() {
		defer close(queue)
		defer close(jobs)
		for i := range items {
			src := items[i]
			items[i] = pathSource{} // its nodes go with it
			ch := make(chan prepared, 1)
			select {
			case queue <- ch:
			case <-stop:
				return
			}
			select {
			case jobs <- job{src, ch}:
			case <-stop:
				return
			}
		}
	}()
	ok := true
	defer func() {
		if r := recover(); r != nil {
			// No goroutine outlives the run, whatever happens in use.
			if ok {
				close(stop)
			}
			for range queue {
			}
			wg.Wait()
			s.stopEncoders()
			panic(r)
		}
	}()
	for ch := range queue {
		if ok && !s.use(<-ch, hook) {
			ok = false
			close(stop)
		}
	}
	wg.Wait()
	s.stopEncoders()
	return ok && !s.encodeFailed.Load()
}

// use generates the requests of one prepared path item.
func (s *streamer) use(p prepared, hook *streamHook) bool {
	if !p.ok || s.ctx.Err() != nil || s.seen[p.key.Value] {
		return false
	}
	key := p.key.Value
	s.seen[key] = true
	if p.item == nil {
		return true
	}
	item := p.item
	ops := sortedOperations([]string{key}, func(string) *openapi3.PathItem { return item })
	for i, o := range ops {
		// Operations of one item sort together only when every one of
		// them comes after the items before it.
		if o.line <= s.lastPos {
			return false
		}
		if i == len(ops)-1 {
			s.lastPos = o.line
		}
		if len(o.op.Tags) > 0 {
			s.used[o.op.Tags[0]] = true
		}
	}
	s.ops += len(ops)
	b := s.b
	for _, o := range ops {
		its, err := b.items(o)
		if err != nil {
			return false
		}
		s.requests += len(its)
		prefix := "\t\t" // as marshalCollection indents a request at the root
		f := b.folderOf(o)
		into := &s.root
		if f != "" {
			folder := s.folders[f]
			if folder == nil {
				folder = &streamFolder{}
				s.folders[f] = folder
				s.met = append(s.met, f)
			}
			into, prefix = &folder.reqs, "\t\t\t\t" // in a folder
		}
		for _, it := range its {
			pc := &piece{}
			*into = append(*into, pc)
			s.encode(it, prefix, pc)
		}
	}
	// What the caches hold of this item goes with it.
	for _, x := range b.fresh {
		delete(b.props, x)
		delete(b.schemaJSON, x)
		delete(b.merged, x)
		delete(b.reuse.captures, x)
		for _, kind := range []byte{'e', 'x', 'd'} {
			delete(b.exampleOK, exampleKey{x, kind})
		}
	}
	clear(b.fresh)
	b.fresh = b.fresh[:0]
	for _, k := range b.reuse.freshTests {
		delete(b.reuse.tests, k)
	}
	for _, k := range b.reuse.freshSamples {
		delete(b.reuse.samples, k)
	}
	clear(b.reuse.freshTests)
	b.reuse.freshTests = b.reuse.freshTests[:0]
	clear(b.reuse.freshSamples)
	b.reuse.freshSamples = b.reuse.freshSamples[:0]
	if hook != nil && hook.item != nil {
		hook.item(item, p.node)
	}
	return true
}

// piece is one request, encoded by a worker.
type piece struct {
	data []byte
}

// encodeJob is one request for the encoders.
type encodeJob struct {
	it     *postman.Items
	prefix string
	pc     *piece
}

// startEncoders starts n encoders, which take requests from encode until
// stopEncoders.
func (s *streamer) startEncoders(n int) {
	jobs := make(chan encodeJob, n) // the requests waiting are the memory this bounds
	s.encodeJobs = jobs
	for range n {
		s.encoders.Add(1)
		go func() {
			defer s.encoders.Done()
			var scratch []byte // grown once per encoder, not once per request
			for j := range jobs {
				var data []byte
				var err error
				data, scratch, err = encodeInto(scratch, j.it, j.prefix)
				if err != nil {
					s.encodeFailed.Store(true)
					continue
				}
				if cap(data)-len(data) > len(data)/16 {
					data = bytes.Clone(data) // the output is what streaming keeps: no slack
				}
				j.pc.data = data
			}
		}()
	}
}

// stopEncoders waits for every request sent to encode.
func (s *streamer) stopEncoders() {
	if s.encodeJobs != nil {
		close(s.encodeJobs)
		s.encodeJobs = nil
	}
	s.encoders.Wait()
}

// encode has a request encoded into pc by an encoder.
func (s *streamer) encode(it *postman.Items, prefix string, pc *piece) {
	s.encodeJobs <- encodeJob{it, prefix, pc}
}

// finish orders the folders as collectionItems does and writes the
// collection around the encoded requests.
func (s *streamer) finish() (*Result, error) {
	b := s.b
	if s.ops == 0 {
		b.warn("paths", "the document has no operations; the collection is empty")
	}
	var order []string
	added := map[string]bool{}
	tagDesc := map[string]string{}
	if b.opts.Folders == FoldersByTag {
		for _, t := range b.doc.Tags {
			if t != nil {
				tagDesc[t.Name] = t.Description
				if s.used[t.Name] && !added[t.Name] {
					added[t.Name] = true
					order = append(order, t.Name)
				}
			}
		}
	}
	for _, f := range s.met {
		if !added[f] {
			added[f] = true
			order = append(order, f)
		}
	}
	w := &collectionWriter{}
	var items []*postman.Items
	for _, f := range order {
		folder := &postman.Items{Name: f, Items: []*postman.Items{}}
		if sf := s.folders[f]; sf != nil {
			folder.Description = tagDesc[f]
			for _, r := range sf.reqs {
				folder.Items = append(folder.Items, &postman.Items{})
				w.reqs = append(w.reqs, encoded{data: r.data})
			}
			sf.reqs = nil
		}
		items = append(items, folder)
	}
	for _, r := range s.root {
		items = append(items, &postman.Items{})
		w.reqs = append(w.reqs, encoded{data: r.data})
	}
	s.root, s.folders = nil, nil
	return b.finish(items, len(order), s.requests, func(c *postman.Collection, id string) ([]byte, error) {
		return w.collection(c, id)
	})
}

// scanNodes checks a subtree for what streaming cannot take: aliases,
// keys beginning with x-obpm- (whatever the spelling, as loaded), and with
// refs a $ref that is not a plain #/components/<section>/<name> (with
// strict, one with fields beside it).
func scanNodes(n *yaml.Node, depth int, refs, strict bool) bool {
	if n == nil || depth > maxJSONDepth || n.Kind == yaml.AliasNode {
		return false
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if strings.HasPrefix(k.Value, "x-obpm-") {
				return false
			}
			if refs && k.Value == "$ref" {
				v := n.Content[i+1]
				if v.Kind != yaml.ScalarNode || strict && len(n.Content) != 2 {
					return false
				}
				if _, _, ok := componentRef(v.Value); !ok {
					return false
				}
			}
		}
	}
	for _, c := range n.Content {
		if !scanNodes(c, depth+1, refs, strict) {
			return false
		}
	}
	return true
}

// componentRef splits a plain "#/components/<section>/<name>" (the name
// unescaped as kin-openapi does).
func componentRef(ref string) (section, name string, ok bool) {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	if !ok {
		return "", "", false
	}
	section, name, ok = strings.Cut(rest, "/")
	if !ok || section == "" || name == "" || strings.ContainsAny(name, "/%#?") {
		return "", "", false
	}
	for i := 0; i < len(ref); i++ {
		if ref[i] < 0x21 || ref[i] == 0x7f {
			return "", "", false
		}
	}
	return section, strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~"), true
}
