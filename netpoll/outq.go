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
// While its loop yields the processor to the realm actors after a light
// read (hold ... release, see Conn.onTraffic), a push schedules nothing:
// the loop writes what was queued meanwhile as soon as it resumes, in the
// same OnTraffic, instead of paying an eventfd write, an epoll round and a
// read of the eventfd for a reply to a conn it serves itself.
//
// Locks: mu guards q, scheduled and held; it is a leaf lock, never held while a
// Conn's mu is taken (Run takes each conn's batch after releasing it).
// spare, tlsOut and tlsPlain belong to the loop goroutine alone.
type outq struct {
	el   gnet.EventLoop
	epfd int // the loop's epoll descriptor (flow control); -1 when unknown

	// Flow control: conns whose acknowledged bytes the loop should
	// re-read (see refreshAcked). ackMu is a leaf lock.
	ackMu          sync.Mutex
	acks, ackSpare []*Conn
	ackQueued      bool

	mu        sync.Mutex
	q         []*Conn
	scheduled bool // a Run is queued on the loop or running
	held      bool // the loop drains q itself when it resumes (hold/release)

	spare []*Conn // loop only: the slice Run drained last

	// Loop only: TLS scratch. tlsOut collects the records one TLS
	// operation produces before they go to gnet in one Write, to that
	// operation's conn: every tls.Conn call on the loop is followed by
	// Conn.flushTLS, so tlsOut is empty between them. tlsPlain joins a
	// batch's copied bytes and referenced frames before encryption.
	tlsOut, tlsPlain []byte
}

func newOutq(el gnet.EventLoop) *outq {
	return &outq{el: el, epfd: -1, q: make([]*Conn, 0, 64), spare: make([]*Conn, 0, 64)}
}

// push queues c for writing on the loop; safe from any goroutine.
func (o *outq) push(c *Conn) {
	o.mu.Lock()
	o.q = append(o.q, c)
	if o.scheduled || o.held {
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
	if o.drain(&o.scheduled) {
		o.schedule() // still busy: let the loop serve its sockets first
	}
	return nil
}

// hold marks the loop as about to yield to the actors (loop only).
func (o *outq) hold() {
	o.mu.Lock()
	o.held = true
	o.mu.Unlock()
}

// release ends a hold: it writes what was queued during it, on the loop.
func (o *outq) release() {
	if !o.drain(&o.held) {
		return
	}
	o.mu.Lock()
	o.held = false
	start := !o.scheduled
	o.scheduled = true
	o.mu.Unlock()
	if start {
		o.schedule()
	}
}

// drain writes the queued conns' batches for up to outqMaxRounds rounds
// (loop only). It clears *flag (scheduled or held) under mu when it finds
// the queue empty, so that the next push schedules a Run, and reports
// whether batches were still waiting when it gave up (flag then stays set).
func (o *outq) drain(flag *bool) (more bool) {
	for range outqMaxRounds {
		o.mu.Lock()
		q := o.q
		if len(q) == 0 {
			*flag = false
			o.mu.Unlock()
			return false
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
	return true
}
