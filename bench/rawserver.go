package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/wampd/wampd/codec"
	"golang.org/x/sys/unix"
)

// RawServer is the baseline of --target raw: the least a WAMP router could
// do for the benchmark shapes, on the same kind of event loops, so that a
// router's figure can be read as a fraction of what the machine allows.
// It speaks WebSocket and RawSocket (told apart by the first byte), answers
// HELLO with WELCOME, CALL directly with a RESULT echoing the arguments in
// the same event-loop callback (no callee hop: the floor of one hop),
// REGISTER and SUBSCRIBE with their acknowledgements, and fans each PUBLISH
// out to the topic's subscribers as efficiently as it can (see publish).
// No authentication, no options, no policies beyond a per-subscriber bound.
type RawServer struct {
	addr    net.Addr
	eng     gnet.Engine
	booted  chan struct{}
	done    chan struct{}
	runErr  error
	nextID  atomic.Uint64
	mu      sync.RWMutex // guards topics and loops
	topics  map[string]*rawTopic
	loops   map[gnet.EventLoop]*rawLoop
	stopped atomic.Bool
	dropped atomic.Uint64
	inPipe  atomic.Int64 // publications queued to loops and not fully written
}

// rawPipeDepth is how many publications may be queued and not yet written
// before acknowledgements wait for the writes: deep enough that each
// subscriber's write carries several events (fewer syscalls on both ends),
// shallow enough that a closed-loop publisher cannot outrun the fan-out.
const rawPipeDepth = 64

// Dropped is the number of events dropped for subscribers whose socket was
// more than rawMaxPending bytes behind.
func (s *RawServer) Dropped() uint64 { return s.dropped.Load() }

// rawTopic is one topic's subscribers grouped by the event loop their
// connection lives on. groups is copy-on-write: publish reads a snapshot
// under the read lock and keeps using it after unlocking.
type rawTopic struct {
	id     uint64
	groups []rawGroup
}

// rawGroup is the subscribers of a topic on one event loop.
type rawGroup struct {
	loop *rawLoop
	subs []*rawConn
}

// rawLoop batches the fan-out work for one gnet event loop: publishers on
// any loop queue deliveries here, and one task on the loop drains all that
// is queued, so each subscriber gets one write per batch however many
// events it carries.
type rawLoop struct {
	el        gnet.EventLoop
	srv       *RawServer
	mu        sync.Mutex // guards queue and scheduled
	queue     []rawDelivery
	scheduled bool
	// only the loop's goroutine touches these
	batch   []rawDelivery
	touched []*rawConn
}

// rawDelivery is one publication's frames for the subscribers of one loop.
type rawDelivery struct {
	pub     *rawPub
	subs    []*rawConn
	exclude *rawConn
}

// rawPub is one publication: its frames, encoded once per (transport,
// serializer) and shared read-only by every loop, and, when the pipe was
// full at publish time, the acknowledgement owed to the publisher once
// every loop has written it (the back-pressure that keeps a closed-loop
// publisher from outrunning the fan-out).
type rawPub struct {
	frames    [2][4][]byte // [websocket][serializer]
	remaining atomic.Int32 // loops still writing
	ack       []byte       // framed PUBLISHED owed at completion, or nil
	from      *rawConn
}

// rawConn is one connection's state; only its event loop touches it.
type rawConn struct {
	c       gnet.Conn
	ws      bool
	ser     codec.Serializer
	open    bool // transport handshake done
	closed  bool
	msg     codec.Message
	scratch []byte
	out     []byte // replies of the current OnTraffic
	events  []byte // events of the current fan-out batch
}

// rawMaxPending bounds what the raw server lets pile up in gnet's outbound
// buffer for one subscriber; above it, events are dropped (and counted), as
// a router's bounded queue would.
const rawMaxPending = 1 << 20

// StartRawServer listens on addr (use 127.0.0.1:0) and serves until Close.
func StartRawServer(addr string) (*RawServer, error) {
	s := &RawServer{booted: make(chan struct{}), done: make(chan struct{}), topics: map[string]*rawTopic{},
		loops: map[gnet.EventLoop]*rawLoop{}}
	go func() {
		defer close(s.done)
		s.runErr = gnet.Run(&rawEvents{s}, "tcp://"+addr, gnet.WithMulticore(true), gnet.WithReusePort(false),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay), gnet.WithLogger(quietLogger{}))
	}()
	select {
	case <-s.booted:
	case <-s.done:
		return nil, fmt.Errorf("bench: raw server on %s: %w", addr, s.runErr)
	case <-time.After(10 * time.Second):
		return nil, fmt.Errorf("bench: raw server on %s: %w", addr, ErrTimeout)
	}
	if s.addr == nil {
		_ = s.Close()
		return nil, fmt.Errorf("bench: raw server on %s: bound address unknown", addr)
	}
	return s, nil
}

