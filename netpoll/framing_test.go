package netpoll

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/gobwas/ws"

	"github.com/wampd/wampd/codec"
)

// memSource is an in-memory source with gnet's Peek/Discard semantics.
type memSource struct{ buf []byte }

func (m *memSource) Peek(n int) ([]byte, error) {
	if n > len(m.buf) {
		return nil, io.ErrShortBuffer
	}
	if n <= 0 {
		n = len(m.buf)
	}
	return m.buf[:n], nil
}

func (m *memSource) Discard(n int) (int, error) {
	if n <= 0 || n > len(m.buf) {
		n = len(m.buf)
	}
	m.buf = m.buf[n:]
	return n, nil
}

func (m *memSource) InboundBuffered() int { return len(m.buf) }

// clientFrame is a masked client frame built by gobwas/ws, the reference.
func clientFrame(op ws.OpCode, fin bool, p []byte) []byte {
	f := ws.MaskFrameWith(ws.NewFrame(op, fin, append([]byte(nil), p...)), [4]byte{0x12, 0x34, 0x56, 0x78})
	return ws.MustCompileFrame(f)
}

type got struct {
	ev event
	p  string
}

// readAll drives a reader over src until it needs more bytes.
func readAll(t *testing.T, next func(source) (event, []byte, error), consume func(source), src source) ([]got, error) {
	t.Helper()
	var out []got
	for i := 0; i < 1000; i++ {
		ev, p, err := next(src)
		if err != nil {
			return out, err
		}
		if ev == evNone {
			return out, nil
		}
		out = append(out, got{ev, string(p)})
		consume(src)
	}
	t.Fatal("reader does not stop")
	return nil, nil
}

// feedSplit feeds stream to a fresh reader in two pieces split at every
// offset and checks the events equal those of the stream fed at once.
func feedSplit(t *testing.T, stream []byte, mk func() (func(source) (event, []byte, error), func(source)), want []got) {
	t.Helper()
	for cut := 0; cut <= len(stream); cut++ {
		next, consume := mk()
		data := append([]byte(nil), stream...) // readers unmask in place
		src := &memSource{buf: append([]byte(nil), data[:cut]...)}
		a, err := readAll(t, next, consume, src)
		if err != nil {
			t.Fatalf("cut %d, first piece: %v", cut, err)
		}
		src.buf = append(src.buf, data[cut:]...)
		b, err := readAll(t, next, consume, src)
		if err != nil {
			t.Fatalf("cut %d, second piece: %v", cut, err)
		}
		all := append(a, b...)
		if fmt.Sprint(all) != fmt.Sprint(want) {
			t.Fatalf("cut %d: got %v, want %v", cut, all, want)
		}
		if len(src.buf) != 0 {
			t.Fatalf("cut %d: %d bytes left unread", cut, len(src.buf))
		}
	}
}

func TestWSReaderSplitAtEveryOffset(t *testing.T) {
	long := strings.Repeat("x", 300) // 16-bit length
	var stream []byte
	stream = append(stream, clientFrame(ws.OpText, true, []byte(`[1,"realm1",{}]`))...)
	stream = append(stream, clientFrame(ws.OpText, false, []byte("frag1-"))...)
	stream = append(stream, clientFrame(ws.OpPing, true, []byte("pp"))...)
	stream = append(stream, clientFrame(ws.OpContinuation, false, []byte("frag2-"))...)
	stream = append(stream, clientFrame(ws.OpContinuation, true, []byte(long))...)
	stream = append(stream, clientFrame(ws.OpPong, true, nil)...)
	stream = append(stream, clientFrame(ws.OpText, true, nil)...)
	stream = append(stream, clientFrame(ws.OpClose, true, ws.NewCloseFrameBody(1000, "bye"))...)
	want := []got{
		{evMessage, `[1,"realm1",{}]`},
		{evPing, "pp"},
		{evMessage, "frag1-frag2-" + long},
		{evPong, ""},
		{evMessage, ""},
		{evClose, "\x03\xe8bye"},
	}
	feedSplit(t, stream, func() (func(source) (event, []byte, error), func(source)) {
		r := &wsReader{max: 1 << 20}
		return r.next, r.consume
	}, want)
}

