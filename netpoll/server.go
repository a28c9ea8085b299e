package netpoll

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/user"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/wampd/wampd/codec"
)

// Policy says what happens to a connection whose outbound queue is over
// its byte bound: a slow consumer must never slow the others.
type Policy uint8

// Policies.
const (
	// PolicyDisconnect closes the connection (the default).
	PolicyDisconnect Policy = 0
	// PolicyDrop drops droppable frames (EVENTs) and counts them; other
	// frames are queued up to twice the bound, then the conn is closed.
	PolicyDrop Policy = 1
)

// Listener is one address the server accepts connections on.
type Listener struct {
	Network   string // "tcp" (or "tcp4", "tcp6") or "unix"
	Addr      string // "127.0.0.1:8080" (port 0 allowed) or a socket path
	WebSocket bool   // serve WebSocket upgrades on it
	RawSocket bool   // serve RawSocket; both: sniff the first byte (0x7F = RawSocket)
	// Perm is what a unix socket's file is given once bound; TCP listeners
	// ignore it.
	Perm UnixPerm
	// Origins is the WebSocket Origin allow list (exact origins, or "*");
	// empty lets any through. A request without an Origin is let through.
	Origins []string
	// TLS, when set, makes this a TLS listener (wss://, RawSocket over
	// TLS): every connection must start with a TLS handshake.
	TLS *TLSConfig
}

// UnixPerm sets the permission bits and owner of a unix socket listener's
// file. Connecting needs write permission on it, and the socket is created
// with the process's umask and user (0755 and root for a root wampd), so
// without a mode such as 0660 and a group only the owner can connect. The
// bits are applied right after bind, before the first connection is
// accepted; until then the socket has the umask's (never wider ones).
type UnixPerm struct {
	Mode  os.FileMode // permission bits, at most 0777; 0 leaves them as created
	Owner string      // user name or numeric uid; "" leaves the owner
	Group string      // group name or numeric gid; "" leaves the group
}

// unixPerm is a UnixPerm with the names looked up (-1: leave as is).
type unixPerm struct {
	mode     os.FileMode
	uid, gid int
}

// resolve looks the owner and group up (in NewServer, so that a typo fails
// the start, not the first chown).
func (p UnixPerm) resolve() (unixPerm, error) {
	r := unixPerm{mode: p.Mode, uid: -1, gid: -1}
	if p.Mode&^os.ModePerm != 0 {
		return r, fmt.Errorf("mode %#o has bits beyond 0777", uint32(p.Mode))
	}
	if p.Owner != "" {
		id := p.Owner
		if _, err := strconv.Atoi(id); err != nil {
			u, err := user.Lookup(p.Owner)
			if err != nil {
				return r, fmt.Errorf("owner: %w", err)
			}
			id = u.Uid
		}
		r.uid, _ = strconv.Atoi(id)
	}
	if p.Group != "" {
		id := p.Group
		if _, err := strconv.Atoi(id); err != nil {
			g, err := user.LookupGroup(p.Group)
			if err != nil {
				return r, fmt.Errorf("group: %w", err)
			}
			id = g.Gid
		}
		r.gid, _ = strconv.Atoi(id)
	}
	return r, nil
}

// apply sets p on the socket file at path.
func (p unixPerm) apply(path string) error {
	if p.uid >= 0 || p.gid >= 0 {
		if err := os.Chown(path, p.uid, p.gid); err != nil {
			return err
		}
	}
	if p.mode != 0 {
		return os.Chmod(path, p.mode)
	}
	return nil
}

