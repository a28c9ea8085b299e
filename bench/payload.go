package bench

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/wampd/wampd/codec"
)

// The benchmark payload is the Arguments list [stamp, seq, pad]: stamp is
// the send time (or, in open loop, the intended send time) in nanoseconds
// on the process clock, seq a sequence number, pad a string that brings the
// payload to the requested size. The router passes it through untouched;
// the receiver reads stamp back to measure latency without any per-request
// bookkeeping.

// probeStamp stamps the set-up probes of a cluster run (a CALL or a
// publication that shows a registration or a subscription to be known on
// every node): 2^53 ns (104 days) is later than the end of any window, so
// that a probe's answer or event is never measured, and still an integer
// that a router which holds numbers as float64 passes on exactly.
const probeStamp = 1 << 53

// payloadOverhead is roughly what stamp, seq and the list cost, so that
// --size is close to the encoded size of the whole Arguments list.
const payloadOverhead = 24

// appendPayload appends the encoded Arguments list to dst.
func appendPayload(dst []byte, ser codec.Serializer, stamp int64, seq uint64, size int) []byte {
	pad := size - payloadOverhead
	if pad < 0 {
		pad = 0
	}
	switch ser {
	case codec.JSON:
		dst = append(dst, '[')
		dst = strconv.AppendInt(dst, stamp, 10)
		dst = append(dst, ',')
		dst = strconv.AppendUint(dst, seq, 10)
		dst = append(dst, ',', '"')
		dst = appendPad(dst, pad)
		return append(dst, '"', ']')
	case codec.MsgPack:
		dst = append(dst, 0x93, 0xd3)
		dst = binary.BigEndian.AppendUint64(dst, uint64(stamp))
		dst = append(dst, 0xcf)
		dst = binary.BigEndian.AppendUint64(dst, seq)
		switch {
		case pad < 32:
			dst = append(dst, 0xa0|byte(pad))
		case pad <= 0xFF:
			dst = append(dst, 0xd9, byte(pad))
		case pad <= 0xFFFF:
			dst = append(dst, 0xda, byte(pad>>8), byte(pad))
		default:
			dst = append(dst, 0xdb)
			dst = binary.BigEndian.AppendUint32(dst, uint32(pad))
		}
		return appendPad(dst, pad)
	default: // CBOR
		dst = append(dst, 0x83, 0x1b)
		dst = binary.BigEndian.AppendUint64(dst, uint64(stamp))
		dst = append(dst, 0x1b)
		dst = binary.BigEndian.AppendUint64(dst, seq)
		switch {
		case pad < 24:
			dst = append(dst, 0x60|byte(pad))
		case pad <= 0xFF:
			dst = append(dst, 0x78, byte(pad))
		case pad <= 0xFFFF:
			dst = append(dst, 0x79, byte(pad>>8), byte(pad))
		default:
			dst = append(dst, 0x7a)
			dst = binary.BigEndian.AppendUint32(dst, uint32(pad))
		}
		return appendPad(dst, pad)
	}
}

func appendPad(dst []byte, n int) []byte {
	for range n {
		dst = append(dst, 'x')
	}
	return dst
}

