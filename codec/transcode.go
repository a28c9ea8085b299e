package codec

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
)

// Transcoding converts one raw encoded value between serializers. It runs
// only when a message's sender and receiver use different serializers (and
// for router-built payloads), so it favours simplicity over speed: it may
// allocate (binary <-> JSON base64, container counts from JSON).
//
// Binary values follow the spec ("Binary support in JSON"): MessagePack bin
// and CBOR byte strings become the JSON string "\u0000" + base64(bytes), and
// JSON strings of that form become bin / byte strings again.

// Transcode appends raw, one value encoded with from, re-encoded with to.
func Transcode(from, to Serializer, dst, raw []byte) ([]byte, error) {
	if !from.valid() || !to.valid() {
		return dst, ErrSerializer
	}
	if from == to {
		return append(dst, raw...), nil
	}
	c := cursor{s: from, b: raw}
	w := writer{s: to, b: dst}
	if err := transcodeValue(&c, &w, 0); err != nil {
		return dst, fmt.Errorf("transcode %s to %s: %w", from, to, err)
	}
	if err := c.end(); err != nil {
		return dst, fmt.Errorf("transcode %s to %s: %w", from, to, err)
	}
	return w.b, nil
}

func (s Serializer) valid() bool { return s == JSON || s == MsgPack || s == CBOR }

// jsonBinary reports whether a decoded JSON string carries binary by the
// spec's convention, and returns the bytes.
func jsonBinary(v []byte) ([]byte, bool) {
	if len(v) == 0 || v[0] != 0 {
		return nil, false
	}
	out, err := base64.StdEncoding.AppendDecode(nil, v[1:])
	if err != nil {
		return nil, false
	}
	return out, true
}

// count returns the number of elements (entries for maps) of the container
// whose header c has just read, without consuming them.
func (c *cursor) count(it iter, isMap bool) (int, error) {
	if it.n >= 0 {
		return it.n, nil
	}
	d := *c
	n := 0
	for {
		ok, err := d.more(&it)
		if err != nil {
			return 0, err
		}
		if !ok {
			return n, nil
		}
		if isMap {
			if _, err := d.key(); err != nil {
				return 0, err
			}
		}
		if _, err := d.skip(1); err != nil {
			return 0, err
		}
		n++
	}
}

func transcodeValue(c *cursor, w *writer, depth int) error {
	if depth > maxDepth {
		return ErrTooDeep
	}
	k, err := c.peek()
	if err != nil {
		return err
	}
	switch k {
	case kNil:
		w.null()
		return c.readNil()
	case kBool:
		v, err := c.readBool()
		w.bool(v)
		return err
	case kUint:
		v, err := c.readUint()
		w.uint(v)
		return err
	case kInt:
		v, err := c.readInt()
		w.int(v)
		return err
	case kFloat:
		v, err := c.readFloat()
		if err != nil {
			return err
		}
		return w.float(v)
	case kString:
		v, err := c.readStr()
		if err != nil {
			return err
		}
		if c.s == JSON {
			if bin, ok := jsonBinary(v); ok {
				w.bin(bin)
				return nil
			}
		}
		return w.str(str(v))
	case kBinary:
		v, err := c.readBin()
		w.bin(v)
		return err
	case kArray, kMap:
		isMap := k == kMap
		var it iter
		if isMap {
			it, err = c.mapBegin()
		} else {
			it, err = c.arrayBegin()
		}
		if err != nil {
			return err
		}
		n := 0
		if w.s != JSON {
			if n, err = c.count(it, isMap); err != nil {
				return err
			}
		}
		if isMap {
			w.mapStart(n)
		} else {
			w.arrayStart(n)
		}
		for i := 0; ; i++ {
			ok, err := c.more(&it)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			if isMap {
				key, err := c.key()
				if err != nil {
					return err
				}
				if err := w.key(i, str(key)); err != nil {
					return err
				}
			} else {
				w.elem(i)
			}
			if err := transcodeValue(c, w, depth+1); err != nil {
				return err
			}
		}
		if isMap {
			w.mapEnd()
		} else {
			w.arrayEnd()
		}
		return nil
	}
	return ErrUnsupported
}

// DecodeValue decodes one value encoded with s into generic Go values:
// nil, bool, int64 (uint64 above MaxInt64), float64, string, []byte, []any
// and map[string]any. JSON strings of the form "\u0000"+base64 decode to
// []byte, as the spec says. It allocates; it is for control messages
// (HELLO details, meta API) and tests, not the hot path.
func DecodeValue(s Serializer, data []byte) (any, error) {
	if !s.valid() {
		return nil, ErrSerializer
	}
	c := cursor{s: s, b: data}
	v, err := decodeValue(&c, 0)
	if err != nil {
		return nil, fmt.Errorf("decode %s value: %w", s, err)
	}
	if err := c.end(); err != nil {
		return nil, fmt.Errorf("decode %s value: %w", s, err)
	}
	return v, nil
}

