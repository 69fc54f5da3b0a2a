// Package merge merges three ways a Postman collection (and its environments)
// that a user exported from Postman after editing it ("theirs") with a new
// generation by obpm ("ours"), using what obpm generated last time as the
// common ancestor ("base").
//
// Requests are matched by obpm's stable item ids where the export kept them
// (the postman-collection SDK and Newman keep "id"; the Postman app's v2.1
// export drops request ids and its import assigns new ones), else by method and
// URL path, then by name where one path has several requests (split examples).
//
// Each part of a request the user can edit (name, description, method, URL,
// headers, body, auth, each script, each saved response) is merged on its own:
// changed by the user only → the user's; changed by the spec only → the spec's;
// changed by both → the user's, listed as a conflict (Options.PreferSpec flips
// it). Requests and folders the user added stay where they are; requests whose
// operation left the spec move to the folder "Removed from the spec" (or go,
// with Options.Prune).
package merge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// RemovedFolder is the folder that receives requests whose operation is no
// longer in the spec.
const RemovedFolder = "Removed from the spec"

// Options tune a merge.
type Options struct {
	// PreferSpec takes the spec's value when both sides changed a field.
	PreferSpec bool
	// Prune deletes requests whose operation left the spec instead of moving
	// them to RemovedFolder.
	Prune bool
}

// ref is one request or folder of a collection, with the list that holds it.
type ref struct {
	item   obj
	parent obj      // the collection or folder whose "item" list holds item
	folder []string // names of the enclosing folders
}

func (r *ref) where() string {
	return strings.Join(append(append([]string{}, r.folder...), str(r.item["name"])), " / ")
}

func (r *ref) request() obj { return asObj(r.item["request"]) }

func (r *ref) method() string {
	if req := r.request(); req != nil {
		if m := str(req["method"]); m != "" {
			return strings.ToUpper(m)
		}
	} else if s, ok := r.item["request"].(string); ok && s != "" {
		return "GET"
	}
	return "GET"
}

var pathVarRE = regexp.MustCompile(`\{\{[^}]*\}\}|:[A-Za-z_][A-Za-z0-9_]*|\{[^}]*\}`)

// pathKey is the request's URL path with every variable written "{}" and the
// host (base_url or a pasted address) left out, so a request still matches
// after Postman rebuilt its URL.
func (r *ref) pathKey() string {
	req := r.request()
	var u any
	if req != nil {
		u = req["url"]
	} else {
		u = r.item["request"]
	}
	var path string
	switch x := u.(type) {
	case string:
		path = x
		if i := strings.Index(path, "://"); i >= 0 {
			path = path[i+3:]
		}
		if i := strings.IndexAny(path, "?#"); i >= 0 {
			path = path[:i]
		}
		if i := strings.Index(path, "/"); i >= 0 {
			path = path[i:]
		} else {
			path = ""
		}
	case obj:
		if x["path"] != nil {
			path = "/" + joinParts(x["path"], "/")
		} else {
			c := canonURL(map[string]any{"raw": x["raw"]})
			tmp := &ref{item: obj{"request": str(asObj(c)["url"])}}
			return tmp.pathKey()
		}
	}
	path = pathVarRE.ReplaceAllString(path, "{}")
	return strings.TrimSuffix(path, "/")
}

// index lists the requests and folders of a collection, depth first.
func index(root obj) (reqs, folders []*ref) {
	var walk func(parent obj, names []string)
	walk = func(parent obj, names []string) {
		for _, it := range asArr(parent["item"]) {
			o := asObj(it)
			if o == nil {
				continue
			}
			r := &ref{item: o, parent: parent, folder: names}
			if _, isFolder := o["item"]; isFolder && o["request"] == nil {
				folders = append(folders, r)
				walk(o, append(append([]string{}, names...), str(o["name"])))
				continue
			}
			reqs = append(reqs, r)
		}
	}
	walk(root, nil)
	return reqs, folders
}

