package netpoll

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/wampd/wampd/codec"
)

// echoHandler sends every message back (Send + Flush on the event loop).
type echoHandler struct {
	establish bool
	opens     chan *Conn
	closes    chan *Conn
}

func newEcho(establish bool) *echoHandler {
	return &echoHandler{establish: establish, opens: make(chan *Conn, 64), closes: make(chan *Conn, 64)}
}

func (h *echoHandler) OnOpen(c *Conn) {
	if h.establish {
		c.Established()
	}
	h.opens <- c
}

func (h *echoHandler) OnMessage(c *Conn, p []byte) error {
	if string(p) == "fail" {
		return errors.New("handler refused the message")
	}
	f := codec.NewFrame(c.Serializer())
	f.B = append(f.B, p...)
	f.Seal()
	c.Send(f, false)
	f.Release()
	c.Flush()
	return nil
}

func (h *echoHandler) OnClose(c *Conn, err error) { h.closes <- c }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startServer(t *testing.T, opts Options, h Handler) *Server {
	t.Helper()
	if opts.Listeners == nil {
		opts.Listeners = []Listener{{Network: "tcp", Addr: "127.0.0.1:0", WebSocket: true, RawSocket: true}}
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	if opts.EventLoops == 0 {
		opts.EventLoops = 2
	}
	s, err := NewServer(opts, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return s
}

func waitConn(t testing.TB, ch chan *Conn) *Conn {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a connection event")
		return nil
	}
}

// wsClient is a gobwas/ws client connection.
type wsClient struct {
	net.Conn
	r    io.Reader
	text bool
}

func dialWS(t testing.TB, network, addr string, protocols ...string) (*wsClient, ws.Handshake) {
	t.Helper()
	d := ws.Dialer{Protocols: protocols, Timeout: 5 * time.Second,
		NetDial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, network, addr)
		}}
	conn, br, hs, err := d.Dial(context.Background(), "ws://127.0.0.1/ws")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	c := &wsClient{Conn: conn, r: conn, text: hs.Protocol == "wamp.2.json"}
	if br != nil {
		c.r = br
	}
	return c, hs
}

func (c *wsClient) send(t testing.TB, op ws.OpCode, fin bool, p []byte) {
	t.Helper()
	f := ws.MaskFrameInPlace(ws.NewFrame(op, fin, append([]byte(nil), p...)))
	if err := ws.WriteFrame(c, f); err != nil {
		t.Fatal(err)
	}
}

func (c *wsClient) sendMsg(t testing.TB, p []byte) {
	op := ws.OpBinary
	if c.text {
		op = ws.OpText
	}
	c.send(t, op, true, p)
}

func (c *wsClient) read() (ws.OpCode, []byte, error) {
	h, err := ws.ReadHeader(c.r)
	if err != nil {
		return 0, nil, err
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.r, p); err != nil {
		return 0, nil, err
	}
	return h.OpCode, p, nil
}

func (c *wsClient) mustRead(t testing.TB) (ws.OpCode, []byte) {
	t.Helper()
	op, p, err := c.read()
	if err != nil {
		t.Fatal(err)
	}
	return op, p
}

// expectClosed reads until the server closes; it returns the close code
// when a close frame came first (0 if none).
func (c *wsClient) expectClosed(t *testing.T) uint16 {
	t.Helper()
	var code uint16
	for {
		op, p, err := c.read()
		if err != nil {
			return code
		}
		if op == ws.OpClose && len(p) >= 2 {
			code = binary.BigEndian.Uint16(p)
		}
	}
}

func dialRS(t testing.TB, network, addr string, ser byte, exp byte) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte{0x7F, exp<<4 | ser, 0, 0}); err != nil {
		t.Fatal(err)
	}
	var r [4]byte
	if _, err := io.ReadFull(conn, r[:]); err != nil {
		t.Fatal(err)
	}
	if r[0] != 0x7F || r[1]&0x0F != ser {
		t.Fatalf("handshake reply %x", r)
	}
	return conn
}

func rsSend(t testing.TB, conn net.Conn, typ byte, p []byte) {
	t.Helper()
	h := rsHeader(typ, len(p))
	if _, err := conn.Write(append(h[:], p...)); err != nil {
		t.Fatal(err)
	}
}

func rsRead(conn net.Conn) (byte, []byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(conn, h[:]); err != nil {
		return 0, nil, err
	}
	typ, n, err := parseRSHeader(h[:])
	if err != nil {
		return 0, nil, err
	}
	p := make([]byte, n)
	_, err = io.ReadFull(conn, p)
	return typ, p, err
}

