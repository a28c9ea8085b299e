package netpoll

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// FlowControl configures sender flow control (Options.Flow): instead of
// queueing without end for a recipient that falls behind, the router stops
// reading the connection whose messages fill that recipient's queue (the
// publisher of its EVENTs, the caller of its INVOCATIONs), so the kernel's
// receive window closes on the sender, as nats-server stalls a fast
// producer. A zero HighWater leaves it off.
type FlowControl struct {
	// HighWater is the bytes queued for a recipient over which the sender
	// of what it receives is no longer read.
	HighWater int
	// LowWater is the queue under which a recipient stops holding its
	// senders (default HighWater/2).
	LowWater int
	// Stall is the longest a recipient holds a sender (default 250ms):
	// past it the recipient is cut, handed to the outbound Policy
	// (disconnected, or its EVENTs dropped while it is over HighWater), and
	// the sender is read again. So one stuck subscriber never holds its
	// publisher, nor the other subscribers, for longer than Stall.
	Stall time.Duration
}

// DefaultFlowStall is FlowControl.Stall's default.
const DefaultFlowStall = 250 * time.Millisecond

// flowTick is how often a held sender's recipients are looked at: their
// acknowledged bytes are refreshed on their loops, and the sender resumes
// once they are all under the low-water mark.
const flowTick = time.Millisecond

// flow is the server's flow control: which senders are not read now and
// which recipients hold them. One goroutine (run, owned by the Server,
// ended by Stop) releases senders; the actor that finds a recipient over
// the mark (Conn.Send) adds holds.
//
// Locks: mu guards held and scratch; it may be held while a Conn's mu is
// taken (flow.mu before Conn.mu), never the other way round: Send calls
// hold after releasing its conn's mu.
type flow struct {
	s        *Server
	hwm, lwm int64
	stall    int64 // nanoseconds

	mu      sync.Mutex
	held    map[*Conn]*hold
	resume  []*Conn // scratch of check
	cut     []*Conn
	refresh map[*outq]struct{}

	wake chan struct{} // cap 1: a first hold arrived
	stop chan struct{}
	done chan struct{}

	stalls, releases, cuts, stallNanos atomic.Int64
}

// hold is one sender whose reads are off, and the recipients it waits for.
type hold struct {
	since int64
	by    map[*Conn]*blocker
}

// blocker is a recipient holding a sender: since when, and how much of its
// stream the kernel had taken then (its progress says whether it can get
// under the low-water mark within the stall bound).
type blocker struct {
	since, acked int64
}

