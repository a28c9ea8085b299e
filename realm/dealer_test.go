package realm

import (
	"testing"

	"github.com/wampd/wampd/codec"
)

// cancelingHello announces call_canceling for a callee.
func cancelingHello() map[string]any {
	return map[string]any{"roles": map[string]any{
		"callee": map[string]any{"features": map[string]any{"call_canceling": true}}}}
}

func TestCallYield(t *testing.T) {
	args := []any{"x", 2.0}
	kwargs := map[string]any{"a": "b"}
	for _, callerSer := range serializers {
		for _, calleeSer := range serializers {
			t.Run(callerSer.String()+"->"+calleeSer.String(), func(t *testing.T) {
				r := newRealm(t, "realm1")
				callee, _ := joinClient(t, r, calleeSer, nil)
				caller, _ := joinClient(t, r, callerSer, nil)
				regID := callee.register("com.proc", codec.MatchExact, codec.InvokeSingle)

				a, k := payload(t, callerSer, args, kwargs)
				req := caller.nextReq()
				caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.proc", Args: a, Kwargs: k,
					Options: codec.Options{Has: codec.HasDiscloseMe, DiscloseMe: true}})
				inv := callee.expect(codec.Invocation)
				if inv.ID != regID || inv.Request == 0 {
					t.Fatalf("INVOCATION %+v, want registration %d", inv, regID)
				}
				if inv.Options.Caller != caller.s.ID {
					t.Errorf("INVOCATION caller = %d, want %d", inv.Options.Caller, caller.s.ID)
				}
				if inv.Options.Has&(codec.HasProcedure|codec.HasReceiveProgress) != 0 {
					t.Errorf("INVOCATION details %+v, want caller only", inv.Options)
				}
				checkPayload(t, inv, args, kwargs)

				ra, rk := payload(t, calleeSer, []any{"done"}, map[string]any{"n": 1.0})
				callee.send(codec.Message{Type: codec.Yield, Request: inv.Request, Args: ra, Kwargs: rk})
				res := caller.expect(codec.Result)
				if res.Request != req || res.Options.Progress {
					t.Fatalf("RESULT %+v for request %d", res, req)
				}
				checkPayload(t, res, []any{"done"}, map[string]any{"n": 1.0})

				// A second YIELD for the finished invocation goes nowhere.
				callee.send(codec.Message{Type: codec.Yield, Request: inv.Request})
				caller.barrier()
				if st := r.Stats(); st.Calls != 1 {
					t.Errorf("Stats().Calls = %d, want 1", st.Calls)
				}
			})
		}
	}
}

func TestDealerErrors(t *testing.T) {
	r := newRealm(t, "realm1")
	callee, _ := joinClient(t, r, codec.JSON, nil)
	other, _ := joinClient(t, r, codec.CBOR, nil)
	regID := callee.register("com.proc", codec.MatchExact, codec.InvokeSingle)

	tests := []struct {
		name    string
		c       *client
		msg     codec.Message
		reqType codec.Type
		want    codec.URI
	}{
		{"call unknown", other, codec.Message{Type: codec.Call, URI: "com.nothing"}, codec.Call, codec.ErrNoSuchProcedure},
		{"call invalid uri", other, codec.Message{Type: codec.Call, URI: "com..x"}, codec.Call, codec.ErrInvalidURI},
		{"register twice", other, codec.Message{Type: codec.Register, URI: "com.proc"}, codec.Register, codec.ErrProcedureAlreadyExists},
		{"register shared over single", other, codec.Message{Type: codec.Register, URI: "com.proc",
			Options: codec.Options{Has: codec.HasInvoke, Invoke: codec.InvokeRoundRobin}}, codec.Register, codec.ErrProcedureAlreadyExists},
		{"register invalid uri", other, codec.Message{Type: codec.Register, URI: "com.#"}, codec.Register, codec.ErrInvalidURI},
		{"register reserved", other, codec.Message{Type: codec.Register, URI: "wamp.session.get"}, codec.Register, codec.ErrInvalidURI},
		{"unregister unknown", other, codec.Message{Type: codec.Unregister, ID: regID + 1}, codec.Unregister, codec.ErrNoSuchRegistration},
		{"unregister not ours", other, codec.Message{Type: codec.Unregister, ID: regID}, codec.Unregister, codec.ErrNoSuchRegistration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.msg.Request = tt.c.nextReq()
			tt.c.send(tt.msg)
			e := tt.c.expectError(tt.reqType, tt.msg.Request, tt.want)
			if errorText(t, e) == "" {
				t.Error("ERROR without a message")
			}
		})
	}
	t.Run("no_such_procedure names the procedure", func(t *testing.T) {
		req := other.nextReq()
		other.send(codec.Message{Type: codec.Call, Request: req, URI: "com.missing"})
		e := other.expectError(codec.Call, req, codec.ErrNoSuchProcedure)
		if got, want := errorText(t, e), "no callee registered for procedure 'com.missing'"; got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	})
	t.Run("unregister then call", func(t *testing.T) {
		req := callee.nextReq()
		callee.send(codec.Message{Type: codec.Unregister, Request: req, ID: regID})
		if u := callee.expect(codec.Unregistered); u.Request != req {
			t.Errorf("UNREGISTERED request %d, want %d", u.Request, req)
		}
		req = other.nextReq()
		other.send(codec.Message{Type: codec.Call, Request: req, URI: "com.proc"})
		other.expectError(codec.Call, req, codec.ErrNoSuchProcedure)
	})
}

