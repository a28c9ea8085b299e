package netpoll

import (
	"fmt"
	"net"
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
	stateSniff       connState = iota // nothing read yet: 0x7F or HTTP?
	stateHTTP                         // accumulating the upgrade request
	stateRSHandshake                  // waiting for the 4 handshake octets
	stateOpen                         // transport up: frames
	stateClosing                      // closing: input is discarded
)

// iovMax is the most vectors one writev takes (IOV_MAX on Linux).
const iovMax = 1024

// Conn is one client connection. It implements realm.Peer structurally
// (Serializer, Send, Flush, Close); netpoll does not import realm.
//
// Ownership: fields under "event loop only" are touched only by the
// connection's gnet event loop; mu guards the sending side (pending batch,
// closed flag, transport) because Send/Flush run on the session's owner
// (the event loop, then the realm actor) while Close may come from any
// goroutine. mu is a leaf lock: nothing else is locked while it is held.
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
	ws     wsReader
	rs     rsReader
	ctrl   []byte // scratch for control frames written by the event loop

	mu        sync.Mutex
	transport Transport // guarded by mu until OnOpen, read-only afterwards
	pending   *batch    // frames queued since the last Flush
	closed    bool      // Close ran: Send refuses, nothing more is queued

	inflight    atomic.Int64 // bytes handed to gnet whose callback has not run
	outbuf      atomic.Int64 // gnet's OutboundBuffered, sampled on the event loop
	probing     atomic.Bool  // a Wake probe refreshing outbuf is in flight
	established atomic.Bool
	dropped     atomic.Uint64
	drainBy     atomic.Int64 // closing: give up waiting for the drain at this time

	probeCB gnet.AsyncCallback // bound once: no allocation per probe
	drainCB gnet.AsyncCallback
}

func newConn(s *Server, gc gnet.Conn, ln int, deadline int64) *Conn {
	c := &Conn{srv: s, gc: gc, ln: ln, deadline: deadline}
	if ra := gc.RemoteAddr(); ra != nil {
		c.remote = ra.String()
	}
	c.probeCB = c.onProbe
	c.drainCB = c.onDrain
	return c
}

// Serializer is the serializer negotiated by the transport handshake.
func (c *Conn) Serializer() codec.Serializer { return c.ser }

// Transport is the transport of the connection.
func (c *Conn) Transport() Transport { return c.transport }

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

// Dropped is the number of EVENTs the drop policy discarded on this conn.
func (c *Conn) Dropped() uint64 { return c.dropped.Load() }

// header is the transport header of f for this connection.
func (c *Conn) header(f *codec.Frame) []byte {
	if c.transport == RawSocket {
		return f.RSHeader()
	}
	return f.WSHeader()
}

// Send queues f (taking a reference) for the next Flush; see realm.Peer.
// Over the byte bound it applies the policy: drop droppable frames, or
// disconnect. It never blocks on the socket.
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
	queued := n + c.inflight.Load() + c.outbuf.Load()
	if c.pending != nil {
		queued += c.pending.bytes
	}
	if bound := c.srv.bound; queued > bound {
		drop := c.srv.opts.Policy == PolicyDrop
		switch {
		case drop && droppable:
			c.mu.Unlock()
			c.dropped.Add(1)
			c.srv.dropped.Add(1)
			c.srv.logDrop(c)
			c.probe()
			return false
		case drop && queued <= 2*bound:
			c.probe() // a reply: queue it up to twice the bound
		default:
			c.mu.Unlock()
			c.slowDisconnect(bound)
			return false
		}
	}
	b := c.pending
	if b == nil {
		b = getBatch(c)
		c.pending = b
	}
	f.Ref()
	b.vecs = append(b.vecs, hdr, f.B)
	b.frames = append(b.frames, f)
	b.bytes += n
	c.mu.Unlock()
	return true
}

// Flush hands the frames queued since the last Flush to gnet in one
// AsyncWritev (split at IOV_MAX vectors); see realm.Peer.
func (c *Conn) Flush() {
	c.mu.Lock()
	if b := c.pending; b != nil && !c.closed {
		c.pending = nil
		c.write(b)
	}
	c.mu.Unlock()
}

