package realm

import "sync/atomic"

// mailbox is the realm's inbox: an intrusive multi-producer single-consumer
// queue after Dmitry Vyukov's design. Producers (event loops, timers, the
// engine) push with one atomic swap and one store, never a lock or a CAS
// loop; the actor alone pops. Nodes are the *Inbound items themselves, so a
// push allocates nothing.
//
// Ownership: push is safe from any goroutine; pop and tail belong to the
// actor goroutine only.
type mailbox struct {
	head atomic.Pointer[Inbound] // last pushed node; producers swap it
	tail *Inbound                // next node to pop; actor only
	stub Inbound                 // sentinel that keeps the list non-empty
}

// init makes the queue empty; call before the first push or pop.
func (q *mailbox) init() {
	q.stub.next.Store(nil)
	q.head.Store(&q.stub)
	q.tail = &q.stub
}

// push appends n. Between the swap and the store of prev.next the node is
// not yet reachable from the tail: pop then reports empty, and the producer's
// wake-up after push (see Realm.enqueue) makes the actor look again.
func (q *mailbox) push(n *Inbound) {
	n.next.Store(nil)
	prev := q.head.Swap(n)
	prev.next.Store(n)
}

// pop removes the oldest node, or returns nil when the queue is empty (or a
// producer is half-way through a push). Actor only.
func (q *mailbox) pop() *Inbound {
	tail := q.tail
	next := tail.next.Load()
	if tail == &q.stub {
		if next == nil {
			return nil
		}
		q.tail = next
		tail = next
		next = next.next.Load()
	}
	if next != nil {
		q.tail = next
		return tail
	}
	if tail != q.head.Load() {
		return nil // a producer is linking a node after tail
	}
	// tail is the last node: put the stub behind it so it can be handed out.
	q.push(&q.stub)
	next = tail.next.Load()
	if next != nil {
		q.tail = next
		return tail
	}
	return nil
}

// empty reports whether pop would find nothing now (actor only). A push
// half-way through reads as empty, as in pop.
func (q *mailbox) empty() bool {
	return q.tail == &q.stub && q.stub.next.Load() == nil
}
