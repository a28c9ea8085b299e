// Package engine is the wampd router: configuration, the realm registry,
// the session handshake (HELLO, authentication, WELCOME via the realm),
// lifecycle (start, graceful shutdown) and metrics. It wires netpoll (the
// network) to realm (the routing actors) and owns both.
package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wampd/wampd/engine/admin"
	"github.com/wampd/wampd/engine/auth"
	"github.com/wampd/wampd/engine/cluster"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/engine/console"
	"github.com/wampd/wampd/netpoll"
	"github.com/wampd/wampd/realm"
)

// defaultStatsInterval is how often the router looks at the slow-consumer
// counters and logs them when they changed.
const defaultStatsInterval = 10 * time.Second

// Router is a running wampd: the realms (read-only registry after New) and
// the network server feeding them.
//
// Goroutines it owns: the realms' actors, the stats logger and the metrics
// and debug HTTP servers; Shutdown stops all of them.
type Router struct {
	cfg    config.Config
	log    *slog.Logger
	h      *handler
	realms []*realm.Realm // in configuration order
	srv    *netpoll.Server

	statsInterval time.Duration
	started       atomic.Bool
	ready         atomic.Bool // Start completed; /readyz also checks h.closing
	stopOnce      sync.Once
	stop          chan struct{} // closed by Shutdown: stops the stats logger
	wg            sync.WaitGroup
	https         []*httpServer   // metrics and debug listeners (one when they share an address)
	upstreams     []*procUpstream // dynamic authenticators' sessions, ended by Shutdown
	bridges       bridgeSet       // realms' HTTP bridges, stopped first by Shutdown
	cluster       *cluster.Node   // nil for a single node
}

// Endpoint is one bound listener and transport, as logged at start.
type Endpoint struct {
	Transport string   // websocket or rawsocket
	Addr      net.Addr // bound address (the real port when configured as 0)
	URL       string   // ws://host:port/path, rs://host:port or unix:///path
}

// New builds a router for cfg (which it validates again, so a Config built
// in code gets the same checks as a file). Nothing listens until Start.
func New(cfg config.Config, log *slog.Logger) (*Router, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &handler{
		log:         log,
		realms:      make(map[string]*realmEntry, len(cfg.Realms)),
		maxSessions: int64(cfg.Limits.MaxSessions),
		ids:         newIDGen(),
		adm:         newAdmission(cfg.Limits),
		logs:        newSessionLogs(),
	}
	rt := &Router{
		cfg:           cfg,
		log:           log,
		h:             h,
		statsInterval: defaultStatsInterval,
		stop:          make(chan struct{}),
	}
	if cfg.Cluster != nil {
		rt.cluster = cluster.New(*cfg.Cluster, log)
	}
	for _, rc := range cfg.Realms {
		r := realm.New(realmOptions(rc, log))
		h.realms[rc.Name] = &realmEntry{r: r}
		rt.realms = append(rt.realms, r)
		if rt.cluster != nil {
			rt.cluster.Attach(r)
		}
	}
	for _, rc := range cfg.Realms {
		var up auth.Upstream
		if d := rc.Auth.Dynamic; d != nil {
			target := d.Realm
			if target == "" {
				target = rc.Name
			}
			pu := &procUpstream{rt: rt, realm: target, procedure: d.Procedure}
			rt.upstreams = append(rt.upstreams, pu)
			up = pu
		}
		ra, err := buildRealmAuth(rc, up)
		if err != nil {
			h.adm.close()
			return nil, fmt.Errorf("engine: %w", err)
		}
		h.realms[rc.Name].auth = ra
	}
	if err := rt.newBridges(); err != nil {
		h.adm.close()
		return nil, err
	}
	srv, err := netpoll.NewServer(netpollOptions(cfg, log), h)
	if err != nil {
		return nil, fmt.Errorf("engine: network server: %w", err)
	}
	rt.srv = srv
	return rt, nil
}

