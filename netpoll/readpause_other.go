//go:build !linux

package netpoll

import (
	"errors"

	"github.com/panjf2000/gnet/v2"
)

var errNoReadPause = errors.New("netpoll: pausing a connection's reads is implemented for Linux (epoll) only")

func loopPollFD(gnet.EventLoop) (int, error) { return -1, errNoReadPause }

func setReadInterest(epfd, fd int, read, wantWrite bool) error { return errNoReadPause }
