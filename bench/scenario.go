package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/wampd/wampd/codec"
)

// Scenarios, named by shape.
const (
	ScenarioRPC    = "rpc"
	ScenarioPubSub = "pubsub"
	ScenarioFanout = "fanout"
	ScenarioConns  = "conns"
	ScenarioSlow   = "slow"
)

// Scenarios lists every scenario name in help order.
var Scenarios = []string{ScenarioRPC, ScenarioPubSub, ScenarioFanout, ScenarioConns, ScenarioSlow}

// Config is one benchmark run: the target, the scenario's shape and the
// load model. Zero values take the defaults of Defaults.
type Config struct {
	Scenario   string
	Name       string // label of the run in reports (default: target kind + scenario)
	URL        string
	Realm      string
	Serializer codec.Serializer
	// CalleeURL, when set, is where the rpc callees connect, the callers
	// staying on URL: callers on one node of a cluster and callees on
	// another measure the cross-node call.
	CalleeURL string
	// SubURLs, when set, are where the subscribers of pubsub, fanout and
	// slow connect, subscriber i to SubURLs[i mod len(SubURLs)], the
	// publishers staying on URL: a cluster's fan-out over its nodes.
	SubURLs []string

	Duration time.Duration // measured period
	Warmup   time.Duration // traffic before measuring
	Drain    time.Duration // after the run, wait this long at most for answers
	// Rate is the open-loop rate per second (calls, publications or new
	// sessions, over all senders); 0 means closed loop; negative means the
	// scenario's default (100/s for fanout, 1000/s for slow, closed loop
	// for the others).
	Rate float64

	Callers, Callees, InFlight      int
	Publishers, Subscribers, Topics int
	Size                            int // payload size in bytes

	Sessions     int     // conns: sessions to open
	SlowFraction float64 // slow: fraction of subscribers that read slowly
	SlowRate     int     // slow: bytes per second a slow subscriber reads
	// RouterPID is the router's process id: its RSS and CPU time (utime +
	// stime from /proc/PID/stat over the measured window) are reported.
	RouterPID int
	// RouterPIDs, when set, stands instead of RouterPID for a router of
	// several processes (the nodes of a cluster): each one's CPU time and
	// RSS is reported (Result.Routers) and the router figures are their
	// sums.
	RouterPIDs []int
	// RouterDebug is the router's debug listener (http://host:port, wampd
	// --debug): conns reads GC pause figures from /debug/gc there.
	RouterDebug string
	// RawServerCmd, when set, runs the --target raw server as this child
	// process (argv) instead of in-process; see RawServerReady.
	RawServerCmd []string
	// NATSURL is the nats-server --target nats runs against
	// (nats://host:port; RouterPID, when given, is its pid). Empty: the
	// target starts one, as the child process NATSServerCmd (argv; see
	// NATSServerReady) when set, in-process otherwise (its CPU time is then
	// not told apart from wampbench's).
	NATSURL       string
	NATSServerCmd []string
	// Shared makes the rpc callees register one procedure with invoke
	// roundrobin (a shared registration) instead of one procedure each.
	Shared bool
	// Realms spreads the scenario over several realms at once: one full
	// copy of the scenario per realm, run concurrently, figures summed.
	Realms []string
	// Dialers is how many sessions are being opened at once (default 64);
	// SourceAddrs, when set, are the local IPs connections are bound to in
	// turn (127.0.0.2, ...), so that 100k connections to one port do not
	// run out of ephemeral ports.
	Dialers     int
	SourceAddrs []string

	EventLoops int // client event loops (default GOMAXPROCS)

	// Progress receives the live progress line; nil for none.
	Progress io.Writer
	// Flags are recorded verbatim in the result (the command line).
	Flags map[string]string
}

// routerPIDs is every router process to measure: RouterPIDs, or
// RouterPID alone, or none.
func (c *Config) routerPIDs() []int {
	if len(c.RouterPIDs) > 0 {
		return c.RouterPIDs
	}
	if c.RouterPID > 0 {
		return []int{c.RouterPID}
	}
	return nil
}