func decodeValue(c *cursor, depth int) (any, error) {
	if depth > maxDepth {
		return nil, ErrTooDeep
	}
	k, err := c.peek()
	if err != nil {
		return nil, err
	}
	switch k {
	case kNil:
		return nil, c.readNil()
	case kBool:
		return c.readBool()
	case kUint:
		v, err := c.readUint()
		if v > math.MaxInt64 {
			return v, err
		}
		return int64(v), err
	case kInt:
		return c.readInt()
	case kFloat:
		return c.readFloat()
	case kString:
		v, err := c.readStr()
		if err != nil {
			return nil, err
		}
		if c.s == JSON {
			if bin, ok := jsonBinary(v); ok {
				return bin, nil
			}
		}
		return string(v), nil
	case kBinary:
		v, err := c.readBin()
		return slices.Clone(v), err
	case kArray:
		it, err := c.arrayBegin()
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, max(it.n, 0))
		for {
			ok, err := c.more(&it)
			if err != nil {
				return nil, err
			}
			if !ok {
				return out, nil
			}
			v, err := decodeValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	case kMap:
		return decodeMap(c, depth)
	}
	return nil, ErrUnsupported
}

func decodeMap(c *cursor, depth int) (map[string]any, error) {
	it, err := c.mapBegin()
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, max(it.n, 0))
	for {
		ok, err := c.more(&it)
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		key, err := c.key()
		if err != nil {
			return nil, err
		}
		v, err := decodeValue(c, depth+1)
		if err != nil {
			return nil, err
		}
		out[string(key)] = v
	}
}

// Raw is a value already encoded with Ser. AppendValue splices it when the
// serializers match and transcodes it otherwise, so a router can put a
// received payload inside a value it builds (meta events, say).
type Raw struct {
	Ser Serializer
	B   []byte
}

// AppendValue encodes the generic value v with s and appends it to dst.
// It knows nil, bool, the integer and float types, string, []byte, Raw,
// []any, []string, []uint64, []int64, map[string]any and map[string]string;
// map keys are written sorted so the output is deterministic.
func AppendValue(s Serializer, dst []byte, v any) ([]byte, error) {
	if !s.valid() {
		return dst, ErrSerializer
	}
	w := writer{s: s, b: dst}
	if err := appendValue(&w, v, 0); err != nil {
		return dst, fmt.Errorf("encode %s value: %w", s, err)
	}
	return w.b, nil
}

func appendValue(w *writer, v any, depth int) error {
	if depth > maxDepth {
		return ErrTooDeep
	}
	switch v := v.(type) {
	case nil:
		w.null()
	case bool:
		w.bool(v)
	case int:
		w.int(int64(v))
	case int8:
		w.int(int64(v))
	case int16:
		w.int(int64(v))
	case int32:
		w.int(int64(v))
	case int64:
		w.int(v)
	case uint:
		w.uint(uint64(v))
	case uint8:
		w.uint(uint64(v))
	case uint16:
		w.uint(uint64(v))
	case uint32:
		w.uint(uint64(v))
	case uint64:
		w.uint(v)
	case float32:
		return w.float(float64(v))
	case float64:
		return w.float(v)
	case string:
		return w.str(v)
	case []byte:
		w.bin(v)
	case Raw:
		if v.Ser == w.s {
			w.raw(v.B)
			return nil
		}
		c := cursor{s: v.Ser, b: v.B}
		if !v.Ser.valid() {
			return ErrSerializer
		}
		if err := transcodeValue(&c, w, depth); err != nil {
			return err
		}
		return c.end()
	case []any:
		w.arrayStart(len(v))
		for i, e := range v {
			w.elem(i)
			if err := appendValue(w, e, depth+1); err != nil {
				return err
			}
		}
		w.arrayEnd()
	case []string:
		w.arrayStart(len(v))
		for i, e := range v {
			w.elem(i)
			if err := w.str(e); err != nil {
				return err
			}
		}
		w.arrayEnd()
	case []uint64:
		w.arrayStart(len(v))
		for i, e := range v {
			w.elem(i)
			w.uint(e)
		}
		w.arrayEnd()
	case []int64:
		w.arrayStart(len(v))
		for i, e := range v {
			w.elem(i)
			w.int(e)
		}
		w.arrayEnd()
	case map[string]any:
		keys := sortedKeys(v)
		w.mapStart(len(keys))
		for i, k := range keys {
			if err := w.key(i, k); err != nil {
				return err
			}
			if err := appendValue(w, v[k], depth+1); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		w.mapEnd()
	case map[string]string:
		keys := sortedKeys(v)
		w.mapStart(len(keys))
		for i, k := range keys {
			if err := w.key(i, k); err != nil {
				return err
			}
			if err := w.str(v[k]); err != nil {
				return err
			}
		}
		w.mapEnd()
	default:
		return fmt.Errorf("%w: %T", ErrUnsupported, v)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
