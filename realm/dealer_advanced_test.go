package realm

import (
	"testing"

	"github.com/wampd/wampd/codec"
)

var (
	pciCaller = helloWith(map[string][]string{"caller": {"progressive_call_invocations", "progressive_call_results"}})
	pciCallee = helloWith(map[string][]string{"callee": {"progressive_call_invocations", "call_canceling", "progressive_call_results"}})
)

// chunkCall sends one CALL chunk of a progressive call invocation.
func (c *client) chunkCall(req uint64, proc string, arg any, progress bool) {
	c.t.Helper()
	a, _ := payload(c.t, c.p.ser, []any{arg}, nil)
	m := codec.Message{Type: codec.Call, Request: req, URI: proc, Args: a}
	if progress {
		m.Options.Has, m.Options.Progress = codec.HasProgress, true
	}
	c.send(m)
}

// TestProgressiveInvocations: every chunk reaches the same callee under
// one INVOCATION id with progress, the last without; the frozen details
// of the first CALL are on every INVOCATION; the result comes back.
func TestProgressiveInvocations(t *testing.T) {
	for _, ser := range serializers {
		t.Run(ser.String(), func(t *testing.T) {
			r := newRealm(t, "realm1")
			c1 := joinAs(t, r, ser, "c1", "user", pciCallee)
			c2 := joinAs(t, r, ser, "c2", "user", pciCallee)
			c1.register("com.up", codec.MatchExact, codec.InvokeRoundRobin)
			c2.register("com.up", codec.MatchExact, codec.InvokeRoundRobin)
			caller := joinAs(t, r, ser, "caller", "user", pciCaller)
			req := caller.nextReq()
			first := codec.Message{Type: codec.Call, Request: req, URI: "com.up",
				Options: codec.Options{Has: codec.HasProgress | codec.HasDiscloseMe, Progress: true, DiscloseMe: true}}
			first.Args, _ = payload(t, ser, []any{"chunk0"}, nil)
			caller.send(first)
			inv := c1.expect(codec.Invocation)
			if !inv.Options.Progress || inv.Options.Caller != caller.s.ID || extOf(inv).CallerAuthID != "caller" {
				t.Fatalf("first INVOCATION %+v", inv.Options)
			}
			for i := 1; i < 4; i++ {
				caller.chunkCall(req, "com.up", i, i < 3)
				next := c1.expect(codec.Invocation)
				if next.Request != inv.Request || next.Options.Progress != (i < 3) || next.Options.Caller != caller.s.ID {
					t.Fatalf("chunk %d: INVOCATION %d %+v, want request %d", i, next.Request, next.Options, inv.Request)
				}
				checkPayload(t, next, []any{float64(i)}, nil)
			}
			c2.quiet() // round robin did not spread the chunks
			c1.send(codec.Message{Type: codec.Yield, Request: inv.Request})
			if res := caller.expect(codec.Result); res.Request != req {
				t.Fatalf("RESULT %+v", res)
			}
			// The stream was complete before the result: its id is free
			// again, and the next call goes to the other callee (the
			// policy applies per call).
			caller.chunkCall(req, "com.up", "x", true)
			c2.expect(codec.Invocation)
		})
	}
}

// TestProgressiveInvocationCancel: a CANCEL mid-stream ends the call; the
// chunks still coming are discarded silently (no new call starts).
func TestProgressiveInvocationCancel(t *testing.T) {
	r := newRealm(t, "realm1")
	callee := joinAs(t, r, codec.JSON, "c", "user", pciCallee)
	callee.register("com.up", codec.MatchExact, codec.InvokeSingle)
	caller := joinAs(t, r, codec.JSON, "caller", "user", pciCaller)
	req := caller.nextReq()
	caller.chunkCall(req, "com.up", 0, true)
	inv := callee.expect(codec.Invocation)
	caller.send(codec.Message{Type: codec.Cancel, Request: req,
		Options: codec.Options{Has: codec.HasMode, Mode: modeKillNoWait}})
	caller.expectError(codec.Call, req, codec.ErrCanceled)
	if m := callee.expect(codec.Interrupt); m.Request != inv.Request {
		t.Fatalf("INTERRUPT %+v", m)
	}
	caller.chunkCall(req, "com.up", 1, true)
	caller.chunkCall(req, "com.up", 2, false)
	callee.quiet()
	caller.quiet()
	// The id is free again after the last chunk.
	caller.chunkCall(req, "com.up", "again", false)
	callee.expect(codec.Invocation)
}

