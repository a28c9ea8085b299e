// Package realm holds the realm actor: one goroutine per realm that alone
// owns the realm's sessions, broker and dealer tables, fed by a lock-free
// MPSC inbox drained in batches. It knows nothing of sockets: it sends
// through the Peer interface.
//
// Concurrency: the exported methods of Realm are safe from any goroutine and
// only enqueue work. Everything else (the session table, broker, dealer,
// the unexported fields of Session) belongs to the actor goroutine; there is
// no mutex on any routing table. The only shared state is the inbox, the
// sleep flag and the atomic stats counters.
package realm

import (
	crand "crypto/rand"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wampd/wampd/codec"
)

// Options configures a Realm.
type Options struct {
	Name   string
	Logger *slog.Logger
	// Batch is the most inbox items the actor handles before it flushes the
	// peers it touched (default 256).
	Batch int
	// Spin is how long the actor keeps polling an empty inbox before it
	// parks; 0 (the default) parks at once. A parked actor costs a message
	// a goroutine wake-up on the way in, but on a machine whose cores are
	// all busy (router and load generator on 2 cores) spinning took CPU
	// from the event loops: 1x1 RPC fell from ~16k to 6-11k calls/s with
	// 10-50us of spin. Worth trying only with idle cores to spare.
	Spin time.Duration

	// NoMetaAPI turns the meta API off: no wamp.* procedures (calls get
	// no_such_procedure), no meta events, no testaments.
	NoMetaAPI bool
	// History names the topics whose last events the realm keeps for
	// wamp.subscription.get_events.
	History []HistoryRule
	// RetainedBytes bounds the retained events (0: 16 MiB; < 0 turns
	// retention off).
	RetainedBytes int64
	// Limits bounds what one session, and the realm, may hold.
	Limits Limits
	// Roles turns authorization on (see authorize.go): nil lets every
	// session do anything; non-nil denies whatever no rule allows.
	Roles []Role
}

// Limits are the realm's bounds on sessions' state; 0 means no bound.
// Each refusal is an ERROR wampd.error.limit_exceeded naming the limit.
type Limits struct {
	PendingCallsPerSession  int
	PendingCallsPerRealm    int
	SubscriptionsPerSession int
	RegistrationsPerSession int
}

// defaultBatch bounds the latency one busy batch adds to every flush.
const defaultBatch = 256

// Realm is one WAMP realm. Its exported methods are safe from any goroutine;
// they enqueue work for the actor and return at once.
type Realm struct {
	opts Options
	log  *slog.Logger

	box      mailbox
	sleeping atomic.Bool   // the actor is (about to be) blocked on wake
	wake     chan struct{} // 1-buffered: a wake-up is never lost, never blocks
	done     chan struct{} // closed when the actor exits
	started  atomic.Bool
	stopped  atomic.Bool
	stopOnce sync.Once

	stats   counters
	traffic traffic // messages by type: counted on the actor, published per batch
	latency latency // router-side call latency (latency.go)

	// Only the actor goroutine touches the fields below.
	clock    clock // coarse: read at most once per batch
	sessions map[uint64]*Session
	touched  []*Session
	broker   broker
	dealer   dealer
	rng      *rand.Rand
	// welcome caches the encoded WELCOME details (see welcomeDict);
	// welcomeBuf is the scratch one WELCOME's dict is assembled in.
	welcome    map[welcomeKey]*welcomeTemplate
	welcomeBuf []byte
	retained   retention
	history    history
	authz      authorizer
	cluster    Cluster // nil for a single node (cluster.go)
	nodeLost   bool    // a lost node's shadow is being removed (remoteLeave)
	// clusterPub is clusterPublish's scratch.
	clusterPub ClusterPublication
	metaBuf    []byte // scratch of metaEvent
	quiet      bool   // kill_all at work: no meta events, no testaments
	// filterEpoch stamps the sessions a black/white list names (filter.mark).
	filterEpoch uint32
	// current is the message being handled, held whether the realm kept
	// it (it waits for a dynamic authorizer).
	current *Inbound
	held    bool
	// testHook, set only by tests before Start, sees every message item.
	testHook func(*Inbound)
}

// New returns a realm; Start runs its actor.
func New(opts Options) *Realm {
	if opts.Batch <= 0 {
		opts.Batch = defaultBatch
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var seed [16]byte
	_, _ = crand.Read(seed[:]) // never fails on supported platforms
	r := &Realm{
		opts:     opts,
		log:      opts.Logger.With("realm", opts.Name),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		sessions: make(map[uint64]*Session),
		touched:  make([]*Session, 0, 64),
		clock:    clock{epoch: time.Now()},
		rng: rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]),
			binary.LittleEndian.Uint64(seed[8:]))),
	}
	r.box.init()
	r.broker.init()
	r.dealer.init()
	r.retained.init(opts.RetainedBytes, &r.stats)
	r.history.init(opts.History, &r.stats)
	r.authz.init(opts.Roles)
	return r
}

// Name is the realm's URI.
func (r *Realm) Name() string { return r.opts.Name }

