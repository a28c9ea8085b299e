//go:build !race

package realm

import (
	"testing"

	"github.com/wampd/wampd/codec"
)

// TestHotPathAllocs fails CI when a realm hot path starts allocating:
// decode -> route -> encode -> Send of CALL->INVOCATION, YIELD->RESULT and
// PUBLISH->EVENT (1 and 1000 subscribers), for every serializer, must stay
// at 0 allocs per message in steady state. The race detector allocates on
// its own, hence the build tag.
func TestHotPathAllocs(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, ser codec.Serializer) func()
	}{
		{"call_invocation", setupCall},
		{"yield_result", setupYield},
		{"publish_event_1sub", func(t *testing.T, ser codec.Serializer) func() { return setupPublish(t, ser, 1) }},
		{"publish_event_1000subs", func(t *testing.T, ser codec.Serializer) func() { return setupPublish(t, ser, 1000) }},
	}
	for _, tc := range cases {
		for _, ser := range serializers {
			t.Run(tc.name+"/"+ser.String(), func(t *testing.T) {
				run := tc.setup(t, ser)
				for range 100 { // fill the pools and scratch slices
					run()
				}
				if n := testing.AllocsPerRun(500, run); n != 0 {
					t.Errorf("%s over %s: %v allocs per message, want 0", tc.name, ser, n)
				}
			})
		}
	}
}

func setupCall(t *testing.T, ser codec.Serializer) func() {
	r := benchRealm()
	callee := benchJoin(r, 1, ser, nil)
	caller := benchJoin(r, 2, ser, nil)
	in := &Inbound{Sess: callee}
	in.Msg = codec.Message{Type: codec.Register, Request: 1, URI: "com.bench.proc"}
	r.handle(in)
	r.flush()
	raw := encodeMsg(t, ser, codec.Message{Type: codec.Call, Request: 7,
		URI: "com.bench.proc", Args: payload64(t, ser)})
	return func() {
		deliver(t, r, caller, ser, raw)
		c := caller.calls[7]
		if c == nil {
			t.Fatal("call not pending after CALL")
		}
		r.dealer.finish(c)
	}
}

func setupYield(t *testing.T, ser codec.Serializer) func() {
	r := benchRealm()
	callee := benchJoin(r, 1, ser, nil)
	caller := benchJoin(r, 2, ser, nil)
	raw := encodeMsg(t, ser, codec.Message{Type: codec.Yield, Request: 1, Args: payload64(t, ser)})
	return func() {
		c := r.dealer.newCall()
		c.caller, c.callerReq, c.callee, c.invID = caller, 7, callee, 1
		lazyMap(&callee.invs)[1] = c
		lazyMap(&caller.calls)[7] = c
		deliver(t, r, callee, ser, raw)
		if len(callee.invs) != 0 {
			t.Fatal("call still pending after YIELD")
		}
	}
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
