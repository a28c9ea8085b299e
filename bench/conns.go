package bench

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wampd/wampd/codec"
)

// connsRun opens Sessions sessions (at Rate per second, or as fast as 64
// parallel dialers go), holds them for Duration and reports handshake
// latency, failures and the router's memory.
type connsRun struct {
	holding     atomic.Bool
	closing     atomic.Bool
	disconnects atomic.Uint64
	errs        errorLog
}

func (*connsRun) OnWelcome(*Session)                 {}
func (*connsRun) OnMessage(*Session, *codec.Message) {}
func (c *connsRun) OnClose(s *Session, err error) {
	if c.holding.Load() && !c.closing.Load() {
		c.disconnects.Add(1)
		c.errs.add("session %d dropped while held: %v", s.Index, err)
	}
}

func runConns(ctx context.Context, cfg Config, cli *Client, res *Result) error {
	c := &connsRun{}
	if limit, err := raiseFileLimit(uint64(cfg.Sessions) + 4096); err != nil || limit < uint64(cfg.Sessions)+64 {
		return fmt.Errorf("%w: %d sessions need as many file descriptors; the limit is %d (%v): raise it with ulimit -n",
			ErrConfig, cfg.Sessions, limit, err)
	}
	lat := NewRecorder(64)
	n := cfg.Sessions
	sessions := make([]*Session, n)
	defer func() {
		c.closing.Store(true)
		for _, s := range sessions {
			if s != nil {
				_ = s.Close()
			}
		}
	}()
	var opened atomic.Uint64
	cs := &ConnsStats{RouterSessions: -1}
	res.Conns = cs
	clientBefore := processRSS(0)
	pids := cfg.routerPIDs()
	cs.RouterRSSBeforeBytes = readRouterRSS(pids, nil, true)
	routerCPU0 := sampleCPU(pids)
	clientCPU0, clientOK := processCPU(os.Getpid())
	w := newWindow(0, cfg.Duration)
	prog := startProgress(cfg.Progress, "conns", w, func() (uint64, uint64) { e, _ := c.errs.snapshot(); return opened.Load(), e })
	var wg sync.WaitGroup
	sem := make(chan struct{}, cfg.Dialers)
	if cfg.Rate > 0 {
		sem = make(chan struct{}, max(1024, cfg.Dialers))
	}
	dial := func(i int, intended int64) {
		defer func() { <-sem; wg.Done() }()
		s, err := cli.DialLean(ctx, c, i)
		if err != nil {
			c.errs.add("session %d: %v", i, err)
			return
		}
		sessions[i] = s
		opened.Add(1)
		start := s.dialStart
		if intended >= 0 {
			start = w.at(intended)
		}
		lat.Record(i, s.welcomeAt.Sub(start))
	}
	interval := time.Duration(0)
	if cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / cfg.Rate)
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		intended := int64(-1)
		if interval > 0 {
			intended = int64(i) * int64(interval)
			if d := time.Duration(intended - w.now()); d > 0 {
				time.Sleep(d)
			}
		}
		sem <- struct{}{}
		wg.Add(1)
		go dial(i, intended)
	}
	wg.Wait()
	openSecs := float64(w.now()) / 1e9
	if got := opened.Load(); got > 0 {
		// CPU time per session opened, both ends: on a shared machine the
		// open rate is bounded by their sum.
		routerCPU, routerOK := cpuBetween(routerCPU0, sampleCPU(pids))
		fillRouterCPU(res, routerCPU, routerOK, openSecs, got)
		if cpu, ok := processCPU(os.Getpid()); ok && clientOK {
			cs.ClientCPUUsPerSession = float64((cpu - clientCPU0).Microseconds()) / float64(got)
		}
	}
	c.holding.Store(true)
	holdEnd := time.Now().Add(cfg.Duration)
	var gcOpen *debugGC
	if cfg.RouterDebug != "" {
		// Every session is live: force a few full GCs through the
		// router's debug listener and keep the pauses they caused.
		var err error
		if gcOpen, err = readDebugGC(ctx, cfg.RouterDebug); err != nil {
			c.errs.add("%v", err)
		}
	}
	var peak int64
	for time.Now().Before(holdEnd) && ctx.Err() == nil {
		peak = max(peak, readRouterRSS(pids, nil, false))
		select {
		case <-ctx.Done():
		case <-time.After(min(100*time.Millisecond, time.Until(holdEnd)+time.Millisecond)):
		}
	}
	if gcOpen != nil {
		forced := 0
		for range 3 {
			if err := forceGC(ctx, cfg.RouterDebug); err != nil {
				c.errs.add("%v", err)
				break
			}
			forced++
		}
		if gcEnd, err := readDebugGC(ctx, cfg.RouterDebug); err != nil {
			c.errs.add("%v", err)
		} else {
			cs.GC = gcBetween(gcOpen, gcEnd)
			cs.GC.Forced = forced
			cs.RouterSessions = gcEnd.Sessions
		}
	}
	cs.RouterRSSAfterBytes = readRouterRSS(pids, res.Routers, false)
	clientAfter := processRSS(0)
	w.stop.Store(true)
	prog.Stop()

	res.LoadModel = "closed"
	if cfg.Rate > 0 {
		res.LoadModel = "open"
	}
	res.Sessions = n
	res.WarmupS = 0 // conns has no warm-up: every handshake counts
	res.Sent, res.Received, res.Expected = uint64(n), opened.Load(), uint64(n)
	res.Lost = res.Expected - res.Received
	alive := uint64(0)
	for _, s := range sessions {
		if s != nil && s.Alive() {
			alive++
		}
	}
	res.Errors, res.ErrorSamples = c.errs.snapshot()
	res.Disconnects = c.disconnects.Load()
	res.ElapsedS = openSecs
	if openSecs > 0 {
		res.Throughput = float64(res.Received) / openSecs
		res.SendRate = float64(n) / openSecs
	}
	res.ThroughputUnit = "sessions/s"
	res.Handshake = Summarize(lat.Merged())
	res.Latency = res.Handshake
	if len(pids) > 0 {
		res.RouterRSSBytes = max(peak, cs.RouterRSSAfterBytes)
	}
	if got := res.Received; got > 0 {
		if cs.RouterRSSAfterBytes > 0 {
			cs.RSSPerSessionBytes = float64(cs.RouterRSSAfterBytes-cs.RouterRSSBeforeBytes) / float64(got)
		}
		cs.ClientBytesPerSession = float64(clientAfter-clientBefore) / float64(got)
	}
	if alive < res.Received {
		c.errs.add("%d sessions were gone at the end of the hold", res.Received-alive)
		res.Errors, res.ErrorSamples = c.errs.snapshot()
	}
	return nil
}