// Start starts the actor goroutine. It is owned by the realm and ends with
// Stop. A second Start is a no-op.
func (r *Realm) Start() {
	if r.started.Swap(true) {
		return
	}
	go r.run()
}

// Stop sends GOODBYE (wamp.close.system_shutdown) to every session, flushes
// and closes their peers, then stops the actor and waits for it to exit.
// Stop of a realm never started returns at once.
func (r *Realm) Stop() {
	r.stopOnce.Do(func() {
		r.stopped.Store(true)
		if !r.started.Load() {
			close(r.done)
			return
		}
		r.enqueue(&Inbound{kind: itemStop})
	})
	<-r.done
}

// Join hands a freshly authenticated session to the realm; the actor adds it
// and sends WELCOME. From this call on, only the actor uses s.Peer.
// A session joining a stopped realm gets ABORT wamp.close.system_shutdown.
func (r *Realm) Join(s *Session) {
	if r.stopped.Load() {
		// The actor is gone, so the caller is still the peer's owner.
		sendClose(s.Peer, codec.Abort, codec.CloseSystemShutdown, "realm is shutting down", false)
		s.Peer.Flush()
		s.Peer.Close(codec.CloseSystemShutdown)
		return
	}
	r.enqueue(&Inbound{kind: itemJoin, Sess: s})
}

// Post hands one decoded message of s to the actor, which takes ownership
// of in (and releases it). It reports whether the actor was asleep and
// this post woke it: the caller may then yield its processor to it.
func (r *Realm) Post(in *Inbound) (woke bool) {
	in.kind = itemMessage
	return r.enqueue(in)
}

// Leave tells the actor that the transport of s is gone: its pending calls
// are answered with wamp.error.canceled, its subscriptions and registrations
// go away. Leave for a session already removed is a no-op.
func (r *Realm) Leave(s *Session) { r.enqueue(&Inbound{kind: itemLeave, Sess: s}) }

// Kick makes the actor send ABORT(reason, details.message = message) to s,
// close its peer and remove it (used for a protocol violation found outside
// the actor, such as an undecodable message).
func (r *Realm) Kick(s *Session, reason codec.URI, message string) {
	in := &Inbound{kind: itemKick, Sess: s}
	in.Msg.URI = reason
	in.Msg.Options.Message = message
	r.enqueue(in)
}

// enqueue pushes one item and wakes the actor if it sleeps (reporting
// whether it did). The flag is
// checked after the push is complete, and the actor sets it before its last
// look at the queue, so one of the two always sees the other: no lost
// wake-up, and no channel operation while the actor is busy.
func (r *Realm) enqueue(in *Inbound) (woke bool) {
	r.box.push(in)
	if r.sleeping.Load() && r.sleeping.CompareAndSwap(true, false) {
		select {
		case r.wake <- struct{}{}:
		default:
		}
		return true
	}
	return false
}

// run is the actor loop: drain up to Batch items, flush the touched peers,
// sleep when the inbox is empty.
func (r *Realm) run() {
	defer close(r.done)
	for {
		n, stop := r.drain()
		if stop {
			return
		}
		if n > 0 || r.spin() {
			continue
		}
		r.sleeping.Store(true)
		if n, stop = r.drain(); stop {
			return
		}
		if n > 0 {
			r.sleeping.Store(false)
			continue
		}
		r.publish() // idle: a scrape now sees exact counters
		<-r.wake
		r.sleeping.Store(false)
	}
}

// spin polls the inbox for up to Options.Spin and reports whether an item
// came. It yields the processor between looks, so event loops waiting for
// a P are not held up by the spinning actor.
func (r *Realm) spin() bool {
	if r.opts.Spin <= 0 {
		return false
	}
	deadline := time.Now().Add(r.opts.Spin)
	for i := 1; ; i++ {
		if !r.box.empty() {
			return true
		}
		if i%8 == 0 && time.Now().After(deadline) {
			return false
		}
		runtime.Gosched()
	}
}

// drain handles up to Batch items, then flushes every peer it sent to. It
// reports how many items it handled and whether a stop item came.
func (r *Realm) drain() (n int, stop bool) {
	for n < r.opts.Batch {
		in := r.box.pop()
		if in == nil {
			break
		}
		n++
		if in.kind == itemStop {
			r.shutdown()
			return n, true
		}
		r.handleItem(in)
	}
	r.flush()
	return n, false
}

