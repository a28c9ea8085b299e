package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/auth"
	"github.com/wampd/wampd/realm"
)

// Joiner joins in-process sessions to a realm: the engine's Router.
type Joiner interface {
	JoinLocal(realmName string, opts realm.LocalOptions) (*realm.Local, error)
}

// principal is one bearer token's identity and its in-process session of
// the realm, joined on first use and again after it ended (a kill). All of
// the principal's requests share the session, told apart by request id as
// a WAMP client's are.
//
// mu guards l, next and waits; it is a leaf lock, never held while the
// realm runs or while an answer is awaited.
type principal struct {
	authID, role string
	method       string          // AuthMethod or AuthMethodHMAC
	hash         auth.TicketHash // a bearer token's
	hmacKey      []byte          // a signer's (nil for a bearer token)
	join         func(realm.LocalOptions) (*realm.Local, error)

	mu    sync.Mutex
	l     *realm.Local
	next  uint64
	waits map[uint64]chan answer
}

// answer is the realm's reply to one request: PUBLISHED, RESULT or ERROR,
// with Args and Kwargs transcoded to JSON (nil when absent).
type answer struct {
	typ          codec.Type
	uri          string // ERROR's
	id           uint64 // PUBLISHED's publication id
	args, kwargs []byte
}

// roles are what the bridge's sessions announce: they publish and call.
var roles = map[string]any{"caller": map[string]any{}, "publisher": map[string]any{}}

// AuthMethod (of bearer-token principals; AuthMethodHMAC is the signers')
// and AuthProvider of the bridge's sessions, as the meta API shows them.
const (
	AuthMethod   = "http-bearer"
	AuthProvider = "bridge"
)

// start returns the session (joining it if needed), a fresh request id and
// the channel its answer comes on.
func (p *principal) start() (*realm.Local, uint64, chan answer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		select {
		case <-p.l.Done():
			p.l = nil
		default:
		}
	}
	if p.l == nil {
		l, err := p.join(realm.LocalOptions{AuthID: p.authID, AuthRole: p.role,
			AuthMethod: p.method, AuthProvider: AuthProvider, Roles: roles, OnMessage: p.onMessage})
		if err != nil {
			return nil, 0, nil, fmt.Errorf("%w: %w", ErrClosed, err)
		}
		p.l, p.waits = l, map[uint64]chan answer{}
	}
	if p.next++; p.next > codec.MaxID {
		p.next = 1
	}
	ch := make(chan answer, 1)
	p.waits[p.next] = ch
	return p.l, p.next, ch, nil
}

func (p *principal) forget(l *realm.Local, req uint64) {
	p.mu.Lock()
	if p.l == l {
		delete(p.waits, req)
	}
	p.mu.Unlock()
}

// request sends the message build makes for a fresh request id (WAMP as
// JSON text, decoded here as a socket session's would be) and waits for its
// answer until ctx ends (then a CALL is canceled), the session ends or
// stop is closed.
func (p *principal) request(ctx context.Context, stop <-chan struct{}, build func(req uint64) []byte) (answer, error) {
	var (
		l   *realm.Local
		req uint64
		ch  chan answer
		m   codec.Message
	)
	for try := 0; ; try++ {
		var err error
		if l, req, ch, err = p.start(); err != nil {
			return answer{}, err
		}
		if err := codec.Decode(codec.JSON, build(req), &m); err != nil {
			p.forget(l, req)
			return answer{}, fmt.Errorf("%w: %w", errBadRequest, err)
		}
		err = l.Send(&m)
		if err == nil {
			break
		}
		p.forget(l, req)
		if !errors.Is(err, realm.ErrLocalClosed) || try > 0 {
			return answer{}, fmt.Errorf("%w: %w", ErrClosed, err)
		}
		// The session is ending (a kill) and nothing was sent: once it
		// has, start joins a new one. Done comes as soon as the Local's
		// goroutine delivered what it had.
		select {
		case <-l.Done():
		case <-stop:
			return answer{}, ErrClosed
		case <-ctx.Done():
			return answer{}, ctx.Err()
		}
	}
	defer p.forget(l, req)
	cancel := func() {
		if m.Type == codec.Call {
			_ = l.Send(&codec.Message{Type: codec.Cancel, Request: req,
				Options: codec.Options{Has: codec.HasMode, Mode: "killnowait"}})
		}
	}
	select {
	case a := <-ch:
		return a, nil
	case <-l.Done():
		return answer{}, ErrClosed
	case <-stop:
		cancel()
		return answer{}, ErrClosed
	case <-ctx.Done():
		cancel()
		return answer{}, ctx.Err()
	}
}

// onMessage runs on the Local's goroutine: it hands answers to their
// waiter, never blocking (the waiter's channel has room for its one
// answer; a late answer finds no waiter and is dropped). m is valid only
// during the call, so what is kept is transcoded into new buffers.
func (p *principal) onMessage(m *codec.Message) {
	switch {
	case m.Type == codec.Published:
	case m.Type == codec.Result && !m.Options.Progress:
	case m.Type == codec.Error && (m.ReqType == codec.Call || m.ReqType == codec.Publish):
	default:
		return
	}
	p.mu.Lock()
	ch := p.waits[m.Request]
	p.mu.Unlock()
	if ch == nil {
		return
	}
	a := answer{typ: m.Type, id: m.ID}
	if m.Type == codec.Error {
		a.uri = strings.Clone(m.URI)
	}
	a.args = toJSON(m.PayloadSer, m.Args)
	a.kwargs = toJSON(m.PayloadSer, m.Kwargs)
	select {
	case ch <- a:
	default:
	}
}

// toJSON is raw (encoded with s) as JSON, nil when absent or when it does
// not transcode (a peer's malformed payload: the realm passed it through).
func toJSON(s codec.Serializer, raw []byte) []byte {
	if len(raw) == 0 {
		return nil
	}
	b, err := codec.Transcode(s, codec.JSON, nil, raw)
	if err != nil {
		return nil
	}
	return b
}

// close ends the principal's session.
func (p *principal) close() {
	p.mu.Lock()
	l := p.l
	p.l = nil
	p.mu.Unlock()
	if l != nil {
		l.Close()
	}
}
