package realm

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
)

// waitTraffic polls r's published counters until ok says they are what the
// test expects (they are published at the end of the actor's batch, maybe
// after the client saw the last message), failing after waitFor.
func waitTraffic(t *testing.T, r *Realm, ok func(Traffic, Latency) bool) (Traffic, Latency) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		tr, lat := r.Traffic(), r.CallLatency()
		if ok(tr, lat) {
			return tr, lat
		}
		if time.Now().After(deadline) {
			t.Fatalf("traffic not as expected within %v: %+v latency %+v", waitFor, tr, lat)
		}
		time.Sleep(time.Millisecond)
	}
}

// sizePeer is a fakePeer that sums the bytes of the frames it took.
type sizePeer struct {
	*fakePeer
	bytes atomic.Uint64
}

// Send sums the bytes of every frame it queued. It counts before the
// client can see the frame: the test sums the counts once its clients saw
// their last message, and counting after raced with that (CI saw a sum
// one EVENT short).
func (p *sizePeer) Send(f *codec.Frame, droppable bool) bool {
	n := uint64(f.Len())
	p.bytes.Add(n)
	ok := p.fakePeer.Send(f, droppable)
	if !ok {
		p.bytes.Add(-n)
	}
	return ok
}

// joinSized is joinClient with a sizePeer.
func joinSized(t *testing.T, r *Realm, id uint64, ser codec.Serializer) (*client, *sizePeer) {
	t.Helper()
	p := &sizePeer{fakePeer: newFakePeer(ser)}
	s := &Session{ID: id, Peer: p, AuthID: "anon", AuthRole: "anonymous", Hello: nil}
	c := &client{t: t, r: r, s: s, p: p.fakePeer}
	r.Join(s)
	c.expect(codec.Welcome)
	return c, p
}

// TestTrafficAndLatency drives calls and publications through a realm and
// checks that the messages by type, the bytes and the call latency
// histogram add up to what the clients did.
func TestTrafficAndLatency(t *testing.T) {
	const calls, pubs = 7, 5
	r := newRealm(t, "traffic")
	callee, p1 := joinSized(t, r, 1, codec.JSON)
	caller, p2 := joinSized(t, r, 2, codec.MsgPack)
	sub1, p3 := joinSized(t, r, 3, codec.CBOR)
	sub2, p4 := joinSized(t, r, 4, codec.JSON)
	var inBytes, outBytes uint64
	send := func(c *client, m codec.Message) {
		t.Helper()
		if m.PayloadSer == 0 {
			m.PayloadSer = c.p.ser
		}
		b, err := codec.Append(c.p.ser, nil, &m)
		if err != nil {
			t.Fatal(err)
		}
		inBytes += uint64(len(b))
		c.send(m)
	}
	send(callee, codec.Message{Type: codec.Register, Request: callee.nextReq(), URI: "com.traffic.proc"})
	callee.expect(codec.Registered)
	for _, c := range []*client{sub1, sub2} {
		send(c, codec.Message{Type: codec.Subscribe, Request: c.nextReq(), URI: "com.traffic.topic"})
		c.expect(codec.Subscribed)
	}
	for range calls {
		req := caller.nextReq()
		send(caller, codec.Message{Type: codec.Call, Request: req, URI: "com.traffic.proc"})
		inv := callee.expect(codec.Invocation)
		send(callee, codec.Message{Type: codec.Yield, Request: inv.Request})
		if res := caller.expect(codec.Result); res.Request != req {
			t.Fatalf("RESULT for %d, want %d", res.Request, req)
		}
	}
	for range pubs {
		send(caller, codec.Message{Type: codec.Publish, Request: caller.nextReq(), URI: "com.traffic.topic"})
		sub1.expect(codec.Event)
		sub2.expect(codec.Event)
	}
	for _, p := range []*sizePeer{p1, p2, p3, p4} {
		outBytes += p.bytes.Load()
	}

	tr, lat := waitTraffic(t, r, func(tr Traffic, lat Latency) bool {
		return tr.Sent[codec.Event] == 2*pubs && tr.Received[codec.Publish] == pubs
	})
	for _, w := range []struct {
		name      string
		got, want uint64
	}{
		{"received CALL", tr.Received[codec.Call], calls},
		{"received YIELD", tr.Received[codec.Yield], calls},
		{"received REGISTER", tr.Received[codec.Register], 1},
		{"received SUBSCRIBE", tr.Received[codec.Subscribe], 2},
		{"sent WELCOME", tr.Sent[codec.Welcome], 4},
		{"sent INVOCATION", tr.Sent[codec.Invocation], calls},
		{"sent RESULT", tr.Sent[codec.Result], calls},
		{"sent EVENT", tr.Sent[codec.Event], 2 * pubs},
		{"sent ERROR", tr.Sent[codec.Error], 0},
		{"bytes received", tr.BytesReceived, inBytes},
		{"bytes sent", tr.BytesSent, outBytes},
		{"latency count", lat.Count(), calls},
	} {
		if w.got != w.want {
			t.Errorf("%s = %d, want %d", w.name, w.got, w.want)
		}
	}
	if lat.Sum <= 0 || lat.Sum > time.Duration(calls)*waitFor {
		t.Errorf("latency sum %v for %d calls", lat.Sum, calls)
	}
}

func TestLatencyBuckets(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{0, 0}, {1, 0}, {LatencyBound(0), 0}, {LatencyBound(0) + 1, 1}, {LatencyBound(1), 1},
		{LatencyBound(5), 5}, {LatencyBound(5) + 1, 6}, {time.Hour, LatencyBuckets - 1},
	} {
		var l latency
		l.observe(int64(tc.d))
		for i := range l.counts {
			if n, want := l.counts[i], tc.want == i; (n == 1) != want {
				t.Errorf("observe(%v): bucket %d has %d", tc.d, i, n)
			}
		}
	}
}

// TestSessionGetQueueInfo reads the wampd extension of wamp.session.get
// for an in-process session: its queued bytes and dropped events.
func TestSessionGetQueueInfo(t *testing.T) {
	r := newRealm(t, "queues")
	got := make(chan *codec.Message, 16)
	l, err := r.JoinLocal(LocalOptions{ID: 42, AuthID: "console", OnMessage: func(m *codec.Message) {
		c := *m
		c.Args = append([]byte(nil), m.Args...)
		got <- &c
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	if m := <-got; m.Type != codec.Welcome {
		t.Fatalf("got %s, want WELCOME", m.Type)
	}
	args, err := codec.AppendValue(codec.MsgPack, nil, []any{42})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Send(&codec.Message{Type: codec.Call, Request: 1, URI: "wamp.session.get", Args: args, PayloadSer: codec.MsgPack}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.Type != codec.Result {
			t.Fatalf("got %s, want RESULT", m.Type)
		}
		v, err := codec.DecodeValue(codec.MsgPack, m.Args)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := v.([]any)[0].(map[string]any)
		q, ok := d["wampd"].(map[string]any)
		if !ok {
			t.Fatalf("session details %v lack the wampd key", d)
		}
		if _, ok := q["queued_bytes"]; !ok {
			t.Errorf("wampd %v lacks queued_bytes", q)
		}
		if _, ok := q["dropped"]; !ok {
			t.Errorf("wampd %v lacks dropped", q)
		}
	case <-time.After(waitFor):
		t.Fatal("no answer to wamp.session.get")
	}
}
