package sandbox

import (
	"iter"
	"unsafe"
)

// transferStore is the transfers transfer/result and return/claim find,
// oldest first, kept as txnStore keeps a history: fixed-size records
// without pointers in chunks that are never copied, the repeating strings
// (check type, day, account, client, content) in a table of distinct
// strings. A bank_tran_id is unique to its transfer, so the ids are
// appended to a byte arena instead, and read back as strings that point
// into it (an arena chunk is only ever appended to: bytes once written
// never change). As []Transfer a withdraw cost 104 bytes with six
// pointers, plus its id's own allocation and the slice's copies on growth;
// here 40 bytes and the id's bytes.
//
// Not safe for concurrent use: guarded by Server.mu like the rest of the state.
type transferStore struct {
	chunks  [][]transferRec
	n       int
	strs    strTable
	ids     [][]byte // the arena: chunks of idChunk bytes (or one id, if longer)
	lastStr [trStrFields]string
	lastIdx [trStrFields]uint32
}

// transferChunk is the records in a full chunk; idChunk the bytes in a
// full chunk of the id arena.
const (
	transferChunk = 4096
	idChunk       = 64 << 10
)

// The string fields of a transfer, by index into transferRec.str.
const (
	trCheckType = iota
	trDate
	trFintech
	trClient
	trContent
	trStrFields
)

// transferRec is one transfer: no pointers.
type transferRec struct {
	amount  int64
	idChunk uint32 // the id's bytes: ids[idChunk][idOff:idOff+idLen]
	idOff   uint32
	idLen   uint32
	str     [trStrFields]uint32
}

func (h *transferStore) len() int {
	if h == nil {
		return 0
	}
	return h.n
}

// add appends t.
func (h *transferStore) add(t Transfer) {
	rec := transferRec{amount: t.Amount}
	for i, s := range [trStrFields]string{t.CheckType, t.BankTranDate, t.FintechUseNum, t.ClientUseCode, t.PrintContent} {
		if s != "" && s == h.lastStr[i] {
			rec.str[i] = h.lastIdx[i]
			continue
		}
		rec.str[i] = h.strs.intern(s)
		h.lastStr[i], h.lastIdx[i] = s, rec.str[i]
	}
	rec.idChunk, rec.idOff, rec.idLen = h.addID(t.BankTranID)
	h.chunks = appendChunked(h.chunks, rec, transferChunk)
	h.n++
}

// addID copies id into the arena and returns where it is.
func (h *transferStore) addID(id string) (chunk, off, n uint32) {
	last := len(h.ids) - 1
	if last < 0 || cap(h.ids[last])-len(h.ids[last]) < len(id) {
		// A new chunk (the last one's spare bytes stay unused); an id
		// longer than a chunk gets one of its own.
		h.ids = append(h.ids, make([]byte, 0, max(idChunk, len(id))))
		last++
	}
	off = uint32(len(h.ids[last]))
	h.ids[last] = append(h.ids[last], id...)
	return uint32(last), off, uint32(len(id))
}

func (h *transferStore) addAll(ts []Transfer) {
	for _, t := range ts {
		h.add(t)
	}
}

func (h *transferStore) rec(i int) *transferRec {
	if i < len(h.chunks[0]) {
		return &h.chunks[0][i]
	}
	j := i - transferChunk
	return &h.chunks[1+j/transferChunk][j%transferChunk]
}

// id returns the bank_tran_id of a record, pointing into the arena.
func (h *transferStore) id(r *transferRec) string {
	if r.idLen == 0 {
		return ""
	}
	return unsafe.String(&h.ids[r.idChunk][r.idOff], int(r.idLen))
}

// at returns transfer i (0 ≤ i < len).
func (h *transferStore) at(i int) Transfer {
	r := h.rec(i)
	return Transfer{CheckType: h.strs.get(r.str[trCheckType]), BankTranID: h.id(r), BankTranDate: h.strs.get(r.str[trDate]),
		Amount: r.amount, FintechUseNum: h.strs.get(r.str[trFintech]), ClientUseCode: h.strs.get(r.str[trClient]),
		PrintContent: h.strs.get(r.str[trContent])}
}

// backward yields the transfers whose bank_tran_id is id, newest first
// (transfer/result and return/claim take the newest match); other
// records are judged by their id's bytes alone, without reading them back.
func (h *transferStore) backward(id string) iter.Seq[Transfer] {
	return func(yield func(Transfer) bool) {
		for i := h.len() - 1; i >= 0; i-- {
			if r := h.rec(i); int(r.idLen) == len(id) && h.id(r) == id && !yield(h.at(i)) {
				return
			}
		}
	}
}

// all yields the transfers in order.
func (h *transferStore) all() iter.Seq[Transfer] { return seqOf(h.len(), h.at) }

// slice returns transfers [from, to) as a new slice (nil when empty).
func (h *transferStore) slice(from, to int) []Transfer { return sliceOf(from, to, h.at) }
