package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/wampd/wampd/codec"
	"golang.org/x/sys/unix"
)

// ClientConfig says where and how a Client's sessions connect.
type ClientConfig struct {
	Endpoint   Endpoint
	Serializer codec.Serializer
	Realm      string
	// EventLoops is the number of gnet event loops that carry all the
	// sessions (default: GOMAXPROCS).
	EventLoops int
	// DialTimeout bounds TCP connect + handshake + WELCOME (default 10s).
	DialTimeout time.Duration
	// SourceAddrs are local IPs that new connections bind to in turn
	// (e.g. 127.0.0.2 ... 127.0.0.9), so that more connections to one
	// router port than one address has ephemeral ports can be opened.
	SourceAddrs []string
}

// Client opens WAMP sessions whose connections all live on a few gnet event
// loops, so thousands of idle sessions cost file descriptors and buffers,
// not goroutines.
type Client struct {
	cfg     ClientConfig
	cli     *gnet.Client
	hello   codec.Message
	dialers []net.Dialer // one per source address; empty: the default
	next    atomic.Uint64

	loopMu sync.Mutex
	loop   *connsLoop // DialLean's loop, started on first use
}

// NewClient starts the event loops. Close stops them.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.EventLoops <= 0 {
		cfg.EventLoops = runtime.GOMAXPROCS(0)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	c := &Client{cfg: cfg, hello: helloMessage(cfg.Realm)}
	for _, a := range cfg.SourceAddrs {
		ip := net.ParseIP(a)
		if ip == nil {
			return nil, fmt.Errorf("%w: source address %q", ErrConfig, a)
		}
		c.dialers = append(c.dialers, net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Control: bindNoPort})
	}
	cli, err := gnet.NewClient(&gnetEvents{}, gnet.WithMulticore(true), gnet.WithNumEventLoop(cfg.EventLoops),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay), gnet.WithLogger(quietLogger{}),
		gnet.WithReadBufferCap(64<<10), gnet.WithWriteBufferCap(64<<10))
	if err != nil {
		return nil, fmt.Errorf("bench: gnet client: %w", err)
	}
	if err := cli.Start(); err != nil {
		return nil, fmt.Errorf("bench: start gnet client: %w", err)
	}
	c.cli = cli
	return c, nil
}

// helloMessage is the HELLO every session sends: anonymous, all four roles.
func helloMessage(realm string) codec.Message {
	empty := map[string]any{}
	return codec.Message{Type: codec.Hello, URI: realm, Details: map[string]any{
		"agent": "wampbench",
		"roles": map[string]any{"caller": empty, "callee": empty, "publisher": empty, "subscriber": empty},
	}}
}

// Dial opens one session and waits for its WELCOME (or ctx, or the dial
// timeout). index is stored in Session.Index for the scenario's use.
func (c *Client) Dial(ctx context.Context, h Handler, index int) (*Session, error) {
	return c.DialTo(ctx, c.cfg.Endpoint, h, index)
}

// DialTo is Dial to ep instead of the client's endpoint, on the same event
// loops: the sessions of one run may be spread over the nodes of a cluster
// without a client (and its event loops) per node.
func (c *Client) DialTo(ctx context.Context, ep Endpoint, h Handler, index int) (*Session, error) {
	s := newSession(ep, c.cfg.Serializer, c.cfg.Realm, &c.hello, h, index)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	s.dialStart = time.Now()
	var d net.Dialer
	if len(c.dialers) > 0 {
		d = c.dialers[c.next.Add(1)%uint64(len(c.dialers))]
	}
	nc, err := d.DialContext(ctx, "tcp", ep.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", ep.Addr, err)
	}
	if _, err := c.cli.EnrollContext(nc, s); err != nil {
		return nil, fmt.Errorf("enroll %s: %w", ep.Addr, err)
	}
	return s, awaitWelcome(ctx, s)
}

func awaitWelcome(ctx context.Context, s *Session) error {
	select {
	case <-s.ready:
		if s.done.Load() {
			return fmt.Errorf("session handshake: %w", s.err)
		}
		return nil
	case <-ctx.Done():
		_ = s.Close()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("session handshake: %w", ErrTimeout)
		}
		return fmt.Errorf("session handshake: %w", ctx.Err())
	}
}

// Close stops the event loops, closing every session still open.
func (c *Client) Close() error {
	c.loopMu.Lock()
	if c.loop != nil {
		c.loop.stop()
		c.loop = nil
	}
	c.loopMu.Unlock()
	if err := c.cli.Stop(); err != nil {
		return fmt.Errorf("bench: stop gnet client: %w", err)
	}
	return nil
}

// gnetEvents connects gnet's callbacks to the Session state machines; the
// Session travels in the connection's context.
type gnetEvents struct {
	gnet.BuiltinEventEngine
}

type gnetIO struct{ c gnet.Conn }

func (g gnetIO) kick(*Session) { _ = g.c.Wake(nil) }
func (g gnetIO) close() error  { return g.c.Close() }

func (*gnetEvents) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	s := c.Context().(*Session)
	s.mu.Lock()
	s.io = gnetIO{c}
	s.mu.Unlock()
	return s.handshake(), gnet.None
}

func (*gnetEvents) OnTraffic(c gnet.Conn) gnet.Action {
	s := c.Context().(*Session)
	err := consumeInbound(c, s.consume)
	if ferr := s.flush(func(b []byte) error { _, e := c.Write(b); return e }); err == nil {
		err = ferr
	}
	if err != nil {
		s.fail(err)
		return gnet.Close
	}
	return gnet.None
}

// inbound is the part of gnet.Conn that the read path uses.
type inbound interface {
	InboundBuffered() int
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
}

// consumeInbound offers everything c has buffered to consume and discards
// the bytes consume used; the rest (a partial frame) stays buffered and is
// offered again, with more appended, next time.
//
// Zero-copy: the data aliases gnet's buffers (or a pooled copy when its
// ring buffer wraps) and is valid only until Discard; consume must copy
// whatever it keeps.
//
// gnet's Discard(n) with n <= 0 discards EVERYTHING buffered, so it must
// not be called when nothing was used: that would drop a partial frame and
// leave the stream misaligned (seen as "reserved bits set" on whatever
// byte of the dropped frame's tail the next read starts with).
func consumeInbound(c inbound, consume func([]byte) (int, error)) error {
	n := c.InboundBuffered()
	if n <= 0 {
		return nil
	}
	data, err := c.Peek(n)
	if err != nil {
		return fmt.Errorf("bench: peek inbound: %w", err)
	}
	used, err := consume(data)
	if used > 0 {
		_, _ = c.Discard(used)
	}
	return err
}

func (*gnetEvents) OnClose(c gnet.Conn, err error) gnet.Action {
	if s, ok := c.Context().(*Session); ok {
		if err == nil {
			err = ErrClosed
		} else {
			err = fmt.Errorf("%w: %v", ErrClosed, err)
		}
		s.fail(err)
	}
	return gnet.None
}

// quietLogger keeps gnet's informational logging off the benchmark output.
type quietLogger struct{}

func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(string, ...any) {}

// bindNoPort sets IP_BIND_ADDRESS_NO_PORT on a socket about to be bound to
// a source address, so that the kernel picks the ephemeral port at connect
// time per (source, destination) pair instead of at bind time from the
// source address's global pool.
func bindNoPort(_, _ string, rc syscall.RawConn) error {
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	}); err != nil {
		return err
	}
	return serr
}
