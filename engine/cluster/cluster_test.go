package cluster_test

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/engine/enginetest"
	"github.com/wampd/wampd/realm"
)

// The in-process cluster: three routers in this test process, each with
// its embedded NATS server, joined by routes on loopback ports. Clients
// are in-process sessions (Router.JoinLocal): the point here is the
// cluster's own code under the race detector; real clients over real
// sockets are cmd/wampd's TestClusterInterop.

// wait bounds every wait of these tests; the registration table needs a
// JetStream quorum first (seconds), which formCluster waits for.
const wait = 10 * time.Second

// freePorts returns n loopback ports nobody listens on now.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func nodeConfig(t *testing.T, i int, client, route []int) config.Config {
	c := config.Default()
	c.Listeners = []config.Listener{{Listen: "127.0.0.1:0", Transports: []string{config.TransportRawSocket}}}
	c.Realms = []config.Realm{{Name: "realm1", Anonymous: true}, {Name: "realm2", Anonymous: true}}
	var routes []string
	for j, p := range route {
		if j != i {
			routes = append(routes, "nats-route://127.0.0.1:"+strconv.Itoa(p))
		}
	}
	c.Cluster = &config.Cluster{Name: "test", Node: "n" + strconv.Itoa(i+1), NATS: config.ClusterNATS{
		Embedded: &config.EmbeddedNATS{
			Listen:        "127.0.0.1:" + strconv.Itoa(client[i]),
			ClusterListen: "127.0.0.1:" + strconv.Itoa(route[i]),
			Routes:        routes,
			StoreDir:      t.TempDir(),
		},
	}}
	return c
}

func startNode(t *testing.T, c config.Config) *engine.Router {
	t.Helper()
	return enginetest.Start(t, c)
}

func stopNode(rt *engine.Router) { enginetest.Stop(rt) }

// client is an in-process session with its messages in a channel.
type client struct {
	t    *testing.T
	l    *realm.Local
	msgs chan codec.Message
	req  uint64
}

// clone keeps a message past OnMessage (it aliases the frame).
func clone(m *codec.Message) codec.Message {
	c := *m
	c.URI = string(append([]byte(nil), m.URI...))
	c.Args = append([]byte(nil), m.Args...)
	c.Kwargs = append([]byte(nil), m.Kwargs...)
	c.Options.Ext = nil
	return c
}

func join(t *testing.T, rt *engine.Router, realmName string, id uint64) *client {
	t.Helper()
	c := &client{t: t, msgs: make(chan codec.Message, 256)}
	roles := map[string]any{"caller": map[string]any{}, "publisher": map[string]any{},
		"subscriber": map[string]any{"features": map[string]any{"subscription_revocation": true}},
		"callee": map[string]any{"features": map[string]any{"call_canceling": true,
			"registration_revocation": true}}}
	l, err := rt.JoinLocal(realmName, realm.LocalOptions{ID: id, AuthRole: "test", Roles: roles,
		OnMessage: func(m *codec.Message) { c.msgs <- clone(m) }})
	if err != nil {
		t.Fatal(err)
	}
	c.l = l
	t.Cleanup(l.Close)
	if m := c.next(); m.Type != codec.Welcome {
		t.Fatalf("first message %s", m.Type)
	}
	return c
}

func (c *client) next() codec.Message {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case <-time.After(wait):
		c.t.Fatal("no message in time")
	}
	return codec.Message{}
}

// expect returns the next message of type typ, skipping others.
func (c *client) expect(typ codec.Type) codec.Message {
	c.t.Helper()
	for {
		if m := c.next(); m.Type == typ || m.Type == codec.Error && typ != codec.Event {
			return m
		}
	}
}

func (c *client) send(m codec.Message) uint64 {
	c.t.Helper()
	c.req++
	m.Request = c.req
	if err := c.l.Send(&m); err != nil {
		c.t.Fatal(err)
	}
	return m.Request
}

