package realm

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wampd/wampd/codec"
)

// discardPeer drops every frame at once: Send takes its reference and gives
// it back, as a transport that wrote the frame would.
type discardPeer struct{ ser codec.Serializer }

func (p discardPeer) Serializer() codec.Serializer { return p.ser }
func (p discardPeer) Send(f *codec.Frame, _ bool) bool {
	f.Ref()
	f.Release()
	return true
}
func (discardPeer) Flush()       {}
func (discardPeer) Close(string) {}

// benchRealm is a realm whose actor is the benchmark goroutine: items are
// handled by calling the actor's functions directly, so the measurement is
// decode -> route -> encode -> Send with no scheduling noise.
func benchRealm() *Realm { return New(Options{Name: "bench"}) }

func benchJoin(r *Realm, id uint64, ser codec.Serializer, hello map[string]any) *Session {
	s := &Session{ID: id, Peer: discardPeer{ser}, Hello: hello}
	r.join(s)
	r.flush()
	return s
}

// encodeMsg encodes a client message for the benchmark's input.
func encodeMsg(b testing.TB, ser codec.Serializer, m codec.Message) []byte {
	b.Helper()
	if m.PayloadSer == 0 {
		m.PayloadSer = ser
	}
	out, err := codec.Append(ser, nil, &m)
	if err != nil {
		b.Fatalf("encode %s: %v", m.Type, err)
	}
	return out
}