// match pairs requests of a with requests of b: same id, else same method and
// path when that pair is unique on both sides, else same method, path and name,
// else same name when unique on both sides.
func match(a, b []*ref) map[*ref]*ref {
	out := map[*ref]*ref{}
	used := map[*ref]bool{}
	byID := map[string]*ref{}
	for _, r := range b {
		if id := str(r.item["id"]); id != "" {
			byID[id] = r
		}
	}
	for _, r := range a {
		if m := byID[str(r.item["id"])]; m != nil && str(r.item["id"]) != "" && !used[m] {
			out[r], used[m] = m, true
		}
	}
	keys := []func(*ref) string{
		func(r *ref) string { return r.method() + " " + r.pathKey() },
		func(r *ref) string { return r.method() + " " + r.pathKey() + " " + str(r.item["name"]) },
		func(r *ref) string { return "name " + str(r.item["name"]) },
	}
	for _, key := range keys {
		countA, countB := map[string]int{}, map[string]int{}
		byKey := map[string]*ref{}
		for _, r := range a {
			if out[r] == nil {
				countA[key(r)]++
			}
		}
		for _, r := range b {
			if !used[r] {
				k := key(r)
				countB[k]++
				byKey[k] = r
			}
		}
		for _, r := range a {
			k := key(r)
			if out[r] != nil || countA[k] != 1 || countB[k] != 1 {
				continue
			}
			m := byKey[k]
			out[r], used[m] = m, true
		}
	}
	return out
}