func args(t *testing.T, v ...any) []byte {
	b, err := codec.AppendValue(codec.MsgPack, nil, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func value(t *testing.T, b []byte) []any {
	v, err := codec.DecodeValue(codec.MsgPack, b)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := v.([]any)
	return l
}

// register registers proc and returns the REGISTERED or ERROR.
func (c *client) register(proc string, invoke codec.Invoke) codec.Message {
	c.t.Helper()
	m := codec.Message{Type: codec.Register, URI: proc}
	m.Options.Invoke = invoke
	m.Options.Has |= codec.HasInvoke
	c.send(m)
	return c.expect(codec.Registered)
}

// serve answers every INVOCATION with [name] until the client ends.
func (c *client) serve(name string, wg *sync.WaitGroup) {
	wg.Go(func() {
		for {
			select {
			case m := <-c.msgs:
				if m.Type != codec.Invocation {
					continue
				}
				y := codec.Message{Type: codec.Yield, Request: m.Request, Args: args(c.t, name), PayloadSer: codec.MsgPack}
				if err := c.l.Send(&y); err != nil {
					return
				}
			case <-c.l.Done():
				return
			}
		}
	})
}

func (c *client) call(proc string, a ...any) codec.Message {
	c.t.Helper()
	c.send(codec.Message{Type: codec.Call, URI: proc, Args: args(c.t, a...), PayloadSer: codec.MsgPack})
	return c.expect(codec.Result)
}

// countSubscribers polls wamp.subscription.count_subscribers(sub) until it
// answers want, bounded: another node's change crosses NATS.
func (c *client) countSubscribers(sub uint64, want int) {
	c.t.Helper()
	for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
		m := c.call("wamp.subscription.count_subscribers", sub)
		if m.Type == codec.Result && fmt.Sprint(value(c.t, m.Args)[0]) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("count_subscribers(%d): %s %v, want %d", sub, m.Type, value(c.t, m.Args), want)
		}
	}
}

