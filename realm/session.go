package realm

import (
	"sync"
	"sync/atomic"

	"github.com/valyala/bytebufferpool"

	"github.com/wampd/wampd/codec"
)

// Session is one WAMP session joined (or joining) a realm. The exported
// fields are set by the engine before Join and read-only afterwards.
type Session struct {
	ID           uint64
	Peer         Peer
	AuthID       string
	AuthRole     string
	AuthMethod   string
	AuthProvider string
	// AuthExtra is WELCOME.Details.authextra (wamp-scram's verifier, a
	// dynamic authenticator's extra); nil when there is none.
	AuthExtra map[string]any
	// Hello is the HELLO details dict (client roles and features).
	Hello map[string]any

	// Only the realm's actor goroutine touches the fields below.
	state   sessionState
	touched bool
	remote  bool // a shadow of another node's session (cluster.go)
	ser     codec.Serializer
	feat    features            // client features the realm acts on, from Hello (see features)
	subs    map[uint64]struct{} // subscription ids
	regs    map[uint64]struct{} // registration ids
	invSeq  uint64              // last INVOCATION request id sent to this callee
	invs    map[uint64]*call    // as callee: invocation request id -> call
	calls   map[uint64]*call    // as caller: CALL request id -> call
	more    *sessionMore        // what few sessions need; nil until one of them does
	// excludeMark and eligibleMark are the filter epoch of the last
	// publication whose exclude or eligible list named this session.
	excludeMark, eligibleMark uint32
}

// sessionMore is the state of a session that most sessions never have:
// kept out of line so an idle session stays small (an idle session's size
// is wampd's memory per session).
type sessionMore struct {
	ended      map[uint64]struct{} // as caller: progressive CALLs ended early (their chunks are dropped)
	testaments testaments          // wamp.session.add_testament
	waiting    []*Inbound          // messages waiting for a dynamic authorizer, in order (see Realm.park)
}

// extra returns s.more, made on first use.
func (s *Session) extra() *sessionMore {
	if s.more == nil {
		s.more = new(sessionMore)
	}
	return s.more
}

// features are the client features a session announced that change what
// the realm sends it.
type features uint16

const (
	featKnown         features = 1 << iota // feat has been read from Hello
	featCanceling                          // callee call_canceling (or call_cancelling)
	featCallerPCI                          // caller progressive_call_invocations
	featCalleePCI                          // callee progressive_call_invocations
	featCallerPPT                          // caller payload_passthru_mode
	featCalleePPT                          // callee payload_passthru_mode
	featPublisherPPT                       // publisher payload_passthru_mode
	featSubRevocation                      // subscriber subscription_revocation
	featRegRevocation                      // callee registration_revocation
)

// features returns the client features of s, read from its HELLO on first
// use: a join does not pay for the lookups (about a fifth of what
// BenchmarkJoin_Welcome measured), and most sessions never ask.
func (s *Session) features() features {
	if s.feat&featKnown == 0 {
		s.feat = helloFeatures(s.Hello) | featKnown
	}
	return s.feat
}

// canceling reports whether s, as a callee, takes INTERRUPTs.
func (s *Session) canceling() bool { return s.features()&featCanceling != 0 }

// helloFeatures reads the features of hello.
func helloFeatures(hello map[string]any) features {
	var f features
	// The progressive call invocations section spells it call_cancelling.
	if helloFeature(hello, "callee", "call_canceling") || helloFeature(hello, "callee", "call_cancelling") {
		f |= featCanceling
	}
	for _, x := range [...]struct {
		role, name string
		bit        features
	}{
		{"caller", "progressive_call_invocations", featCallerPCI},
		{"callee", "progressive_call_invocations", featCalleePCI},
		{"caller", "payload_passthru_mode", featCallerPPT},
		{"callee", "payload_passthru_mode", featCalleePPT},
		{"publisher", "payload_passthru_mode", featPublisherPPT},
		{"subscriber", "subscription_revocation", featSubRevocation},
		{"callee", "registration_revocation", featRegRevocation},
	} {
		if helloFeature(hello, x.role, x.name) {
			f |= x.bit
		}
	}
	return f
}

