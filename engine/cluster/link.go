package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/realm"
)

// outQueue bounds what a realm's actor has handed its link and the link
// has not yet given NATS; past it a message is dropped and counted
// (Stats.Dropped), the actor never waits.
const outQueue = 1 << 16

// evQueue bounds the publications received from NATS and not yet posted
// to the realm (nats.go counts what it drops past it as a slow consumer).
const evQueue = 1 << 16

// link is one realm's side of the cluster: the realm.Cluster its actor
// calls, the sender goroutine that gives NATS what the actor queued, and
// the NATS handlers that post what other nodes sent to the actor.
type link struct {
	n    *Node
	r    *realm.Realm
	subj subjects
	out  chan outMsg
	reg  *registry

	mu      sync.Mutex                      // guards local, remote, hellos, subs and left
	subs    map[*nats.Subscription]struct{} // the link's NATS subscriptions (their drops are counted)
	local   map[uint64]*localSession        // this node's sessions of the realm (snapshots)
	remote  map[string]map[uint64]struct{}  // other nodes' sessions shadowed here, by node
	hellos  map[string]map[string]any       // shadows' HELLO details by their roles' JSON
	left    recentSet                       // sessions of other nodes that left lately
	dropped uint64                          // slow-consumer drops of subscriptions gone

	// Only the sender goroutine touches interest.
	interest map[string]*interestSub
	batch    []byte    // the sender's scratch
	batchRun []*[]byte // the sender's scratch: the envelopes of one batch
	// evSubjects caches topics' event subjects (the actor's: Publish).
	evSubjects map[string]string
	evCh       chan *nats.Msg
	ctlCh      chan *nats.Msg // announcements and messages for this node, in order
	// evBack and ctlBack bound what events and control posted to the
	// realm and the actor has not handled yet (backlog.go).
	evBack, ctlBack *backlog
}

// interestSub is one NATS subscription for publications, shared by the
// local subscriptions that need it.
type interestSub struct {
	sub  *nats.Subscription
	refs int
}

// outMsg is one item of the sender's queue.
type outMsg struct {
	op      outOp
	subject string
	buf     *[]byte // opPublish: a pooled envelope (newEnvelope)
	data    []byte  // opTestament: the CALL
	topic   string
	match   codec.Match
	sess    *realm.Session
	id      uint64
	quiet   bool
	ser     codec.Serializer
}

type outOp uint8

const (
	opPublish  outOp = iota // buf to subject
	opInterest              // subscribe (topic, match)
	opNoInterest
	opJoined    // announce sess
	opLeft      // announce id
	opTestament // announce a testament CALL of id
	opSub       // announce a subscription of id
	opUnsub
)

// localSession is what a node keeps of its own session for the snapshots
// other nodes ask for: the session itself (its exported fields are
// read-only once it joined, so the snapshot reads them there) and what
// it did since that a join announcement does not say.
type localSession struct {
	s     *realm.Session
	subs  []subRef
	tests []testamentRef
}

// announce is a session join or leave on a realm's sess subject, and an
// item of a snapshot.
type announce struct {
	Op           string          `json:"op"` // "join" or "leave"
	Node         string          `json:"node"`
	Boot         string          `json:"boot"`
	ID           uint64          `json:"id"`
	AuthID       string          `json:"authid,omitempty"`
	AuthRole     string          `json:"authrole,omitempty"`
	AuthMethod   string          `json:"authmethod,omitempty"`
	AuthProvider string          `json:"authprovider,omitempty"`
	Ser          uint8           `json:"ser,omitempty"`
	Transport    string          `json:"transport,omitempty"`
	Addr         string          `json:"addr,omitempty"`
	Roles        json.RawMessage `json:"roles,omitempty"` // HELLO.Details.roles
	Quiet        bool            `json:"quiet,omitempty"` // leave: kill_all, no testaments
	Msg          []byte          `json:"msg,omitempty"`   // testament: the CALL, in Ser
	Topic        string          `json:"topic,omitempty"` // sub, unsub
	Match        uint8           `json:"match,omitempty"`
	// Subs are a joined session's subscriptions, Tests its testament
	// CALLs in order (snapshots only).
	Subs  []subRef       `json:"subs,omitempty"`
	Tests []testamentRef `json:"tests,omitempty"`
}

// testamentRef is one add_testament or flush_testaments CALL of a session.
type testamentRef struct {
	Ser uint8  `json:"s"`
	Msg []byte `json:"m"`
}

