package netpoll

import "sync/atomic"

// Backlog counts the bytes of a connection's messages that the handler
// handed on (to the realm actor's inbox) and whose processing has not
// ended. With flow control on, a connection whose backlog passes
// backlogHigh is no longer read until it is back under backlogLow: holding
// a publisher must also hold what it already sent, or the event loop
// would keep filling the actor's inbox from the kernel's buffers while
// the subscribers' queues are over their mark. Without flow control the
// handler does not count (Conn.Backlog is nil).
type Backlog struct {
	c *Conn
	n atomic.Int64
}

// Bounds of a connection's backlog: a few of gnet's 64 KiB reads.
const (
	backlogHigh = 256 << 10
	backlogLow  = 64 << 10
)

// Backlog returns c's backlog counter, or nil when flow control is off.
func (c *Conn) Backlog() *Backlog {
	if c.srv.flow == nil {
		return nil
	}
	return &c.backlog
}

// Add counts n bytes handed on (event loop, in Handler.OnMessage); over
// the high mark the loop stops reading c when this OnTraffic ends.
func (b *Backlog) Add(n int) {
	if b.n.Add(int64(n)) > backlogHigh && b.c.readOff.Load()&readOffBacklog == 0 {
		b.c.readOff.Or(readOffBacklog) // synced at the end of OnTraffic
		// A Done that ran between the Add and the Or saw no bit to clear:
		// look again, so the connection is not left unread for good.
		if b.n.Load() <= backlogLow {
			b.c.readOff.And(^readOffBacklog)
		}
	}
}

// Done counts n bytes processed (any goroutine); under the low mark a
// connection left unread for its backlog is read again.
func (b *Backlog) Done(n int) {
	if b.n.Add(-int64(n)) <= backlogLow && b.c.readOff.Load()&readOffBacklog != 0 {
		b.c.setReadOff(readOffBacklog, false)
	}
}