// Defaults fills zero fields of c with the scenario's defaults.
func (c *Config) Defaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	if c.Realm == "" {
		c.Realm = "realm1"
	}
	if c.Serializer == 0 {
		c.Serializer = codec.JSON
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Warmup < 0 {
		c.Warmup = 0
	}
	if c.Drain <= 0 {
		c.Drain = 2 * time.Second
	}
	def(&c.Size, 64)
	def(&c.InFlight, 1)
	def(&c.Callers, 1)
	def(&c.Callees, 1)
	def(&c.Publishers, 1)
	def(&c.Topics, 1)
	switch c.Scenario {
	case ScenarioFanout:
		def(&c.Subscribers, 1000)
		if c.Rate < 0 {
			c.Rate = 100 // the telemetry case is rate driven
		}
	case ScenarioSlow:
		def(&c.Subscribers, 100)
		if c.SlowFraction <= 0 {
			c.SlowFraction = 0.1
		}
		def(&c.SlowRate, 16<<10)
		if c.Rate < 0 {
			c.Rate = 1000
		}
	default:
		def(&c.Subscribers, 1)
	}
	c.Rate = max(c.Rate, 0)
	def(&c.Sessions, 1000)
	def(&c.Dialers, 64)
	if c.Name == "" {
		c.Name = c.Scenario
	}
}

// Result is everything a run measured, in the shape of the --json file.
type Result struct {
	Name      string            `json:"name"`
	Scenario  string            `json:"scenario"`
	Target    TargetInfo        `json:"target"`
	Flags     map[string]string `json:"flags"`
	Machine   Machine           `json:"machine"`
	StartedAt time.Time         `json:"started_at"`
	LoadModel string            `json:"load_model"` // closed or open
	Rate      float64           `json:"rate_per_sec"`
	DurationS float64           `json:"duration_s"`
	WarmupS   float64           `json:"warmup_s"`
	ElapsedS  float64           `json:"elapsed_s"` // measured time actually run
	Sessions  int               `json:"sessions"`

	// Sent counts calls / publications / session attempts started in the
	// measured window; Received their results / delivered events /
	// established sessions; Expected what Received should be when nothing
	// is lost; Lost = Expected - Received after the drain.
	Sent        uint64 `json:"sent"`
	Received    uint64 `json:"received"`
	Expected    uint64 `json:"expected"`
	Lost        uint64 `json:"lost"`
	Errors      uint64 `json:"errors"`
	Disconnects uint64 `json:"disconnects"`

	Throughput     float64 `json:"throughput_per_sec"` // Received per second
	ThroughputUnit string  `json:"throughput_unit"`
	SendRate       float64 `json:"send_rate_per_sec"` // Sent per second

	Latency   Latency `json:"latency"`   // round trip or end to end
	Handshake Latency `json:"handshake"` // dial to WELCOME

	// RouterRSSBytes is the router's (--router-pid) resident set at the
	// end of the run, RouterRSSBeforeBytes before its sessions were opened:
	// their difference, not the whole RSS, is what the sessions cost.
	RouterRSSBytes       int64 `json:"router_rss_bytes"`
	RouterRSSBeforeBytes int64 `json:"router_rss_before_bytes,omitempty"`
	// RouterCPUSeconds is the CPU time (user + system) the router process
	// (--router-pid) used during the measured window, RouterCPUCores that
	// time per second of window, and RouterCPUUsPerOp that time per
	// received operation (call, delivered event) in microseconds. For
	// --target raw they are the raw server child's.
	RouterCPUSeconds float64 `json:"router_cpu_s"`
	RouterCPUCores   float64 `json:"router_cpu_cores"`
	RouterCPUUsPerOp float64 `json:"router_cpu_us_per_op"`
	ClientRSSBytes   int64   `json:"client_rss_bytes"`
	// ClientCPUSeconds is wampbench's own CPU time (getrusage of this
	// process, user + system) during the measured window, ClientCPUUsPerOp
	// that time per received operation in microseconds: what the load
	// generator paid per call or event, to tell its ceiling from the
	// router's. ClientFastReads is how many of the received events the
	// fast EVENT read took (fastread.go); the rest were fully decoded.
	ClientCPUSeconds float64 `json:"client_cpu_s"`
	ClientCPUUsPerOp float64 `json:"client_cpu_us_per_op"`
	ClientFastReads  uint64  `json:"client_fast_reads"`
	// Host is how busy the machine was in the window (nil where /proc/stat
	// cannot be read).
	Host *HostCPU  `json:"host_cpu,omitempty"`
	Slow SlowStats `json:"slow"`

	// Baseline is the same scenario against the built-in raw server when
	// the run used --target both; Ratio = Throughput / Baseline.Throughput.
	Baseline      *BaselineInfo `json:"baseline"`
	ErrorSamples  []string      `json:"error_samples"`
	AbortedReason string        `json:"aborted_reason"`

	// Routers are the figures of each router process when several were
	// measured (Config.RouterPIDs), in their order; the Router* figures
	// are then their sums. Nil for one process.
	Routers []RouterProc `json:"routers,omitempty"`
	// Conns is what the conns scenario measured about the router's
	// memory and garbage collector; nil for other scenarios.
	Conns *ConnsStats `json:"conns,omitempty"`
	// Realms lists the realms of a multi-realm run (Config.Realms).
	Realms []string `json:"realms,omitempty"`

	hist *hdrhistogram.Histogram // the merged latency histogram, for merging runs
}

