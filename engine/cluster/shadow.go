package cluster

import "github.com/wampd/wampd/codec"

// shadowPeer is the Peer of a shadow: a session of another node as this
// node's realm sees it (realm.RemotePeer). What the realm sends it (the
// RESULT or ERROR of a call it made here, a GOODBYE when it is killed)
// goes to its node as it was encoded, for that node to hand on.
type shadowPeer struct {
	l               *link
	to              string // the subject of its node's link (to.NODE)
	id              uint64
	ser             codec.Serializer
	transport, addr string
}

func (p *shadowPeer) Serializer() codec.Serializer { return p.ser }

// Send carries f to the session's node. It copies f (the link's queue
// outlives the frame) and never blocks.
func (p *shadowPeer) Send(f *codec.Frame, _ bool) bool {
	p.l.sendTo(p.to, kindDeliver, f.Ser, p.id, 0, 0, f.B)
	return true
}

// SendQuiet is Send for a kill_all's GOODBYE: the session's node closes
// it quietly.
func (p *shadowPeer) SendQuiet(f *codec.Frame) {
	p.l.sendTo(p.to, kindDeliver, f.Ser, p.id, 0, flagQuiet, f.B)
}

// Flush has nothing to do: the link's sender writes as it goes.
func (p *shadowPeer) Flush() {}

// Close does nothing: a shadow ends when its node says so (a GOODBYE sent
// before it is how a kill reaches the session).
func (p *shadowPeer) Close(string) {}

// Forward carries a CALL or CANCEL of local session from to the session's
// node, for it as callee; disclose is this node's authorizer's word.
func (p *shadowPeer) Forward(from uint64, ser codec.Serializer, raw []byte, disclose bool) {
	var flags byte
	if disclose {
		flags = flagDisclose
	}
	p.l.sendTo(p.to, kindCall, ser, from, p.id, flags, raw)
}

// TransportName and RemoteAddr are the session's own, as its node
// announced them (the session meta API shows them).
func (p *shadowPeer) TransportName() string { return p.transport }
func (p *shadowPeer) RemoteAddr() string    { return p.addr }
