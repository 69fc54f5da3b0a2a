package sandbox

import (
	"bytes"
	"sync/atomic"
	"unicode/utf8"
)

// flatName is a property name decodeFlatObject expects, with the last
// string value decoded for it: a value equal to the last one is stored as
// that same interface value, without a string and a box of its own. Most
// members of a client's bodies repeat from one request to the next (a
// withdraw's account numbers, names, contents), so a withdraw's body cost
// two allocations instead of thirty, and the history rows share one copy of
// a repeated print content. One value per name: the memory is bounded.
type flatName struct {
	key  string
	last atomic.Value // any holding a string
}

// flatNames maps each name to itself, for decodeFlatObject.
type flatNames map[string]*flatName

func newFlatNames(names ...string) flatNames {
	out := make(flatNames, len(names))
	for _, n := range names {
		out[n] = &flatName{key: n}
	}
	return out
}

// valueString is value for a string the caller lets the name keep (a
// query's value: the last one keeps its request's query alive, one per
// name).
func (n *flatName) valueString(val string) any {
	if v := n.last.Load(); v != nil {
		if s, _ := v.(string); s == val {
			return v
		}
	}
	v := any(val)
	n.last.Store(v)
	return v
}

// value is val as a string in an interface, the last one when equal.
func (n *flatName) value(val []byte) any {
	if v := n.last.Load(); v != nil {
		if s, _ := v.(string); s == string(val) {
			return v
		}
	}
	v := any(string(val))
	n.last.Store(v)
	return v
}

// decodeFlatObject decodes the common request body in one pass: a JSON
// object whose members are all strings without escapes, true, false or
// null. It returns what encoding/json (with UseNumber) decodes into a
// map[string]any, and ok=false, to hand the body to encoding/json, for
// anything else: nesting, numbers, escapes, control characters, invalid
// UTF-8, text after the object, bad syntax. hasEmpty reports a "" value
// (validate drops those). Most of encoding/json's cost on these bodies was
// reflection and its scanner's state machine run byte by byte. names, if
// not nil, holds the keys expected: a key found there is stored without a
// copy of its own, and its value as flatName.value gives it.
func decodeFlatObject(b []byte, names flatNames) (m map[string]any, hasEmpty, ok bool) {
	return decodeFlatObjectInto(b, names, nil, nil)
}

// decodeFlatObjectInto is decodeFlatObject filling into, an empty map,
// when it is not nil (a recycled input map: inputMaps). sm, when not nil,
// gets the keys' order and whether it is sm.seq's (see seqMatch): a key
// found at its place in sm.seq is taken from there, not looked up in names.
func decodeFlatObjectInto(b []byte, names flatNames, into map[string]any, sm *seqMatch) (m map[string]any, hasEmpty, ok bool) {
	var expect []*flatName
	same := sm != nil && sm.seq != nil
	if same {
		expect = sm.seq.names
	}
	known := sm != nil
	j := 0 // the member's index
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false, false
	}
	i = skipSpace(b, i+1)
	// One colon per member, and a few more if values hold colons: the map
	// is made at its size once.
	if m = into; m == nil {
		m = make(map[string]any, bytes.Count(b[i:], []byte{':'}))
	}
	if i < len(b) && b[i] == '}' {
		if sm != nil {
			sm.same, sm.known, sm.n = same && len(expect) == 0, known, 0
		}
		return m, false, skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false, false
		}
		key, next, good := plainString(b, i+1)
		if !good {
			return nil, false, false
		}
		i = skipSpace(b, next)
		if i >= len(b) || b[i] != ':' {
			return nil, false, false
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return nil, false, false
		}
		var name *flatName
		if same && j < len(expect) && expect[j].key == string(key) {
			name = expect[j]
		} else {
			name, same = names[string(key)], false
		}
		if j >= maxSeqKeys {
			same, known = false, false
		}
		if known {
			if name == nil {
				known = false
			} else {
				sm.order[j] = name
			}
		}
		var v any
		switch c := b[i]; c {
		case '"':
			val, next, good := plainString(b, i+1)
			if !good {
				return nil, false, false
			}
			switch {
			case len(val) == 0:
				hasEmpty = true
				v = ""
			case name != nil:
				v = name.value(val)
			default:
				v = string(val)
			}
			i = next
		case 't', 'f', 'n':
			lit, val := "null", any(nil)
			switch c {
			case 't':
				lit, val = "true", true
			case 'f':
				lit, val = "false", false
			}
			if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
				return nil, false, false
			}
			v, i = val, i+len(lit)
		default:
			return nil, false, false
		}
		if same {
			sm.vals[j] = v
		}
		j++
		// A key repeated keeps its last value, as encoding/json does.
		if name != nil {
			m[name.key] = v
		} else {
			m[string(key)] = v
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return nil, false, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			if sm != nil {
				sm.same, sm.known, sm.n = same && j == len(expect), known, j
			}
			return m, hasEmpty, skipSpace(b, i+1) == len(b)
		default:
			return nil, false, false
		}
	}
}

// plainString reads a JSON string's body starting after its opening quote:
// the bytes up to the closing quote and the index after it. good is false
// for an escape, a control character, invalid UTF-8 or no closing quote.
func plainString(b []byte, i int) (s []byte, next int, good bool) {
	start, ascii := i, true
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			s = b[start:i]
			if !ascii && !utf8.Valid(s) {
				return nil, 0, false
			}
			return s, i + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, 0, false
}

// skipSpace skips JSON whitespace from i.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}
