package realm

import (
	"sort"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
)

func TestJoinWelcome(t *testing.T) {
	for _, ser := range serializers {
		t.Run(ser.String(), func(t *testing.T) {
			r := newRealm(t, "realm1")
			c, w := joinClient(t, r, ser, nil)
			if w.ID != c.s.ID {
				t.Errorf("WELCOME session id = %d, want %d", w.ID, c.s.ID)
			}
			for k, want := range map[string]string{"realm": "realm1", "authid": "anon",
				"authrole": "anonymous", "authmethod": "anonymous", "authprovider": "static"} {
				if got := w.Details[k]; got != want {
					t.Errorf("details.%s = %v, want %q", k, got, want)
				}
			}
			for role, want := range map[string][]string{"broker": r.brokerFeatures(), "dealer": r.dealerFeatures()} {
				roles, _ := w.Details["roles"].(map[string]any)
				rd, _ := roles[role].(map[string]any)
				fs, _ := rd["features"].(map[string]any)
				var got []string
				for k, v := range fs {
					if v != true {
						t.Errorf("%s feature %s = %v, want true", role, k, v)
					}
					got = append(got, k)
				}
				sort.Strings(got)
				sort.Strings(want)
				if len(got) != len(want) {
					t.Fatalf("%s features = %v, want %v", role, got, want)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s features = %v, want %v", role, got, want)
					}
				}
			}
			if st := r.Stats(); st.Sessions != 1 {
				t.Errorf("Stats().Sessions = %d, want 1", st.Sessions)
			}
		})
	}
}

func TestGoodbye(t *testing.T) {
	r := newRealm(t, "realm1")
	c, _ := joinClient(t, r, codec.JSON, nil)
	other, _ := joinClient(t, r, codec.JSON, nil)
	c.subscribe("com.topic", codec.MatchExact)
	m := codec.Message{Type: codec.Goodbye, URI: codec.CloseCloseRealm}
	c.send(m)
	g := c.expect(codec.Goodbye)
	if g.URI != codec.CloseGoodbyeAndOut {
		t.Errorf("GOODBYE reason = %q, want %q", g.URI, codec.CloseGoodbyeAndOut)
	}
	other.barrier()
	if !c.p.closed.Load() {
		t.Error("peer not closed after GOODBYE")
	}
	if st := r.Stats(); st.Sessions != 1 {
		t.Errorf("Stats().Sessions = %d, want 1", st.Sessions)
	}
	// The subscription died with its only subscriber: a new one gets a new id
	// and a publication reaches nobody else.
	pub := other.nextReq()
	other.send(codec.Message{Type: codec.Publish, Request: pub, URI: "com.topic",
		Options: codec.Options{Has: codec.HasAcknowledge, Acknowledge: true}})
	other.expect(codec.Published)
	if b := c.p.pop(); b != nil {
		t.Errorf("left session still got %q", b)
	}
}

func TestProtocolViolation(t *testing.T) {
	tests := []struct {
		name string
		msg  codec.Message
	}{
		{"hello after join", codec.Message{Type: codec.Hello, URI: "realm1", Details: map[string]any{}}},
		{"welcome from client", codec.Message{Type: codec.Welcome, ID: 5, Details: map[string]any{}}},
		{"event from client", codec.Message{Type: codec.Event, ID: 1, ID2: 2}},
		{"result from client", codec.Message{Type: codec.Result, Request: 1}},
		{"error for a call", codec.Message{Type: codec.Error, ReqType: codec.Call, Request: 1, URI: "com.err"}},
		{"authenticate after join", codec.Message{Type: codec.Authenticate, URI: "sig", Details: map[string]any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRealm(t, "realm1")
			c, _ := joinClient(t, r, codec.JSON, nil)
			c.register("com.proc", codec.MatchExact, codec.InvokeSingle)
			c.send(tt.msg)
			a := c.expect(codec.Abort)
			if a.URI != codec.ErrProtocolViolation {
				t.Errorf("ABORT reason = %q, want %q", a.URI, codec.ErrProtocolViolation)
			}
			if msg, _ := a.Details["message"].(string); msg == "" {
				t.Errorf("ABORT details.message missing: %v", a.Details)
			}
			// The session and its registration are gone.
			other, _ := joinClient(t, r, codec.JSON, nil)
			other.register("com.proc", codec.MatchExact, codec.InvokeSingle)
			if !c.p.closed.Load() {
				t.Error("peer not closed")
			}
		})
	}
}