// TestProgressiveInvocationKill: after a CANCEL in kill mode the callee
// gets INTERRUPT and no more chunks; its answer ends the call.
func TestProgressiveInvocationKill(t *testing.T) {
	r := newRealm(t, "realm1")
	callee := joinAs(t, r, codec.CBOR, "c", "user", pciCallee)
	callee.register("com.up", codec.MatchExact, codec.InvokeSingle)
	caller := joinAs(t, r, codec.CBOR, "caller", "user", pciCaller)
	req := caller.nextReq()
	caller.chunkCall(req, "com.up", 0, true)
	inv := callee.expect(codec.Invocation)
	caller.send(codec.Message{Type: codec.Cancel, Request: req,
		Options: codec.Options{Has: codec.HasMode, Mode: modeKill}})
	callee.expect(codec.Interrupt)
	caller.chunkCall(req, "com.up", 1, true)
	caller.chunkCall(req, "com.up", 2, false)
	callee.quiet()
	a, _ := payload(t, codec.CBOR, []any{"canceled"}, nil)
	callee.send(codec.Message{Type: codec.Error, ReqType: codec.Invocation, Request: inv.Request,
		URI: codec.ErrCanceled, Args: a})
	caller.expectError(codec.Call, req, codec.ErrCanceled)
}

// TestProgressiveInvocationCalleeLeaves: the callee leaving mid-stream
// cancels the call; the rest of the stream is discarded.
func TestProgressiveInvocationCalleeLeaves(t *testing.T) {
	r := newRealm(t, "realm1")
	callee := joinAs(t, r, codec.MsgPack, "c", "user", pciCallee)
	callee.register("com.up", codec.MatchExact, codec.InvokeSingle)
	other := joinAs(t, r, codec.MsgPack, "o", "user", pciCallee)
	caller := joinAs(t, r, codec.MsgPack, "caller", "user", pciCaller)
	req := caller.nextReq()
	caller.chunkCall(req, "com.up", 0, true)
	callee.expect(codec.Invocation)
	r.Leave(callee.s)
	caller.expectError(codec.Call, req, codec.ErrCanceled)
	other.register("com.up", codec.MatchExact, codec.InvokeSingle)
	caller.chunkCall(req, "com.up", 1, true)
	caller.quiet()
	other.quiet() // the orphan chunk did not become a call to the new callee
}

// TestProgressiveInvocationFeatures: a caller without the feature is a
// protocol violation; a callee without it gets the caller an ERROR.
func TestProgressiveInvocationFeatures(t *testing.T) {
	r := newRealm(t, "realm1")
	plain := joinAs(t, r, codec.JSON, "c", "user", cancelingHello())
	plain.register("com.plain", codec.MatchExact, codec.InvokeSingle)
	caller := joinAs(t, r, codec.JSON, "caller", "user", pciCaller)
	req := caller.nextReq()
	caller.chunkCall(req, "com.plain", 0, true)
	caller.expectError(codec.Call, req, codec.ErrFeatureNotSupported)
	plain.quiet()
	bad := joinAs(t, r, codec.JSON, "bad", "user", nil)
	bad.chunkCall(1, "com.plain", 0, true)
	if m := bad.expect(codec.Abort); m.URI != codec.ErrProtocolViolation {
		t.Fatalf("ABORT %s", m.URI)
	}
}

// TestYieldAfterCancel: a YIELD racing a killnowait CANCEL is dropped; the
// caller saw only the cancel error.
func TestYieldAfterCancel(t *testing.T) {
	r := newRealm(t, "realm1")
	callee := joinAs(t, r, codec.JSON, "c", "user", cancelingHello())
	callee.register("com.slow", codec.MatchExact, codec.InvokeSingle)
	caller := joinAs(t, r, codec.JSON, "caller", "user", nil)
	req := caller.nextReq()
	caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.slow"})
	inv := callee.expect(codec.Invocation)
	caller.send(codec.Message{Type: codec.Cancel, Request: req})
	callee.send(codec.Message{Type: codec.Yield, Request: inv.Request})
	caller.expectError(codec.Call, req, codec.ErrCanceled)
	caller.quiet()
}

// TestPPTCall: passthru keys go from CALL to INVOCATION and from YIELD to
// RESULT; a callee without the feature gets the caller an ERROR.
func TestPPTCall(t *testing.T) {
	ppt := helloWith(map[string][]string{"caller": {"payload_passthru_mode"}, "callee": {"payload_passthru_mode"}})
	r := newRealm(t, "realm1")
	callee := joinAs(t, r, codec.MsgPack, "c", "user", ppt)
	callee.register("com.e2e", codec.MatchExact, codec.InvokeSingle)
	caller := joinAs(t, r, codec.JSON, "caller", "user", ppt)
	req := caller.nextReq()
	opts := caller.dict(map[string]any{"ppt_scheme": "wamp", "ppt_serializer": "cbor", "ppt_cipher": "xsalsa20poly1305", "ppt_keyid": "0xab"})
	a, _ := payload(t, codec.JSON, []any{[]byte("sealed")}, nil)
	caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.e2e", Dict: opts, Args: a})
	inv := callee.expect(codec.Invocation)
	if o := extOf(inv); o.PPTScheme != "wamp" || o.PPTSerializer != "cbor" || o.PPTCipher != "xsalsa20poly1305" || o.PPTKeyID != "0xab" {
		t.Fatalf("INVOCATION %+v", o)
	}
	if got := eventArgs(t, inv); string(got[0].([]byte)) != "sealed" {
		t.Fatalf("payload %#v", got)
	}
	ya, _ := payload(t, codec.MsgPack, []any{[]byte("answer")}, nil)
	callee.send(codec.Message{Type: codec.Yield, Request: inv.Request, Args: ya,
		Dict: callee.dict(map[string]any{"ppt_scheme": "wamp", "ppt_serializer": "cbor"})})
	res := caller.expect(codec.Result)
	if o := extOf(res); o.PPTScheme != "wamp" || o.PPTSerializer != "cbor" {
		t.Fatalf("RESULT %+v", res.Options)
	}
	plain := joinAs(t, r, codec.JSON, "p", "user", nil)
	plain.register("com.plain", codec.MatchExact, codec.InvokeSingle)
	req = caller.nextReq()
	caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.plain", Dict: opts, Args: a})
	caller.expectError(codec.Call, req, codec.ErrFeatureNotSupported)
	plain.quiet()
}