// TargetInfo says what was measured.
type TargetInfo struct {
	URL        string `json:"url"`
	Kind       string `json:"kind"` // router or raw
	Transport  string `json:"transport"`
	Serializer string `json:"serializer"`
	Realm      string `json:"realm"`
	// CalleeURL and SubURLs are where the callees or the subscribers
	// connected when not to URL (Config.CalleeURL, Config.SubURLs).
	CalleeURL string   `json:"callee_url,omitempty"`
	SubURLs   []string `json:"sub_urls,omitempty"`
}

// SlowStats is what the slow scenario saw on its slow subscribers.
type SlowStats struct {
	Subscribers  int    `json:"subscribers"`
	Expected     uint64 `json:"expected"`
	Received     uint64 `json:"received"`
	Lost         uint64 `json:"lost"`
	Disconnected int    `json:"disconnected"`
}

// BaselineInfo is the raw server's figures for the same shape.
type BaselineInfo struct {
	Throughput float64 `json:"throughput_per_sec"`
	Latency    Latency `json:"latency"`
	Ratio      float64 `json:"ratio"`
	// CPUUsPerOp is the raw server's CPU time per operation, when it ran
	// as a child process.
	CPUUsPerOp float64 `json:"cpu_us_per_op"`
}

// window is the run's clock: stamps are nanoseconds since epoch, and only
// what was sent inside [start, end) is measured. epoch, start and end never
// change after newWindow, so a window is shared freely once published (the
// scenarios hand it to session goroutines through an atomic.Pointer); stop
// is the only mutable field.
type window struct {
	epoch      time.Time
	start, end int64
	stop       atomic.Bool // senders stop when set
}

func newWindow(warmup, duration time.Duration) *window {
	return &window{epoch: time.Now(), start: int64(warmup), end: int64(warmup + duration)}
}

func (w *window) now() int64            { return int64(time.Since(w.epoch)) }
func (w *window) in(stamp int64) bool   { return stamp >= w.start && stamp < w.end }
func (w *window) at(ns int64) time.Time { return w.epoch.Add(time.Duration(ns)) }