// lazyMap makes *m on first use; see Realm.join.
func lazyMap[K comparable, V any](m *map[K]V) map[K]V {
	if *m == nil {
		*m = make(map[K]V)
	}
	return *m
}

// sessionState is where a session is in its life inside the realm.
type sessionState uint8

const (
	stateNew    sessionState = iota // Join not handled yet
	stateJoined                     // WELCOME sent
	stateClosed                     // removed; its peer is closed or gone
)

// itemKind tells the actor what an inbox item is.
type itemKind uint8

const (
	itemMessage itemKind = iota
	itemJoin
	itemLeave
	itemKick
	itemTimeout
	itemStop
	itemRemote             // a message from another node (Inbound.Remote)
	itemRemoteJoin         // a shadow joins
	itemRemoteLeave        // a shadow leaves (Msg.ID)
	itemRemoteRegistered   // the cluster's answer to a REGISTER (ctl)
	itemRemoteRegistration // a change of the cluster's registration table (ctl)
	itemRemoteLookedUp     // a Cluster.Lookup of session Msg.ID is done
	itemRemoteSubscribed   // a shadow's subscription (ctl)
)

// Inbound is one decoded message on its way to the actor. Msg aliases
// Buf.B: the frame was copied once into Buf on the event loop, because
// gnet's read buffer is valid only inside OnTraffic. It is also the node of
// the realm's inbox (intrusive queue), so posting allocates nothing.
type Inbound struct {
	Sess *Session
	Msg  codec.Message
	Buf  *bytebufferpool.ByteBuffer

	// ext is Msg.Options.Ext: Decode keeps the rarer option keys here, so
	// a message with them allocates nothing either.
	ext  codec.OptionsExt
	next atomic.Pointer[Inbound]
	kind itemKind

	// Backlog, when set, is told BacklogN bytes are done when in is
	// released (see realm.Backlog).
	Backlog  Backlog
	BacklogN int

	// Remote is what a message from the cluster link is (cluster.go).
	Remote RemoteInfo
	ctl    any // the payload of a cluster control item
	// lookedUp marks a CALL that waited for a read of the cluster's table
	// (Cluster.Lookup): handled again, a second miss is an error. It is the
	// message's, not the realm's, so that a CALL that also waits for a
	// dynamic authorizer is looked up once however the two waits follow.
	lookedUp bool
}

// maxPooledInbound is the largest buffer an Inbound keeps when recycled;
// larger ones go back to bytebufferpool, which calibrates what it keeps.
const maxPooledInbound = 64 << 10

// inboundPool is stateless for its users (any recycled Inbound is as good
// as a new one), so sharing it is not shared mutable state.
var inboundPool = sync.Pool{New: func() any { return &Inbound{Buf: bytebufferpool.Get()} }}

// NewInbound returns a pooled Inbound with an empty Buf.
func NewInbound() *Inbound {
	in := inboundPool.Get().(*Inbound)
	if in.Buf == nil {
		in.Buf = bytebufferpool.Get()
	}
	in.Msg.Options.Ext = &in.ext
	return in
}

// Release recycles in. Post takes ownership (the actor releases); a caller
// that does not Post (a decode error) releases it itself. Msg must not be
// used afterwards: it aliases Buf.
func (in *Inbound) Release() {
	if in.Backlog != nil {
		in.Backlog.Done(in.BacklogN)
		in.Backlog = nil
	}
	in.Sess = nil
	in.Remote = RemoteInfo{}
	in.ctl = nil
	in.lookedUp = false
	in.Msg.Reset()
	in.ext.Reset() // nothing aliasing the old buffer stays
	in.kind = itemMessage
	if in.Buf != nil && cap(in.Buf.B) > maxPooledInbound {
		bytebufferpool.Put(in.Buf)
		in.Buf = nil
	} else if in.Buf != nil {
		in.Buf.Reset()
	}
	inboundPool.Put(in)
}

