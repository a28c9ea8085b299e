package cluster

import (
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/realm"
)

// TestBacklogBound: a full backlog holds the next message back until the
// actor is done with one, and gives up at Stop.
func TestBacklogBound(t *testing.T) {
	b := newBacklog()
	stop := make(chan struct{})
	for range backlogBound {
		if !b.admit(stop) {
			t.Fatal("admit refused below the bound")
		}
	}
	admitted := make(chan bool, 1)
	go func() { admitted <- b.admit(stop) }()
	select {
	case <-admitted:
		t.Fatal("admitted past the bound")
	case <-time.After(50 * time.Millisecond):
	}
	b.Done(1)
	select {
	case ok := <-admitted:
		if !ok {
			t.Fatal("admit refused once there was room")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still held back once there was room")
	}
	closed := make(chan struct{})
	close(closed)
	if b.admit(closed) {
		t.Fatal("admitted past the bound at Stop")
	}
	if got := b.n.Load(); got != backlogBound {
		t.Fatalf("count %d, want %d", got, backlogBound)
	}
}

// TestBacklogDone: what the link posts is counted until the realm's actor
// has handled it.
func TestBacklogDone(t *testing.T) {
	n := &Node{cfg: config.Cluster{Name: "c", Node: "n1"}, stop: make(chan struct{})}
	r := realm.New(realm.Options{Name: "realm1"})
	r.Start()
	defer r.Stop()
	l := newLink(n, r)
	raw := []byte(`[16,1,{},"com.t",[1]]`)
	for range 100 {
		in := l.inbound(&envelope{kind: kindEvent, ser: codec.JSON, a: 1, b: 2, msg: raw})
		if in == nil {
			t.Fatal("the PUBLISH did not decode")
		}
		in.Remote = realm.RemoteInfo{Kind: realm.RemotePublish, PubID: 1, Publisher: 2}
		l.post(in, l.evBack)
	}
	for deadline := time.Now().Add(5 * time.Second); l.evBack.n.Load() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("backlog %d after the actor handled everything, want 0", l.evBack.n.Load())
		}
	}
}