// payload64 is a ~64 byte Arguments list in ser.
func payload64(b testing.TB, ser codec.Serializer) []byte {
	b.Helper()
	a, err := codec.AppendValue(ser, nil, []any{strings.Repeat("x", 60)})
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// deliver runs one inbound message through the actor path: copy into a
// pooled Inbound (as the event loop does), decode, route, release, flush.
func deliver(b testing.TB, r *Realm, s *Session, ser codec.Serializer, raw []byte) {
	in := NewInbound()
	in.Buf.B = append(in.Buf.B[:0], raw...)
	if err := codec.Decode(ser, in.Buf.B, &in.Msg); err != nil {
		b.Fatalf("decode: %v", err)
	}
	in.Sess = s
	r.current = in // as handleItem does
	r.handle(in)
	r.current = nil
	in.Release()
	r.flush()
}

// publishSetup joins a publisher and subs subscribers of one topic, all
// using ser, and returns the realm, the publisher and an encoded PUBLISH of
// 64 B to that topic.
func publishSetup(tb testing.TB, ser codec.Serializer, subs int) (*Realm, *Session, []byte) {
	r := benchRealm()
	pub := benchJoin(r, 1, ser, nil)
	for i := range subs {
		s := benchJoin(r, uint64(i+2), ser, nil)
		in := &Inbound{Sess: s}
		in.Msg = codec.Message{Type: codec.Subscribe, Request: 1, URI: "com.bench.topic"}
		r.handle(in)
	}
	r.flush()
	raw := encodeMsg(tb, ser, codec.Message{Type: codec.Publish, Request: 1,
		URI: "com.bench.topic", Args: payload64(tb, ser)})
	return r, pub, raw
}

// setupCall prepares CALL -> INVOCATION on a realm with one registered
// callee; run delivers one CALL and forgets the pending call directly so
// the tables stay flat. size is the CALL's encoded length.
func setupCall(tb testing.TB, ser codec.Serializer) (run func(), size int) {
	return setupCallOn(tb, ser, benchRealm(), "")
}

// setupCallOn is setupCall on r, with sessions of authrole role.
func setupCallOn(tb testing.TB, ser codec.Serializer, r *Realm, role string) (run func(), size int) {
	join := func(id uint64) *Session {
		s := &Session{ID: id, Peer: discardPeer{ser}, AuthRole: role}
		r.join(s)
		r.flush()
		return s
	}
	callee, caller := join(1), join(2)
	in := &Inbound{Sess: callee}
	in.Msg = codec.Message{Type: codec.Register, Request: 1, URI: "com.bench.proc"}
	r.handle(in)
	r.flush()
	if len(callee.regs) != 1 {
		tb.Fatal("REGISTER refused")
	}
	raw := encodeMsg(tb, ser, codec.Message{Type: codec.Call, Request: 7,
		URI: "com.bench.proc", Args: payload64(tb, ser)})
	return func() {
		deliver(tb, r, caller, ser, raw)
		c := caller.calls[7]
		if c == nil {
			tb.Fatal("call not pending after CALL")
		}
		r.dealer.finish(c)
	}, len(raw)
}

// setupYield prepares YIELD -> RESULT; run puts the pending call it
// answers in place directly, then delivers one YIELD. size is the YIELD's
// encoded length.
func setupYield(tb testing.TB, ser codec.Serializer) (run func(), size int) {
	r := benchRealm()
	callee := benchJoin(r, 1, ser, nil)
	caller := benchJoin(r, 2, ser, nil)
	raw := encodeMsg(tb, ser, codec.Message{Type: codec.Yield, Request: 1, Args: payload64(tb, ser)})
	return func() {
		c := r.dealer.newCall()
		c.caller, c.callerReq, c.callee, c.invID = caller, 7, callee, 1
		lazyMap(&callee.invs)[1] = c
		lazyMap(&caller.calls)[7] = c
		deliver(tb, r, callee, ser, raw)
		if len(callee.invs) != 0 {
			tb.Fatal("call still pending after YIELD")
		}
	}, len(raw)
}

func setupPublish(t *testing.T, ser codec.Serializer, subs int) func() {
	r, pub, raw := publishSetup(t, ser, subs)
	return func() {
		before := r.Stats().Delivered
		deliver(t, r, pub, ser, raw)
		if got := r.Stats().Delivered - before; got != int64(subs) {
			t.Fatalf("delivered %d events, want %d", got, subs)
		}
	}
}

func benchPublish(b *testing.B, subs int) {
	for _, ser := range serializers {
		b.Run(ser.String(), func(b *testing.B) {
			r, pub, raw := publishSetup(b, ser, subs)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			b.ResetTimer()
			for b.Loop() {
				deliver(b, r, pub, ser, raw)
			}
			b.StopTimer()
			if got, want := r.Stats().Delivered, r.Stats().Published*int64(subs); got != want {
				b.Fatalf("delivered %d events, want %d", got, want)
			}
		})
	}
}

func BenchmarkPublish_64B_1Sub(b *testing.B)     { benchPublish(b, 1) }
func BenchmarkPublish_64B_1000Subs(b *testing.B) { benchPublish(b, 1000) }

// BenchmarkCall_64B measures CALL -> INVOCATION (setupCall); the pending
// call is then forgotten directly (not measured separately) so the tables
// stay flat.
func BenchmarkCall_64B(b *testing.B) { benchOne(b, setupCall) }

// BenchmarkYield_64B measures YIELD -> RESULT (setupYield); the pending
// call it answers is put in place directly.
func BenchmarkYield_64B(b *testing.B) { benchOne(b, setupYield) }

// benchOne runs the one-message step setup prepares, per serializer.
func benchOne(b *testing.B, setup func(testing.TB, codec.Serializer) (func(), int)) {
	for _, ser := range serializers {
		b.Run(ser.String(), func(b *testing.B) {
			run, size := setup(b, ser)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				run()
			}
		})
	}
}