// join adds s and sends WELCOME.
func (r *Realm) join(s *Session) {
	if s.state != stateNew {
		return
	}
	s.state = stateJoined
	s.ser = s.Peer.Serializer()
	// subs, regs, invs and calls stay nil until first written (reading,
	// ranging over and deleting from a nil map is fine): an idle session
	// costs 4 map headers less (~190 B of the 4 KiB budget per session).
	r.sessions[s.ID] = s
	r.stats.sessions.Add(1)
	m := codec.Message{Type: codec.Welcome, ID: s.ID}
	if d := r.welcomeDict(s); d != nil {
		m.Dict, m.PayloadSer = d, s.ser
	} else {
		m.Details = r.welcomeDetails(s)
	}
	r.send(s, &m, false)
	if r.cluster != nil {
		r.cluster.Joined(s)
	}
	if r.watched(metaOnJoin) {
		r.metaEvent(metaOnJoin, []any{r.sessionDetails(s)})
	}
}

// remove takes s out of the realm: its subscriptions, registrations and
// pending calls go away. It does not touch the peer.
func (r *Realm) remove(s *Session) {
	if s.state != stateJoined {
		s.state = stateClosed
		return
	}
	s.state = stateClosed
	delete(r.sessions, s.ID)
	if !s.remote {
		r.stats.sessions.Add(-1)
		if r.cluster != nil {
			r.cluster.Left(s.ID, r.quiet)
		}
	}
	r.dropWaiting(s)
	r.broker.removeSession(r, s)
	r.dealer.removeSession(r, s)
	if s.more != nil {
		r.fireTestaments(s)
	}
	if r.watched(metaOnLeave) {
		r.metaEvent(metaOnLeave, []any{s.ID, s.AuthID, s.AuthRole})
	}
}

// closeSession sends ABORT or GOODBYE (typ) with reason and message, flushes
// and closes the peer, and removes s.
func (r *Realm) closeSession(s *Session, typ codec.Type, reason codec.URI, message string) {
	if s.state != stateJoined {
		return
	}
	if n := sendClose(s.Peer, typ, reason, message, r.quiet && s.remote); n > 0 {
		r.traffic.sent(typ, n)
	}
	s.Peer.Flush()
	s.Peer.Close(reason)
	r.remove(s)
}

// sendClose encodes and sends an ABORT or GOODBYE on p (not flushed). It
// returns the bytes queued, 0 when the peer refused the message. quiet
// (kill_all of a shadow) has the session's node close it quietly too.
func sendClose(p Peer, typ codec.Type, reason codec.URI, message string, quiet bool) (n int) {
	m := codec.Message{Type: typ, URI: reason}
	if message != "" {
		m.Options.Has = codec.HasMessage
		m.Options.Message = message
	}
	ser := p.Serializer()
	f := codec.NewFrame(ser)
	var err error
	if f.B, err = codec.Append(ser, f.B, &m); err == nil {
		f.Seal()
		rp, remote := p.(RemotePeer)
		switch {
		case quiet && remote:
			rp.SendQuiet(f)
			n = f.Len()
		case p.Send(f, false):
			n = f.Len()
		}
	}
	f.Release()
	return n
}

// send encodes m for s, queues it and marks s for the batch flush. It
// reports whether the peer queued it.
func (r *Realm) send(s *Session, m *codec.Message, droppable bool) bool {
	return r.sendAs(s, m, droppable, nil)
}

// sendAs is send for a frame that names from (a Peer, or nil) as its
// sender, for the transport's flow control (see sendFrom).
func (r *Realm) sendAs(s *Session, m *codec.Message, droppable bool, from any) bool {
	f := r.encode(s.ser, m)
	if f == nil {
		return false
	}
	f.From = from
	ok := r.queue(s, f, m.Type, droppable)
	f.Release()
	return ok
}

