package sandbox

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/obpm/obpm/internal/jsonstr"
)

// field is one top-level field of a direct answer: a string value, or raw
// JSON (an example's value, encoded once).
type field struct {
	key string
	str string
	raw []byte // when not nil, the value as JSON
}

// directOp answers an operation's success without the generic answer
// maps: the handler appends its fields, and the answer is written as the
// map path (opHandler, examples.overlay, answer, keyOrders) would write
// it, byte for byte. TestDirectAnswersMatchMaps holds the two paths to
// the same bytes.
type directOp struct {
	kind directKind
	// extras are the success example's fields, sorted by key with their
	// values encoded: overlay adds those the handler does not compute.
	extras []field
	// orders remembers the output order of each key sequence seen, so
	// that an answer is not sorted each time (a sort was a quarter of a
	// balance inquiry): the sequence depends only on which optional
	// fields the operation wrote.
	mu     sync.Mutex
	orders atomic.Pointer[[]*fieldOrder] // replaced, never changed
}

// fieldOrder is the output of one key sequence: the indexes of its fields
// sorted by key, the first of equal keys only (the higher precedence).
type fieldOrder struct {
	keys  []string
	order []int
	// heads holds, for each field of order, what the answer writes before
	// its value: the separating comma and the key encoded. The keys of a
	// sequence do not change, and encoding them was a tenth of a
	// withdraw's answer.
	heads [][]byte
}

// maxFieldOrders bounds directOp.orders: past it, answers are sorted each time.
const maxFieldOrders = 16

// order returns the output order of fields.
func (d *directOp) order(fields []field) *fieldOrder {
	if p := d.orders.Load(); p != nil {
	next:
		for _, o := range *p {
			if len(o.keys) != len(fields) {
				continue
			}
			for i, k := range o.keys {
				if fields[i].key != k {
					continue next
				}
			}
			return o
		}
	}
	o := &fieldOrder{keys: make([]string, len(fields)), order: make([]int, 0, len(fields))}
	idx := make([]int, len(fields))
	for i := range fields {
		o.keys[i], idx[i] = fields[i].key, i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(fields[a].key, fields[b].key) })
	for j, i := range idx {
		if j > 0 && fields[i].key == fields[idx[j-1]].key {
			continue // a field of lower precedence
		}
		o.order = append(o.order, i)
	}
	o.heads = make([][]byte, len(o.order))
	for j, i := range o.order {
		var h []byte
		if j > 0 {
			h = append(h, ',')
		}
		h = jsonstr.Append(h, fields[i].key)
		o.heads[j] = append(h, ':')
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var old []*fieldOrder
	if p := d.orders.Load(); p != nil {
		old = *p
	}
	if len(old) < maxFieldOrders {
		l := append(slices.Clip(old), o)
		d.orders.Store(&l)
	}
	return o
}

// newDirectOps returns the direct answers of the spec's balance and
// withdraw routes,
// keyed by operation; the rest take the map path.
func newDirectOps(doc *openapi3.T, ex examples) map[*openapi3.Operation]*directOp {
	byPath := map[string]directKind{
		"GET /v2.0/account/balance/fin_num":     directBalance,
		"POST /v2.0/account/balance/acnt_num":   directBalance,
		"POST /v2.0/transfer/withdraw/fin_num":  directWithdraw,
		"POST /v2.0/transfer/withdraw/acnt_num": directWithdraw,
	}
	// A spec may share one operation between paths (a $ref'd path item):
	// such an operation takes the map path, which looks its handler up by
	// path.
	seen := map[*openapi3.Operation]bool{}
	shared := map[*openapi3.Operation]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			shared[op] = shared[op] || seen[op]
			seen[op] = true
		}
	}
	out := map[*openapi3.Operation]*directOp{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			kind := byPath[method+" "+path]
			if kind == directNone || shared[op] {
				continue
			}
			base, ok := ex[op]
			if !ok {
				continue
			}
			d := &directOp{kind: kind}
			encodable := true
			for k, v := range base {
				raw, err := appendJSON(nil, v)
				if err != nil {
					encodable = false
					break
				}
				d.extras = append(d.extras, field{key: k, raw: raw})
			}
			if !encodable {
				continue // the map path answers what it cannot encode
			}
			slices.SortFunc(d.extras, func(a, b field) int { return strings.Compare(a.key, b.key) })
			out[op] = d
		}
	}
	return out
}

// directKind names the fields function of a direct answer: a switch
// rather than a func value, which would move the fields' array to the heap.
type directKind int

const (
	directNone directKind = iota
	directBalance
	directWithdraw
)

func (d *directOp) fields(s *Server, r *request, dst []field) ([]field, error) {
	switch d.kind {
	case directBalance:
		return balanceFields(s, r, dst)
	case directWithdraw:
		return withdrawFields(s, r, dst)
	}
	return dst, errors.New("sandbox: no direct answer for this operation")
}

// maxDirectFields bounds the fields of a direct answer kept on the stack.
const maxDirectFields = 96

// serveDirect is the end of handleAPI for an operation with a direct
// answer: the message rules, the operation, and its answer or error.
func (s *Server) serveDirect(w http.ResponseWriter, d *directOp, req *request) {
	// The answer's precedence, as answer and overlay apply it: the
	// envelope (filled in once the operation is done) over the computed
	// fields over the example's.
	var buf [maxDirectFields]field
	fields := append(buf[:0], field{key: "api_tran_id"}, field{key: "api_tran_dtm"},
		field{key: "rsp_code", str: rspOK}, field{key: "rsp_message", str: ""})
	s.mu.Lock()
	err := s.checkTranDtime(req)
	if err == nil {
		err = s.checkBankTranIDs(req)
	}
	if err == nil {
		fields, err = d.fields(s, req, fields)
	}
	lsn := s.seenLocked()
	if req.Route.Method != http.MethodGet || s.st.DupIDs.pending() >= dupFlushEvery {
		lsn = s.recordLocked()
	}
	s.mu.Unlock()
	s.durable(lsn)
	if err != nil {
		s.answer(w, req.Route, req.In, req.Now, err)
		return
	}
	fields[0].str, fields[1].str = newUUID(), apiTranDtm(req.Now)
	// overlay puts the request's bank_tran_id in place of a computed one.
	if id, ok := req.In["bank_tran_id"].(string); ok {
		for i := 4; i < len(fields); i++ {
			if fields[i].key == "bank_tran_id" {
				fields[i].str, fields[i].raw = id, nil
			}
		}
	}
	fields = append(fields, d.extras...)

	bp, _ := s.answerBufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
		*bp = make([]byte, 0, 2048)
	}
	b := append((*bp)[:0], '{')
	o := d.order(fields)
	for j, i := range o.order {
		b = append(b, o.heads[j]...)
		f := &fields[i]
		if f.raw != nil {
			b = append(b, f.raw...)
		} else {
			b = jsonstr.Append(b, f.str)
		}
	}
	b = append(b, '}')
	if lw, ok := w.(*logWriter); ok {
		lw.rsp = rspOK
	}
	b = writeBytes(w, http.StatusOK, b)
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		s.answerBufs.Put(bp)
	}
}

// fieldsMap is fields as the map an opHandler returns. The fields' keys
// are distinct: serveDirect keeps the first of a key, the map the last.
func fieldsMap(fields []field) map[string]any {
	m := make(map[string]any, len(fields)+4)
	for _, f := range fields {
		m[f.key] = f.str
	}
	return m
}
