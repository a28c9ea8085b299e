// Package inproc is an in-process WAMP client of one realm: it joins a
// session (a realm.Local, through the engine's JoinLocal), joins again
// after the session ended (a kill, an overflow), and correlates its
// requests with their answers by request id, each wait bounded. Its users
// are the dynamic authenticator's upstream (engine/upstream.go) and the
// HTTP bridge's sessions (engine/bridge: a principal's, the forwarder's).
//
// Two ways to keep a session: a lazy client (Request only) joins on first
// use and again on the first use after its session ended; a kept client
// (Start) joins at once, runs OnJoin (subscribe, register), and after its
// session ended joins again from a goroutine of its own, with a bounded
// backoff, until Stop is closed or Close is called.
//
// The package imports only codec and realm, so engine and its
// sub-packages can all use it.
package inproc

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/realm"
)

// Defaults of Options.
const (
	DefaultMaxWait    = time.Minute
	DefaultBackoff    = 100 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrClosed is a request cut short because its session ended, or the
	// client stopped. When the message was not sent at all the error also
	// matches realm.ErrLocalClosed.
	ErrClosed = errors.New("inproc: session closed")
	// ErrNoSession is a request of a kept client between its sessions
	// (while it rejoins).
	ErrNoSession = errors.New("inproc: no session (rejoining)")
)

// Options describes a client.
type Options struct {
	// Join joins one session (the engine's Router.JoinLocal bound to a
	// realm). Required.
	Join func(realm.LocalOptions) (*realm.Local, error)
	// Session is what every joined session announces (authid, authrole,
	// method, provider, roles, queue bound); its OnMessage is the client's.
	Session realm.LocalOptions
	// OnMessage sees every message a session gets, on that session's
	// goroutine, before an answer goes to its waiter (so a handler can
	// note what a SUBSCRIBED means before the subscription's EVENTs come).
	// m and what it aliases are valid only during the call. It must not
	// block. Optional.
	OnMessage func(s *Session, m *codec.Message)
	// OnJoin runs after every join of a kept client, before the session
	// counts as joined: it subscribes and registers (with s.Request). An
	// error closes the session: Start fails, or the rejoin is tried again
	// after a backoff. Optional.
	OnJoin func(s *Session) error
	// Stop, when closed, ends every wait and the rejoin loop: the owner's
	// stop signal (a bridge's Stop). Optional.
	Stop <-chan struct{}
	// MaxWait bounds each request's wait when its context has no earlier
	// deadline (default DefaultMaxWait).
	MaxWait time.Duration
	// Backoff is the first pause before a kept client's rejoin, doubled
	// per failed attempt up to MaxBackoff (defaults DefaultBackoff,
	// DefaultMaxBackoff).
	Backoff, MaxBackoff time.Duration
	// Log gets a line per failed rejoin. Optional.
	Log *slog.Logger
}

// Client is an in-process WAMP client. Its methods are safe from any
// goroutine. mu guards cur and closed; it is a leaf lock (held across
// Join, which only posts to the realm), never held while a request waits.
type Client struct {
	o Options

	mu     sync.Mutex
	cur    *Session
	closed bool
	kept   bool

	joins   atomic.Uint64
	quit    chan struct{} // closed by Close
	loop    chan struct{} // closed when the rejoin loop ended (kept clients)
	closing sync.Once
}

// New returns a client; nothing joins until Request or Start.
func New(o Options) *Client {
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff < o.Backoff {
		o.MaxBackoff = max(DefaultMaxBackoff, o.Backoff)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Client{o: o, quit: make(chan struct{})}
}

// Joins is how many sessions the client has joined (set up, for a kept
// client); Rejoins is that less the first.
func (c *Client) Joins() uint64 { return c.joins.Load() }

// Rejoins is how many times the client joined again after a session ended.
func (c *Client) Rejoins() uint64 {
	if n := c.joins.Load(); n > 0 {
		return n - 1
	}
	return 0
}

// Current is the live session, nil when there is none.
func (c *Client) Current() *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil || c.cur.ended() {
		return nil
	}
	return c.cur
}

// join joins a new session and makes it current (mu held).
func (c *Client) join() (*Session, error) {
	if c.closed {
		return nil, ErrClosed
	}
	s := &Session{c: c, waits: map[uint64]chan Answer{}}
	opts := c.o.Session
	opts.OnMessage = s.deliver
	l, err := c.o.Join(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: join: %w", ErrClosed, err)
	}
	s.l.Store(l)
	c.cur = s
	return s, nil
}

// session is the live session of a lazy client, joined when there is none.
func (c *Client) session() (*Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && !c.cur.ended() {
		return c.cur, nil
	}
	if c.kept {
		if c.closed {
			return nil, ErrClosed
		}
		return nil, ErrNoSession
	}
	s, err := c.join()
	if err == nil {
		c.joins.Add(1)
	}
	return s, err
}

// Start joins a session and runs OnJoin on it (an error is Start's, the
// session left), then keeps one: a goroutine of the client's, ended by
// Stop or Close, joins again after the session ends.
func (c *Client) Start() error {
	c.mu.Lock()
	c.kept = true
	s, err := c.join()
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := c.setup(s); err != nil {
		return err
	}
	c.loop = make(chan struct{})
	go c.keep(s)
	return nil
}

// setup runs OnJoin on s; on failure s leaves.
func (c *Client) setup(s *Session) error {
	if c.o.OnJoin != nil {
		if err := c.o.OnJoin(s); err != nil {
			c.mu.Lock()
			if c.cur == s {
				c.cur = nil
			}
			c.mu.Unlock()
			s.Close()
			return err
		}
	}
	c.joins.Add(1)
	return nil
}

// keep rejoins after each session's end: a pause of Backoff first (a
// session killed again and again costs a join per pause, not a spin),
// doubled per failed attempt up to MaxBackoff.
func (c *Client) keep(s *Session) {
	defer close(c.loop)
	for {
		select {
		case <-s.Done():
		case <-c.quit:
			return
		case <-c.o.Stop:
			return
		}
		for wait := c.o.Backoff; ; wait = min(2*wait, c.o.MaxBackoff) {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-c.quit:
				t.Stop()
				return
			case <-c.o.Stop:
				t.Stop()
				return
			}
			c.mu.Lock()
			next, err := c.join()
			c.mu.Unlock()
			if err == nil {
				if err = c.setup(next); err == nil {
					s = next
					break
				}
			}
			if errors.Is(err, ErrClosed) && c.stopped() {
				return
			}
			c.o.Log.Warn("in-process session rejoin failed", "authid", c.o.Session.AuthID, "retry_in", min(2*wait, c.o.MaxBackoff), "err", err)
		}
	}
}

func (c *Client) stopped() bool {
	select {
	case <-c.quit:
		return true
	case <-c.o.Stop:
		return true
	default:
		return false
	}
}

// Close ends the rejoin loop (waiting for it) and the session: it leaves
// the realm, as a dropped connection does. Requests still waiting end with
// ErrClosed. Not to be called from OnMessage or OnJoin.
func (c *Client) Close() {
	c.closing.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.quit)
		if c.loop != nil {
			<-c.loop
		}
		c.mu.Lock()
		s := c.cur
		c.cur = nil
		c.mu.Unlock()
		if s != nil {
			s.Close()
		}
	})
}
