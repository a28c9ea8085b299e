package realm

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
)

// fakeLink is a Cluster that records what the actor hands it and answers
// a Register at once with the id the realm proposed.
type fakeLink struct {
	r  *Realm
	mu sync.Mutex
	// log is one line per call: "joined ID", "interest on TOPIC", ...
	log   []string
	pubs  []ClusterPublication
	wakes chan struct{}
}

func (f *fakeLink) add(s string) {
	f.mu.Lock()
	f.log = append(f.log, s)
	f.mu.Unlock()
	select {
	case f.wakes <- struct{}{}:
	default:
	}
}

func (f *fakeLink) Joined(s *Session) { f.add("joined") }
func (f *fakeLink) Left(id uint64, quiet bool) {
	f.add("left" + map[bool]string{true: " quiet", false: ""}[quiet])
}
func (f *fakeLink) Subscribed(session uint64, topic string, match codec.Match, on bool) {
	f.add("subscribed " + topic + map[bool]string{true: " on", false: " off"}[on])
}
func (f *fakeLink) Interest(topic string, match codec.Match, on bool) {
	f.add("interest " + topic + map[bool]string{true: " on", false: " off"}[on])
}
func (f *fakeLink) Publish(p *ClusterPublication) {
	c := *p
	c.Raw = append([]byte(nil), p.Raw...)
	f.mu.Lock()
	f.pubs = append(f.pubs, c)
	f.mu.Unlock()
	f.add("publish " + p.Topic)
}
func (f *fakeLink) Register(req *ClusterRegister) {
	f.add("register " + req.URI)
	f.r.RemoteRegistered(&ClusterRegistered{Session: req.Session, Request: req.Request, URI: req.URI,
		Match: req.Match, ID: req.ID})
}
func (f *fakeLink) Unregister(uri string, match codec.Match, session uint64) {
	f.add("unregister " + uri)
}
func (f *fakeLink) Testament(session uint64, ser codec.Serializer, raw []byte) { f.add("testament") }
func (f *fakeLink) Lookup(session uint64, procedure string) {
	f.add("lookup " + procedure)
	f.r.RemoteLookedUp(session)
}

// has waits until the log has line.
func (f *fakeLink) has(t *testing.T, line string) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		f.mu.Lock()
		for _, l := range f.log {
			if l == line {
				f.mu.Unlock()
				return
			}
		}
		f.mu.Unlock()
		select {
		case <-f.wakes:
		case <-deadline:
			t.Fatalf("the link never got %q; it got %q", line, f.log)
		}
	}
}

// remotePeer is a shadow's peer: what the realm sends it and what it
// forwards.
type remotePeer struct {
	*fakePeer
	mu       sync.Mutex
	forwards [][]byte
}

// SendQuiet records a kill_all's GOODBYE as a forward marked "quiet ".
func (p *remotePeer) SendQuiet(f *codec.Frame) {
	p.mu.Lock()
	p.forwards = append(p.forwards, append([]byte("quiet "), f.B...))
	p.mu.Unlock()
}

func (p *remotePeer) Forward(from uint64, ser codec.Serializer, raw []byte, _ bool) {
	p.mu.Lock()
	p.forwards = append(p.forwards, append([]byte(nil), raw...))
	p.mu.Unlock()
	select {
	case p.fakePeer.notify <- struct{}{}:
	default:
	}
}

// waitForward waits until the shadow's node was sent a message, failing
// with why after waitFor.
func (p *remotePeer) waitForward(t *testing.T, why string) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		p.mu.Lock()
		n := len(p.forwards)
		p.mu.Unlock()
		if n > 0 {
			return
		}
		select {
		case <-p.notify:
		case <-deadline:
			t.Fatal(why)
		}
	}
}

func newClusterRealm(t *testing.T) (*Realm, *fakeLink) {
	t.Helper()
	r := New(Options{Name: "realm1"})
	f := &fakeLink{r: r, wakes: make(chan struct{}, 1)}
	r.SetCluster(f)
	r.Start()
	t.Cleanup(r.Stop)
	return r, f
}

// shadow joins a session of another node with callee features.
func shadow(r *Realm, id uint64) *remotePeer {
	p := &remotePeer{fakePeer: newFakePeer(codec.JSON)}
	r.RemoteJoin(&Session{ID: id, Peer: p, AuthID: "remote", AuthRole: "anonymous",
		Hello: map[string]any{"roles": map[string]any{"callee": map[string]any{
			"features": map[string]any{"call_canceling": true}}}}})
	return p
}

