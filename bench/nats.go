package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// The NATS target (--target nats) runs the same shapes as the WAMP
// scenarios against a nats-server through nats.go, with the same payload
// (payload.go: stamp and sequence number first, padded to --size), the same
// window, pacer and latency recorder, so that loss and latency are counted
// the same way on both sides:
//
//   - pubsub and fanout: subscriber i is one connection subscribed to topic
//     i mod T (the subjects are the WAMP topics), publishers one connection
//     each. Open loop: the pacer publishes. Closed loop: NATS has no
//     acknowledgement per publication, so each publisher publishes InFlight
//     messages, then flushes (PING/PONG: the server has routed them into
//     its subscribers' outbound buffers, what wampd's PUBLISHED says), and
//     repeats.
//   - rpc: NATS request/reply against WAMP RPC. Callee i is a responder
//     subscribed to wampbench.echo.i (with Shared, every callee to
//     wampbench.echo) in a queue group, echoing the payload; caller c is one
//     connection with InFlight requests outstanding on callee c mod E, the
//     replies coming to its own inbox.
//
// conns and slow have no NATS counterpart here.

// natsQueue is the callees' queue group.
const natsQueue = "wampbench.callees"

// natsRun is what the NATS shapes share: the run's state, its target and
// every connection it opened (closed by close).
type natsRun struct {
	runState
	cfg     Config
	url     string
	closing atomic.Bool

	mu    sync.Mutex
	conns []*nats.Conn
}

// natsSender is one publisher's or caller's connection with its reused
// payload buffer, guarded by mu (the pacer and the reply handler, or the
// closed loop, may both send).
type natsSender struct {
	mu    sync.Mutex
	nc    *nats.Conn
	inbox string // a caller's reply subject
	buf   []byte
	seq   uint64
	next  uint64        // publications made: the round-robin topic
	sent  atomic.Uint64 // sent inside the window
}

// counter is a per-receiver count on its own cache line: receivers never
// contend on one.
type counter struct {
	atomic.Uint64
	_ [56]byte
}

// runNATS runs cfg's scenario against the NATS server at url.
func runNATS(ctx context.Context, cfg Config, url string) (*Result, error) {
	cfg.Defaults()
	if len(cfg.Realms) > 1 {
		return nil, fmt.Errorf("%w: --realms has no NATS counterpart", ErrConfig)
	}
	if cfg.CalleeURL != "" || len(cfg.SubURLs) > 0 {
		return nil, fmt.Errorf("%w: --callee-url and --sub-urls have no NATS counterpart (one --nats-url)", ErrConfig)
	}
	res := newResult(cfg, TargetInfo{URL: url, Kind: "nats", Transport: "nats", Serializer: cfg.Serializer.String()})
	r := &natsRun{cfg: cfg, url: url}
	r.lat = NewRecorder(64)
	defer r.close()
	var err error
	switch cfg.Scenario {
	case ScenarioRPC:
		err = r.rpc(ctx, res)
	case ScenarioPubSub, ScenarioFanout:
		err = r.pubsub(ctx, res)
	default:
		err = fmt.Errorf("%w: scenario %q has no NATS shape (rpc, pubsub, fanout)", ErrConfig, cfg.Scenario)
	}
	if err != nil {
		return nil, err
	}
	res.RouterRSSBytes = readRouterRSS(cfg.routerPIDs(), res.Routers, false) // the connections are still open
	res.ClientRSSBytes = processRSS(0)
	return res, nil
}

// close closes every connection of the run; their loss is no error.
func (r *natsRun) close() {
	r.closing.Store(true)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, nc := range r.conns {
		nc.Close()
	}
	r.conns = nil
}

// dialN opens n connections of role (64 at a time), runs setup on each and
// counts them in alive until they close; any failure fails the set-up.
func (r *natsRun) dialN(ctx context.Context, n int, role string, alive *atomic.Int64, setup func(nc *nats.Conn, i int) error) ([]*nats.Conn, error) {
	out := make([]*nats.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			nc, err := r.connect(role, i, alive)
			if err == nil {
				err = setup(nc, i)
			}
			out[i], errs[i] = nc, err
		}()
	}
	wg.Wait()
	r.mu.Lock()
	for _, nc := range out {
		if nc != nil {
			r.conns = append(r.conns, nc)
		}
	}
	r.mu.Unlock()
	failed := 0
	var first error
	for _, err := range errs {
		if err != nil {
			if first == nil {
				first = err
			}
			failed++
		}
	}
	if failed > 0 {
		return nil, fmt.Errorf("%w: %d of %d %ss: %v", ErrSetup, failed, n, role, first)
	}
	return out, nil
}

