package realm

import (
	"slices"
	"strings"
	"time"

	"github.com/wampd/wampd/codec"
)

// A realm of a clustered router (engine/cluster) shares its subscribers,
// callees, registrations and sessions with the same realm on the other
// nodes. The realm knows nothing of NATS: it talks to its node's cluster
// link through Cluster, and the link talks back through the Remote*
// methods below, which only enqueue, like every exported method.
//
// The model:
//   - Every session of another node has a shadow here: a Session whose
//     Peer is a RemotePeer. Shadows make the session meta API, kill and
//     the registration tables cluster-wide without a second code path.
//     They never subscribe, get no WELCOME and are not in Stats.Sessions.
//   - Publications are interest-driven: the link subscribes on NATS to
//     what this node's subscriptions need (Cluster.Interest), a local
//     publication is delivered here and handed to the link once
//     (Cluster.Publish), and a publication of another node comes in as
//     RemotePublish and is dispatched to the local subscribers only.
//   - Registrations are decided by the link (a JetStream KV bucket per
//     realm): a local REGISTER waits for Cluster.Register's answer
//     (RemoteRegistered); every change of the table comes in as
//     RemoteRegistration and puts the remote callees (shadows) in the
//     dealer's registrations, so the invoke policy spans the cluster.
//   - A CALL routed to a shadow is not turned into an INVOCATION here: its
//     bytes go to the callee's node (RemotePeer.Forward), which handles it
//     as a CALL of the caller's shadow aimed at that callee, with the
//     caller's own options (progress, timeout, disclose_me). Its RESULT
//     and ERROR come back as RemoteDeliver, already encoded for the
//     caller. CANCEL and the chunks of a progressive call follow the CALL.

// Cluster is what the actor tells its node's cluster link. Every method
// is called on the actor: it must not block, and must copy what it keeps.
type Cluster interface {
	// Joined and Left tell of a local session's life; quiet says it was
	// ended by kill_all (no testaments fire).
	Joined(s *Session)
	Left(id uint64, quiet bool)
	// Subscribed tells of a local session's subscription to (topic,
	// match) (on) or its end, for the other nodes' meta API.
	Subscribed(session uint64, topic string, match codec.Match, on bool)
	// Interest says this node has a first subscription to (topic, match)
	// (on), or has lost its last one.
	Interest(topic string, match codec.Match, on bool)
	// Publish hands over a publication of a local session.
	Publish(p *ClusterPublication)
	// Register asks the cluster to register a local callee; the answer
	// comes back through Realm.RemoteRegistered.
	Register(req *ClusterRegister)
	// Unregister withdraws a local callee from a registration.
	Unregister(uri string, match codec.Match, session uint64)
	// Testament hands over a successful add_testament or
	// flush_testaments CALL of a local session (raw, in ser): the other
	// nodes apply it to the session's shadow, so that its testaments fire
	// everywhere, even when this node is lost.
	Testament(session uint64, ser codec.Serializer, raw []byte)
	// Lookup reads procedure's entry of the cluster's table for a CALL of
	// session that found none here (the table's change may not have
	// reached this node yet): the entry, if any, comes back through
	// RemoteRegistration, then RemoteLookedUp(session) follows, always.
	Lookup(session uint64, procedure string)
}

// ClusterPublication is a local publication for the other nodes. Raw is
// the PUBLISH as the publisher sent it (in Ser), valid during the call.
type ClusterPublication struct {
	ID        uint64 // the publication id, the same on every node
	Topic     string // valid during the call
	Publisher uint64 // the publishing session
	Disclose  bool   // the publisher is disclosed
	Ser       codec.Serializer
	Raw       []byte
}

// ClusterRegister is a local REGISTER the cluster decides on.
type ClusterRegister struct {
	Session, Request uint64
	URI              string
	Match            codec.Match
	Invoke           codec.Invoke
	Disclose         bool
	ID               uint64 // the id the registration gets if it is new
}

// ClusterRegistered is the cluster's answer to a ClusterRegister: the
// registration's id, or an error URI and message.
type ClusterRegistered struct {
	Session, Request uint64
	URI              string
	Match            codec.Match
	ID               uint64
	Err              codec.URI
	Message          string
}

// ClusterRegistration is one entry of the cluster's registration table:
// the callees in registration order, or Deleted.
type ClusterRegistration struct {
	URI      string
	Match    codec.Match
	Invoke   codec.Invoke
	Disclose bool
	ID       uint64
	Created  time.Time
	Callees  []uint64 // session ids, local or shadows
	Deleted  bool
}