// parsePayload reads stamp and seq back from an Arguments list in ser.
// It accepts any integer encoding, since a router may re-encode.
func parsePayload(ser codec.Serializer, b []byte) (stamp int64, seq uint64, err error) {
	switch ser {
	case codec.JSON:
		i := skipSpace(b, 0)
		if i >= len(b) || b[i] != '[' {
			return 0, 0, fmt.Errorf("%w: json list", ErrPayload)
		}
		var v1, v2 uint64
		if v1, i, err = jsonUint(b, skipSpace(b, i+1)); err != nil {
			return 0, 0, err
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ',' {
			return 0, 0, fmt.Errorf("%w: json separator", ErrPayload)
		}
		if v2, _, err = jsonUint(b, skipSpace(b, i+1)); err != nil {
			return 0, 0, err
		}
		return int64(v1), v2, nil
	case codec.MsgPack:
		if len(b) < 1 || (b[0]&0xf0 != 0x90 && b[0] != 0xdc && b[0] != 0xdd) {
			return 0, 0, fmt.Errorf("%w: msgpack list", ErrPayload)
		}
		i := 1
		switch b[0] {
		case 0xdc:
			i = 3
		case 0xdd:
			i = 5
		}
		v1, i, err := mpUint(b, i)
		if err != nil {
			return 0, 0, err
		}
		v2, _, err := mpUint(b, i)
		return int64(v1), v2, err
	default:
		if len(b) < 1 || b[0]>>5 != 4 {
			return 0, 0, fmt.Errorf("%w: cbor list", ErrPayload)
		}
		i := 1
		switch b[0] & 0x1f {
		case 24:
			i = 2
		case 25:
			i = 3
		case 26:
			i = 5
		case 27:
			i = 9
		case 31:
			i = 1
		}
		v1, i, err := cborUint(b, i)
		if err != nil {
			return 0, 0, err
		}
		v2, _, err := cborUint(b, i)
		return int64(v1), v2, err
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

func jsonUint(b []byte, i int) (uint64, int, error) {
	start := i
	var v uint64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + uint64(b[i]-'0')
		i++
	}
	if i == start {
		return 0, i, fmt.Errorf("%w: json integer", ErrPayload)
	}
	// A re-encoding router may write 1.7e18 style floats; stop at the
	// integer part and skip the rest of the number.
	for i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E' || b[i] == '+' || b[i] == '-' || (b[i] >= '0' && b[i] <= '9')) {
		i++
	}
	return v, i, nil
}

func mpUint(b []byte, i int) (uint64, int, error) {
	v, next, ok := mpUintAt(b, i)
	if !ok {
		if i >= len(b) {
			return 0, i, fmt.Errorf("%w: msgpack short", ErrPayload)
		}
		return 0, i, fmt.Errorf("%w: msgpack integer 0x%02x", ErrPayload, b[i])
	}
	return v, next, nil
}

// mpUintAt reads a MessagePack integer (positive fixint, uint8..64 or
// int8..64 read as unsigned) at b[i]; ok is false where there is none. It
// does not allocate (the fast EVENT read relies on it).
func mpUintAt(b []byte, i int) (v uint64, next int, ok bool) {
	if i >= len(b) {
		return 0, i, false
	}
	c := b[i]
	if c < 0x80 {
		return uint64(c), i + 1, true
	}
	n := 0
	if c >= 0xcc && c <= 0xcf {
		n = 1 << (c - 0xcc)
	} else if c >= 0xd0 && c <= 0xd3 {
		n = 1 << (c - 0xd0)
	}
	if n == 0 || i+1+n > len(b) {
		return 0, i, false
	}
	for _, x := range b[i+1 : i+1+n] {
		v = v<<8 | uint64(x)
	}
	return v, i + 1 + n, true
}

func cborUint(b []byte, i int) (uint64, int, error) {
	v, next, ok := cborUintAt(b, i)
	if !ok {
		return 0, i, fmt.Errorf("%w: cbor unsigned integer", ErrPayload)
	}
	return v, next, nil
}

// cborUintAt reads a CBOR unsigned integer (major type 0) at b[i]; ok is
// false where there is none. It does not allocate.
func cborUintAt(b []byte, i int) (v uint64, next int, ok bool) {
	if i >= len(b) || b[i]>>5 != 0 {
		return 0, i, false
	}
	ai := b[i] & 0x1f
	if ai < 24 {
		return uint64(ai), i + 1, true
	}
	if ai > 27 {
		return 0, i, false
	}
	n := 1 << (ai - 24)
	if i+1+n > len(b) {
		return 0, i, false
	}
	for _, x := range b[i+1 : i+1+n] {
		v = v<<8 | uint64(x)
	}
	return v, i + 1 + n, true
}
