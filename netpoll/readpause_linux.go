package netpoll

import (
	"fmt"
	"reflect"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// gnet v2 has no call that stops reading one connection: its loop reads
// every readable socket and keeps what OnTraffic leaves in an inbound
// buffer that grows without bound. Flow control needs the socket itself
// left unread, so that the kernel's receive window closes on the sender.
// So wampd changes the connection's interest in the loop's epoll set
// itself: the loop's epoll descriptor is read once per loop from gnet's
// poller (pinned gnet version; loopPollFD fails loudly if its layout
// changed, and flow control is then off), and the connection's entry is
// modified on its own loop, the goroutine that owns it.
//
// gnet re-arms reading itself when a write it buffered drains (ModRead);
// the next OnTraffic sees the pause still wanted and takes reading off
// again, so a pause lets through at most one read per such write.

// loopPollFD returns the epoll descriptor of gnet event loop el.
func loopPollFD(el gnet.EventLoop) (fd int, err error) {
	defer func() {
		if r := recover(); r != nil {
			fd, err = -1, fmt.Errorf("netpoll: gnet's event loop layout is not the one known: %v", r)
		}
	}()
	v := reflect.ValueOf(el)
	if v.Kind() != reflect.Pointer {
		return -1, fmt.Errorf("netpoll: gnet event loop is a %s", v.Kind())
	}
	p := v.Elem().FieldByName("poller")
	if !p.IsValid() || p.Kind() != reflect.Pointer || p.IsNil() {
		return -1, fmt.Errorf("netpoll: gnet event loop has no poller field")
	}
	f := p.Elem().FieldByName("fd")
	if !f.IsValid() || f.Kind() != reflect.Int {
		return -1, fmt.Errorf("netpoll: gnet poller has no fd field")
	}
	return int(f.Int()), nil
}

// setReadInterest turns reading of fd on or off in epoll set epfd; write
// interest stays while gnet has bytes to write (wantWrite), so a paused
// connection still receives what is queued for it.
func setReadInterest(epfd, fd int, read, wantWrite bool) error {
	var ev uint32
	if read {
		ev = unix.EPOLLIN | unix.EPOLLPRI
	}
	if wantWrite {
		ev |= unix.EPOLLOUT
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_MOD, fd, &unix.EpollEvent{Fd: int32(fd), Events: ev}); err != nil {
		return fmt.Errorf("netpoll: epoll_ctl mod fd %d: %w", fd, err)
	}
	return nil
}
