package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/wampd/wampd/codec"
)

// pubsubTopic is the prefix of the benchmark topics.
const pubsubTopic = "wampbench.topic."

// psRun is the state of the pubsub, fanout and slow scenarios: P publishers
// publish round-robin over T topics, subscriber i listens on topic i mod T;
// in the slow scenario the last SlowFraction of the subscribers read slowly.
type psRun struct {
	runState
	cfg     Config
	topics  []string
	scratch []callerScratch
	nextPub []atomic.Uint64 // per publisher: publications made (topic choice)

	nHealthy             int
	healthyPer, slowPer  []uint64 // subscribers per topic
	sentPer              []atomic.Uint64
	subscribed           atomic.Int64 // SUBSCRIBED or refused
	pubsAlive, subsAlive atomic.Int64
	slowClosed           atomic.Uint64
	closing              atomic.Bool

	// The set-up probe of a cluster run (probe): per subscriber, whether
	// a probe publication reached it (nil when there is no probe), and
	// how many healthy subscribers one reached.
	probed  []atomic.Bool
	nProbed atomic.Int64
}

type psPublisher struct{ r *psRun }
type psSubscriber struct{ r *psRun }

func runPubSub(ctx context.Context, cfg Config, cli *Client, res *Result) error {
	if cfg.Scenario == ScenarioFanout || cfg.Scenario == ScenarioSlow {
		cfg.Publishers, cfg.Topics = 1, 1
	}
	nSlow := 0
	if cfg.Scenario == ScenarioSlow {
		nSlow = int(float64(cfg.Subscribers)*cfg.SlowFraction + 0.5)
		nSlow = min(max(nSlow, 1), cfg.Subscribers-1)
		if nSlow < 1 {
			return fmt.Errorf("%w: slow needs at least 2 subscribers", ErrConfig)
		}
	}
	r := &psRun{cfg: cfg, scratch: make([]callerScratch, cfg.Publishers),
		nextPub: make([]atomic.Uint64, cfg.Publishers), nHealthy: cfg.Subscribers - nSlow,
		healthyPer: make([]uint64, cfg.Topics), slowPer: make([]uint64, cfg.Topics), sentPer: make([]atomic.Uint64, cfg.Topics)}
	r.lat = NewRecorder(64)
	for i := range cfg.Topics {
		r.topics = append(r.topics, pubsubTopic+strconv.Itoa(i))
	}
	for i := range cfg.Subscribers {
		if i < r.nHealthy {
			r.healthyPer[i%cfg.Topics]++
		} else {
			r.slowPer[i%cfg.Topics]++
		}
	}

	subEPs, err := parseEndpoints(cfg.SubURLs)
	if err != nil {
		return fmt.Errorf("subscriber URLs: %w", err)
	}
	res.Target.SubURLs = endpointURLs(subEPs)
	if len(subEPs) > 0 {
		r.probed = make([]atomic.Bool, cfg.Subscribers)
	}

	subs := dialAll(ctx, cli, subEPs, r.nHealthy, psSubscriber{r}, &r.errs)
	defer func() { r.closing.Store(true); closeAll(subs) }()
	if len(subs) < r.nHealthy {
		_, samples := r.errs.snapshot()
		return fmt.Errorf("%w: %d of %d subscribers connected: %v", ErrSetup, len(subs), r.nHealthy, samples)
	}
	slow, err := r.dialSlow(ctx, cli, subEPs, nSlow)
	subs = append(subs, slow...)
	if err != nil {
		return err
	}
	r.subsAlive.Store(int64(len(subs)))
	for _, s := range subs {
		m := codec.Message{Type: codec.Subscribe, Request: s.NextRequest(), URI: r.topics[s.Index%cfg.Topics]}
		if err := s.SendAsync(&m); err != nil {
			return fmt.Errorf("%w: subscribe: %v", ErrSetup, err)
		}
	}
	if !waitFor(ctx, 30*time.Second, func() bool { return r.subscribed.Load() >= int64(len(subs)) }) {
		return fmt.Errorf("%w: %d of %d subscriptions confirmed within 30s", ErrSetup, r.subscribed.Load(), len(subs))
	}
	if n, samples := r.errs.snapshot(); n > 0 {
		return fmt.Errorf("%w: subscribe: %v", ErrSetup, samples)
	}
	pubs := dialAll(ctx, cli, nil, cfg.Publishers, psPublisher{r}, &r.errs)
	defer closeAll(pubs)
	if len(pubs) == 0 {
		_, samples := r.errs.snapshot()
		return fmt.Errorf("%w: no publisher connected: %v", ErrSetup, samples)
	}
	if r.probed != nil {
		if err := r.probe(ctx, pubs[0]); err != nil {
			return err
		}
	}
	r.pubsAlive.Store(int64(len(pubs)))
	res.Sessions = len(subs) + len(pubs)

	healthy := subs[:r.nHealthy]
	delivered := func(ss []*Session) (n uint64) {
		for _, s := range ss {
			n += s.Received.Load()
		}
		return n
	}
	expected := func(per []uint64) (n uint64) {
		for t := range per {
			n += r.sentPer[t].Load() * per[t]
		}
		return n
	}
	published := func() (n uint64) {
		for _, s := range pubs {
			n += s.Sent.Load()
		}
		return n
	}

	send := func(w *window, i int, intended int64, async bool) { r.publish(w, pubs[i], intended, async) }
	r.measure(ctx, cfg, phase{label: cfg.Scenario, senders: len(pubs), send: send,
		progress: func() uint64 { return delivered(healthy) },
		done:     func() bool { return delivered(healthy) >= expected(r.healthyPer) },
		dead:     func() bool { return r.pubsAlive.Load() == 0 || r.subsAlive.Load() == 0 },
	}, "events/s", res, func(res *Result) {
		res.Sent = published()
		res.Received, res.Expected = delivered(healthy), expected(r.healthyPer)
		for _, s := range healthy {
			res.ClientFastReads += s.fastReads.Load()
		}
		if res.Expected > res.Received {
			res.Lost = res.Expected - res.Received
		}
		if nSlow > 0 {
			st := SlowStats{Subscribers: nSlow, Expected: expected(r.slowPer), Received: delivered(subs[r.nHealthy:])}
			if st.Expected > st.Received {
				st.Lost = st.Expected - st.Received
			}
			for _, s := range subs[r.nHealthy:] {
				if !s.Alive() {
					st.Disconnected++
				}
			}
			res.Slow = st
		}
	})
	res.RouterRSSBytes = readRouterRSS(cfg.routerPIDs(), res.Routers, false)
	return nil
}