// realmOptions translates one realm's configuration for the realm actor.
func realmOptions(rc config.Realm, log *slog.Logger) realm.Options {
	opts := realm.Options{
		Name: rc.Name, Logger: log, NoMetaAPI: !rc.MetaAPIOn(),
		RetainedBytes: int64(rc.RetainedBytes),
		Limits: realm.Limits{
			PendingCallsPerSession:  rc.Limits.PendingCallsPerSession,
			PendingCallsPerRealm:    rc.Limits.PendingCallsPerRealm,
			SubscriptionsPerSession: rc.Limits.SubscriptionsPerSession,
			RegistrationsPerSession: rc.Limits.RegistrationsPerSession,
		},
	}
	for _, h := range rc.History {
		m, _ := config.MatchPolicy(h.Match)
		opts.History = append(opts.History, realm.HistoryRule{
			Topic: h.Topic, Match: m, Limit: h.Limit, MaxBytes: int64(h.MaxBytes)})
	}
	if rc.Authorizing() {
		opts.Roles = make([]realm.Role, 0, len(rc.Roles))
		for _, cr := range rc.Roles {
			role := realm.Role{Name: cr.Name, Authorizer: cr.Authorizer, CacheTTL: time.Duration(cr.CacheTTL)}
			for _, p := range cr.Permissions {
				m, _ := config.MatchPolicy(p.Match)
				role.Permissions = append(role.Permissions, realm.Permission{
					URI: p.URI, Match: m,
					Call: p.Allow.Call, Register: p.Allow.Register, Publish: p.Allow.Publish, Subscribe: p.Allow.Subscribe,
					DiscloseCaller: p.Disclose.Caller, DisclosePublisher: p.Disclose.Publisher,
				})
			}
			opts.Roles = append(opts.Roles, role)
		}
	}
	return opts
}

// netpollOptions translates the configuration for netpoll, one netpoll
// listener per configured listener, in order.
func netpollOptions(cfg config.Config, log *slog.Logger) netpoll.Options {
	opts := netpoll.Options{
		WSPath:           cfg.WSPath(),
		MaxMessageSize:   int(cfg.Limits.MaxMessageSize),
		OutboundBound:    int(cfg.Limits.OutboundQueue),
		Policy:           netpoll.PolicyDisconnect,
		HandshakeTimeout: time.Duration(cfg.Limits.HandshakeTimeout),
		Logger:           log,
		EventLoops:       cfg.Tuning.EventLoops,
	}
	if cfg.Limits.OutboundPolicy == config.PolicyDrop {
		opts.Policy = netpoll.PolicyDrop
	}
	opts.MaxDelay = time.Duration(cfg.Limits.OutboundDelay)
	if f := cfg.Limits.FlowControl.WithDefaults(); f.Enabled {
		opts.Flow = netpoll.FlowControl{HighWater: int(f.HighWater), LowWater: int(f.LowWater), Stall: time.Duration(f.Stall)}
		// A held sender's messages in flight wait in the kernel's receive
		// buffer, which autotuning grows to tens of MiB: bound it to a few
		// marks, so they are a few ms late, not seconds.
		opts.SocketRecvBuffer = min(max(4*opts.Flow.HighWater, 64<<10), 1<<20)
	}
	for _, l := range cfg.Listeners {
		nl := netpoll.Listener{Network: "tcp", Addr: l.Listen,
			WebSocket: l.Has(config.TransportWebSocket), RawSocket: l.Has(config.TransportRawSocket)}
		if l.Unix != "" {
			nl.Network, nl.Addr = "unix", l.Unix
			nl.Perm = unixPerm(l)
		}
		nl.Origins = l.Origins
		if t := l.TLS; t != nil {
			nl.TLS = &netpoll.TLSConfig{CertFile: t.Cert, KeyFile: t.Key, ClientCAFile: t.ClientCA}
			switch t.ClientAuth {
			case config.ClientAuthOptional:
				nl.TLS.ClientAuth = netpoll.ClientCertOptional
			case config.ClientAuthRequired:
				nl.TLS.ClientAuth = netpoll.ClientCertRequired
			}
			if t.MinVersion == config.TLS13 {
				nl.TLS.MinVersion = tls.VersionTLS13
			}
		}
		opts.Listeners = append(opts.Listeners, nl)
	}
	return opts
}

// unixPerm is what netpoll applies to a unix listener's socket file;
// validation already checked Mode.
func unixPerm(l config.Listener) netpoll.UnixPerm {
	mode, _ := config.ParseMode(l.Mode)
	return netpoll.UnixPerm{Mode: mode, Owner: l.Owner, Group: l.Group}
}

// Start starts the realms, binds the listeners, logs one "listening" line
// per transport (key=value, addr=HOST:PORT: scripts and tests read it) and
// starts the stats logger and the metrics and debug listeners.
func (rt *Router) Start() error {
	if rt.started.Swap(true) {
		return nil
	}
	if rt.cluster != nil {
		if err := rt.cluster.Start(); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
	}
	for _, r := range rt.realms {
		r.Start()
	}
	if err := rt.srv.Start(); err != nil {
		rt.stopRealms()
		if rt.cluster != nil {
			rt.cluster.Stop()
		}
		return fmt.Errorf("engine: start listeners: %w", err)
	}
	for _, e := range rt.Endpoints() {
		rt.log.Info("listening", "transport", e.Transport, "addr", e.Addr.String(), "url", e.URL)
	}
	if err := rt.startHTTP(); err != nil {
		_ = rt.Shutdown(context.Background())
		return err
	}
	if err := rt.startBridges(); err != nil {
		_ = rt.Shutdown(context.Background())
		return err
	}
	rt.wg.Add(1)
	go rt.logStats()
	rt.ready.Store(true)
	return nil
}

