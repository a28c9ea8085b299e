package bench

import "github.com/wampd/wampd/codec"

// The fast EVENT read. A subscriber needs two things of a benchmark EVENT:
// the send stamp (latency) and the sequence number, the first two entries
// of the Arguments list (payload.go). A router sends an EVENT to an exact
// subscription, without publisher disclosure, as
//
//	[36, SUBSCRIPTION, PUBLICATION, {}, [stamp, seq, pad], ...]
//
// so the stamp sits at a fixed place: right after the message type, two
// integers and an empty Details dict. readEventStamp steps over those four
// heads and reads the two integers; it never looks at the pad or at
// anything after it, builds no codec.Message and does not allocate. That
// keeps wampbench's own cost per received event far below the router's,
// so that the fan-out ceiling it measures is the router's, not its own
// (BenchmarkEventRead shows the two paths side by side).
//
// Whatever does not have that exact shape (Details with entries, such as a
// pattern subscription's topic or a disclosed publisher; JSON with
// whitespace; Arguments that are not the benchmark payload) is not read
// here: ok is false and the session decodes the whole message as before.

// readEventStamp returns the stamp and sequence number of the benchmark
// EVENT p (one complete WAMP message in ser); ok is false when p is not an
// EVENT of the shape above.
func readEventStamp(ser codec.Serializer, p []byte) (stamp int64, seq uint64, ok bool) {
	var i int
	switch ser {
	case codec.JSON:
		i, ok = jsonEventArgs(p)
	case codec.MsgPack:
		i, ok = mpEventArgs(p)
	case codec.CBOR:
		i, ok = cborEventArgs(p)
	}
	if !ok {
		return 0, 0, false
	}
	stamp, seq, err := parsePayload(ser, p[i:])
	return stamp, seq, err == nil
}

// jsonEventArgs returns the offset of the Arguments list of
// [36,ID,ID,{},[...: no whitespace, plain decimal ids.
func jsonEventArgs(p []byte) (int, bool) {
	if len(p) < 4 || p[0] != '[' || p[1] != '3' || p[2] != '6' || p[3] != ',' {
		return 0, false
	}
	i := 4
	for range 2 { // subscription and publication ids
		j := i
		for j < len(p) && p[j] >= '0' && p[j] <= '9' {
			j++
		}
		if j == i || j >= len(p) || p[j] != ',' {
			return 0, false
		}
		i = j + 1
	}
	if len(p) < i+4 || p[i] != '{' || p[i+1] != '}' || p[i+2] != ',' || p[i+3] != '[' {
		return 0, false
	}
	return i + 3, true
}

// mpEventArgs is jsonEventArgs for MessagePack: a 5- or 6-element fixarray,
// the positive fixint 36, two unsigned integers, the empty fixmap 0x80.
func mpEventArgs(p []byte) (int, bool) {
	if len(p) < 5 || (p[0] != 0x95 && p[0] != 0x96) || p[1] != byte(codec.Event) {
		return 0, false
	}
	i := 2
	for range 2 {
		var ok bool
		if _, i, ok = mpUintAt(p, i); !ok {
			return 0, false
		}
	}
	if i >= len(p) || p[i] != 0x80 {
		return 0, false
	}
	return i + 1, true
}

// cborEventArgs is jsonEventArgs for CBOR: a 5- or 6-element array, 36 as
// the one-byte unsigned 0x18 0x24, two unsigned integers, the empty map
// 0xa0.
func cborEventArgs(p []byte) (int, bool) {
	if len(p) < 6 || (p[0] != 0x85 && p[0] != 0x86) || p[1] != 0x18 || p[2] != byte(codec.Event) {
		return 0, false
	}
	i := 3
	for range 2 {
		var ok bool
		if _, i, ok = cborUintAt(p, i); !ok {
			return 0, false
		}
	}
	if i >= len(p) || p[i] != 0xa0 {
		return 0, false
	}
	return i + 1, true
}