// Options configure a Server. Zero values take the documented defaults.
type Options struct {
	Listeners        []Listener
	WSPath           string        // default "/ws"
	MaxMessageSize   int           // bytes, default 16 MiB; RawSocket announces the nearest 2^(9+n) <= it
	OutboundBound    int           // bytes queued per connection before the policy applies, default 8 MiB
	Policy           Policy        // what to do over OutboundBound
	HandshakeTimeout time.Duration // default 10s: connections not Established() in time are closed
	Logger           *slog.Logger  // default slog.Default()
	EventLoops       int           // 0 = DefaultEventLoops()
	// MaxDelay, when set, also puts a connection over its bound when its
	// oldest queued frame is older than this (and its queue over 4 KiB).
	MaxDelay time.Duration
	// SocketRecvBuffer, when set, is the kernel receive buffer (SO_RCVBUF)
	// of every connection, which stops the kernel's autotuning: with flow
	// control on, what a held sender has in flight waits in that buffer,
	// so it bounds how late its messages are once it is read again.
	SocketRecvBuffer int
	// Flow is sender flow control; off when Flow.HighWater is 0.
	Flow FlowControl
	// MaxTLSHandshakes bounds the TLS handshakes in progress at once (each
	// runs on a goroutine of its own); a connection over it is closed and
	// counted in TLSHandshakeErrors. Default DefaultMaxTLSHandshakes.
	MaxTLSHandshakes int
}

// Defaults of Options.
const (
	DefaultWSPath           = "/ws"
	DefaultMaxMessageSize   = 16 << 20
	DefaultOutboundBound    = 8 << 20
	DefaultHandshakeTimeout = 10 * time.Second
)

// drainTimeout bounds how long a closing connection waits for gnet's
// outbound buffer to reach the client before the socket is closed anyway.
const drainTimeout = 5 * time.Second

// Stats are the server's counters, read atomically.
type Stats struct {
	Conns           int64 // open connections
	Accepted        int64 // connections accepted since Start
	DroppedEvents   int64 // frames dropped by PolicyDrop
	SlowDisconnects int64 // connections closed for being over their bound
	ProtocolErrors  int64 // connections closed for a bad handshake or frame
	// TLS listeners: handshakes completed, and connections closed before
	// the end of theirs (plaintext on a TLS port, a refused or missing
	// client certificate, a timeout, too many handshakes at once).
	TLSHandshakes, TLSHandshakeErrors int64
	// Flow control: senders whose reads were stopped for a recipient over
	// the high-water mark, senders read again, how long they were held in
	// all, recipients cut after the stall bound, senders held now.
	FlowStalls, FlowReleases, FlowStallNanos, FlowCuts, FlowHeld int64
}

// Server is wampd's network front: one gnet engine serving every listener,
// a state machine per connection, and the outbound queues.
type Server struct {
	opts  Options
	h     Handler
	log   *slog.Logger
	bound int64
	// mark is the queue over which Send looks closer: the bound, or flow
	// control's high-water mark when lower.
	mark  int64
	flow  *flow // nil when flow control is off
	rsExp byte  // RawSocket length exponent we announce
	tick  time.Duration

	// gnet's scheme URL and kept address per listener (see gnetAddrs).
	protoAddrs, keys []string
	perms            []unixPerm // per listener; applied in OnBoot
	bootErr          error      // written in OnBoot, read by Start once ready

	eng       gnet.Engine // set in OnBoot, before ready is closed
	addrs     []net.Addr  // set in OnBoot
	ready     chan struct{}
	readyOnce sync.Once
	done      chan struct{} // closed when the engine goroutine returned
	runErr    error         // written before done is closed
	idle      chan struct{} // signalled when the last conn closed while stopping
	started   atomic.Bool
	stopping  atomic.Bool
	stopFlow  atomic.Bool

	conns, accepted, dropped, slow, protoErr atomic.Int64
	lastDropLog                              atomic.Int64

	tlsl          []*tlsListener // per listener, nil for plain ones
	tlsHS         atomic.Int64   // TLS handshakes in progress
	tlsOK, tlsErr atomic.Int64
	hsWG          sync.WaitGroup // handshake goroutines; Stop waits for them

	// mu guards the two watch sets below; it is never held while a Conn's
	// mu is taken.
	mu       sync.Mutex
	watch    map[*Conn]struct{} // not Established: handshake deadline applies
	draining map[*Conn]struct{} // closed, waiting for gnet's buffer to drain
	loops    map[gnet.EventLoop]*outq
}