// maxTestamentCalls bounds the testament CALLs a node keeps per session
// for snapshots: more than the realm's testaments per scope can need.
const maxTestamentCalls = 128

// subRef is one subscription of a session.
type subRef struct {
	Topic string `json:"t"`
	Match uint8  `json:"m"`
}

func newLink(n *Node, r *realm.Realm) *link {
	l := &link{
		n: n, r: r, subj: newSubjects(n.cfg.Name, r.Name(), n.cfg.Node),
		out:        make(chan outMsg, outQueue),
		local:      make(map[uint64]*localSession),
		remote:     make(map[string]map[uint64]struct{}),
		hellos:     make(map[string]map[string]any),
		evSubjects: make(map[string]string),
		subs:       make(map[*nats.Subscription]struct{}),
		interest:   make(map[string]*interestSub),
		evCh:       make(chan *nats.Msg, evQueue),
		ctlCh:      make(chan *nats.Msg, evQueue),
		evBack:     newBacklog(),
		ctlBack:    newBacklog(),
	}
	l.reg = newRegistry(l)
	return l
}

// start subscribes to the realm's subjects and starts the link's
// goroutines.
func (l *link) start() error {
	nc := l.n.nc
	// One channel and one goroutine for both: NATS keeps one sender's
	// messages in order, and a CALL must not overtake the join of its
	// caller, nor a leave the answers before it.
	for _, subject := range []string{l.subj.sess, l.subj.self} {
		sub, err := nc.ChanSubscribe(subject, l.ctlCh)
		if err != nil {
			return fmt.Errorf("cluster: subscribe %s: %w", subject, err)
		}
		_ = sub.SetPendingLimits(evQueue, 256<<20)
		l.track(sub, true)
	}
	l.n.goOwned(l.control)
	l.n.goOwned(l.run)
	l.n.goOwned(l.events)
	l.n.goOwned(l.reg.run)
	l.n.goOwned(l.reg.reads)
	return nil
}

// outReserve is the room at the end of the sender's queue that only
// announcements and interest changes may take: a flood of publications
// cannot crowd out the joins, leaves and subscriptions the other nodes'
// tables are built from, which no later message repairs.
const outReserve = outQueue / 16

// queue hands m to the sender without waiting; a full queue drops it, and
// a publication (an event, a call, an answer) is dropped already when
// only the reserve is left.
func (l *link) queue(m outMsg) {
	if m.op == opPublish && len(l.out) >= outQueue-outReserve {
		l.drop(m)
		return
	}
	select {
	case l.out <- m:
	default:
		l.drop(m)
	}
}

// drop counts m as dropped and recycles its envelope.
func (l *link) drop(m outMsg) {
	l.n.stats.Dropped.Add(1)
	if m.buf != nil {
		recycleEnvelope(m.buf)
	}
}

// realm.Cluster, called on the actor.

func (l *link) Joined(s *realm.Session) { l.queue(outMsg{op: opJoined, sess: s}) }
func (l *link) Left(id uint64, quiet bool) {
	l.queue(outMsg{op: opLeft, id: id, quiet: quiet})
}

func (l *link) Testament(session uint64, ser codec.Serializer, raw []byte) {
	l.queue(outMsg{op: opTestament, id: session, ser: ser, data: append([]byte(nil), raw...)})
}

func (l *link) Subscribed(session uint64, topic string, match codec.Match, on bool) {
	op := opSub
	if !on {
		op = opUnsub
	}
	l.queue(outMsg{op: op, id: session, topic: topic, match: match})
}

func (l *link) Interest(topic string, match codec.Match, on bool) {
	op := opInterest
	if !on {
		op = opNoInterest
	}
	l.queue(outMsg{op: op, topic: topic, match: match})
}

func (l *link) Publish(p *realm.ClusterPublication) {
	var flags byte
	if p.Disclose {
		flags = flagDisclose
	}
	subject, ok := l.evSubjects[p.Topic]
	if !ok {
		if len(l.evSubjects) >= maxEventSubjects {
			clear(l.evSubjects)
		}
		subject = l.subj.eventSubject(p.Topic)
		l.evSubjects[strings.Clone(p.Topic)] = subject
	}
	l.queue(outMsg{op: opPublish, subject: subject, buf: newEnvelope(kindEvent, p.Ser, p.ID, p.Publisher, flags, p.Raw)})
	l.n.stats.Published.Add(1)
}

