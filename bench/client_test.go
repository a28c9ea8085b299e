package bench

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
)

// chanHandler reports events and the close reason on channels (it runs on
// a gnet event loop).
type chanHandler struct {
	events chan struct{}
	closed chan error
}

func (*chanHandler) OnWelcome(*Session) {}
func (h *chanHandler) OnMessage(_ *Session, m *codec.Message) {
	if m.Type == codec.Event {
		h.events <- struct{}{}
	}
}
func (h *chanHandler) OnClose(_ *Session, err error) { h.closed <- err }

// acceptUpgrade accepts one connection on ln and reads its WebSocket
// upgrade request; it returns the 101 response to send (in one piece or
// several) and the WELCOME frame with session id.
func acceptUpgrade(ln net.Listener, ser codec.Serializer, id uint64) (nc net.Conn, br *bufio.Reader, resp, welcome []byte, err error) {
	if nc, err = ln.Accept(); err != nil {
		return nil, nil, nil, nil, err
	}
	br = bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	if err != nil {
		nc.Close()
		return nil, nil, nil, nil, err
	}
	resp = []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + wsAccept(req.Header.Get("Sec-WebSocket-Key")) + "\r\n" +
		"Sec-WebSocket-Protocol: " + ser.Subprotocol() + "\r\n\r\n")
	w, err := codec.Append(ser, nil, &codec.Message{Type: codec.Welcome, ID: id, Details: map[string]any{}})
	if err != nil {
		nc.Close()
		return nil, nil, nil, nil, err
	}
	op := byte(wsText)
	if ser.Binary() {
		op = wsBinary
	}
	return nc, br, resp, wsAppendFrame(nil, op, w, false, [4]byte{}), nil
}

// listenerClient is a one-loop Client for the WebSocket server on ln,
// closed at the end of the test.
func listenerClient(t *testing.T, ln net.Listener, ser codec.Serializer) *Client {
	t.Helper()
	ep, err := ParseEndpoint("ws://" + ln.Addr().String() + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	cli, err := NewClient(ClientConfig{Endpoint: ep, Serializer: ser, Realm: "realm1", EventLoops: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// TestClientKeepsPartialFrames is the regression test for "malformed
// transport frame: reserved bits set" under load: a frame that arrives in
// pieces must survive the OnTraffic calls that see only part of it (gnet's
// Discard(0) drops everything buffered, so a read that used nothing must
// not discard).
func TestClientKeepsPartialFrames(t *testing.T) {
	ser := codec.JSON
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	ev := eventFrame(t, ser, WebSocket)
	// Cuts inside the header (1), inside the payload, and several in a row.
	cuts := [][]int{{1}, {len(ev) / 2}, {1, 2, 3, len(ev) - 1}}
	srvErr := make(chan error, 1)
	go func() {
		srvErr <- func() error {
			nc, br, resp, welcome, err := acceptUpgrade(ln, ser, 7)
			if err != nil {
				return err
			}
			defer nc.Close()
			if _, err := nc.Write(resp); err != nil {
				return err
			}
			// Wait for the HELLO (its bytes are drained at the end).
			if _, err := br.Peek(1); err != nil {
				return err
			}
			if _, err := nc.Write(welcome); err != nil {
				return err
			}
			for _, cs := range cuts {
				prev := 0
				for _, c := range append(cs, len(ev)) {
					if _, err := nc.Write(ev[prev:c]); err != nil {
						return err
					}
					prev = c
					time.Sleep(20 * time.Millisecond) // separate reads on the client
				}
			}
			// Keep the connection open until the client closes it.
			_, _ = io.Copy(io.Discard, br)
			return nil
		}()
	}()

	cli := listenerClient(t, ln, ser)
	h := &chanHandler{events: make(chan struct{}, len(cuts)), closed: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := cli.Dial(ctx, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cuts {
		select {
		case <-h.events:
		case err := <-h.closed:
			t.Fatalf("event %d: session closed: %v", i, err)
		case <-ctx.Done():
			t.Fatalf("event %d: timeout", i)
		}
	}
	_ = s.Close()
	select {
	case err := <-srvErr:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("server did not finish")
	}
}

// TestDialLean opens a session on the conns loop against a server that
// sends its 101 and WELCOME in pieces, then hangs up: the session must
// join (WELCOME's id read) and then report the hang-up through OnClose,
// as a held conns session dropped by the router is counted.
func TestDialLean(t *testing.T) {
	ser := codec.MsgPack
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	hangUp := make(chan struct{})
	srvErr := make(chan error, 1)
	go func() {
		srvErr <- func() error {
			nc, br, resp, frame, err := acceptUpgrade(ln, ser, 4242)
			if err != nil {
				return err
			}
			defer nc.Close()
			for _, part := range [][]byte{resp[:20], resp[20:]} {
				if _, err := nc.Write(part); err != nil {
					return err
				}
				time.Sleep(20 * time.Millisecond)
			}
			if _, err := br.Peek(1); err != nil { // the HELLO
				return err
			}
			for _, part := range [][]byte{frame[:3], frame[3:]} {
				if _, err := nc.Write(part); err != nil {
					return err
				}
				time.Sleep(20 * time.Millisecond)
			}
			<-hangUp
			return nil
		}()
	}()

	cli := listenerClient(t, ln, ser)
	h := &chanHandler{events: make(chan struct{}, 1), closed: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := cli.DialLean(ctx, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != 4242 {
		t.Errorf("session id %d, want the WELCOME's 4242", s.ID)
	}
	close(hangUp)
	select {
	case err := <-h.closed:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("close reason %v, want ErrClosed", err)
		}
	case <-ctx.Done():
		t.Fatal("the router's hang-up was not reported")
	}
	if err := <-srvErr; err != nil {
		t.Fatal(err)
	}
}
