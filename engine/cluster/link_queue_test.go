package cluster

import (
	"testing"

	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/realm"
)

// TestQueueReserve: publications that fill the sender's queue are dropped
// and counted before the reserve, which joins and leaves still get.
func TestQueueReserve(t *testing.T) {
	n := &Node{cfg: config.Cluster{Name: "c", Node: "n1"}}
	l := newLink(n, realm.New(realm.Options{Name: "realm1"}))
	for range outQueue {
		l.queue(outMsg{op: opPublish, subject: "s", buf: newEnvelope(kindEvent, 1, 1, 2, 0, []byte("[]"))})
	}
	if got, want := len(l.out), outQueue-outReserve; got != want {
		t.Fatalf("publications queued %d, want %d", got, want)
	}
	if got, want := n.stats.Dropped.Load(), uint64(outReserve); got != want {
		t.Fatalf("dropped %d, want %d", got, want)
	}
	l.Left(7, false)
	if m := l.out; len(m) != outQueue-outReserve+1 {
		t.Fatalf("the leave was not queued in the reserve: %d queued", len(m))
	}
}