// Ready reports whether the router takes new sessions: Start bound the
// listeners and started the realms, and Shutdown has not begun (it is false
// for the whole graceful drain). /readyz answers from it.
func (rt *Router) Ready() bool { return rt.ready.Load() && !rt.h.closing.Load() }

// Addrs returns the bound address of each configured listener, in
// configuration order.
func (rt *Router) Addrs() []net.Addr { return rt.srv.Addrs() }

// Endpoints lists each bound listener once per transport it serves.
func (rt *Router) Endpoints() []Endpoint {
	addrs := rt.Addrs()
	var out []Endpoint
	for i, l := range rt.cfg.Listeners {
		if i >= len(addrs) {
			break
		}
		a := addrs[i]
		ws, rs := "ws://", "rs://"
		if l.TLS != nil {
			ws, rs = "wss://", "rss://"
		}
		if l.Has(config.TransportWebSocket) {
			out = append(out, Endpoint{config.TransportWebSocket, a, ws + a.String() + l.Path()})
		}
		if l.Has(config.TransportRawSocket) {
			u := rs + a.String()
			if l.Unix != "" {
				u = "unix://" + a.String()
			}
			out = append(out, Endpoint{config.TransportRawSocket, a, u})
		}
	}
	return out
}

// Shutdown stops the router: new HELLOs are refused, every realm says
// GOODBYE (wamp.close.system_shutdown) to each of its sessions, flushes and
// closes them, then the listeners and connections go. It returns when all
// of it is done or ctx ends.
func (rt *Router) Shutdown(ctx context.Context) error {
	if !rt.started.Load() {
		return ErrNotStarted
	}
	var err error
	rt.stopOnce.Do(func() {
		rt.h.closing.Store(true)
		close(rt.stop)
		err = rt.stopBridges(ctx)
		for _, u := range rt.upstreams {
			u.close()
		}
		done := make(chan struct{})
		go func() { // owned here: ends when the realms have stopped
			rt.stopRealms()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("engine: stopping realms: %w", ctx.Err())
		}
		if rt.cluster != nil {
			rt.cluster.Stop() // after the realms: their sessions' leaves go first
		}
		if serr := rt.srv.Stop(ctx); serr != nil {
			err = errors.Join(err, fmt.Errorf("engine: stopping listeners: %w", serr))
		}
		for _, hs := range rt.https {
			if herr := hs.stop(ctx); herr != nil {
				err = errors.Join(err, herr)
			}
		}
		rt.wg.Wait()
		rt.h.adm.close()
	})
	return err
}

// startHTTP starts the optional metrics and debug listeners; one listener
// serves both when they are configured on the same address.
func (rt *Router) startHTTP() error {
	m, d := rt.cfg.Metrics.Listen, rt.cfg.Debug.Listen
	type want struct {
		name, addr     string
		metrics, debug bool
	}
	var ws []want
	switch {
	case m != "" && m == d:
		ws = append(ws, want{"metrics+debug", m, true, true})
	default:
		if m != "" {
			ws = append(ws, want{"metrics", m, true, false})
		}
		if d != "" {
			ws = append(ws, want{"debug", d, false, true})
		}
	}
	for _, w := range ws {
		mux := http.NewServeMux()
		if w.metrics {
			src := rt.adminSource()
			admin.Handle(mux, admin.NewRegistry(src), src)
			console.Handle(mux, rt.consoleSource())
		}
		if w.debug {
			debugHandler(mux, rt)
		}
		hs, err := startHTTP(w.name, w.addr, mux, rt.log)
		if err != nil {
			return err
		}
		rt.https = append(rt.https, hs)
		base := "http://" + hs.Addr().String()
		if w.metrics {
			rt.log.Info("metrics", "addr", hs.Addr().String(), "url", base+"/metrics",
				"healthz", base+"/healthz", "readyz", base+"/readyz", "console", base+"/console/")
		}
		if w.debug {
			rt.log.Info("debug", "addr", hs.Addr().String(), "pprof", base+"/debug/pprof/", "gc", base+"/debug/gc")
		}
	}
	return nil
}