// DefaultEventLoops is the number of event loops used when Options leave it
// 0: GOMAXPROCS-1, at least 1. The realm actors are goroutines too and need
// a processor of their own: with as many loops as Ps, a loop, its
// neighbour and the actor contend for the Ps, and every message that
// crosses from one loop to another wakes a second thread. On the 2-core
// bench box one loop instead of two gave RPC 1x1 p50 48-52us vs 60-75us and
// 4 shared callees 3.5 vs 4.7us router CPU per call, with fan-out unchanged
// (docs/benchmarks.md).
func DefaultEventLoops() int {
	return max(1, runtime.GOMAXPROCS(0)-1)
}

// NewServer validates opts, applies defaults and returns a server that
// hands messages to h. Nothing is bound before Start.
func NewServer(opts Options, h Handler) (*Server, error) {
	if len(opts.Listeners) == 0 {
		return nil, ErrNoListener
	}
	for i, l := range opts.Listeners {
		switch l.Network {
		case "tcp", "tcp4", "tcp6", "unix":
		default:
			return nil, fmt.Errorf("listener %d: network %q: %w", i, l.Network, ErrBadListener)
		}
		if l.Addr == "" || !(l.WebSocket || l.RawSocket) {
			return nil, fmt.Errorf("listener %d (%s): needs an address and a transport: %w", i, l.Addr, ErrBadListener)
		}
	}
	perms := make([]unixPerm, len(opts.Listeners))
	for i, l := range opts.Listeners {
		p, err := l.Perm.resolve()
		if err == nil && l.Network != "unix" && l.Perm != (UnixPerm{}) {
			err = errors.New("mode, owner and group apply to unix sockets only")
		}
		if err != nil {
			return nil, fmt.Errorf("listener %d (%s): %w: %w", i, l.Addr, ErrBadListener, err)
		}
		perms[i] = p
	}
	if h == nil {
		return nil, errors.New("netpoll: nil handler")
	}
	if opts.WSPath == "" {
		opts.WSPath = DefaultWSPath
	}
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.OutboundBound <= 0 {
		opts.OutboundBound = DefaultOutboundBound
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.EventLoops <= 0 {
		opts.EventLoops = DefaultEventLoops()
	}
	if opts.MaxTLSHandshakes <= 0 {
		opts.MaxTLSHandshakes = DefaultMaxTLSHandshakes
	}
	tlsl := make([]*tlsListener, len(opts.Listeners))
	for i, l := range opts.Listeners {
		if l.TLS == nil {
			continue
		}
		tl := &tlsListener{conf: *l.TLS}
		cfg, err := tl.conf.load()
		if err != nil {
			return nil, fmt.Errorf("listener %d (%s): %w", i, l.Addr, err)
		}
		tl.cur.Store(cfg)
		tlsl[i] = tl
	}
	opts.Listeners = append([]Listener(nil), opts.Listeners...)
	s := &Server{
		opts:     opts,
		h:        h,
		log:      opts.Logger,
		bound:    int64(opts.OutboundBound),
		rsExp:    rsLenExp(opts.MaxMessageSize),
		tick:     min(max(opts.HandshakeTimeout/8, 5*time.Millisecond), 250*time.Millisecond),
		ready:    make(chan struct{}),
		done:     make(chan struct{}),
		idle:     make(chan struct{}, 1),
		watch:    make(map[*Conn]struct{}),
		draining: make(map[*Conn]struct{}),
		loops:    make(map[gnet.EventLoop]*outq),
		perms:    perms,
		tlsl:     tlsl,
	}
	s.mark = s.bound
	if opts.MaxDelay > 0 {
		s.mark = min(s.mark, delayFloor)
	}
	if fc := opts.Flow; fc.HighWater > 0 {
		s.flow = newFlow(s, fc)
		s.mark = min(s.mark, s.flow.hwm)
	}
	s.protoAddrs, s.keys = gnetAddrs(opts.Listeners)
	return s, nil
}

// gnetAddrs returns gnet's scheme URLs and kept addresses for ls. gnet
// finds a listener by its address string (DupListener), so two listeners
// on "127.0.0.1:0" get distinct spellings of port 0 ("0", "00", ...).
func gnetAddrs(ls []Listener) (protoAddrs, keys []string) {
	seen := make(map[string]bool, len(ls))
	for _, l := range ls {
		pa, key := gnetAddr(l)
		portZero := l.Network != "unix" && strings.HasSuffix(l.Addr, ":0")
		for seen[key] && portZero {
			l.Addr += "0" // ":00", ":000", ...: still port 0
			pa, key = gnetAddr(l)
		}
		seen[key] = true
		protoAddrs = append(protoAddrs, pa)
		keys = append(keys, key)
	}
	return protoAddrs, keys
}

// gnetAddr returns the scheme URL gnet takes for l and the address string
// gnet keeps for it (for DupListener).
func gnetAddr(l Listener) (protoAddr, key string) {
	protoAddr = l.Network + "://" + l.Addr
	u, err := url.Parse(strings.ReplaceAll(protoAddr, "%", "%25"))
	if err != nil {
		return protoAddr, l.Addr
	}
	if l.Network == "unix" {
		return protoAddr, path.Join(u.Host, u.Path)
	}
	return protoAddr, u.Host
}

// Start binds every listener and serves in the background. It returns bind
// errors; the engine goroutine ends with Stop.
func (s *Server) Start() error {
	if !s.started.CompareAndSwap(false, true) {
		return ErrStarted
	}
	addrs := s.protoAddrs
	if s.flow != nil {
		go s.flow.run() // ended by Stop
	}
	go func() {
		defer close(s.done)
		opts := []gnet.Option{
			gnet.WithNumEventLoop(s.opts.EventLoops),
			gnet.WithTicker(true),
			gnet.WithReuseAddr(true),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay),
			gnet.WithLogger(gnetLogger{s.log}),
		}
		if n := s.opts.SocketRecvBuffer; n > 0 {
			opts = append(opts, gnet.WithSocketRecvBuffer(n))
		}
		s.runErr = gnet.Rotate(&loop{s}, addrs, opts...)
	}()
	select {
	case <-s.ready:
		if s.bootErr != nil {
			_ = s.eng.Stop(context.Background())
			<-s.done
			return s.bootErr
		}
		return nil
	case <-s.done:
		switch {
		case s.runErr == nil:
			return errors.New("netpoll: engine stopped during start")
		case errors.Is(s.runErr, syscall.EADDRINUSE):
			// gnet's error does not say which of the addresses is taken.
			if busy := s.busyAddr(); busy != "" {
				return fmt.Errorf("netpoll: listen on %s: %w (another process, or another wampd, is serving it)", busy, s.runErr)
			}
		}
		return fmt.Errorf("netpoll: start %v: %w", addrs, s.runErr)
	}
}