func TestApplicationError(t *testing.T) {
	r := newRealm(t, "realm1")
	callee, _ := joinClient(t, r, codec.MsgPack, nil)
	caller, _ := joinClient(t, r, codec.JSON, nil)
	callee.register("com.proc", codec.MatchExact, codec.InvokeSingle)
	req := caller.nextReq()
	caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.proc"})
	inv := callee.expect(codec.Invocation)
	a, k := payload(t, codec.MsgPack, []any{"bad input", 3.0}, map[string]any{"field": "x"})
	callee.send(codec.Message{Type: codec.Error, ReqType: codec.Invocation, Request: inv.Request,
		URI: "com.myapp.error.bad", Args: a, Kwargs: k})
	e := caller.expectError(codec.Call, req, "com.myapp.error.bad")
	checkPayload(t, e, []any{"bad input", 3.0}, map[string]any{"field": "x"})
}

func TestProgressiveResults(t *testing.T) {
	for _, asked := range []bool{true, false} {
		name := "receive_progress"
		if !asked {
			name = "not asked"
		}
		t.Run(name, func(t *testing.T) {
			r := newRealm(t, "realm1")
			callee, _ := joinClient(t, r, codec.JSON, nil)
			caller, _ := joinClient(t, r, codec.MsgPack, nil)
			callee.register("com.proc", codec.MatchExact, codec.InvokeSingle)
			req := caller.nextReq()
			call := codec.Message{Type: codec.Call, Request: req, URI: "com.proc"}
			if asked {
				call.Options = codec.Options{Has: codec.HasReceiveProgress, ReceiveProgress: true}
			}
			caller.send(call)
			inv := callee.expect(codec.Invocation)
			if inv.Options.ReceiveProgress != asked {
				t.Errorf("INVOCATION receive_progress = %v, want %v", inv.Options.ReceiveProgress, asked)
			}
			for i := range 3 {
				a, _ := payload(t, codec.JSON, []any{float64(i)}, nil)
				callee.send(codec.Message{Type: codec.Yield, Request: inv.Request, Args: a,
					Options: codec.Options{Has: codec.HasProgress, Progress: true}})
				if asked {
					res := caller.expect(codec.Result)
					if res.Request != req || !res.Options.Progress {
						t.Fatalf("progressive RESULT %+v", res)
					}
					checkPayload(t, res, []any{float64(i)}, nil)
				}
			}
			callee.send(codec.Message{Type: codec.Yield, Request: inv.Request})
			res := caller.expect(codec.Result)
			if res.Request != req || res.Options.Progress {
				t.Fatalf("final RESULT %+v", res)
			}
		})
	}
}