func TestKickAndLeave(t *testing.T) {
	r := newRealm(t, "realm1")
	c, _ := joinClient(t, r, codec.MsgPack, nil)
	r.Kick(c.s, codec.ErrProtocolViolation, "undecodable message")
	a := c.expect(codec.Abort)
	if a.URI != codec.ErrProtocolViolation || a.Details["message"] != "undecodable message" {
		t.Errorf("ABORT = %q %v", a.URI, a.Details)
	}
	// Leave and Kick of a removed session are no-ops.
	r.Leave(c.s)
	r.Kick(c.s, codec.ErrProtocolViolation, "again")
	other, _ := joinClient(t, r, codec.JSON, nil)
	other.barrier()
	if b := c.p.pop(); b != nil {
		t.Errorf("removed session got %q", b)
	}
	if st := r.Stats(); st.Sessions != 1 {
		t.Errorf("Stats().Sessions = %d, want 1", st.Sessions)
	}
}

func TestStopSaysGoodbye(t *testing.T) {
	r := New(Options{Name: "realm1"})
	r.Start()
	a, _ := joinClient(t, r, codec.JSON, nil)
	b, _ := joinClient(t, r, codec.CBOR, nil)
	done := make(chan struct{})
	go func() { r.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Stop did not return")
	}
	for _, c := range []*client{a, b} {
		g := c.expect(codec.Goodbye)
		if g.URI != codec.CloseSystemShutdown {
			t.Errorf("GOODBYE reason = %q, want %q", g.URI, codec.CloseSystemShutdown)
		}
		if !c.p.closed.Load() {
			t.Error("peer not closed on Stop")
		}
		if c.p.flushes.Load() == 0 {
			t.Error("peer never flushed")
		}
	}
	// Join after Stop is refused at once.
	p := newFakePeer(codec.JSON)
	late := &client{t: t, r: r, s: &Session{ID: 7, Peer: p}, p: p}
	r.Join(late.s)
	if ab := late.expect(codec.Abort); ab.URI != codec.CloseSystemShutdown {
		t.Errorf("late join ABORT reason = %q", ab.URI)
	}
	r.Stop() // idempotent
}

func TestRealmIsolation(t *testing.T) {
	r1, r2 := newRealm(t, "realm1"), newRealm(t, "realm2")
	sub1, _ := joinClient(t, r1, codec.JSON, nil)
	sub2, _ := joinClient(t, r2, codec.JSON, nil)
	callee2, _ := joinClient(t, r2, codec.JSON, nil)
	pub1, _ := joinClient(t, r1, codec.JSON, nil)
	sub1.subscribe("com.topic", codec.MatchExact)
	sub2.subscribe("com.topic", codec.MatchExact)
	callee2.register("com.proc", codec.MatchExact, codec.InvokeSingle)

	pub1.send(codec.Message{Type: codec.Publish, Request: pub1.nextReq(), URI: "com.topic"})
	sub1.expect(codec.Event)
	req := pub1.nextReq()
	pub1.send(codec.Message{Type: codec.Call, Request: req, URI: "com.proc"})
	pub1.expectError(codec.Call, req, codec.ErrNoSuchProcedure)
	sub2.barrier()
	callee2.barrier()
}

// TestPostReportsWake checks that Post tells the event loop when it woke a
// sleeping actor (the loop then yields its processor to it), and not when
// nobody was asleep.
func TestPostReportsWake(t *testing.T) {
	r := newRealm(t, "wake")
	c, _ := joinClient(t, r, codec.JSON, nil)
	c.barrier()
	deadline := time.Now().Add(waitFor)
	for !r.sleeping.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the actor never went to sleep with an empty inbox")
		}
		time.Sleep(time.Millisecond)
	}
	req := c.nextReq()
	if !c.send(codec.Message{Type: codec.Unsubscribe, Request: req, ID: 1}) {
		t.Error("Post to a sleeping actor did not report waking it")
	}
	c.expectError(codec.Unsubscribe, req, codec.ErrNoSuchSubscription)

	idle := New(Options{Name: "not-started"}) // its actor never ran, so never slept
	in := NewInbound()
	in.Msg = codec.Message{Type: codec.Unsubscribe, Request: 1, ID: 1}
	if idle.Post(in) {
		t.Error("Post to a realm whose actor is not asleep reported a wake-up")
	}
}
