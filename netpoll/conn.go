package netpoll

import "github.com/wampd/wampd/codec"

// Conn is one client connection after its transport handshake.
// TODO(netpoll helper): the real state machine and outbound queue.
type Conn struct {
	ser codec.Serializer
	ctx any
}

// Serializer is the negotiated serializer.
func (c *Conn) Serializer() codec.Serializer { return c.ser }

// SetContext stores the handler's per-connection state (event loop only).
func (c *Conn) SetContext(v any) { c.ctx = v }

// Context returns what SetContext stored.
func (c *Conn) Context() any { return c.ctx }

// Send queues f; see realm.Peer.
func (c *Conn) Send(f *codec.Frame, droppable bool) bool { return false }

// Flush writes what is queued; see realm.Peer.
func (c *Conn) Flush() {}

// Close ends the connection after queued writes; see realm.Peer.
func (c *Conn) Close(reason string) {}