func expectEOF(t *testing.T, conn net.Conn) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, conn); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("want EOF, got %v", err)
	}
}

func TestWebSocketEcho(t *testing.T) {
	h := newEcho(true)
	s := startServer(t, Options{}, h)
	addr := s.Addrs()[0].String()
	tests := []struct {
		protocols []string
		want      codec.Serializer
		msg       []byte
	}{
		{[]string{"wamp.2.json"}, codec.JSON, []byte(`[1,"realm1",{}]`)},
		{[]string{"wamp.2.msgpack"}, codec.MsgPack, []byte{0x93, 0x01, 0xa1, 'r', 0x80}},
		{[]string{"foo", "wamp.2.cbor", "wamp.2.json"}, codec.CBOR, []byte{0x83, 0x01, 0x61, 'r', 0xa0}},
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			c, hs := dialWS(t, "tcp", addr, tt.protocols...)
			if hs.Protocol != tt.want.Subprotocol() {
				t.Fatalf("negotiated %q", hs.Protocol)
			}
			sc := waitConn(t, h.opens)
			if sc.Serializer() != tt.want || sc.Transport() != WebSocket || sc.RemoteAddr() == "" {
				t.Fatalf("server conn: %v %v %q", sc.Serializer(), sc.Transport(), sc.RemoteAddr())
			}
			for i := 0; i < 3; i++ {
				c.sendMsg(t, tt.msg)
				op, p := c.mustRead(t)
				if !bytes.Equal(p, tt.msg) || (op == ws.OpText) != (tt.want == codec.JSON) {
					t.Fatalf("echo %v %q", op, p)
				}
			}
		})
	}
}

func TestWebSocketFragmentedPingClose(t *testing.T) {
	h := newEcho(true)
	s := startServer(t, Options{}, h)
	c, _ := dialWS(t, "tcp", s.Addrs()[0].String(), "wamp.2.json")
	c.send(t, ws.OpText, false, []byte(`[1,"re`))
	c.send(t, ws.OpPing, true, []byte("hb"))
	c.send(t, ws.OpContinuation, false, []byte(`alm1",`))
	c.send(t, ws.OpContinuation, true, []byte(`{}]`))
	if op, p := c.mustRead(t); op != ws.OpPong || string(p) != "hb" {
		t.Fatalf("want pong hb, got %v %q", op, p)
	}
	if op, p := c.mustRead(t); op != ws.OpText || string(p) != `[1,"realm1",{}]` {
		t.Fatalf("want reassembled message, got %v %q", op, p)
	}
	c.send(t, ws.OpClose, true, ws.NewCloseFrameBody(1000, "bye"))
	if code := c.expectClosed(t); code != 1000 {
		t.Fatalf("close echo code %d", code)
	}
	waitConn(t, h.closes)
}

func TestLargeMessage(t *testing.T) {
	h := newEcho(true)
	s := startServer(t, Options{}, h)
	addr := s.Addrs()[0].String()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	t.Run("websocket", func(t *testing.T) {
		c, _ := dialWS(t, "tcp", addr, "wamp.2.msgpack")
		c.sendMsg(t, big)
		if _, p := c.mustRead(t); !bytes.Equal(p, big) {
			t.Fatalf("echo of %d bytes", len(p))
		}
	})
	t.Run("rawsocket", func(t *testing.T) {
		conn := dialRS(t, "tcp", addr, 2, 15)
		rsSend(t, conn, rsMessage, big)
		if _, p, err := rsRead(conn); err != nil || !bytes.Equal(p, big) {
			t.Fatalf("echo of %d bytes: %v", len(p), err)
		}
	})
}

