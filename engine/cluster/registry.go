package cluster

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/realm"
)

// The registration table of a realm is a JetStream KV bucket: one key per
// (procedure, match), its value the registration with its callees in
// registration order (node and session). Every change is a
// compare-and-set on the key's revision, so two nodes registering the same
// procedure at once cannot both win, and a shared registration's callees
// are one list the invoke policy reads on every node. Every node watches
// the bucket and hands each change to its realm (reconcile).

const (
	regQueue = 4096
	// regWait bounds how long a REGISTER waits for the table (JetStream
	// needs a quorum of nodes to come up).
	regWait = 10 * time.Second
	// regAttempts bounds the compare-and-set retries of one operation.
	regAttempts = 32
	opTimeout   = 5 * time.Second
	// ErrClusterUnavailable is the REGISTER error when the registration
	// table cannot be reached in time.
	ErrClusterUnavailable codec.URI = "wampd.error.cluster_unavailable"
)

// regEntry is a key's value.
type regEntry struct {
	URI      string      `json:"uri"`
	Match    uint8       `json:"match"`
	Invoke   uint8       `json:"invoke"`
	Disclose bool        `json:"disclose,omitempty"`
	ID       uint64      `json:"id"`
	Created  time.Time   `json:"created"`
	Callees  []regCallee `json:"callees"`
}

type regCallee struct {
	Node    string `json:"node"`
	Session uint64 `json:"session"`
}

type regKind uint8

const (
	regRegister regKind = iota
	regUnregister
	regPurge  // every callee of node
	regRepair // put back a local callee the table lost
)

type regOp struct {
	kind regKind
	req  realm.ClusterRegister
	node string
	at   time.Time
}

// registry is a realm's registration table worker: one goroutine doing
// the table's operations in order, off the actor.
type registry struct {
	l       *link
	ops     chan regOp
	lookups chan lookupOp
	kv      atomic.Pointer[jetstream.KeyValue] // set by run once the bucket is up

	mu   sync.Mutex                                   // guards mine (the worker and the watcher)
	mine map[string]map[uint64]*realm.ClusterRegister // this node's callees in the table, by key
}

// lookupOp is a read of an exact procedure's entry for a CALL of session
// that waits for it (link.Lookup).
type lookupOp struct {
	session uint64
	uri     string
}

// lookupTimeout bounds the wait of a CALL for the table. A lookup reads
// from the bucket's leader, which has every write a REGISTERED was sent
// for (a direct get may be served by a replica still behind); without a
// leader (for a few seconds after a node was lost) the CALL is better
// answered no_such_procedure at once.
const lookupTimeout = 300 * time.Millisecond

func newRegistry(l *link) *registry {
	return &registry{l: l, ops: make(chan regOp, regQueue), lookups: make(chan lookupOp, regQueue),
		mine: make(map[string]map[uint64]*realm.ClusterRegister)}
}

// lookup queues a read for a waiting CALL; a full queue answers at once.
func (g *registry) lookup(session uint64, uri string) {
	select {
	case g.lookups <- lookupOp{session, uri}:
	default:
		g.l.r.RemoteLookedUp(session)
	}
}

// reads does the lookups, apart from the writes (which wait for the
// table's leader, for seconds when a node was lost), until Stop.
func (g *registry) reads() {
	n := g.l.n
	for {
		select {
		case <-n.stop:
			return
		case op := <-g.lookups:
			if g.kv.Load() != nil {
				if st := g.leaderGet(regKey(op.uri, codec.MatchExact)); st != nil {
					g.l.r.RemoteRegistration(st)
				}
			}
			g.l.r.RemoteLookedUp(op.session)
		}
	}
}

// queue hands op to the worker; a full queue fails a REGISTER at once.
func (g *registry) queue(op regOp) {
	op.at = time.Now()
	g.push(op)
}

// push is queue without stamping op: what does not fit is counted, and a
// REGISTER answered.
func (g *registry) push(op regOp) {
	select {
	case g.ops <- op:
	default:
		g.l.n.stats.RegFailures.Add(1)
		switch op.kind {
		case regRegister:
			g.answer(&op.req, 0, ErrClusterUnavailable, "the cluster's registration queue is full")
		}
	}
}

// bucket is the realm's KV bucket name.
func (g *registry) bucket() string {
	return "wampd_" + g.l.n.cfg.Name + "_" + hex.EncodeToString([]byte(g.l.r.Name()))
}

// regKey is the KV key of (uri, match).
func regKey(uri string, match codec.Match) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{'0' + byte(match)}, uri...))
}

