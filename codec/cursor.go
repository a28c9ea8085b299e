package codec

import (
	"fmt"
	"unsafe"
)

// maxDepth bounds the nesting of any value the codec walks (skips,
// transcodes or decodes), so a hostile message cannot exhaust the stack.
const maxDepth = 64

// MaxID is the largest WAMP id (2^53, the largest integer a JSON peer
// represents exactly): session, publication, subscription, registration
// and request ids are all in [1, MaxID]. The one copy for the router.
const MaxID = 1 << 53

// kind is the type of the next encoded value, the same vocabulary for all
// three serializers.
type kind uint8

const (
	kInvalid kind = iota
	kNil
	kBool
	kUint  // non-negative integer
	kInt   // negative integer
	kFloat // floating point number
	kString
	kBinary
	kArray
	kMap
)

var kindNames = [...]string{"invalid", "nil", "bool", "uint", "int", "float", "string", "binary", "array", "map"}

func (k kind) String() string { return kindNames[k] }

// cursor reads one encoded value after the other from b, whatever the
// serializer: every primitive switches on s. One walker for all three keeps
// their semantics identical (validation, depth limits, binary handling) and
// lets decoding, skipping, transcoding and generic decoding be written once.
// A cursor lives on the caller's stack; it never allocates except to
// unescape a JSON string or join a chunked CBOR string (both rare).
type cursor struct {
	s    Serializer
	b    []byte
	p    int
	lean bool // DecodeLean: leave session-control dicts raw
}

// iter walks the elements of an array or the entries of a map. n is the
// count, or -1 when the encoding does not say (JSON, indefinite CBOR).
type iter struct {
	n     int
	i     int
	close byte // JSON closing bracket
}

// str returns b as a string sharing its memory (zero copy). Callers hand it
// out only under the Message aliasing contract.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// peek reports the kind of the next value without consuming it.
func (c *cursor) peek() (kind, error) {
	switch c.s {
	case JSON:
		return c.jsonPeek()
	case MsgPack:
		return c.mpPeek()
	case CBOR:
		return c.cborPeek()
	}
	return kInvalid, ErrSerializer
}

// arrayBegin consumes an array header.
func (c *cursor) arrayBegin() (iter, error) {
	switch c.s {
	case JSON:
		return c.jsonBegin('[', ']')
	case MsgPack:
		return c.mpArrayBegin()
	case CBOR:
		return c.cborBegin(4)
	}
	return iter{}, ErrSerializer
}

// mapBegin consumes a map header; entries are read with key then a value.
func (c *cursor) mapBegin() (iter, error) {
	switch c.s {
	case JSON:
		return c.jsonBegin('{', '}')
	case MsgPack:
		return c.mpMapBegin()
	case CBOR:
		return c.cborBegin(5)
	}
	return iter{}, ErrSerializer
}

// eachEntry reads a map, calling fn with each key while the cursor stands
// on that key's value; fn must consume the value. The key aliases the input
// (or is a fresh unescaped copy, see key).
func (c *cursor) eachEntry(fn func(key []byte) error) error {
	it, err := c.mapBegin()
	if err != nil {
		return err
	}
	for {
		ok, err := c.more(&it)
		if err != nil || !ok {
			return err
		}
		k, err := c.key()
		if err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
	}
}

// more reports whether another element (or map entry) follows, consuming
// separators and the end of the container.
func (c *cursor) more(it *iter) (bool, error) {
	if c.s == JSON {
		return c.jsonMore(it)
	}
	if it.n >= 0 {
		if it.i < it.n {
			it.i++
			return true, nil
		}
		return false, nil
	}
	// Indefinite-length CBOR: ends at the break byte.
	if c.p >= len(c.b) {
		return false, ErrShort
	}
	if c.b[c.p] == 0xff {
		c.p++
		return false, nil
	}
	it.i++
	return true, nil
}