// RemotePeer is the Peer of a shadow. Send gets what the realm sends the
// session (the RESULT or ERROR of a call it made here, a GOODBYE when it
// is killed) and carries it to the session's node.
type RemotePeer interface {
	Peer
	// Forward carries raw (a CALL or CANCEL in ser) of local session from
	// to the shadow's node, for the shadow's session as callee; disclose
	// says this node's authorizer wants the caller disclosed (it arrives
	// as RemoteInfo.Disclose).
	Forward(from uint64, ser codec.Serializer, raw []byte, disclose bool)
	// SendQuiet is Send for the GOODBYE of a kill_all: the session's node
	// closes it without testaments or meta events (RemoteInfo.Quiet).
	SendQuiet(f *codec.Frame)
}

// RemoteKind says what a RemoteInfo item is.
type RemoteKind uint8

const (
	// RemotePublish is a publication of another node (Msg is its PUBLISH).
	RemotePublish RemoteKind = iota + 1
	// RemoteCall is a CALL or CANCEL of a shadow (Session) for a local
	// callee (Target).
	RemoteCall
	// RemoteDeliver is a message for a local session (Session), encoded
	// by another node for it: the answer to a call it forwarded, or a
	// GOODBYE that kills it.
	RemoteDeliver
	// RemoteTestament is an add_testament or flush_testaments CALL of a
	// shadow (Session), applied to it without an answer.
	RemoteTestament
)

// RemoteInfo is what an Inbound from the cluster link carries besides its
// message.
type RemoteInfo struct {
	Kind      RemoteKind
	Session   uint64
	Target    uint64
	PubID     uint64
	Publisher uint64
	// Disclose: the publisher is disclosed (RemotePublish), or the
	// caller's node's authorizer discloses the caller (RemoteCall).
	Disclose bool
	// Quiet: a GOODBYE of a kill_all on another node (RemoteDeliver).
	Quiet bool
}

// SetCluster makes r a clustered realm; call it before Start.
func (r *Realm) SetCluster(c Cluster) { r.cluster = c }

// RemoteJoin adds s, a session of another node whose Peer is a
// RemotePeer, as a shadow (no WELCOME is sent). A second join of the same
// id is ignored.
func (r *Realm) RemoteJoin(s *Session) { r.enqueue(&Inbound{kind: itemRemoteJoin, Sess: s}) }

// RemoteLeave removes the shadow of session id. Its testaments (copies
// kept with the shadow) fire here, for this node's subscribers, unless
// quiet (its node ended it with kill_all, which fires none). lost says its
// node is gone.
func (r *Realm) RemoteLeave(id uint64, lost, quiet bool) {
	r.enqueue(&Inbound{kind: itemRemoteLeave, ctl: &remoteLeave{id, lost, quiet}})
}

// remoteLeave is what a RemoteLeave item carries.
type remoteLeave struct {
	id          uint64
	lost, quiet bool
}

// RemoteRegistered hands the cluster's answer to a ClusterRegister to the
// actor.
func (r *Realm) RemoteRegistered(res *ClusterRegistered) {
	r.enqueue(&Inbound{kind: itemRemoteRegistered, ctl: res})
}

// RemoteRegistration hands a change of the cluster's registration table
// to the actor.
func (r *Realm) RemoteRegistration(st *ClusterRegistration) {
	r.enqueue(&Inbound{kind: itemRemoteRegistration, ctl: st})
}

// RemoteSubscribed tells the actor of a shadow's subscription to (topic,
// match), or its end (on false): listed by the meta API, never sent to.
func (r *Realm) RemoteSubscribed(session uint64, topic string, match codec.Match, on bool) {
	r.enqueue(&Inbound{kind: itemRemoteSubscribed, ctl: &remoteSub{session, topic, match, on}})
}

type remoteSub struct {
	session uint64
	topic   string
	match   codec.Match
	on      bool
}

