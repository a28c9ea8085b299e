package codec

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unicode/utf8"
)

// Skipping: finding the extent of one value (Args, Kwargs, an unknown
// option) is the router's main decoding cost, since the payload is not
// decoded at all. So each serializer has a dedicated walker that checks the
// structure byte for byte (heads, lengths, nesting, string keys, JSON
// grammar and escapes) without classifying every value through peek and
// the read* accessors, and without allocating (escaped JSON strings and
// chunked CBOR strings are checked, not joined).
//
// What is checked is what keeps the spliced bytes exact and well-formed for
// their serializer. UTF-8 inside MessagePack and CBOR strings is not (see
// "Validation of passed-through payloads" in the package doc): it cannot
// change an extent, and a transcode validates it where it matters.

// SWAR constants: one byte repeated over a 64-bit word.
const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// jsonSpecial reports (as a non-zero mask) whether the 8 bytes of x hold a
// quote, a backslash or a control character: the bytes that end a run of
// plain string content. The test is exact as to whether any byte matches.
func jsonSpecial(x uint64) uint64 {
	q := x ^ (swarLo * '"')
	bs := x ^ (swarLo * '\\')
	return ((q-swarLo)&^q | (bs-swarLo)&^bs | (x-swarLo*0x20)&^x) & swarHi
}

// jsonScanStr finds the end of the JSON string whose opening quote is at
// b[i-1]: the index of the closing quote. It validates escapes and rejects
// control characters; hi reports bytes >= 0x80 (the body then needs a UTF-8
// check), escaped whether there were escapes. Plain runs go 8 bytes at a
// time.
func jsonScanStr(b []byte, i int) (end int, escaped, hi bool, err error) {
	var high uint64
	for {
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			if m := jsonSpecial(x); m != 0 {
				// Go straight to the first special byte (the lowest
				// flagged one is exact) instead of walking up to it byte
				// by byte; the plain bytes before it count for high.
				k := bits.TrailingZeros64(m) / 8
				high |= x & (1<<(8*k) - 1)
				i += k
				break
			}
			high |= x
			i += 8
		}
		if i >= len(b) {
			return 0, false, false, ErrShort
		}
		ch := b[i]
		switch {
		case ch == '"':
			return i, escaped, high&swarHi != 0, nil
		case ch == '\\':
			escaped = true
			if i+1 >= len(b) {
				return 0, false, false, ErrShort
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for j := i + 2; j < i+6; j++ {
					if j >= len(b) {
						return 0, false, false, ErrShort
					}
					if !isHex(b[j]) {
						return 0, false, false, ErrSyntax
					}
				}
				i += 6
			default:
				return 0, false, false, ErrSyntax
			}
		case ch < 0x20:
			return 0, false, false, ErrSyntax
		default:
			high |= uint64(ch)
			i++
		}
	}
}

func isHex(ch byte) bool {
	return ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F'
}

// jsonSkipStr consumes the string at c.p (its opening quote). JSON text is
// UTF-8, so the body is checked, but only when it has a non-ASCII byte.
func (c *cursor) jsonSkipStr() error {
	start := c.p + 1
	end, _, hi, err := jsonScanStr(c.b, start)
	if err != nil {
		return err
	}
	// Escapes are ASCII, so checking the raw body checks the unescaped one.
	if hi && !utf8.Valid(c.b[start:end]) {
		return ErrInvalidUTF8
	}
	c.p = end + 1
	return nil
}

// jsonSkip consumes one JSON value at nesting depth.
func (c *cursor) jsonSkip(depth int) error {
	if depth > maxDepth {
		return ErrTooDeep
	}
	c.jsonWS()
	if c.p >= len(c.b) {
		return ErrShort
	}
	switch ch := c.b[c.p]; {
	case ch == '"':
		return c.jsonSkipStr()
	case ch == '[' || ch == '{':
		return c.jsonSkipContainer(ch == '{', depth)
	case ch == 't':
		return c.jsonLit("true")
	case ch == 'f':
		return c.jsonLit("false")
	case ch == 'n':
		return c.jsonLit("null")
	case ch == '-' || (ch >= '0' && ch <= '9'):
		// The grammar is all a skip needs: every number it accepts parses
		// (integers beyond 64 bits and out-of-range floats are accepted as
		// floats elsewhere too).
		end, _, err := c.jsonNumber()
		if err != nil {
			return err
		}
		c.p = end
		return nil
	}
	return ErrSyntax
}

