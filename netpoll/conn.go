package netpoll

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/wampd/wampd/codec"
)

// Transport is the WAMP transport a connection negotiated.
type Transport uint8

// Transports.
const (
	WebSocket Transport = 1
	RawSocket Transport = 2
)

// String returns "websocket" or "rawsocket", for logs and metrics.
func (t Transport) String() string {
	switch t {
	case WebSocket:
		return "websocket"
	case RawSocket:
		return "rawsocket"
	}
	return "none"
}

// connState is the inbound state machine of a connection.
type connState uint8

const (
	stateSniff        connState = iota // nothing read yet: 0x7F or HTTP?
	stateHTTP                          // accumulating the upgrade request
	stateRSHandshake                   // waiting for the 4 handshake octets
	stateOpen                          // transport up: frames
	stateClosing                       // closing: input is discarded
	stateTLSHello                      // TLS listener: waiting for the whole first record
	stateTLSHandshake                  // TLS handshake running on its goroutine
)

// iovMax is the most vectors one writev takes (IOV_MAX on Linux).
const iovMax = 1024

// Conn is one client connection. It implements realm.Peer structurally
// (Serializer, Send, Flush, Close); netpoll does not import realm.
//
// Ownership: fields under "event loop only" and "loop side" are touched
// only by the connection's gnet event loop; mu guards the sending side
// (pending batch, closed flag, byte accounting) because Send/Flush run on
// the session's owner (the event loop, then the realm actor) while Close
// may come from any goroutine. Nothing else is locked while mu is held
// (outq.mu is taken after mu is released).
type Conn struct {
	srv      *Server
	gc       gnet.Conn
	ln       int    // index in Options.Listeners
	remote   string // remote address, for logs
	deadline int64  // handshake deadline (unix nanos); immutable

	// Set on the event loop before Handler.OnOpen, read-only afterwards.
	ser     codec.Serializer
	peerMax int // RawSocket: longest message the client accepts

	// Event loop only.
	state  connState
	opened bool // Handler.OnOpen was called
	ctx    any
	in     source   // what the framing reads: gc, or the decrypted bytes of a TLS conn
	tls    *tlsConn // nil for a plain connection; set in OnOpen
	ws     wsReader
	rs     rsReader
	ctrl   []byte // scratch for control frames written by the event loop
	woke   bool   // the handler woke an idle goroutine during this read (HandedOff)
	// readPaused: flow control took reading off in the loop's epoll set.
	readPaused bool

	// Loop side, written on the event loop after each write. The padding
	// keeps these lines apart from the sending side's: the actor sending
	// to a thousand conns must not pull lines the loops just wrote.
	_         [64]byte
	gone      bool         // OnClose ran: gc must not be written to (its fd may be reused)
	doneBytes int64        // bytes written to gnet (socket or its buffer)
	acked     atomic.Int64 // doneBytes - gnet's OutboundBuffered: bytes that left for the kernel
	probing   atomic.Bool  // a Wake probe refreshing acked is in flight
	_         [64]byte

	// Sending side: Send/Flush run on the session's owner (the event loop,
	// then the realm actor) while Close may come from any goroutine.
	mu        sync.Mutex
	transport Transport // guarded by mu until OnOpen, read-only afterwards
	pending   *batch    // frames not yet taken by the loop's writer
	inq       bool      // c is on its loop's write queue: pending will be taken
	closed    bool      // Close ran: Send refuses, nothing more is queued
	submitted int64     // bytes handed to the loop's queue since open
	ackedSeen int64     // last acked read: a stale value only overestimates the queue
	q         *outq     // the connection's event loop's write queue; set before OnOpen
	// exempt: flow control cut this recipient (it held a sender past the
	// stall bound); it holds nobody until it drained under the low-water
	// mark, and its EVENTs are dropped while it is over the high-water one.
	exempt bool
	ages   ages // with MaxDelay: when the batches in flight were started
	// holding is the sender this conn last asked flow control to hold.
	holding *Conn
	_       [64]byte

	established atomic.Bool
	dropped     atomic.Uint64
	drainBy     atomic.Int64  // closing: give up waiting for the drain at this time
	readOff     atomic.Uint32 // why this connection's socket is left unread (readOff* bits)
	backlog     Backlog

	probeCB gnet.AsyncCallback // bound once: no allocation per probe
	drainCB gnet.AsyncCallback
	readCB  gnet.AsyncCallback
}

