package realm

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
)

// newRealmWith starts a realm with opts, stopped at the end of the test.
func newRealmWith(t *testing.T, opts Options) *Realm {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "realm1"
	}
	r := New(opts)
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// idSeq draws distinct session ids for joinAs.
var idSeq atomic.Uint64

func init() { idSeq.Store(uint64(time.Now().UnixNano()) & (1<<40 - 1)) }

// joinAs joins a session with the given identity and HELLO roles.
func joinAs(t *testing.T, r *Realm, ser codec.Serializer, authID, authRole string, hello map[string]any) *client {
	t.Helper()
	p := newFakePeer(ser)
	s := &Session{ID: idSeq.Add(1), Peer: p, AuthID: authID, AuthRole: authRole,
		AuthMethod: "anonymous", AuthProvider: "static", Hello: hello}
	c := &client{t: t, r: r, s: s, p: p}
	r.Join(s)
	c.expect(codec.Welcome)
	return c
}

// helloWith builds a HELLO dict announcing features per role.
func helloWith(roleFeatures map[string][]string) map[string]any {
	roles := map[string]any{}
	for role, fs := range roleFeatures {
		m := map[string]any{}
		for _, f := range fs {
			m[f] = true
		}
		roles[role] = map[string]any{"features": m}
	}
	return map[string]any{"roles": roles}
}

// dict encodes a dict for Message.Dict (options the client helpers cannot
// write through codec.Options, such as the black/white lists).
func (c *client) dict(v map[string]any) []byte {
	c.t.Helper()
	b, err := codec.AppendValue(c.p.ser, nil, v)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// publishDict publishes to topic with the options dict opts and args.
func (c *client) publishDict(topic string, opts map[string]any, args []any) uint64 {
	c.t.Helper()
	req := c.nextReq()
	m := codec.Message{Type: codec.Publish, Request: req, URI: topic, Dict: c.dict(opts)}
	if args != nil {
		m.Args, _ = payload(c.t, c.p.ser, args, nil)
	}
	c.send(m)
	return req
}

// call calls proc with args and kwargs and returns the RESULT or ERROR.
func (c *client) call(proc string, args []any, kwargs map[string]any) codec.Message {
	c.t.Helper()
	req := c.nextReq()
	a, k := payload(c.t, c.p.ser, args, kwargs)
	c.send(codec.Message{Type: codec.Call, Request: req, URI: proc, Args: a, Kwargs: k})
	m := c.next()
	if (m.Type != codec.Result && m.Type != codec.Error) || m.Request != req {
		c.t.Fatalf("%s: got %s %+v, want RESULT or ERROR for %d", proc, m.Type, m, req)
	}
	return m
}

// result calls proc and returns the RESULT's first argument (nil if none).
func (c *client) result(proc string, args []any, kwargs map[string]any) any {
	c.t.Helper()
	m := c.call(proc, args, kwargs)
	if m.Type != codec.Result {
		c.t.Fatalf("%s: ERROR %s %s", proc, m.URI, errorText(c.t, m))
	}
	if m.Args == nil {
		return nil
	}
	v, err := codec.DecodeValue(m.PayloadSer, m.Args)
	if err != nil {
		c.t.Fatal(err)
	}
	l := v.([]any)
	if len(l) == 0 {
		return nil
	}
	return l[0]
}

// callError calls proc and checks it fails with uri.
func (c *client) callError(proc string, args []any, kwargs map[string]any, uri codec.URI) {
	c.t.Helper()
	m := c.call(proc, args, kwargs)
	if m.Type != codec.Error || m.URI != uri {
		c.t.Fatalf("%s: got %s %s, want ERROR %s", proc, m.Type, m.URI, uri)
	}
}

// eventArgs returns the decoded Args of an EVENT.
func eventArgs(t *testing.T, m codec.Message) []any {
	t.Helper()
	if m.Args == nil {
		return nil
	}
	v, err := codec.DecodeValue(m.PayloadSer, m.Args)
	if err != nil {
		t.Fatal(err)
	}
	return v.([]any)
}

// quiet checks nothing is queued for c (a round trip proves it).
func (c *client) quiet() { c.barrier() }

// num reads a decoded number as uint64.
func num(t *testing.T, v any) uint64 {
	t.Helper()
	id, ok := asID(v)
	if !ok {
		t.Fatalf("%#v is not an id", v)
	}
	return id
}

// extOf returns the out-of-line details of a received message (zero when
// it has none).
func extOf(m codec.Message) codec.OptionsExt {
	if m.Options.Ext == nil {
		return codec.OptionsExt{}
	}
	return *m.Options.Ext
}

// The fake peer shows as a WebSocket connection to the session meta API.
func (p *fakePeer) TransportName() string { return "websocket" }
func (p *fakePeer) RemoteAddr() string    { return "127.0.0.1:40000" }