func TestCalleeLeavesMidCall(t *testing.T) {
	r := newRealm(t, "realm1")
	callee, _ := joinClient(t, r, codec.JSON, nil)
	caller, _ := joinClient(t, r, codec.CBOR, nil)
	callee.register("com.proc", codec.MatchExact, codec.InvokeSingle)
	req1, req2 := caller.nextReq(), caller.nextReq()
	caller.send(codec.Message{Type: codec.Call, Request: req1, URI: "com.proc"})
	caller.send(codec.Message{Type: codec.Call, Request: req2, URI: "com.proc"})
	i1, i2 := callee.expect(codec.Invocation), callee.expect(codec.Invocation)
	if i1.Request == i2.Request {
		t.Fatalf("two invocations share request id %d", i1.Request)
	}
	r.Leave(callee.s)
	pending := map[uint64]bool{req1: true, req2: true} // answered in any order
	for range 2 {
		e := caller.expect(codec.Error)
		if e.ReqType != codec.Call || e.URI != codec.ErrCanceled || !pending[e.Request] {
			t.Fatalf("got ERROR %s %d %s, want CALL canceled for one of %v", e.ReqType, e.Request, e.URI, pending)
		}
		delete(pending, e.Request)
		if errorText(t, e) == "" {
			t.Error("canceled ERROR without a message")
		}
	}
	// The registration went with the session.
	req := caller.nextReq()
	caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.proc"})
	caller.expectError(codec.Call, req, codec.ErrNoSuchProcedure)
}

func TestCallerLeavesMidCall(t *testing.T) {
	for _, canceling := range []bool{true, false} {
		t.Run(map[bool]string{true: "callee cancels", false: "callee without canceling"}[canceling], func(t *testing.T) {
			r := newRealm(t, "realm1")
			var hello map[string]any
			if canceling {
				hello = cancelingHello()
			}
			callee, _ := joinClient(t, r, codec.JSON, hello)
			caller, _ := joinClient(t, r, codec.JSON, nil)
			callee.register("com.proc", codec.MatchExact, codec.InvokeSingle)
			caller.send(codec.Message{Type: codec.Call, Request: caller.nextReq(), URI: "com.proc"})
			inv := callee.expect(codec.Invocation)
			r.Leave(caller.s)
			if canceling {
				in := callee.expect(codec.Interrupt)
				if in.Request != inv.Request || in.Options.Mode != modeKillNoWait {
					t.Errorf("INTERRUPT %+v, want request %d killnowait", in, inv.Request)
				}
			}
			// A late YIELD is dropped without harm.
			callee.send(codec.Message{Type: codec.Yield, Request: inv.Request})
			callee.barrier()
		})
	}
}

func TestSharedRegistration(t *testing.T) {
	tests := []struct {
		invoke codec.Invoke
		want   []int // callee index per call
	}{
		{codec.InvokeRoundRobin, []int{0, 1, 2, 0, 1, 2}},
		{codec.InvokeFirst, []int{0, 0, 0}},
		{codec.InvokeLast, []int{2, 2, 2}},
	}
	for _, tt := range tests {
		t.Run(map[codec.Invoke]string{codec.InvokeRoundRobin: "roundrobin", codec.InvokeFirst: "first",
			codec.InvokeLast: "last"}[tt.invoke], func(t *testing.T) {
			r := newRealm(t, "realm1")
			callees := make([]*client, 3)
			var regID uint64
			for i := range callees {
				callees[i], _ = joinClient(t, r, codec.JSON, nil)
				id := callees[i].register("com.proc", codec.MatchExact, tt.invoke)
				if i > 0 && id != regID {
					t.Fatalf("shared registration ids differ: %d, %d", id, regID)
				}
				regID = id
			}
			caller, _ := joinClient(t, r, codec.JSON, nil)
			for n, want := range tt.want {
				req := caller.nextReq()
				caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.proc"})
				inv := callees[want].expect(codec.Invocation)
				callees[want].send(codec.Message{Type: codec.Yield, Request: inv.Request})
				if res := caller.expect(codec.Result); res.Request != req {
					t.Fatalf("call %d: RESULT for %d, want %d", n, res.Request, req)
				}
			}
			for _, c := range callees {
				c.barrier()
			}
		})
	}
	t.Run("random", func(t *testing.T) {
		r := newRealm(t, "realm1")
		a, _ := joinClient(t, r, codec.JSON, nil)
		a.register("com.proc", codec.MatchExact, codec.InvokeRandom)
		caller, _ := joinClient(t, r, codec.JSON, nil)
		caller.send(codec.Message{Type: codec.Call, Request: caller.nextReq(), URI: "com.proc"})
		a.expect(codec.Invocation)
	})
}

