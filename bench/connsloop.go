package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// connsLoop is the conns scenario's own epoll loop: one goroutine,
// non-blocking sockets, no gnet and no Go netpoller. Opening a session
// through net.Dialer and gnet's EnrollContext cost about 90 µs of
// wampbench CPU per session, as much as twice the router's: Go's dial
// parks a goroutine on its netpoller until connect completes, then gnet
// dups the socket, closes the original and registers the copy through a
// task on a loop, with a channel round trip back. Here a session costs a
// socket, a connect, two epoll_ctl and the handshake's reads and writes,
// so that the router, not the load generator, sets the open rate.
//
// It only writes handshakes (and a GOODBYE reply): small writes to a socket
// whose buffer is empty, so a short write ends the session as an error
// instead of being queued.
//
// Ownership: conns is guarded by mu (dial adds from the dialers'
// goroutines, the loop reads and removes); a loopConn's fields other than
// fd belong to the loop goroutine; close requests travel through closing
// and the eventfd, so only the loop ever closes a socket (its number can
// then not be reused under the loop's feet).
type connsLoop struct {
	epfd int
	evfd int // eventfd: close requests and stop
	// Addresses as IPs: a unix.Sockaddr holds a scratch buffer that the
	// syscall wrappers write, so each dial builds its own.
	dst    net.IP
	port   int
	family int
	srcs   []net.IP
	next   atomic.Uint64

	mu      sync.Mutex
	conns   map[int]*loopConn
	closing []int
	stopped bool

	done chan struct{}
}

type loopConn struct {
	fd        int
	s         *Session
	connected bool
	in        []byte // bytes read but not yet used (a partial frame)
}

// loopIO is a session's sessionIO on a connsLoop.
type loopIO struct {
	l  *connsLoop
	fd int
}

// kick is for SendAsync; conns sessions send nothing after WELCOME, so
// there is nothing to flush off the loop.
func (loopIO) kick(*Session) {}

func (io loopIO) close() error { io.l.requestClose(io.fd); return nil }

// newConnsLoop starts the loop for connections to addr, bound in turn to
// the source addresses srcs (none: the kernel's choice).
func newConnsLoop(addr string, srcs []string) (*connsLoop, error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bench: conns loop: %w", err)
	}
	l := &connsLoop{conns: make(map[int]*loopConn), done: make(chan struct{})}
	l.dst, l.port = ta.IP, ta.Port
	_, l.family = sockaddr(ta.IP, ta.Port)
	for _, a := range srcs {
		ip := net.ParseIP(a)
		if ip == nil {
			return nil, fmt.Errorf("%w: source address %q", ErrConfig, a)
		}
		if _, fam := sockaddr(ip, 0); fam != l.family {
			return nil, fmt.Errorf("%w: source address %q is not of the router address's family", ErrConfig, a)
		}
		l.srcs = append(l.srcs, ip)
	}
	if l.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, fmt.Errorf("bench: conns loop: epoll: %w", err)
	}
	if l.evfd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		_ = unix.Close(l.epfd)
		return nil, fmt.Errorf("bench: conns loop: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(l.evfd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, l.evfd, &ev); err != nil {
		_ = unix.Close(l.evfd)
		_ = unix.Close(l.epfd)
		return nil, fmt.Errorf("bench: conns loop: epoll_ctl: %w", err)
	}
	go l.run()
	return l, nil
}

func sockaddr(ip net.IP, port int) (unix.Sockaddr, int) {
	if v4 := ip.To4(); v4 != nil {
		sa := &unix.SockaddrInet4{Port: port}
		copy(sa.Addr[:], v4)
		return sa, unix.AF_INET
	}
	sa := &unix.SockaddrInet6{Port: port}
	copy(sa.Addr[:], ip.To16())
	return sa, unix.AF_INET6
}

// dial opens s's connection (connect in progress) and hands it to the
// loop, which runs the handshakes; wait on s.ready.
func (l *connsLoop) dial(s *Session) error {
	fd, err := unix.Socket(l.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	fail := func(what string, err error) error {
		_ = unix.Close(fd)
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(l.srcs) > 0 {
		if l.family == unix.AF_INET {
			// The kernel then picks the port at connect time per
			// (source, destination), as bindNoPort does for net.Dialer.
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1); err != nil {
				return fail("IP_BIND_ADDRESS_NO_PORT", err)
			}
		}
		src, _ := sockaddr(l.srcs[l.next.Add(1)%uint64(len(l.srcs))], 0)
		if err := unix.Bind(fd, src); err != nil {
			return fail("bind", err)
		}
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return fail("TCP_NODELAY", err)
	}
	dst, _ := sockaddr(l.dst, l.port)
	if err := unix.Connect(fd, dst); err != nil && !errors.Is(err, unix.EINPROGRESS) {
		return fail("connect", err)
	}
	s.mu.Lock()
	s.io = loopIO{l, fd}
	s.mu.Unlock()
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return fail("dial", ErrClosed)
	}
	l.conns[fd] = &loopConn{fd: fd, s: s}
	l.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		l.requestClose(fd)
		return fmt.Errorf("epoll_ctl: %w", err)
	}
	return nil
}

// requestClose asks the loop to close fd; safe from any goroutine.
func (l *connsLoop) requestClose(fd int) {
	l.mu.Lock()
	l.closing = append(l.closing, fd)
	l.mu.Unlock()
	l.poke()
}