// same says whether two maps are one and the same (not just equal).
func same(a, b obj) bool {
	return a != nil && b != nil && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

func removeItem(parent, item obj) {
	items := asArr(parent["item"])
	for i, it := range items {
		if same(asObj(it), item) {
			parent["item"] = append(items[:i:i], items[i+1:]...)
			return
		}
	}
}

func insertItem(parent obj, at int, item obj) {
	items := asArr(parent["item"])
	if at < 0 || at > len(items) {
		at = len(items)
	}
	out := make(arr, 0, len(items)+1)
	out = append(out, items[:at]...)
	out = append(out, item)
	out = append(out, items[at:]...)
	parent["item"] = out
}

type merger struct {
	opts   Options
	report *Report
}

// Collection merges a user's export (theirs) with a new generation (ours),
// base being the previous generation (nil when there is none: then every
// difference counts as a conflict, decided for the user unless PreferSpec).
func Collection(base, theirs, ours []byte, opts Options) ([]byte, *Report, error) {
	rep := &Report{NoBase: base == nil}
	m := &merger{opts: opts, report: rep}
	var b obj
	if base != nil {
		v, err := decode(base)
		if err != nil {
			return nil, nil, fmt.Errorf("previous generation: %w", err)
		}
		b = asObj(v)
	}
	tv, err := decode(theirs)
	if err != nil {
		return nil, nil, fmt.Errorf("exported collection: %w", err)
	}
	t := asObj(tv)
	if t == nil || t["info"] == nil || t["item"] == nil {
		return nil, nil, fmt.Errorf("exported collection: not a Postman collection (no \"info\" and \"item\"); export it from Postman as Collection v2.1")
	}
	ov, err := decode(ours)
	if err != nil {
		return nil, nil, fmt.Errorf("generated collection: %w", err)
	}
	o := asObj(ov)
	m.collection(b, t, o)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(t); err != nil {
		return nil, nil, fmt.Errorf("encode merged collection: %w", err)
	}
	return buf.Bytes(), rep, nil
}

// collection merges into out (the decoded export, changed in place).
func (m *merger) collection(base, out, ours obj) {
	baseReqs, baseFolders := index(base)
	outReqs, outFolders := index(out)
	ourReqs, ourFolders := index(ours)

	// info: the collection's name and description; the rest (schema,
	// _postman_id, _exporter_id) is Postman's own.
	bInfo, tInfo, oInfo := asObj(base["info"]), asObj(out["info"]), asObj(ours["info"])
	if tInfo != nil {
		m.field("collection", "name", base != nil, tInfo, oInfo, "name", func(v any) any { return str(v) }, bInfo)
		m.field("collection", "description", base != nil, tInfo, oInfo, "description", canonText, bInfo)
	}
	m.field("collection", "auth", base != nil, out, ours, "auth", canonAuth, base)
	m.events("collection", base != nil, base, out, ours)
	m.keyed("collection", "variable", base != nil, base, out, ours, "variable", func(v any) string { return str(asObj(v)["key"]) }, canonVar)

	// Folders obpm generated are matched by their path of names.
	folderKey := func(r *ref) string {
		return strings.Join(append(append([]string{}, r.folder...), str(r.item["name"])), "\x00")
	}
	outFolderBy := map[string]*ref{}
	for _, f := range outFolders {
		outFolderBy[folderKey(f)] = f
	}
	baseFolderBy := map[string]*ref{}
	for _, f := range baseFolders {
		baseFolderBy[folderKey(f)] = f
	}
	for _, f := range ourFolders {
		if tf := outFolderBy[folderKey(f)]; tf != nil {
			var bItem obj
			if bf := baseFolderBy[folderKey(f)]; bf != nil {
				bItem = bf.item
			}
			w := f.where()
			m.field(w, "description", bItem != nil, tf.item, f.item, "description", canonText, bItem)
			m.field(w, "auth", bItem != nil, tf.item, f.item, "auth", canonAuth, bItem)
			m.events(w, bItem != nil, bItem, tf.item, f.item)
		}
	}

	// Pair the requests: ours↔base by obpm's ids, base↔theirs by ids or
	// method+path. Without a base, ours↔theirs directly.
	var ourToOut map[*ref]*ref
	ourToBase := match(ourReqs, baseReqs)
	baseToOut := match(baseReqs, outReqs)
	if base == nil {
		ourToOut = match(ourReqs, outReqs)
	} else {
		ourToOut = map[*ref]*ref{}
		for _, r := range ourReqs {
			if b := ourToBase[r]; b != nil && baseToOut[b] != nil {
				ourToOut[r] = baseToOut[b]
			}
		}
	}
	placed := map[*ref]obj{} // ours request or folder → its item in out
	for _, f := range ourFolders {
		if tf := outFolderBy[folderKey(f)]; tf != nil {
			placed[f] = tf.item
		}
	}
	for _, r := range ourReqs {
		t := ourToOut[r]
		b := ourToBase[r]
		switch {
		case t != nil:
			var bItem obj
			if b != nil {
				bItem = b.item
			}
			m.request(t.where(), base != nil && b != nil, bItem, t.item, r.item)
			placed[r] = t.item
		case b != nil:
			m.report.add(KeptEdit, r.where(), "request", "you deleted it; not restored (it is in "+SnapshotDir+"/ if you want it back)")
		default:
			item := clone(r.item).(obj)
			m.insert(out, ours, r, item, placed)
			placed[r] = item
			m.report.add(Added, r.where(), "request", "new in the spec")
		}
	}

	// Requests whose operation left the spec.
	ourBase := map[*ref]bool{}
	for _, b := range ourToBase {
		ourBase[b] = true
	}
	var removed obj
	for _, b := range baseReqs {
		if ourBase[b] {
			continue
		}
		t := baseToOut[b]
		if t == nil {
			continue
		}
		if len(t.folder) > 0 && t.folder[0] == RemovedFolder {
			continue // moved there by an earlier merge
		}
		removeItem(t.parent, t.item)
		if m.opts.Prune {
			m.report.add(Pruned, t.where(), "request", "no longer in the spec; deleted (--prune)")
			continue
		}
		if removed == nil {
			removed = findOrAddFolder(out, RemovedFolder, "Requests whose operation is no longer in the spec, kept by `obpm generate --merge` (delete them, or run with --prune).")
		}
		insertItem(removed, -1, t.item)
		m.report.add(Removed, t.where(), "request", "no longer in the spec; moved to \""+RemovedFolder+"\"")
	}

	// Folders obpm generated that the spec no longer has and that are now
	// empty go; a folder still holding the user's requests stays.
	ourFolderKeys := map[string]bool{}
	for _, f := range ourFolders {
		ourFolderKeys[folderKey(f)] = true
	}
	for i := len(outFolders) - 1; i >= 0; i-- {
		f := outFolders[i]
		k := folderKey(f)
		if baseFolderBy[k] != nil && !ourFolderKeys[k] && len(asArr(f.item["item"])) == 0 {
			removeItem(f.parent, f.item)
			m.report.add(Removed, f.where(), "folder", "no longer in the spec and empty; deleted")
		}
	}
}

// findOrAddFolder returns the top-level folder named name, adding it last.
func findOrAddFolder(root obj, name, description string) obj {
	for _, it := range asArr(root["item"]) {
		if o := asObj(it); o != nil && str(o["name"]) == name && o["request"] == nil {
			return o
		}
	}
	f := obj{"name": name, "description": description, "item": arr{}}
	insertItem(root, -1, f)
	return f
}

// insert puts a request (or folder) new in the spec into out: in the folder
// the spec puts it (created when missing), right after the item that precedes
// it in the generation, else first.
func (m *merger) insert(out, ours obj, r *ref, item obj, placed map[*ref]obj) {
	parent := out
	oursParent := ours
	for depth, name := range r.folder {
		var next obj
		for _, it := range asArr(parent["item"]) {
			if o := asObj(it); o != nil && str(o["name"]) == name && o["request"] == nil {
				next = o
				break
			}
		}
		var oursFolder obj
		for _, it := range asArr(oursParent["item"]) {
			if o := asObj(it); o != nil && str(o["name"]) == name && o["request"] == nil {
				oursFolder = o
				break
			}
		}
		if next == nil {
			next = obj{}
			for k, v := range oursFolder {
				if k != "item" {
					next[k] = clone(v)
				}
			}
			next["item"] = arr{}
			m.placeAfterPrevious(parent, oursParent, oursFolder, next)
			m.report.add(Added, strings.Join(r.folder[:depth+1], " / "), "folder", "new in the spec")
		}
		parent, oursParent = next, oursFolder
	}
	m.placeAfterPrevious(parent, oursParent, r.item, item)
}

// placeAfterPrevious inserts item into parent after the out counterpart of
// the sibling that precedes oursItem in oursParent.
func (m *merger) placeAfterPrevious(parent, oursParent, oursItem, item obj) {
	siblings := asArr(oursParent["item"])
	for i, it := range siblings {
		if !same(asObj(it), oursItem) {
			continue
		}
		for j := i - 1; j >= 0; j-- {
			prev := asObj(siblings[j])
			// find prev's counterpart in parent by id, then by name
			for k, x := range asArr(parent["item"]) {
				xo := asObj(x)
				if xo == nil {
					continue
				}
				if (str(prev["id"]) != "" && str(xo["id"]) == str(prev["id"])) || (str(xo["name"]) == str(prev["name"]) && (xo["request"] == nil) == (prev["request"] == nil)) {
					insertItem(parent, k+1, item)
					return
				}
			}
		}
		insertItem(parent, 0, item)
		return
	}
	insertItem(parent, -1, item)
}

// request merges one request's parts into t (in place).
func (m *merger) request(where string, hasBase bool, b, t, o obj) {
	m.field(where, "name", hasBase, t, o, "name", func(v any) any { return str(v) }, b)
	tReq, oReq := asObj(t["request"]), asObj(o["request"])
	if tReq == nil { // a bare-string URL: make it an object to hold the parts
		tReq = obj{"url": t["request"], "method": "GET"}
		t["request"] = tReq
	}
	if oReq == nil {
		oReq = obj{"url": o["request"], "method": "GET"}
	}
	// Postman may keep a request's description on the item or the request.
	for _, x := range []obj{t, o, b} {
		if x == nil {
			continue
		}
		if d, ok := x["description"]; ok {
			if req := asObj(x["request"]); req != nil {
				if _, has := req["description"]; !has {
					req["description"] = d
				}
				delete(x, "description")
			}
		}
	}
	var bReq obj
	if b != nil {
		bReq = asObj(b["request"])
		if bReq == nil {
			bReq = obj{"url": b["request"], "method": "GET"}
		}
	}
	m.field(where, "description", hasBase, tReq, oReq, "description", canonText, bReq)
	m.field(where, "method", hasBase, tReq, oReq, "method", func(v any) any { return strings.ToUpper(str(v)) }, bReq)
	m.field(where, "url", hasBase, tReq, oReq, "url", canonURL, bReq)
	m.field(where, "headers", hasBase, tReq, oReq, "header", canonKV, bReq)
	m.field(where, "body", hasBase, tReq, oReq, "body", canonBody, bReq)
	m.field(where, "auth", hasBase, tReq, oReq, "auth", canonAuth, bReq)
	m.events(where, hasBase, b, t, o)
	m.keyed(where, "saved response", hasBase, b, t, o, "response", func(v any) string { return str(asObj(v)["name"]) }, canonResponse)
	if id := str(o["id"]); id != "" {
		t["id"] = id // the next merge matches by obpm's id again
	}
}

// field merges t[key] with o[key], base b[key], comparing canonical forms.
func (m *merger) field(where, label string, hasBase bool, t, o obj, key string, canon func(any) any, b obj) {
	var bv, tv, ov any
	if b != nil {
		bv = canon(b[key])
	}
	tv, ov = canon(t[key]), canon(o[key])
	if m.decide(where, label, hasBase, bv, tv, ov) {
		if v, ok := o[key]; ok {
			t[key] = clone(v)
		} else {
			delete(t, key)
		}
	}
}

// decide records the outcome for one field and says whether the spec's
// (ours) value wins.
func (m *merger) decide(where, label string, hasBase bool, b, t, o any) bool {
	switch {
	case equal(t, o):
		return false
	case hasBase && equal(t, b):
		m.report.add(Updated, where, label, "changed by the spec")
		return true
	case hasBase && equal(o, b):
		m.report.add(KeptEdit, where, label, "your edit kept")
		return false
	case m.opts.PreferSpec:
		m.report.add(Conflict, where, label, "changed by you and by the spec; the spec's value taken (--merge-prefer spec)")
		return true
	default:
		m.report.add(Conflict, where, label, "changed by you and by the spec; your value kept")
		return false
	}
}

// keyed merges a list of objects by a key (saved responses by name,
// variables by key): entries are added, updated, kept or dropped one by one;
// the result lists the spec's entries in its order, then the user's own.
func (m *merger) keyed(where, label string, hasBase bool, b, t, o obj, key string, keyOf func(any) string, canon func(any) any) {
	bm, tm, om := map[string]any{}, map[string]any{}, map[string]any{}
	var order []string
	seen := map[string]bool{}
	// A key written twice (Postman lets two saved responses share a name)
	// is its own entry from its second time on, as events does: a map by
	// the bare key would keep only the last and lose the user's others.
	add := func(m map[string]any, list arr, ordered bool) {
		n := map[string]int{}
		for _, e := range list {
			k := keyOf(e)
			if n[k] > 0 {
				k = fmt.Sprintf("%s#%d", k, n[keyOf(e)])
			}
			n[keyOf(e)]++
			m[k] = e
			if ordered && !seen[k] {
				seen[k], order = true, append(order, k)
			}
		}
	}
	add(om, asArr(o[key]), true)
	add(tm, asArr(t[key]), true)
	if b != nil {
		add(bm, asArr(b[key]), false)
	}
	var out arr
	for _, k := range order {
		bv, inB := bm[k]
		tv, inT := tm[k]
		ov, inO := om[k]
		name := label + " " + fmt.Sprintf("%q", k)
		switch {
		case inT && inO:
			if m.decide(where, name, hasBase && inB, canon(bv), canon(tv), canon(ov)) {
				out = append(out, clone(ov))
			} else {
				out = append(out, tv)
			}
		case inT && !inO && hasBase && inB:
			if equal(canon(tv), canon(bv)) {
				m.report.add(Updated, where, name, "removed by the spec")
				continue
			}
			m.report.add(Conflict, where, name, "removed by the spec but changed by you; kept")
			out = append(out, tv)
		case inT: // the user's own (or no base to tell)
			out = append(out, tv)
		case inO && hasBase && inB:
			m.report.add(KeptEdit, where, name, "you deleted it; not restored")
		case inO:
			m.report.add(Updated, where, name, "new in the spec")
			out = append(out, clone(ov))
		}
	}
	if len(out) == 0 {
		if _, had := t[key]; had {
			t[key] = arr{}
		}
		return
	}
	t[key] = out
}

// events merges scripts by kind ("prerequest", "test"; a second script of a
// kind is its own entry). Where both changed a script, the user's lines
// around obpm's (the usual edit: tests added below ours) are kept around the
// new obpm script.
func (m *merger) events(where string, hasBase bool, b, t, o obj) {
	keyOf := func(list arr) (map[string]any, []string) {
		mm := map[string]any{}
		var order []string
		n := map[string]int{}
		for _, e := range list {
			l := str(asObj(e)["listen"])
			k := l
			if n[l] > 0 {
				k = fmt.Sprintf("%s#%d", l, n[l])
			}
			n[l]++
			mm[k] = e
			order = append(order, k)
		}
		return mm, order
	}
	var bm map[string]any
	if b != nil {
		bm, _ = keyOf(asArr(b["event"]))
	}
	tm, tOrder := keyOf(asArr(t["event"]))
	om, oOrder := keyOf(asArr(o["event"]))
	order := append([]string{}, oOrder...)
	for _, k := range tOrder {
		if _, ok := om[k]; !ok {
			order = append(order, k)
		}
	}
	var out arr
	for _, k := range order {
		bv, inB := bm[k]
		tv, inT := tm[k]
		ov, inO := om[k]
		label := k + " script"
		bl, tl, ol := canonScript(bv), canonScript(tv), canonScript(ov)
		switch {
		case inT && inO:
			if equal(tl, ol) {
				out = append(out, tv)
				continue
			}
			if hasBase && inB && !equal(tl, bl) && !equal(ol, bl) {
				if pre, post, ok := around(tl, bl); ok {
					merged := clone(ov).(obj)
					script := asObj(merged["script"])
					lines := append(append(append([]string{}, pre...), ol...), post...)
					exec := make(arr, len(lines))
					for i, l := range lines {
						exec[i] = l
					}
					script["exec"] = exec
					m.report.add(Updated, where, label, "obpm's lines updated; your lines around them kept")
					out = append(out, merged)
					continue
				}
			}
			if m.decide(where, label, hasBase && inB, nilIfEmpty(bl), nilIfEmpty(tl), nilIfEmpty(ol)) {
				out = append(out, clone(ov))
			} else {
				out = append(out, tv)
			}
		case inT && !inO && hasBase && inB:
			if equal(tl, bl) {
				m.report.add(Updated, where, label, "removed by the spec")
				continue
			}
			m.report.add(Conflict, where, label, "removed by the spec but changed by you; kept")
			out = append(out, tv)
		case inT:
			out = append(out, tv)
		case inO && hasBase && inB:
			m.report.add(KeptEdit, where, label, "you deleted it; not restored")
		case inO:
			if len(ol) > 0 {
				m.report.add(Updated, where, label, "new in the spec")
			}
			out = append(out, clone(ov))
		}
	}
	if len(out) == 0 {
		delete(t, "event")
		return
	}
	t["event"] = out
}

func nilIfEmpty(l []string) any {
	if len(l) == 0 {
		return nil
	}
	return l
}

// around finds base as a contiguous run of lines in theirs and returns the
// lines before and after it.
func around(theirs, base []string) (pre, post []string, ok bool) {
	if len(base) == 0 || len(theirs) < len(base) {
		return nil, nil, false
	}
	for i := 0; i+len(base) <= len(theirs); i++ {
		if equal(theirs[i:i+len(base)], base) {
			return theirs[:i], theirs[i+len(base):], true
		}
	}
	return nil, nil, false
}
