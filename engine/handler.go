package engine

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/netpoll"
	"github.com/wampd/wampd/realm"
)

// msgCountBatch is how many messages a connection counts locally before it
// adds them to the router's shared counter: one atomic add per batch keeps
// the event loops off a shared cache line on the hot path.
const msgCountBatch = 64

// handler is the engine's netpoll.Handler: it runs the session handshake on
// the event loops and hands joined sessions' messages to their realm.
//
// realms is read-only after New, so event loops read it without a lock.
// The counters are atomics; rngMu guards only the id generator.
type handler struct {
	log         *slog.Logger
	realms      map[string]*realmEntry
	maxSessions int64

	closing  atomic.Bool  // Shutdown began: new HELLOs are refused
	sessions atomic.Int64 // sessions admitted and not yet closed
	messages atomic.Uint64
	rejected atomic.Uint64 // HELLOs answered with ABORT

	ids   idGen
	roles rolesCache // what sessions keep of their HELLO, shared
	adm   *admission
	logs  sessionLogs
}

// realmEntry is one configured realm and what the handshake needs of it.
type realmEntry struct {
	r    *realm.Realm
	auth realmAuth

	// For /metrics, read at scrape time. messages is added to once per
	// msgCountBatch messages of a connection, beside handler.messages;
	// sessions changes at join and close only, never per message.
	messages atomic.Uint64
	sessions [numConnKinds]atomic.Int64 // network sessions joined now, by connKind
}

// connKind is a connection's transport and serializer as one small index,
// for the per-realm session gauges.
type connKind uint8

// numConnKinds covers netpoll.Transport (1, 2) times codec.Serializer
// (1..3); index 0 is a connection whose kind is unknown.
const numConnKinds = 1 + 2*3

var connKindTransports = [...]netpoll.Transport{netpoll.WebSocket, netpoll.RawSocket}

var connKindSerializers = [...]codec.Serializer{codec.JSON, codec.MsgPack, codec.CBOR}

// kindOf is the connKind of transport t with serializer s.
func kindOf(t netpoll.Transport, s codec.Serializer) connKind {
	if t < netpoll.WebSocket || t > netpoll.RawSocket || s < codec.JSON || s > codec.CBOR {
		return 0
	}
	return connKind(1 + int(t-netpoll.WebSocket)*3 + int(s-codec.JSON))
}

// transportSessions appends the non-zero session gauges of re.
func (re *realmEntry) transportSessions(out []TransportSessions) []TransportSessions {
	for i, tr := range connKindTransports {
		for j, ser := range connKindSerializers {
			if n := re.sessions[1+i*3+j].Load(); n != 0 {
				out = append(out, TransportSessions{Realm: re.r.Name(), Transport: tr.String(), Serializer: ser.String(), Sessions: n})
			}
		}
	}
	return out
}

// joined counts st's new session in its realm's gauges (st.re, st.kind).
func (st *connState) joined(re *realmEntry) {
	st.re = re
	re.sessions[st.kind].Add(1)
}

// connState is the per-connection state the handler stores in the Conn's
// context. Only the connection's event loop touches it.
type connState struct {
	sess   *realm.Session // nil until HELLO was accepted
	realm  *realm.Realm
	auth   *pending    // an admission in progress (admission.go), nil otherwise
	gen    uint64      // bumped at each reuse: a late auth step finds its state gone
	kicked bool        // a protocol violation was reported; ignore the rest
	msgs   uint64      // messages not yet added to handler.messages
	re     *realmEntry // the joined session's realm, for its counters; nil before
	kind   connKind    // transport and serializer, known at OnOpen
	// backlog counts what this connection posted and the actor has not
	// finished (flow control); nil when flow control is off.
	backlog *netpoll.Backlog
}

// statePool recycles connState: connections come and go by the thousand
// in benchmarks. It is stateless for its users.
var statePool = sync.Pool{New: func() any { return new(connState) }}

// OnOpen gives the connection its handshake state.
func (h *handler) OnOpen(c *netpoll.Conn) {
	st := statePool.Get().(*connState)
	st.kind = kindOf(c.Transport(), c.Serializer())
	st.backlog = c.Backlog()
	c.SetContext(st)
}

// OnMessage runs the handshake until the session joined, then copies each
// message once into a pooled Inbound, decodes it there and posts it to the
// realm. The steady-state path allocates nothing.
func (h *handler) OnMessage(c *netpoll.Conn, payload []byte) error {
	st, _ := c.Context().(*connState)
	if st == nil {
		return ErrProtocol // OnMessage without OnOpen: netpoll bug, close
	}
	if st.msgs++; st.msgs == msgCountBatch {
		h.countMessages(st)
	}
	if st.sess == nil {
		if p := st.auth; p != nil {
			if p.busy || p.state == nil {
				return h.abort(c, codec.ErrProtocolViolation, "message while the router is authenticating the session", ErrProtocol)
			}
			return h.authenticateMsg(c, st, payload)
		}
		return h.hello(c, st, payload)
	}
	if h.post(st, c.Serializer(), payload) {
		c.HandedOff()
	}
	return nil
}

// post is the steady-state path of OnMessage, apart from the Conn so that
// its benchmark needs no socket. It reports whether posting woke the
// realm's actor.
func (h *handler) post(st *connState, ser codec.Serializer, payload []byte) (woke bool) {
	if st.kicked {
		return false // the actor is closing the peer; drop what is in flight
	}
	// Zero-copy contract: payload may alias gnet's read buffer and is valid
	// only during this call; the realm runs later, so copy it once here.
	in := realm.NewInbound()
	in.Buf.B = append(in.Buf.B[:0], payload...)
	if err := codec.Decode(ser, in.Buf.B, &in.Msg); err != nil {
		in.Release()
		st.kicked = true
		st.realm.Kick(st.sess, codec.ErrProtocolViolation, err.Error())
		return false
	}
	in.Sess = st.sess
	if bl := st.backlog; bl != nil {
		bl.Add(len(payload))
		in.Backlog, in.BacklogN = bl, len(payload)
	}
	return st.realm.Post(in)
}

// countMessages adds the messages st counted locally to the router's
// total and, once joined, to its realm's: two atomic adds per
// msgCountBatch messages.
func (h *handler) countMessages(st *connState) {
	h.messages.Add(st.msgs)
	if st.re != nil {
		st.re.messages.Add(st.msgs)
	}
	st.msgs = 0
}

// OnClose tells the realm the session's transport is gone and recycles the
// connection state.
func (h *handler) OnClose(c *netpoll.Conn, err error) {
	st, _ := c.Context().(*connState)
	if st == nil {
		return
	}
	c.SetContext(nil)
	h.countMessages(st)
	orphan := st.auth != nil
	if orphan {
		// A step may still be running on the auth pool; its outcome will
		// find st.auth nil (on this same loop). st is not recycled: another
		// connection, maybe on another loop, must not get it meanwhile.
		st.auth.cancel() // a dynamic authenticator's wait ends
		st.auth = nil
	}
	if st.sess != nil {
		st.realm.Leave(st.sess)
		h.logLeave(c, st.sess, st.realm, err)
		h.sessions.Add(-1)
		if st.re != nil {
			st.re.sessions[st.kind].Add(-1)
		}
		// Every joined session holds a slot of the session limits (admission.take).
		h.adm.release(st.realm.Name(), st.sess.AuthID, c.RemoteAddr())
	}
	if orphan {
		return
	}
	gen := st.gen
	*st = connState{gen: gen + 1}
	statePool.Put(st)
}
