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

// A batch is one NATS message carrying several envelopes for one subject,
// in order: kindBatch, then each envelope's length (4 bytes) and bytes.
// The sender coalesces what its queue holds for one subject in a row, so
// a busy link makes one NATS message (and a write on each hop) of many.
const kindBatch byte = 0x7f

// maxBatch bounds a batch's bytes (NATS's default max payload is 1 MiB).
const maxBatch = 256 << 10

// appendToBatch appends env to batch b (started with kindBatch).
func appendToBatch(b, env []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(env)))
	return append(b, env...)
}

// eachEnvelope calls f for each envelope of p (one, or a batch's) in
// order, and reports how many did not parse.
// The envelope goes by value: a pointer to it would move it to the heap,
// one allocation per message.
func eachEnvelope(p []byte, f func(envelope)) (bad int) {
	if len(p) == 0 || p[0] != kindBatch {
		e, err := parseEnvelope(p)
		if err != nil {
			return 1
		}
		f(e)
		return 0
	}
	for p = p[1:]; len(p) > 0; {
		if len(p) < 4 {
			return bad + 1
		}
		n := binary.BigEndian.Uint32(p)
		if uint64(n) > uint64(len(p)-4) {
			return bad + 1
		}
		e, err := parseEnvelope(p[4 : 4+n])
		if err != nil {
			bad++
		} else {
			f(e)
		}
		p = p[4+n:]
	}
	return bad
}

const (
	flagDisclose = 1 << iota // kindEvent: the publisher; kindCall: the caller
	flagQuiet                // kindDeliver: a kill_all's GOODBYE
)

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