// runState is what the closed-loop scenarios (rpc, pubsub) share: the
// window once measuring starts, the error log and the lost connections.
type runState struct {
	w           atomic.Pointer[window] // published once when measuring starts; nil during set-up
	lat         *Recorder
	errs        errorLog
	disconnects atomic.Uint64
}

// phase is the measured phase of a closed-loop scenario.
type phase struct {
	label string
	// senders is how many senders there are; send sends one operation from
	// sender i stamped with intended (async: from outside its reader).
	senders int
	send    func(w *window, i int, intended int64, async bool)
	// start, when set, starts the closed loop instead of InFlight sends per
	// sender (the NATS publishers, which have no per-publication answer).
	start    func(w *window)
	progress func() uint64 // what the live line counts
	done     func() bool   // everything sent has arrived
	dead     func() bool   // a whole role lost its connections
}

// measure runs the measured phase that rpc and pubsub share: it publishes
// the window, starts the senders (open loop: the pacer; closed loop:
// InFlight sends each), waits until done, dead, the context or the end of
// the drain, has counts fill res's Sent, Received, Expected and Lost, and
// fills the rest: errors, disconnects, elapsed time, throughput in unit,
// latency and CPU.
func (r *runState) measure(ctx context.Context, cfg Config, p phase, unit string, res *Result, counts func(*Result)) {
	w := newWindow(cfg.Warmup, cfg.Duration)
	r.w.Store(w)
	cpu := meterCPU(w, cfg.routerPIDs())
	prog := startProgress(cfg.Progress, p.label, w, func() (uint64, uint64) { n, _ := r.errs.snapshot(); return p.progress(), n })
	var waitPacer func()
	if cfg.Rate > 0 {
		waitPacer = pace(w, cfg.Rate, func(i uint64, intended int64) {
			p.send(w, int(i%uint64(p.senders)), intended, true)
		})
	} else if p.start != nil {
		p.start(w)
	} else {
		for i := range p.senders {
			for range cfg.InFlight {
				p.send(w, i, w.now(), true)
			}
		}
	}
	aborted := waitRun(ctx, w, cfg.Drain, waitPacer, p.done, p.dead)
	endedAt := w.now()
	if waitPacer != nil {
		waitPacer() // already done unless the run was aborted
	}
	prog.Stop()

	res.AbortedReason = aborted
	counts(res)
	res.Errors, res.ErrorSamples = r.errs.snapshot()
	res.Disconnects = r.disconnects.Load()
	res.ElapsedS = measuredSeconds(w, aborted, endedAt)
	if res.ElapsedS > 0 {
		res.Throughput = float64(res.Received) / res.ElapsedS
		res.SendRate = float64(res.Sent) / res.ElapsedS
	}
	res.ThroughputUnit = unit
	res.hist = r.lat.Merged()
	res.Latency = Summarize(res.hist)
	cpu.fill(res)
}

// lost records that the connection of s (in role) went away, as an error
// unless the run was already stopping.
func (r *runState) lost(role string, s *Session, err error) { r.lostIndex(role, s.Index, err) }

// lostIndex is lost for the connection of sender or receiver i of role.
func (r *runState) lostIndex(role string, i int, err error) {
	if w := r.w.Load(); w == nil || !w.stop.Load() {
		r.disconnects.Add(1)
		r.errs.add("%s %d lost its connection: %v", role, i, err)
	}
}

// errorLog keeps a count of errors and the first few messages.
type errorLog struct {
	mu      sync.Mutex
	n       uint64
	samples []string
}

func (e *errorLog) add(format string, a ...any) {
	e.mu.Lock()
	e.n++
	if len(e.samples) < 10 {
		e.samples = append(e.samples, fmt.Sprintf(format, a...))
	}
	e.mu.Unlock()
}

func (e *errorLog) snapshot() (uint64, []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n, append([]string{}, e.samples...)
}

