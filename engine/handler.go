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
}

// realmEntry is one configured realm and what the handshake needs of it.
type realmEntry struct {
	r         *realm.Realm
	anonymous bool
}

// connState is the per-connection state the handler stores in the Conn's
// context. Only the connection's event loop touches it.
type connState struct {
	sess   *realm.Session // nil until HELLO was accepted
	realm  *realm.Realm
	kicked bool   // a protocol violation was reported; ignore the rest
	msgs   uint64 // messages not yet added to handler.messages
}

// statePool recycles connState: connections come and go by the thousand
// in benchmarks. It is stateless for its users.
var statePool = sync.Pool{New: func() any { return new(connState) }}

// OnOpen gives the connection its handshake state.
func (h *handler) OnOpen(c *netpoll.Conn) {
	c.SetContext(statePool.Get().(*connState))
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
		h.messages.Add(st.msgs)
		st.msgs = 0
	}
	if st.sess == nil {
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
	return st.realm.Post(in)
}

// OnClose tells the realm the session's transport is gone and recycles the
// connection state.
func (h *handler) OnClose(c *netpoll.Conn, err error) {
	st, _ := c.Context().(*connState)
	if st == nil {
		return
	}
	c.SetContext(nil)
	h.messages.Add(st.msgs)
	if st.sess != nil {
		st.realm.Leave(st.sess)
		h.logLeave(c, st.sess, st.realm, err)
		h.sessions.Add(-1)
	}
	*st = connState{}
	statePool.Put(st)
}
