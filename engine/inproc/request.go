package inproc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/realm"
)

// Session is one joined session of a client. Its requests are told apart
// by request id, as a WAMP client's are; an answer finds its waiter only
// in the session it was asked in, so a late answer of a killed session is
// never taken for a new one's. mu guards next and waits; it is a leaf
// lock, never held while the realm runs or a request waits.
type Session struct {
	c *Client
	l atomic.Pointer[realm.Local] // set once JoinLocal returned

	mu    sync.Mutex
	next  uint64
	waits map[uint64]chan Answer
}

// Answer is a copy of the realm's answer to one request: PUBLISHED,
// SUBSCRIBED, UNSUBSCRIBED, REGISTERED, UNREGISTERED, the final RESULT, or
// an ERROR of one of their requests. Its bytes are its own.
type Answer struct {
	Type       codec.Type
	ReqType    codec.Type // an ERROR's
	Request    uint64
	ID         uint64 // the publication, subscription or registration id
	URI        string // an ERROR's
	PayloadSer codec.Serializer
	Args       []byte // encoded with PayloadSer; nil when absent
	Kwargs     []byte
}

// ID is the session id (0 before the join returned).
func (s *Session) ID() uint64 {
	if l := s.l.Load(); l != nil {
		return l.ID()
	}
	return 0
}

// Done is closed when the session has ended and its last message was
// delivered.
func (s *Session) Done() <-chan struct{} { return s.l.Load().Done() }

func (s *Session) ended() bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

// Send hands m to the realm (an answer of the client's own: YIELD, an
// ERROR to an INVOCATION). Safe from OnMessage.
func (s *Session) Send(m *codec.Message) error {
	l := s.l.Load()
	if l == nil {
		return ErrClosed
	}
	if err := l.Send(m); err != nil {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return nil
}

// Close leaves the realm and waits for the session's goroutine. Not to be
// called from OnMessage.
func (s *Session) Close() {
	if l := s.l.Load(); l != nil {
		l.Close()
	}
}

// Request sends the message build makes for a fresh request id on a live
// session (a lazy client joins one when it has none) and waits for its
// answer: until ctx ends or MaxWait passes (ctx's error), the session ends
// or the client stops (ErrClosed). A CALL given up on is canceled
// (killnowait). build's error is returned as it is. When the session was
// ending and nothing was sent, Request waits for its end and tries once
// on a new one.
func (c *Client) Request(ctx context.Context, build func(req uint64) (*codec.Message, error)) (Answer, error) {
	for try := 0; ; try++ {
		s, err := c.session()
		if err != nil {
			return Answer{}, err
		}
		a, err := s.Request(ctx, build)
		if err == nil || !errors.Is(err, realm.ErrLocalClosed) || try > 0 {
			return a, err
		}
		// Nothing was sent (a kill is under way): Done comes as soon as
		// the Local's goroutine delivered what it had.
		select {
		case <-s.Done():
		case <-c.quit:
			return Answer{}, ErrClosed
		case <-c.o.Stop:
			return Answer{}, ErrClosed
		case <-ctx.Done():
			return Answer{}, ctx.Err()
		}
	}
}

// Request is Client.Request on this session only (OnJoin's requests).
func (s *Session) Request(ctx context.Context, build func(req uint64) (*codec.Message, error)) (Answer, error) {
	ctx, cancel := context.WithTimeout(ctx, s.c.o.MaxWait)
	defer cancel()
	req, ch := s.await()
	defer s.forget(req)
	m, err := build(req)
	if err != nil {
		return Answer{}, err
	}
	call := m.Type == codec.Call
	if err := s.Send(m); err != nil {
		return Answer{}, err
	}
	giveUp := func() {
		if call {
			_ = s.Send(&codec.Message{Type: codec.Cancel, Request: req,
				Options: codec.Options{Has: codec.HasMode, Mode: "killnowait"}})
		}
	}
	select {
	case a := <-ch:
		return a, nil
	case <-s.Done():
		select { // an answer delivered just before the end is still one
		case a := <-ch:
			return a, nil
		default:
			return Answer{}, ErrClosed
		}
	case <-s.c.quit:
		giveUp()
		return Answer{}, ErrClosed
	case <-s.c.o.Stop:
		giveUp()
		return Answer{}, ErrClosed
	case <-ctx.Done():
		giveUp()
		return Answer{}, ctx.Err()
	}
}

// await registers a waiter for a fresh request id.
func (s *Session) await() (uint64, chan Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next++; s.next > codec.MaxID {
		s.next = 1
	}
	ch := make(chan Answer, 1)
	s.waits[s.next] = ch
	return s.next, ch
}

func (s *Session) forget(req uint64) {
	s.mu.Lock()
	delete(s.waits, req)
	s.mu.Unlock()
}

// deliver is the session's OnMessage, on its Local's goroutine: the
// client's handler sees m, then an answer goes to its waiter, never
// blocking (the waiter's channel has room for its one answer; a late
// answer finds none and is dropped). m is valid only during the call, so
// what is kept is copied.
func (s *Session) deliver(m *codec.Message) {
	if h := s.c.o.OnMessage; h != nil {
		h(s, m)
	}
	if !isAnswer(m) {
		return
	}
	s.mu.Lock()
	ch := s.waits[m.Request]
	s.mu.Unlock()
	if ch == nil {
		return
	}
	a := Answer{Type: m.Type, Request: m.Request, ID: m.ID, PayloadSer: m.PayloadSer,
		Args: clone(m.Args), Kwargs: clone(m.Kwargs)}
	if m.Type == codec.Error {
		a.ReqType, a.URI = m.ReqType, strings.Clone(m.URI)
	}
	select {
	case ch <- a:
	default:
	}
}

// isAnswer reports whether m answers a request of the client's.
func isAnswer(m *codec.Message) bool {
	switch m.Type {
	case codec.Published, codec.Subscribed, codec.Unsubscribed, codec.Registered, codec.Unregistered:
		return true
	case codec.Result:
		return !m.Options.Progress
	case codec.Error:
		switch m.ReqType {
		case codec.Call, codec.Publish, codec.Subscribe, codec.Unsubscribe, codec.Register, codec.Unregister:
			return true
		}
	}
	return false
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
