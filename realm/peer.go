package realm

import "github.com/wampd/wampd/codec"

// Peer is the sending side of a session's transport. netpoll's *Conn
// implements it; realm knows nothing of sockets.
//
// Send and Flush are called by one goroutine at a time: the session's
// current owner, which is the realm actor from Join on.
type Peer interface {
	// Serializer is the serializer the peer negotiated.
	Serializer() codec.Serializer
	// Send queues f for writing and takes its own reference (the caller
	// keeps its one). droppable marks an EVENT: when the peer's outbound
	// queue is over its byte bound and the policy is "drop", a droppable
	// frame is dropped and counted instead of queued. Send reports whether
	// f was queued. It never blocks.
	Send(f *codec.Frame, droppable bool) bool
	// Flush hands everything queued since the last Flush to the transport
	// in one batched write. Called once per touched peer per actor batch.
	Flush()
	// Close ends the transport after what is queued is written. reason is
	// logged and, for WebSocket, sent in the close frame. Safe from any
	// goroutine, idempotent.
	Close(reason string)
}

// PeerInfo is what a Peer may tell the session meta API of its transport
// (netpoll's *Conn and in-process sessions implement it); the realm keeps
// nothing of it per session.
type PeerInfo interface {
	TransportName() string // "websocket", "rawsocket", "local"
	RemoteAddr() string    // the client's address, "" when there is none
}

// QueueInfo is what a Peer may tell of its outbound queue (netpoll's
// *Conn and in-process sessions implement it), shown by wamp.session.get
// under the wampd extension key (see meta_session.go). Both are read on
// the actor while it answers the meta call, so they must be cheap and
// must not block on the transport.
type QueueInfo interface {
	QueuedBytes() int64 // bytes queued for the client and not yet handed to the kernel
	Dropped() uint64    // EVENTs the drop policy discarded for it
}
