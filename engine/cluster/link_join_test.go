package cluster

import (
	"testing"

	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/realm"
)

// TestSnapshotAfterLeave: a snapshot that still lists a session whose
// leave was handled first does not bring it back as a shadow.
func TestSnapshotAfterLeave(t *testing.T) {
	n := &Node{cfg: config.Cluster{Name: "c", Node: "n1"}}
	l := newLink(n, realm.New(realm.Options{Name: "realm1"}))
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