// busyAddr returns the first listener address that cannot be bound
// because it is in use ("" if none is), once gnet failed and released the
// others.
func (s *Server) busyAddr() string {
	for _, l := range s.opts.Listeners {
		if l.Network == "unix" {
			if c, err := net.Dial("unix", l.Addr); err == nil {
				_ = c.Close() // someone serves it
				return "unix:" + l.Addr
			}
			continue
		}
		if strings.HasSuffix(l.Addr, ":0") {
			continue
		}
		ln, err := net.Listen(l.Network, l.Addr)
		if errors.Is(err, syscall.EADDRINUSE) {
			return l.Addr
		}
		if err == nil {
			_ = ln.Close()
		}
	}
	return ""
}

// Addrs returns the bound addresses (the real port for port 0), in the
// order of Options.Listeners. Valid after Start.
func (s *Server) Addrs() []net.Addr { return append([]net.Addr(nil), s.addrs...) }

// Stop stops accepting, waits (until ctx is done) for the connections to
// close, which the engine does after its GOODBYEs are flushed, then stops
// the event loops, closing whatever is still open.
func (s *Server) Stop(ctx context.Context) error {
	if !s.started.Load() {
		return ErrNotStarted
	}
	s.stopping.Store(true)
	if s.flow != nil && s.stopFlow.CompareAndSwap(false, true) {
		close(s.flow.stop) // held senders are read again: their GOODBYEs too
		<-s.flow.done
	}
	var err error
wait:
	for s.conns.Load() > 0 {
		select {
		case <-ctx.Done():
			err = ctx.Err()
			break wait
		case <-s.done:
			break wait
		case <-s.idle:
		}
	}
	select {
	case <-s.done:
		return err
	default:
	}
	// Engine.Stop polls every 500ms; with a cancelled context it only
	// triggers the shutdown, and we wait for Rotate to return instead.
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.eng.Stop(cctx)
	<-s.done
	s.hsWG.Wait() // every conn is closed: their handshakes' reads failed
	return err
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Conns:              s.conns.Load(),
		Accepted:           s.accepted.Load(),
		DroppedEvents:      s.dropped.Load(),
		SlowDisconnects:    s.slow.Load(),
		ProtocolErrors:     s.protoErr.Load(),
		TLSHandshakes:      s.tlsOK.Load(),
		TLSHandshakeErrors: s.tlsErr.Load(),
	}
	if fl := s.flow; fl != nil {
		st.FlowStalls = fl.stalls.Load()
		st.FlowReleases = fl.releases.Load()
		st.FlowStallNanos = fl.stallNanos.Load()
		st.FlowCuts = fl.cuts.Load()
		st.FlowHeld = st.FlowStalls - st.FlowReleases
	}
	return st
}

