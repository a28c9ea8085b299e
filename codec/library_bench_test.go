package codec

import (
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	gojson "github.com/goccy/go-json"
)

// These benchmarks justify the hand-written hot path against the route
// through the libraries DESIGN.md names (goccy/go-json, fxamacker/cbor),
// for a CALL carrying a 64-byte payload. The library decode route only
// splits the message into raw elements: it does less than Decode (no typed
// id, URI or options, no validation of the payload's UTF-8 or depth), so it
// is a lower bound of what routing through the library would cost.

// call64B returns a CALL whose Args is a 64-byte encoded list, in s.
func call64B(b testing.TB, s Serializer) []byte {
	m := Message{Type: Call, Request: 7814135, URI: "com.myapp.myprocedure1", PayloadSer: s,
		Options: Options{Has: HasReceiveProgress | HasTimeout, ReceiveProgress: true, Timeout: 1000}}
	pad := 64 - 3 // list head, string head with a 1-byte length
	if s == JSON {
		pad = 64 - 4 // brackets and quotes
	}
	var err error
	if m.Args, err = AppendValue(s, nil, []any{strings.Repeat("x", pad)}); err != nil {
		b.Fatal(err)
	}
	if len(m.Args) != 64 {
		b.Fatalf("%s args are %d bytes", s, len(m.Args))
	}
	out, err := Append(s, nil, &m)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkDecode_Call64B_Library compares Decode with the library route:
// goccy's json.Unmarshal into []json.RawMessage, fxamacker's Unmarshal into
// []cbor.RawMessage.
func BenchmarkDecode_Call64B_Library(b *testing.B) {
	for _, ser := range []struct {
		name string
		s    Serializer
	}{{"JSON", JSON}, {"CBOR", CBOR}} {
		data := call64B(b, ser.s)
		b.Run("hand_"+ser.name, func(b *testing.B) {
			var m Message
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := Decode(ser.s, data, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("library_"+ser.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if ser.s == JSON {
					var parts []gojson.RawMessage
					if err := gojson.Unmarshal(data, &parts); err != nil || len(parts) != 5 {
						b.Fatal(err)
					}
				} else {
					var parts []cbor.RawMessage
					if err := cbor.Unmarshal(data, &parts); err != nil || len(parts) != 5 {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkAppend_Call64B_Library compares Append (Options dict, spliced
// Args) with marshalling the same message as []any holding a RawMessage
// (goccy sorts the options map; fxamacker's default mode does not).
func BenchmarkAppend_Call64B_Library(b *testing.B) {
	for _, ser := range []struct {
		name string
		s    Serializer
	}{{"JSON", JSON}, {"CBOR", CBOR}} {
		data := call64B(b, ser.s)
		var m Message
		if err := Decode(ser.s, data, &m); err != nil {
			b.Fatal(err)
		}
		m.Dict = nil
		b.Run("hand_"+ser.name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var err error
				if buf, err = Append(ser.s, buf[:0], &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("library_"+ser.name, func(b *testing.B) {
			opts := map[string]any{"receive_progress": true, "timeout": 1000}
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var err error
				if ser.s == JSON {
					_, err = gojson.MarshalNoEscape([]any{Call, m.Request, opts, m.URI, gojson.RawMessage(m.Args)})
				} else {
					_, err = cbor.Marshal([]any{Call, m.Request, opts, m.URI, cbor.RawMessage(m.Args)})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTranscode_Payload64B_Library compares Transcode (the cursor
// walking the input and the writer appending the output, no intermediate
// values) with the library route: decode into generic values with one
// library, encode them with the other (DecodeValue and AppendValue without
// the cursor's validation pass).
func BenchmarkTranscode_Payload64B_Library(b *testing.B) {
	payload := []any{strings.Repeat("x", 24), int64(42), 3.5, []byte{1, 2, 3, 4},
		map[string]any{"user": "alice", "n": int64(7)}}
	pairs := []struct{ from, to Serializer }{{CBOR, JSON}, {JSON, CBOR}, {MsgPack, JSON}, {JSON, MsgPack}}
	for _, p := range pairs {
		raw, err := AppendValue(p.from, nil, payload)
		if err != nil {
			b.Fatal(err)
		}
		name := p.from.String() + "_to_" + p.to.String()
		b.Run("cursor_"+name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if buf, err = Transcode(p.from, p.to, buf[:0], raw); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("library_"+name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				v, err := buildValue(p.from, raw)
				if err != nil {
					b.Fatal(err)
				}
				if buf, err = appendGeneric(p.to, buf[:0], v, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