// run brings the bucket up (retrying until the cluster has a quorum),
// clears this node's callees left by an earlier run, starts the watcher
// and then does the operations in order, until Stop.
func (g *registry) run() {
	n := g.l.n
	var kv jetstream.KeyValue
	for kv == nil {
		// Short attempts: without a meta leader a request waits for its
		// whole timeout, and the leader is usually elected in between.
		ctx, cancel := n.ctx(time.Second)
		var err error
		kv, err = n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: g.bucket(), History: 1, Storage: jetstream.MemoryStorage,
			Replicas: n.cfg.ReplicasOrDefault(),
		})
		cancel()
		if err == nil {
			break
		}
		n.log.Debug("cluster registration table not up yet", "realm", g.l.r.Name(), "err", err)
		g.expire()
		select {
		case <-n.stop:
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
	g.kv.Store(&kv)
	n.log.Info("cluster registration table up", "realm", g.l.r.Name(), "bucket", g.bucket())
	g.purge(n.cfg.Node)
	n.goOwned(g.watch)
	for {
		select {
		case <-n.stop:
			g.drain()
			return
		case op := <-g.ops:
			g.do(op)
		}
	}
}

// drain does the operations still queued at Stop (the unregistrations of
// the sessions the realm's shutdown closed), bounded.
func (g *registry) drain() {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case op := <-g.ops:
			if op.kind != regRegister {
				g.do(op)
			}
		default:
			return
		}
	}
}

// expire fails the REGISTERs that waited longer than regWait while the
// table was not up (the others stay queued, in order).
func (g *registry) expire() {
	var keep []regOp
	for more := true; more; {
		select {
		case op := <-g.ops:
			if op.kind == regRegister && time.Since(op.at) > regWait {
				g.answer(&op.req, 0, ErrClusterUnavailable, "the cluster's registration table is not available")
				continue
			}
			keep = append(keep, op)
		default:
			more = false
		}
	}
	for _, op := range keep {
		g.push(op) // the actor may have filled the queue meanwhile
	}
}

func (g *registry) do(op regOp) {
	switch op.kind {
	case regRegister:
		g.register(&op.req)
	case regRepair:
		g.repair(&op.req)
	case regUnregister:
		g.forget(regKey(op.req.URI, op.req.Match), op.req.Session)
		g.update(regKey(op.req.URI, op.req.Match), func(c regCallee) bool {
			return c.Node == g.l.n.cfg.Node && c.Session == op.req.Session
		})
	case regPurge:
		g.purge(op.node)
	}
}

func (g *registry) answer(req *realm.ClusterRegister, id uint64, err codec.URI, msg string) {
	g.l.r.RemoteRegistered(&realm.ClusterRegistered{
		Session: req.Session, Request: req.Request, URI: req.URI, Match: req.Match,
		ID: id, Err: err, Message: msg,
	})
}

// register adds a local callee and answers the REGISTER.
func (g *registry) register(req *realm.ClusterRegister) {
	id, uri, msg := g.add(req)
	if uri == "" {
		r := *req
		r.ID = id
		g.remember(&r)
	}
	g.answer(req, id, uri, msg)
}

// add puts a local callee in the table: a new key (create-if-absent), or
// one more callee of a shared registration with the same invoke policy.
// It returns the registration's id, or an error URI and message.
func (g *registry) add(req *realm.ClusterRegister) (uint64, codec.URI, string) {
	n := g.l.n
	key := regKey(req.URI, req.Match)
	me := regCallee{Node: n.cfg.Node, Session: req.Session}
	for range regAttempts {
		ctx, cancel := n.ctx(opTimeout)
		e := regEntry{URI: req.URI, Match: uint8(req.Match), Invoke: uint8(req.Invoke), Disclose: req.Disclose,
			ID: req.ID, Created: time.Now().UTC(), Callees: []regCallee{me}}
		b, _ := json.Marshal(&e)
		_, err := g.table().Create(ctx, key, b)
		if err == nil {
			cancel()
			n.stats.RegWrites.Add(1)
			return e.ID, "", ""
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			cancel()
			g.withdraw(key, me)
			return g.fail(req, err)
		}
		cur, rev, err := g.get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			cancel()
			continue // deleted meanwhile: create again
		}
		if err != nil {
			cancel()
			return g.fail(req, err)
		}
		if hasCallee(cur.Callees, me) {
			cancel()
			return cur.ID, "", "" // already there (a repair that raced another)
		}
		if codec.Invoke(cur.Invoke) == codec.InvokeSingle || cur.Invoke != uint8(req.Invoke) {
			cancel()
			return 0, codec.ErrProcedureAlreadyExists, "procedure '" + req.URI + "' is already registered"
		}
		cur.Callees = append(cur.Callees, me)
		b, _ = json.Marshal(cur)
		_, err = g.table().Update(ctx, key, b, rev)
		cancel()
		if err == nil {
			n.stats.RegWrites.Add(1)
			return cur.ID, "", ""
		}
		if !isConflict(err) {
			g.withdraw(key, me)
			return g.fail(req, err)
		}
	}
	return g.fail(req, errors.New("too many concurrent changes"))
}

