package bench

import (
	"fmt"

	"github.com/wampd/wampd/codec"
)

// RawSocket constants (WAMP spec, RawSocket transport).
const (
	rsMagic    = 0x7F
	rsMsg      = 0 // frame type: WAMP message
	rsPing     = 1
	rsPong     = 2
	rsMaxLenEx = 0xF // announce 2^(9+15) = 16 MiB
	rsHdrLen   = 4
)

// rsHello is the client's 4-byte handshake for serializer s.
func rsHello(s codec.Serializer) []byte {
	return []byte{rsMagic, rsMaxLenEx<<4 | byte(s), 0, 0}
}

// rsParseReply checks the router's 4-byte handshake reply and returns the
// maximum message length the router accepts.
func rsParseReply(b []byte, s codec.Serializer) (int, error) {
	if b[0] != rsMagic {
		return 0, fmt.Errorf("%w: rawsocket reply magic 0x%02x", ErrHandshake, b[0])
	}
	if b[1]&0x0F == 0 {
		return 0, fmt.Errorf("%w: rawsocket error code %d", ErrHandshake, b[1]>>4)
	}
	if codec.Serializer(b[1]&0x0F) != s {
		return 0, fmt.Errorf("%w: rawsocket serializer %d, want %d", ErrHandshake, b[1]&0x0F, s)
	}
	return 1 << (9 + int(b[1]>>4)), nil
}

// rsAppendFrame appends a RawSocket frame of type typ carrying p.
func rsAppendFrame(dst []byte, typ byte, p []byte) []byte {
	n := len(p)
	dst = append(dst, typ, byte(n>>16), byte(n>>8), byte(n))
	return append(dst, p...)
}
