package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wampd/wampd/codec"
)

// rpcProcedure is the prefix of the echo procedures; callee i registers
// rpcProcedure+i, so the scenario needs no shared registrations. With
// Config.Shared every callee registers rpcSharedProcedure with invoke
// roundrobin instead.
const (
	rpcProcedure       = "wampbench.echo."
	rpcSharedProcedure = "wampbench.echo"
)

// rpcRun is the state of one rpc scenario: C callers keep K calls in flight
// (or send at a fixed rate) against E echo callees.
type rpcRun struct {
	runState
	cfg   Config
	procs []string
	// callers' payload scratch, one per caller, guarded by its mutex
	// (the pacer and the caller's event loop may both send).
	scratch []callerScratch

	callersAlive, calleesAlive atomic.Int64
	registered                 atomic.Int64 // REGISTERED or refused

	// The set-up probe of a cluster run (probe): per caller, whether a
	// probe CALL came back with a RESULT (nil when there is no probe),
	// and how many probe answers arrived.
	probed       []atomic.Bool
	probeAnswers atomic.Int64
}

// callerScratch is one sender's reused payload and message, guarded by mu
// (closed-loop replies and the open-loop pacer may both send).
type callerScratch struct {
	mu  sync.Mutex
	buf []byte
	m   codec.Message
}

// send builds a message of type typ to uri whose payload is stamped with
// intended and the request id, and sends it (async: from outside the
// session's event loop).
func (sc *callerScratch) send(s *Session, typ codec.Type, uri string, opts codec.Options, intended int64, size int, async bool) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	req := s.NextRequest()
	sc.buf = appendPayload(sc.buf[:0], s.Serializer(), intended, req, size)
	sc.m = codec.Message{Type: typ, Request: req, URI: uri, Args: sc.buf, PayloadSer: s.Serializer(), Options: opts}
	if async {
		return s.SendAsync(&sc.m)
	}
	return s.Send(&sc.m)
}

type rpcCaller struct{ r *rpcRun }
type rpcCallee struct{ r *rpcRun }

func runRPC(ctx context.Context, cfg Config, cli *Client, res *Result) error {
	r := &rpcRun{cfg: cfg, scratch: make([]callerScratch, cfg.Callers)}
	r.lat = NewRecorder(4 * max(1, cfg.EventLoops, cfg.Callers))
	var calleeEPs []Endpoint
	if cfg.CalleeURL != "" {
		var err error
		if calleeEPs, err = parseEndpoints([]string{cfg.CalleeURL}); err != nil {
			return fmt.Errorf("callee URL: %w", err)
		}
		res.Target.CalleeURL = calleeEPs[0].String()
		r.probed = make([]atomic.Bool, cfg.Callers)
	}
	if cfg.Shared {
		r.procs = []string{rpcSharedProcedure}
	} else {
		for i := range cfg.Callees {
			r.procs = append(r.procs, rpcProcedure+strconv.Itoa(i))
		}
	}
	callees := dialAll(ctx, cli, calleeEPs, cfg.Callees, rpcCallee{r}, &r.errs)
	defer closeAll(callees)
	if len(callees) < cfg.Callees {
		_, samples := r.errs.snapshot()
		return fmt.Errorf("%w: %d of %d callees connected: %v", ErrSetup, len(callees), cfg.Callees, samples)
	}
	r.calleesAlive.Store(int64(len(callees)))
	for _, s := range callees {
		m := codec.Message{Type: codec.Register, Request: s.NextRequest(), URI: r.procs[s.Index%len(r.procs)]}
		if cfg.Shared {
			m.Options = codec.Options{Has: codec.HasInvoke, Invoke: codec.InvokeRoundRobin}
		}
		if err := s.SendAsync(&m); err != nil {
			return fmt.Errorf("%w: register: %v", ErrSetup, err)
		}
	}
	if !waitFor(ctx, 10*time.Second, func() bool { return r.registered.Load() >= int64(len(callees)) }) {
		return fmt.Errorf("%w: registrations not confirmed within 10s", ErrSetup)
	}
	if n, samples := r.errs.snapshot(); n > 0 {
		return fmt.Errorf("%w: register: %v", ErrSetup, samples)
	}
	callers := dialAll(ctx, cli, nil, cfg.Callers, rpcCaller{r}, &r.errs)
	defer closeAll(callers)
	if len(callers) == 0 {
		_, samples := r.errs.snapshot()
		return fmt.Errorf("%w: no caller connected: %v", ErrSetup, samples)
	}
	if r.probed != nil {
		if err := r.probe(ctx, callers); err != nil {
			return err
		}
	}
	r.callersAlive.Store(int64(len(callers)))
	res.Sessions = len(callers) + len(callees)

	sum := func(f func(s *Session) uint64) (n uint64) {
		for _, s := range callers {
			n += f(s)
		}
		return n
	}
	sent := func() uint64 { return sum(func(s *Session) uint64 { return s.Sent.Load() }) }
	recv := func() uint64 { return sum(func(s *Session) uint64 { return s.Received.Load() }) }

	send := func(w *window, i int, intended int64, async bool) { r.call(w, callers[i], intended, async) }
	r.measure(ctx, cfg, phase{label: "rpc", senders: len(callers), send: send, progress: recv,
		done: func() bool { return recv() >= sent() },
		dead: func() bool { return r.callersAlive.Load() == 0 || r.calleesAlive.Load() == 0 },
	}, "calls/s", res, callCounts(sent, recv))
	return nil
}

// callCounts fills a request/response run's counts: every call sent
// expects its answer; the unanswered ones are lost.
func callCounts(sent, recv func() uint64) func(*Result) {
	return func(res *Result) {
		res.Sent, res.Received = sent(), recv()
		res.Expected = res.Sent
		if res.Sent > res.Received {
			res.Lost = res.Sent - res.Received
		}
	}
}