// handleItem dispatches one inbox item.
func (r *Realm) handleItem(in *Inbound) {
	switch in.kind {
	case itemMessage:
		if r.testHook != nil {
			r.testHook(in)
		}
		r.current, r.held = in, false
		r.handle(in)
		r.current = nil
		if !r.held { // else it waits for a dynamic authorizer (Realm.park)
			in.Release()
		}
		r.held = false
	case itemJoin:
		r.join(in.Sess)
	case itemLeave:
		r.remove(in.Sess)
	case itemKick:
		if in.Sess.state == stateJoined {
			r.closeSession(in.Sess, codec.Abort, in.Msg.URI, in.Msg.Options.Message)
		}
	case itemTimeout:
		r.dealer.timeout(r, in.Sess, in.Msg.Request)
	case itemRemote:
		r.current = in
		r.handleRemote(in)
		r.current = nil
		in.Release()
	case itemRemoteJoin:
		r.remoteJoin(in.Sess)
	case itemRemoteLeave:
		r.remoteLeave(in.ctl.(*remoteLeave))
	case itemRemoteRegistered:
		r.dealer.registered(r, in.ctl.(*ClusterRegistered))
	case itemRemoteRegistration:
		r.dealer.reconcile(r, in.ctl.(*ClusterRegistration))
	case itemRemoteSubscribed:
		r.broker.remoteSubscribed(r, in.ctl.(*remoteSub))
	case itemRemoteLookedUp:
		if s := r.sessions[in.Msg.ID]; s != nil && !s.remote && s.more != nil {
			r.resumeWaiting(s, nil)
		}
	}
}

// publishEvery is how many batches a busy actor flushes between two
// publications of its traffic and latency counters; an idle one publishes
// before it parks. At one publication per batch, the atomic stores cost
// an RPC step (a batch of one message) ~30 ns, as much as its clock read.
const publishEvery = 64

// publish makes the actor's traffic and latency counters visible to
// Realm.Traffic and Realm.CallLatency (actor only). A scrape sees them as
// of the last publication: at most publishEvery batches old while the
// actor is busy, exact once it is idle.
func (r *Realm) publish() {
	r.traffic.publish()
	r.latency.publish()
}

// flush calls Flush once on every peer sent to since the last flush, and
// ends the batch for the coarse clock (and every publishEvery batches,
// for the counters).
func (r *Realm) flush() {
	r.clock.tick()
	if r.traffic.batches++; r.traffic.batches%publishEvery == 0 {
		r.publish()
	}
	for i, s := range r.touched {
		s.touched = false
		if s.state != stateClosed {
			s.Peer.Flush()
		}
		r.touched[i] = nil
	}
	r.touched = r.touched[:0]
}

// shutdown says GOODBYE to every session and closes them, then refuses
// the joins still queued behind the stop item (actor only).
func (r *Realm) shutdown() {
	for _, s := range r.sessions {
		if s.remote { // its own node says goodbye to it
			continue
		}
		r.closeSession(s, codec.Goodbye, codec.CloseSystemShutdown, "router is shutting down")
	}
	r.flush()
	r.publish()
	// Known debt: an item pushed after this loop (a Join racing Stop past
	// its stopped check) is never handled.
	for in := r.box.pop(); in != nil; in = r.box.pop() {
		switch in.kind {
		case itemJoin:
			sendClose(in.Sess.Peer, codec.Abort, codec.CloseSystemShutdown, "realm is shutting down", false)
			in.Sess.Peer.Flush()
			in.Sess.Peer.Close(codec.CloseSystemShutdown)
		case itemMessage, itemRemote:
			in.Release()
		}
	}
}

// newID returns a random id in [1, 2^53]. It draws from the actor's own
// generator, not the engine's session id generator (engine/handshake.go's
// idGen, shared by the event loops under a mutex): only the actor calls
// it, so it needs no lock on the publish path.
func (r *Realm) newID() uint64 { return r.rng.Uint64N(codec.MaxID) + 1 }

// freshID returns a random id that is not a key of inUse (subscription and
// registration ids must be unique within the realm).
func freshID[V any](r *Realm, inUse map[uint64]V) uint64 {
	for {
		id := r.newID()
		if _, dup := inUse[id]; !dup {
			return id
		}
	}
}

// Stats is a snapshot of a realm's counters.
type Stats struct {
	Sessions  int64 // sessions joined now
	Published int64 // publications accepted
	Delivered int64 // events queued to subscribers
	Dropped   int64 // events a slow subscriber's peer refused (Send false)
	Calls     int64 // calls routed to a callee (or answered by the router)

	RetainedBytes   int64 // bytes of retained events kept now
	RetainedEvicted int64 // retained topics forgotten to stay under the bound
	HistoryBytes    int64 // bytes of event history kept now
	HistoryEvicted  int64 // history events dropped by a rule's bounds
	Denied          int64 // requests refused by the realm's authorization
}

// counters are written by the actor and read by anyone.
type counters struct {
	sessions, published, delivered, dropped, calls atomic.Int64
	retainedBytes, retainedEvicted                 atomic.Int64
	historyBytes, historyEvicted                   atomic.Int64
	denied                                         atomic.Int64
}

// Stats returns a snapshot of the counters; safe from any goroutine.
func (r *Realm) Stats() Stats {
	return Stats{
		Sessions:        r.stats.sessions.Load(),
		Published:       r.stats.published.Load(),
		Delivered:       r.stats.delivered.Load(),
		Dropped:         r.stats.dropped.Load(),
		Calls:           r.stats.calls.Load(),
		RetainedBytes:   r.stats.retainedBytes.Load(),
		RetainedEvicted: r.stats.retainedEvicted.Load(),
		HistoryBytes:    r.stats.historyBytes.Load(),
		HistoryEvicted:  r.stats.historyEvicted.Load(),
		Denied:          r.stats.denied.Load(),
	}
}