func newConn(s *Server, gc gnet.Conn, ln int, deadline int64) *Conn {
	c := &Conn{srv: s, gc: gc, in: gc, ln: ln, deadline: deadline}
	if ra := gc.RemoteAddr(); ra != nil {
		c.remote = ra.String()
	}
	c.probeCB = c.onProbe
	c.drainCB = c.onDrain
	c.readCB = c.onReadCB
	c.backlog.c = c
	return c
}

// Serializer is the serializer negotiated by the transport handshake.
func (c *Conn) Serializer() codec.Serializer { return c.ser }

// Transport is the transport of the connection.
func (c *Conn) Transport() Transport { return c.transport }

// TransportName is Transport as text, for the session meta API.
func (c *Conn) TransportName() string { return c.transport.String() }

// RemoteAddr is the client's address, for logs and session details.
func (c *Conn) RemoteAddr() string { return c.remote }

// SetContext stores the handler's per-connection state (event loop only).
func (c *Conn) SetContext(v any) { c.ctx = v }

// Context returns what SetContext stored (event loop only).
func (c *Conn) Context() any { return c.ctx }

// Established tells netpoll the WAMP session is up, which cancels the
// handshake timeout. Safe from any goroutine.
func (c *Conn) Established() {
	if c.established.CompareAndSwap(false, true) {
		c.srv.unwatch(c)
	}
}

// HandedOff tells the event loop that the message being handled woke an
// idle goroutine (the realm actor). After a light read the loop then
// yields its processor so that goroutine runs at once on this thread,
// rather than waiting for another thread to be woken to run it. Call it
// from Handler.OnMessage only.
func (c *Conn) HandedOff() { c.woke = true }

// Dropped is the number of EVENTs the drop policy discarded on this conn.
func (c *Conn) Dropped() uint64 { return c.dropped.Load() }

// header is the transport header of f for this connection.
func (c *Conn) header(f *codec.Frame) []byte {
	if c.transport == RawSocket {
		return f.RSHeader()
	}
	return f.WSHeader()
}

// copyMax is the largest frame Send copies into the batch buffer; larger
// frames are referenced (shared, no copy) and written with writev. Copying
// a small EVENT costs less than the atomic Ref/Release pair on a frame
// shared with every loop, and turns a flush into one contiguous write.
const copyMax = 1024

// Send queues f for the next Flush; see realm.Peer. A small frame is
// copied into the batch (f is not referenced after Send returns), a large
// one is referenced. Over the byte bound it applies the policy: drop
// droppable frames, or disconnect. It never blocks on the socket.
func (c *Conn) Send(f *codec.Frame, droppable bool) bool {
	hdr := c.header(f)
	n := int64(len(hdr) + f.Len())
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if c.transport == RawSocket && f.Len() > c.peerMax {
		c.mu.Unlock()
		c.CloseWith(ClosePolicyViolation, fmt.Sprintf("message of %d bytes over the client's maximum of %d", f.Len(), c.peerMax))
		return false
	}
	b := c.pending
	queued := c.submitted - c.ackedSeen + n
	if b != nil {
		queued += b.bytes
	}
	var from *Conn // the sender flow control should hold
	if queued > c.srv.mark {
		// Only now read what the loop wrote: the stale value can only
		// overestimate, so the common case never touches the loop's line.
		acked := c.acked.Load()
		queued -= acked - c.ackedSeen
		c.ackedSeen = acked
		bound, fl := c.srv.bound, c.srv.flow
		drop := c.srv.opts.Policy == PolicyDrop
		switch {
		case queued > bound || (c.srv.opts.MaxDelay > 0 && queued > delayFloor && c.behind(c.srv.opts.MaxDelay)):
			switch {
			case drop && droppable:
				c.mu.Unlock()
				c.drop()
				return false
			case drop && queued <= 2*bound:
				c.probe() // a reply: queue it up to twice the bound
			default:
				c.mu.Unlock()
				c.slowDisconnect(bound)
				return false
			}
		case fl == nil || queued <= fl.hwm:
		case c.exempt:
			if droppable { // cut by flow control: policy drop over the mark
				c.mu.Unlock()
				c.drop()
				return false
			}
		default:
			// Tell flow control once per hold, not at every frame.
			if fc, ok := f.From.(*Conn); ok && (c.holding != fc || fc.readOff.Load()&readOffFlow == 0) {
				from, c.holding = fc, fc
			}
		}
	} else if c.exempt && queued <= c.srv.flow.lwm {
		c.exempt = false
	}
	if b == nil {
		b = getBatch(c)
		if c.srv.opts.MaxDelay > 0 {
			b.born = nanotime()
		}
		c.pending = b
	}
	b.buf = append(b.buf, hdr...)
	if f.Len() <= copyMax {
		b.buf = append(b.buf, f.B...)
	} else {
		f.Ref()
		b.parts = append(b.parts, part{end: len(b.buf), f: f})
	}
	b.bytes += n
	c.mu.Unlock()
	if from != nil && from != c {
		// A publisher subscribed to its own topic is never held by itself:
		// it could not read what it waits for while it blocks writing.
		c.srv.flow.holdBy(from, c)
	}
	return true
}