// Run executes cfg's scenario and returns its result. The run is bounded
// by Warmup + Duration + Drain (+ set-up); ctx cancels it early.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if len(cfg.Realms) > 1 {
		return runRealms(ctx, cfg)
	}
	if len(cfg.Realms) == 1 {
		cfg.Realm = cfg.Realms[0]
	}
	cfg.Defaults()
	ep, err := ParseEndpoint(cfg.URL)
	if err != nil {
		return nil, err
	}
	res := newResult(cfg, TargetInfo{URL: ep.String(), Kind: "router", Transport: ep.Transport.String(),
		Serializer: cfg.Serializer.String(), Realm: cfg.Realm})
	cli, err := NewClient(ClientConfig{Endpoint: ep, Serializer: cfg.Serializer, Realm: cfg.Realm, EventLoops: cfg.EventLoops,
		SourceAddrs: cfg.SourceAddrs})
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	switch cfg.Scenario {
	case ScenarioRPC:
		err = runRPC(ctx, cfg, cli, res)
	case ScenarioPubSub, ScenarioFanout, ScenarioSlow:
		err = runPubSub(ctx, cfg, cli, res)
	case ScenarioConns:
		err = runConns(ctx, cfg, cli, res)
	default:
		return nil, fmt.Errorf("%w: %q (want one of %s)", ErrUnknownScenario, cfg.Scenario, strings.Join(Scenarios, ", "))
	}
	if err != nil {
		return nil, err
	}
	if res.RouterRSSBytes == 0 {
		res.RouterRSSBytes = readRouterRSS(cfg.routerPIDs(), res.Routers, false) // rpc does not measure it itself
	}
	res.ClientRSSBytes = processRSS(0)
	return res, nil
}

// newResult is the Result of a run of cfg (defaults applied) against
// target before anything is measured; it reads the router's RSS before any
// session of the run is open.
func newResult(cfg Config, target TargetInfo) *Result {
	res := &Result{
		Name: cfg.Name, Scenario: cfg.Scenario, Flags: cfg.Flags, Machine: MachineInfo(),
		StartedAt: time.Now().UTC(), LoadModel: "closed", Rate: cfg.Rate,
		DurationS: cfg.Duration.Seconds(), WarmupS: cfg.Warmup.Seconds(), Target: target,
		Latency: Summarize(NewRecorder(1).Merged()), Handshake: Summarize(NewRecorder(1).Merged()),
		ErrorSamples: []string{},
	}
	if res.Flags == nil {
		res.Flags = map[string]string{}
	}
	if cfg.Rate > 0 {
		res.LoadModel = "open"
	}
	pids := cfg.routerPIDs()
	res.Routers = newRouterProcs(pids)
	res.RouterRSSBeforeBytes = readRouterRSS(pids, res.Routers, true)
	return res
}

// parseEndpoints parses the URLs a role's sessions are spread over
// (Config.CalleeURL, Config.SubURLs); none gives none, which dialAll takes
// as the client's own endpoint.
func parseEndpoints(urls []string) ([]Endpoint, error) {
	eps := make([]Endpoint, 0, len(urls))
	for _, u := range urls {
		ep, err := ParseEndpoint(u)
		if err != nil {
			return nil, err
		}
		eps = append(eps, ep)
	}
	return eps, nil
}

// endpointFor is where session i of a role spread over eps connects:
// eps[i mod len(eps)], or def when eps is empty.
func endpointFor(eps []Endpoint, i int, def Endpoint) Endpoint {
	if len(eps) == 0 {
		return def
	}
	return eps[i%len(eps)]
}

// endpointURLs renders eps back as URLs, for TargetInfo.
func endpointURLs(eps []Endpoint) []string {
	var out []string
	for _, ep := range eps {
		out = append(out, ep.String())
	}
	return out
}