// maxEventSubjects bounds the actor's cache of topics' NATS subjects.
const maxEventSubjects = 4096

// envelopes recycles envelope buffers: the actor fills one, the sender
// hands it to NATS (which copies it) and puts it back, so a steady flow
// of publications and calls allocates none. Stateless for its users, so
// sharing it is not shared state.
var envelopes = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxPooledEnvelope is the largest buffer put back (a 1 MiB call's is
// left to the GC).
const maxPooledEnvelope = 64 << 10

// newEnvelope is a pooled envelope of msg.
func newEnvelope(kind byte, ser codec.Serializer, a, b uint64, flags byte, msg []byte) *[]byte {
	bp := envelopes.Get().(*[]byte)
	*bp = appendEnvelope((*bp)[:0], kind, ser, a, b, flags, msg)
	return bp
}

func recycleEnvelope(bp *[]byte) {
	if cap(*bp) <= maxPooledEnvelope {
		envelopes.Put(bp)
	}
}

func (l *link) Register(req *realm.ClusterRegister) {
	l.reg.queue(regOp{kind: regRegister, req: *req})
}

func (l *link) Lookup(session uint64, procedure string) {
	l.reg.lookup(session, strings.Clone(procedure))
}

func (l *link) Unregister(uri string, match codec.Match, session uint64) {
	l.reg.queue(regOp{kind: regUnregister, req: realm.ClusterRegister{URI: uri, Match: match, Session: session}})
}

// sendTo queues an envelope for node's link of this realm.
// sendTo queues an envelope for a node's link of this realm (subject is
// its to.NODE subject).
func (l *link) sendTo(subject string, kind byte, ser codec.Serializer, a, b uint64, flags byte, msg []byte) {
	l.queue(outMsg{op: opPublish, subject: subject, buf: newEnvelope(kind, ser, a, b, flags, msg)})
	l.n.stats.Forwarded.Add(1)
}

// run is the sender: it gives NATS what the actor queued, in order, until
// the node stops (then what is still queued goes too).
func (l *link) run() {
	for {
		select {
		case m := <-l.out:
			l.drain(m)
		case <-l.n.stop:
			for {
				select {
				case m := <-l.out:
					l.drain(m)
				default:
					return
				}
			}
		}
	}
}

// drainMax bounds the messages one drain takes from the queue.
const drainMax = 1024

// drain sends m and what else is queued now, in order, coalescing the
// envelopes for one subject in a row into batches.
func (l *link) drain(m outMsg) {
	var subject string
	run := l.batchRun[:0] // envelopes for subject, in order
	flush := func() {
		switch len(run) {
		case 0:
		case 1:
			l.publish(subject, *run[0], 1)
		default:
			l.batch = append(l.batch[:0], kindBatch)
			for _, e := range run {
				l.batch = appendToBatch(l.batch, *e)
			}
			l.publish(subject, l.batch, len(run))
		}
		for i, e := range run {
			recycleEnvelope(e)
			run[i] = nil
		}
		run, subject = run[:0], ""
	}
	size := 0
	for i := 0; ; i++ {
		if m.op == opPublish {
			if m.subject != subject || size+len(*m.buf) > maxBatch {
				flush()
				subject, size = m.subject, 0
			}
			run = append(run, m.buf)
			size += len(*m.buf) + 4
		} else {
			flush()
			l.send(m)
		}
		if i == drainMax {
			break
		}
		select {
		case m = <-l.out:
			continue
		default:
		}
		break
	}
	flush()
	l.batchRun = run
}

// publish gives NATS data, n messages for subject; a failure drops and
// counts all n.
func (l *link) publish(subject string, data []byte, n int) {
	if err := l.n.nc.Publish(subject, data); err != nil {
		l.n.stats.Dropped.Add(uint64(n))
	}
}

// send handles an item of the queue that is not a publication.
func (l *link) send(m outMsg) {
	switch m.op {
	case opInterest, opNoInterest:
		l.setInterest(l.subj.interestSubject(m.topic, m.match), m.op == opInterest)
	case opJoined:
		l.mu.Lock()
		l.local[m.sess.ID] = &localSession{s: m.sess}
		l.mu.Unlock()
		l.publishJSON(l.subj.sess, l.announceOf(m.sess))
	case opLeft:
		l.mu.Lock()
		delete(l.local, m.id)
		l.mu.Unlock()
		l.publishJSON(l.subj.sess, &announce{Op: "leave", Node: l.n.cfg.Node, Boot: l.n.boot, ID: m.id, Quiet: m.quiet})
	case opSub, opUnsub:
		ref := subRef{Topic: m.topic, Match: uint8(m.match)}
		op := "sub"
		l.mu.Lock()
		if ls := l.local[m.id]; ls != nil {
			if m.op == opSub {
				ls.subs = append(ls.subs, ref)
			} else {
				op = "unsub"
				if i := slices.Index(ls.subs, ref); i >= 0 {
					ls.subs = slices.Delete(ls.subs, i, i+1)
				}
			}
		} else if m.op == opUnsub {
			op = "unsub"
		}
		l.mu.Unlock()
		l.publishJSON(l.subj.sess, &announce{Op: op, Node: l.n.cfg.Node, Boot: l.n.boot, ID: m.id,
			Topic: m.topic, Match: uint8(m.match)})
	case opTestament:
		l.mu.Lock()
		if ls := l.local[m.id]; ls != nil {
			if len(ls.tests) >= maxTestamentCalls {
				ls.tests = ls.tests[1:]
			}
			ls.tests = append(ls.tests, testamentRef{Ser: uint8(m.ser), Msg: m.data})
		}
		l.mu.Unlock()
		l.publishJSON(l.subj.sess, &announce{Op: "testament", Node: l.n.cfg.Node, Boot: l.n.boot, ID: m.id,
			Ser: uint8(m.ser), Msg: m.data})
	}
}

func (l *link) publishJSON(subject string, v any) {
	b, err := json.Marshal(v)
	if err == nil {
		err = l.n.nc.Publish(subject, b)
	}
	if err != nil {
		l.n.stats.Dropped.Add(1)
		l.n.log.Warn("cluster announce", "subject", subject, "err", err)
	}
}

// announceOf is the join announcement of a local session (its exported
// fields are read-only once it joined); safe from any goroutine.
func (l *link) announceOf(s *realm.Session) *announce {
	a := &announce{
		Op: "join", Node: l.n.cfg.Node, Boot: l.n.boot, ID: s.ID,
		AuthID: s.AuthID, AuthRole: s.AuthRole, AuthMethod: s.AuthMethod, AuthProvider: s.AuthProvider,
		Ser: uint8(s.Peer.Serializer()),
	}
	if pi, ok := s.Peer.(realm.PeerInfo); ok {
		a.Transport, a.Addr = pi.TransportName(), pi.RemoteAddr()
	}
	if roles, ok := s.Hello["roles"].(map[string]any); ok {
		a.Roles, _ = json.Marshal(roles)
	}
	return a
}

// setInterest counts the local subscriptions that need subject and
// subscribes on the first, unsubscribes after the last (sender only).
func (l *link) setInterest(subject string, on bool) {
	is := l.interest[subject]
	if on {
		if is == nil {
			sub, err := l.n.nc.ChanSubscribe(subject, l.evCh)
			if err != nil {
				l.n.log.Error("cluster subscribe", "subject", subject, "err", err)
				return
			}
			_ = sub.SetPendingLimits(evQueue, 256<<20)
			l.track(sub, true)
			is = &interestSub{sub: sub}
			l.interest[subject] = is
		}
		is.refs++
		return
	}
	if is == nil {
		return
	}
	if is.refs--; is.refs == 0 {
		l.track(is.sub, false)
		_ = is.sub.Unsubscribe()
		delete(l.interest, subject)
	}
}

// track adds or removes sub from the subscriptions whose drops count; the
// drops of a removed one are kept in dropped.
func (l *link) track(sub *nats.Subscription, on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if on {
		l.subs[sub] = struct{}{}
		return
	}
	if n, err := sub.Dropped(); err == nil && n > 0 {
		l.dropped += uint64(n)
	}
	delete(l.subs, sub)
}

// slowDrops is what NATS dropped for this link as a slow consumer: the
// messages that arrived while its channels were full (evQueue).
func (l *link) slowDrops() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.dropped
	for sub := range l.subs {
		if d, err := sub.Dropped(); err == nil && d > 0 {
			n += uint64(d)
		}
	}
	return n
}

