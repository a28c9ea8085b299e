package codec

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// JSON reading: a hand-written scanner over the input, no reflection and no
// tokens materialised. Strings without escapes alias the input; strings
// with escapes are unescaped into a new slice (rare in WAMP traffic).

func (c *cursor) jsonWS() {
	// Every JSON whitespace byte is <= ' ': compact JSON, what clients
	// send, leaves after one comparison.
	for c.p < len(c.b) && c.b[c.p] <= ' ' {
		switch c.b[c.p] {
		case ' ', '\t', '\n', '\r':
			c.p++
		default:
			return
		}
	}
}

func (c *cursor) jsonPeek() (kind, error) {
	c.jsonWS()
	if c.p >= len(c.b) {
		return kInvalid, ErrShort
	}
	switch ch := c.b[c.p]; {
	case ch == '[':
		return kArray, nil
	case ch == '{':
		return kMap, nil
	case ch == '"':
		return kString, nil
	case ch == 't' || ch == 'f':
		return kBool, nil
	case ch == 'n':
		return kNil, nil
	case ch == '-' || (ch >= '0' && ch <= '9'):
		end, float, err := c.jsonNumber()
		if err != nil {
			return kInvalid, err
		}
		if float {
			return kFloat, nil
		}
		// Integers beyond 64 bits are carried as floats.
		if ch == '-' {
			v, err := strconv.ParseInt(str(c.b[c.p:end]), 10, 64)
			switch {
			case err != nil:
				return kFloat, nil
			case v == 0: // "-0"
				return kUint, nil
			}
			return kInt, nil
		}
		if _, err := strconv.ParseUint(str(c.b[c.p:end]), 10, 64); err != nil {
			return kFloat, nil
		}
		return kUint, nil
	}
	return kInvalid, ErrSyntax
}

// jsonNumber finds the extent of the number at c.p (not consuming it) per
// the JSON grammar, and reports whether it has a fraction or exponent. A
// number beyond float64's range (1e400) is ErrUnsupported: no serializer
// and no library here carries it, so it is refused on arrival rather than
// passed on to fail at a subscriber's transcoding.
func (c *cursor) jsonNumber() (end int, float bool, err error) {
	b, i := c.b, c.p
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := i
	switch {
	case i >= len(b):
		return 0, false, ErrShort
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0, false, ErrSyntax
	}
	digits = i - digits
	if i < len(b) && b[i] == '.' {
		float = true
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return 0, false, shortOr(i, len(b))
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		float = true
		i++
		neg := i < len(b) && b[i] == '-'
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d, exp := i, 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if exp < 1e6 {
				exp = exp*10 + int(b[i]-'0')
			}
			i++
		}
		if i == d {
			return 0, false, shortOr(i, len(b))
		}
		if !neg {
			digits += exp
		}
	}
	// Only a number of magnitude near 1e308 or above needs parsing.
	if digits > 300 {
		if _, err := strconv.ParseFloat(str(b[c.p:i]), 64); err != nil {
			return 0, false, fmt.Errorf("%w: number out of range", ErrUnsupported)
		}
	}
	return i, float, nil
}

// shortOr returns ErrShort when the input ended at i, ErrSyntax otherwise.
func shortOr(i, n int) error {
	if i >= n {
		return ErrShort
	}
	return ErrSyntax
}

func (c *cursor) jsonUint() (uint64, error) {
	c.jsonWS()
	if c.p >= len(c.b) {
		return 0, ErrShort
	}
	if ch := c.b[c.p]; ch != '-' && (ch < '0' || ch > '9') {
		return 0, ErrBadField
	}
	if v, end, ok := jsonPlainUint(c.b, c.p); ok {
		c.p = end
		return v, nil
	}
	end, float, err := c.jsonNumber()
	if err != nil {
		return 0, err
	}
	if float {
		return 0, ErrBadField
	}
	s := c.b[c.p:end]
	if s[0] == '-' {
		if len(s) != 2 || s[1] != '0' {
			return 0, ErrBadField
		}
		s = s[1:]
	}
	v, err := strconv.ParseUint(str(s), 10, 64)
	if err != nil {
		return 0, ErrBadValue
	}
	c.p = end
	return v, nil
}

// jsonPlainUint reads the common integer, 1 to 19 digits without a
// leading zero and not followed by a fraction or exponent, in one pass;
// ok is false for anything else (jsonUint then takes the general path,
// with its errors).
func jsonPlainUint(b []byte, i int) (v uint64, end int, ok bool) {
	if i >= len(b) || b[i] < '1' || b[i] > '9' {
		return 0, 0, false
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + uint64(b[i]-'0')
		i++
	}
	if i-start > 19 || i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return 0, 0, false // may overflow (20 digits), or a float
	}
	return v, i, true
}

// jsonInt reads an integer that fits int64, scanning and parsing it once
// (an option such as timeout). The errors are jsonPeek's kinds: a float, or
// an integer beyond 64 bits (carried as a float), is ErrBadField; a uint64
// above MaxInt64 is ErrBadValue.
func (c *cursor) jsonInt() (int64, error) {
	c.jsonWS()
	if c.p >= len(c.b) {
		return 0, ErrShort
	}
	if ch := c.b[c.p]; ch != '-' && (ch < '0' || ch > '9') {
		if _, err := c.jsonPeek(); err != nil {
			return 0, err
		}
		return 0, ErrBadField
	}
	if v, end, ok := jsonPlainUint(c.b, c.p); ok {
		if v > math.MaxInt64 {
			return 0, ErrBadValue
		}
		c.p = end
		return int64(v), nil
	}
	end, float, err := c.jsonNumber()
	if err != nil {
		return 0, err
	}
	if float {
		return 0, ErrBadField
	}
	s := str(c.b[c.p:end])
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if _, uerr := strconv.ParseUint(s, 10, 64); uerr == nil {
			return 0, ErrBadValue
		}
		return 0, ErrBadField
	}
	c.p = end
	return v, nil
}