// withdraw takes me out of key after a write whose outcome is unknown (a
// timeout may come after JetStream committed it): the REGISTER is
// answered as failed, so the table must not keep its callee.
func (g *registry) withdraw(key string, me regCallee) {
	g.update(key, func(c regCallee) bool { return c == me })
}

// remember records a local callee the table has (for repair).
func (g *registry) remember(req *realm.ClusterRegister) {
	key := regKey(req.URI, req.Match)
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.mine[key]
	if m == nil {
		m = make(map[uint64]*realm.ClusterRegister)
		g.mine[key] = m
	}
	m[req.Session] = req
}

// forget drops a local callee from what repair puts back.
func (g *registry) forget(key string, session uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if m := g.mine[key]; m != nil {
		delete(m, session)
		if len(m) == 0 {
			delete(g.mine, key)
		}
	}
}

// lost returns this node's callees of key that st (the table's entry as
// the watch gave it) no longer lists: the other nodes took this node for
// lost (a partition, a stall) and removed them, while their sessions are
// still here and registered.
func (g *registry) lost(key string, st *realm.ClusterRegistration) []*realm.ClusterRegister {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*realm.ClusterRegister
	for id, req := range g.mine[key] {
		if st.Deleted || !slices.Contains(st.Callees, id) {
			out = append(out, req)
		}
	}
	return out
}

// repair puts a local callee the table lost back. A procedure taken
// meanwhile by another node's single registration cannot be: counted and
// logged, the local callee then serves only this node's callers.
func (g *registry) repair(req *realm.ClusterRegister) {
	g.mu.Lock()
	_, still := g.mine[regKey(req.URI, req.Match)][req.Session]
	g.mu.Unlock()
	if !still {
		return // unregistered meanwhile
	}
	if _, uri, msg := g.add(req); uri != "" {
		g.l.n.stats.RegFailures.Add(1)
		g.forget(regKey(req.URI, req.Match), req.Session)
		g.l.n.log.Warn("cluster registration not repaired", "realm", g.l.r.Name(), "procedure", req.URI, "err", msg)
		return
	}
	g.l.n.log.Info("cluster registration repaired", "realm", g.l.r.Name(), "procedure", req.URI, "session", req.Session)
}

// table is the bucket (the worker's: run has set it).
func (g *registry) table() jetstream.KeyValue { return *g.kv.Load() }

func (g *registry) fail(req *realm.ClusterRegister, err error) (uint64, codec.URI, string) {
	g.l.n.stats.RegFailures.Add(1)
	g.l.n.log.Warn("cluster register", "realm", g.l.r.Name(), "procedure", req.URI, "err", err)
	return 0, ErrClusterUnavailable, "the cluster's registration table failed: " + err.Error()
}

func hasCallee(list []regCallee, c regCallee) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

// isConflict reports whether err is a lost compare-and-set.
func isConflict(err error) bool {
	// nats.go wraps the two API codes of a wrong last sequence (R1 and
	// replicated streams) in ErrKeyRevisionMismatch.
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists)
}

func (g *registry) get(ctx context.Context, key string) (*regEntry, uint64, error) {
	ent, err := g.table().Get(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	var e regEntry
	if err := json.Unmarshal(ent.Value(), &e); err != nil {
		return nil, 0, err
	}
	return &e, ent.Revision(), nil
}

// update removes the callees drop selects from key, and the key when none
// is left, by compare-and-set. A failure other than a conflict (the table
// electing a leader, a timeout) is retried after a pause, so that a lost
// UNREGISTER does not leave a callee in the table; what still fails is
// counted and logged.
func (g *registry) update(key string, drop func(regCallee) bool) {
	n := g.l.n
	var err error
	start := time.Now()
	for attempt := range regAttempts {
		// Retries stop at regWait: the REGISTERs queued behind wait too.
		if err != nil && !isConflict(err) && (time.Since(start) > regWait || !g.pause(attempt)) {
			break
		}
		ctx, cancel := n.ctx(opTimeout)
		var cur *regEntry
		var rev uint64
		cur, rev, err = g.get(ctx, key)
		if err != nil {
			cancel()
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				return
			}
			continue
		}
		kept := cur.Callees[:0]
		for _, c := range cur.Callees {
			if !drop(c) {
				kept = append(kept, c)
			}
		}
		if len(kept) == len(cur.Callees) {
			cancel()
			return
		}
		cur.Callees = kept
		if len(kept) == 0 {
			err = g.table().Delete(ctx, key, jetstream.LastRevision(rev))
		} else {
			b, _ := json.Marshal(cur)
			_, err = g.table().Update(ctx, key, b, rev)
		}
		cancel()
		if err == nil {
			n.stats.RegWrites.Add(1)
			return
		}
	}
	n.stats.RegFailures.Add(1)
	n.log.Warn("cluster unregister", "realm", g.l.r.Name(), "key", key, "err", err)
}

