package netpoll

import (
	"context"
	"sync"

	"github.com/panjf2000/gnet/v2"
)

// outqMaxRounds bounds how many times one Run drains its queue before it
// yields the event loop back to its sockets (it reschedules itself when
// batches are still waiting).
const outqMaxRounds = 8

// outq is one event loop's queue of connections with flushed frames.
// Flush pushes the conn here (once until its batch is taken) instead of
// calling AsyncWritev per connection: the first push of a round schedules
// one task on the loop (gnet's Execute), which then takes each queued
// conn's batch and writes it with plain Write/Writev. A fan-out of one
// EVENT to N connections thus costs one loop wake-up per event loop, not N
// task hooks and N writev iovec allocations; and the frames of several
// actor batches flushed before the loop got round to a conn go out in one
// write.
//
// Locks: mu guards q and scheduled; it is a leaf lock, never held while a
// Conn's mu is taken (Run takes each conn's batch after releasing it).
// spare belongs to the loop goroutine (Run) alone.
type outq struct {
	el gnet.EventLoop

	mu        sync.Mutex
	q         []*Conn
	scheduled bool // a Run is queued on the loop or running

	spare []*Conn // loop only: the slice Run drained last
}

func newOutq(el gnet.EventLoop) *outq {
	return &outq{el: el, q: make([]*Conn, 0, 64), spare: make([]*Conn, 0, 64)}
}

// push queues c for writing on the loop; safe from any goroutine.
func (o *outq) push(c *Conn) {
	o.mu.Lock()
	o.q = append(o.q, c)
	if o.scheduled {
		o.mu.Unlock()
		return
	}
	o.scheduled = true
	o.mu.Unlock()
	o.schedule()
}

// schedule asks the loop to Run; when the engine is shutting down nobody
// will, so the queued batches are abandoned here.
func (o *outq) schedule() {
	if err := o.el.Execute(context.Background(), o); err != nil {
		o.mu.Lock()
		q := o.q
		o.q = nil
		o.scheduled = false
		o.mu.Unlock()
		for _, c := range q {
			if b := c.take(); b != nil {
				b.abandon()
			}
		}
	}
}

// Run writes the queued conns' batches; it runs on the event loop
// (gnet.Runnable).
func (o *outq) Run(context.Context) error {
	for range outqMaxRounds {
		o.mu.Lock()
		q := o.q
		if len(q) == 0 {
			o.scheduled = false
			o.mu.Unlock()
			return nil
		}
		o.q = o.spare[:0]
		o.mu.Unlock()
		for i, c := range q {
			if b := c.take(); b != nil {
				c.writeBatch(b)
			}
			q[i] = nil
		}
		o.spare = q[:0]
	}
	o.schedule() // still busy: let the loop serve its sockets first
	return nil
}
