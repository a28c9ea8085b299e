package realm

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/wampd/wampd/codec"
)

// An in-process session: code inside the router process (an HTTP bridge,
// the web console, a cluster link, tests) joining a realm as a client does,
// with the same routing, meta events and bounds as a socket session. The
// realm sees an ordinary Session whose Peer is a localPeer; messages go in
// through Post like a connection's and come out, decoded, on the Local's
// own goroutine.

// LocalOptions describes an in-process session.
type LocalOptions struct {
	// ID is the session id: the engine draws it from the router's id
	// generator, so it is unique among all sessions. Required.
	ID                       uint64
	AuthID, AuthRole         string
	AuthMethod, AuthProvider string
	// Roles is what HELLO.Details.roles would say (features the realm
	// acts on: call_canceling, progressive_call_invocations, ...); nil
	// announces the four roles with no features.
	Roles map[string]any
	// OnMessage gets every message the realm sends the session, WELCOME
	// first, on the Local's own goroutine, one at a time. m and what it
	// aliases are valid only during the call. Required.
	OnMessage func(m *codec.Message)
	// QueueBytes bounds what the realm has sent and OnMessage has not yet
	// taken (default 4 MiB). Past it, events are dropped (counted by the
	// realm as for a slow socket subscriber) and any other message closes
	// the session: a stuck consumer never grows the router's memory.
	QueueBytes int
}

// ErrLocalClosed is returned by Local.Send after the session ended.
var ErrLocalClosed = errors.New("realm: local session closed")

// defaultLocalQueue bounds a local session's undelivered messages.
const defaultLocalQueue = 4 << 20

// Local is an in-process session of a realm. Send and Close are safe from
// any goroutine.
type Local struct {
	r    *Realm
	s    *Session
	peer *localPeer
}

// localPeer is the Peer of a Local: frames are kept by reference (no
// copy) until the Local's goroutine has handed them to OnMessage.
// mu guards queue, bytes and closed; it is a leaf lock, never held while
// OnMessage runs.
type localPeer struct {
	onMessage func(*codec.Message)
	bound     int
	overflow  func() // tells the realm the session is gone (a stuck consumer)

	mu     sync.Mutex
	queue  []*codec.Frame
	bytes  int
	closed bool

	dropped atomic.Uint64 // EVENTs refused over the bound (QueueInfo)

	wake chan struct{} // 1-buffered
	done chan struct{} // closed when the goroutine has exited
}

// JoinLocal joins an in-process session to r; WELCOME reaches OnMessage
// first. The Local's goroutine is owned by the Local and ends with Close
// (or when the realm closes the session: a kill, a shutdown).
func (r *Realm) JoinLocal(opts LocalOptions) (*Local, error) {
	if opts.ID == 0 || opts.ID > codec.MaxID || opts.OnMessage == nil {
		return nil, errors.New("realm: JoinLocal needs an id in [1, 2^53] and OnMessage")
	}
	if opts.QueueBytes <= 0 {
		opts.QueueBytes = defaultLocalQueue
	}
	roles := opts.Roles
	if roles == nil {
		roles = map[string]any{"caller": map[string]any{}, "callee": map[string]any{},
			"publisher": map[string]any{}, "subscriber": map[string]any{}}
	}
	p := &localPeer{onMessage: opts.OnMessage, bound: opts.QueueBytes,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	s := &Session{
		ID: opts.ID, Peer: p, AuthID: opts.AuthID, AuthRole: opts.AuthRole,
		AuthMethod: opts.AuthMethod, AuthProvider: opts.AuthProvider,
		Hello: map[string]any{"roles": roles},
	}
	l := &Local{r: r, s: s, peer: p}
	p.overflow = func() { r.Leave(s) }
	go p.run()
	r.Join(s)
	return l, nil
}

// ID is the session id.
func (l *Local) ID() uint64 { return l.s.ID }

// Send hands one message to the realm, as a client's transport would. m
// is encoded (MessagePack, the local serializer) and decoded again so that
// the realm gets exactly what a socket session gives it; m is not kept.
func (l *Local) Send(m *codec.Message) error {
	if l.peer.isClosed() {
		return ErrLocalClosed
	}
	in := NewInbound()
	var err error
	if in.Buf.B, err = codec.Append(codec.MsgPack, in.Buf.B[:0], m); err != nil {
		in.Release()
		return err
	}
	if err := codec.Decode(codec.MsgPack, in.Buf.B, &in.Msg); err != nil {
		in.Release()
		return err
	}
	in.Sess = l.s
	l.r.Post(in)
	return nil
}

// Close leaves the realm (as a dropped connection does: testaments fire,
// pending calls are canceled) and waits for the Local's goroutine.
func (l *Local) Close() {
	l.r.Leave(l.s)
	l.peer.Close("local session closed")
	<-l.peer.done
}

// Done is closed when the session has ended and its last message was
// delivered.
func (l *Local) Done() <-chan struct{} { return l.peer.done }

func (p *localPeer) Serializer() codec.Serializer { return codec.MsgPack }

// TransportName and RemoteAddr are what the session meta API shows.
func (p *localPeer) TransportName() string { return "local" }
func (p *localPeer) RemoteAddr() string    { return "" }

// QueuedBytes and Dropped are realm.QueueInfo: what the realm sent and the
// Local's goroutine has not yet taken, and the events refused over the
// bound.
func (p *localPeer) QueuedBytes() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int64(p.bytes)
}

func (p *localPeer) Dropped() uint64 { return p.dropped.Load() }

func (p *localPeer) Send(f *codec.Frame, droppable bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	if p.bytes+f.Len() > p.bound {
		if droppable {
			p.dropped.Add(1)
			return false
		}
		p.closed = true // disconnect, as for a socket over its bound
		p.signal()
		p.overflow()
		return false
	}
	f.Ref()
	p.queue = append(p.queue, f)
	p.bytes += f.Len()
	return true
}

func (p *localPeer) Flush() {
	p.mu.Lock()
	p.signal()
	p.mu.Unlock()
}

// Close ends the session's delivery after what is queued.
func (p *localPeer) Close(string) {
	p.mu.Lock()
	p.closed = true
	p.signal()
	p.mu.Unlock()
}

func (p *localPeer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// signal wakes the goroutine (mu held).
func (p *localPeer) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run delivers queued frames until the peer is closed and drained.
func (p *localPeer) run() {
	defer close(p.done)
	var batch []*codec.Frame
	for {
		<-p.wake
		for {
			p.mu.Lock()
			batch, p.queue = p.queue, batch[:0]
			p.bytes = 0
			closed := p.closed
			p.mu.Unlock()
			if len(batch) == 0 {
				if closed {
					return
				}
				break
			}
			for i, f := range batch {
				var m codec.Message
				if err := codec.Decode(codec.MsgPack, f.B, &m); err == nil {
					p.onMessage(&m)
				}
				f.Release()
				batch[i] = nil
			}
		}
	}
}