// drop counts a droppable frame refused over the bound (policy drop).
func (c *Conn) drop() {
	c.dropped.Add(1)
	c.srv.dropped.Add(1)
	c.srv.logDrop(c)
	c.probe()
}

// Flush hands the frames queued since the last Flush to the connection's
// event loop, which writes them in one Write (or writev, split at IOV_MAX
// vectors, when large frames are referenced); see realm.Peer.
//
// The conn, not the batch, goes on the loop's queue, once: until the loop
// takes the batch, later Sends append to it and later Flushes are free.
// Under load (the loop busy reading while the actor flushes batch after
// batch) a conn thus gets one write per loop turn instead of one per
// actor batch.
func (c *Conn) Flush() {
	c.mu.Lock()
	push := c.pending != nil && !c.closed && !c.inq
	if push {
		c.inq = true
	}
	c.mu.Unlock()
	if push {
		c.enqueue()
	}
}

// enqueue puts c on its loop's write queue; c.inq was set under c.mu, so
// c is queued at most once. It is called without c.mu held, because a
// queue may run at once on this goroutine (tests) and take c.mu.
func (c *Conn) enqueue() {
	if c.q == nil { // no event loop known (cannot happen after OnOpen)
		c.mu.Lock()
		b := c.pending
		c.pending = nil
		c.inq = false
		c.mu.Unlock()
		if b != nil {
			b.abandon()
		}
		return
	}
	c.q.push(c)
}

// take hands the pending batch to the loop's writer (event loop only, from
// outq.Run); nil when a close released it meanwhile.
func (c *Conn) take() *batch {
	c.mu.Lock()
	b := c.pending
	c.pending = nil
	c.inq = false
	if b != nil {
		c.submitted += b.bytes
		if b.born != 0 {
			c.ages.push(c.submitted, b.born)
		}
	}
	c.mu.Unlock()
	return b
}

// writeBatch writes b to the socket (event loop only, from outq.Run) and
// releases it; a closing batch then closes the connection once drained.
func (c *Conn) writeBatch(b *batch) {
	if c.gone {
		b.release()
		return
	}
	gc := c.gc
	var err error
	switch {
	case c.tls != nil:
		err = c.writeTLSBatch(b)
	case len(b.parts) > 0:
		err = c.writeParts(b)
	case len(b.buf) > 0:
		_, err = gc.Write(b.buf)
	}
	c.doneBytes += b.bytes
	if err == nil {
		c.storeAcked()
	}
	closeAfter := b.closeAfter
	b.release()
	if closeAfter {
		c.finishClose(gc, err)
	}
}

// writeParts writes a batch holding referenced frames with writev, at
// most IOV_MAX vectors per call.
func (c *Conn) writeParts(b *batch) error {
	vecs := b.vecs[:0]
	prev := 0
	for _, p := range b.parts {
		if p.end > prev {
			vecs = append(vecs, b.buf[prev:p.end])
		}
		vecs = append(vecs, p.f.B)
		prev = p.end
	}
	if prev < len(b.buf) {
		vecs = append(vecs, b.buf[prev:])
	}
	b.vecs = vecs
	for len(vecs) > 0 {
		n := min(len(vecs), iovMax)
		if _, err := c.gc.Writev(vecs[:n]); err != nil {
			return err
		}
		vecs = vecs[n:]
	}
	return nil
}

// Close ends the connection after what is queued is written: pending
// frames are flushed, then (WebSocket) a close frame with code 1000, or
// 1001 when reason mentions a shutdown, then the socket is closed once
// gnet's buffer drained. Idempotent, safe from any goroutine.
func (c *Conn) Close(reason string) {
	code := CloseNormal
	if strings.Contains(strings.ToLower(reason), "shutdown") {
		code = CloseGoingAway
	}
	c.CloseWith(code, reason)
}