// connect opens one connection that never reconnects: a lost connection is
// a disconnect of the run, as a lost WAMP session is.
func (r *natsRun) connect(role string, i int, alive *atomic.Int64) (*nats.Conn, error) {
	alive.Add(1)
	nc, err := nats.Connect(r.url, nats.Name("wampbench-"+role+"-"+strconv.Itoa(i)),
		nats.NoReconnect(), nats.Timeout(10*time.Second),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			r.errs.add("%s %d: %v", role, i, err) // a slow consumer, say
		}),
		nats.ClosedHandler(func(c *nats.Conn) {
			alive.Add(-1)
			if !r.closing.Load() {
				r.lostIndex(role, i, c.LastError())
			}
		}))
	if err != nil {
		alive.Add(-1)
		return nil, fmt.Errorf("%s %d: connect %s: %w", role, i, r.url, err)
	}
	return nc, nil
}

// natsPubSub is the state of the pubsub and fanout shapes.
type natsPubSub struct {
	*natsRun
	topics  []string
	per     []uint64 // subscribers per topic
	sentPer []atomic.Uint64
	recv    []counter // per subscriber
	pubs    []natsSender
	loops   sync.WaitGroup // closed-loop publishers

	pubsAlive, subsAlive atomic.Int64
}

func (r *natsRun) pubsub(ctx context.Context, res *Result) error {
	cfg := r.cfg
	if cfg.Scenario == ScenarioFanout {
		cfg.Publishers, cfg.Topics = 1, 1
	}
	ps := &natsPubSub{natsRun: r, per: make([]uint64, cfg.Topics), sentPer: make([]atomic.Uint64, cfg.Topics),
		recv: make([]counter, cfg.Subscribers), pubs: make([]natsSender, cfg.Publishers)}
	for i := range cfg.Topics {
		ps.topics = append(ps.topics, pubsubTopic+strconv.Itoa(i))
	}
	for i := range cfg.Subscribers {
		ps.per[i%cfg.Topics]++
	}
	subs, err := r.dialN(ctx, cfg.Subscribers, "subscriber", &ps.subsAlive, func(nc *nats.Conn, i int) error {
		if _, err := nc.Subscribe(ps.topics[i%cfg.Topics], func(m *nats.Msg) { ps.event(i, m.Data) }); err != nil {
			return fmt.Errorf("subscriber %d: subscribe: %w", i, err)
		}
		// After the PONG the server has the subscription: nothing
		// published from here on misses it.
		if err := nc.FlushTimeout(10 * time.Second); err != nil {
			return fmt.Errorf("subscriber %d: flush: %w", i, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	pubs, err := r.dialN(ctx, cfg.Publishers, "publisher", &ps.pubsAlive, func(*nats.Conn, int) error { return nil })
	if err != nil {
		return err
	}
	for i, nc := range pubs {
		ps.pubs[i].nc = nc
	}
	res.Sessions = len(subs) + len(pubs)

	delivered := func() (n uint64) {
		for i := range ps.recv {
			n += ps.recv[i].Load()
		}
		return n
	}
	expected := func() (n uint64) {
		for t := range ps.per {
			n += ps.sentPer[t].Load() * ps.per[t]
		}
		return n
	}
	p := phase{label: "nats-" + cfg.Scenario, senders: len(pubs), send: ps.publish,
		progress: delivered,
		done:     func() bool { return delivered() >= expected() },
		dead:     func() bool { return ps.pubsAlive.Load() == 0 || ps.subsAlive.Load() == 0 },
	}
	if cfg.Rate <= 0 {
		p.start = func(w *window) {
			for i := range ps.pubs {
				ps.loops.Add(1)
				go ps.closedLoop(w, i)
			}
		}
	}
	r.measure(ctx, cfg, p, "events/s", res, func(res *Result) {
		for i := range ps.pubs {
			res.Sent += ps.pubs[i].sent.Load()
		}
		res.Received, res.Expected = delivered(), expected()
		if res.Expected > res.Received {
			res.Lost = res.Expected - res.Received
		}
	})
	ps.loops.Wait() // the window has stopped them (or a flush timed out)
	return nil
}

// closedLoop is publisher i's closed loop: InFlight publications, a flush,
// again, until the window stops it. Its flush waits at most 10s.
func (ps *natsPubSub) closedLoop(w *window, i int) {
	defer ps.loops.Done()
	nc := ps.pubs[i].nc
	for !w.stop.Load() {
		for range ps.cfg.InFlight {
			ps.publish(w, i, w.now(), true)
		}
		if err := nc.FlushTimeout(10 * time.Second); err != nil {
			if !w.stop.Load() && !ps.closing.Load() {
				ps.errs.add("publisher %d: flush: %v", i, err)
			}
			return
		}
	}
}

// publish sends one publication of publisher i stamped with intended.
func (ps *natsPubSub) publish(w *window, i int, intended int64, _ bool) {
	if w.stop.Load() {
		return
	}
	p := &ps.pubs[i]
	p.mu.Lock()
	t := int((uint64(i) + p.next) % uint64(len(ps.topics)))
	p.next++
	p.seq++
	p.buf = appendPayload(p.buf[:0], ps.cfg.Serializer, intended, p.seq, ps.cfg.Size)
	err := p.nc.Publish(ps.topics[t], p.buf) // copies p.buf into the connection's buffer
	p.mu.Unlock()
	if err != nil {
		if !ps.closing.Load() {
			ps.errs.add("publisher %d: publish: %v", i, err)
		}
		return
	}
	if w.in(intended) {
		p.sent.Add(1)
		ps.sentPer[t].Add(1)
	}
}

// event is subscriber i's handler: count and time a message stamped inside
// the window. nats.go calls it on the subscription's own goroutine.
func (ps *natsPubSub) event(i int, data []byte) {
	w := ps.w.Load()
	if w == nil {
		return
	}
	stamp, _, err := parsePayload(ps.cfg.Serializer, data)
	if err != nil {
		ps.errs.add("subscriber %d: payload: %v", i, err)
		return
	}
	if !w.in(stamp) {
		return
	}
	ps.recv[i].Add(1)
	ps.lat.Record(i, time.Duration(w.now()-stamp))
}

// natsRPC is the state of the request/reply shape.
type natsRPC struct {
	*natsRun
	subjects []string
	callers  []natsSender
	recv     []counter // per caller

	callersAlive, calleesAlive atomic.Int64
}

func (r *natsRun) rpc(ctx context.Context, res *Result) error {
	cfg := r.cfg
	q := &natsRPC{natsRun: r, callers: make([]natsSender, cfg.Callers), recv: make([]counter, cfg.Callers)}
	if cfg.Shared {
		q.subjects = []string{rpcSharedProcedure}
	} else {
		for i := range cfg.Callees {
			q.subjects = append(q.subjects, rpcProcedure+strconv.Itoa(i))
		}
	}
	flushed := func(nc *nats.Conn, role string, i int) error {
		if err := nc.FlushTimeout(10 * time.Second); err != nil {
			return fmt.Errorf("%s %d: flush: %w", role, i, err)
		}
		return nil
	}
	callees, err := r.dialN(ctx, cfg.Callees, "callee", &q.calleesAlive, func(nc *nats.Conn, i int) error {
		_, err := nc.QueueSubscribe(q.subjects[i%len(q.subjects)], natsQueue, func(m *nats.Msg) {
			if err := m.Respond(m.Data); err != nil && !r.closing.Load() {
				r.errs.add("callee %d: respond: %v", i, err)
			}
		})
		if err != nil {
			return fmt.Errorf("callee %d: subscribe: %w", i, err)
		}
		return flushed(nc, "callee", i)
	})
	if err != nil {
		return err
	}
	callers, err := r.dialN(ctx, cfg.Callers, "caller", &q.callersAlive, func(nc *nats.Conn, i int) error {
		inbox := nc.NewInbox()
		q.callers[i].nc, q.callers[i].inbox = nc, inbox
		if _, err := nc.Subscribe(inbox, func(m *nats.Msg) { q.reply(i, m) }); err != nil {
			return fmt.Errorf("caller %d: subscribe: %w", i, err)
		}
		return flushed(nc, "caller", i)
	})
	if err != nil {
		return err
	}
	res.Sessions = len(callers) + len(callees)
	sum := func(f func(i int) uint64) (n uint64) {
		for i := range q.callers {
			n += f(i)
		}
		return n
	}
	sent := func() uint64 { return sum(func(i int) uint64 { return q.callers[i].sent.Load() }) }
	recv := func() uint64 { return sum(func(i int) uint64 { return q.recv[i].Load() }) }
	r.measure(ctx, cfg, phase{label: "nats-rpc", senders: len(callers), send: q.call, progress: recv,
		done: func() bool { return recv() >= sent() },
		dead: func() bool { return q.callersAlive.Load() == 0 || q.calleesAlive.Load() == 0 },
	}, "calls/s", res, callCounts(sent, recv))
	return nil
}

// call sends one request of caller i stamped with intended.
func (q *natsRPC) call(w *window, i int, intended int64, _ bool) {
	if w.stop.Load() {
		return
	}
	c := &q.callers[i]
	c.mu.Lock()
	c.seq++
	c.buf = appendPayload(c.buf[:0], q.cfg.Serializer, intended, c.seq, q.cfg.Size)
	err := c.nc.PublishRequest(q.subjects[i%len(q.subjects)], c.inbox, c.buf)
	c.mu.Unlock()
	if err != nil {
		if !q.closing.Load() {
			q.errs.add("caller %d: request: %v", i, err)
		}
		return
	}
	if w.in(intended) {
		c.sent.Add(1)
	}
}

// reply is caller i's inbox handler: count and time the echo, and in
// closed loop send the next request.
func (q *natsRPC) reply(i int, m *nats.Msg) {
	w := q.w.Load()
	if w == nil {
		return
	}
	stamp, _, err := parsePayload(q.cfg.Serializer, m.Data)
	switch {
	case err != nil:
		// An empty reply with a 503 status header: no responders.
		q.errs.add("caller %d: reply %q (%v): %v", i, m.Data, m.Header, err)
	case w.in(stamp):
		q.recv[i].Add(1)
		q.lat.Record(i, time.Duration(w.now()-stamp))
	}
	if q.cfg.Rate <= 0 {
		q.call(w, i, w.now(), false)
	}
}