func TestRSReaderSplitAtEveryOffset(t *testing.T) {
	frame := func(typ byte, p string) []byte {
		h := rsHeader(typ, len(p))
		return append(h[:], p...)
	}
	long := strings.Repeat("y", 70000) // uses all three length octets
	var stream []byte
	stream = append(stream, frame(rsMessage, `[1,"realm1",{}]`)...)
	stream = append(stream, frame(rsPing, "ping!")...)
	stream = append(stream, frame(rsMessage, "")...)
	stream = append(stream, frame(rsPong, "x")...)
	stream = append(stream, frame(rsMessage, long)...)
	want := []got{{evMessage, `[1,"realm1",{}]`}, {evPing, "ping!"}, {evMessage, ""}, {evPong, "x"}, {evMessage, long}}
	mk := func() (func(source) (event, []byte, error), func(source)) {
		r := &rsReader{max: 1 << 20}
		return r.next, r.consume
	}
	// Every offset of the short frames, and the boundaries of the long one.
	short := len(stream) - len(long) - 4
	feedSplit(t, stream[:short], mk, want[:4])
	for _, cut := range []int{short + 1, short + 3, short + 4, short + 5, len(stream) - 1} {
		next, consume := mk()
		src := &memSource{buf: append([]byte(nil), stream[:cut]...)}
		a, _ := readAll(t, next, consume, src)
		src.buf = append(src.buf, stream[cut:]...)
		b, _ := readAll(t, next, consume, src)
		if all := append(a, b...); fmt.Sprint(all) != fmt.Sprint(want) {
			t.Fatalf("cut %d: got %d events", cut, len(all))
		}
	}
}

func TestWSReaderErrors(t *testing.T) {
	big := bytes.Repeat([]byte("z"), 200)
	tests := []struct {
		name   string
		stream []byte
		binary bool
		want   error
		code   uint16
	}{
		{"unmasked", ws.MustCompileFrame(ws.NewTextFrame([]byte("x"))), false, ErrUnmasked, CloseProtocolError},
		{"reserved bits", func() []byte {
			b := clientFrame(ws.OpText, true, []byte("x"))
			b[0] |= 0x40
			return b
		}(), false, ErrReservedBits, CloseProtocolError},
		{"bad opcode", func() []byte {
			b := clientFrame(ws.OpText, true, []byte("x"))
			b[0] = 0x80 | 0x3
			return b
		}(), false, ErrBadOpcode, CloseProtocolError},
		{"fragmented ping", clientFrame(ws.OpPing, false, nil), false, ErrControlFrame, CloseProtocolError},
		{"too large", clientFrame(ws.OpText, true, big), false, ErrTooLarge, CloseTooBig},
		{"too large reassembled", append(clientFrame(ws.OpText, false, big[:100]), clientFrame(ws.OpContinuation, true, big[:100])...), false, ErrTooLarge, CloseTooBig},
		{"binary for json", clientFrame(ws.OpBinary, true, []byte("x")), false, ErrFrameType, CloseUnsupportedData},
		{"text for msgpack", clientFrame(ws.OpText, true, []byte("x")), true, ErrFrameType, CloseUnsupportedData},
		{"orphan continuation", clientFrame(ws.OpContinuation, true, []byte("x")), false, ErrContinuation, CloseProtocolError},
		{"data inside fragmented", append(clientFrame(ws.OpText, false, []byte("a")), clientFrame(ws.OpText, true, []byte("b"))...), false, ErrFragmented, CloseProtocolError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &wsReader{max: 150, binary: tt.binary}
			_, err := readAll(t, r.next, r.consume, &memSource{buf: tt.stream})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if c := closeCode(err); c != tt.code {
				t.Fatalf("close code %d, want %d", c, tt.code)
			}
		})
	}
}