// CloseWith is Close with an explicit WebSocket close code.
func (c *Conn) CloseWith(code uint16, reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	b := c.pending
	if b == nil {
		b = getBatch(c)
	}
	if c.transport == WebSocket {
		b.buf = appendWSClose(b.buf, code, reason)
	}
	b.closeAfter = true
	c.pending = b
	push := !c.inq
	c.inq = true
	c.mu.Unlock()
	if push {
		c.enqueue()
	}
	c.srv.log.Debug("netpoll: closing connection", "remote", c.remote, "reason", reason)
}

// slowDisconnect closes a connection whose outbound queue passed its bound
// (PolicyDisconnect, or PolicyDrop at twice the bound): what is queued is
// discarded, the socket closed at once.
func (c *Conn) slowDisconnect(bound int64) {
	if !c.markClosed() {
		return
	}
	c.srv.slow.Add(1)
	c.srv.log.Warn("netpoll: disconnecting slow consumer",
		"remote", c.remote, "reason", fmt.Sprintf("outbound queue over bound (%d bytes)", bound))
	_ = c.gc.Close()
}

// markClosed refuses further Sends and releases the pending batch. It
// reports whether this call closed the connection.
func (c *Conn) markClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closed = true
	if b := c.pending; b != nil {
		c.pending = nil
		b.release()
	}
	return true
}

// probe refreshes acked from the event loop, so a consumer that caught up
// gets frames again although no write is under way.
func (c *Conn) probe() {
	if c.probing.CompareAndSwap(false, true) {
		if err := c.gc.Wake(c.probeCB); err != nil {
			c.probing.Store(false)
		}
	}
}

// storeAcked publishes how much of what the loop wrote left gnet's buffer
// for the kernel, and returns what gnet still holds (event loop only).
func (c *Conn) storeAcked() (left int64) {
	left = int64(c.gc.OutboundBuffered())
	c.acked.Store(c.doneBytes - left)
	return left
}

func (c *Conn) onProbe(_ gnet.Conn, err error) error {
	if err == nil && !c.gone {
		c.storeAcked()
	}
	c.probing.Store(false)
	return nil
}

// finishClose runs on the event loop after the closing batch was handed to
// the socket: close now if gnet's buffer is empty, else let the ticker
// wake the conn until it drained (or drainTimeout passed).
func (c *Conn) finishClose(gc gnet.Conn, err error) {
	if err != nil || gc.OutboundBuffered() == 0 {
		_ = c.gc.Close()
		return
	}
	c.srv.watchDrain(c)
}

func (c *Conn) onDrain(gc gnet.Conn, err error) error {
	if err != nil || gc.OutboundBuffered() == 0 || nanotime() > c.drainBy.Load() {
		_ = c.gc.Close()
	}
	return nil
}

// batch is one Flush: small frames copied into buf (header + payload),
// large ones referenced in parts, in order. Batches are pooled, so a
// steady-state Flush allocates nothing of ours.
type batch struct {
	c          *Conn
	buf        []byte
	parts      []part
	vecs       [][]byte // scratch of writeParts (event loop)
	bytes      int64
	born       int64 // when its first frame was queued (only with MaxDelay)
	closeAfter bool
}

// part is a referenced frame written after buf[:end].
type part struct {
	end int
	f   *codec.Frame
}

// maxPooledBatch is the largest buffer a recycled batch keeps: a burst
// must not pin its memory in the pool.
const maxPooledBatch = 64 << 10

// batchPool is stateless for its users: any recycled batch is as good as
// a new one.
var batchPool = sync.Pool{New: func() any { return &batch{buf: make([]byte, 0, 512)} }}

func getBatch(c *Conn) *batch {
	b := batchPool.Get().(*batch)
	b.c = c
	return b
}

// abandon drops a batch that will never be written (the engine is
// shutting down), closing the connection when the batch was its last.
func (b *batch) abandon() {
	c, closeAfter := b.c, b.closeAfter
	b.release()
	if closeAfter {
		_ = c.gc.Close()
	}
}

// release drops the batch's frame references and recycles it.
func (b *batch) release() {
	for i := range b.parts {
		b.parts[i].f.Release()
		b.parts[i].f = nil
	}
	clear(b.vecs)
	b.vecs = b.vecs[:0]
	b.parts = b.parts[:0]
	b.buf = b.buf[:0]
	b.bytes, b.born = 0, 0
	b.closeAfter = false
	b.c = nil
	if cap(b.buf) > maxPooledBatch || cap(b.vecs) > 4*iovMax || cap(b.parts) > 4*iovMax {
		*b = batch{buf: make([]byte, 0, 512)}
	}
	batchPool.Put(b)
}