// probeTimeout bounds the set-up probe of a cluster run: how long a
// registration or subscription may take to be known on every node.
const probeTimeout = 10 * time.Second

// probe makes sure, before anything is measured, that every caller's
// procedure is known where the caller is: with the callees on another
// node of a cluster (Config.CalleeURL), a registration reaches the
// callers' node a little after REGISTERED, and a CALL before that fails
// with wamp.error.no_such_procedure, which would count as an error of the
// run. Each caller without a RESULT yet sends one probe CALL per round,
// rounds 20 ms apart, until every caller has had one, for probeTimeout at
// most; a round waits for all its answers, so that no probe is still in
// flight (and none of their RESULTs restarts a closed loop) once measuring
// starts.
func (r *rpcRun) probe(ctx context.Context, callers []*Session) error {
	deadline := time.Now().Add(probeTimeout)
	for {
		var pending []*Session
		for _, s := range callers {
			if !r.probed[s.Index].Load() {
				pending = append(pending, s)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: the procedures of %d callers not known to their router within %v (%s)",
				ErrSetup, len(pending), probeTimeout, codec.ErrNoSuchProcedure)
		}
		want := r.probeAnswers.Load() + int64(len(pending))
		for _, s := range pending {
			err := r.scratch[s.Index].send(s, codec.Call, r.procs[s.Index%len(r.procs)], codec.Options{}, probeStamp, r.cfg.Size, true)
			if err != nil {
				return fmt.Errorf("%w: caller %d: probe call: %v", ErrSetup, s.Index, err)
			}
		}
		// A round sent just before the deadline still gets a second for
		// its answers.
		if !waitFor(ctx, max(time.Until(deadline), time.Second), func() bool { return r.probeAnswers.Load() >= want }) {
			return fmt.Errorf("%w: %d probe calls not answered", ErrSetup, want-r.probeAnswers.Load())
		}
		if n, samples := r.errs.snapshot(); n > 0 {
			return fmt.Errorf("%w: probe call: %v", ErrSetup, samples)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: probe: %v", ErrSetup, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// probeAnswer takes an answer that came before measuring started, the
// answer to a probe CALL (probe): a RESULT makes the caller ready;
// no_such_procedure is the registration not yet known on the caller's
// node, tried again next round; any other ERROR fails the set-up.
func (r *rpcRun) probeAnswer(s *Session, m *codec.Message) {
	if r.probed == nil {
		return // no probe: nothing was called yet, an early ERROR has no call to answer
	}
	switch m.Type {
	case codec.Result:
		r.probed[s.Index].Store(true)
	case codec.Error:
		if m.URI != codec.ErrNoSuchProcedure {
			r.errs.add("caller %d: probe call error %s", s.Index, m.URI)
		}
	default:
		return
	}
	r.probeAnswers.Add(1)
}

// call sends one CALL stamped with intended (the send time in closed loop);
// w is the run's window (the caller's copy of r.w).
func (r *rpcRun) call(w *window, s *Session, intended int64, async bool) {
	if w.stop.Load() || !s.Alive() {
		return
	}
	err := r.scratch[s.Index].send(s, codec.Call, r.procs[s.Index%len(r.procs)], codec.Options{}, intended, r.cfg.Size, async)
	if err != nil {
		if s.Alive() {
			r.errs.add("caller %d: send: %v", s.Index, err)
		}
		return
	}
	if w.in(intended) {
		s.Sent.Add(1)
	}
}

func (rpcCaller) OnWelcome(*Session) {}

func (c rpcCaller) OnMessage(s *Session, m *codec.Message) {
	r := c.r
	w := r.w.Load()
	if w == nil {
		r.probeAnswer(s, m)
		return
	}
	switch m.Type {
	case codec.Result:
		stamp, _, err := parsePayload(s.Serializer(), m.Args)
		if err != nil {
			r.errs.add("caller %d: result payload: %v", s.Index, err)
		} else if w.in(stamp) {
			s.Received.Add(1)
			r.lat.Record(s.Index, time.Duration(w.now()-stamp))
		}
	case codec.Error:
		r.errs.add("caller %d: call error %s", s.Index, m.URI)
	default:
		return
	}
	if r.cfg.Rate <= 0 {
		r.call(w, s, w.now(), false)
	}
}

func (c rpcCaller) OnClose(s *Session, err error) {
	c.r.lost("caller", s, err)
	c.r.callersAlive.Add(-1)
}

func (rpcCallee) OnWelcome(*Session) {}

func (c rpcCallee) OnMessage(s *Session, m *codec.Message) {
	switch m.Type {
	case codec.Registered:
		c.r.registered.Add(1)
	case codec.Error:
		if m.ReqType == codec.Register {
			c.r.errs.add("callee %d: register: %s", s.Index, m.URI)
			c.r.registered.Add(1)
			return
		}
		c.r.errs.add("callee %d: error %s", s.Index, m.URI)
	case codec.Invocation:
		// Echo: the arguments go back as they came, raw.
		y := codec.Message{Type: codec.Yield, Request: m.Request, Args: m.Args, Kwargs: m.Kwargs, PayloadSer: m.PayloadSer}
		if y.PayloadSer == 0 {
			y.PayloadSer = s.Serializer()
		}
		if err := s.Send(&y); err != nil {
			c.r.errs.add("callee %d: yield: %v", s.Index, err)
		}
	}
}

func (c rpcCallee) OnClose(s *Session, err error) {
	c.r.lost("callee", s, err)
	c.r.calleesAlive.Add(-1)
}

// waitFor polls cond every few milliseconds for at most d.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}