// remoteSubscribed handles a RemoteSubscribed (actor only): the shadow
// joins or leaves the subscription, which is made, with the id every node
// gives it, or forgotten as needed, with the meta events of a local one.
func (b *broker) remoteSubscribed(r *Realm, rs *remoteSub) {
	s := r.sessions[rs.session]
	if s == nil || !s.remote || rs.match > codec.MatchWildcard || reservedURI(rs.topic) ||
		!validURI(rs.topic, rs.match) {
		return
	}
	sub := b.byURI.get(rs.topic, rs.match)
	if !rs.on {
		if sub != nil {
			b.dropRemote(r, sub, s)
		}
		return
	}
	created := false
	if sub == nil {
		sub = &subscription{
			id: r.subscriptionID(rs.topic, rs.match), topic: rs.topic, match: rs.match,
			created: time.Now(), index: make(map[*Session]int),
		}
		b.byID[sub.id] = sub
		b.byURI.add(sub.topic, sub.match, sub)
		if mayMatchMeta(sub.topic, sub.match) {
			b.metaSubs++
		}
		created = true
	}
	if _, dup := sub.remote[s]; dup {
		return
	}
	lazyMap(&sub.remote)[s] = struct{}{}
	lazyMap(&s.subs)[sub.id] = struct{}{}
	if created && r.watched(metaSubOnCreate) {
		r.metaEvent(metaSubOnCreate, []any{s.ID, subscriptionDetails(sub)})
	}
	if r.watched(metaSubOnSubscribe) {
		r.metaEvent(metaSubOnSubscribe, []any{s.ID, sub.id})
	}
}

// dropRemote takes shadow s out of sub, and sub out of the broker when
// nobody is left.
func (b *broker) dropRemote(r *Realm, sub *subscription, s *Session) {
	if _, ok := sub.remote[s]; !ok {
		return
	}
	delete(sub.remote, s)
	delete(s.subs, sub.id)
	if r.watched(metaSubOnUnsubscribe) {
		r.metaEvent(metaSubOnUnsubscribe, []any{s.ID, sub.id})
	}
	if len(sub.subscribers) == 0 && len(sub.remote) == 0 {
		b.deleteSub(r, sub, s.ID)
	}
}

// subscriptionID is the id of a new subscription to (topic, match): on a
// clustered realm the same on every node (a hash of both, so that the
// meta API and the ids clients get agree across nodes without asking
// anyone), random on a single node. A hash taken already (by another
// topic: 1 in 2^53) falls back to a random id.
func (r *Realm) subscriptionID(topic string, match codec.Match) uint64 {
	if r.cluster == nil {
		return freshID(r, r.broker.byID)
	}
	const offset, prime = 14695981039346656037, 1099511628211 // FNV-1a
	h := uint64(offset)
	h = (h ^ uint64(match)) * prime
	for i := 0; i < len(topic); i++ {
		h = (h ^ uint64(topic[i])) * prime
	}
	h ^= uint64(len(r.opts.Name))
	for i := 0; i < len(r.opts.Name); i++ {
		h = (h ^ uint64(r.opts.Name[i])) * prime
	}
	id := h%codec.MaxID + 1
	if _, taken := r.broker.byID[id]; taken {
		return freshID(r, r.broker.byID)
	}
	return id
}

// RemoteLookedUp tells the actor that a Cluster.Lookup of session is done:
// its CALL, which waited, is handled again.
func (r *Realm) RemoteLookedUp(session uint64) {
	in := &Inbound{kind: itemRemoteLookedUp}
	in.Msg.ID = session
	r.enqueue(in)
}

// PostRemote hands the actor a message from another node (in.Remote says
// what it is; Msg is decoded from Buf). The actor releases in.
func (r *Realm) PostRemote(in *Inbound) {
	in.kind = itemRemote
	r.enqueue(in)
}

// handleRemote handles an itemRemote (actor only).
func (r *Realm) handleRemote(in *Inbound) {
	r.countReceived(in)
	switch in.Remote.Kind {
	case RemotePublish:
		r.broker.remotePublish(r, in)
	case RemoteCall:
		s := r.sessions[in.Remote.Session]
		if s == nil || !s.remote {
			return // the caller left, or its node is gone
		}
		switch in.Msg.Type {
		case codec.Call:
			r.dealer.call(r, s, &in.Msg)
		case codec.Cancel:
			r.dealer.cancel(r, s, &in.Msg)
		}
	case RemoteDeliver:
		r.remoteDeliver(in)
	case RemoteTestament:
		s := r.sessions[in.Remote.Session]
		if s == nil || !s.remote || in.Msg.Type != codec.Call || !replicatedMeta(in.Msg.URI) {
			return
		}
		if c, bad := metaArgs(&in.Msg); bad == "" {
			_, _, _ = lookupMeta(in.Msg.URI)(r, s, &c)
		}
	}
}

