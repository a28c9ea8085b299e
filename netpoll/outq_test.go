package netpoll

import (
	"bytes"
	"context"
	"net"
	"testing"

	"github.com/panjf2000/gnet/v2"

	"github.com/wampd/wampd/codec"
)

// heldLoop queues the runnables given to Execute until run is called, as
// a busy event loop does.
type heldLoop struct {
	gnet.EventLoop
	tasks []gnet.Runnable
}

func (l *heldLoop) Execute(_ context.Context, r gnet.Runnable) error {
	l.tasks = append(l.tasks, r)
	return nil
}

func (l *heldLoop) run(t *testing.T) {
	t.Helper()
	for len(l.tasks) > 0 {
		r := l.tasks[0]
		l.tasks = l.tasks[1:]
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// recGC records every Write as one entry.
type recGC struct {
	gnet.Conn
	writes [][]byte
	closed bool
}

func (g *recGC) Write(b []byte) (int, error) {
	g.writes = append(g.writes, append([]byte(nil), b...))
	return len(b), nil
}
func (g *recGC) OutboundBuffered() int { return 0 }
func (g *recGC) RemoteAddr() net.Addr  { return nil }
func (g *recGC) Close() error          { g.closed = true; return nil }

// TestFlushCoalesces checks that frames flushed before the loop took the
// conn's batch go out in one write, in order, and that a flush after the
// loop took it queues the conn again.
func TestFlushCoalesces(t *testing.T) {
	s, err := NewServer(Options{Logger: quietLogger(),
		Listeners: []Listener{{Network: "tcp", Addr: "127.0.0.1:0", RawSocket: true}}}, newEcho(true))
	if err != nil {
		t.Fatal(err)
	}
	frame := func(p string) *codec.Frame {
		f := codec.NewFrame(codec.JSON)
		f.B = append(f.B, p...)
		f.Seal()
		return f
	}
	wire := func(ps ...string) []byte {
		var b []byte
		for _, p := range ps {
			h := rsHeader(rsMessage, len(p))
			b = append(append(b, h[:]...), p...)
		}
		return b
	}
	tests := []struct {
		name       string
		steps      func(c *Conn, l *heldLoop)
		wantWrites [][]byte
		wantClosed bool
	}{
		{
			name: "two flushes before the loop runs: one write",
			steps: func(c *Conn, l *heldLoop) {
				for _, p := range []string{"[1]", "[2]"} {
					f := frame(p)
					c.Send(f, false)
					f.Release()
					c.Flush()
				}
				if len(l.tasks) != 1 {
					t.Errorf("%d loop tasks scheduled, want 1", len(l.tasks))
				}
			},
			wantWrites: [][]byte{wire("[1]", "[2]")},
		},
		{
			name: "flush after the loop took the batch: second write",
			steps: func(c *Conn, l *heldLoop) {
				f := frame("[1]")
				c.Send(f, false)
				c.Flush()
				l.run(t)
				c.Send(f, false)
				c.Flush()
				f.Release()
			},
			wantWrites: [][]byte{wire("[1]"), wire("[1]")},
		},
		{
			name: "flush while the loop yields: written at release, no task",
			steps: func(c *Conn, l *heldLoop) {
				c.q.hold()
				f := frame("[1]")
				c.Send(f, false)
				f.Release()
				c.Flush()
				if len(l.tasks) != 0 {
					t.Errorf("%d loop tasks scheduled during a hold, want 0", len(l.tasks))
				}
				c.q.release()
				if got := len(c.gc.(*recGC).writes); got != 1 {
					t.Errorf("%d writes right after release, want 1", got)
				}
			},
			wantWrites: [][]byte{wire("[1]")},
		},
		{
			name: "flush after an empty hold: scheduled as usual",
			steps: func(c *Conn, l *heldLoop) {
				c.q.hold()
				c.q.release()
				f := frame("[2]")
				c.Send(f, false)
				f.Release()
				c.Flush()
				if len(l.tasks) != 1 {
					t.Errorf("%d loop tasks scheduled after the hold ended, want 1", len(l.tasks))
				}
			},
			wantWrites: [][]byte{wire("[2]")},
		},
		{
			name: "close while queued: frames then close in one write",
			steps: func(c *Conn, _ *heldLoop) {
				f := frame("[1]")
				c.Send(f, false)
				f.Release()
				c.Flush()
				c.Close("bye")
				if c.Send(frame("[2]"), false) {
					t.Error("Send after Close queued a frame")
				}
				c.Flush()
			},
			wantWrites: [][]byte{wire("[1]")},
			wantClosed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &heldLoop{}
			gc := &recGC{}
			c := newConn(s, gc, 0, 0)
			c.transport = RawSocket
			c.peerMax = 1 << 20
			c.q = newOutq(l)
			tt.steps(c, l)
			l.run(t)
			if len(gc.writes) != len(tt.wantWrites) {
				t.Fatalf("%d writes %q, want %d %q", len(gc.writes), gc.writes, len(tt.wantWrites), tt.wantWrites)
			}
			for i, w := range tt.wantWrites {
				if !bytes.Equal(gc.writes[i], w) {
					t.Errorf("write %d = %q, want %q", i, gc.writes[i], w)
				}
			}
			if gc.closed != tt.wantClosed {
				t.Errorf("closed = %v, want %v", gc.closed, tt.wantClosed)
			}
		})
	}
}