// callable registers proc for a callee on node from (answering "served")
// and calls it from a session of node to until it answers, bounded.
func callable(t *testing.T, wg *sync.WaitGroup, from, to *engine.Router, proc string) (callee, caller *client) {
	t.Helper()
	callee = join(t, from, "realm1", 1)
	if m := callee.register(proc, codec.InvokeSingle); m.Type != codec.Registered {
		t.Fatalf("REGISTER %s: %s %s", proc, m.Type, m.URI)
	}
	callee.serve("served", wg)
	caller = join(t, to, "realm1", 2)
	deadline := time.Now().Add(2 * wait)
	for m := caller.call(proc); m.Type != codec.Result; m = caller.call(proc) {
		if time.Now().After(deadline) {
			t.Fatalf("call of %s from the other node: %s %s", proc, m.Type, m.URI)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return callee, caller
}

// formCluster starts three nodes and waits until a registration on the
// first is callable from the others.
func formCluster(t *testing.T) []*engine.Router {
	ports := freePorts(t, 6)
	client, route := ports[:3], ports[3:]
	var nodes []*engine.Router
	for i := range 3 {
		rt := startNode(t, nodeConfig(t, i, client, route))
		nodes = append(nodes, rt)
	}
	t.Cleanup(func() {
		for _, rt := range nodes {
			stopNode(rt)
		}
	})
	probe := join(t, nodes[0], "realm1", 1)
	if m := probe.register("com.probe", codec.InvokeSingle); m.Type != codec.Registered {
		t.Fatalf("probe REGISTER: %s %s", m.Type, m.URI)
	}
	var wg sync.WaitGroup
	probe.serve("probe", &wg)
	for i, rt := range nodes[1:] {
		// A node whose registration table is not up yet answers
		// no_such_procedure: ask again, bounded.
		c := join(t, rt, "realm1", uint64(10+i))
		deadline := time.Now().Add(2 * wait)
		for m := c.call("com.probe"); m.Type != codec.Result; m = c.call("com.probe") {
			if time.Now().After(deadline) {
				t.Fatalf("probe call from node %d: %s %s", i+2, m.Type, m.URI)
			}
			time.Sleep(100 * time.Millisecond)
		}
		c.l.Close()
	}
	probe.l.Close()
	wg.Wait()
	return nodes
}

func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("forms a three-node cluster")
	}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // first registered, so it runs after the clients closed
	nodes := formCluster(t)

	// A shared registration with a callee on each node, round robin: a
	// caller on node 1 reaches all three.
	var callees []*client
	for i, rt := range nodes {
		c := join(t, rt, "realm1", uint64(100+i))
		if m := c.register("com.shared", codec.InvokeRoundRobin); m.Type != codec.Registered {
			t.Fatalf("REGISTER on node %d: %s %s", i+1, m.Type, m.URI)
		}
		callees = append(callees, c)
	}
	for i, c := range callees {
		c.serve(fmt.Sprint("n", i+1), &wg)
	}
	caller := join(t, nodes[0], "realm1", 200)
	seen := map[string]bool{}
	deadline := time.Now().Add(wait)
	for len(seen) < 3 && time.Now().Before(deadline) {
		m := caller.call("com.shared")
		if m.Type != codec.Result {
			t.Fatalf("call: %s %s", m.Type, m.URI)
		}
		seen[value(t, m.Args)[0].(string)] = true
	}
	if len(seen) != 3 {
		t.Fatalf("round robin reached %v", seen)
	}

	// A single registration taken on one node is taken on every node.
	// (The callees' own messages go to their serve loops: new sessions.)
	single := join(t, nodes[1], "realm1", 110)
	if m := single.register("com.single", codec.InvokeSingle); m.Type != codec.Registered {
		t.Fatalf("REGISTER: %s", m.Type)
	}
	rival := join(t, nodes[2], "realm1", 111)
	if m := rival.register("com.single", codec.InvokeSingle); m.Type != codec.Error || m.URI != codec.ErrProcedureAlreadyExists {
		t.Fatalf("second REGISTER on another node: %s %s", m.Type, m.URI)
	}

	// Publications reach subscribers on the other nodes, once each, and
	// never another realm's.
	sub2 := join(t, nodes[1], "realm1", 300)
	sub3 := join(t, nodes[2], "realm1", 301)
	other := join(t, nodes[1], "realm2", 302)
	var subIDs []uint64
	for _, c := range []*client{sub2, sub3, other} {
		m := codec.Message{Type: codec.Subscribe, URI: "com.tele"}
		m.Options.Match = codec.MatchPrefix
		m.Options.Has |= codec.HasMatch
		c.send(m)
		r := c.expect(codec.Subscribed)
		if r.Type != codec.Subscribed {
			t.Fatalf("SUBSCRIBE: %s", r.Type)
		}
		subIDs = append(subIDs, r.ID)
	}
	if subIDs[0] != subIDs[1] {
		t.Fatalf("one subscription, two ids on two nodes: %d, %d", subIDs[0], subIDs[1])
	}
	pub := join(t, nodes[0], "realm1", 303)
	const n = 50
	// The interest reaches node 1 over NATS a moment after SUBSCRIBED:
	// publish until the first event arrives, then count a fresh batch.
	for got := false; !got; {
		pub.send(codec.Message{Type: codec.Publish, URI: "com.tele.warm", Args: args(t, -1), PayloadSer: codec.MsgPack})
		select {
		case m := <-sub2.msgs:
			got = m.Type == codec.Event
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline.Add(wait)) {
			t.Fatal("no event reached node 2")
		}
	}
	time.Sleep(200 * time.Millisecond) // warm-up events still in flight
	for _, c := range []*client{sub2, sub3} {
		for len(c.msgs) > 0 {
			<-c.msgs
		}
	}
	for i := range n {
		pub.send(codec.Message{Type: codec.Publish, URI: "com.tele.temp", Args: args(t, i), PayloadSer: codec.MsgPack})
	}
	for _, c := range []*client{sub2, sub3} {
		for i := range n {
			m := c.expect(codec.Event)
			if got := value(t, m.Args)[0]; fmt.Sprint(got) != fmt.Sprint(i) {
				t.Fatalf("event %d is %v: lost or out of order", i, got)
			}
		}
	}
	select {
	case m := <-other.msgs:
		t.Fatalf("realm2 got a realm1 message: %s", m.Type)
	case <-time.After(100 * time.Millisecond):
	}

	// The session meta API counts every node's sessions.
	m := caller.call("wamp.session.count", []any{"test"})
	if m.Type != codec.Result {
		t.Fatalf("count: %s %s", m.Type, m.URI)
	}
	if got := fmt.Sprint(value(t, m.Args)[0]); got != "9" {
		t.Fatalf("wamp.session.count(test) on node 1 = %s, want 9 (3+2 callees, caller, 2 subscribers, publisher; the probes gone)", got)
	}

	// The subscription meta API counts every node's subscribers (the
	// announcements cross NATS: bounded poll).
	caller.countSubscribers(subIDs[0], 2)

	// The meta API of node 1 revokes a subscriber of node 3 and a callee
	// of node 2: their nodes carry it out and tell them.
	if m := caller.call("wamp.subscription.remove_subscriber", subIDs[0], sub3.l.ID(), "moved"); m.Type != codec.Result {
		t.Fatalf("remove_subscriber on node 1 of a node-3 subscriber: %s %s", m.Type, m.URI)
	}
	if u := sub3.expect(codec.Unsubscribed); u.Type != codec.Unsubscribed || u.Request != 0 ||
		u.Options.Subscription != subIDs[0] || u.Options.Reason != "moved" {
		t.Fatalf("the revoked node-3 subscriber got %s %d %+v", u.Type, u.Request, u.Options)
	}
	caller.countSubscribers(subIDs[0], 1)
	m = caller.call("wamp.registration.lookup", "com.single")
	if m.Type != codec.Result || len(value(t, m.Args)) != 1 {
		t.Fatalf("lookup of com.single on node 1: %s %v", m.Type, value(t, m.Args))
	}
	regID := value(t, m.Args)[0]
	if m := caller.call("wamp.registration.remove_callee", regID, single.l.ID(), "moved"); m.Type != codec.Result {
		t.Fatalf("remove_callee on node 1 of a node-2 callee: %s %s", m.Type, m.URI)
	}
	if u := single.expect(codec.Unregistered); u.Type != codec.Unregistered || u.Request != 0 ||
		fmt.Sprint(u.Options.Registration) != fmt.Sprint(regID) || u.Options.Reason != "moved" {
		t.Fatalf("the revoked node-2 callee got %s %d %+v", u.Type, u.Request, u.Options)
	}
	// The cluster's table lost it: node 3 may take the URI now.
	for deadline := time.Now().Add(wait); ; time.Sleep(50 * time.Millisecond) {
		m := rival.register("com.single", codec.InvokeSingle)
		if m.Type == codec.Registered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("REGISTER on node 3 after the revocation: %s %s", m.Type, m.URI)
		}
	}

	// A testament of a session of node 3 fires on nodes 1 and 2 when node
	// 3 goes away.
	w1, w2 := join(t, nodes[0], "realm1", 400), join(t, nodes[1], "realm1", 401)
	for _, c := range []*client{w1, w2} {
		c.send(codec.Message{Type: codec.Subscribe, URI: "com.will"})
		c.expect(codec.Subscribed)
	}
	testator := join(t, nodes[2], "realm1", 402)
	if m := testator.call("wamp.session.add_testament", "com.will", []any{"bye"}, map[string]any{}); m.Type != codec.Result {
		t.Fatalf("add_testament: %s %s", m.Type, m.URI)
	}
	time.Sleep(100 * time.Millisecond) // the copies cross NATS

	// A node that goes away takes its callees with it: the shared
	// registration goes on with the other two.
	stopNode(nodes[2])
	for _, c := range []*client{w1, w2} {
		if m := c.expect(codec.Event); fmt.Sprint(value(t, m.Args)) != "[bye]" {
			t.Fatalf("testament event %v", value(t, m.Args))
		}
	}
	deadline = time.Now().Add(wait)
	for {
		seen = map[string]bool{}
		for range 6 {
			if m := caller.call("com.shared"); m.Type == codec.Result {
				seen[value(t, m.Args)[0].(string)] = true
			}
		}
		if len(seen) == 2 && !seen["n3"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after node 3 stopped, calls reached %v", seen)
		}
	}
}