// replicatedMeta reports whether procedure changes a session's state that
// its shadows keep (its testaments).
func replicatedMeta(procedure string) bool {
	return procedure == "wamp.session.add_testament" || procedure == "wamp.session.flush_testaments"
}

// clusterTestament hands the testament CALL being handled to the link.
func (r *Realm) clusterTestament(s *Session) {
	if r.current != nil && r.current.Buf != nil && !s.remote {
		r.cluster.Testament(s.ID, s.ser, r.current.Buf.B)
	}
}

// remoteDeliver hands a message another node encoded for local session s
// to its peer, keeping the dealer's record of a forwarded call.
func (r *Realm) remoteDeliver(in *Inbound) {
	s := r.sessions[in.Remote.Session]
	if s == nil || s.remote || s.state != stateJoined {
		return
	}
	m := &in.Msg
	switch m.Type {
	case codec.Goodbye, codec.Abort: // a kill on another node
		r.quiet = in.Remote.Quiet
		r.closeSession(s, m.Type, m.URI, m.Options.Message)
		r.quiet = false
		return
	case codec.Unsubscribed, codec.Unregistered:
		r.remoteRevoke(s, m) // a remove_subscriber or remove_callee on another node
		return
	case codec.Result:
		c := s.calls[m.Request]
		if c == nil || !c.callee.remote {
			return // the call ended here (the caller canceled, the callee's node is gone)
		}
		if !m.Options.Progress {
			r.dealer.finish(c)
		}
	case codec.Error:
		if m.ReqType == codec.Call {
			c := s.calls[m.Request]
			if c == nil || !c.callee.remote {
				return
			}
			r.dealer.finish(c)
		}
	default:
		return
	}
	f := codec.NewFrame(s.ser)
	f.B = append(f.B, in.Buf.B...)
	f.Seal()
	r.queue(s, f, m.Type, false)
	f.Release()
}

// remoteRevoke carries out, for local session s, the revocation another
// node's meta API sent its shadow (metaSubRemoveSubscriber,
// metaRegRemoveCallee): [35|67, 0, {subscription|registration, reason?}].
// One that no longer applies (s left the subscription meanwhile) is
// dropped.
func (r *Realm) remoteRevoke(s *Session, m *codec.Message) {
	if m.Request != 0 {
		return
	}
	reason := m.Options.Reason
	if m.Type == codec.Unsubscribed {
		sub := r.broker.byID[m.Options.Subscription]
		if _, ok := s.subs[m.Options.Subscription]; ok && sub != nil && !reservedURI(sub.topic) {
			if _, ok := sub.index[s]; ok {
				r.revokeSubscriber(sub, s, reason)
			}
		}
		return
	}
	if reg := r.dealer.byID[m.Options.Registration]; reg != nil && reg.has(s) {
		r.revokeCallee(reg, s, reason)
	}
}

// remoteJoin adds a shadow (actor only).
func (r *Realm) remoteJoin(s *Session) {
	if s.state != stateNew {
		return
	}
	if old := r.sessions[s.ID]; old != nil {
		return // known already (a snapshot and an announcement crossed)
	}
	s.state = stateJoined
	s.remote = true
	s.ser = s.Peer.Serializer()
	r.sessions[s.ID] = s
	if r.watched(metaOnJoin) {
		r.metaEvent(metaOnJoin, []any{r.sessionDetails(s)})
	}
	// Registrations that named it before it was known.
	keys := r.dealer.awaiting[s.ID]
	delete(r.dealer.awaiting, s.ID)
	for _, key := range keys {
		if st := r.dealer.cluster[key]; st != nil {
			r.dealer.reconcile(r, st)
		}
	}
}

// remoteLeave removes a shadow (actor only).
func (r *Realm) remoteLeave(rl *remoteLeave) {
	s := r.sessions[rl.id]
	if s == nil || !s.remote {
		return
	}
	lost, quiet := rl.lost, rl.quiet
	r.nodeLost, r.quiet = lost, quiet
	r.remove(s)
	r.nodeLost, r.quiet = false, false
}