func TestParseWSClose(t *testing.T) {
	tests := []struct {
		name string
		p    []byte
		code uint16
		err  error
	}{
		{"empty", nil, closeNoStatus, nil},
		{"normal", ws.NewCloseFrameBody(1000, "bye"), 1000, nil},
		{"one byte", []byte{3}, 0, ErrCloseFrame},
		{"reserved code", ws.NewCloseFrameBody(1005, ""), 0, ErrCloseFrame},
		{"app code", ws.NewCloseFrameBody(4000, ""), 4000, nil},
		{"bad utf8", append(ws.NewCloseFrameBody(1000, ""), 0xff), 0, ErrCloseReasonUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, err := parseWSClose(tt.p)
			if !errors.Is(err, tt.err) || code != tt.code {
				t.Fatalf("got %d, %v; want %d, %v", code, err, tt.code, tt.err)
			}
		})
	}
}

func TestAppendWSFrameMatchesGobwas(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := bytes.Repeat([]byte("a"), n)
			want := ws.MustCompileFrame(ws.NewFrame(ws.OpPong, true, p))
			if got := appendWSFrame(nil, opPong, p); !bytes.Equal(got, want) {
				t.Fatalf("frame of %d bytes differs from gobwas", n)
			}
		})
	}
	long := strings.Repeat("é", 100) // 200 bytes: cut to <= 123 on a rune boundary
	f := appendWSClose(nil, 1001, long)
	if len(f) > 2+125 || f[1] > 125 {
		t.Fatalf("close frame too long: %d", len(f))
	}
	if _, _, err := parseWSClose(f[2:]); err != nil {
		t.Fatalf("own close frame invalid: %v", err)
	}
}

func TestMaskBytes(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for n := 0; n < 40; n++ {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i * 7)
		}
		want := append([]byte(nil), p...)
		ws.Cipher(want, key, 0)
		maskBytes(p, key)
		if !bytes.Equal(p, want) {
			t.Fatalf("n=%d: mask differs from gobwas", n)
		}
	}
}

func upgradeRequest(path, protocols string) []byte {
	s := "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if protocols != "" {
		s += "Sec-WebSocket-Protocol: " + protocols + "\r\n"
	}
	return []byte(s + "\r\n")
}

func TestWSUpgrade(t *testing.T) {
	tests := []struct {
		name      string
		req       []byte
		ser       codec.Serializer
		err       error
		status    string
		protoResp string
	}{
		{"json", upgradeRequest("/ws", "wamp.2.json"), codec.JSON, nil, "101", "wamp.2.json"},
		{"first supported", upgradeRequest("/ws?x=1", "foo, wamp.2.cbor, wamp.2.json"), codec.CBOR, nil, "101", "wamp.2.cbor"},
		{"msgpack", upgradeRequest("/ws", "wamp.2.msgpack"), codec.MsgPack, nil, "101", "wamp.2.msgpack"},
		{"none supported", upgradeRequest("/ws", "mqtt"), 0, ErrNoSubprotocol, "400", ""},
		{"no header", upgradeRequest("/ws", ""), 0, ErrNoSubprotocol, "400", ""},
		{"wrong path", upgradeRequest("/other", "wamp.2.json"), 0, ErrBadPath, "404", ""},
		{"not websocket", []byte("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n"), 0, nil, "400", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp bytes.Buffer
			ser, err := wsUpgrade(tt.req, "/ws", nil, &resp)
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if tt.status != "101" && err == nil {
				t.Fatal("want an error")
			}
			if ser != tt.ser {
				t.Fatalf("serializer %v, want %v", ser, tt.ser)
			}
			if !strings.HasPrefix(resp.String(), "HTTP/1.1 "+tt.status) {
				t.Fatalf("response %q, want status %s", resp.String(), tt.status)
			}
			if tt.protoResp != "" && !strings.Contains(resp.String(), "Sec-WebSocket-Protocol: "+tt.protoResp+"\r\n") {
				t.Fatalf("response %q lacks the subprotocol", resp.String())
			}
		})
	}
}