func (s *Server) unwatch(c *Conn) {
	s.mu.Lock()
	delete(s.watch, c)
	s.mu.Unlock()
}

func (s *Server) watchDrain(c *Conn) {
	c.drainBy.Store(nanotime() + int64(drainTimeout))
	s.mu.Lock()
	s.draining[c] = struct{}{}
	s.mu.Unlock()
}

// logDrop logs dropped events at most once a second per server.
func (s *Server) logDrop(c *Conn) {
	now := nanotime()
	last := s.lastDropLog.Load()
	if now-last < int64(time.Second) || !s.lastDropLog.CompareAndSwap(last, now) {
		return
	}
	s.log.Warn("netpoll: outbound queue over bound, dropping events",
		"remote", c.remote, "dropped", c.dropped.Load(), "dropped_total", s.dropped.Load(),
		"bound", s.bound)
}

// listenerOf finds which listener accepted gc. gnet reports the configured
// (pre-bind) address as LocalAddr, so with several listeners the socket's
// real local address is asked for.
func (s *Server) listenerOf(gc gnet.Conn) int {
	if len(s.opts.Listeners) == 1 {
		return 0
	}
	sa, err := unix.Getsockname(gc.Fd())
	if err != nil {
		return 0
	}
	local := sockaddrToAddr(sa)
	best := -1
	for i, a := range s.addrs {
		switch la := a.(type) {
		case *net.TCPAddr:
			lt, ok := local.(*net.TCPAddr)
			if !ok || lt.Port != la.Port {
				continue
			}
			if la.IP.Equal(lt.IP) {
				return i
			}
			if la.IP.IsUnspecified() && best < 0 {
				best = i
			}
		case *net.UnixAddr:
			if lu, ok := local.(*net.UnixAddr); ok && lu.Name == la.Name {
				return i
			}
		}
	}
	return max(best, 0)
}

func sockaddrToAddr(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return nil
}

func nanotime() int64 { return time.Now().UnixNano() }

// loop is the gnet.EventHandler; a separate type keeps gnet's callbacks out
// of Server's API.
type loop struct{ s *Server }

