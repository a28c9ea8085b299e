// Package netpoll is wampd's network layer: gnet event loops, the per
// connection state machine (RawSocket or WebSocket), framing, and batched
// outbound writes. It knows nothing of brokers or dealers: each complete
// WAMP message is handed to a Handler.
package netpoll

// Handler receives the WAMP messages of connections. Its methods run on the
// connection's event loop and must not block.
type Handler interface {
	// OnOpen is called once the transport handshake (WebSocket upgrade or
	// RawSocket handshake) has completed and the serializer is known.
	OnOpen(c *Conn)
	// OnMessage is called with one complete WAMP message. payload is valid
	// only during the call (zero-copy: it may alias gnet's read buffer);
	// whatever must outlive the call is copied. A non-nil error closes the
	// connection with the error as reason (the handler sends ABORT first
	// where the protocol asks for one).
	OnMessage(c *Conn, payload []byte) error
	// OnClose is called once when the connection is gone, whatever the
	// cause, if OnOpen was called for it.
	OnClose(c *Conn, err error)
}