// probe makes sure, before anything is measured, that every subscription
// is known where the publishers are: with the subscribers on other nodes
// of a cluster (Config.SubURLs), a subscription reaches the publishers'
// node a little after SUBSCRIBED, and what is published before that
// misses it and would count as lost. pub publishes a probe to every topic
// every 20 ms until each healthy subscriber has seen one, for
// probeTimeout at most (the slow ones read at their own pace; only
// SlowStats counts what they get). The probes are unacknowledged, so that
// no PUBLISHED restarts a closed loop, and stamped probeStamp, so that one
// still on its way once measuring starts is not counted.
func (r *psRun) probe(ctx context.Context, pub *Session) error {
	n := int64(r.nHealthy)
	deadline := time.Now().Add(probeTimeout)
	for r.nProbed.Load() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %d of %d subscribers got no probe publication within %v", ErrSetup, n-r.nProbed.Load(), n, probeTimeout)
		}
		for _, t := range r.topics {
			if err := r.scratch[pub.Index].send(pub, codec.Publish, t, codec.Options{}, probeStamp, r.cfg.Size, true); err != nil {
				return fmt.Errorf("%w: probe publication: %v", ErrSetup, err)
			}
		}
		waitFor(ctx, 20*time.Millisecond, func() bool { return r.nProbed.Load() >= n })
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: probe: %v", ErrSetup, err)
		}
	}
	return nil
}