// write submits b to gnet; its callback releases the frames. c.mu is held,
// so batches reach gnet in Flush order and none after the closing one.
func (c *Conn) write(b *batch) {
	c.inflight.Add(b.bytes)
	vecs := b.vecs
	if len(vecs) == 0 { // a bare close before the transport was up
		if err := c.gc.Wake(b.cb); err != nil {
			_ = b.done(nil, err)
		}
		return
	}
	first := true
	for len(vecs) > iovMax {
		if err := c.gc.AsyncWritev(vecs[:iovMax], nil); err != nil {
			c.abandon(b, first)
			return
		}
		vecs, first = vecs[iovMax:], false
	}
	if err := c.gc.AsyncWritev(vecs, b.cb); err != nil {
		c.abandon(b, first)
	}
}

// abandon handles a batch gnet refused (engine shutting down). When part
// of it was already submitted, its frames are left to the GC rather than
// recycled under a pending write.
func (c *Conn) abandon(b *batch, nothingSubmitted bool) {
	if nothingSubmitted {
		_ = b.done(nil, net.ErrClosed)
		return
	}
	c.inflight.Add(-b.bytes)
	if b.closeAfter {
		_ = c.gc.Close()
	}
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
	c.pending = nil
	if b == nil {
		b = getBatch(c)
	}
	if c.transport == WebSocket {
		b.ctrl = appendWSClose(b.ctrl[:0], code, reason)
		b.vecs = append(b.vecs, b.ctrl)
	}
	b.closeAfter = true
	c.write(b)
	c.mu.Unlock()
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

// probe refreshes outbuf from the event loop, so a consumer that caught up
// gets frames again although no write (and so no callback) is under way.
func (c *Conn) probe() {
	if c.probing.CompareAndSwap(false, true) {
		if err := c.gc.Wake(c.probeCB); err != nil {
			c.probing.Store(false)
		}
	}
}

func (c *Conn) onProbe(gc gnet.Conn, err error) error {
	if err == nil {
		c.outbuf.Store(int64(gc.OutboundBuffered()))
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

// batch is one Flush: the iovecs (header + payload per frame) and the
// frames they point into, released by the AsyncWritev callback. Batches
// are pooled with their callback bound once, so a steady-state Flush
// allocates nothing of ours.
type batch struct {
	c          *Conn
	vecs       [][]byte
	frames     []*codec.Frame
	bytes      int64
	ctrl       []byte // a close frame owned by the batch
	closeAfter bool
	cb         gnet.AsyncCallback
}

// batchPool is stateless for its users: any recycled batch is as good as
// a new one.
var batchPool = sync.Pool{New: func() any {
	return &batch{vecs: make([][]byte, 0, 16), frames: make([]*codec.Frame, 0, 8)}
}}

func getBatch(c *Conn) *batch {
	b := batchPool.Get().(*batch)
	if b.cb == nil {
		b.cb = b.done // bound once per pooled batch
	}
	b.c = c
	return b
}

// done is the AsyncWritev callback (event loop): the bytes are in the
// socket or in gnet's own buffer, so the frames can go.
func (b *batch) done(gc gnet.Conn, err error) error {
	c := b.c
	c.inflight.Add(-b.bytes)
	if gc != nil && err == nil {
		c.outbuf.Store(int64(gc.OutboundBuffered()))
	}
	closeAfter := b.closeAfter
	b.release()
	if closeAfter {
		if gc == nil {
			_ = c.gc.Close()
		} else {
			c.finishClose(gc, err)
		}
	}
	return nil
}

// release drops the batch's frame references and recycles it.
func (b *batch) release() {
	for i, f := range b.frames {
		f.Release()
		b.frames[i] = nil
	}
	clear(b.vecs)
	b.vecs = b.vecs[:0]
	b.frames = b.frames[:0]
	b.bytes = 0
	b.closeAfter = false
	b.c = nil
	if cap(b.vecs) > 4*iovMax { // a huge burst: do not pin its arrays
		b.vecs = make([][]byte, 0, 16)
		b.frames = make([]*codec.Frame, 0, 8)
	}
	batchPool.Put(b)
}