// jsonSkipContainer consumes the array or object at c.p.
func (c *cursor) jsonSkipContainer(isMap bool, depth int) error {
	closer := byte(']')
	if isMap {
		closer = '}'
	}
	c.p++
	c.jsonWS()
	if c.p >= len(c.b) {
		return ErrShort
	}
	if c.b[c.p] == closer {
		c.p++
		return nil
	}
	for {
		if isMap {
			if c.b[c.p] != '"' {
				if _, err := c.jsonPeek(); err != nil {
					return err
				}
				return ErrBadField // keys are strings
			}
			if err := c.jsonSkipStr(); err != nil {
				return err
			}
			if err := c.jsonColon(); err != nil {
				return err
			}
		}
		if err := c.jsonSkip(depth + 1); err != nil {
			return err
		}
		c.jsonWS()
		if c.p >= len(c.b) {
			return ErrShort
		}
		switch c.b[c.p] {
		case closer:
			c.p++
			return nil
		case ',':
		default:
			return ErrSyntax
		}
		c.p++
		c.jsonWS()
		if c.p >= len(c.b) {
			return ErrShort
		}
	}
}

// mpSkip consumes one MessagePack value at nesting depth: fixed-size values
// by their lead byte, strings and bins by their length (no per-byte work),
// arrays and maps element by element (map keys must be strings).
func (c *cursor) mpSkip(depth int) error {
	if depth > maxDepth {
		return ErrTooDeep
	}
	b, p := c.b, c.p
	if p >= len(b) {
		return ErrShort
	}
	lead := b[p]
	var head, n int // head size; length of the content that follows it
	switch {
	case lead <= 0x7f, lead >= 0xe0, lead == 0xc0, lead == 0xc2, lead == 0xc3:
		c.p = p + 1
		return nil
	case lead <= 0x8f:
		return c.mpSkipContainer(p+1, int(lead&0x0f), true, depth)
	case lead <= 0x9f:
		return c.mpSkipContainer(p+1, int(lead&0x0f), false, depth)
	case lead <= 0xbf:
		head, n = 1, int(lead&0x1f)
	case lead == 0xc4, lead == 0xd9:
		if p+2 > len(b) {
			return ErrShort
		}
		head, n = 2, int(b[p+1])
	case lead == 0xc5, lead == 0xda:
		if p+3 > len(b) {
			return ErrShort
		}
		head, n = 3, int(binary.BigEndian.Uint16(b[p+1:]))
	case lead == 0xc6, lead == 0xdb:
		if p+5 > len(b) {
			return ErrShort
		}
		head, n = 5, int(binary.BigEndian.Uint32(b[p+1:]))
	case lead == 0xcc, lead == 0xd0:
		head = 2
	case lead == 0xcd, lead == 0xd1:
		head = 3
	case lead == 0xca, lead == 0xce, lead == 0xd2:
		head = 5
	case lead == 0xcb, lead == 0xcf, lead == 0xd3:
		head = 9
	case lead == 0xdc, lead == 0xde:
		if p+3 > len(b) {
			return ErrShort
		}
		return c.mpSkipContainer(p+3, int(binary.BigEndian.Uint16(b[p+1:])), lead == 0xde, depth)
	case lead == 0xdd, lead == 0xdf:
		if p+5 > len(b) {
			return ErrShort
		}
		return c.mpSkipContainer(p+5, int(binary.BigEndian.Uint32(b[p+1:])), lead == 0xdf, depth)
	case lead == 0xc1:
		return ErrSyntax
	default:
		return ErrUnsupported // extension types
	}
	if n > len(b)-p-head { // also covers a short head
		return ErrShort
	}
	c.p = p + head + n
	return nil
}

// mpIsStr reports whether lead starts a MessagePack str.
func mpIsStr(lead byte) bool {
	return lead >= 0xa0 && lead <= 0xbf || lead >= 0xd9 && lead <= 0xdb
}