// remotePublish dispatches a publication of another node to this node's
// subscribers: authorized and checked there, with its id and its
// black/white list as the publisher gave them.
func (b *broker) remotePublish(r *Realm, in *Inbound) {
	m := &in.Msg
	if m.Type != codec.Publish {
		return
	}
	pub := publication{
		id: in.Remote.PubID, topic: m.URI,
		args: m.Args, kwargs: m.Kwargs, ser: m.PayloadSer,
	}
	if in.Remote.Disclose {
		pub.publisher = in.Remote.Publisher
		if p := r.sessions[pub.publisher]; p != nil {
			pub.authID, pub.authRole = p.AuthID, p.AuthRole
		}
	}
	if m.Options.PPTOn() {
		pub.ppt, pub.pptHas = m.Options.Ext, m.Options.Has&codec.HasPPT
	}
	if m.Options.Filtered() {
		if !b.filter.load(m.PayloadSer, m.Options.Ext) {
			return
		}
		b.filter.mark(r)
		pub.filter = &b.filter
	}
	r.deliver(&pub, m.Options.Retain)
}

// clusterPublish hands a local publication to the link.
func (r *Realm) clusterPublish(s *Session, topic string, id uint64, disclose bool) {
	if r.current == nil || r.current.Buf == nil {
		return
	}
	// The realm's scratch: a local one would escape through the interface
	// call, one allocation per publication.
	p := &r.clusterPub
	*p = ClusterPublication{ID: id, Topic: topic, Publisher: s.ID, Disclose: disclose, Ser: s.ser, Raw: r.current.Buf.B}
	r.cluster.Publish(p)
	*p = ClusterPublication{} // nothing aliasing the PUBLISH stays
}

// clusterRegister asks the cluster for a registration of s (actor only).
func (d *dealer) clusterRegister(r *Realm, s *Session, m *codec.Message) {
	req := ClusterRegister{
		Session: s.ID, Request: m.Request, URI: strings.Clone(m.URI),
		Match: m.Options.Match, Invoke: m.Options.Invoke, Disclose: m.Options.DiscloseCaller,
		ID: freshID(r, d.byID),
	}
	r.cluster.Register(&req)
}

// registered completes a local REGISTER the cluster has answered.
func (d *dealer) registered(r *Realm, res *ClusterRegistered) {
	s := r.sessions[res.Session]
	if s == nil || s.remote || s.state != stateJoined {
		if res.Err == "" {
			r.cluster.Unregister(res.URI, res.Match, res.Session) // it left meanwhile
		}
		return
	}
	if res.Err != "" {
		r.sendError(s, codec.Register, res.Request, res.Err, res.Message)
		return
	}
	reg := d.byURI.get(res.URI, res.Match)
	created := false
	if reg == nil {
		reg = d.clusterReg(res.URI, res.Match, res.ID, time.Now())
		if st := d.cluster[clusterKey(res.URI, res.Match)]; st != nil {
			reg.invoke, reg.disclose = st.Invoke, st.Disclose
		}
		created = true
	}
	d.addCallee(r, reg, s, res.Request, created)
}

// clusterReg makes and indexes a registration with the cluster's id.
func (d *dealer) clusterReg(uri string, match codec.Match, id uint64, created time.Time) *registration {
	reg := &registration{id: id, procedure: uri, match: match, created: created}
	d.byID[id] = reg
	d.byURI.add(uri, match, reg)
	return reg
}

// clusterKey keys dealer.cluster.
func clusterKey(uri string, match codec.Match) string { return string(rune('0'+match)) + uri }

