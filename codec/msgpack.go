package codec

import (
	"errors"
	"unicode/utf8"

	"github.com/tinylib/msgp/msgp"
)

// MessagePack reading uses tinylib/msgp's zero-copy Read*Bytes functions;
// the kind of the next value is classified here from its lead byte (msgp
// reports positive int8..int64 encodings as signed, and WAMP cares about the
// sign of ids).

func (c *cursor) mpPeek() (kind, error) {
	if c.p >= len(c.b) {
		return kInvalid, ErrShort
	}
	switch lead := c.b[c.p]; {
	case lead <= 0x7f, lead >= 0xcc && lead <= 0xcf:
		return kUint, nil
	case lead >= 0xe0:
		return kInt, nil
	case lead >= 0xd0 && lead <= 0xd3:
		v, _, err := msgp.ReadInt64Bytes(c.b[c.p:])
		if err != nil {
			return kInvalid, mpErr(err)
		}
		if v < 0 {
			return kInt, nil
		}
		return kUint, nil
	case lead <= 0x8f, lead == 0xde, lead == 0xdf:
		return kMap, nil
	case lead <= 0x9f, lead == 0xdc, lead == 0xdd:
		return kArray, nil
	case lead <= 0xbf, lead == 0xd9, lead == 0xda, lead == 0xdb:
		return kString, nil
	case lead == 0xc0:
		return kNil, nil
	case lead == 0xc2, lead == 0xc3:
		return kBool, nil
	case lead >= 0xc4 && lead <= 0xc6:
		return kBinary, nil
	case lead == 0xca, lead == 0xcb:
		return kFloat, nil
	case lead == 0xc1:
		return kInvalid, ErrSyntax
	}
	return kInvalid, ErrUnsupported // extension types
}

// mpErr maps msgp's errors to the codec's sentinels; msgp's typed errors
// are values that would allocate and say nothing more useful here.
func mpErr(err error) error {
	if errors.Is(err, msgp.ErrShortBytes) {
		return ErrShort
	}
	var te msgp.TypeError
	if errors.As(err, &te) {
		return ErrBadField
	}
	return ErrBadValue
}

// mpAdvance moves the cursor to the remainder o returned by msgp.
func (c *cursor) mpAdvance(o []byte) { c.p = len(c.b) - len(o) }

// mpCheckKind fails with ErrBadField unless the next value has kind want.
func (c *cursor) mpCheckKind(want kind) error {
	k, err := c.mpPeek()
	if err != nil {
		return err
	}
	if k != want {
		return ErrBadField
	}
	return nil
}

func (c *cursor) mpArrayBegin() (iter, error) {
	// fixarray, the header of every WAMP message and most payloads: one
	// byte, no msgp call.
	if c.p < len(c.b) && c.b[c.p]&0xf0 == 0x90 {
		n := int(c.b[c.p] & 0x0f)
		c.p++
		if n > len(c.b)-c.p {
			return iter{}, ErrShort
		}
		return iter{n: n}, nil
	}
	if err := c.mpCheckKind(kArray); err != nil {
		return iter{}, err
	}
	n, o, err := msgp.ReadArrayHeaderBytes(c.b[c.p:])
	if err != nil {
		return iter{}, mpErr(err)
	}
	c.mpAdvance(o)
	// Every element takes at least one byte: a larger count is a lie that
	// must not size an allocation.
	if int(n) > len(c.b)-c.p {
		return iter{}, ErrShort
	}
	return iter{n: int(n)}, nil
}

func (c *cursor) mpMapBegin() (iter, error) {
	if c.p < len(c.b) && c.b[c.p]&0xf0 == 0x80 { // fixmap
		n := int(c.b[c.p] & 0x0f)
		c.p++
		if 2*n > len(c.b)-c.p {
			return iter{}, ErrShort
		}
		return iter{n: n}, nil
	}
	if err := c.mpCheckKind(kMap); err != nil {
		return iter{}, err
	}
	n, o, err := msgp.ReadMapHeaderBytes(c.b[c.p:])
	if err != nil {
		return iter{}, mpErr(err)
	}
	c.mpAdvance(o)
	if 2*int(n) > len(c.b)-c.p {
		return iter{}, ErrShort
	}
	return iter{n: int(n)}, nil
}

