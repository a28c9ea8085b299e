package bench

import (
	"testing"

	"github.com/wampd/wampd/codec"
)

var serializers = []codec.Serializer{codec.JSON, codec.MsgPack, codec.CBOR}

// encodeEvent is an EVENT as the real codec (the router's) encodes it for
// ser, carrying a benchmark payload encoded in payloadSer.
func encodeEvent(t testing.TB, ser, payloadSer codec.Serializer, m codec.Message, stamp int64, seq uint64, size int) []byte {
	t.Helper()
	m.Type = codec.Event
	m.Args, m.PayloadSer = appendPayload(nil, payloadSer, stamp, seq, size), payloadSer
	p, err := codec.Append(ser, nil, &m)
	if err != nil {
		t.Fatalf("encode %v: %v", ser, err)
	}
	return p
}

func TestReadEventStamp(t *testing.T) {
	const maxID = 1 << 53
	stamp, seq := int64(1_700_000_000_123_456_789), uint64(987654321)
	for _, ser := range serializers {
		for _, tc := range []struct {
			name       string
			payloadSer codec.Serializer // the publisher's: the router transcodes when it differs
			m          codec.Message
			size       int
		}{
			{"small ids", ser, codec.Message{ID: 1, ID2: 2}, 64},
			{"largest ids", ser, codec.Message{ID: maxID, ID2: maxID - 1}, 64},
			{"empty pad", ser, codec.Message{ID: 300, ID2: 70000}, 0},
			{"70 kB", ser, codec.Message{ID: 5, ID2: 1 << 40}, 70_000},
			{"kwargs too", ser, codec.Message{ID: 7, ID2: 8, Kwargs: kwargs(ser)}, 64},
			{"transcoded from json", codec.JSON, codec.Message{ID: 9, ID2: 10}, 64},
			{"transcoded from cbor", codec.CBOR, codec.Message{ID: 9, ID2: 10}, 64},
		} {
			t.Run(ser.String()+"/"+tc.name, func(t *testing.T) {
				m := tc.m
				if m.Kwargs != nil {
					m.PayloadSer = ser // Kwargs are in ser; Args follow it then
				}
				p := encodeEvent(t, ser, tc.payloadSer, m, stamp, seq, tc.size)
				gs, gq, ok := readEventStamp(ser, p)
				if !ok || gs != stamp || gq != seq {
					t.Fatalf("fast read of %q: %d %d %v, want %d %d", p[:min(len(p), 48)], gs, gq, ok, stamp, seq)
				}
				// The full decode agrees.
				var d codec.Message
				if err := codec.Decode(ser, p, &d); err != nil {
					t.Fatal(err)
				}
				if ds, dq, err := parsePayload(ser, d.Args); err != nil || ds != stamp || dq != seq {
					t.Fatalf("full decode: %d %d %v", ds, dq, err)
				}
			})
		}
	}
}

func kwargs(ser codec.Serializer) []byte {
	switch ser {
	case codec.JSON:
		return []byte(`{"k":1}`)
	case codec.MsgPack:
		return []byte{0x81, 0xa1, 'k', 0x01}
	}
	return []byte{0xa1, 0x61, 'k', 0x01}
}

// TestReadEventStampRefuses: what is not a plain benchmark EVENT is left
// to the full decode, and no prefix of a real frame is misread.
func TestReadEventStampRefuses(t *testing.T) {
	for _, ser := range serializers {
		t.Run(ser.String(), func(t *testing.T) {
			topic := codec.Message{ID: 1, ID2: 2, Options: codec.Options{Has: codec.HasTopic, Topic: "wampbench.topic.0"}}
			publisher := codec.Message{ID: 1, ID2: 2, Options: codec.Options{Has: codec.HasPublisher, Publisher: 77}}
			for name, p := range map[string][]byte{
				"details with topic":      encodeEvent(t, ser, ser, topic, 5, 6, 64),
				"disclosed publisher":     encodeEvent(t, ser, ser, publisher, 5, 6, 64),
				"not the bench payload":   mustAppend(t, ser, codec.Message{Type: codec.Event, ID: 1, ID2: 2, Args: strList(ser), PayloadSer: ser}),
				"event without args":      mustAppend(t, ser, codec.Message{Type: codec.Event, ID: 1, ID2: 2}),
				"result, not event":       mustAppend(t, ser, codec.Message{Type: codec.Result, Request: 36, Args: appendPayload(nil, ser, 5, 6, 64), PayloadSer: ser}),
				"published, not an event": mustAppend(t, ser, codec.Message{Type: codec.Published, Request: 36, ID: 2}),
			} {
				if _, _, ok := readEventStamp(ser, p); ok {
					t.Errorf("%s: read as a benchmark EVENT: %q", name, p)
				}
			}
			full := encodeEvent(t, ser, ser, codec.Message{ID: 1 << 50, ID2: 1 << 30}, 5, 6, 64)
			for cut := range len(full) - 1 {
				// A cut inside the pad still holds stamp and seq: reading them
				// is right (frames come whole; the pad is never looked at).
				if s, q, ok := readEventStamp(ser, full[:cut]); ok && (s != 5 || q != 6) {
					t.Fatalf("cut %d read as %d %d", cut, s, q)
				}
			}
		})
	}
}

