package realm

import (
	"sync"
	"testing"
	"time"
)

// TestMailboxManyProducers pushes from many goroutines while the consumer
// pops, and checks every item arrives exactly once and in per-producer order.
func TestMailboxManyProducers(t *testing.T) {
	const producers, perProducer = 16, 5000
	var q mailbox
	q.init()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perProducer {
				in := &Inbound{}
				in.Msg.ID = uint64(p)
				in.Msg.Request = uint64(i)
				q.push(in)
			}
		}()
	}
	next := make([]uint64, producers)
	got := 0
	deadline := time.Now().Add(10 * time.Second)
	for got < producers*perProducer {
		in := q.pop()
		if in == nil {
			if time.Now().After(deadline) {
				t.Fatalf("timed out after %d items", got)
			}
			continue
		}
		p := in.Msg.ID
		if in.Msg.Request != next[p] {
			t.Fatalf("producer %d: got item %d, want %d", p, in.Msg.Request, next[p])
		}
		next[p]++
		got++
	}
	wg.Wait()
	if in := q.pop(); in != nil {
		t.Fatalf("queue not empty after all items: %+v", in.Msg)
	}
}

func TestMailboxEmptyAndReuse(t *testing.T) {
	var q mailbox
	q.init()
	if q.pop() != nil {
		t.Fatal("pop of an empty queue returned an item")
	}
	a, b := &Inbound{}, &Inbound{}
	for round := range 3 {
		q.push(a)
		q.push(b)
		if got := q.pop(); got != a {
			t.Fatalf("round %d: first pop = %p, want %p", round, got, a)
		}
		if got := q.pop(); got != b {
			t.Fatalf("round %d: second pop = %p, want %p", round, got, b)
		}
		if got := q.pop(); got != nil {
			t.Fatalf("round %d: pop of drained queue = %p", round, got)
		}
	}
}

// TestRealmWakeUp checks that the actor sleeping on an empty inbox is woken
// by every enqueue (no lost wake-up) when items trickle in one by one.
func TestRealmWakeUp(t *testing.T) {
	r := New(Options{Name: "wake"})
	handled := make(chan uint64, 1)
	r.testHook = func(in *Inbound) { handled <- in.Msg.Request }
	r.Start()
	defer r.Stop()
	for i := range uint64(2000) {
		in := NewInbound()
		in.Msg.Request = i
		r.Post(in)
		select {
		case got := <-handled:
			if got != i {
				t.Fatalf("handled %d, want %d", got, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("item %d never handled: lost wake-up", i)
		}
	}
}
