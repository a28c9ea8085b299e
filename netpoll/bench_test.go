package netpoll

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/panjf2000/gnet/v2"

	"github.com/wampd/wampd/codec"
)

func BenchmarkWSFrameParse_64B(b *testing.B) {
	// A zero masking key keeps the in-place unmask idempotent across runs.
	frame := ws.MustCompileFrame(ws.MaskFrameWith(ws.NewTextFrame(bytes.Repeat([]byte("a"), 64)), [4]byte{}))
	r := &wsReader{max: 1 << 20}
	src := &memSource{}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		src.buf = frame
		ev, _, err := r.next(src)
		if err != nil || ev != evMessage {
			b.Fatal(ev, err)
		}
		r.consume(src)
	}
}

func BenchmarkRSFrameParse_64B(b *testing.B) {
	h := rsHeader(rsMessage, 64)
	frame := append(h[:], bytes.Repeat([]byte("a"), 64)...)
	r := &rsReader{max: 1 << 20}
	src := &memSource{}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		src.buf = frame
		ev, _, err := r.next(src)
		if err != nil || ev != evMessage {
			b.Fatal(ev, err)
		}
		r.consume(src)
	}
}

// fakeGC stands in for gnet.Conn: writes complete at once, so the
// benchmark measures netpoll's own Send/Flush path and its allocations.
type fakeGC struct {
	gnet.Conn
	written int
}

func (f *fakeGC) Write(b []byte) (int, error) {
	f.written += len(b)
	return len(b), nil
}

func (f *fakeGC) Writev(bs [][]byte) (int, error) {
	n := 0
	for _, b := range bs {
		n += len(b)
	}
	f.written += n
	return n, nil
}

// fakeLoop runs the write queue at once, on the caller's goroutine.
type fakeLoop struct{ gnet.EventLoop }

func (fakeLoop) Execute(ctx context.Context, r gnet.Runnable) error { return r.Run(ctx) }
func (f *fakeGC) OutboundBuffered() int                             { return 0 }
func (f *fakeGC) RemoteAddr() net.Addr                              { return nil }
func (f *fakeGC) Wake(cb gnet.AsyncCallback) error                  { return cb(f, nil) }
func (f *fakeGC) Close() error                                      { return nil }

func BenchmarkSendFlush_64B_1000Conns(b *testing.B) {
	s, err := NewServer(Options{Listeners: []Listener{{Network: "tcp", Addr: "127.0.0.1:0", RawSocket: true}}}, newEcho(true))
	if err != nil {
		b.Fatal(err)
	}
	conns := make([]*Conn, 1000)
	q := newOutq(fakeLoop{})
	for i := range conns {
		conns[i] = newConn(s, &fakeGC{}, 0, 0)
		conns[i].transport = WebSocket
		conns[i].q = q
	}
	b.ReportAllocs()
	for b.Loop() {
		f := codec.NewFrame(codec.JSON)
		f.B = append(f.B, `[36,1,2,{},["0123456789012345678901234567890123456789012345"]]`...)
		f.Seal()
		for _, c := range conns {
			c.Send(f, true)
			c.Flush()
		}
		f.Release()
	}
}

// BenchmarkSendFlush_Loopback_64B_100Conns fans one shared frame out to
// 100 real RawSocket clients; allocations include gnet's own per
// AsyncWritev (its task hook), none of netpoll's.
func BenchmarkSendFlush_Loopback_64B_100Conns(b *testing.B) {
	const n = 100
	h := newEcho(true)
	h.opens = make(chan *Conn, n)
	h.closes = make(chan *Conn, n)
	s, err := NewServer(Options{Logger: quietLogger(), EventLoops: 4,
		Listeners: []Listener{{Network: "tcp", Addr: "127.0.0.1:0", RawSocket: true}}}, h)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	}()
	var received atomic.Int64
	var wg sync.WaitGroup
	defer wg.Wait()
	conns := make([]*Conn, n)
	for i := range conns {
		cl, err := net.Dial("tcp", s.Addrs()[0].String())
		if err != nil {
			b.Fatal(err)
		}
		defer cl.Close()
		_, _ = cl.Write([]byte{0x7F, 0xF1, 0, 0})
		var r [4]byte
		if _, err := io.ReadFull(cl, r[:]); err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64<<10)
			for {
				m, err := cl.Read(buf)
				received.Add(int64(m))
				if err != nil {
					return
				}
			}
		}()
		conns[i] = <-h.opens
	}
	payload := `[36,1,2,{},["0123456789012345678901234567890123456789012345"]]`
	var sent int64
	b.ReportAllocs()
	for b.Loop() {
		f := codec.NewFrame(codec.JSON)
		f.B = append(f.B, payload...)
		f.Seal()
		for _, c := range conns {
			c.Send(f, false)
			c.Flush()
		}
		f.Release()
		sent += int64(n * (4 + len(payload)))
	}
	for deadline := time.Now().Add(10 * time.Second); received.Load() < sent && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	if received.Load() < sent {
		b.Fatalf("received %d of %d bytes", received.Load(), sent)
	}
}