// reconcile makes the registration of st what the cluster says: its remote
// callees (shadows) in the cluster's order, with the local callees this
// node registered, and their meta events (actor only).
func (d *dealer) reconcile(r *Realm, st *ClusterRegistration) {
	key := clusterKey(st.URI, st.Match)
	if st.Deleted {
		delete(d.cluster, key)
	} else {
		d.cluster[key] = st
	}
	reg := d.byURI.get(st.URI, st.Match)
	var want []*Session
	if !st.Deleted {
		for _, id := range st.Callees {
			s := r.sessions[id]
			switch {
			case s == nil: // not known here yet: remoteJoin reconciles again
				d.await(id, key)
			case s.remote:
				want = append(want, s)
			case reg != nil && reg.has(s):
				want = append(want, s)
			}
		}
	}
	if reg == nil {
		if len(want) == 0 {
			return
		}
		reg = d.clusterReg(st.URI, st.Match, st.ID, st.Created)
		if r.watched(metaRegOnCreate) {
			r.metaEvent(metaRegOnCreate, []any{want[0].ID, registrationDetails(reg)})
		}
	}
	if !st.Deleted {
		reg.invoke, reg.disclose = st.Invoke, st.Disclose
	}
	// Local callees the table does not list yet (their answer is on its
	// way) stay, after the listed ones.
	for _, c := range reg.callees {
		if !c.remote && !containsSession(want, c) {
			want = append(want, c)
		}
	}
	old := reg.callees
	for _, c := range old {
		if c.remote && !containsSession(want, c) {
			delete(c.regs, reg.id)
			if r.watched(metaRegOnUnregister) {
				r.metaEvent(metaRegOnUnregister, []any{c.ID, reg.id})
			}
		}
	}
	for _, c := range want {
		if c.remote && !containsSession(old, c) {
			lazyMap(&c.regs)[reg.id] = struct{}{}
			if r.watched(metaRegOnRegister) {
				r.metaEvent(metaRegOnRegister, []any{c.ID, reg.id})
			}
		}
	}
	reg.callees = want
	if len(want) == 0 {
		delete(d.byID, reg.id)
		d.byURI.remove(reg.procedure, reg.match)
		if r.watched(metaRegOnDelete) {
			var last uint64
			if len(old) > 0 {
				last = old[0].ID
			}
			r.metaEvent(metaRegOnDelete, []any{last, reg.id})
		}
	}
}

// maxAwaiting bounds the sessions registrations wait to know (callees
// whose announcement has not come yet); past it the waits are forgotten
// and such a callee joins its registration with the table's next change.
const maxAwaiting = 1 << 16

// await notes that the registration of key lists session id, not known
// here yet.
func (d *dealer) await(id uint64, key string) {
	if len(d.awaiting) >= maxAwaiting {
		clear(d.awaiting)
	}
	keys := d.awaiting[id]
	if !slices.Contains(keys, key) {
		lazyMap(&d.awaiting)[id] = append(keys, key)
	}
}

func containsSession(list []*Session, s *Session) bool {
	for _, c := range list {
		if c == s {
			return true
		}
	}
	return false
}

// forward routes a CALL of s to callee, a shadow: the call is recorded
// here (for CANCEL, the chunks of a progressive call, the caller's limits
// and the callee's node going away) and the CALL goes to the callee's
// node as it came (actor only).
func (d *dealer) forward(r *Realm, s *Session, m *codec.Message, callee *Session, disclose bool) {
	c := d.record(r, s, m, callee)
	if m.Options.Progress {
		c.stream = &stream{} // later chunks follow the CALL
	}
	if m.Options.Timeout > 0 {
		// The callee's node times the call out and answers. This timer,
		// a moment later, answers if that node never does (it lost the
		// CALL, or is cut off) and cancels the call there (timeout).
		d.startTimer(r, c, time.Duration(m.Options.Timeout)*time.Millisecond+remoteTimeoutGrace)
	}
	r.stats.calls.Add(1)
	d.forwardRaw(r, s, c, disclose)
}

// remoteTimeoutGrace is how much longer than the callee's node the
// caller's node waits before it times a forwarded call out itself.
const remoteTimeoutGrace = 250 * time.Millisecond

// cancelRemote sends c's callee's node a CANCEL (killnowait) of c, as its
// caller would, for a call this node ended (a timeout).
func (d *dealer) cancelRemote(r *Realm, c *call) {
	p, ok := c.callee.Peer.(RemotePeer)
	if !ok || c.caller == nil {
		return
	}
	m := codec.Message{Type: codec.Cancel, Request: c.callerReq}
	m.Options.Has, m.Options.Mode = codec.HasMode, "killnowait"
	b, err := codec.Append(c.caller.ser, nil, &m)
	if err != nil {
		r.log.Error("encode CANCEL for another node", "err", err)
		return
	}
	p.Forward(c.caller.ID, c.caller.ser, b, false)
}

// forwardRaw carries the message being handled (a CALL, a chunk, a
// CANCEL of c's caller) to c's callee's node.
func (d *dealer) forwardRaw(r *Realm, s *Session, c *call, disclose bool) {
	in := r.current
	if in == nil || in.Buf == nil {
		return
	}
	if p, ok := c.callee.Peer.(RemotePeer); ok {
		p.Forward(s.ID, s.ser, in.Buf.B, disclose)
	}
}