func (l *loop) OnBoot(eng gnet.Engine) gnet.Action {
	s := l.s
	s.eng = eng
	s.addrs = make([]net.Addr, len(s.opts.Listeners))
	for i, ln := range s.opts.Listeners {
		key := s.keys[i]
		network := ln.Network
		if network != "unix" {
			network = "tcp"
		}
		if fd, err := eng.DupListener(network, key); err == nil {
			if sa, err := unix.Getsockname(fd); err == nil {
				s.addrs[i] = sockaddrToAddr(sa)
			}
			_ = unix.Close(fd)
		}
		if s.addrs[i] == nil { // should not happen; report what was asked
			if network == "unix" {
				s.addrs[i] = &net.UnixAddr{Name: key, Net: "unix"}
			} else {
				s.addrs[i], _ = net.ResolveTCPAddr(ln.Network, key)
			}
		}
		if ln.Network == "unix" {
			if err := s.perms[i].apply(ln.Addr); err != nil {
				// Start stops the engine: gnet.Shutdown here would return
				// before gnet closes its listeners.
				s.bootErr = fmt.Errorf("netpoll: unix socket %s: %w", ln.Addr, err)
				return gnet.None
			}
		}
	}
	return gnet.None
}

func (l *loop) OnShutdown(gnet.Engine) {}

func (l *loop) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	s := l.s
	if s.stopping.Load() {
		return nil, gnet.Close
	}
	c := newConn(s, gc, s.listenerOf(gc), nanotime()+int64(s.opts.HandshakeTimeout))
	gc.SetContext(c)
	if tl := s.tlsl[c.ln]; tl != nil {
		c.startTLS(tl)
	}
	s.accepted.Add(1)
	s.conns.Add(1)
	el := gc.EventLoop()
	s.mu.Lock()
	q := s.loops[el]
	if q == nil {
		q = newOutq(el)
		if s.flow != nil {
			fd, err := loopPollFD(el)
			if err != nil {
				s.log.Error("netpoll: flow control cannot pause reads on this event loop", "err", err)
			}
			q.epfd = fd
		}
		s.loops[el] = q
	}
	c.q = q // before the conn is published (watch, Handler): set once
	s.watch[c] = struct{}{}
	s.mu.Unlock()
	return nil, gnet.None
}

func (l *loop) OnClose(gc gnet.Conn, err error) gnet.Action {
	s := l.s
	c, _ := gc.Context().(*Conn)
	if c == nil {
		return gnet.None
	}
	gc.SetContext(nil)
	c.gone = true // batches still queued on this loop must not write
	c.markClosed()
	c.state = stateClosing
	c.ws.releaseFrag()
	if c.tls != nil {
		c.tls.wire.close()
		c.tls.plain.recycle()
	}
	s.mu.Lock()
	delete(s.watch, c)
	delete(s.draining, c)
	s.mu.Unlock()
	if c.opened {
		s.h.OnClose(c, err)
	}
	if s.conns.Add(-1) == 0 && s.stopping.Load() {
		select {
		case s.idle <- struct{}{}:
		default:
		}
	}
	return gnet.None
}

func (l *loop) OnTraffic(gc gnet.Conn) gnet.Action {
	c, _ := gc.Context().(*Conn)
	if c == nil {
		_, _ = gc.Discard(-1)
		return gnet.Close
	}
	var a gnet.Action
	if c.tls != nil {
		a = c.onTLSTraffic()
	} else {
		a = c.onTraffic()
	}
	if c.readOff.Load() != 0 || c.readPaused {
		c.syncRead()
	}
	return a
}