func (c *cursor) mpUint() (uint64, error) {
	if c.p < len(c.b) && c.b[c.p] <= 0x7f { // positive fixint: message codes, small ids
		v := uint64(c.b[c.p])
		c.p++
		return v, nil
	}
	if err := c.mpCheckKind(kUint); err != nil {
		return 0, err
	}
	v, o, err := msgp.ReadUint64Bytes(c.b[c.p:])
	if err != nil {
		return 0, mpErr(err)
	}
	c.mpAdvance(o)
	return v, nil
}

func (c *cursor) mpInt() (int64, error) {
	k, err := c.mpPeek()
	if err != nil {
		return 0, err
	}
	if k != kUint && k != kInt {
		return 0, ErrBadField
	}
	v, o, err := msgp.ReadInt64Bytes(c.b[c.p:])
	if err != nil {
		return 0, mpErr(err)
	}
	c.mpAdvance(o)
	return v, nil
}

func (c *cursor) mpFloat() (float64, error) {
	k, err := c.mpPeek()
	if err != nil {
		return 0, err
	}
	switch k {
	case kUint:
		v, err := c.mpUint()
		return float64(v), err
	case kInt:
		v, err := c.mpInt()
		return float64(v), err
	case kFloat:
		if c.b[c.p] == 0xca {
			f, o, err := msgp.ReadFloat32Bytes(c.b[c.p:])
			if err != nil {
				return 0, mpErr(err)
			}
			c.mpAdvance(o)
			return float64(f), nil
		}
		f, o, err := msgp.ReadFloat64Bytes(c.b[c.p:])
		if err != nil {
			return 0, mpErr(err)
		}
		c.mpAdvance(o)
		return f, nil
	}
	return 0, ErrBadField
}

func (c *cursor) mpBool() (bool, error) {
	if err := c.mpCheckKind(kBool); err != nil {
		return false, err
	}
	v, o, err := msgp.ReadBoolBytes(c.b[c.p:])
	if err != nil {
		return false, mpErr(err)
	}
	c.mpAdvance(o)
	return v, nil
}

func (c *cursor) mpNil() error {
	if err := c.mpCheckKind(kNil); err != nil {
		return err
	}
	c.p++
	return nil
}

func (c *cursor) mpStr() ([]byte, error) {
	// fixstr and str8, every dict key and URI in practice: the header read
	// inline instead of peeking the kind and calling msgp (a fifth of a
	// CALL's decode time went there).
	if c.p < len(c.b) {
		n, h := -1, 0
		switch lead := c.b[c.p]; {
		case lead&0xe0 == 0xa0:
			n, h = int(lead&0x1f), 1
		case lead == 0xd9 && c.p+1 < len(c.b):
			n, h = int(c.b[c.p+1]), 2
		}
		if n >= 0 {
			start := c.p + h
			if n > len(c.b)-start {
				return nil, ErrShort
			}
			if !validText(c.b, start, start+n) {
				return nil, ErrInvalidUTF8
			}
			v := c.b[start : start+n : start+n]
			c.p = start + n
			return v, nil
		}
	}
	if err := c.mpCheckKind(kString); err != nil {
		return nil, err
	}
	v, o, err := msgp.ReadStringZC(c.b[c.p:])
	if err != nil {
		return nil, mpErr(err)
	}
	if !utf8.Valid(v) {
		return nil, ErrInvalidUTF8
	}
	c.mpAdvance(o)
	return v, nil
}

func (c *cursor) mpBin() ([]byte, error) {
	if err := c.mpCheckKind(kBinary); err != nil {
		return nil, err
	}
	v, o, err := msgp.ReadBytesZC(c.b[c.p:])
	if err != nil {
		return nil, mpErr(err)
	}
	c.mpAdvance(o)
	return v, nil
}