// remoteCallee starts a clustered realm with a local caller and a shadow
// id that the cluster's table makes the callee of proc (registration reg).
func remoteCallee(t *testing.T, id uint64, proc string, reg uint64) (*Realm, *fakeLink, *client, *remotePeer) {
	t.Helper()
	r, f := newClusterRealm(t)
	caller, _ := joinClient(t, r, codec.JSON, nil)
	f.has(t, "joined")
	p := shadow(r, id)
	r.RemoteRegistration(&ClusterRegistration{URI: proc, ID: reg, Callees: []uint64{id}})
	caller.barrier()
	return r, f, caller, p
}

// remoteMessage posts m, encoded in JSON, as another node's message.
func remoteMessage(t *testing.T, r *Realm, m codec.Message, info RemoteInfo) {
	t.Helper()
	b, err := codec.Append(codec.JSON, nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	in := NewInbound()
	in.Buf.B = append(in.Buf.B[:0], b...)
	if err := codec.Decode(codec.JSON, in.Buf.B, &in.Msg); err != nil {
		t.Fatal(err)
	}
	in.Remote = info
	r.PostRemote(in)
}

// TestClusterRemoteCallee: a registration the cluster's table gives a
// shadow as callee routes a local CALL to it as the CALL's own bytes; the
// answer the callee's node sends back reaches the caller and ends the
// call; and when the shadow's node is lost, a pending call fails with
// wamp.error.canceled naming the node.
func TestClusterRemoteCallee(t *testing.T) {
	r, f, caller, p := remoteCallee(t, 77, "com.remote", 5)

	req := caller.nextReq()
	caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.remote"})
	p.waitForward(t, "the CALL never reached the shadow's node")
	if fw := string(p.forwards[0]); !strings.Contains(fw, `"com.remote"`) || !strings.HasPrefix(fw, "[48,") {
		t.Fatalf("forwarded %s, want the caller's CALL", fw)
	}
	remoteMessage(t, r, codec.Message{Type: codec.Result, Request: req},
		RemoteInfo{Kind: RemoteDeliver, Session: caller.s.ID})
	if m := caller.expect(codec.Result); m.Request != req {
		t.Fatalf("RESULT for %d, want %d", m.Request, req)
	}
	// The call is over: a second RESULT for it is not passed on.
	remoteMessage(t, r, codec.Message{Type: codec.Result, Request: req},
		RemoteInfo{Kind: RemoteDeliver, Session: caller.s.ID})
	caller.barrier()

	req = caller.nextReq()
	caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.remote"})
	caller.barrier() // the call is pending on the shadow
	r.RemoteLeave(77, true, false)
	e := caller.expectError(codec.Call, req, codec.ErrCanceled)
	if got := errorText(t, e); !strings.Contains(got, "node") {
		t.Fatalf("error text %q does not say the node left", got)
	}
	// Its registration went with it; the miss reads the table first.
	req = caller.nextReq()
	caller.send(codec.Message{Type: codec.Call, Request: req, URI: "com.remote"})
	caller.expectError(codec.Call, req, codec.ErrNoSuchProcedure)
	f.has(t, "lookup com.remote")
}

// TestClusterRemoteCaller: a CALL another node routed to a local callee
// (from the caller's shadow, aimed at that callee) is invoked here with
// the caller's id disclosed, and its RESULT goes to the shadow's peer,
// encoded for the caller.
func TestClusterRemoteCaller(t *testing.T) {
	r, _ := newClusterRealm(t)
	callee, _ := joinClient(t, r, codec.MsgPack, nil)
	callee.register("com.local", codec.MatchExact, codec.InvokeSingle)
	p := shadow(r, 88)
	callee.barrier()

	call := codec.Message{Type: codec.Call, Request: 3, URI: "com.local"}
	call.Options.Has, call.Options.DiscloseMe = codec.HasDiscloseMe, true
	remoteMessage(t, r, call, RemoteInfo{Kind: RemoteCall, Session: 88, Target: callee.s.ID})
	inv := callee.expect(codec.Invocation)
	if inv.Options.Caller != 88 {
		t.Fatalf("INVOCATION caller %d, want the remote caller 88", inv.Options.Caller)
	}
	callee.send(codec.Message{Type: codec.Yield, Request: inv.Request})
	deadline := time.After(waitFor)
	for {
		if b := p.pop(); b != nil {
			if s := string(b); !strings.HasPrefix(s, "[50,3,") {
				t.Fatalf("the shadow got %s, want RESULT for its request 3 in JSON", s)
			}
			return
		}
		select {
		case <-p.notify:
		case <-deadline:
			t.Fatal("no RESULT for the remote caller")
		}
	}
}

// TestClusterPubSub: the first and last local subscriber of a topic tell
// the link of the interest; a publication goes to the link only when a
// shadow subscribes too; another node's publication reaches the local
// subscribers with its own id.
func TestClusterPubSub(t *testing.T) {
	r, f := newClusterRealm(t)
	sub, _ := joinClient(t, r, codec.JSON, nil)
	pub, _ := joinClient(t, r, codec.JSON, nil)
	id := sub.subscribe("com.t", codec.MatchExact)
	f.has(t, "interest com.t on")
	f.has(t, "subscribed com.t on")

	pub.send(codec.Message{Type: codec.Publish, Request: pub.nextReq(), URI: "com.t"})
	sub.expect(codec.Event)
	pub.barrier()
	f.mu.Lock()
	n := len(f.pubs)
	f.mu.Unlock()
	if n != 0 {
		t.Fatal("a publication nobody elsewhere subscribes to went to the link")
	}

	shadow(r, 99)
	r.RemoteSubscribed(99, "com.t", codec.MatchExact, true)
	pub.barrier()
	pub.send(codec.Message{Type: codec.Publish, Request: pub.nextReq(), URI: "com.t"})
	sub.expect(codec.Event)
	f.has(t, "publish com.t")

	remoteMessage(t, r, codec.Message{Type: codec.Publish, Request: 1, URI: "com.t"},
		RemoteInfo{Kind: RemotePublish, PubID: 12345})
	if ev := sub.expect(codec.Event); ev.ID != id || ev.ID2 != 12345 {
		t.Fatalf("remote EVENT sub %d pub %d, want %d 12345", ev.ID, ev.ID2, id)
	}
	sub.send(codec.Message{Type: codec.Unsubscribe, Request: sub.nextReq(), ID: id})
	sub.expect(codec.Unsubscribed)
	f.has(t, "interest com.t off")
}

// nopLink is a Cluster that takes everything and keeps nothing, and a
// RemotePeer that does the same: what the realm's cluster paths cost.
type nopLink struct{ pubs, forwards int }

func (*nopLink) Joined(*Session)                                  {}
func (*nopLink) Left(uint64, bool)                                {}
func (*nopLink) Subscribed(uint64, string, codec.Match, bool)     {}
func (*nopLink) Interest(string, codec.Match, bool)               {}
func (l *nopLink) Publish(*ClusterPublication)                    { l.pubs++ }
func (*nopLink) Register(*ClusterRegister)                        {}
func (*nopLink) Unregister(string, codec.Match, uint64)           {}
func (*nopLink) Testament(uint64, codec.Serializer, []byte)       {}
func (*nopLink) Lookup(uint64, string)                            {}
func (l *nopLink) Forward(uint64, codec.Serializer, []byte, bool) { l.forwards++ }
func (*nopLink) SendQuiet(*codec.Frame)                           {}
func (*nopLink) Serializer() codec.Serializer                     { return codec.MsgPack }
func (*nopLink) Send(*codec.Frame, bool) bool                     { return true }
func (*nopLink) Flush()                                           {}
func (*nopLink) Close(string)                                     {}

// setupClusterPublish: a PUBLISH with one local subscriber and one on
// another node (a shadow's subscription), which goes to the link once.
func setupClusterPublish(tb testing.TB, ser codec.Serializer) func() {
	r, pub, raw := publishSetup(tb, ser, 1)
	l := &nopLink{}
	r.SetCluster(l)
	r.remoteJoin(&Session{ID: 999, Peer: l})
	r.broker.remoteSubscribed(r, &remoteSub{999, "com.bench.topic", codec.MatchExact, true})
	return func() {
		before := l.pubs
		deliver(tb, r, pub, ser, raw)
		if l.pubs != before+1 {
			tb.Fatal("the publication did not go to the link")
		}
	}
}

// setupClusterCall: a CALL routed to a callee of another node (forwarded
// as its bytes), then its RESULT coming back for the caller.
func setupClusterCall(tb testing.TB, ser codec.Serializer) func() {
	r := benchRealm()
	l := &nopLink{}
	r.SetCluster(l)
	caller := benchJoin(r, 1, ser, nil)
	r.remoteJoin(&Session{ID: 999, Peer: l})
	r.dealer.reconcile(r, &ClusterRegistration{URI: "com.bench.proc", ID: 5, Callees: []uint64{999}})
	call := encodeMsg(tb, ser, codec.Message{Type: codec.Call, Request: 7, URI: "com.bench.proc", Args: payload64(tb, ser)})
	result := encodeMsg(tb, ser, codec.Message{Type: codec.Result, Request: 7, Args: payload64(tb, ser)})
	return func() {
		deliver(tb, r, caller, ser, call)
		if caller.calls[7] == nil {
			tb.Fatal("call not pending after CALL")
		}
		in := NewInbound()
		in.Buf.B = append(in.Buf.B[:0], result...)
		if err := codec.Decode(ser, in.Buf.B, &in.Msg); err != nil {
			tb.Fatal(err)
		}
		in.Remote = RemoteInfo{Kind: RemoteDeliver, Session: caller.ID}
		r.current = in
		r.handleRemote(in)
		r.current = nil
		in.Release()
		r.flush()
		if caller.calls[7] != nil {
			tb.Fatal("call still pending after its RESULT")
		}
	}
}

func BenchmarkClusterPublish_64B(b *testing.B) { benchSetup(b, setupClusterPublish) }
func BenchmarkClusterCall_64B(b *testing.B)    { benchSetup(b, setupClusterCall) }

func benchSetup(b *testing.B, setup func(testing.TB, codec.Serializer) func()) {
	for _, ser := range serializers {
		b.Run(ser.String(), func(b *testing.B) {
			run := setup(b, ser)
			b.ReportAllocs()
			for b.Loop() {
				run()
			}
		})
	}
}

// TestClusterRegistrationBeforeShadow: the table's entry can name a
// callee whose announcement comes later; the callee joins its
// registration when its shadow does.
func TestClusterRegistrationBeforeShadow(t *testing.T) {
	r, _ := newClusterRealm(t)
	caller, _ := joinClient(t, r, codec.JSON, nil)
	r.RemoteRegistration(&ClusterRegistration{URI: "com.later", ID: 6, Callees: []uint64{55}})
	p := shadow(r, 55)
	caller.barrier()
	caller.send(codec.Message{Type: codec.Call, Request: caller.nextReq(), URI: "com.later"})
	p.waitForward(t, "the CALL never reached the callee that joined after its registration")
}

// TestClusterDynamicAuthorizer: a role decided by a dynamic authorizer in
// a clustered realm. A CALL another node authorized is not asked again
// here (it was always denied: a forwarded message cannot wait for an
// authorizer), and the disclosure that node's authorizer decided holds; a
// CALL that waits for both the authorizer and a read of the cluster's
// table ends (it was asked and looked up in turn forever); and the router
// never sends its own INVOCATION to an authorizer on another node (whose
// node drops it).
func TestClusterDynamicAuthorizer(t *testing.T) {
	r := New(Options{Name: "realm1", Roles: []Role{
		{Name: "trusted", Permissions: []Permission{allowAll("", codec.MatchPrefix)}},
		{Name: "dyn", Authorizer: "com.authz"},
	}})
	f := &fakeLink{r: r, wakes: make(chan struct{}, 1)}
	r.SetCluster(f)
	r.Start()
	t.Cleanup(r.Stop)
	authz := &authorizerCallee{c: joinAs(t, r, codec.JSON, "authz", "trusted", nil)}
	authz.c.register("com.authz", codec.MatchExact, codec.InvokeSingle)
	callee := joinAs(t, r, codec.JSON, "o", "trusted", nil)
	reg := callee.register("com.p", codec.MatchExact, codec.InvokeSingle)

	// A CALL of a shadow of role dyn, authorized by its own node.
	p := &remotePeer{fakePeer: newFakePeer(codec.JSON)}
	r.RemoteJoin(&Session{ID: 78, Peer: p, AuthID: "remote", AuthRole: "dyn"})
	r.RemoteRegistration(&ClusterRegistration{URI: "com.p", ID: reg, Callees: []uint64{callee.s.ID}})
	remoteMessage(t, r, codec.Message{Type: codec.Call, Request: 5, URI: "com.p"},
		RemoteInfo{Kind: RemoteCall, Session: 78, Target: callee.s.ID, Disclose: true})
	inv := callee.expect(codec.Invocation)
	if inv.Options.Caller != 78 {
		t.Fatalf("INVOCATION of the other node's CALL: caller %d, want 78 (its authorizer disclosed it)", inv.Options.Caller)
	}
	authz.c.quiet() // not asked

	// A local CALL of a procedure registered nowhere: asked, looked up,
	// asked again (nothing is cached), then no_such_procedure.
	d := joinAs(t, r, codec.JSON, "d", "dyn", nil)
	req := d.nextReq()
	d.send(codec.Message{Type: codec.Call, Request: req, URI: "com.nowhere"})
	allow := func(uri, action string) any { return true }
	authz.serve(t, allow)
	authz.serve(t, allow)
	d.expectError(codec.Call, req, codec.ErrNoSuchProcedure)
	f.has(t, "lookup com.nowhere")
	authz.c.quiet()

	// The authorizer's only callee on another node: denied at once.
	r.Leave(authz.c.s)
	sp := shadow(r, 79)
	r.RemoteRegistration(&ClusterRegistration{URI: "com.authz", ID: 9, Callees: []uint64{79}})
	d.barrier()
	req = d.nextReq()
	d.send(codec.Message{Type: codec.Call, Request: req, URI: "com.p"})
	d.expectError(codec.Call, req, codec.ErrNotAuthorized)
	if b := sp.pop(); b != nil {
		t.Fatalf("the authorizer's shadow was sent %s", b)
	}
}

// TestClusterKillAllQuiet: kill_all ends the shadows too, and their nodes
// close them as quietly as kill_all does here (their testaments fired,
// and their leaves were announced as ordinary ones, on every node).
func TestClusterKillAllQuiet(t *testing.T) {
	r, f := newClusterRealm(t)
	admin, _ := joinClient(t, r, codec.JSON, nil)
	p := shadow(r, 80)
	admin.barrier()
	admin.result("wamp.session.kill_all", nil, nil)
	p.mu.Lock()
	fw := p.forwards
	p.mu.Unlock()
	if len(fw) != 1 || !strings.HasPrefix(string(fw[0]), "quiet [6,") {
		t.Fatalf("the shadow was sent %q, want one quiet GOODBYE", fw)
	}

	// The other side: a kill_all's GOODBYE for a session of this node.
	watcher, _ := joinClient(t, r, codec.JSON, nil)
	watcher.subscribe("com.will", codec.MatchExact)
	victim, _ := joinClient(t, r, codec.JSON, nil)
	victim.result("wamp.session.add_testament", []any{"com.will", []any{"bye"}, map[string]any{}}, nil)
	remoteMessage(t, r, codec.Message{Type: codec.Goodbye, URI: "wamp.close.killed"},
		RemoteInfo{Kind: RemoteDeliver, Session: victim.s.ID, Quiet: true})
	if m := victim.expect(codec.Goodbye); m.URI != "wamp.close.killed" {
		t.Fatalf("GOODBYE %s", m.URI)
	}
	f.has(t, "left quiet")
	watcher.quiet() // no testament EVENT
}

// TestClusterRemoteTimeout: a call with a timeout forwarded to a node that
// never answers (it lost the CALL, or is cut off) times out on the
// caller's node too, a moment after the callee's node would have, and is
// canceled there.
func TestClusterRemoteTimeout(t *testing.T) {
	r, _, caller, p := remoteCallee(t, 81, "com.slow", 6)
	req := caller.nextReq()
	m := codec.Message{Type: codec.Call, Request: req, URI: "com.slow"}
	m.Options.Has, m.Options.Timeout = codec.HasTimeout, 20
	start := time.Now()
	caller.send(m)
	caller.expectError(codec.Call, req, codec.ErrTimeout)
	if d := time.Since(start); d < 20*time.Millisecond+remoteTimeoutGrace {
		t.Fatalf("timed out after %v, before the callee's node would have", d)
	}
	p.mu.Lock()
	fw := p.forwards
	p.mu.Unlock()
	if len(fw) != 2 || !strings.HasPrefix(string(fw[1]), "[49,") || !strings.Contains(string(fw[1]), `"killnowait"`) {
		t.Fatalf("the callee's node was sent %q, want the CALL then a CANCEL killnowait", fw)
	}
	// The callee's node's own answer, late, is not passed on.
	remoteMessage(t, r, codec.Message{Type: codec.Error, ReqType: codec.Call, Request: req, URI: codec.ErrTimeout},
		RemoteInfo{Kind: RemoteDeliver, Session: caller.s.ID})
	caller.barrier()
}