func newFlow(s *Server, fc FlowControl) *flow {
	if fc.LowWater <= 0 || fc.LowWater >= fc.HighWater {
		fc.LowWater = fc.HighWater / 2
	}
	if fc.Stall <= 0 {
		fc.Stall = DefaultFlowStall
	}
	return &flow{
		s:       s,
		hwm:     int64(fc.HighWater),
		lwm:     int64(fc.LowWater),
		stall:   int64(fc.Stall),
		held:    make(map[*Conn]*hold),
		refresh: make(map[*outq]struct{}),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// holdBy stops reading from until blocker's queue is under the low-water
// mark (or Stall passed). Called by the goroutine that found blocker over
// the high-water mark, without blocker's mu.
func (fl *flow) holdBy(from, b *Conn) {
	fl.mu.Lock()
	h := fl.held[from]
	first := h == nil
	if first {
		h = &hold{since: nanotime(), by: make(map[*Conn]*blocker, 4)}
		fl.held[from] = h
	}
	if h.by[b] == nil {
		h.by[b] = &blocker{since: nanotime(), acked: b.acked.Load()}
	}
	fl.mu.Unlock()
	if !first {
		return
	}
	fl.stalls.Add(1)
	from.setReadOff(readOffFlow, true)
	select {
	case fl.wake <- struct{}{}:
	default:
	}
}

// run releases held senders until Stop.
func (fl *flow) run() {
	defer close(fl.done)
	t := time.NewTimer(flowTick)
	defer t.Stop()
	for {
		if fl.idle() {
			select {
			case <-fl.wake:
			case <-fl.stop:
				fl.releaseAll()
				return
			}
		}
		t.Reset(flowTick)
		select {
		case <-t.C:
		case <-fl.wake: // a refresh found a recipient under the mark: look now
		case <-fl.stop:
			fl.releaseAll()
			return
		}
		fl.check()
	}
}

func (fl *flow) idle() bool {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return len(fl.held) == 0
}

// check releases the senders whose recipients caught up, cuts the
// recipients that held a sender for longer than the stall bound, and asks
// the loops of the others for fresh acknowledged counts.
func (fl *flow) check() {
	now := nanotime()
	fl.mu.Lock()
	resume, cut := fl.resume[:0], fl.cut[:0]
	for from, h := range fl.held {
		for b, st := range h.by {
			q, gone, exempt := b.flowState()
			if gone || exempt || q <= fl.lwm {
				delete(h.by, b)
				continue
			}
			if fl.hopeless(now, st, b.acked.Load(), q) {
				delete(h.by, b)
				cut = append(cut, b)
				continue
			}
			if b.q != nil {
				fl.refresh[b.q] = struct{}{}
				b.q.wantAcked(b)
			}
		}
		if len(h.by) > 0 {
			continue
		}
		delete(fl.held, from)
		fl.stallNanos.Add(now - h.since)
		resume = append(resume, from)
	}
	for q := range fl.refresh {
		q.refreshAcked()
		delete(fl.refresh, q)
	}
	fl.mu.Unlock()
	for _, b := range cut {
		b.flowCut(fl.hwm)
	}
	for _, from := range resume {
		fl.releases.Add(1)
		from.setReadOff(readOffFlow, false)
	}
	clear(resume)
	clear(cut)
	fl.mu.Lock()
	fl.resume, fl.cut = resume[:0], cut[:0]
	fl.mu.Unlock()
}

// hopeless reports whether a blocker should be cut now: it held its
// sender for the stall bound, or, once watched for a tenth of it, what
// the kernel took from it since says it will not be under the low-water
// mark within the bound (a subscriber that stopped reading shows no
// progress at all). So a stuck subscriber holds its publisher, and with it
// the healthy ones, for a tenth of the bound, not all of it, while a slow
// but reading one (a busy Python client) keeps its events.
func (fl *flow) hopeless(now int64, st *blocker, acked, queued int64) bool {
	held := now - st.since
	if held > fl.stall {
		return true
	}
	if held < max(fl.stall/10, int64(5*time.Millisecond)) {
		return false
	}
	done := acked - st.acked
	if done <= 0 {
		return true
	}
	// Time to drain to the low-water mark at the rate seen so far.
	need := float64(queued-fl.lwm) * float64(held) / float64(done)
	return need > float64(fl.stall-held)
}

// releaseAll reads every held sender again (Stop).
func (fl *flow) releaseAll() {
	fl.mu.Lock()
	held := fl.held
	fl.held = make(map[*Conn]*hold)
	fl.mu.Unlock()
	for from := range held {
		fl.releases.Add(1)
		from.setReadOff(readOffFlow, false)
	}
}

// flowState is c's queue as the flow check sees it: bytes not yet
// acknowledged by the kernel, whether c closed, whether c was cut.
func (c *Conn) flowState() (queued int64, gone, exempt bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queuedLocked(), c.closed, c.exempt
}

// flowCut hands c, which held a sender past the stall bound, to the
// outbound policy: disconnected, or (drop) exempt from flow control, its
// EVENTs dropped while it is over the high-water mark, until it drains
// under the low-water mark.
func (c *Conn) flowCut(hwm int64) {
	c.srv.flow.cuts.Add(1)
	if c.srv.opts.Policy != PolicyDrop {
		c.slowDisconnect(hwm)
		return
	}
	c.mu.Lock()
	c.exempt = true
	c.mu.Unlock()
	c.srv.log.Warn("netpoll: consumer held its sender past the stall bound, dropping its events",
		"remote", c.remote, "stall", time.Duration(c.srv.flow.stall))
}

// Why a connection's socket is left unread: a recipient of what it sent
// is over the high-water mark (flow), or what it sent waits for the
// handler's consumer (its Backlog).
const (
	readOffFlow    uint32 = 1
	readOffBacklog uint32 = 2
)

// setReadOff sets or clears one reason to leave c unread and, when that
// changes whether c is read at all, asks c's loop to apply it.
func (c *Conn) setReadOff(why uint32, off bool) {
	var old uint32
	if off {
		old = c.readOff.Or(why)
	} else {
		old = c.readOff.And(^why)
	}
	if (old != 0) == (off || old&^why != 0) {
		return // read or not read as before
	}
	_ = c.gc.Wake(c.readCB) // fails only once the conn or the server is gone
}

// onReadCB runs on c's loop after a setReadOff (gnet's Wake has run
// OnTraffic just before, which already synced).
func (c *Conn) onReadCB(gnet.Conn, error) error {
	c.syncRead()
	return nil
}

// syncRead makes the epoll entry of c match readOff (event loop only). A
// wanted pause is applied again each time: gnet turns reading back on by
// itself when a buffered write drains.
func (c *Conn) syncRead() {
	off := c.readOff.Load() != 0
	if !off && !c.readPaused {
		return
	}
	if c.gone || c.q == nil || c.q.epfd < 0 {
		return
	}
	err := setReadInterest(c.q.epfd, c.gc.Fd(), !off, c.gc.OutboundBuffered() > 0)
	if err != nil {
		c.srv.log.Warn("netpoll: flow control could not change a connection's reads", "remote", c.remote, "err", err)
		return
	}
	c.readPaused = off
}

// wantAcked queues c for refreshAcked (flow check, under flow.mu).
func (o *outq) wantAcked(c *Conn) {
	o.ackMu.Lock()
	o.acks = append(o.acks, c)
	o.ackMu.Unlock()
}

// refreshAcked has the loop re-read, for every conn queued by wantAcked,
// how much of what it wrote left gnet's buffer: one task per loop and
// flow tick, not one per conn.
func (o *outq) refreshAcked() {
	o.ackMu.Lock()
	sched := !o.ackQueued && len(o.acks) > 0
	o.ackQueued = o.ackQueued || sched
	o.ackMu.Unlock()
	if sched {
		if err := o.el.Execute(context.Background(), ackRefresh{o}); err != nil {
			o.ackMu.Lock()
			o.ackQueued = false
			o.acks = o.acks[:0]
			o.ackMu.Unlock()
		}
	}
}

// ackRefresh is refreshAcked's task; a one-pointer struct, so passing it
// as a gnet.Runnable does not allocate.
type ackRefresh struct{ o *outq }

func (a ackRefresh) Run(context.Context) error {
	o := a.o
	o.ackMu.Lock()
	acks := o.acks
	o.acks = o.ackSpare[:0]
	o.ackQueued = false
	o.ackMu.Unlock()
	drained := false
	for _, c := range acks {
		if !c.gone {
			drained = c.storeAcked() <= c.srv.flow.lwm || drained
		}
	}
	if drained { // a sender may be read again: do not wait for the tick
		select {
		case acks[0].srv.flow.wake <- struct{}{}:
		default:
		}
	}
	clear(acks)
	o.ackMu.Lock()
	o.ackSpare = acks[:0]
	o.ackMu.Unlock()
	return nil
}