// Addr is the bound host:port.
func (s *RawServer) Addr() string { return s.addr.String() }

// Close stops the server and waits for its event loops to end.
func (s *RawServer) Close() error {
	if s.stopped.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.eng.Stop(ctx)
	<-s.done
	if err != nil {
		return fmt.Errorf("bench: stop raw server: %w", err)
	}
	return nil
}

type rawEvents struct {
	s *RawServer
}

func (e *rawEvents) OnBoot(eng gnet.Engine) gnet.Action {
	e.s.eng = eng
	if fd, err := eng.Dup(); err == nil {
		if sa, err := unix.Getsockname(fd); err == nil {
			if in, ok := sa.(*unix.SockaddrInet4); ok {
				e.s.addr = &net.TCPAddr{IP: net.IP(in.Addr[:]), Port: in.Port}
			} else if in6, ok := sa.(*unix.SockaddrInet6); ok {
				e.s.addr = &net.TCPAddr{IP: net.IP(in6.Addr[:]), Port: in6.Port}
			}
		}
		_ = unix.Close(fd)
	}
	close(e.s.booted)
	return gnet.None
}

func (e *rawEvents) OnShutdown(gnet.Engine)               {}
func (e *rawEvents) OnTick() (time.Duration, gnet.Action) { return time.Hour, gnet.None }

func (e *rawEvents) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(&rawConn{c: c})
	return nil, gnet.None
}

func (e *rawEvents) OnClose(c gnet.Conn, _ error) gnet.Action {
	rc, ok := c.Context().(*rawConn)
	if !ok {
		return gnet.None
	}
	rc.closed = true // queued deliveries skip it (they run on this loop)
	e.s.mu.Lock()
	for _, t := range e.s.topics {
		t.remove(rc)
	}
	e.s.mu.Unlock()
	return gnet.None
}

func (e *rawEvents) OnTraffic(c gnet.Conn) gnet.Action {
	rc := c.Context().(*rawConn)
	err := consumeInbound(c, func(data []byte) (int, error) { return e.consume(rc, data) })
	if len(rc.out) > 0 {
		_, _ = c.Write(rc.out)
		rc.out = rc.out[:0]
	}
	if err != nil {
		return gnet.Close
	}
	return gnet.None
}

func (e *rawEvents) consume(rc *rawConn, data []byte) (int, error) {
	used := 0
	for used < len(data) {
		n, err := e.step(rc, data[used:])
		if err != nil || n == 0 {
			return used, err
		}
		used += n
	}
	return used, nil
}