// dialAll opens n sessions with bounded parallelism, session i to
// endpointFor(eps, i, the client's endpoint); failures are counted in errs
// and the sessions that made it are returned (nil holes removed).
func dialAll(ctx context.Context, cli *Client, eps []Endpoint, n int, h Handler, errs *errorLog) []*Session {
	out := make([]*Session, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s, err := cli.DialTo(ctx, endpointFor(eps, i, cli.cfg.Endpoint), h, i)
			if err != nil {
				errs.add("session %d: %v", i, err)
				return
			}
			out[i] = s
		}()
	}
	wg.Wait()
	live := out[:0]
	for _, s := range out {
		if s != nil {
			live = append(live, s)
		}
	}
	return live
}

func closeAll(ss []*Session) {
	for _, s := range ss {
		_ = s.Close()
	}
}

// progress prints a live line every second until stop is closed.
type progress struct {
	w     io.Writer
	label string
	wnd   *window
	count func() (done, errors uint64)
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startProgress(w io.Writer, label string, wnd *window, count func() (uint64, uint64)) *progress {
	p := &progress{w: w, label: label, wnd: wnd, count: count, stop: make(chan struct{})}
	if w == nil {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var last uint64
		lastAt := time.Now()
		for {
			select {
			case <-p.stop:
				fmt.Fprintln(p.w)
				return
			case now := <-t.C:
				done, errs := p.count()
				rate := float64(done-last) / now.Sub(lastAt).Seconds()
				last, lastAt = done, now
				el := time.Duration(p.wnd.now())
				phase := "run"
				if el < time.Duration(p.wnd.start) {
					phase = "warmup"
				} else if el >= time.Duration(p.wnd.end) {
					phase = "drain"
				}
				fmt.Fprintf(p.w, "\r%-8s %-6s %6.1fs  %12.0f/s  errors %d   ", p.label, phase, el.Seconds(), rate, errs)
			}
		}
	}()
	return p
}

func (p *progress) Stop() {
	close(p.stop)
	p.wg.Wait()
}

// waitRun sleeps through warmup + duration, waits for the open-loop pacer
// (waitPacer, nil in closed loop) to have sent everything due in the
// window, stops the senders and waits up to drain for done() to report that
// every answer is in. It returns early when ctx ends or dead() reports that
// no sender is left.
func waitRun(ctx context.Context, w *window, drain time.Duration, waitPacer func(), done, dead func() bool) (aborted string) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for w.now() < w.end {
		select {
		case <-ctx.Done():
			w.stop.Store(true)
			return "canceled: " + ctx.Err().Error()
		case <-t.C:
			if dead() {
				w.stop.Store(true)
				return "every session of the scenario lost its connection"
			}
		}
	}
	if waitPacer != nil {
		waitPacer()
	}
	w.stop.Store(true)
	deadline := time.Now().Add(drain)
	for time.Now().Before(deadline) && !done() && !dead() {
		select {
		case <-ctx.Done():
			return "canceled: " + ctx.Err().Error()
		case <-t.C:
		}
	}
	return ""
}

// measuredSeconds is how long the measured window really lasted.
func measuredSeconds(w *window, aborted string, endedAt int64) float64 {
	end := w.end
	if aborted != "" && endedAt < end {
		end = endedAt
	}
	d := float64(end-w.start) / 1e9
	if d <= 0 {
		return 0
	}
	return d
}

// pace runs an open-loop sender at rate per second on its own goroutine
// until the end of the window (or w.stop on abort): send(i, intended) is
// called for the i-th operation with the time it should have been sent, so
// a stall shows up as latency instead of being hidden (coordinated
// omission); a pacer that fell behind catches up in a burst, as wrk2 does.
// It returns a function that waits for the pacer to end.
func pace(w *window, rate float64, send func(i uint64, intended int64)) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		interval := float64(time.Second) / rate
		start := w.now()
		var i uint64
		for !w.stop.Load() {
			now := w.now()
			due := uint64(float64(now-start)/interval) + 1
			for ; i < due && !w.stop.Load(); i++ {
				intended := start + int64(float64(i)*interval)
				if intended >= w.end {
					return
				}
				send(i, intended)
			}
			next := start + int64(float64(i)*interval)
			if d := time.Duration(next - w.now()); d > 0 {
				time.Sleep(min(d, 50*time.Millisecond))
			} else {
				runtime.Gosched()
			}
		}
	}()
	return wg.Wait
}