func (l *connsLoop) poke() {
	var one = [8]byte{1}
	_, _ = unix.Write(l.evfd, one[:])
}

// stop ends the loop, closing every connection left, and waits for it.
func (l *connsLoop) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	l.poke()
	<-l.done
}

func (l *connsLoop) run() {
	defer close(l.done)
	events := make([]unix.EpollEvent, 256)
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.EpollWait(l.epfd, events, -1)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			l.shutdown(fmt.Errorf("bench: conns loop: epoll_wait: %w", err))
			return
		}
		for i := range n {
			fd := int(events[i].Fd)
			if fd == l.evfd {
				var b [8]byte
				_, _ = unix.Read(l.evfd, b[:])
				continue
			}
			l.mu.Lock()
			c := l.conns[fd]
			l.mu.Unlock()
			if c != nil {
				l.event(c, events[i].Events, buf)
			}
		}
		l.mu.Lock()
		closing, stopped := l.closing, l.stopped
		l.closing = nil
		l.mu.Unlock()
		for _, fd := range closing {
			l.closeConn(fd, ErrClosed)
		}
		if stopped {
			l.shutdown(ErrClosed)
			return
		}
	}
}

// event handles what epoll reported for c.
func (l *connsLoop) event(c *loopConn, ev uint32, buf []byte) {
	if !c.connected {
		if ev&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
			return
		}
		if soErr, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || soErr != 0 {
			if err == nil {
				err = unix.Errno(soErr)
			}
			l.closeConn(c.fd, fmt.Errorf("connect: %w", err))
			return
		}
		c.connected = true
		mod := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(c.fd)}
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, c.fd, &mod); err != nil {
			l.closeConn(c.fd, fmt.Errorf("epoll_ctl: %w", err))
			return
		}
		if err := writeAll(c.fd, c.s.handshake()); err != nil {
			l.closeConn(c.fd, err)
			return
		}
	}
	if ev&unix.EPOLLIN != 0 {
		for {
			n, err := unix.Read(c.fd, buf)
			if errors.Is(err, unix.EAGAIN) {
				break
			}
			if err != nil || n == 0 {
				if err == nil {
					err = errors.New("connection closed by the router")
				}
				l.closeConn(c.fd, err)
				return
			}
			c.in = append(c.in, buf[:n]...)
			used, err := c.s.consume(c.in)
			c.in = c.in[:copy(c.in, c.in[used:])]
			if ferr := c.s.flush(func(b []byte) error { return writeAll(c.fd, b) }); err == nil {
				err = ferr
			}
			if err != nil {
				l.closeConn(c.fd, err)
				return
			}
			if n < len(buf) {
				break
			}
		}
	}
	if ev&(unix.EPOLLHUP|unix.EPOLLERR|unix.EPOLLRDHUP) != 0 && ev&unix.EPOLLIN == 0 {
		l.closeConn(c.fd, errors.New("connection closed by the router"))
	}
}

// writeAll writes b at once or fails: see connsLoop on short writes.
func writeAll(fd int, b []byte) error {
	n, err := unix.Write(fd, b)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if n < len(b) {
		return fmt.Errorf("write: %d of %d bytes taken by the socket", n, len(b))
	}
	return nil
}

// closeConn closes fd once (loop only) and ends its session with cause.
func (l *connsLoop) closeConn(fd int, cause error) {
	l.mu.Lock()
	c := l.conns[fd]
	delete(l.conns, fd)
	l.mu.Unlock()
	if c == nil {
		return // closed already
	}
	_ = unix.Close(fd) // also leaves the epoll set
	if !errors.Is(cause, ErrClosed) {
		cause = fmt.Errorf("%w: %v", ErrClosed, cause)
	}
	c.s.fail(cause)
}

// shutdown closes every connection and the loop's own descriptors.
func (l *connsLoop) shutdown(cause error) {
	l.mu.Lock()
	fds := make([]int, 0, len(l.conns))
	for fd := range l.conns {
		fds = append(fds, fd)
	}
	l.stopped = true
	l.mu.Unlock()
	for _, fd := range fds {
		l.closeConn(fd, cause)
	}
	_ = unix.Close(l.evfd)
	_ = unix.Close(l.epfd)
}

// DialLean opens one session on the client's conns loop (started on first
// use, stopped by Close) and waits for its WELCOME: the cheap way to open
// many idle sessions. Such a session only holds its connection; it can
// send (Send, flushed when it reads next) but is meant to stay idle.
func (c *Client) DialLean(ctx context.Context, h Handler, index int) (*Session, error) {
	l, err := c.connsLoop()
	if err != nil {
		return nil, err
	}
	s := newSession(c.cfg.Endpoint, c.cfg.Serializer, c.cfg.Realm, &c.hello, h, index)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	s.dialStart = time.Now()
	if err := l.dial(s); err != nil {
		return nil, fmt.Errorf("dial %s: %w", c.cfg.Endpoint.Addr, err)
	}
	return s, awaitWelcome(ctx, s)
}

// connsLoop returns the client's conns loop, starting it on first use.
func (c *Client) connsLoop() (*connsLoop, error) {
	c.loopMu.Lock()
	defer c.loopMu.Unlock()
	if c.loop == nil {
		l, err := newConnsLoop(c.cfg.Endpoint.Addr, c.cfg.SourceAddrs)
		if err != nil {
			return nil, err
		}
		c.loop = l
	}
	return c.loop, nil
}