// pause waits before retry attempt of a failed table write, longer each
// time up to a second; false when the node stops meanwhile.
func (g *registry) pause(attempt int) bool {
	d := min(50*time.Millisecond<<min(attempt, 5), time.Second)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-g.l.n.stop:
		return false
	case <-t.C:
		return true
	}
}

// purge removes every callee of node from the table.
func (g *registry) purge(node string) {
	if g.kv.Load() == nil {
		return // the table is not up: this node purges its own when it is
	}
	ctx, cancel := g.l.n.ctx(opTimeout)
	keys, err := g.table().Keys(ctx)
	cancel()
	if err != nil {
		if !errors.Is(err, jetstream.ErrNoKeysFound) {
			g.l.n.log.Warn("cluster purge", "realm", g.l.r.Name(), "node", node, "err", err)
		}
		return
	}
	for _, k := range keys {
		g.update(k, func(c regCallee) bool { return c.Node == node })
	}
}

// watch hands every change of the table to the realm, until Stop. A
// watch that fails or ends (the stream moved, the connection was
// replaced) is started again after a pause: it replays the table first.
func (g *registry) watch() {
	for attempt := 0; ; attempt++ {
		err := g.watchOnce()
		select {
		case <-g.l.n.stop:
			return
		default:
		}
		g.l.n.log.Warn("cluster registration watch ended; restarting", "realm", g.l.r.Name(), "err", err)
		if !g.pause(attempt) {
			return
		}
	}
}

// watchOnce runs one watch of the table until it ends or Stop.
func (g *registry) watchOnce() error {
	n := g.l.n
	w, err := g.table().WatchAll(n.base)
	if err != nil {
		return err
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-n.stop:
			return nil
		case ent, ok := <-w.Updates():
			if !ok {
				return errors.New("the watch's channel closed")
			}
			if ent == nil {
				continue // the initial values are all in
			}
			st := decodeState(ent)
			g.l.r.RemoteRegistration(st)
			for _, req := range g.lost(ent.Key(), st) {
				g.queue(regOp{kind: regRepair, req: *req})
			}
		}
	}
}

// leaderGet reads key's entry from the bucket's stream leader (JetStream's
// STREAM.MSG.GET, not the direct get any replica answers); nil when there
// is none or the leader does not answer within lookupTimeout.
func (g *registry) leaderGet(key string) *realm.ClusterRegistration {
	req, _ := json.Marshal(map[string]string{"last_by_subj": "$KV." + g.bucket() + "." + key})
	ctx, cancel := g.l.n.ctx(lookupTimeout)
	defer cancel()
	msg, err := g.l.n.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.KV_"+g.bucket(), req)
	if err != nil {
		return nil
	}
	var resp struct {
		Message *struct {
			Data []byte `json:"data"`
			Hdrs []byte `json:"hdrs"`
		} `json:"message"`
	}
	if json.Unmarshal(msg.Data, &resp) != nil || resp.Message == nil {
		return nil // not found (an API error), or not for us
	}
	op := jetstream.KeyValuePut
	if bytes.Contains(resp.Message.Hdrs, []byte("KV-Operation")) {
		op = jetstream.KeyValueDelete
	}
	return decodeEntry(key, op, resp.Message.Data)
}

// decodeState reads a KV entry as the realm's ClusterRegistration.
func decodeState(ent jetstream.KeyValueEntry) *realm.ClusterRegistration {
	return decodeEntry(ent.Key(), ent.Operation(), ent.Value())
}

func decodeEntry(key string, op jetstream.KeyValueOp, value []byte) *realm.ClusterRegistration {
	st := &realm.ClusterRegistration{}
	if op != jetstream.KeyValuePut {
		raw, err := base64.RawURLEncoding.DecodeString(key)
		if err != nil || len(raw) < 1 {
			st.Deleted = true
			return st
		}
		st.Match, st.URI, st.Deleted = codec.Match(raw[0]-'0'), string(raw[1:]), true
		return st
	}
	var e regEntry
	if err := json.Unmarshal(value, &e); err != nil {
		st.Deleted = true
		return st
	}
	st.URI, st.Match, st.Invoke, st.Disclose = e.URI, codec.Match(e.Match), codec.Invoke(e.Invoke), e.Disclose
	st.ID, st.Created = e.ID, e.Created
	for _, c := range e.Callees {
		st.Callees = append(st.Callees, c.Session)
	}
	return st
}