func TestRawSocket(t *testing.T) {
	h := newEcho(true)
	s := startServer(t, Options{MaxMessageSize: 1 << 20}, h)
	addr := s.Addrs()[0].String()
	t.Run("echo and ping", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = conn.Write([]byte{0x7F, 0xF1, 0, 0})
		var r [4]byte
		if _, err := io.ReadFull(conn, r[:]); err != nil || r != [4]byte{0x7F, 11<<4 | 1, 0, 0} {
			t.Fatalf("reply %x %v (want 1 MiB = exponent 11)", r, err)
		}
		rsSend(t, conn, rsPing, []byte("abc"))
		rsSend(t, conn, rsMessage, []byte(`[1,"realm1",{}]`))
		if typ, p, err := rsRead(conn); err != nil || typ != rsPong || string(p) != "abc" {
			t.Fatalf("want pong abc: %d %q %v", typ, p, err)
		}
		if typ, p, err := rsRead(conn); err != nil || typ != rsMessage || string(p) != `[1,"realm1",{}]` {
			t.Fatalf("want echo: %d %q %v", typ, p, err)
		}
	})
	t.Run("unsupported serializer", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = conn.Write([]byte{0x7F, 0xF5, 0, 0})
		var r [4]byte
		if _, err := io.ReadFull(conn, r[:]); err != nil || r != [4]byte{0x7F, 0x10, 0, 0} {
			t.Fatalf("reply %x %v", r, err)
		}
		expectEOF(t, conn)
	})
	t.Run("over our maximum", func(t *testing.T) {
		conn := dialRS(t, "tcp", addr, 1, 15)
		h := rsHeader(rsMessage, 1<<20+1) // the header alone fails the conn
		_, _ = conn.Write(h[:])
		expectEOF(t, conn)
	})
	t.Run("over the client's maximum", func(t *testing.T) {
		conn := dialRS(t, "tcp", addr, 1, 0) // 512 bytes
		rsSend(t, conn, rsMessage, bytes.Repeat([]byte("a"), 600))
		expectEOF(t, conn)
	})
}

func TestBadUpgrade(t *testing.T) {
	h := newEcho(true)
	s := startServer(t, Options{}, h)
	addr := s.Addrs()[0].String()
	tests := []struct {
		name, path, protocols, status, body string
	}{
		{"bad subprotocol", "/ws", "mqtt, wamp.1.json", "400", "subprotocol"},
		{"bad path", "/nope", "wamp.2.json", "404", "path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = conn.Write(upgradeRequest(tt.path, tt.protocols))
			resp, err := io.ReadAll(conn) // the server closes after the response
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(resp), "HTTP/1.1 "+tt.status) || !strings.Contains(string(resp), tt.body) {
				t.Fatalf("response %q", resp)
			}
		})
	}
	t.Run("header too large", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = conn.Write([]byte("GET /ws HTTP/1.1\r\nX: " + strings.Repeat("a", 9000)))
		resp, _ := io.ReadAll(conn)
		if !strings.HasPrefix(string(resp), "HTTP/1.1 431") {
			t.Fatalf("response %q", resp)
		}
	})
}

func TestProtocolErrorClosesOnlyThatConn(t *testing.T) {
	h := newEcho(true)
	s := startServer(t, Options{}, h)
	addr := s.Addrs()[0].String()
	good, _ := dialWS(t, "tcp", addr, "wamp.2.json")
	goodRS := dialRS(t, "tcp", addr, 1, 15)

	badWS, _ := dialWS(t, "tcp", addr, "wamp.2.json")
	if _, err := badWS.Write(ws.MustCompileFrame(ws.NewTextFrame([]byte("unmasked")))); err != nil {
		t.Fatal(err)
	}
	if code := badWS.expectClosed(t); code != CloseProtocolError {
		t.Fatalf("close code %d, want 1002", code)
	}
	badBin, _ := dialWS(t, "tcp", addr, "wamp.2.json")
	badBin.send(t, ws.OpBinary, true, []byte("x"))
	if code := badBin.expectClosed(t); code != CloseUnsupportedData {
		t.Fatalf("close code %d, want 1003", code)
	}
	badRS := dialRS(t, "tcp", addr, 1, 15)
	_, _ = badRS.Write([]byte{0xF0, 0xde, 0xad, 0xbe, 0xef})
	expectEOF(t, badRS)

	if got := s.Stats().ProtocolErrors; got != 3 {
		t.Fatalf("ProtocolErrors = %d, want 3", got)
	}
	good.sendMsg(t, []byte("[6,{},\"x\"]"))
	if _, p := good.mustRead(t); string(p) != "[6,{},\"x\"]" {
		t.Fatalf("good conn echo %q", p)
	}
	rsSend(t, goodRS, rsMessage, []byte("[1]"))
	if _, p, err := rsRead(goodRS); err != nil || string(p) != "[1]" {
		t.Fatalf("good rawsocket echo %q %v", p, err)
	}
}

func TestHandlerErrorCloses(t *testing.T) {
	h := newEcho(true)
	s := startServer(t, Options{}, h)
	c, _ := dialWS(t, "tcp", s.Addrs()[0].String(), "wamp.2.json")
	c.sendMsg(t, []byte("ok"))
	c.sendMsg(t, []byte("fail"))
	if _, p := c.mustRead(t); string(p) != "ok" {
		t.Fatalf("echo %q", p)
	}
	op, p := c.mustRead(t)
	if op != ws.OpClose || binary.BigEndian.Uint16(p) != CloseNormal || !strings.Contains(string(p[2:]), "refused") {
		t.Fatalf("want close 1000 with reason, got %v %q", op, p)
	}
	c.expectClosed(t)
}