// TestLimits: each configured bound refuses with limit_exceeded, and the
// session stays usable.
func TestLimits(t *testing.T) {
	r := newRealmWith(t, Options{Limits: Limits{PendingCallsPerSession: 2, PendingCallsPerRealm: 3,
		SubscriptionsPerSession: 2, RegistrationsPerSession: 1}})
	c := joinAs(t, r, codec.JSON, "c", "user", nil)
	c.subscribe("com.a", codec.MatchExact)
	c.subscribe("com.b", codec.MatchExact)
	c.subscribe("com.a", codec.MatchExact) // the same again is not a new one
	req := c.nextReq()
	c.send(codec.Message{Type: codec.Subscribe, Request: req, URI: "com.c"})
	c.expectError(codec.Subscribe, req, codec.ErrLimitExceeded)
	c.register("com.p", codec.MatchExact, codec.InvokeSingle)
	req = c.nextReq()
	c.send(codec.Message{Type: codec.Register, Request: req, URI: "com.q"})
	c.expectError(codec.Register, req, codec.ErrLimitExceeded)

	caller := joinAs(t, r, codec.JSON, "caller", "user", nil)
	for range 2 {
		caller.send(codec.Message{Type: codec.Call, Request: caller.nextReq(), URI: "com.p"})
		c.expect(codec.Invocation)
	}
	req = caller.nextReq()
	caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.p"})
	caller.expectError(codec.Call, req, codec.ErrLimitExceeded)
	other := joinAs(t, r, codec.JSON, "o", "user", nil)
	other.send(codec.Message{Type: codec.Call, Request: 1, URI: "com.p"})
	inv := c.expect(codec.Invocation)
	other.send(codec.Message{Type: codec.Call, Request: 2, URI: "com.p"})
	other.expectError(codec.Call, 2, codec.ErrLimitExceeded) // 3 pending in the realm
	c.send(codec.Message{Type: codec.Yield, Request: inv.Request})
	other.expect(codec.Result)
	other.send(codec.Message{Type: codec.Call, Request: 3, URI: "com.p"})
	c.expect(codec.Invocation)
}

// TestCallerDisclosure: disclose_me on the CALL, or disclose_caller on the
// REGISTER, gives the callee the caller's id, authid and authrole.
func TestCallerDisclosure(t *testing.T) {
	r := newRealm(t, "realm1")
	callee := joinAs(t, r, codec.JSON, "c", "user", nil)
	callee.register("com.plain", codec.MatchExact, codec.InvokeSingle)
	req := callee.nextReq()
	callee.send(codec.Message{Type: codec.Register, Request: req, URI: "com.told",
		Options: codec.Options{Has: codec.HasDiscloseCaller, DiscloseCaller: true}})
	callee.expect(codec.Registered)
	caller := joinAs(t, r, codec.CBOR, "callerid", "callerrole", nil)
	for _, tc := range []struct {
		proc     string
		disclose bool
		want     bool
	}{{"com.plain", false, false}, {"com.plain", true, true}, {"com.told", false, true}} {
		m := codec.Message{Type: codec.Call, Request: caller.nextReq(), URI: tc.proc}
		if tc.disclose {
			m.Options = codec.Options{Has: codec.HasDiscloseMe, DiscloseMe: true}
		}
		caller.send(m)
		inv := callee.expect(codec.Invocation)
		o := inv.Options
		got := o.Caller == caller.s.ID && extOf(inv).CallerAuthID == "callerid" && extOf(inv).CallerAuthRole == "callerrole"
		if got != tc.want || (!tc.want && o.Has&codec.HasCaller != 0) {
			t.Fatalf("%s disclose_me=%v: details %+v", tc.proc, tc.disclose, o)
		}
		callee.send(codec.Message{Type: codec.Yield, Request: inv.Request})
		caller.expect(codec.Result)
	}
}
