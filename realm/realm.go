// Package realm holds the realm actor: one goroutine per realm that alone
// owns the realm's sessions, broker and dealer tables, fed by a lock-free
// MPSC inbox drained in batches. It knows nothing of sockets: it sends
// through the Peer interface.
package realm

import (
	"log/slog"

	"github.com/valyala/bytebufferpool"

	"github.com/wampd/wampd/codec"
)

// Options configures a Realm.
type Options struct {
	Name   string
	Logger *slog.Logger
	// Batch is the most inbox items the actor handles before it flushes the
	// peers it touched (default 256).
	Batch int
}

// Realm is one WAMP realm. Its exported methods are safe from any goroutine;
// they enqueue work for the actor and return at once.
type Realm struct {
	opts Options
}

// New returns a realm; Start runs its actor.
func New(opts Options) *Realm { return &Realm{opts: opts} }

// Name is the realm's URI.
func (r *Realm) Name() string { return r.opts.Name }

// Start starts the actor goroutine.
func (r *Realm) Start() {}

// Stop sends GOODBYE (wamp.close.system_shutdown) to every session, flushes
// and closes their peers, then stops the actor and waits for it to exit.
func (r *Realm) Stop() {}

// Join hands a freshly authenticated session to the realm; the actor adds it
// and sends WELCOME. From this call on, only the actor uses s.Peer.
func (r *Realm) Join(s *Session) {}

// Post hands one decoded message of s to the actor, which takes ownership
// of in (and releases it).
func (r *Realm) Post(in *Inbound) {}

// Leave tells the actor that the transport of s is gone: its pending calls
// are answered with wamp.error.canceled, its subscriptions and registrations
// go away. Leave for a session already removed is a no-op.
func (r *Realm) Leave(s *Session) {}

// Kick makes the actor send ABORT(reason, details.message = message) to s,
// close its peer and remove it (used for a protocol violation found outside
// the actor, such as an undecodable message).
func (r *Realm) Kick(s *Session, reason codec.URI, message string) {}

// Session is one WAMP session joined (or joining) a realm. The exported
// fields are set by the engine before Join and read-only afterwards.
type Session struct {
	ID           uint64
	Peer         Peer
	AuthID       string
	AuthRole     string
	AuthMethod   string
	AuthProvider string
	// Hello is the HELLO details dict (client roles and features).
	Hello map[string]any
}

// Inbound is one decoded message on its way to the actor. Msg aliases
// Buf.B: the frame was copied once into Buf on the event loop, because
// gnet's read buffer is valid only inside OnTraffic.
type Inbound struct {
	Sess *Session
	Msg  codec.Message
	Buf  *bytebufferpool.ByteBuffer
}

// NewInbound returns a pooled Inbound with an empty Buf.
func NewInbound() *Inbound { return &Inbound{Buf: bytebufferpool.Get()} }
