package bench

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// SlowReader throttles a session's reads to BytesPerSec (in chunks of
// Chunk bytes), with a small socket receive buffer so that the router feels
// the back-pressure quickly. It runs on its own goroutine per session, which
// is fine: slow readers are the few.
type SlowReader struct {
	BytesPerSec int
	Chunk       int
}

// netIO runs a session on a plain net.Conn with one reader goroutine.
type netIO struct {
	nc net.Conn
	wg sync.WaitGroup
}

func (n *netIO) kick(s *Session) {
	_ = s.flush(func(b []byte) error { _, err := n.nc.Write(b); return err })
}

func (n *netIO) close() error {
	err := n.nc.Close()
	n.wg.Wait()
	return err
}

// DialSlow opens a session that reads at the pace of r. Its reader
// goroutine stops when the session is closed (Session.Close) or fails.
func (c *Client) DialSlow(ctx context.Context, h Handler, index int, r SlowReader) (*Session, error) {
	return c.DialSlowTo(ctx, c.cfg.Endpoint, h, index, r)
}

// DialSlowTo is DialSlow to ep instead of the client's endpoint (see
// DialTo).
func (c *Client) DialSlowTo(ctx context.Context, ep Endpoint, h Handler, index int, r SlowReader) (*Session, error) {
	if r.Chunk <= 0 {
		r.Chunk = 512
	}
	s := newSession(ep, c.cfg.Serializer, c.cfg.Realm, &c.hello, h, index)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	s.dialStart = time.Now()
	d := net.Dialer{Control: nil}
	nc, err := d.DialContext(ctx, "tcp", ep.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", ep.Addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	nio := &netIO{nc: nc}
	s.mu.Lock()
	s.io = nio
	s.mu.Unlock()
	if _, err := nc.Write(s.handshake()); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("handshake write: %w", err)
	}
	nio.wg.Add(1)
	go func() {
		defer nio.wg.Done()
		s.fail(nio.readLoop(s, r))
	}()
	return s, awaitWelcome(ctx, s)
}

func (n *netIO) readLoop(s *Session, r SlowReader) error {
	buf := make([]byte, 0, 64<<10)
	for {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), 2*cap(buf))
			copy(nb, buf)
			buf = nb
		}
		limit := cap(buf)
		if s.state == stOpen && r.BytesPerSec > 0 && len(buf)+r.Chunk < limit {
			limit = len(buf) + r.Chunk
		}
		k, err := n.nc.Read(buf[len(buf):limit])
		if err != nil {
			return fmt.Errorf("%w: %v", ErrClosed, err)
		}
		buf = buf[:len(buf)+k]
		used, err := s.consume(buf)
		if ferr := s.flush(func(b []byte) error { _, e := n.nc.Write(b); return e }); err == nil {
			err = ferr
		}
		if err != nil {
			return err
		}
		buf = buf[:copy(buf, buf[used:])]
		if s.state == stOpen && r.BytesPerSec > 0 {
			time.Sleep(time.Duration(k) * time.Second / time.Duration(r.BytesPerSec))
		}
	}
}
