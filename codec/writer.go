package codec

import (
	"encoding/base64"
	"strconv"

	"github.com/tinylib/msgp/msgp"
)

// writer appends encoded values to b for serializer s. Like cursor, one
// type for all three serializers: JSON separators are written by elem and
// key (they need the element's index), containers need their count up
// front (MessagePack and CBOR write it in the header).
type writer struct {
	s Serializer
	b []byte
}

func (w *writer) arrayStart(n int) {
	switch w.s {
	case JSON:
		w.b = append(w.b, '[')
	case MsgPack:
		w.b = msgp.AppendArrayHeader(w.b, uint32(n))
	case CBOR:
		w.b = appendCBORHead(w.b, cborArray, uint64(n))
	}
}

func (w *writer) arrayEnd() {
	if w.s == JSON {
		w.b = append(w.b, ']')
	}
}

func (w *writer) mapStart(n int) {
	switch w.s {
	case JSON:
		w.b = append(w.b, '{')
	case MsgPack:
		w.b = msgp.AppendMapHeader(w.b, uint32(n))
	case CBOR:
		w.b = appendCBORHead(w.b, cborMap, uint64(n))
	}
}

func (w *writer) mapEnd() {
	if w.s == JSON {
		w.b = append(w.b, '}')
	}
}

// elem precedes the i-th element of an array.
func (w *writer) elem(i int) {
	if w.s == JSON && i > 0 {
		w.b = append(w.b, ',')
	}
}

// key writes the i-th key of a map.
func (w *writer) key(i int, k string) error {
	w.elem(i)
	if err := w.str(k); err != nil {
		return err
	}
	if w.s == JSON {
		w.b = append(w.b, ':')
	}
	return nil
}

func (w *writer) uint(v uint64) {
	switch w.s {
	case JSON:
		w.b = strconv.AppendUint(w.b, v, 10)
	case MsgPack:
		w.b = msgp.AppendUint64(w.b, v)
	case CBOR:
		w.b = appendCBORHead(w.b, cborUint, v)
	}
}

func (w *writer) int(v int64) {
	if v >= 0 {
		w.uint(uint64(v))
		return
	}
	switch w.s {
	case JSON:
		w.b = strconv.AppendInt(w.b, v, 10)
	case MsgPack:
		w.b = msgp.AppendInt64(w.b, v)
	case CBOR:
		w.b = appendCBORHead(w.b, cborNeg, uint64(-(v + 1)))
	}
}

func (w *writer) float(f float64) error {
	switch w.s {
	case JSON:
		var err error
		w.b, err = appendJSONFloat(w.b, f)
		return err
	case MsgPack:
		w.b = msgp.AppendFloat64(w.b, f)
	case CBOR:
		w.b = appendCBORFloat(w.b, f)
	}
	return nil
}

func (w *writer) bool(v bool) {
	switch w.s {
	case JSON:
		if v {
			w.b = append(w.b, "true"...)
		} else {
			w.b = append(w.b, "false"...)
		}
	case MsgPack:
		w.b = msgp.AppendBool(w.b, v)
	case CBOR:
		if v {
			w.b = append(w.b, 0xf5)
		} else {
			w.b = append(w.b, 0xf4)
		}
	}
}

func (w *writer) null() {
	switch w.s {
	case JSON:
		w.b = append(w.b, "null"...)
	case MsgPack:
		w.b = msgp.AppendNil(w.b)
	case CBOR:
		w.b = append(w.b, 0xf6)
	}
}

func (w *writer) str(v string) error {
	switch w.s {
	case JSON:
		var err error
		w.b, err = appendJSONString(w.b, v)
		return err
	case MsgPack:
		w.b = msgp.AppendString(w.b, v)
	case CBOR:
		w.b = appendCBORHead(w.b, cborText, uint64(len(v)))
		w.b = append(w.b, v...)
	}
	return nil
}

// bin writes a byte string; in JSON as the spec's "\u0000"+base64 string.
func (w *writer) bin(v []byte) {
	switch w.s {
	case JSON:
		w.b = append(w.b, '"')
		w.b = append(w.b, jsonBinPrefix...)
		w.b = base64.StdEncoding.AppendEncode(w.b, v)
		w.b = append(w.b, '"')
	case MsgPack:
		w.b = msgp.AppendBytes(w.b, v)
	case CBOR:
		w.b = appendCBORHead(w.b, cborBytes, uint64(len(v)))
		w.b = append(w.b, v...)
	}
}

// raw appends an already encoded value of the writer's serializer.
func (w *writer) raw(v []byte) { w.b = append(w.b, v...) }
