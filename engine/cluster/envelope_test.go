package cluster

import (
	"bytes"
	"testing"

	"github.com/wampd/wampd/codec"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	msg := []byte(`[16,1,{},"com.x",[1]]`)
	b := appendEnvelope(nil, kindEvent, codec.JSON, 7, 1<<53, flagDisclose, msg)
	e, err := parseEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	if e.kind != kindEvent || e.ser != codec.JSON || e.a != 7 || e.b != 1<<53 || e.flags != flagDisclose || !bytes.Equal(e.msg, msg) {
		t.Fatalf("round trip: %+v", e)
	}
	for _, bad := range [][]byte{nil, b[:envelopeHeader-1], append([]byte{0}, b[1:]...), append([]byte{kindEvent, 9}, b[2:]...)} {
		if _, err := parseEnvelope(bad); err == nil {
			t.Errorf("parseEnvelope(%x) took a malformed envelope", bad)
		}
	}
}

func TestBatch(t *testing.T) {
	a := appendEnvelope(nil, kindCall, codec.JSON, 1, 2, 0, []byte(`[48,1,{},"a"]`))
	b := appendEnvelope(nil, kindDeliver, codec.JSON, 3, 0, 0, []byte(`[50,1,{}]`))
	batch := appendToBatch(appendToBatch([]byte{kindBatch}, a), b)
	var got []uint64
	if bad := eachEnvelope(batch, func(e envelope) { got = append(got, e.a) }); bad != 0 || len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("batch: %v, %d bad", got, bad)
	}
	got = got[:0]
	if bad := eachEnvelope(a, func(e envelope) { got = append(got, e.a) }); bad != 0 || len(got) != 1 {
		t.Fatalf("single: %v, %d bad", got, bad)
	}
	// A truncated batch keeps what came whole and counts the rest.
	if bad := eachEnvelope(batch[:len(batch)-3], func(envelope) {}); bad != 1 {
		t.Fatalf("truncated batch: %d bad, want 1", bad)
	}
}

// FuzzParseEnvelope: whatever arrives from NATS, parsing never panics, and
// what parses encodes back to the same bytes.
func FuzzParseEnvelope(f *testing.F) {
	f.Add(appendEnvelope(nil, kindCall, codec.MsgPack, 1, 2, 0, []byte{0x93, 0x30, 1, 0x80}))
	f.Add(appendEnvelope(nil, kindDeliver, codec.CBOR, 3, 0, 0, nil))
	f.Add([]byte{1, 1})
	f.Add(appendToBatch([]byte{kindBatch}, appendEnvelope(nil, kindEvent, codec.JSON, 1, 2, 1, []byte("[16]"))))
	f.Fuzz(func(t *testing.T, p []byte) {
		eachEnvelope(p, func(e envelope) {
			if e.kind < kindEvent || e.kind > kindDeliver {
				t.Fatalf("batch gave kind %d", e.kind)
			}
		})
		e, err := parseEnvelope(p)
		if err != nil {
			return
		}
		if again := appendEnvelope(nil, e.kind, e.ser, e.a, e.b, e.flags, e.msg); !bytes.Equal(again, p) {
			t.Fatalf("re-encoded %x as %x", p, again)
		}
	})
}

// FuzzParseAnnounce: a malformed announcement is refused, never a panic,
// and what is accepted names a node and a valid session id.
func FuzzParseAnnounce(f *testing.F) {
	f.Add([]byte(`{"op":"join","node":"n2","boot":"b","id":5,"authid":"x","ser":1,"roles":{"callee":{"features":{"call_canceling":true}}}}`))
	f.Add([]byte(`{"op":"sub","node":"n2","id":5,"topic":"com.x","match":1}`))
	f.Add([]byte(`{"op":"testament","node":"n2","id":5,"ser":1,"msg":"WzQ4XQ=="}`))
	f.Add([]byte(`{"op":"leave","node":"n2","id":9007199254740993}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		a, err := parseAnnounce(p)
		if err != nil {
			return
		}
		if a.Node == "" || a.ID == 0 || a.ID > codec.MaxID || a.Match > uint8(codec.MatchWildcard) {
			t.Fatalf("accepted %+v", a)
		}
	})
}
