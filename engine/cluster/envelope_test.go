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

// FuzzParseEnvelope: whatever arrives from NATS, parsing never panics, and
// what parses encodes back to the same bytes.
func FuzzParseEnvelope(f *testing.F) {
	f.Add(appendEnvelope(nil, kindCall, codec.MsgPack, 1, 2, 0, []byte{0x93, 0x30, 1, 0x80}))
	f.Add(appendEnvelope(nil, kindDeliver, codec.CBOR, 3, 0, 0, nil))
	f.Add([]byte{1, 1})
	f.Fuzz(func(t *testing.T, p []byte) {
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