// recentIDs is how many publication ids events remembers: a publication
// matching two of the node's NATS subscriptions comes twice, back to back.
const recentIDs = 256

// events posts publications of other nodes to the realm, once each.
func (l *link) events() {
	var ring [recentIDs]uint64
	seen := make(map[uint64]struct{}, recentIDs)
	next := 0
	for {
		select {
		case <-l.n.stop:
			return
		case msg := <-l.evCh:
			bad := eachEnvelope(msg.Data, func(env envelope) {
				if env.kind != kindEvent {
					l.n.stats.Bad.Add(1)
					return
				}
				if _, dup := seen[env.a]; dup {
					return
				}
				delete(seen, ring[next])
				ring[next] = env.a
				seen[env.a] = struct{}{}
				next = (next + 1) % recentIDs
				in := l.inbound(&env)
				if in == nil {
					return
				}
				in.Remote = realm.RemoteInfo{Kind: realm.RemotePublish, PubID: env.a, Publisher: env.b,
					Disclose: env.flags&flagDisclose != 0}
				l.n.stats.Received.Add(1)
				l.post(in, l.evBack)
			})
			l.n.stats.Bad.Add(uint64(bad))
		}
	}
}

// inbound copies env's message into a pooled Inbound and decodes it there
// (nil, counted, when it does not decode).
func (l *link) inbound(env *envelope) *realm.Inbound {
	in := realm.NewInbound()
	in.Buf.B = append(in.Buf.B[:0], env.msg...)
	if err := codec.Decode(env.ser, in.Buf.B, &in.Msg); err != nil {
		in.Release()
		l.n.stats.Bad.Add(1)
		return nil
	}
	return in
}

