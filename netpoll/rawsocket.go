package netpoll

import (
	"fmt"

	"github.com/wampd/wampd/codec"
)

// RawSocket transport (WAMP Advanced Profile, transport_rawsocket.md), as
// plain functions over byte slices.

// rsMagic is the first octet of every RawSocket handshake.
const rsMagic = 0x7F

// RawSocket frame types.
const (
	rsMessage = 0
	rsPing    = 1
	rsPong    = 2
)

// RawSocket handshake error codes.
const (
	rsErrSerializer = 1
	rsErrMaxLength  = 2
	rsErrReserved   = 3
	rsErrConnCount  = 4
)

// rsMaxLen is the longest payload the 24 bits + X bit can announce.
const rsMaxLen = 1 << 24

// parseRSHandshake parses the client's 4-octet handshake. It returns the
// requested serializer and the client's maximum message length, or the
// error code to reply with and the matching error.
func parseRSHandshake(b []byte) (ser codec.Serializer, peerMax int, code byte, err error) {
	if len(b) < 4 {
		return 0, 0, 0, errShort
	}
	if b[0] != rsMagic {
		return 0, 0, 0, ErrNotRawSocket
	}
	if b[2] != 0 || b[3] != 0 {
		return 0, 0, rsErrReserved, ErrRSReserved
	}
	switch s := codec.Serializer(b[1] & 0x0F); s {
	case codec.JSON, codec.MsgPack, codec.CBOR:
		ser = s
	default:
		return 0, 0, rsErrSerializer, fmt.Errorf("serializer id %d: %w", s, ErrRSSerializer)
	}
	return ser, 1 << (9 + b[1]>>4), 0, nil
}

// rsLenExp returns n such that 2^(9+n) is the largest announceable length
// not above max (0, that is 512 bytes, when max is smaller).
func rsLenExp(max int) byte {
	var n byte
	for n < 15 && 1<<(9+n+1) <= max {
		n++
	}
	return n
}

// rsHandshakeReply is the success reply: our length exponent and the
// echoed serializer.
func rsHandshakeReply(exp byte, ser codec.Serializer) [4]byte {
	return [4]byte{rsMagic, exp<<4 | byte(ser)&0x0F, 0, 0}
}

// rsErrorReply is the reply refusing a handshake with code.
func rsErrorReply(code byte) [4]byte {
	return [4]byte{rsMagic, code << 4, 0, 0}
}

// parseRSHeader parses a 4-octet frame header: RRRR XTTT + 24-bit length.
func parseRSHeader(b []byte) (typ byte, length int, err error) {
	if len(b) < 4 {
		return 0, 0, errShort
	}
	if b[0]&0xF0 != 0 {
		return 0, 0, ErrReservedBits
	}
	typ = b[0] & 0x07
	if typ > rsPong {
		return 0, 0, fmt.Errorf("rawsocket frame type %d: %w", typ, ErrBadOpcode)
	}
	length = int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if b[0]&0x08 != 0 {
		if length != 0 {
			return 0, 0, ErrReservedBits
		}
		length = rsMaxLen
	}
	return typ, length, nil
}

// rsHeader builds a frame header for a payload of n bytes.
func rsHeader(typ byte, n int) [4]byte {
	if n == rsMaxLen {
		return [4]byte{typ | 0x08, 0, 0, 0}
	}
	return [4]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}
}

// rsReader turns buffered client bytes into events, one per call to next.
// Only the connection's event loop touches it.
type rsReader struct {
	max     int // our announced maximum: longer frames fail the connection
	discard int // bytes of the emitted frame left in src
}

// next returns the next complete frame in src. The payload aliases src's
// buffer and is valid until consume.
func (r *rsReader) next(src source) (event, []byte, error) {
	avail := src.InboundBuffered()
	if avail < 4 {
		return evNone, nil, nil
	}
	hb, err := src.Peek(4)
	if err != nil {
		return evNone, nil, nil
	}
	typ, n, err := parseRSHeader(hb)
	if err != nil {
		return evNone, nil, err
	}
	if n > r.max {
		return evNone, nil, fmt.Errorf("frame of %d bytes over %d: %w", n, r.max, ErrTooLarge)
	}
	if avail < 4+n {
		return evNone, nil, nil
	}
	fb, err := src.Peek(4 + n)
	if err != nil {
		return evNone, nil, nil
	}
	r.discard = 4 + n
	switch typ {
	case rsPing:
		return evPing, fb[4:], nil
	case rsPong:
		return evPong, fb[4:], nil
	}
	return evMessage, fb[4:], nil
}

// consume releases the bytes of the last event returned by next.
func (r *rsReader) consume(src source) {
	if r.discard > 0 {
		_, _ = src.Discard(r.discard)
		r.discard = 0
	}
}
