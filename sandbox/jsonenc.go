package sandbox

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/obpm/obpm/internal/jsonstr"
)

// appendJSON appends v as encoding/json's Encoder with SetEscapeHTML(false)
// writes it (keys sorted, the same number and string forms), without the
// reflection: encoding an answer's map[string]any was a fifth of a balance
// inquiry. Types it does not know go through encoding/json.
func appendJSON(dst []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return jsonstr.Append(dst, t), nil
	case bool:
		return strconv.AppendBool(dst, t), nil
	case int:
		return strconv.AppendInt(dst, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(dst, t, 10), nil
	case float64:
		return appendJSONFloat(dst, t)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonstr.Append(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSON(dst, t[k]); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		if t == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, x := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSON(dst, x); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...), nil
}

// appendJSONFloat is encoding/json's float64 form (ES6 number to string).
func appendJSONFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		_, err := json.Marshal(f) // the same error encoding/json gives
		return dst, err
	}
	abs, format := math.Abs(f), byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// keyOrders remembers the sorted key lists of the answers encoded so far.
// An operation answers with the same fields every time, so an answer whose
// keys are a remembered list is written in that order by looking each key
// up, without collecting and sorting its keys (a fifth of encoding it).
// The output is appendJSON's byte for byte: the same key set has one
// sorted order.
type keyOrders struct {
	mu    sync.Mutex                 // serialises additions
	lists atomic.Pointer[[][]string] // read without the lock; replaced, never changed
}

// maxKeyOrders bounds keyOrders: past it, new key sets are sorted per answer.
const maxKeyOrders = 256

// appendMap appends m as appendJSON does.
func (o *keyOrders) appendMap(dst []byte, m map[string]any) ([]byte, error) {
	if lists := o.lists.Load(); lists != nil {
		for _, keys := range *lists {
			if len(keys) != len(m) || len(keys) == 0 {
				continue
			}
			if _, ok := m[keys[0]]; !ok {
				continue
			}
			out, ok, err := appendInOrder(dst, m, keys)
			if ok || err != nil {
				return out, err
			}
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	o.remember(keys)
	out, _, err := appendInOrder(dst, m, keys)
	return out, err
}

func (o *keyOrders) remember(keys []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var old [][]string
	if p := o.lists.Load(); p != nil {
		old = *p
	}
	if len(old) >= maxKeyOrders {
		return
	}
	for _, l := range old {
		if slices.Equal(l, keys) {
			return
		}
	}
	lists := append(slices.Clip(old), keys)
	o.lists.Store(&lists)
}

// appendInOrder appends m with its keys in the order of keys, which holds
// as many distinct keys as m has. ok is false, and dst is returned as it
// came, when a key is missing from m (m has another key set).
func appendInOrder(dst []byte, m map[string]any, keys []string) (out []byte, ok bool, err error) {
	start := len(dst)
	dst = append(dst, '{')
	for i, k := range keys {
		v, found := m[k]
		if !found {
			return dst[:start], false, nil
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonstr.Append(dst, k)
		dst = append(dst, ':')
		if dst, err = appendJSON(dst, v); err != nil {
			return dst, true, err
		}
	}
	return append(dst, '}'), true, nil
}
