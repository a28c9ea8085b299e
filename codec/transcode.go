package codec

import (
	"encoding/base64"
	"fmt"
)

// Transcoding converts one raw encoded value between serializers. It runs
// only when a message's sender and receiver use different serializers (and
// for Raw values in router-built payloads). It walks the input with the
// cursor and writes with the writer, with no intermediate Go values: it
// allocates only to unescape a JSON string (the "\u0000" of a binary one
// included) and to decode its base64. It is kept hand-written, not
// routed through the libraries (decode into any with one, encode with the
// other), because BenchmarkTranscode_Payload64B_Library measures it 3-10x
// faster with 0-3 allocations against 26-46 for a 64-byte payload (figures
// in docs/benchmarks.md), and a mixed-serializer realm pays it per message.
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