// MetricsAddr is the bound address of the metrics listener, nil when off.
func (rt *Router) MetricsAddr() net.Addr { return rt.httpAddr(true) }

// DebugAddr is the bound address of the debug listener (pprof, /debug/gc),
// nil when off.
func (rt *Router) DebugAddr() net.Addr { return rt.httpAddr(false) }

func (rt *Router) httpAddr(metrics bool) net.Addr {
	for _, hs := range rt.https {
		if hs.name == "metrics+debug" || (hs.name == "metrics") == metrics {
			return hs.Addr()
		}
	}
	return nil
}

// stopRealms stops every realm in parallel (each GOODBYEs its sessions).
func (rt *Router) stopRealms() {
	var wg sync.WaitGroup
	for _, r := range rt.realms {
		wg.Go(r.Stop)
	}
	wg.Wait()
}

// Stats is a snapshot of the router's counters; the admin package, which
// exports them to Prometheus, owns its definition.
type Stats = admin.Stats

// TransportSessions is one per-realm, per-transport session gauge of Stats.
type TransportSessions = admin.TransportSessions

// Stats returns the current counters; safe from any goroutine.
func (rt *Router) Stats() Stats {
	ns := rt.srv.Stats()
	s := Stats{
		Sessions:         rt.h.sessions.Load(),
		Messages:         rt.h.messages.Load(),
		Rejected:         rt.h.rejected.Load(),
		Conns:            ns.Conns,
		Accepted:         ns.Accepted,
		DroppedEvents:    ns.DroppedEvents,
		SlowDisconnects:  ns.SlowDisconnects,
		ProtocolErrors:   ns.ProtocolErrors,
		AuthFailures:     rt.h.adm.failures.Load(),
		AuthThrottled:    rt.h.adm.throttled.Load(),
		AuthBusy:         rt.h.adm.busy.Load(),
		TLSHandshakes:    ns.TLSHandshakes,
		TLSErrors:        ns.TLSHandshakeErrors,
		FlowStalls:       ns.FlowStalls,
		FlowReleases:     ns.FlowReleases,
		FlowCuts:         ns.FlowCuts,
		FlowHeld:         ns.FlowHeld,
		FlowStallSeconds: float64(ns.FlowStallNanos) / 1e9,
		Realms:           make(map[string]realm.Stats, len(rt.realms)),
		RealmMessages:    make(map[string]uint64, len(rt.realms)),
	}
	for _, r := range rt.realms {
		s.Realms[r.Name()] = r.Stats()
		re := rt.h.realms[r.Name()]
		s.RealmMessages[r.Name()] = re.messages.Load()
		s.Transports = re.transportSessions(s.Transports)
	}
	for i, b := range rt.bridges.list {
		s.BridgeRejoins += b.Rejoins()
		for _, ts := range b.Stats() {
			s.Forwards = append(s.Forwards, admin.ForwardTarget{Realm: rt.bridges.realms[i], Kind: ts.Kind, URI: ts.URI,
				Delivered: ts.Delivered, Retries: ts.Retries, Failed: ts.Failed, Timeouts: ts.Timeouts,
				Dropped: ts.Dropped, Queued: ts.Queued})
		}
	}
	if rt.cluster != nil {
		s.Cluster = rt.cluster.AdminStats()
	}
	return s
}

// logStats warns, every statsInterval, when slow consumers cost events or
// connections since the last look. It ends when Shutdown closes stop.
func (rt *Router) logStats() {
	defer rt.wg.Done()
	t := time.NewTicker(rt.statsInterval)
	defer t.Stop()
	var lastDropped, lastSlow int64
	for {
		select {
		case <-rt.stop:
			return
		case <-t.C:
		}
		ns := rt.srv.Stats()
		if ns.DroppedEvents != lastDropped || ns.SlowDisconnects != lastSlow {
			rt.log.Warn("slow consumers",
				"dropped_events", ns.DroppedEvents, "dropped_events_delta", ns.DroppedEvents-lastDropped,
				"slow_disconnects", ns.SlowDisconnects, "slow_disconnects_delta", ns.SlowDisconnects-lastSlow)
			lastDropped, lastSlow = ns.DroppedEvents, ns.SlowDisconnects
		}
	}
}

// ReloadTLS rereads the certificate, key and client CA files of every TLS
// listener (SIGHUP): connections accepted afterwards use them, sessions
// already open are untouched. On an error nothing changes.
func (rt *Router) ReloadTLS() error {
	if err := rt.srv.ReloadTLS(); err != nil {
		return fmt.Errorf("engine: reload TLS: %w", err)
	}
	return nil
}
