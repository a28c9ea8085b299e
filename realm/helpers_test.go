package realm

import (
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
)

// waitFor bounds every wait of a test for a message.
const waitFor = 5 * time.Second

// fakePeer records what the realm sends: each frame's bytes are copied, so
// the frame's reference stays the realm's.
type fakePeer struct {
	ser    codec.Serializer
	refuse atomic.Bool // Send returns false for droppable frames

	mu      sync.Mutex
	frames  [][]byte
	sent    []*codec.Frame // identity of each frame sent, for encode-once checks
	notify  chan struct{}
	flushes atomic.Int64
	closed  atomic.Bool
}

func newFakePeer(ser codec.Serializer) *fakePeer {
	return &fakePeer{ser: ser, notify: make(chan struct{}, 1)}
}

func (p *fakePeer) Serializer() codec.Serializer { return p.ser }

func (p *fakePeer) Send(f *codec.Frame, droppable bool) bool {
	if droppable && p.refuse.Load() {
		return false
	}
	p.mu.Lock()
	p.frames = append(p.frames, append([]byte(nil), f.B...))
	p.sent = append(p.sent, f)
	p.mu.Unlock()
	select {
	case p.notify <- struct{}{}:
	default:
	}
	return true
}

func (p *fakePeer) Flush()         { p.flushes.Add(1) }
func (p *fakePeer) Close(_ string) { p.closed.Store(true) }

// pop returns the oldest recorded frame, or nil.
func (p *fakePeer) pop() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.frames) == 0 {
		return nil
	}
	b := p.frames[0]
	p.frames = p.frames[1:]
	return b
}

// lastFrame is the identity of the last frame sent to p.
func (p *fakePeer) lastFrame() *codec.Frame {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.sent) == 0 {
		return nil
	}
	return p.sent[len(p.sent)-1]
}

// client drives one session of a realm as a WAMP client would.
type client struct {
	t   *testing.T
	r   *Realm
	s   *Session
	p   *fakePeer
	req uint64
}

