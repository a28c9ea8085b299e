package realm

import "github.com/wampd/wampd/codec"

// Backlog is told when the actor is done with a message of a transport
// that counts what it handed on (Inbound.Backlog): netpoll's flow control
// stops reading a connection whose messages pile up in the inbox.
type Backlog interface{ Done(n int) }

// sendFrom is send for a message that carries on what from sent (an
// INVOCATION of its CALL, a RESULT of its YIELD): the frame names from's
// peer, so that the transport's flow control slows from when to falls
// behind, as it slows a publisher (broker.dispatch sets the same for
// EVENTs).
func (r *Realm) sendFrom(to *Session, m *codec.Message, from *Session) bool {
	return r.sendAs(to, m, false, from.Peer)
}