// key reads a map key, which WAMP requires to be a string. The bytes alias
// the input unless the key had to be unescaped.
func (c *cursor) key() ([]byte, error) {
	k, err := c.readStr()
	if err != nil {
		return nil, err
	}
	if c.s == JSON {
		if err := c.jsonColon(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// readUint reads a non-negative integer.
func (c *cursor) readUint() (uint64, error) {
	switch c.s {
	case JSON:
		return c.jsonUint()
	case MsgPack:
		return c.mpUint()
	case CBOR:
		return c.cborUint()
	}
	return 0, ErrSerializer
}

// readID reads a WAMP id: an integer in [0, 2^53].
func (c *cursor) readID() (uint64, error) {
	v, err := c.readUint()
	if err != nil {
		return 0, err
	}
	if v > MaxID {
		return 0, ErrBadValue
	}
	return v, nil
}

// readBool reads a boolean.
func (c *cursor) readBool() (bool, error) {
	switch c.s {
	case JSON:
		return c.jsonBool()
	case MsgPack:
		return c.mpBool()
	case CBOR:
		return c.cborBool()
	}
	return false, ErrSerializer
}

// readStr reads a text string; the bytes alias the input when they can.
func (c *cursor) readStr() ([]byte, error) {
	switch c.s {
	case JSON:
		return c.jsonStr()
	case MsgPack:
		return c.mpStr()
	case CBOR:
		return c.cborStr()
	}
	return nil, ErrSerializer
}

// readString is readStr as a string aliasing the input.
func (c *cursor) readString() (string, error) {
	b, err := c.readStr()
	return str(b), err
}

// readBin reads a byte string (MessagePack bin, CBOR major type 2). JSON has
// no binary type; its "\u0000"+base64 strings are handled by the callers
// that care (transcoding, generic decoding).
func (c *cursor) readBin() ([]byte, error) {
	switch c.s {
	case MsgPack:
		return c.mpBin()
	case CBOR:
		return c.cborBin()
	}
	return nil, ErrBadField
}

// readInt reads any integer that fits in int64.
func (c *cursor) readInt() (int64, error) {
	switch c.s {
	case JSON:
		return c.jsonInt()
	case MsgPack:
		return c.mpInt()
	case CBOR:
		return c.cborInt()
	}
	return 0, ErrSerializer
}

// readFloat reads any number as float64.
func (c *cursor) readFloat() (float64, error) {
	switch c.s {
	case JSON:
		return c.jsonFloat()
	case MsgPack:
		return c.mpFloat()
	case CBOR:
		return c.cborFloat()
	}
	return 0, ErrSerializer
}

// readNil consumes a null.
func (c *cursor) readNil() error {
	switch c.s {
	case JSON:
		return c.jsonNil()
	case MsgPack:
		return c.mpNil()
	case CBOR:
		return c.cborNil()
	}
	return ErrSerializer
}

// skip consumes one value of any kind, validating its structure, and
// returns its raw bytes (a sub-slice of the input). It uses the dedicated
// walkers of skip.go, which do not check UTF-8 inside MessagePack and CBOR
// strings (see the package doc).
func (c *cursor) skip(depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, ErrTooDeep
	}
	if c.s == JSON {
		c.jsonWS()
	}
	start := c.p
	var err error
	switch c.s {
	case JSON:
		err = c.jsonSkip(depth)
	case MsgPack:
		err = c.mpSkip(depth)
	case CBOR:
		err = c.cborSkip(depth)
	default:
		err = ErrSerializer
	}
	if err != nil {
		return nil, err
	}
	return c.b[start:c.p], nil
}

// skipKind consumes one value that must be of kind want (an array or map
// for Args and Kwargs, a map for a dict) and returns its raw bytes.
func (c *cursor) skipKind(want kind, field string) ([]byte, error) {
	k, err := c.peek()
	if err != nil {
		return nil, fieldErr(field, err)
	}
	if k != want {
		return nil, fmt.Errorf("%w: %s is %s, want %s", ErrBadField, field, k, want)
	}
	raw, err := c.skip(1)
	if err != nil {
		return nil, fieldErr(field, err)
	}
	return raw, nil
}

// end checks that nothing but (JSON) whitespace follows the message.
func (c *cursor) end() error {
	if c.s == JSON {
		c.jsonWS()
	}
	if c.p != len(c.b) {
		return fmt.Errorf("%w: %d bytes", ErrTrailing, len(c.b)-c.p)
	}
	return nil
}

// fieldErr wraps err with the field it happened in.
func fieldErr(field string, err error) error {
	return fmt.Errorf("%s: %w", field, err)
}
