package cluster

import (
	"testing"

	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/realm"
)

// testLink is a link of node n1 of cluster c for realm1, not started.
func testLink() (*Node, *link) {
	n := &Node{cfg: config.Cluster{Name: "c", Node: "n1"}, stop: make(chan struct{})}
	return n, newLink(n, realm.New(realm.Options{Name: "realm1"}))
}

// TestQueueReserve: publications that fill the sender's queue are dropped
// and counted before the reserve, which joins and leaves still get.
func TestQueueReserve(t *testing.T) {
	n, l := testLink()
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

// TestSnapshotAfterLeave: a snapshot that still lists a session whose
// leave was handled first does not bring it back as a shadow.
func TestSnapshotAfterLeave(t *testing.T) {
	_, l := testLink()
	l.join(&announce{Op: "join", Node: "n2", ID: 5, Ser: 1})
	if _, ok := l.remote["n2"][5]; !ok {
		t.Fatal("a join did not shadow the session")
	}
	l.mu.Lock()
	delete(l.remote["n2"], 5)
	l.left.add(5) // what onAnnounce does with a leave
	l.mu.Unlock()
	l.join(&announce{Op: "join", Node: "n2", ID: 5, Ser: 1}) // the late snapshot's
	if _, ok := l.remote["n2"][5]; ok {
		t.Fatal("a snapshot read after the leave shadowed the session again")
	}
	for i := range uint64(3 * recentLeft) {
		l.left.add(100 + i)
	}
	if l.left.has(5) || !l.left.has(100+3*recentLeft-1) || len(l.left.cur)+len(l.left.prev) > 2*recentLeft {
		t.Fatal("the set of recent leaves is not bounded to its last generations")
	}
}