// BenchmarkPublish_64B_Actor measures the full path through the inbox and
// the actor goroutine (one publisher, one subscriber), with at most 128
// items in flight, as a session's event loop would have.
func BenchmarkPublish_64B_Actor(b *testing.B) {
	const window = 128
	ser := codec.MsgPack
	r := benchRealm()
	pub := benchJoin(r, 1, ser, nil)
	sub := benchJoin(r, 2, ser, nil)
	in := &Inbound{Sess: sub}
	in.Msg = codec.Message{Type: codec.Subscribe, Request: 1, URI: "com.bench.topic"}
	r.handle(in)
	r.flush()
	var handled atomic.Int64
	progress := make(chan struct{}, 1)
	r.testHook = func(*Inbound) {
		handled.Add(1)
		select {
		case progress <- struct{}{}:
		default:
		}
	}
	r.Start()
	defer r.Stop()
	raw := encodeMsg(b, ser, codec.Message{Type: codec.Publish, Request: 1,
		URI: "com.bench.topic", Args: payload64(b, ser)})
	b.ReportAllocs()
	b.ResetTimer()
	posted := int64(0)
	for b.Loop() {
		for posted-handled.Load() >= window {
			<-progress
		}
		in := NewInbound()
		in.Buf.B = append(in.Buf.B[:0], raw...)
		if err := codec.Decode(ser, in.Buf.B, &in.Msg); err != nil {
			b.Fatal(err)
		}
		in.Sess = pub
		r.Post(in)
		posted++
	}
	for handled.Load() < posted {
		<-progress
	}
}

// BenchmarkJoin_Welcome measures what the actor does for a session
// opening: add it, build and encode WELCOME, send it; and the Leave that
// keeps the session table at a steady size.
func BenchmarkJoin_Welcome(b *testing.B) {
	benchJoins(b, func(codec.Serializer) *Realm { return benchRealm() })
}

// benchJoins measures a session joining (WELCOME sent) and leaving a realm
// made by newRealm, per serializer.
func benchJoins(b *testing.B, newRealm func(codec.Serializer) *Realm) {
	for _, ser := range serializers {
		b.Run(ser.String(), func(b *testing.B) {
			r := newRealm(ser)
			b.ReportAllocs()
			id := uint64(0)
			for b.Loop() {
				id++
				s := &Session{ID: id, Peer: discardPeer{ser}, AuthID: "anon-" + ser.String(),
					AuthRole: "anonymous", AuthMethod: "anonymous", AuthProvider: "static"}
				r.join(s)
				r.flush()
				r.remove(s)
			}
		})
	}
}

// BenchmarkFourRealms loads four realms at once, each fed by a goroutine
// standing in for an event loop (copy, decode, Post, at most 128 items in
// flight) and each publishing to 10 subscribers. Run with -cpu 1,2: the
// ratio of the two ns/op is how far routing spreads over cores with no
// load generator competing for them (make bench-full, target 6).
func BenchmarkFourRealms(b *testing.B) {
	const realms, subs, window = 4, 10, 128
	ser := codec.MsgPack
	raw := encodeMsg(b, ser, codec.Message{Type: codec.Publish, Request: 1,
		URI: "com.bench.topic", Args: payload64(b, ser)})
	type feed struct {
		r        *Realm
		pub      *Session
		handled  atomic.Int64
		progress chan struct{}
	}
	feeds := make([]*feed, realms)
	for i := range feeds {
		f := &feed{r: New(Options{Name: fmt.Sprintf("bench%d", i)}), progress: make(chan struct{}, 1)}
		f.pub = benchJoin(f.r, 1, ser, nil)
		for s := range subs {
			in := &Inbound{Sess: benchJoin(f.r, uint64(2+s), ser, nil)}
			in.Msg = codec.Message{Type: codec.Subscribe, Request: 1, URI: "com.bench.topic"}
			f.r.handle(in)
		}
		f.r.flush()
		f.r.testHook = func(*Inbound) {
			f.handled.Add(1)
			select {
			case f.progress <- struct{}{}:
			default:
			}
		}
		f.r.Start()
		defer f.r.Stop()
		feeds[i] = f
	}
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, realms)
	for i, f := range feeds {
		n := int64(b.N / realms)
		if i < b.N%realms {
			n++
		}
		wg.Go(func() {
			for posted := int64(0); posted < n; posted++ {
				for posted-f.handled.Load() >= window {
					<-f.progress
				}
				in := NewInbound()
				in.Buf.B = append(in.Buf.B[:0], raw...)
				if err := codec.Decode(ser, in.Buf.B, &in.Msg); err != nil {
					errs <- err
					return
				}
				in.Sess = f.pub
				f.r.Post(in)
			}
			for f.handled.Load() < n {
				<-f.progress
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