func TestPatternRegistration(t *testing.T) {
	r := newRealm(t, "realm1")
	exact, _ := joinClient(t, r, codec.JSON, nil)
	short, _ := joinClient(t, r, codec.JSON, nil)
	long, _ := joinClient(t, r, codec.JSON, nil)
	wild, _ := joinClient(t, r, codec.JSON, nil)
	caller, _ := joinClient(t, r, codec.JSON, nil)
	exact.register("com.app.a.get", codec.MatchExact, codec.InvokeSingle)
	short.register("com.app.", codec.MatchPrefix, codec.InvokeSingle)
	long.register("com.app.a", codec.MatchPrefix, codec.InvokeSingle)
	wild.register("org..get", codec.MatchWildcard, codec.InvokeSingle)
	tests := []struct {
		proc    string
		callee  *client
		pattern bool
	}{
		{"com.app.a.get", exact, false},
		{"com.app.a.set", long, true},
		{"com.app.b", short, true},
		{"org.x.get", wild, true},
	}
	for _, tt := range tests {
		t.Run(tt.proc, func(t *testing.T) {
			caller.send(codec.Message{Type: codec.Call, Request: caller.nextReq(), URI: tt.proc})
			inv := tt.callee.expect(codec.Invocation)
			if tt.pattern && inv.Options.Procedure != tt.proc {
				t.Errorf("INVOCATION procedure = %q, want %q", inv.Options.Procedure, tt.proc)
			}
			if !tt.pattern && inv.Options.Has&codec.HasProcedure != 0 {
				t.Errorf("exact INVOCATION carries procedure %q", inv.Options.Procedure)
			}
			tt.callee.send(codec.Message{Type: codec.Yield, Request: inv.Request})
			caller.expect(codec.Result)
		})
	}
	req := caller.nextReq()
	caller.send(codec.Message{Type: codec.Call, Request: req, URI: "org.x.y.get"})
	caller.expectError(codec.Call, req, codec.ErrNoSuchProcedure)
}

func TestCancel(t *testing.T) {
	tests := []struct {
		mode      string
		canceling bool // callee announced call_canceling
		interrupt bool // callee gets INTERRUPT
		errorNow  bool // caller gets ERROR at once
	}{
		{modeSkip, true, false, true},
		{modeKillNoWait, true, true, true},
		{modeKill, true, true, false},
		{modeKill, false, false, true}, // no call_canceling: skip
	}
	for _, tt := range tests {
		t.Run(tt.mode+map[bool]string{true: "", false: " without canceling"}[tt.canceling], func(t *testing.T) {
			r := newRealm(t, "realm1")
			var hello map[string]any
			if tt.canceling {
				hello = cancelingHello()
			}
			callee, _ := joinClient(t, r, codec.JSON, hello)
			caller, _ := joinClient(t, r, codec.JSON, nil)
			callee.register("com.proc", codec.MatchExact, codec.InvokeSingle)
			req := caller.nextReq()
			caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.proc"})
			inv := callee.expect(codec.Invocation)
			caller.send(codec.Message{Type: codec.Cancel, Request: req,
				Options: codec.Options{Has: codec.HasMode, Mode: tt.mode}})
			if tt.interrupt {
				in := callee.expect(codec.Interrupt)
				if in.Request != inv.Request || in.Options.Mode != tt.mode {
					t.Errorf("INTERRUPT %+v", in)
				}
			}
			if tt.errorNow {
				caller.expectError(codec.Call, req, codec.ErrCanceled)
			}
			// The callee answers the interrupt: forwarded only in kill mode.
			callee.send(codec.Message{Type: codec.Error, ReqType: codec.Invocation, Request: inv.Request,
				URI: codec.ErrCanceled})
			if !tt.errorNow {
				caller.expectError(codec.Call, req, codec.ErrCanceled)
			}
			caller.barrier()
			callee.barrier()
		})
	}
}

func TestCallTimeout(t *testing.T) {
	r := newRealm(t, "realm1")
	callee, _ := joinClient(t, r, codec.JSON, cancelingHello())
	caller, _ := joinClient(t, r, codec.JSON, nil)
	callee.register("com.proc", codec.MatchExact, codec.InvokeSingle)
	req := caller.nextReq()
	caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.proc",
		Options: codec.Options{Has: codec.HasTimeout, Timeout: 20}})
	inv := callee.expect(codec.Invocation)
	// Both replies are awaited events (bounded by waitFor), not sleeps.
	in := callee.expect(codec.Interrupt)
	if in.Request != inv.Request || in.Options.Reason != codec.ErrTimeout {
		t.Errorf("INTERRUPT %+v, want reason %s", in, codec.ErrTimeout)
	}
	caller.expectError(codec.Call, req, codec.ErrTimeout)
	callee.send(codec.Message{Type: codec.Yield, Request: inv.Request})
	caller.barrier()
}