func TestHTTPRequestEnd(t *testing.T) {
	req := upgradeRequest("/ws", "wamp.2.json")
	for cut := 0; cut < len(req); cut++ {
		if httpRequestEnd(req[:cut]) != -1 {
			t.Fatalf("cut %d: end found in a partial request", cut)
		}
	}
	if e := httpRequestEnd(append(req, 0x81, 0x80)); e != len(req) {
		t.Fatalf("end %d, want %d", e, len(req))
	}
}

func TestRSHandshake(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		ser     codec.Serializer
		peerMax int
		code    byte
		err     error
	}{
		{"json 512", []byte{0x7F, 0x01, 0, 0}, codec.JSON, 512, 0, nil},
		{"msgpack 16M", []byte{0x7F, 0xF2, 0, 0}, codec.MsgPack, 1 << 24, 0, nil},
		{"cbor 64K", []byte{0x7F, 0x73, 0, 0}, codec.CBOR, 1 << 16, 0, nil},
		{"illegal serializer", []byte{0x7F, 0x10, 0, 0}, 0, 0, rsErrSerializer, ErrRSSerializer},
		{"ubjson unsupported", []byte{0x7F, 0x14, 0, 0}, 0, 0, rsErrSerializer, ErrRSSerializer},
		{"reserved", []byte{0x7F, 0x11, 0, 1}, 0, 0, rsErrReserved, ErrRSReserved},
		{"not rawsocket", []byte("GET "), 0, 0, 0, ErrNotRawSocket},
		{"short", []byte{0x7F, 0x11}, 0, 0, 0, errShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ser, peerMax, code, err := parseRSHandshake(tt.in)
			if !errors.Is(err, tt.err) || ser != tt.ser || peerMax != tt.peerMax || code != tt.code {
				t.Fatalf("got %v %d %d %v", ser, peerMax, code, err)
			}
		})
	}
	if r := rsErrorReply(rsErrSerializer); r != [4]byte{0x7F, 0x10, 0, 0} {
		t.Fatalf("error reply %x", r)
	}
	if r := rsHandshakeReply(15, codec.CBOR); r != [4]byte{0x7F, 0xF3, 0, 0} {
		t.Fatalf("reply %x", r)
	}
}

func TestRSLenExp(t *testing.T) {
	tests := []struct {
		max  int
		want byte
	}{{0, 0}, {511, 0}, {512, 0}, {1023, 0}, {1024, 1}, {1 << 20, 11}, {16 << 20, 15}, {1 << 30, 15}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			if got := rsLenExp(tt.max); got != tt.want {
				t.Fatalf("rsLenExp(%d) = %d, want %d", tt.max, got, tt.want)
			}
		})
	}
}

func TestParseRSHeader(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		typ  byte
		n    int
		err  error
	}{
		{"message", []byte{0, 0, 1, 0}, rsMessage, 256, nil},
		{"ping", []byte{1, 0, 0, 3}, rsPing, 3, nil},
		{"16M via X bit", []byte{0x08, 0, 0, 0}, rsMessage, 1 << 24, nil},
		{"X bit with length", []byte{0x08, 0, 0, 1}, 0, 0, ErrReservedBits},
		{"reserved", []byte{0x10, 0, 0, 1}, 0, 0, ErrReservedBits},
		{"bad type", []byte{3, 0, 0, 1}, 0, 0, ErrBadOpcode},
		{"short", []byte{0, 0}, 0, 0, errShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, n, err := parseRSHeader(tt.in)
			if !errors.Is(err, tt.err) || typ != tt.typ || n != tt.n {
				t.Fatalf("got %d %d %v", typ, n, err)
			}
		})
	}
	if h := rsHeader(rsMessage, 1<<24); h != [4]byte{0x08, 0, 0, 0} {
		t.Fatalf("16M header %x", h)
	}
}