// dialSlow opens the n slow subscribers, slow subscriber i (session
// r.nHealthy+i) to endpointFor(eps, r.nHealthy+i, the client's endpoint).
func (r *psRun) dialSlow(ctx context.Context, cli *Client, eps []Endpoint, n int) ([]*Session, error) {
	out := make([]*Session, 0, n)
	for i := range n {
		idx := r.nHealthy + i
		s, err := cli.DialSlowTo(ctx, endpointFor(eps, idx, cli.cfg.Endpoint), psSubscriber{r}, idx, SlowReader{BytesPerSec: r.cfg.SlowRate})
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("%w: slow subscriber %d: %v", ErrSetup, i, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// publish sends one acknowledged PUBLISH stamped with intended; w is the
// run's window (the caller's copy of r.w).
func (r *psRun) publish(w *window, s *Session, intended int64, async bool) {
	if w.stop.Load() || !s.Alive() {
		return
	}
	k := r.nextPub[s.Index].Add(1) - 1
	t := int((uint64(s.Index) + k) % uint64(len(r.topics)))
	err := r.scratch[s.Index].send(s, codec.Publish, r.topics[t],
		codec.Options{Has: codec.HasAcknowledge, Acknowledge: true}, intended, r.cfg.Size, async)
	if err != nil {
		if s.Alive() {
			r.errs.add("publisher %d: send: %v", s.Index, err)
		}
		return
	}
	if w.in(intended) {
		s.Sent.Add(1)
		r.sentPer[t].Add(1)
	}
}

func (psPublisher) OnWelcome(*Session) {}

func (p psPublisher) OnMessage(s *Session, m *codec.Message) {
	r := p.r
	switch m.Type {
	case codec.Published:
	case codec.Error:
		r.errs.add("publisher %d: publish error %s", s.Index, m.URI)
	default:
		return
	}
	if w := r.w.Load(); w != nil && r.cfg.Rate <= 0 {
		r.publish(w, s, w.now(), false)
	}
}

func (p psPublisher) OnClose(s *Session, err error) {
	p.r.lost("publisher", s, err)
	p.r.pubsAlive.Add(-1)
}

func (psSubscriber) OnWelcome(*Session) {}

func (p psSubscriber) OnMessage(s *Session, m *codec.Message) {
	r := p.r
	switch m.Type {
	case codec.Subscribed:
		r.subscribed.Add(1)
	case codec.Error:
		r.errs.add("subscriber %d: error %s for %v", s.Index, m.URI, m.ReqType)
		if m.ReqType == codec.Subscribe {
			r.subscribed.Add(1)
		}
	case codec.Event:
		// Only an EVENT the fast read refused comes here (fastread.go).
		if r.w.Load() == nil && r.probed == nil {
			return
		}
		stamp, _, err := parsePayload(s.Serializer(), m.Args)
		if err != nil {
			r.errs.add("subscriber %d: event payload: %v", s.Index, err)
			return
		}
		p.event(s, stamp)
	}
}

// OnStampedEvent counts one benchmark EVENT read in place.
func (p psSubscriber) OnStampedEvent(s *Session, stamp int64, _ uint64) {
	if p.event(s, stamp) {
		s.fastReads.Add(1)
	}
}

// event counts an EVENT stamped inside the window and records its latency;
// it reports whether it was counted.
func (p psSubscriber) event(s *Session, stamp int64) bool {
	r := p.r
	if stamp == probeStamp {
		if r.probed != nil && s.Index < r.nHealthy && r.probed[s.Index].CompareAndSwap(false, true) {
			r.nProbed.Add(1)
		}
		return false
	}
	w := r.w.Load()
	if w == nil || !w.in(stamp) {
		return false
	}
	s.Received.Add(1)
	if s.Index < r.nHealthy {
		r.lat.Record(s.Index, time.Duration(w.now()-stamp))
	}
	return true
}

func (p psSubscriber) OnClose(s *Session, err error) {
	r := p.r
	if r.closing.Load() {
		return
	}
	r.subsAlive.Add(-1)
	if s.Index >= r.nHealthy {
		r.slowClosed.Add(1) // the router's policy at work, not an error
		return
	}
	r.disconnects.Add(1)
	r.errs.add("subscriber %d lost its connection: %v", s.Index, err)
}