// runRealms runs one copy of cfg's scenario per realm of cfg.Realms at once
// (each with its own client) and sums the figures: the multi-realm load
// that shows whether a router spreads realms over cores.
func runRealms(ctx context.Context, cfg Config) (*Result, error) {
	rs := make([]*Result, len(cfg.Realms))
	errs := make([]error, len(cfg.Realms))
	var wg sync.WaitGroup
	for i, realm := range cfg.Realms {
		c := cfg
		c.Realms, c.Realm = nil, realm
		if i > 0 {
			c.Progress = nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs[i], errs[i] = Run(ctx, c)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return mergeResults(rs), nil
}

// mergeResults sums concurrent runs of one scenario into one result: counts
// and throughputs add up, latency histograms merge, the router's CPU time
// (measured by each run over nearly the same window) is averaged.
func mergeResults(rs []*Result) *Result {
	out := *rs[0]
	out.Realms = nil
	out.Target.Realm = ""
	h := hdrhistogram.New(histMin, histMax, histSigFigs)
	var cores, elapsed, clientCPU float64
	out.ErrorSamples = []string{}
	out.Sent, out.Received, out.Expected, out.Lost, out.Errors, out.Disconnects = 0, 0, 0, 0, 0, 0
	out.Throughput, out.SendRate, out.Sessions = 0, 0, 0
	for _, r := range rs {
		out.Realms = append(out.Realms, r.Target.Realm)
		out.Sent += r.Sent
		out.Received += r.Received
		out.Expected += r.Expected
		out.Lost += r.Lost
		out.Errors += r.Errors
		out.Disconnects += r.Disconnects
		out.Throughput += r.Throughput
		out.SendRate += r.SendRate
		out.Sessions += r.Sessions
		out.ErrorSamples = append(out.ErrorSamples, r.ErrorSamples...)
		if out.AbortedReason == "" {
			out.AbortedReason = r.AbortedReason
		}
		if r.hist != nil {
			h.Merge(r.hist)
		}
		cores += r.RouterCPUCores
		clientCPU += r.ClientCPUSeconds // each run measured the whole process
		out.ClientFastReads += r.ClientFastReads
		elapsed += r.ElapsedS
		if out.Host == nil {
			out.Host = r.Host // the realms ran at once: one machine, one window
		}
		out.RouterRSSBytes = max(out.RouterRSSBytes, r.RouterRSSBytes)
		if r.RouterRSSBeforeBytes > 0 && (out.RouterRSSBeforeBytes == 0 || r.RouterRSSBeforeBytes < out.RouterRSSBeforeBytes) {
			out.RouterRSSBeforeBytes = r.RouterRSSBeforeBytes // the realms started at once: the earliest is before all
		}
	}
	out.Target.Realm = strings.Join(out.Realms, ",")
	out.hist = h
	out.Latency = Summarize(h)
	out.ElapsedS = elapsed / float64(len(rs))
	out.RouterCPUCores = cores / float64(len(rs))
	out.RouterCPUSeconds = out.RouterCPUCores * out.ElapsedS
	out.RouterCPUUsPerOp = 0
	if out.Received > 0 && out.RouterCPUSeconds > 0 {
		out.RouterCPUUsPerOp = out.RouterCPUSeconds * 1e6 / float64(out.Received)
	}
	out.Routers = mergeRouterProcs(rs, out.ElapsedS, out.Received)
	out.ClientCPUSeconds, out.ClientCPUUsPerOp = clientCPU/float64(len(rs)), 0
	if out.Received > 0 {
		out.ClientCPUUsPerOp = out.ClientCPUSeconds * 1e6 / float64(out.Received)
	}
	return &out
}