// newRealm starts a realm stopped at the end of the test.
func newRealm(t *testing.T, name string) *Realm {
	t.Helper()
	r := New(Options{Name: name})
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// joinClient joins a session with the given HELLO roles and waits for WELCOME.
func joinClient(t *testing.T, r *Realm, ser codec.Serializer, hello map[string]any) (*client, codec.Message) {
	t.Helper()
	p := newFakePeer(ser)
	s := &Session{ID: uint64(time.Now().UnixNano()) & (codec.MaxID - 1), Peer: p,
		AuthID: "anon", AuthRole: "anonymous", AuthMethod: "anonymous", AuthProvider: "static", Hello: hello}
	c := &client{t: t, r: r, s: s, p: p}
	r.Join(s)
	w := c.expect(codec.Welcome)
	return c, w
}

// send encodes m as the client would, decodes it into a pooled Inbound
// (exactly as the engine does) and posts it; it reports what Post did.
func (c *client) send(m codec.Message) (woke bool) {
	c.t.Helper()
	if m.PayloadSer == 0 {
		m.PayloadSer = c.p.ser // payloads built by payload() are in the client's serializer
	}
	b, err := codec.Append(c.p.ser, nil, &m)
	if err != nil {
		c.t.Fatalf("encode %s: %v", m.Type, err)
	}
	in := NewInbound()
	in.Buf.B = append(in.Buf.B[:0], b...)
	if err := codec.Decode(c.p.ser, in.Buf.B, &in.Msg); err != nil {
		c.t.Fatalf("decode own %s: %v", m.Type, err)
	}
	in.Sess = c.s
	return c.r.Post(in)
}

// nextReq returns a fresh request id.
func (c *client) nextReq() uint64 { c.req++; return c.req }

// next waits for the next message the realm sent to this client.
func (c *client) next() codec.Message {
	c.t.Helper()
	deadline := time.After(waitFor)
	for {
		if b := c.p.pop(); b != nil {
			var m codec.Message
			if err := codec.Decode(c.p.ser, b, &m); err != nil {
				c.t.Fatalf("decode %q: %v", b, err)
			}
			return m
		}
		select {
		case <-c.p.notify:
		case <-deadline:
			c.t.Fatalf("no message within %v", waitFor)
		}
	}
}

// expect waits for the next message and checks its type.
func (c *client) expect(typ codec.Type) codec.Message {
	c.t.Helper()
	m := c.next()
	if m.Type != typ {
		c.t.Fatalf("got %s %+v, want %s", m.Type, m, typ)
	}
	return m
}

// expectError waits for an ERROR of reqType for req with uri.
func (c *client) expectError(reqType codec.Type, req uint64, uri codec.URI) codec.Message {
	c.t.Helper()
	m := c.expect(codec.Error)
	if m.ReqType != reqType || m.Request != req || m.URI != uri {
		c.t.Fatalf("got ERROR %s %d %s, want %s %d %s", m.ReqType, m.Request, m.URI, reqType, req, uri)
	}
	return m
}

// barrier proves nothing else is queued for the client: everything the
// realm handled before this round trip has already arrived, so the next
// message must be the barrier's own reply.
func (c *client) barrier() {
	c.t.Helper()
	req := c.nextReq()
	c.send(codec.Message{Type: codec.Unsubscribe, Request: req, ID: 1})
	c.expectError(codec.Unsubscribe, req, codec.ErrNoSuchSubscription)
}

func (c *client) subscribe(topic string, match codec.Match) uint64 {
	c.t.Helper()
	req := c.nextReq()
	m := codec.Message{Type: codec.Subscribe, Request: req, URI: topic}
	if match != codec.MatchExact {
		m.Options.Has, m.Options.Match = codec.HasMatch, match
	}
	c.send(m)
	got := c.expect(codec.Subscribed)
	if got.Request != req || got.ID == 0 {
		c.t.Fatalf("SUBSCRIBED %+v for request %d", got, req)
	}
	return got.ID
}

func (c *client) register(proc string, match codec.Match, invoke codec.Invoke) uint64 {
	c.t.Helper()
	req := c.nextReq()
	m := codec.Message{Type: codec.Register, Request: req, URI: proc}
	if match != codec.MatchExact {
		m.Options.Has, m.Options.Match = codec.HasMatch, match
	}
	if invoke != codec.InvokeSingle {
		m.Options.Has |= codec.HasInvoke
		m.Options.Invoke = invoke
	}
	c.send(m)
	got := c.expect(codec.Registered)
	if got.Request != req || got.ID == 0 {
		c.t.Fatalf("REGISTERED %+v for request %d", got, req)
	}
	return got.ID
}

// payload encodes args and kwargs in ser (nil stays absent).
func payload(t *testing.T, ser codec.Serializer, args []any, kwargs map[string]any) (a, k []byte) {
	t.Helper()
	var err error
	if args != nil {
		if a, err = codec.AppendValue(ser, nil, args); err != nil {
			t.Fatalf("encode args: %v", err)
		}
	}
	if kwargs != nil {
		if k, err = codec.AppendValue(ser, nil, kwargs); err != nil {
			t.Fatalf("encode kwargs: %v", err)
		}
	}
	return a, k
}

// checkPayload compares a received message's Args/Kwargs with the values.
func checkPayload(t *testing.T, m codec.Message, args []any, kwargs map[string]any) {
	t.Helper()
	if args != nil {
		got, err := codec.DecodeValue(m.PayloadSer, m.Args)
		if err != nil {
			t.Fatalf("decode args %q: %v", m.Args, err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(args)) {
			t.Errorf("args = %#v, want %#v", got, args)
		}
	} else if len(m.Args) != 0 && m.Kwargs == nil {
		t.Errorf("unexpected args %q", m.Args)
	}
	if kwargs != nil {
		got, err := codec.DecodeValue(m.PayloadSer, m.Kwargs)
		if err != nil {
			t.Fatalf("decode kwargs %q: %v", m.Kwargs, err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(kwargs)) {
			t.Errorf("kwargs = %#v, want %#v", got, kwargs)
		}
	}
}

// errorText returns the first Arg of a router ERROR (its human message).
func errorText(t *testing.T, m codec.Message) string {
	t.Helper()
	v, err := codec.DecodeValue(m.PayloadSer, m.Args)
	if err != nil {
		t.Fatalf("decode error args %q: %v", m.Args, err)
	}
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		t.Fatalf("error args = %#v, want [message]", v)
	}
	s, _ := l[0].(string)
	return s
}

// normalize maps numbers to float64 so values decoded by any serializer
// compare equal to the test's literals.
func normalize(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalize(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	}
	return v
}

var serializers = []codec.Serializer{codec.JSON, codec.MsgPack, codec.CBOR}
