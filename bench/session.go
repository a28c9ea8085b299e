package bench

import (
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wampd/wampd/codec"
)

// Handler receives the messages of established sessions. Its methods run on
// the goroutine that reads the session's connection (a gnet event loop for
// the normal client) and must not block: whatever they send with
// Session.Send is flushed when the callback returns.
type Handler interface {
	// OnWelcome is called once the router has welcomed the session.
	OnWelcome(s *Session)
	// OnMessage is called per message after WELCOME. m and everything it
	// aliases are valid only during the call.
	OnMessage(s *Session, m *codec.Message)
	// OnClose is called once when the session is gone, err says why.
	OnClose(s *Session, err error)
}

// StampedEventHandler is a Handler that takes the benchmark EVENTs as the
// stamp and sequence number read in place (fastread.go) instead of as
// decoded messages: a Handler that has the method gets OnStampedEvent for
// every EVENT of that shape and OnMessage, as before, for everything else.
type StampedEventHandler interface {
	OnStampedEvent(s *Session, stamp int64, seq uint64)
}

// sessionIO is what a Session needs from the connection it runs on: a way
// to get bytes queued from outside the reading goroutine written.
type sessionIO interface {
	kick(s *Session)
	close() error
}

// session states.
const (
	stTransport = iota // waiting for the WebSocket upgrade / RawSocket reply
	stWelcome          // HELLO sent, waiting for WELCOME
	stOpen             // established
	stClosed
)

// maxInbound is the largest message a session accepts (16 MiB).
const maxInbound = 16 << 20

// Session is one WAMP session of the load generator. Its protocol logic
// is independent of the I/O: consume parses bytes read from the connection,
// and outgoing messages are framed into an output buffer that the I/O side
// flushes.
//
// Ownership: consume, msg, frag and state are touched only by the goroutine
// reading the connection; out, scratch and wakeQueued are guarded by mu
// (held briefly, never while calling the Handler).
type Session struct {
	// Index is the scenario's number for this session (a subscriber's or
	// caller's index); ID is the WAMP session id from WELCOME.
	Index int
	ID    uint64
	// Sent and Received count the scenario's messages on this session;
	// they are per session so that loops never contend on one counter.
	Sent, Received, Errors atomic.Uint64
	// fastReads counts the Received events taken by the fast EVENT read.
	fastReads atomic.Uint64

	ep    Endpoint
	ser   codec.Serializer
	realm string
	h     Handler
	fast  StampedEventHandler // h, when it takes stamped EVENTs; nil otherwise
	hello *codec.Message

	state   int
	accept  string
	maxOut  int
	maskKey [4]byte
	msg     codec.Message
	frag    []byte
	fragOp  byte

	mu         sync.Mutex
	out        []byte
	scratch    []byte
	wakeQueued bool
	io         sessionIO

	nextReq   atomic.Uint64
	dialStart time.Time
	welcomeAt time.Time
	ready     chan struct{}
	done      atomic.Bool
	err       error
}

func newSession(ep Endpoint, ser codec.Serializer, realm string, hello *codec.Message, h Handler, index int) *Session {
	s := &Session{Index: index, ep: ep, ser: ser, realm: realm, h: h, hello: hello,
		maxOut: maxInbound, ready: make(chan struct{})}
	s.fast, _ = h.(StampedEventHandler)
	_, _ = rand.Read(s.maskKey[:])
	return s
}

// Serializer returns the session's serializer.
func (s *Session) Serializer() codec.Serializer { return s.ser }

// NextRequest returns a fresh request id (per session, from 1).
func (s *Session) NextRequest() uint64 { return s.nextReq.Add(1) }

// HandshakeLatency is the time from dialing to WELCOME.
func (s *Session) HandshakeLatency() time.Duration { return s.welcomeAt.Sub(s.dialStart) }

// Err returns why the session ended, nil while it is alive.
func (s *Session) Err() error {
	if !s.done.Load() {
		return nil
	}
	return s.err
}

// Alive reports whether the session has not failed or closed.
func (s *Session) Alive() bool { return !s.done.Load() }

// handshake returns the first bytes the client sends.
func (s *Session) handshake() []byte {
	if s.ep.Transport == RawSocket {
		return rsHello(s.ser)
	}
	req, accept := wsUpgradeRequest(s.ep, s.ser.Subprotocol())
	s.accept = accept
	return req
}

// Send encodes m and queues it. Call it from a Handler callback (the
// reader flushes afterwards) or use SendAsync.
func (s *Session) Send(m *codec.Message) error {
	s.mu.Lock()
	err := s.appendLocked(m)
	s.mu.Unlock()
	return err
}

// SendAsync encodes m, queues it and makes sure the I/O side writes it
// soon; it may be called from any goroutine.
func (s *Session) SendAsync(m *codec.Message) error {
	s.mu.Lock()
	err := s.appendLocked(m)
	kick := err == nil && !s.wakeQueued && s.io != nil
	if kick {
		s.wakeQueued = true
	}
	s.mu.Unlock()
	if kick {
		s.io.kick(s)
	}
	return err
}

func (s *Session) appendLocked(m *codec.Message) error {
	if s.done.Load() {
		return s.closedErr()
	}
	var err error
	s.scratch, err = codec.Append(s.ser, s.scratch[:0], m)
	if err != nil {
		return fmt.Errorf("encode %v: %w", m.Type, err)
	}
	if len(s.scratch) > s.maxOut {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(s.scratch))
	}
	if s.ep.Transport == RawSocket {
		s.out = rsAppendFrame(s.out, rsMsg, s.scratch)
	} else {
		op := byte(wsText)
		if s.ser.Binary() {
			op = wsBinary
		}
		s.out = wsAppendFrame(s.out, op, s.scratch, true, s.maskKey)
	}
	return nil
}

