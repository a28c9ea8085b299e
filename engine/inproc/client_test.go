package inproc_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine"
	"github.com/wampd/wampd/engine/enginetest"
	"github.com/wampd/wampd/engine/inproc"
	"github.com/wampd/wampd/realm"
)

const testTimeout = 5 * time.Second

// startRouter starts a router with the anonymous realm realm1 (meta API
// on), stopped when the test ends.
func startRouter(t *testing.T) *engine.Router {
	t.Helper()
	return enginetest.StartYAML(t, "realms:\n  - name: realm1\n    anonymous: true\n")
}

func joiner(rt *engine.Router) func(realm.LocalOptions) (*realm.Local, error) {
	return func(o realm.LocalOptions) (*realm.Local, error) { return rt.JoinLocal("realm1", o) }
}

func newClient(t *testing.T, rt *engine.Router, o inproc.Options) *inproc.Client {
	t.Helper()
	o.Join = joiner(rt)
	if o.Session.AuthRole == "" {
		o.Session.AuthRole = "anonymous"
	}
	c := inproc.New(o)
	t.Cleanup(c.Close)
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func msg(m codec.Message) func(uint64) (*codec.Message, error) {
	return func(req uint64) (*codec.Message, error) {
		m.Request = req
		return &m, nil
	}
}

func args(t *testing.T, v ...any) []byte {
	t.Helper()
	b, err := codec.AppendValue(codec.MsgPack, nil, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// callee is a kept client that registers com.echo (answers its args) and
// com.hang (never answers; each INVOCATION is counted).
type callee struct {
	*inproc.Client
	hung atomic.Int32
}

func startCallee(t *testing.T, rt *engine.Router) *callee {
	t.Helper()
	ce := &callee{}
	var mu sync.Mutex
	regs := map[uint64]string{}
	pending := map[uint64]string{}
	ce.Client = newClient(t, rt, inproc.Options{
		Session: realm.LocalOptions{AuthID: "callee"},
		OnMessage: func(s *inproc.Session, m *codec.Message) {
			mu.Lock()
			defer mu.Unlock()
			switch m.Type {
			case codec.Registered:
				regs[m.ID] = pending[m.Request]
			case codec.Invocation:
				switch regs[m.ID] {
				case "com.echo":
					_ = s.Send(&codec.Message{Type: codec.Yield, Request: m.Request,
						Args: append([]byte(nil), m.Args...), PayloadSer: m.PayloadSer})
				case "com.hang":
					ce.hung.Add(1)
				}
			}
		},
		OnJoin: func(s *inproc.Session) error {
			for _, p := range []string{"com.echo", "com.hang"} {
				a, err := s.Request(context.Background(), func(req uint64) (*codec.Message, error) {
					mu.Lock()
					pending[req] = p
					mu.Unlock()
					return &codec.Message{Type: codec.Register, Request: req, URI: p}, nil
				})
				if err != nil || a.Type != codec.Registered {
					return errors.Join(err, errors.New("not registered"))
				}
			}
			return nil
		},
		Backoff: 10 * time.Millisecond,
	})
	if err := ce.Start(); err != nil {
		t.Fatal(err)
	}
	return ce
}

// kill kills session id through the meta API, from a client of its own.
func kill(t *testing.T, rt *engine.Router, id uint64) {
	t.Helper()
	k := newClient(t, rt, inproc.Options{Session: realm.LocalOptions{AuthID: "killer"}})
	a, err := k.Request(ctxT(t), msg(codec.Message{Type: codec.Call, URI: "wamp.session.kill",
		Args: args(t, id), PayloadSer: codec.MsgPack}))
	if err != nil || a.Type != codec.Result {
		t.Fatalf("kill %d: %+v %v", id, a, err)
	}
}

// eventually polls cond (bounded) until it holds.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(testTimeout); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
	}
}

// TestRequestCorrelation: concurrent calls on one lazily joined session
// each get their own answer.
func TestRequestCorrelation(t *testing.T) {
	rt := startRouter(t)
	startCallee(t, rt)
	c := newClient(t, rt, inproc.Options{Session: realm.LocalOptions{AuthID: "caller"}})
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			a, err := c.Request(ctxT(t), msg(codec.Message{Type: codec.Call, URI: "com.echo",
				Args: args(t, i), PayloadSer: codec.MsgPack}))
			if err != nil {
				errs <- err
				return
			}
			v, _ := codec.DecodeValue(a.PayloadSer, a.Args)
			if l, _ := v.([]any); a.Type != codec.Result || len(l) != 1 || l[0] != int64(i) && l[0] != uint64(i) {
				errs <- errors.New("wrong answer")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if c.Joins() != 1 || c.Rejoins() != 0 {
		t.Fatalf("joins %d rejoins %d, want one session", c.Joins(), c.Rejoins())
	}
}

// TestErrorAnswer: an ERROR is an answer, with its URI.
func TestErrorAnswer(t *testing.T) {
	rt := startRouter(t)
	c := newClient(t, rt, inproc.Options{})
	a, err := c.Request(ctxT(t), msg(codec.Message{Type: codec.Call, URI: "com.nobody"}))
	if err != nil || a.Type != codec.Error || a.ReqType != codec.Call || a.URI != codec.ErrNoSuchProcedure {
		t.Fatalf("%+v %v", a, err)
	}
}

// TestBoundedWait: a call nobody answers ends at MaxWait and is canceled;
// a build error is returned as it is and nothing is sent.
func TestBoundedWait(t *testing.T) {
	rt := startRouter(t)
	ce := startCallee(t, rt)
	c := newClient(t, rt, inproc.Options{MaxWait: 100 * time.Millisecond})
	_, err := c.Request(context.Background(), msg(codec.Message{Type: codec.Call, URI: "com.hang"}))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the wait's deadline", err)
	}
	eventually(t, func() bool { return ce.hung.Load() == 1 }, "the call reached the callee")
	bad := errors.New("bad")
	if _, err := c.Request(ctxT(t), func(uint64) (*codec.Message, error) { return nil, bad }); err != bad {
		t.Fatalf("err %v, want build's", err)
	}
}

// TestStopEndsWaits: closing Stop ends a waiting request with ErrClosed.
func TestStopEndsWaits(t *testing.T) {
	rt := startRouter(t)
	ce := startCallee(t, rt)
	stop := make(chan struct{})
	c := newClient(t, rt, inproc.Options{Stop: stop})
	done := make(chan error, 1)
	go func() {
		_, err := c.Request(ctxT(t), msg(codec.Message{Type: codec.Call, URI: "com.hang"}))
		done <- err
	}()
	eventually(t, func() bool { return ce.hung.Load() == 1 }, "the call reached the callee")
	close(stop)
	select {
	case err := <-done:
		if !errors.Is(err, inproc.ErrClosed) {
			t.Fatalf("err %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Stop did not end the wait")
	}
}

// TestLazyRejoin: after its session is killed, a lazy client's next
// request joins a new session, and the rejoin is counted.
func TestLazyRejoin(t *testing.T) {
	rt := startRouter(t)
	c := newClient(t, rt, inproc.Options{})
	ping := msg(codec.Message{Type: codec.Publish, URI: "com.ping", Options: codec.Options{Has: codec.HasAcknowledge, Acknowledge: true}})
	if _, err := c.Request(ctxT(t), ping); err != nil {
		t.Fatal(err)
	}
	first := c.Current()
	kill(t, rt, first.ID())
	select {
	case <-first.Done():
	case <-time.After(testTimeout):
		t.Fatal("killed session not ended")
	}
	a, err := c.Request(ctxT(t), ping)
	if err != nil || a.Type != codec.Published {
		t.Fatalf("after the kill: %+v %v", a, err)
	}
	if c.Current().ID() == first.ID() || c.Rejoins() != 1 {
		t.Fatalf("session %d (was %d), rejoins %d", c.Current().ID(), first.ID(), c.Rejoins())
	}
}

// TestKeptRejoin: a kept client killed twice joins again each time and
// runs OnJoin (its registrations serve again); Close ends the loop and the
// session, and a request after it is refused.
func TestKeptRejoin(t *testing.T) {
	rt := startRouter(t)
	ce := startCallee(t, rt)
	c := newClient(t, rt, inproc.Options{})
	for round := 1; round <= 2; round++ {
		kill(t, rt, ce.Current().ID())
		eventually(t, func() bool { return ce.Rejoins() == uint64(round) }, "the callee rejoined")
		a, err := c.Request(ctxT(t), msg(codec.Message{Type: codec.Call, URI: "com.echo", Args: args(t, round), PayloadSer: codec.MsgPack}))
		if err != nil || a.Type != codec.Result {
			t.Fatalf("round %d: echo after the rejoin: %+v %v", round, a, err)
		}
	}
	s := ce.Current()
	ce.Close()
	select {
	case <-s.Done():
	case <-time.After(testTimeout):
		t.Fatal("Close left the session")
	}
	if _, err := ce.Request(ctxT(t), msg(codec.Message{Type: codec.Call, URI: "com.echo"})); !errors.Is(err, inproc.ErrClosed) {
		t.Fatalf("request after Close: %v", err)
	}
	if ce.Rejoins() != 2 {
		t.Fatalf("rejoins %d after Close", ce.Rejoins())
	}
}

// TestStartFails: an OnJoin error fails Start and leaves the session.
func TestStartFails(t *testing.T) {
	rt := startRouter(t)
	refused := errors.New("refused")
	c := newClient(t, rt, inproc.Options{OnJoin: func(*inproc.Session) error { return refused }})
	if err := c.Start(); err != refused {
		t.Fatalf("Start: %v", err)
	}
	if c.Current() != nil || c.Joins() != 0 {
		t.Fatalf("session kept after a failed setup (joins %d)", c.Joins())
	}
}