func (e *rawEvents) step(rc *rawConn, data []byte) (int, error) {
	if !rc.open {
		if data[0] == rsMagic {
			if len(data) < 4 {
				return 0, nil
			}
			rc.ser = codec.Serializer(data[1] & 0x0F)
			if rc.ser < codec.JSON || rc.ser > codec.CBOR {
				rc.out = append(rc.out, rsMagic, 1<<4, 0, 0) // error 1: serializer unsupported
				return 4, ErrHandshake
			}
			rc.out = append(rc.out, rsMagic, rsMaxLenEx<<4|byte(rc.ser), 0, 0)
			rc.open = true
			return 4, nil
		}
		end := bytes.Index(data, []byte("\r\n\r\n"))
		if end < 0 {
			return 0, nil
		}
		var key string
		_, rest, _ := cutLine(string(data[:end]))
		for rest != "" {
			var line string
			line, rest, _ = cutLine(rest)
			name, value, _ := cutHeader(line)
			switch {
			case equalFold(name, "Sec-WebSocket-Key"):
				key = value
			case equalFold(name, "Sec-WebSocket-Protocol"):
				for _, p := range splitComma(value) {
					for _, s := range []codec.Serializer{codec.JSON, codec.MsgPack, codec.CBOR} {
						if rc.ser == 0 && p == s.Subprotocol() {
							rc.ser = s
						}
					}
				}
			}
		}
		if key == "" || rc.ser == 0 {
			rc.out = append(rc.out, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"...)
			return end + 4, ErrHandshake
		}
		rc.out = fmt.Appendf(rc.out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: %s\r\n\r\n", wsAccept(key), rc.ser.Subprotocol())
		rc.ws, rc.open = true, true
		return end + 4, nil
	}
	if !rc.ws {
		if len(data) < rsHdrLen {
			return 0, nil
		}
		n := int(data[1])<<16 | int(data[2])<<8 | int(data[3])
		if len(data) < rsHdrLen+n {
			return 0, nil
		}
		p := data[rsHdrLen : rsHdrLen+n]
		switch data[0] & 0x07 {
		case rsMsg:
			return rsHdrLen + n, e.handle(rc, p)
		case rsPing:
			rc.out = rsAppendFrame(rc.out, rsPong, p)
		}
		return rsHdrLen + n, nil
	}
	f, ok, err := wsParseFrame(data, maxInbound)
	if err != nil || !ok {
		return 0, err
	}
	p := data[f.hdrLen : f.hdrLen+f.payload]
	if f.masked {
		wsMask(p, f.mask)
	}
	switch f.opcode {
	case wsText, wsBinary:
		return f.hdrLen + f.payload, e.handle(rc, p)
	case wsPing:
		rc.out = wsAppendFrame(rc.out, wsPong, p, false, [4]byte{})
	case wsClose:
		return f.hdrLen + f.payload, ErrClosed
	}
	return f.hdrLen + f.payload, nil
}

func splitComma(s string) []string {
	var out []string
	for s != "" {
		var p string
		i := 0
		for i < len(s) && s[i] != ',' {
			i++
		}
		p, s = s[:i], s[min(i+1, len(s)):]
		for len(p) > 0 && p[0] == ' ' {
			p = p[1:]
		}
		for len(p) > 0 && p[len(p)-1] == ' ' {
			p = p[:len(p)-1]
		}
		out = append(out, p)
	}
	return out
}

// send encodes m and frames it into rc.out.
func (e *rawEvents) send(rc *rawConn, m *codec.Message) error {
	var err error
	rc.scratch, err = codec.Append(rc.ser, rc.scratch[:0], m)
	if err != nil {
		return fmt.Errorf("raw server encode %v: %w", m.Type, err)
	}
	rc.out = rawFrame(rc.out, rc.ws, rc.ser, rc.scratch)
	return nil
}

func rawFrame(dst []byte, ws bool, ser codec.Serializer, p []byte) []byte {
	if !ws {
		return rsAppendFrame(dst, rsMsg, p)
	}
	op := byte(wsText)
	if ser.Binary() {
		op = wsBinary
	}
	return wsAppendFrame(dst, op, p, false, [4]byte{})
}

var rawRoles = map[string]any{"roles": map[string]any{"broker": map[string]any{}, "dealer": map[string]any{}}}

func (e *rawEvents) handle(rc *rawConn, p []byte) error {
	m := &rc.msg
	m.Reset()
	if err := codec.Decode(rc.ser, p, m); err != nil {
		return fmt.Errorf("raw server decode: %w", err)
	}
	s := e.s
	switch m.Type {
	case codec.Hello:
		return e.send(rc, &codec.Message{Type: codec.Welcome, ID: s.nextID.Add(1), Details: rawRoles})
	case codec.Goodbye:
		_ = e.send(rc, &codec.Message{Type: codec.Goodbye, URI: codec.CloseGoodbyeAndOut, Details: map[string]any{}})
		return ErrClosed
	case codec.Register:
		return e.send(rc, &codec.Message{Type: codec.Registered, Request: m.Request, ID: s.nextID.Add(1)})
	case codec.Call:
		return e.send(rc, &codec.Message{Type: codec.Result, Request: m.Request, Args: m.Args, Kwargs: m.Kwargs, PayloadSer: m.PayloadSer})
	case codec.Subscribe:
		s.mu.Lock()
		t := s.topics[m.URI]
		if t == nil {
			t = &rawTopic{id: s.nextID.Add(1)}
			// m.URI aliases the read buffer (zero-copy): clone what stays.
			s.topics[strings.Clone(m.URI)] = t
		}
		t.add(s.loopOf(rc), rc)
		id := t.id
		s.mu.Unlock()
		return e.send(rc, &codec.Message{Type: codec.Subscribed, Request: m.Request, ID: id})
	case codec.Publish:
		return e.publish(rc, m)
	}
	return nil
}

// loopOf returns the batching state of rc's event loop; s.mu is held.
func (s *RawServer) loopOf(rc *rawConn) *rawLoop {
	el := rc.c.EventLoop()
	l := s.loops[el]
	if l == nil {
		l = &rawLoop{el: el, srv: s}
		s.loops[el] = l
	}
	return l
}

// add subscribes rc (copy-on-write of groups); s.mu is held.
func (t *rawTopic) add(l *rawLoop, rc *rawConn) {
	gs := make([]rawGroup, 0, len(t.groups)+1)
	found := false
	for _, g := range t.groups {
		if g.loop == l {
			g.subs = append(g.subs[:len(g.subs):len(g.subs)], rc)
			found = true
		}
		gs = append(gs, g)
	}
	if !found {
		gs = append(gs, rawGroup{loop: l, subs: []*rawConn{rc}})
	}
	t.groups = gs
}

// remove unsubscribes rc (copy-on-write of groups); s.mu is held.
func (t *rawTopic) remove(rc *rawConn) {
	for gi, g := range t.groups {
		for i, sc := range g.subs {
			if sc != rc {
				continue
			}
			subs := make([]*rawConn, 0, len(g.subs)-1)
			subs = append(append(subs, g.subs[:i]...), g.subs[i+1:]...)
			gs := append([]rawGroup{}, t.groups...)
			gs[gi].subs = subs
			t.groups = gs
			return
		}
	}
}

// publish encodes the EVENT once per serializer and transport present and
// queues one delivery per event loop holding subscribers; each loop writes
// the shared frames to its subscribers in batches (see rawLoop.drain). The
// PUBLISHED acknowledgement, when asked for, is sent at once while fewer
// than rawPipeDepth publications are unwritten, and otherwise once every
// loop has written this one's events, so a closed-loop publisher is paced
// by the fan-out instead of filling buffers (flow control).
func (e *rawEvents) publish(rc *rawConn, m *codec.Message) error {
	s := e.s
	pubID := s.nextID.Add(1)
	var ack []byte
	if m.Options.Has&codec.HasAcknowledge != 0 && m.Options.Acknowledge {
		b, err := codec.Append(rc.ser, nil, &codec.Message{Type: codec.Published, Request: m.Request, ID: pubID})
		if err != nil {
			return fmt.Errorf("raw server encode PUBLISHED: %w", err)
		}
		ack = rawFrame(nil, rc.ws, rc.ser, b)
	}
	s.mu.RLock()
	t := s.topics[m.URI]
	var groups []rawGroup
	var id uint64
	if t != nil {
		groups, id = t.groups, t.id
	}
	s.mu.RUnlock()
	if len(groups) == 0 {
		rc.out = append(rc.out, ack...)
		return nil
	}
	p := &rawPub{ack: ack, from: rc}
	ev := codec.Message{Type: codec.Event, ID: id, ID2: pubID, Args: m.Args, Kwargs: m.Kwargs, PayloadSer: m.PayloadSer}
	for _, g := range groups {
		for _, sc := range g.subs {
			ws := 0
			if sc.ws {
				ws = 1
			}
			if p.frames[ws][sc.ser] != nil {
				continue
			}
			b, err := codec.Append(sc.ser, nil, &ev)
			if err != nil {
				return fmt.Errorf("raw server encode EVENT: %w", err)
			}
			p.frames[ws][sc.ser] = rawFrame(make([]byte, 0, len(b)+14), sc.ws, sc.ser, b)
		}
	}
	p.remaining.Store(int32(len(groups)))
	if s.inPipe.Add(1) <= rawPipeDepth {
		rc.out = append(rc.out, ack...) // room in the pipe: acknowledge now
		p.ack = nil
	}
	for _, g := range groups {
		g.loop.enqueue(rawDelivery{pub: p, subs: g.subs, exclude: rc})
	}
	return nil
}

// enqueue adds d to the loop's queue and schedules a drain unless one is
// already pending (one task per batch, not per event).
func (l *rawLoop) enqueue(d rawDelivery) {
	l.mu.Lock()
	l.queue = append(l.queue, d)
	schedule := !l.scheduled
	l.scheduled = true
	l.mu.Unlock()
	if schedule {
		if err := l.el.Execute(context.Background(), l); err != nil {
			l.mu.Lock()
			l.scheduled = false
			l.queue = l.queue[:0]
			l.mu.Unlock()
		}
	}
}

// Run drains the loop's queue on the loop's goroutine: every subscriber's
// events of the batch are appended to its buffer and written with one
// Write; acknowledgements follow.
func (l *rawLoop) Run(context.Context) error {
	l.mu.Lock()
	l.batch, l.queue = l.queue, l.batch[:0]
	l.scheduled = false
	l.mu.Unlock()
	touched := l.touched[:0]
	for _, d := range l.batch {
		for _, sc := range d.subs {
			if sc == d.exclude || sc.closed {
				continue
			}
			if sc.c.OutboundBuffered()+len(sc.events) > rawMaxPending {
				l.srv.dropped.Add(1)
				continue
			}
			ws := 0
			if sc.ws {
				ws = 1
			}
			if len(sc.events) == 0 {
				touched = append(touched, sc)
			}
			sc.events = append(sc.events, d.pub.frames[ws][sc.ser]...)
		}
	}
	for _, sc := range touched {
		_, _ = sc.c.Write(sc.events)
		sc.events = sc.events[:0]
	}
	clear(touched)
	l.touched = touched[:0]
	for i, d := range l.batch {
		if d.pub.remaining.Add(-1) == 0 {
			l.srv.inPipe.Add(-1)
			if d.pub.ack != nil {
				_ = d.pub.from.c.AsyncWrite(d.pub.ack, nil)
			}
		}
		l.batch[i] = rawDelivery{}
	}
	return nil
}