// mpSkipContainer consumes n elements (or n key/value pairs) starting at p.
func (c *cursor) mpSkipContainer(p, n int, isMap bool, depth int) error {
	// Every element takes at least one byte: a larger count is a lie that
	// must not drive a long loop.
	per := 1
	if isMap {
		per = 2
	}
	if n > (len(c.b)-p)/per {
		return ErrShort
	}
	c.p = p
	b := c.b
	for range n {
		if isMap {
			if c.p >= len(b) {
				return ErrShort
			}
			lead := b[c.p]
			if !mpIsStr(lead) {
				if _, err := c.mpPeek(); err != nil {
					return err
				}
				return ErrBadField // keys are strings
			}
			if lead <= 0xbf { // fixstr: the usual key, skipped here
				end := c.p + 1 + int(lead&0x1f)
				if end > len(b) {
					return ErrShort
				}
				c.p = end
			} else if err := c.mpSkip(depth + 1); err != nil {
				return err
			}
		}
		// One-byte values and fixstr, most elements of a payload, without
		// the call to mpSkip.
		if c.p < len(b) {
			switch lead := b[c.p]; {
			case lead <= 0x7f, lead >= 0xe0, lead == 0xc0, lead == 0xc2, lead == 0xc3:
				c.p++
				continue
			case lead >= 0xa0 && lead <= 0xbf:
				end := c.p + 1 + int(lead&0x1f)
				if end > len(b) {
					return ErrShort
				}
				c.p = end
				continue
			}
		}
		if err := c.mpSkip(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// cborSkip consumes one CBOR value at nesting depth, tags included.
func (c *cursor) cborSkip(depth int) error {
	if depth > maxDepth {
		return ErrTooDeep
	}
	if err := c.cborSkipTags(); err != nil {
		return err
	}
	major, arg, indef, size, err := c.cborHead()
	if err != nil {
		return err
	}
	switch major {
	case cborUint:
	case cborNeg:
		if arg > math.MaxInt64 { // as readInt: a negative integer must fit int64
			return ErrBadValue
		}
	case cborBytes, cborText:
		return c.cborSkipString(major, arg, indef, size)
	case cborArray, cborMap:
		return c.cborSkipContainer(major == cborMap, arg, indef, size, depth)
	case cborSimple:
		switch c.b[c.p] & 31 {
		case 20, 21, 22, 23, 25, 26, 27: // false, true, null, undefined, floats
		default:
			return ErrUnsupported
		}
	}
	c.p += size
	return nil
}

// cborSkipString consumes a byte or text string whose head (already read)
// is at c.p; the chunks of an indefinite string are checked, not joined.
func (c *cursor) cborSkipString(major byte, n uint64, indef bool, size int) error {
	c.p += size
	if !indef {
		if n > uint64(len(c.b)-c.p) {
			return ErrShort
		}
		c.p += int(n)
		return nil
	}
	for {
		if c.p >= len(c.b) {
			return ErrShort
		}
		if c.b[c.p] == 0xff {
			c.p++
			return nil
		}
		m, arg, ind, size, err := c.cborHead()
		if err != nil {
			return err
		}
		if m != major || ind { // chunks are definite strings of the same type
			return ErrSyntax
		}
		c.p += size
		if arg > uint64(len(c.b)-c.p) {
			return ErrShort
		}
		c.p += int(arg)
	}
}

// cborSkipContainer consumes an array or map whose head is at c.p.
func (c *cursor) cborSkipContainer(isMap bool, n uint64, indef bool, size, depth int) error {
	c.p += size
	if !indef {
		per := uint64(1)
		if isMap {
			per = 2
		}
		if n > uint64(len(c.b)-c.p)/per {
			return ErrShort
		}
	}
	for i := uint64(0); indef || i < n; i++ {
		if indef {
			if c.p >= len(c.b) {
				return ErrShort
			}
			if c.b[c.p] == 0xff {
				c.p++
				return nil
			}
		}
		if isMap {
			if err := c.cborSkipTags(); err != nil {
				return err
			}
			major, arg, ind, size, err := c.cborHead()
			if err != nil {
				return err
			}
			if major != cborText {
				if _, err := c.cborPeek(); err != nil {
					return err
				}
				return ErrBadField // keys are strings
			}
			if err := c.cborSkipString(major, arg, ind, size); err != nil {
				return err
			}
		}
		if err := c.cborSkip(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// validText reports whether b[start:end] is valid UTF-8, as utf8.Valid
// does. Keys, URIs and option strings are short and ASCII: utf8.Valid
// checks 8 bytes at a time only while 8 remain and the rest byte by byte
// (a fifth of a MessagePack CALL's decoding). Here the tail is one word
// too, read from the surrounding buffer and masked to the string's bytes;
// anything that is not plain ASCII goes to utf8.Valid.
func validText(b []byte, start, end int) bool {
	i := start
	for ; i+8 <= end; i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&swarHi != 0 {
			return utf8.Valid(b[start:end])
		}
	}
	n := end - i
	if n == 0 {
		return true
	}
	var w uint64
	switch {
	case end >= 8: // the word ending at end: the string's bytes are its top n
		w = binary.LittleEndian.Uint64(b[end-8:]) >> (8 * (8 - n))
	case i+8 <= len(b): // the word starting at i: its low n bytes
		w = binary.LittleEndian.Uint64(b[i:]) << (8 * (8 - n))
	default:
		return utf8.Valid(b[start:end])
	}
	return w&swarHi == 0 || utf8.Valid(b[start:end])
}
