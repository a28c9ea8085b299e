package codec

import "testing"

// benchMessages are the hot-path shapes, with small payloads and the
// options the router reads.
func benchMessages() map[string]Message {
	return map[string]Message{
		"Call": {Type: Call, Request: 7814135, URI: "com.myapp.myprocedure1",
			Options: Options{Has: HasReceiveProgress | HasTimeout, ReceiveProgress: true, Timeout: 1000}},
		"Invocation": {Type: Invocation, Request: 6131533, ID: 9823526,
			Options: Options{Has: HasCaller | HasProcedure, Caller: 1234567, Procedure: "com.myapp.myprocedure1"}},
		"Yield":   {Type: Yield, Request: 6131533},
		"Result":  {Type: Result, Request: 7814135, Options: Options{Has: HasProgress, Progress: true}},
		"Publish": {Type: Publish, Request: 239714735, URI: "com.myapp.mytopic1", Options: Options{Has: HasAcknowledge, Acknowledge: true}},
		"Event": {Type: Event, ID: 9823526, ID2: 112233445566,
			Options: Options{Has: HasPublisher | HasTopic, Publisher: 42, Topic: "com.myapp.mytopic1"}},
	}
}

// benchEncoded returns m encoded with s, with payload args and kwargs in s.
func benchEncoded(b testing.TB, s Serializer, m Message) []byte {
	var err error
	m.PayloadSer = s
	if m.Args, err = AppendValue(s, nil, []any{"Hello, world!", int64(42), 3.5}); err != nil {
		b.Fatal(err)
	}
	if m.Kwargs, err = AppendValue(s, nil, map[string]any{"user": "alice", "n": int64(7)}); err != nil {
		b.Fatal(err)
	}
	out, err := Append(s, nil, &m)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

var benchShapes = []string{"Call", "Invocation", "Yield", "Result", "Publish", "Event"}

var benchSers = []struct {
	name string
	s    Serializer
}{{"JSON", JSON}, {"MsgPack", MsgPack}, {"CBOR", CBOR}}

func BenchmarkDecode(b *testing.B) {
	msgs := benchMessages()
	for _, shape := range benchShapes {
		for _, ser := range benchSers {
			b.Run(shape+"_"+ser.name, func(b *testing.B) {
				data := benchEncoded(b, ser.s, msgs[shape])
				var m Message
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if err := Decode(ser.s, data, &m); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	msgs := benchMessages()
	for _, shape := range benchShapes {
		for _, ser := range benchSers {
			b.Run(shape+"_"+ser.name, func(b *testing.B) {
				data := benchEncoded(b, ser.s, msgs[shape])
				var m Message
				if err := Decode(ser.s, data, &m); err != nil {
					b.Fatal(err)
				}
				// The router rebuilds the dict from Options, as it does
				// for outgoing messages.
				m.Dict = nil
				buf := make([]byte, 0, 512)
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					var err error
					if buf, err = Append(ser.s, buf[:0], &m); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkTranscode measures the cross-serializer path (allocates).
func BenchmarkTranscode(b *testing.B) {
	msgs := benchMessages()
	for _, from := range benchSers {
		for _, to := range benchSers {
			if from == to {
				continue
			}
			b.Run("Event_"+from.name+"_to_"+to.name, func(b *testing.B) {
				data := benchEncoded(b, from.s, msgs["Event"])
				var m Message
				if err := Decode(from.s, data, &m); err != nil {
					b.Fatal(err)
				}
				buf := make([]byte, 0, 512)
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if buf, err = Append(to.s, buf[:0], &m); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestHotPathAllocs pins the zero-allocation promise outside benchmarks.
func TestHotPathAllocs(t *testing.T) {
	msgs := benchMessages()
	for _, shape := range benchShapes {
		for _, ser := range benchSers {
			t.Run(shape+"_"+ser.name, func(t *testing.T) {
				data := benchEncoded(t, ser.s, msgs[shape])
				var m Message
				buf := make([]byte, 0, 512)
				n := testing.AllocsPerRun(100, func() {
					if err := Decode(ser.s, data, &m); err != nil {
						t.Fatal(err)
					}
					m.Dict = nil
					var err error
					if buf, err = Append(ser.s, buf[:0], &m); err != nil {
						t.Fatal(err)
					}
				})
				if n != 0 {
					t.Fatalf("%v allocs per decode+append", n)
				}
			})
		}
	}
}