// flood sends droppable frames of size n to sc until stop says enough.
func flood(t *testing.T, sc *Conn, n int, stop func() bool) {
	t.Helper()
	f := codec.NewFrame(codec.JSON)
	f.B = append(f.B, bytes.Repeat([]byte("e"), n)...)
	f.Seal()
	defer f.Release()
	deadline := time.Now().Add(10 * time.Second)
	for !stop() {
		if time.Now().After(deadline) {
			t.Fatal("flood: condition not reached")
		}
		for i := 0; i < 64; i++ {
			sc.Send(f, true)
		}
		sc.Flush()
		time.Sleep(time.Millisecond)
	}
}

func TestDropPolicy(t *testing.T) {
	h := newEcho(true)
	s := startServer(t, Options{Policy: PolicyDrop, OutboundBound: 256 << 10}, h)
	addr := s.Addrs()[0].String()
	slow := dialRS(t, "tcp", addr, 1, 15)
	_ = slow.(*net.TCPConn).SetReadBuffer(4096)
	sc := waitConn(t, h.opens)
	other := dialRS(t, "tcp", addr, 1, 15)
	waitConn(t, h.opens)

	flood(t, sc, 16<<10, func() bool { return sc.Dropped() > 100 })
	if st := s.Stats(); st.DroppedEvents < 100 || st.SlowDisconnects != 0 || st.Conns != 2 {
		t.Fatalf("stats %+v", st)
	}
	rsSend(t, other, rsMessage, []byte("[1]"))
	if _, p, err := rsRead(other); err != nil || string(p) != "[1]" {
		t.Fatalf("other conn echo %q %v", p, err)
	}
	// The consumer catches up: events flow again (the probe refreshed the
	// queue size although no write was under way).
	go func() { _, _ = io.Copy(io.Discard, slow) }()
	f := codec.NewFrame(codec.JSON)
	f.B = append(f.B, "[36,1,2,{}]"...)
	f.Seal()
	defer f.Release()
	deadline := time.Now().Add(10 * time.Second)
	for !sc.Send(f, true) {
		if time.Now().After(deadline) {
			t.Fatal("events never flow again after the consumer caught up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	sc.Flush()
}

func TestDisconnectPolicy(t *testing.T) {
	h := newEcho(true)
	s := startServer(t, Options{Policy: PolicyDisconnect, OutboundBound: 256 << 10}, h)
	addr := s.Addrs()[0].String()
	slow, _ := dialWS(t, "tcp", addr, "wamp.2.json")
	_ = slow.Conn.(*net.TCPConn).SetReadBuffer(4096)
	sc := waitConn(t, h.opens)
	other, _ := dialWS(t, "tcp", addr, "wamp.2.json")
	waitConn(t, h.opens)

	flood(t, sc, 16<<10, func() bool { return s.Stats().SlowDisconnects > 0 })
	if closed := waitConn(t, h.closes); closed != sc {
		t.Fatal("another connection was closed")
	}
	if sc.Send(codec.NewFrame(codec.JSON), true) {
		t.Fatal("Send after close reported queued")
	}
	other.sendMsg(t, []byte("[1]"))
	if _, p := other.mustRead(t); string(p) != "[1]" {
		t.Fatalf("other conn echo %q", p)
	}
}

func TestHandshakeTimeout(t *testing.T) {
	h := newEcho(false)
	s := startServer(t, Options{HandshakeTimeout: 150 * time.Millisecond}, h)
	addr := s.Addrs()[0].String()
	t.Run("not established", func(t *testing.T) {
		c, _ := dialWS(t, "tcp", addr, "wamp.2.json")
		waitConn(t, h.opens)
		start := time.Now()
		if code := c.expectClosed(t); code != ClosePolicyViolation {
			t.Fatalf("close code %d", code)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("closed after %v", d)
		}
	})
	t.Run("silent tcp", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		expectEOF(t, conn)
	})
	t.Run("established", func(t *testing.T) {
		c, _ := dialWS(t, "tcp", addr, "wamp.2.json")
		waitConn(t, h.opens).Established()
		time.Sleep(400 * time.Millisecond)
		c.sendMsg(t, []byte("[1]"))
		if _, p := c.mustRead(t); string(p) != "[1]" {
			t.Fatalf("echo %q", p)
		}
	})
}

func TestListeners(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "wampd.sock")
	h := newEcho(true)
	s := startServer(t, Options{Listeners: []Listener{
		{Network: "tcp", Addr: "127.0.0.1:0", WebSocket: true},
		{Network: "tcp", Addr: "127.0.0.1:0", RawSocket: true},
		{Network: "unix", Addr: sock, WebSocket: true, RawSocket: true},
	}}, h)
	addrs := s.Addrs()
	if len(addrs) != 3 || addrs[0].String() == addrs[1].String() || strings.HasSuffix(addrs[0].String(), ":0") {
		t.Fatalf("addrs %v", addrs)
	}
	if addrs[2].String() != sock {
		t.Fatalf("unix addr %v", addrs[2])
	}
	t.Run("websocket only", func(t *testing.T) {
		c, _ := dialWS(t, "tcp", addrs[0].String(), "wamp.2.json")
		c.sendMsg(t, []byte("[1]"))
		if _, p := c.mustRead(t); string(p) != "[1]" {
			t.Fatalf("echo %q", p)
		}
		conn, err := net.Dial("tcp", addrs[0].String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = conn.Write([]byte{0x7F, 0xF1, 0, 0})
		expectEOF(t, conn)
	})
	t.Run("rawsocket only", func(t *testing.T) {
		conn := dialRS(t, "tcp", addrs[1].String(), 3, 15)
		rsSend(t, conn, rsMessage, []byte{0x81, 0x01})
		if _, p, err := rsRead(conn); err != nil || !bytes.Equal(p, []byte{0x81, 0x01}) {
			t.Fatalf("echo %x %v", p, err)
		}
	})
	t.Run("unix both", func(t *testing.T) {
		conn := dialRS(t, "unix", sock, 1, 15)
		rsSend(t, conn, rsMessage, []byte("[2]"))
		if _, p, err := rsRead(conn); err != nil || string(p) != "[2]" {
			t.Fatalf("echo %q %v", p, err)
		}
		c, _ := dialWS(t, "unix", sock, "wamp.2.json")
		c.sendMsg(t, []byte("[3]"))
		if _, p := c.mustRead(t); string(p) != "[3]" {
			t.Fatalf("echo %q", p)
		}
	})
}

func TestStartBindError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, err := NewServer(Options{Logger: quietLogger(), Listeners: []Listener{{Network: "tcp", Addr: ln.Addr().String(), RawSocket: true}}}, newEcho(true))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err == nil {
		_ = s.Stop(context.Background())
		t.Fatal("Start on a used port succeeded")
	}
}

func TestStop(t *testing.T) {
	t.Run("waits for connections, then closes them", func(t *testing.T) {
		h := newEcho(true)
		s := startServer(t, Options{}, h)
		conn := dialRS(t, "tcp", s.Addrs()[0].String(), 1, 15)
		waitConn(t, h.opens)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := s.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop = %v", err)
		}
		if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
			t.Fatalf("Stop took %v", d)
		}
		expectEOF(t, conn)
		waitConn(t, h.closes)
	})
	t.Run("returns once the engine closed them", func(t *testing.T) {
		h := newEcho(true)
		s := startServer(t, Options{}, h)
		_ = dialRS(t, "tcp", s.Addrs()[0].String(), 1, 15)
		sc := waitConn(t, h.opens)
		go func() {
			time.Sleep(50 * time.Millisecond)
			sc.Close("server shutdown")
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Fatalf("Stop = %v", err)
		}
		if st := s.Stats(); st.Conns != 0 || st.Accepted != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("going away close frame", func(t *testing.T) {
		h := newEcho(true)
		s := startServer(t, Options{}, h)
		c, _ := dialWS(t, "tcp", s.Addrs()[0].String(), "wamp.2.json")
		waitConn(t, h.opens).Close("server shutdown")
		if code := c.expectClosed(t); code != CloseGoingAway {
			t.Fatalf("close code %d, want 1001", code)
		}
	})
}

var _ = fmt.Sprint

// TestGnetAddrsPortZero: any number of listeners on port 0 of one host
// get distinct spellings (gnet tells listeners apart by their address).
func TestGnetAddrsPortZero(t *testing.T) {
	var ls []Listener
	for range 4 {
		ls = append(ls, Listener{Network: "tcp", Addr: "127.0.0.1:0"})
	}
	_, keys := gnetAddrs(ls)
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Fatalf("two listeners share the address %q: %v", k, keys)
		}
		seen[k] = true
	}
}