func FuzzWSFrames(f *testing.F) {
	f.Add(clientFrame(ws.OpText, true, []byte(`[1,"realm1",{}]`)), false)
	f.Add(append(clientFrame(ws.OpBinary, false, []byte{0x93}), clientFrame(ws.OpContinuation, true, []byte{1, 2})...), true)
	f.Add(clientFrame(ws.OpPing, true, []byte("p")), false)
	f.Add(clientFrame(ws.OpClose, true, ws.NewCloseFrameBody(1000, "x")), false)
	f.Add(clientFrame(ws.OpText, true, bytes.Repeat([]byte("a"), 300)), false)
	f.Fuzz(func(t *testing.T, data []byte, binary bool) {
		r := &wsReader{max: 4096, binary: binary}
		src := &memSource{buf: data}
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatal("reader loops without consuming")
			}
			ev, p, err := r.next(src)
			if err != nil || ev == evNone {
				break
			}
			if ev == evClose {
				_, _, _ = parseWSClose(p)
			}
			r.consume(src)
		}
		r.releaseFrag()
	})
}

func FuzzRawSocketFrames(f *testing.F) {
	h := rsHeader(rsMessage, 5)
	f.Add(append(h[:], "hello"...))
	f.Add([]byte{1, 0, 0, 0, 2, 0, 0, 1, 'x'})
	f.Add([]byte{0x08, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &rsReader{max: 4096}
		src := &memSource{buf: data}
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatal("reader loops without consuming")
			}
			ev, _, err := r.next(src)
			if err != nil || ev == evNone {
				break
			}
			r.consume(src)
		}
	})
}

func FuzzWSHandshake(f *testing.F) {
	f.Add(upgradeRequest("/ws", "wamp.2.json"))
	f.Add(upgradeRequest("/ws", "a, wamp.2.cbor"))
	f.Add([]byte("GET / HTTP/1.0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxHTTPRequest {
			return
		}
		var resp bytes.Buffer
		ser, err := wsUpgrade(data, "/ws", nil, &resp)
		if err == nil && ser == 0 {
			t.Fatal("upgrade without a serializer")
		}
		_ = httpRequestEnd(data)
	})
}

func FuzzRawSocketHandshake(f *testing.F) {
	f.Add([]byte{0x7F, 0xF1, 0, 0})
	f.Add([]byte{0x7F, 0x05, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		ser, peerMax, code, err := parseRSHandshake(data)
		if err == nil && (ser < codec.JSON || ser > codec.CBOR || peerMax < 512 || peerMax > 1<<24 || code != 0) {
			t.Fatalf("accepted %v %d %d", ser, peerMax, code)
		}
	})
}

// TestWSOriginAllowList: with an allow list, a browser's Origin not on it
// gets 403 and ErrOrigin; one on it, "*", or no Origin at all upgrades.
func TestWSOriginAllowList(t *testing.T) {
	req := func(origin string) []byte {
		r := "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
			"Sec-WebSocket-Protocol: wamp.2.json\r\n"
		if origin != "" {
			r += "Origin: " + origin + "\r\n"
		}
		return []byte(r + "\r\n")
	}
	allow := []string{"https://app.example.com"}
	for _, tc := range []struct {
		origins []string
		origin  string
		ok      bool
	}{
		{allow, "https://app.example.com", true},
		{allow, "HTTPS://APP.EXAMPLE.COM", true},
		{allow, "https://evil.example.com", false},
		{allow, "", true},
		{[]string{"*"}, "https://anything", true},
		{nil, "https://anything", true},
	} {
		var resp bytes.Buffer
		_, err := wsUpgrade(req(tc.origin), "/ws", tc.origins, &resp)
		if tc.ok != (err == nil) {
			t.Fatalf("origins %v, Origin %q: err %v, want ok=%v", tc.origins, tc.origin, err, tc.ok)
		}
		if !tc.ok && (!errors.Is(err, ErrOrigin) || !bytes.Contains(resp.Bytes(), []byte("403"))) {
			t.Fatalf("refusal: %v %q", err, resp.String())
		}
	}
}
