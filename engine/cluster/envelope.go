package cluster

import (
	"encoding/binary"
	"errors"

	"github.com/wampd/wampd/codec"
)

// An envelope is what crosses NATS for a message: a fixed header, then the
// WAMP message as its sender encoded it (payloads are never re-encoded on
// the way; the receiving node transcodes only when its client's serializer
// differs):
//
//	kind(1) serializer(1) a(8) b(8) flags(1) message...
//
// kindEvent: a = publication id, b = publisher session, flags&1 disclose.
// kindCall: a = caller session, b = callee session (a CALL or CANCEL).
// kindDeliver: a = the recipient session (a RESULT, ERROR or GOODBYE).
const (
	kindEvent byte = iota + 1
	kindCall
	kindDeliver
)

const envelopeHeader = 19

const flagDisclose = 1

// envelope is a decoded envelope; msg aliases the input.
type envelope struct {
	kind  byte
	ser   codec.Serializer
	a, b  uint64
	flags byte
	msg   []byte
}

var errEnvelope = errors.New("cluster: malformed envelope")

// appendEnvelope appends an envelope of msg to dst.
func appendEnvelope(dst []byte, kind byte, ser codec.Serializer, a, b uint64, flags byte, msg []byte) []byte {
	dst = append(dst, kind, byte(ser))
	dst = binary.BigEndian.AppendUint64(dst, a)
	dst = binary.BigEndian.AppendUint64(dst, b)
	dst = append(dst, flags)
	return append(dst, msg...)
}

// parseEnvelope reads an envelope of p.
func parseEnvelope(p []byte) (envelope, error) {
	if len(p) < envelopeHeader || p[0] < kindEvent || p[0] > kindDeliver {
		return envelope{}, errEnvelope
	}
	ser := codec.Serializer(p[1])
	if !validSer(ser) {
		return envelope{}, errEnvelope
	}
	return envelope{
		kind: p[0], ser: ser,
		a: binary.BigEndian.Uint64(p[2:]), b: binary.BigEndian.Uint64(p[10:]),
		flags: p[18], msg: p[envelopeHeader:],
	}, nil
}

func validSer(s codec.Serializer) bool {
	return s == codec.JSON || s == codec.MsgPack || s == codec.CBOR
}