// OnTick closes connections past their handshake deadline and wakes the
// closing ones that wait for their buffer to drain.
func (l *loop) OnTick() (time.Duration, gnet.Action) {
	s := l.s
	s.readyOnce.Do(func() { close(s.ready) })
	now := nanotime()
	var expired, drain []*Conn
	s.mu.Lock()
	for c := range s.watch {
		if now > c.deadline {
			delete(s.watch, c)
			expired = append(expired, c)
		}
	}
	for c := range s.draining {
		drain = append(drain, c)
	}
	s.mu.Unlock()
	for _, c := range expired {
		s.log.Debug("netpoll: handshake timeout", "remote", c.remote)
		c.CloseWith(ClosePolicyViolation, ErrHandshakeTimeout.Error())
	}
	for _, c := range drain {
		_ = c.gc.Wake(c.drainCB)
	}
	return s.tick, gnet.None
}

// onTraffic runs the connection's inbound state machine over the buffered
// bytes (event loop only).
func (c *Conn) onTraffic() gnet.Action {
	for {
		switch c.state {
		case stateSniff:
			b, err := c.in.Peek(1)
			if err != nil {
				return gnet.None
			}
			l := c.srv.opts.Listeners[c.ln]
			switch {
			case b[0] == rsMagic && l.RawSocket:
				c.state = stateRSHandshake
			case b[0] != rsMagic && l.WebSocket:
				c.state = stateHTTP
			default:
				return c.fail(ErrTransport)
			}
		case stateHTTP:
			if a := c.readUpgrade(); a != gnet.None || c.state == stateHTTP {
				return a
			}
		case stateRSHandshake:
			if a := c.readRSHandshake(); a != gnet.None || c.state == stateRSHandshake {
				return a
			}
		case stateOpen:
			a, n := c.readFrames()
			// Hand the processor to the realm actor this read just woke
			// (it sits in this P's runnext) instead of leaving it for an
			// idle M to be woken and steal it while this loop goes back to
			// epoll_wait: 1x1 RPC p50 27-42us vs 30-58us, p99 86-144us vs
			// 1.2-16ms on a loaded 2-core box. Only when the handler
			// says this read woke it (HandedOff) and the read was light:
			// yielding to an actor that is awake anyway, or after a read
			// of many messages (a busy peer), only splits batches (8x16
			// RPC lost 10-20% of its calls/s).
			//
			// The loop writes what the actor queued for this loop's conns
			// meanwhile itself when it resumes (outq.hold/release): the
			// reply to a conn it serves leaves in this OnTraffic, without
			// an eventfd wake-up and another epoll round.
			if c.woke && n <= yieldMaxMessages {
				c.q.hold()
				runtime.Gosched()
				c.q.release()
			}
			c.woke = false
			return a
		default:
			_, _ = c.in.Discard(-1)
			return gnet.None
		}
	}
}

func (c *Conn) readUpgrade() gnet.Action {
	src := c.in
	avail := src.InboundBuffered()
	b, err := src.Peek(min(avail, maxHTTPRequest))
	if err != nil {
		return gnet.None
	}
	end := httpRequestEnd(b)
	if end < 0 {
		if avail < maxHTTPRequest {
			return gnet.None
		}
		_ = c.write([]byte(requestTooLarge))
		return c.fail(ErrRequestTooLarge)
	}
	var resp bytes.Buffer
	ser, err := wsUpgrade(b[:end], c.srv.opts.WSPath, c.srv.opts.Listeners[c.ln].Origins, &resp)
	_, _ = src.Discard(end)
	_ = c.write(resp.Bytes())
	if err != nil {
		return c.fail(err)
	}
	c.open(WebSocket, ser)
	return gnet.None
}

func (c *Conn) readRSHandshake() gnet.Action {
	b, err := c.in.Peek(4)
	if err != nil {
		return gnet.None
	}
	ser, peerMax, code, err := parseRSHandshake(b)
	if err != nil {
		if code != 0 {
			r := rsErrorReply(code)
			_ = c.write(r[:])
		}
		return c.fail(err)
	}
	_, _ = c.in.Discard(4)
	r := rsHandshakeReply(c.srv.rsExp, ser)
	_ = c.write(r[:])
	c.peerMax = peerMax
	c.open(RawSocket, ser)
	return gnet.None
}

