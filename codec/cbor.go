package codec

import (
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// CBOR (RFC 8949) reading and writing of heads is hand-written: the hot path
// needs the extent of a value without decoding it, which a generic decoder
// cannot give without allocating. Tags are accepted and ignored (their
// content is the value), except on an option the router reads, which must
// be untagged (decodeOption); indefinite-length arrays, maps and strings are
// accepted; simple values other than false/true/null/undefined are not.

const (
	cborUint   = 0
	cborNeg    = 1
	cborBytes  = 2
	cborText   = 3
	cborArray  = 4
	cborMap    = 5
	cborTag    = 6
	cborSimple = 7
)

// cborHead decodes the head at c.p without consuming it: major type,
// argument, whether the length is indefinite, and the head's size.
func (c *cursor) cborHead() (major byte, arg uint64, indef bool, size int, err error) {
	b := c.b[c.p:]
	if len(b) == 0 {
		return 0, 0, false, 0, ErrShort
	}
	major, ai := b[0]>>5, b[0]&31
	switch {
	case ai < 24:
		return major, uint64(ai), false, 1, nil
	case ai == 24:
		if len(b) < 2 {
			return 0, 0, false, 0, ErrShort
		}
		return major, uint64(b[1]), false, 2, nil
	case ai == 25:
		if len(b) < 3 {
			return 0, 0, false, 0, ErrShort
		}
		return major, uint64(binary.BigEndian.Uint16(b[1:])), false, 3, nil
	case ai == 26:
		if len(b) < 5 {
			return 0, 0, false, 0, ErrShort
		}
		return major, uint64(binary.BigEndian.Uint32(b[1:])), false, 5, nil
	case ai == 27:
		if len(b) < 9 {
			return 0, 0, false, 0, ErrShort
		}
		return major, binary.BigEndian.Uint64(b[1:]), false, 9, nil
	case ai == 31 && major >= cborBytes && major <= cborMap:
		return major, 0, true, 1, nil
	}
	return 0, 0, false, 0, ErrSyntax
}

// cborSkipTags consumes any tag heads before a value.
func (c *cursor) cborSkipTags() error {
	for c.p < len(c.b) && c.b[c.p]>>5 == cborTag {
		_, _, _, size, err := c.cborHead()
		if err != nil {
			return err
		}
		c.p += size
	}
	return nil
}

func (c *cursor) cborPeek() (kind, error) {
	if err := c.cborSkipTags(); err != nil {
		return kInvalid, err
	}
	major, arg, indef, _, err := c.cborHead()
	if err != nil {
		return kInvalid, err
	}
	switch major {
	case cborUint:
		return kUint, nil
	case cborNeg:
		return kInt, nil
	case cborBytes:
		return kBinary, nil
	case cborText:
		return kString, nil
	case cborArray:
		return kArray, nil
	case cborMap:
		return kMap, nil
	case cborSimple:
		if indef {
			return kInvalid, ErrSyntax
		}
		switch c.b[c.p] & 31 {
		case 20, 21:
			return kBool, nil
		case 22, 23:
			return kNil, nil
		case 25, 26, 27:
			return kFloat, nil
		}
		_ = arg
	}
	return kInvalid, ErrUnsupported
}

// cborExpect consumes tags and the head of a value of kind want.
func (c *cursor) cborExpect(want kind) (arg uint64, indef bool, err error) {
	k, err := c.cborPeek()
	if err != nil {
		return 0, false, err
	}
	if k != want {
		return 0, false, ErrBadField
	}
	_, arg, indef, size, err := c.cborHead()
	if err != nil {
		return 0, false, err
	}
	c.p += size
	return arg, indef, nil
}

func (c *cursor) cborBegin(major byte) (iter, error) {
	want := kArray
	if major == cborMap {
		want = kMap
	}
	n, indef, err := c.cborExpect(want)
	if err != nil {
		return iter{}, err
	}
	if indef {
		return iter{n: -1}, nil
	}
	per := uint64(1)
	if major == cborMap {
		per = 2
	}
	if n > uint64(len(c.b)-c.p)/per {
		return iter{}, ErrShort
	}
	return iter{n: int(n)}, nil
}

func (c *cursor) cborUint() (uint64, error) {
	v, _, err := c.cborExpect(kUint)
	return v, err
}

func (c *cursor) cborInt() (int64, error) {
	k, err := c.cborPeek()
	if err != nil {
		return 0, err
	}
	if k != kUint && k != kInt {
		return 0, ErrBadField
	}
	_, arg, _, size, _ := c.cborHead()
	if arg > math.MaxInt64 {
		return 0, ErrBadValue
	}
	c.p += size
	if k == kInt {
		return -1 - int64(arg), nil
	}
	return int64(arg), nil
}

func (c *cursor) cborFloat() (float64, error) {
	k, err := c.cborPeek()
	if err != nil {
		return 0, err
	}
	_, arg, _, size, _ := c.cborHead()
	switch k {
	case kUint:
		c.p += size
		return float64(arg), nil
	case kInt:
		c.p += size
		return -1 - float64(arg), nil
	case kFloat:
		c.p += size
		switch size {
		case 3:
			return float64(halfToFloat(uint16(arg))), nil
		case 5:
			return float64(math.Float32frombits(uint32(arg))), nil
		}
		return math.Float64frombits(arg), nil
	}
	return 0, ErrBadField
}

// halfToFloat converts an IEEE 754 half-precision float.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		f := float32(frac) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

func (c *cursor) cborBool() (bool, error) {
	if k, err := c.cborPeek(); err != nil {
		return false, err
	} else if k != kBool {
		return false, ErrBadField
	}
	v := c.b[c.p] == 0xf5
	c.p++
	return v, nil
}

func (c *cursor) cborNil() error {
	if k, err := c.cborPeek(); err != nil {
		return err
	} else if k != kNil {
		return ErrBadField
	}
	c.p++
	return nil
}

// cborString reads a byte or text string (major type 2 or 3). Definite
// strings alias the input; indefinite ones are joined into a new slice.
func (c *cursor) cborString(want kind, major byte) ([]byte, error) {
	n, indef, err := c.cborExpect(want)
	if err != nil {
		return nil, err
	}
	if !indef {
		if n > uint64(len(c.b)-c.p) {
			return nil, ErrShort
		}
		v := c.b[c.p : c.p+int(n)]
		c.p += int(n)
		return v, nil
	}
	out := []byte{}
	for {
		if c.p >= len(c.b) {
			return nil, ErrShort
		}
		if c.b[c.p] == 0xff {
			c.p++
			return out, nil
		}
		m, arg, ind, size, err := c.cborHead()
		if err != nil {
			return nil, err
		}
		if m != major || ind { // chunks are definite strings of the same type
			return nil, ErrSyntax
		}
		c.p += size
		if arg > uint64(len(c.b)-c.p) {
			return nil, ErrShort
		}
		out = append(out, c.b[c.p:c.p+int(arg)]...)
		c.p += int(arg)
	}
}

func (c *cursor) cborStr() ([]byte, error) {
	v, err := c.cborString(kString, cborText)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(v) {
		return nil, ErrInvalidUTF8
	}
	return v, nil
}

func (c *cursor) cborBin() ([]byte, error) { return c.cborString(kBinary, cborBytes) }

// CBOR writing: shortest-form heads (preferred serialization).

func appendCBORHead(b []byte, major byte, arg uint64) []byte {
	m := major << 5
	switch {
	case arg < 24:
		return append(b, m|byte(arg))
	case arg <= math.MaxUint8:
		return append(b, m|24, byte(arg))
	case arg <= math.MaxUint16:
		return append(b, m|25, byte(arg>>8), byte(arg))
	case arg <= math.MaxUint32:
		return append(b, m|26, byte(arg>>24), byte(arg>>16), byte(arg>>8), byte(arg))
	}
	return append(b, m|27, byte(arg>>56), byte(arg>>48), byte(arg>>40), byte(arg>>32),
		byte(arg>>24), byte(arg>>16), byte(arg>>8), byte(arg))
}

func appendCBORFloat(b []byte, f float64) []byte {
	if f32 := float32(f); float64(f32) == f || math.IsNaN(f) {
		v := math.Float32bits(f32)
		return append(b, 0xfa, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	v := math.Float64bits(f)
	return append(b, 0xfb, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}