func mustAppend(t testing.TB, ser codec.Serializer, m codec.Message) []byte {
	t.Helper()
	p, err := codec.Append(ser, nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// strList is an Arguments list ["a", "b"] in ser.
func strList(ser codec.Serializer) []byte {
	switch ser {
	case codec.JSON:
		return []byte(`["a","b"]`)
	case codec.MsgPack:
		return []byte{0x92, 0xa1, 'a', 0xa1, 'b'}
	}
	return []byte{0x82, 0x61, 'a', 0x61, 'b'}
}

// stampedHandler counts what a session hands to each of its two paths.
type stampedHandler struct {
	nopHandler
	stamped int
	last    int64
}

func (h *stampedHandler) OnStampedEvent(_ *Session, stamp int64, _ uint64) {
	h.stamped++
	h.last = stamp
}

func TestSessionTakesStampedEvents(t *testing.T) {
	for _, tr := range []Transport{WebSocket, RawSocket} {
		for _, ser := range serializers {
			t.Run(tr.String()+"/"+ser.String(), func(t *testing.T) {
				h := &stampedHandler{}
				s := openSession(ser, tr, h)
				if _, err := s.consume(eventFrame(t, ser, tr)); err != nil {
					t.Fatal(err)
				}
				if h.stamped != 1 || h.last != 123 || h.n != 0 {
					t.Fatalf("plain EVENT: stamped %d (stamp %d), decoded %d", h.stamped, h.last, h.n)
				}
				// A pattern subscription's EVENT carries its topic: decoded.
				p := encodeEvent(t, ser, ser, codec.Message{ID: 1, ID2: 2, Options: codec.Options{Has: codec.HasTopic, Topic: "a.b"}}, 9, 9, 64)
				if _, err := s.consume(frameFor(ser, tr, p)); err != nil {
					t.Fatal(err)
				}
				if h.stamped != 1 || h.n != 1 {
					t.Fatalf("EVENT with details: stamped %d, decoded %d", h.stamped, h.n)
				}
			})
		}
	}
}

func frameFor(ser codec.Serializer, tr Transport, p []byte) []byte {
	if tr == RawSocket {
		return rsAppendFrame(nil, rsMsg, p)
	}
	op := byte(wsText)
	if ser.Binary() {
		op = wsBinary
	}
	return wsAppendFrame(nil, op, p, false, [4]byte{})
}

// TestEventReadAllocs: the fast read, alone and behind a session's framing,
// allocates nothing (make allocs runs the tests named *Allocs).
func TestEventReadAllocs(t *testing.T) {
	for _, ser := range serializers {
		p := encodeEvent(t, ser, ser, codec.Message{ID: 1 << 40, ID2: 1 << 50}, 1_700_000_000_000_000_000, 42, 64)
		if n := testing.AllocsPerRun(200, func() { _, _, _ = readEventStamp(ser, p) }); n != 0 {
			t.Errorf("%v: readEventStamp: %.1f allocs", ser, n)
		}
		f := eventFrame(t, ser, WebSocket)
		s := openSession(ser, WebSocket, &stampedHandler{})
		if n := testing.AllocsPerRun(200, func() { _, _ = s.consume(f) }); n != 0 {
			t.Errorf("%v: session consume: %.1f allocs", ser, n)
		}
	}
}

// BenchmarkEventRead compares the subscriber's two ways of reading a 64 B
// benchmark EVENT: fast (stamp and seq read in place) and decode (the full
// codec decode, then the payload's stamp), per serializer.
func BenchmarkEventRead(b *testing.B) {
	for _, ser := range serializers {
		p := encodeEvent(b, ser, ser, codec.Message{ID: 1 << 40, ID2: 1 << 50}, 1_700_000_000_000_000_000, 42, 64)
		b.Run("fast/"+ser.String(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if _, _, ok := readEventStamp(ser, p); !ok {
					b.Fatal("not read")
				}
			}
		})
		b.Run("decode/"+ser.String(), func(b *testing.B) {
			var m codec.Message
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if err := codec.DecodeLean(ser, p, &m); err != nil {
					b.Fatal(err)
				}
				if _, _, err := parsePayload(ser, m.Args); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSession_StampedEventIn_64B is BenchmarkSession_EventIn_64B for a
// subscriber that takes stamped EVENTs (the pubsub scenarios' subscriber):
// framing plus the fast read. It must not allocate.
func BenchmarkSession_StampedEventIn_64B(b *testing.B) {
	for _, ser := range serializers {
		b.Run(ser.String(), func(b *testing.B) {
			f := eventFrame(b, ser, WebSocket)
			s := openSession(ser, WebSocket, &stampedHandler{})
			b.ReportAllocs()
			b.SetBytes(int64(len(f)))
			for b.Loop() {
				if _, err := s.consume(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