func (c *cursor) jsonFloat() (float64, error) {
	k, err := c.jsonPeek()
	if err != nil {
		return 0, err
	}
	if k != kUint && k != kInt && k != kFloat {
		return 0, ErrBadField
	}
	end, _, _ := c.jsonNumber()
	v, err := strconv.ParseFloat(str(c.b[c.p:end]), 64)
	if err != nil && !isRangeErr(err) {
		return 0, ErrSyntax
	}
	c.p = end
	return v, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// jsonLit consumes the literal lit at c.p.
func (c *cursor) jsonLit(lit string) error {
	n := len(c.b) - c.p
	if n > len(lit) {
		n = len(lit)
	}
	if str(c.b[c.p:c.p+n]) != lit[:n] {
		return ErrSyntax
	}
	if n < len(lit) {
		return ErrShort
	}
	c.p += len(lit)
	return nil
}

func (c *cursor) jsonBool() (bool, error) {
	k, err := c.jsonPeek()
	if err != nil {
		return false, err
	}
	if k != kBool {
		return false, ErrBadField
	}
	if c.b[c.p] == 't' {
		return true, c.jsonLit("true")
	}
	return false, c.jsonLit("false")
}

func (c *cursor) jsonNil() error {
	k, err := c.jsonPeek()
	if err != nil {
		return err
	}
	if k != kNil {
		return ErrBadField
	}
	return c.jsonLit("null")
}

func (c *cursor) jsonStr() ([]byte, error) {
	k, err := c.jsonPeek()
	if err != nil {
		return nil, err
	}
	if k != kString {
		return nil, ErrBadField
	}
	start := c.p + 1
	i, escaped, hi, err := jsonScanStr(c.b, start)
	if err != nil {
		return nil, err
	}
	raw := c.b[start:i]
	if !escaped {
		if hi && !utf8.Valid(raw) {
			return nil, ErrInvalidUTF8
		}
		c.p = i + 1
		return raw, nil
	}
	out, err := jsonUnescape(raw)
	if err != nil {
		return nil, err
	}
	c.p = i + 1
	return out, nil
}

// jsonUnescape decodes the escapes of a JSON string body into a new slice.
func jsonUnescape(raw []byte) ([]byte, error) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		ch := raw[i]
		if ch != '\\' {
			j := i
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			if !utf8.Valid(raw[i:j]) {
				return nil, ErrInvalidUTF8
			}
			out = append(out, raw[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(raw) {
			return nil, ErrSyntax
		}
		switch e := raw[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw[i+2:])
			if !ok {
				return nil, ErrSyntax
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// The bounds test comes first: a lone surrogate may end the
				// string.
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2, _ := hex4(raw[i+2:])
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						out = utf8.AppendRune(out, d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError // lone surrogate
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return nil, ErrSyntax
		}
		i += 2
	}
	return out, nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, ch := range b[:4] {
		r <<= 4
		switch {
		case ch >= '0' && ch <= '9':
			r |= rune(ch - '0')
		case ch >= 'a' && ch <= 'f':
			r |= rune(ch - 'a' + 10)
		case ch >= 'A' && ch <= 'F':
			r |= rune(ch - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

func (c *cursor) jsonBegin(open, close byte) (iter, error) {
	c.jsonWS()
	if c.p >= len(c.b) {
		return iter{}, ErrShort
	}
	if c.b[c.p] != open {
		return iter{}, ErrBadField
	}
	c.p++
	return iter{n: -1, close: close}, nil
}

func (c *cursor) jsonMore(it *iter) (bool, error) {
	c.jsonWS()
	if c.p >= len(c.b) {
		return false, ErrShort
	}
	if c.b[c.p] == it.close {
		c.p++
		return false, nil
	}
	if it.i > 0 {
		if c.b[c.p] != ',' {
			return false, ErrSyntax
		}
		c.p++
		c.jsonWS()
	}
	it.i++
	return true, nil
}

func (c *cursor) jsonColon() error {
	c.jsonWS()
	if c.p >= len(c.b) {
		return ErrShort
	}
	if c.b[c.p] != ':' {
		return ErrSyntax
	}
	c.p++
	return nil
}

// JSON writing.

// jsonBinPrefix is how the spec carries binary in JSON: a string starting
// with a NUL character, then standard base64.
const jsonBinPrefix = `\u0000`

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes that need no escaping inside a string.
var jsonSafe = func() (t [256]bool) {
	for i := 0x20; i < 0x80; i++ {
		t[i] = true
	}
	t['"'], t['\\'] = false, false
	return t
}()

// appendJSONString appends s as a JSON string. Runs of plain ASCII are
// copied in one append; invalid UTF-8 is an error (JSON text is UTF-8).
func appendJSONString(b []byte, s string) ([]byte, error) {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		ch := s[i]
		if ch < utf8.RuneSelf {
			if jsonSafe[ch] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch ch {
			case '"', '\\':
				b = append(b, '\\', ch)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[ch>>4], hexDigits[ch&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return b, ErrInvalidUTF8
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"'), nil
}

// appendJSONFloat appends f so that it reads back as a float (a ".0" is
// added to integral values); NaN and infinities have no JSON form.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, ErrUnsupported
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, 64)
	for _, ch := range b[start:] {
		if ch == '.' || ch == 'e' {
			return b, nil
		}
	}
	return append(b, '.', '0'), nil
}