// open completes the transport handshake and tells the handler.
func (c *Conn) open(t Transport, ser codec.Serializer) {
	c.mu.Lock()
	c.transport = t
	c.mu.Unlock()
	c.ser = ser
	max := c.srv.opts.MaxMessageSize
	if t == RawSocket {
		max = 1 << (9 + int(c.srv.rsExp))
	}
	c.ws = wsReader{max: max, binary: ser.Binary()}
	c.rs = rsReader{max: max}
	c.state = stateOpen
	c.opened = true
	c.srv.h.OnOpen(c)
}

func (c *Conn) next() (event, []byte, error) {
	if c.transport == WebSocket {
		return c.ws.next(c.in)
	}
	return c.rs.next(c.in)
}

func (c *Conn) consume() {
	if c.transport == WebSocket {
		c.ws.consume(c.in)
	} else {
		c.rs.consume(c.in)
	}
}

// yieldMaxMessages is the most messages one read may hand to the handler
// for the loop to yield its processor afterwards (see onTraffic).
const yieldMaxMessages = 2

// readFrames hands every complete message to the handler and answers
// control frames. It reports how many messages it handed over.
func (c *Conn) readFrames() (a gnet.Action, n int) {
	for c.state == stateOpen {
		ev, p, err := c.next()
		if err != nil {
			return c.fail(err), n
		}
		switch ev {
		case evNone:
			return gnet.None, n
		case evMessage:
			n++
			herr := c.srv.h.OnMessage(c, p)
			c.consume()
			if herr != nil {
				c.state = stateClosing
				c.Close(herr.Error())
			}
		case evPing:
			if c.transport == WebSocket {
				c.ctrl = appendWSFrame(c.ctrl[:0], opPong, p)
			} else {
				h := rsHeader(rsPong, len(p))
				c.ctrl = append(append(c.ctrl[:0], h[:]...), p...)
			}
			c.consume()
			_ = c.write(c.ctrl)
		case evPong:
			c.consume()
		case evClose:
			code, _, cerr := parseWSClose(p)
			c.consume()
			if cerr != nil {
				return c.fail(cerr), n
			}
			// Echo the close (RFC 6455 5.5.1) and end the connection.
			if code == closeNoStatus {
				c.ctrl = append(c.ctrl[:0], 0x80|opClose, 0)
			} else {
				c.ctrl = appendWSClose(c.ctrl[:0], code, "")
			}
			c.markClosed()
			_ = c.write(c.ctrl)
			c.state = stateClosing
			return gnet.Close, n
		}
	}
	_, _ = c.in.Discard(-1)
	return gnet.None, n
}

// fail ends the connection for a protocol error: counted, logged at Debug
// (the client's fault, not the server's), WebSocket close frame with the
// matching code when the transport is up.
func (c *Conn) fail(err error) gnet.Action {
	c.srv.protoErr.Add(1)
	c.srv.log.Debug("netpoll: protocol error", "remote", c.remote, "err", err)
	if c.markClosed() && c.state == stateOpen && c.transport == WebSocket {
		c.ctrl = appendWSClose(c.ctrl[:0], closeCode(err), err.Error())
		_ = c.write(c.ctrl)
	}
	c.state = stateClosing
	_, _ = c.in.Discard(-1)
	return gnet.Close
}

// gnetLogger routes gnet's logs to slog; gnet's Info is our Debug.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) Debugf(f string, a ...any) { g.l.Debug(fmt.Sprintf("gnet: "+f, a...)) }
func (g gnetLogger) Infof(f string, a ...any)  { g.l.Debug(fmt.Sprintf("gnet: "+f, a...)) }
func (g gnetLogger) Warnf(f string, a ...any)  { g.l.Warn(fmt.Sprintf("gnet: "+f, a...)) }
func (g gnetLogger) Errorf(f string, a ...any) { g.l.Error(fmt.Sprintf("gnet: "+f, a...)) }
func (g gnetLogger) Fatalf(f string, a ...any) { g.l.Error(fmt.Sprintf("gnet: "+f, a...)) }