// control handles the realm's announcements and this node's messages in
// the order they came, until Stop.
func (l *link) control() {
	for {
		select {
		case <-l.n.stop:
			return
		case msg := <-l.ctlCh:
			if msg.Subject == l.subj.sess {
				l.onAnnounce(msg)
			} else {
				l.onDirect(msg)
			}
		}
	}
}

// onDirect handles a message for this node: a call for a local callee, or
// an answer or a kill for a local session.
func (l *link) onDirect(msg *nats.Msg) {
	l.n.stats.Bad.Add(uint64(eachEnvelope(msg.Data, l.direct)))
}

func (l *link) direct(env envelope) {
	in := l.inbound(&env)
	if in == nil {
		return
	}
	switch env.kind {
	case kindCall:
		in.Remote = realm.RemoteInfo{Kind: realm.RemoteCall, Session: env.a, Target: env.b,
			Disclose: env.flags&flagDisclose != 0}
	case kindDeliver:
		in.Remote = realm.RemoteInfo{Kind: realm.RemoteDeliver, Session: env.a, Quiet: env.flags&flagQuiet != 0}
	default:
		in.Release()
		l.n.stats.Bad.Add(1)
		return
	}
	l.post(in, l.ctlBack)
}

// post hands in to the realm, counted in b, once b has room; past Stop it
// is released instead.
func (l *link) post(in *realm.Inbound, b *backlog) {
	if !b.admit(l.n.stop) {
		in.Release()
		return
	}
	in.Backlog, in.BacklogN = b, 1
	l.r.PostRemote(in)
}

// onAnnounce handles a session join or leave of another node.
func (l *link) onAnnounce(msg *nats.Msg) {
	a, err := parseAnnounce(msg.Data)
	if err != nil {
		l.n.stats.Bad.Add(1)
		return
	}
	if a.Node == l.n.cfg.Node {
		return
	}
	l.n.mem.heard(a.Node, a.Boot)
	switch a.Op {
	case "join":
		l.join(a)
	case "leave":
		l.mu.Lock()
		if ids := l.remote[a.Node]; ids != nil {
			delete(ids, a.ID)
		}
		l.left.add(a.ID)
		l.mu.Unlock()
		l.r.RemoteLeave(a.ID, false, a.Quiet)
	case "sub", "unsub":
		l.r.RemoteSubscribed(a.ID, a.Topic, codec.Match(a.Match), a.Op == "sub")
	case "testament":
		l.testament(a.ID, a.Ser, a.Msg)
	}
}