// sendFrame queues an encoded EVENT frame on s: the broker's fan-out,
// which encodes once and shares the frame (the peer takes its own
// reference). It counts nothing itself: the broker counts what it
// delivered (Stats.Delivered, which Traffic adds to Sent[EVENT]; their
// bytes are a known debt, see Traffic). Counting here pushed it over the
// inliner's budget (79 of 80) and cost the fan-out 21 of 144 instructions
// per subscriber; anything else goes through send, or queue with its type.
func (r *Realm) sendFrame(s *Session, f *codec.Frame, droppable bool) bool {
	if !s.touched {
		s.touched = true
		r.touched = append(r.touched, s)
	}
	return s.Peer.Send(f, droppable)
}

// queue hands f, a message of type typ, to the peer of s, marks s for the
// batch flush and counts what the peer took.
func (r *Realm) queue(s *Session, f *codec.Frame, typ codec.Type, droppable bool) bool {
	if !s.touched {
		s.touched = true
		r.touched = append(r.touched, s)
	}
	if !s.Peer.Send(f, droppable) {
		return false
	}
	r.traffic.sent(typ, f.Len())
	return true
}

// sendError sends ERROR [8, reqType, req, {}, uri, [message]] to s.
func (r *Realm) sendError(s *Session, reqType codec.Type, req uint64, uri codec.URI, message string) {
	m := codec.Message{Type: codec.Error, ReqType: reqType, Request: req, URI: uri}
	if message != "" {
		m.Args, m.PayloadSer = errorArgs(s.ser, message)
	}
	r.send(s, &m, false)
}

// countReceived counts in, a message from a session, in the realm's traffic.
func (r *Realm) countReceived(in *Inbound) {
	n := 0
	if in.Buf != nil { // nil for a message made in process (tests)
		n = len(in.Buf.B)
	}
	r.traffic.received(in.Msg.Type, n)
}

// handle routes one message of a joined session (actor only).
func (r *Realm) handle(in *Inbound) {
	s := in.Sess
	if s == nil || s.more == nil || len(s.more.waiting) == 0 || s.more.waiting[0] != in {
		// Counted once: a message handled again after its dynamic
		// authorizer answered (resume) is the head of s.more.waiting.
		r.countReceived(in)
	}
	if s == nil || s.state != stateJoined {
		return // the session left before its last messages were handled
	}
	if s.more != nil && r.queued(in) {
		return // behind a message waiting for a dynamic authorizer
	}
	m := &in.Msg
	switch m.Type {
	case codec.Publish:
		r.broker.publish(r, s, m)
	case codec.Subscribe:
		r.broker.subscribe(r, s, m)
	case codec.Unsubscribe:
		r.broker.unsubscribe(r, s, m)
	case codec.Call:
		r.dealer.call(r, s, m)
	case codec.Yield:
		r.dealer.yield(r, s, m)
	case codec.Register:
		r.dealer.register(r, s, m)
	case codec.Unregister:
		r.dealer.unregister(r, s, m)
	case codec.Cancel:
		r.dealer.cancel(r, s, m)
	case codec.Error:
		if m.ReqType != codec.Invocation {
			r.closeSession(s, codec.Abort, codec.ErrProtocolViolation,
				"ERROR from a client must answer an INVOCATION, not "+m.ReqType.String())
			return
		}
		r.dealer.calleeError(r, s, m)
	case codec.Goodbye:
		r.closeSession(s, codec.Goodbye, codec.CloseGoodbyeAndOut, "")
	case codec.Abort:
		s.Peer.Close(m.URI)
		r.remove(s)
	default:
		r.closeSession(s, codec.Abort, codec.ErrProtocolViolation,
			"unexpected "+m.Type.String()+" message from a joined session")
	}
}