func (s *Session) closedErr() error {
	if s.err != nil {
		return s.err
	}
	return ErrClosed
}

// flush hands the queued output to write while holding mu (write must
// copy or finish with the bytes before returning).
func (s *Session) flush(write func([]byte) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wakeQueued = false
	if len(s.out) == 0 {
		return nil
	}
	err := write(s.out)
	s.out = s.out[:0]
	return err
}

// consume parses as many complete units as data holds and returns the
// number of bytes used. Bytes it does not use must be offered again with
// more data appended.
func (s *Session) consume(data []byte) (int, error) {
	used := 0
	for used < len(data) && s.state != stClosed {
		n, err := s.step(data[used:])
		if err != nil {
			return used, err
		}
		if n == 0 {
			break
		}
		used += n
	}
	return used, nil
}

func (s *Session) step(data []byte) (int, error) {
	if s.state == stTransport {
		return s.transportHandshake(data)
	}
	if s.ep.Transport == RawSocket {
		if len(data) < rsHdrLen {
			return 0, nil
		}
		n := int(data[1])<<16 | int(data[2])<<8 | int(data[3])
		if n > maxInbound {
			return 0, fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
		}
		if len(data) < rsHdrLen+n {
			return 0, nil
		}
		p := data[rsHdrLen : rsHdrLen+n]
		switch data[0] & 0x07 {
		case rsMsg:
			return rsHdrLen + n, s.deliver(p)
		case rsPing:
			s.mu.Lock()
			s.out = rsAppendFrame(s.out, rsPong, p)
			s.mu.Unlock()
		}
		return rsHdrLen + n, nil
	}
	f, ok, err := wsParseFrame(data, maxInbound)
	if err != nil || !ok {
		return 0, err
	}
	p := data[f.hdrLen : f.hdrLen+f.payload]
	if f.masked {
		// Servers must not mask; unmask anyway rather than fail.
		wsMask(p, f.mask)
	}
	total := f.hdrLen + f.payload
	switch f.opcode {
	case wsText, wsBinary:
		if f.fin {
			return total, s.deliver(p)
		}
		s.frag, s.fragOp = append(s.frag[:0], p...), f.opcode
	case wsContinuation:
		s.frag = append(s.frag, p...)
		if f.fin {
			err := s.deliver(s.frag)
			s.frag = s.frag[:0]
			return total, err
		}
	case wsPing:
		s.mu.Lock()
		s.out = wsAppendFrame(s.out, wsPong, p, true, s.maskKey)
		s.mu.Unlock()
	case wsClose:
		return total, fmt.Errorf("%w: websocket close frame", ErrClosed)
	}
	return total, nil
}

func (s *Session) transportHandshake(data []byte) (int, error) {
	var n int
	if s.ep.Transport == RawSocket {
		if len(data) < rsHdrLen {
			return 0, nil
		}
		max, err := rsParseReply(data, s.ser)
		if err != nil {
			return 0, err
		}
		s.maxOut, n = max, rsHdrLen
	} else {
		var err error
		n, err = wsParseResponse(data, s.accept, s.ser.Subprotocol())
		if err != nil || n == 0 {
			return 0, err
		}
	}
	s.state = stWelcome
	if err := s.Send(s.hello); err != nil {
		return 0, err
	}
	return n, nil
}

// deliver handles one complete WAMP message.
func (s *Session) deliver(p []byte) error {
	if s.fast != nil && s.state == stOpen {
		if stamp, seq, ok := readEventStamp(s.ser, p); ok {
			s.fast.OnStampedEvent(s, stamp, seq)
			return nil
		}
	}
	m := &s.msg
	m.Reset()
	// Lean: nothing here reads a WELCOME's or ABORT's details, and building
	// them cost a tenth of wampbench's CPU per session opened.
	if err := codec.DecodeLean(s.ser, p, m); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	switch m.Type {
	case codec.Welcome:
		if s.state != stWelcome {
			return fmt.Errorf("%w: WELCOME on an open session", ErrFrame)
		}
		s.ID, s.state, s.welcomeAt = m.ID, stOpen, time.Now()
		close(s.ready)
		s.h.OnWelcome(s)
		return nil
	case codec.Abort:
		return fmt.Errorf("%w: %s", ErrAborted, m.URI)
	case codec.Goodbye:
		_ = s.Send(&codec.Message{Type: codec.Goodbye, URI: codec.CloseGoodbyeAndOut})
		return fmt.Errorf("%w: GOODBYE %s", ErrClosed, m.URI)
	case codec.Challenge:
		return fmt.Errorf("%w: router asks for authentication (%s); wampbench is anonymous", ErrAborted, m.URI)
	}
	if s.state != stOpen {
		return fmt.Errorf("%w: %v before WELCOME", ErrFrame, m.Type)
	}
	s.h.OnMessage(s, m)
	return nil
}

// fail ends the session once with err and tells the handler.
func (s *Session) fail(err error) {
	if err == nil {
		err = ErrClosed
	}
	s.mu.Lock()
	if s.done.Load() {
		s.mu.Unlock()
		return
	}
	s.err = err
	s.done.Store(true)
	s.state = stClosed
	s.mu.Unlock()
	select {
	case <-s.ready:
	default:
		close(s.ready)
	}
	s.h.OnClose(s, err)
}

// Close closes the session's connection.
func (s *Session) Close() error {
	s.mu.Lock()
	io := s.io
	s.mu.Unlock()
	if io == nil {
		return nil
	}
	return io.close()
}