// join shadows a session of another node.
func (l *link) join(a *announce) {
	ser := codec.Serializer(a.Ser)
	if !validSer(ser) {
		l.n.stats.Bad.Add(1)
		return
	}
	l.mu.Lock()
	if l.left.has(a.ID) {
		// A snapshot taken before the session left, read after its leave.
		l.mu.Unlock()
		return
	}
	ids := l.remote[a.Node]
	if ids == nil {
		ids = make(map[uint64]struct{})
		l.remote[a.Node] = ids
	}
	_, known := ids[a.ID]
	ids[a.ID] = struct{}{}
	hello := l.hello(a.Roles)
	l.mu.Unlock()
	if known {
		return
	}
	p := &shadowPeer{l: l, to: l.subj.to + a.Node, id: a.ID, ser: ser, transport: a.Transport, addr: a.Addr}
	l.r.RemoteJoin(&realm.Session{
		ID: a.ID, Peer: p, AuthID: a.AuthID, AuthRole: a.AuthRole,
		AuthMethod: a.AuthMethod, AuthProvider: a.AuthProvider,
		Hello: hello,
	})
	for _, s := range a.Subs { // a snapshot's
		l.r.RemoteSubscribed(a.ID, s.Topic, codec.Match(s.Match), true)
	}
	for _, tr := range a.Tests {
		l.testament(a.ID, tr.Ser, tr.Msg)
	}
}

// testament applies a testament CALL of session id to its shadow.
func (l *link) testament(id uint64, ser uint8, msg []byte) {
	env := envelope{ser: codec.Serializer(ser), msg: msg}
	if !validSer(env.ser) {
		l.n.stats.Bad.Add(1)
		return
	}
	if in := l.inbound(&env); in != nil {
		in.Remote = realm.RemoteInfo{Kind: realm.RemoteTestament, Session: id}
		l.post(in, l.ctlBack)
	}
}

// recentSet holds the ids added lately: the last recentLeft to
// 2*recentLeft of them, in two generations.
type recentSet struct{ cur, prev map[uint64]struct{} }

// recentLeft is one generation of recentSet: far more sessions than leave
// while a snapshot is in flight.
const recentLeft = 4096

func (r *recentSet) add(id uint64) {
	if r.cur == nil || len(r.cur) >= recentLeft {
		r.prev, r.cur = r.cur, make(map[uint64]struct{}, recentLeft)
	}
	r.cur[id] = struct{}{}
}

func (r *recentSet) has(id uint64) bool {
	_, a := r.cur[id]
	_, b := r.prev[id]
	return a || b
}

// maxHellos bounds the shared HELLO details of shadows (hellos).
const maxHellos = 1024

// hello returns the HELLO details of a shadow whose roles are raw: one
// map for all the shadows with the same roles (sessions of one client
// library announce the same), which the realm only reads. Without it a
// shadow's nested role maps were most of its ~1.3 KB (l.mu held).
func (l *link) hello(raw json.RawMessage) map[string]any {
	if h, ok := l.hellos[string(raw)]; ok {
		return h
	}
	roles := map[string]any{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &roles)
	}
	h := map[string]any{"roles": roles}
	if len(l.hellos) >= maxHellos {
		clear(l.hellos)
	}
	l.hellos[string(raw)] = h
	return h
}

// snapshot is this node's sessions of the realm.
func (l *link) snapshot() []*announce {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*announce, 0, len(l.local))
	for _, ls := range l.local {
		a := l.announceOf(ls.s)
		// Copies: the sender goes on changing them.
		a.Subs = append([]subRef(nil), ls.subs...)
		a.Tests = append([]testamentRef(nil), ls.tests...)
		out = append(out, a)
	}
	return out
}

// nodeLost removes the shadows of node's sessions (their testaments fire
// here) and its callees from the registration table.
func (l *link) nodeLost(node string) {
	l.mu.Lock()
	ids := l.remote[node]
	delete(l.remote, node)
	l.mu.Unlock()
	for id := range ids {
		l.r.RemoteLeave(id, true, false)
	}
	l.reg.queue(regOp{kind: regPurge, node: node})
}

var errAnnounce = errors.New("cluster: malformed announcement")

// parseAnnounce reads an announcement: a join, leave, sub, unsub or
// testament of a session of a named node, with a session id in [1, 2^53].
func parseAnnounce(data []byte) (*announce, error) {
	var a announce
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%w: %v", errAnnounce, err)
	}
	if a.Node == "" || a.ID == 0 || a.ID > codec.MaxID {
		return nil, errAnnounce
	}
	switch a.Op {
	case "join", "leave", "sub", "unsub", "testament":
	default:
		return nil, fmt.Errorf("%w: op %q", errAnnounce, a.Op)
	}
	if a.Match > uint8(codec.MatchWildcard) {
		return nil, fmt.Errorf("%w: match %d", errAnnounce, a.Match)
	}
	return &a, nil
}
