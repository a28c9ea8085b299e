package cluster

import (
	"sync/atomic"
	"time"
)

// backlogBound is how many messages from NATS a link may have posted to
// its realm that the actor has not handled yet (per backlog).
const backlogBound = evQueue

// backlog counts what a link's goroutine posted to its realm and the actor
// has not handled yet (it is the Inbounds' realm.Backlog). The goroutine
// waits while it is full, so a realm that cannot keep up with the other
// nodes fills the link's channel, then nats.go's pending limits, which
// drop and count (slow-consumer drops), instead of growing the realm's
// mailbox, which has no bound of its own.
type backlog struct {
	n    atomic.Int64
	wake chan struct{} // cap 1: the count fell to half the bound
}

func newBacklog() *backlog { return &backlog{wake: make(chan struct{}, 1)} }

// Done is the actor's: n posted messages are handled.
func (b *backlog) Done(n int) {
	if v := b.n.Add(-int64(n)); v < backlogBound/2 && v+int64(n) >= backlogBound/2 {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
}

// admit counts one more message, first waiting while the backlog is full;
// it reports false, counting nothing, when stop closes meanwhile. The
// timer re-checks in case a wake was taken by an earlier wait.
func (b *backlog) admit(stop <-chan struct{}) bool {
	for b.n.Load() >= backlogBound {
		t := time.NewTimer(10 * time.Millisecond)
		select {
		case <-stop:
			t.Stop()
			return false
		case <-b.wake:
		case <-t.C:
		}
		t.Stop()
	}
	b.n.Add(1)
	return true
}
