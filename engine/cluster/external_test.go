package cluster_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/config"
)

// TestClusterExternalNATS: two nodes with no NATS of their own, sharing
// one external nats-server (JetStream on, one replica), act as one router.
func TestClusterExternalNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a nats-server")
	}
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(wait) {
		t.Fatal("nats-server not ready")
	}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	node := func(name string) config.Config {
		c := config.Default()
		c.Listeners = []config.Listener{{Listen: "127.0.0.1:0", Transports: []string{config.TransportRawSocket}}}
		c.Realms = []config.Realm{{Name: "realm1", Anonymous: true}}
		c.Cluster = &config.Cluster{Name: "ext", Node: name, Replicas: 1, NATS: config.ClusterNATS{URL: ns.ClientURL()}}
		return c
	}
	a, b := startNode(t, node("a")), startNode(t, node("b"))
	t.Cleanup(func() { stopNode(a); stopNode(b) })

	callee, caller := callable(t, &wg, a, b, "com.ext")

	// The table loses node a's callee (as when the others took node a for
	// lost): node a puts it back, and node b's callers reach it again.
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	kv, err := js.KeyValue(ctx, "wampd_ext_"+hex.EncodeToString([]byte("realm1")))
	if err != nil {
		t.Fatal(err)
	}
	key := base64.RawURLEncoding.EncodeToString([]byte("0com.ext"))
	if err := kv.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	for {
		if e, err := kv.Get(ctx, key); err == nil && strings.Contains(string(e.Value()), fmt.Sprintf(`"session":%d`, callee.l.ID())) {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("node a did not put its callee back in the table")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for m := caller.call("com.ext"); m.Type != codec.Result; m = caller.call("com.ext") {
		if ctx.Err() != nil {
			t.Fatalf("call from node b after the repair: %s %s", m.Type, m.URI)
		}
		time.Sleep(50 * time.Millisecond)
	}

	sub := join(t, a, "realm1", 3)
	sub.send(codec.Message{Type: codec.Subscribe, URI: "com.ext.t"})
	if m := sub.expect(codec.Subscribed); m.Type != codec.Subscribed {
		t.Fatalf("SUBSCRIBE: %s", m.Type)
	}
	for got := false; !got; {
		caller.send(codec.Message{Type: codec.Publish, URI: "com.ext.t", Args: args(t, 1), PayloadSer: codec.MsgPack})
		select {
		case m := <-sub.msgs:
			got = m.Type == codec.Event
		case <-time.After(50 * time.Millisecond):
		}
		if ctx.Err() != nil {
			t.Fatal("no event from node b reached node a")
		}
	}

	// A node that joins later learns, with the others' sessions, their
	// testaments, and fires them when the session leaves.
	testator := join(t, a, "realm1", 4)
	if m := testator.call("wamp.session.add_testament", "com.ext.will", []any{"bye"}, map[string]any{}); m.Type != codec.Result {
		t.Fatalf("add_testament: %s %s", m.Type, m.URI)
	}
	c := startNode(t, node("c"))
	t.Cleanup(func() { stopNode(c) })
	heir := join(t, c, "realm1", 5)
	heir.send(codec.Message{Type: codec.Subscribe, URI: "com.ext.will"})
	heir.expect(codec.Subscribed)
	for m := heir.call("wamp.session.get", testator.l.ID()); m.Type != codec.Result; m = heir.call("wamp.session.get", testator.l.ID()) {
		if ctx.Err() != nil {
			t.Fatalf("node c never learned the testator's session: %s %s", m.Type, m.URI)
		}
		time.Sleep(20 * time.Millisecond)
	}
	testator.l.Close()
	if m := heir.expect(codec.Event); fmt.Sprint(value(t, m.Args)) != "[bye]" {
		t.Fatalf("testament on the late node: %v", value(t, m.Args))
	}
}
