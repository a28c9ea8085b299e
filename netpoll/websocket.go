package netpoll

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"github.com/valyala/bytebufferpool"

	"github.com/wampd/wampd/codec"
)

// WebSocket framing (RFC 6455), as plain functions over byte slices: the
// event loop hands them gnet's buffered bytes, tests hand them slices.

// WebSocket opcodes.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// WebSocket close codes used by the server.
const (
	CloseNormal          uint16 = 1000
	CloseGoingAway       uint16 = 1001
	CloseProtocolError   uint16 = 1002
	CloseUnsupportedData uint16 = 1003
	closeNoStatus        uint16 = 1005 // never sent: "the close frame had no code"
	CloseInvalidPayload  uint16 = 1007
	ClosePolicyViolation uint16 = 1008
	CloseTooBig          uint16 = 1009
)

// wsMaxHeader is the longest client frame header: 2 + 8 (length) + 4 (mask).
const wsMaxHeader = 14

// maxHTTPRequest bounds the upgrade request; a longer header block gets 431.
const maxHTTPRequest = 8 << 10

// wsHeader is a parsed frame header.
type wsHeader struct {
	fin    bool
	op     byte
	masked bool
	mask   [4]byte
	length uint64
}

// parseWSHeader parses the frame header at the start of b. It returns the
// header and its size, errShort when b does not hold the whole header, or
// a protocol error for headers no client may send.
func parseWSHeader(b []byte) (h wsHeader, n int, err error) {
	if len(b) < 2 {
		return h, 0, errShort
	}
	b0, b1 := b[0], b[1]
	h.fin = b0&0x80 != 0
	h.op = b0 & 0x0F
	if b0&0x70 != 0 {
		return h, 0, ErrReservedBits // no extension is negotiated
	}
	switch h.op {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		if !h.fin || b1&0x7F > 125 {
			return h, 0, ErrControlFrame
		}
	default:
		return h, 0, ErrBadOpcode
	}
	h.masked = b1&0x80 != 0
	if !h.masked {
		return h, 0, ErrUnmasked
	}
	n = 2
	switch l := b1 & 0x7F; l {
	case 126:
		if len(b) < 4 {
			return h, 0, errShort
		}
		h.length = uint64(binary.BigEndian.Uint16(b[2:]))
		n = 4
	case 127:
		if len(b) < 10 {
			return h, 0, errShort
		}
		h.length = binary.BigEndian.Uint64(b[2:])
		if h.length>>63 != 0 {
			return h, 0, ErrTooLarge
		}
		n = 10
	default:
		h.length = uint64(l)
	}
	if len(b) < n+4 {
		return h, 0, errShort
	}
	copy(h.mask[:], b[n:n+4])
	return h, n + 4, nil
}

// maskBytes XORs b with the masking key, in place, eight bytes at a time.
// b must start at payload offset 0 (key position 0).
func maskBytes(b []byte, key [4]byte) {
	k32 := uint64(binary.LittleEndian.Uint32(key[:]))
	k64 := k32<<32 | k32
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k64)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= key[i&3]
	}
}

// appendWSFrame appends one unmasked, final server frame.
func appendWSFrame(dst []byte, op byte, payload []byte) []byte {
	n := len(payload)
	dst = append(dst, 0x80|op)
	switch {
	case n < 126:
		dst = append(dst, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

// appendWSClose appends a close frame with code and reason, the reason cut
// to the 123 bytes a control frame leaves for it, on a rune boundary.
func appendWSClose(dst []byte, code uint16, reason string) []byte {
	if len(reason) > 123 {
		n := 123
		for n > 0 && !utf8.RuneStart(reason[n]) {
			n--
		}
		reason = reason[:n]
	}
	dst = append(dst, 0x80|opClose, byte(2+len(reason)), byte(code>>8), byte(code))
	return append(dst, reason...)
}

// parseWSClose validates a close frame payload (RFC 6455 5.5.1, 7.4).
func parseWSClose(p []byte) (code uint16, reason []byte, err error) {
	switch len(p) {
	case 0:
		return closeNoStatus, nil, nil
	case 1:
		return 0, nil, ErrCloseFrame
	}
	code = binary.BigEndian.Uint16(p)
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
	default:
		return 0, nil, ErrCloseFrame
	}
	reason = p[2:]
	if !utf8.Valid(reason) {
		return 0, nil, ErrCloseReasonUTF8
	}
	return code, reason, nil
}

// closeCode maps a framing error to the close code sent to the client.
func closeCode(err error) uint16 {
	switch {
	case errors.Is(err, ErrTooLarge):
		return CloseTooBig
	case errors.Is(err, ErrFrameType):
		return CloseUnsupportedData
	case errors.Is(err, ErrCloseReasonUTF8):
		return CloseInvalidPayload
	}
	return CloseProtocolError
}

// event is what a reader found in the buffered bytes.
type event uint8

const (
	evNone    event = iota // need more bytes
	evMessage              // one complete WAMP message
	evPing
	evPong
	evClose
)

// source is the part of gnet.Conn a reader uses; tests supply their own.
// Zero-copy rule: bytes returned by Peek are valid only until Discard and
// only inside OnTraffic.
type source interface {
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
	InboundBuffered() int
}

// wsReader turns buffered client bytes into events, one per call to next.
// Only the connection's event loop touches it.
type wsReader struct {
	max    int  // largest message accepted, in bytes
	binary bool // the serializer wants binary frames (text for JSON)

	frag     *bytebufferpool.ByteBuffer // reassembly of a fragmented message
	fragging bool                       // inside a fragmented message
	fragDone bool                       // frag was emitted; recycle at consume
	discard  int                        // bytes of the emitted frame left in src
}

// next parses frames from src until it has an event. The returned payload
// aliases src's buffer (or the reassembly buffer) and is valid until
// consume: the caller handles it, then calls consume.
func (r *wsReader) next(src source) (event, []byte, error) {
	for {
		avail := src.InboundBuffered()
		if avail < 2 {
			return evNone, nil, nil
		}
		hb, err := src.Peek(min(avail, wsMaxHeader))
		if err != nil {
			return evNone, nil, nil
		}
		h, hl, err := parseWSHeader(hb)
		if err == errShort {
			return evNone, nil, nil
		}
		if err != nil {
			return evNone, nil, err
		}
		if h.length > uint64(r.max) {
			return evNone, nil, fmt.Errorf("frame of %d bytes: %w", h.length, ErrTooLarge)
		}
		total := hl + int(h.length)
		if avail < total {
			return evNone, nil, nil
		}
		fb, err := src.Peek(total)
		if err != nil {
			return evNone, nil, nil
		}
		p := fb[hl:total]
		maskBytes(p, h.mask)
		switch h.op {
		case opContinuation:
			if !r.fragging {
				return evNone, nil, ErrContinuation
			}
			if len(r.frag.B)+len(p) > r.max {
				return evNone, nil, fmt.Errorf("fragmented message over %d bytes: %w", r.max, ErrTooLarge)
			}
			r.frag.B = append(r.frag.B, p...)
			_, _ = src.Discard(total)
			if h.fin {
				r.fragging, r.fragDone = false, true
				return evMessage, r.frag.B, nil
			}
		case opText, opBinary:
			if r.fragging {
				return evNone, nil, ErrFragmented
			}
			if (h.op == opBinary) != r.binary {
				return evNone, nil, ErrFrameType
			}
			if h.fin {
				r.discard = total
				return evMessage, p, nil
			}
			// Copy the first fragment out of gnet's buffer: the message
			// outlives this frame (zero-copy rule).
			if r.frag == nil {
				r.frag = bytebufferpool.Get()
			}
			r.frag.B = append(r.frag.B[:0], p...)
			r.fragging = true
			_, _ = src.Discard(total)
		case opClose:
			r.discard = total
			return evClose, p, nil
		case opPing:
			r.discard = total
			return evPing, p, nil
		case opPong:
			r.discard = total
			return evPong, p, nil
		}
	}
}

// consume releases the bytes of the last event returned by next.
func (r *wsReader) consume(src source) {
	if r.discard > 0 {
		_, _ = src.Discard(r.discard)
		r.discard = 0
	}
	if r.fragDone {
		r.fragDone = false
		r.releaseFrag()
	}
}

// releaseFrag returns the reassembly buffer to its pool.
func (r *wsReader) releaseFrag() {
	if r.frag != nil {
		bytebufferpool.Put(r.frag)
		r.frag = nil
	}
	r.fragging = false
}

// httpRequestEnd returns the length of the HTTP request header block in b
// (through the blank line), or -1 when it is not complete yet.
func httpRequestEnd(b []byte) int {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return -1
	}
	return i + 4
}

// subprotocols maps the WAMP WebSocket subprotocols to their serializer.
var subprotocols = [...]struct {
	name string
	ser  codec.Serializer
}{
	{"wamp.2.json", codec.JSON},
	{"wamp.2.msgpack", codec.MsgPack},
	{"wamp.2.cbor", codec.CBOR},
}

// selectSubprotocol returns the first subprotocol of the comma separated
// header value v that wampd supports.
func selectSubprotocol(v []byte) (string, codec.Serializer) {
	for len(v) > 0 {
		tok := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			tok, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		tok = bytes.TrimSpace(tok)
		for _, sp := range subprotocols {
			if string(tok) == sp.name {
				return sp.name, sp.ser
			}
		}
	}
	return "", 0
}

// memRW lets gobwas/ws's Upgrader read the buffered request and write the
// response to memory; the event loop then writes it to the socket.
type memRW struct {
	r *bytes.Reader
	w *bytes.Buffer
}

func (m memRW) Read(p []byte) (int, error)  { return m.r.Read(p) }
func (m memRW) Write(p []byte) (int, error) { return m.w.Write(p) }

// wsUpgrade runs the WebSocket opening handshake for the complete request
// req, writing the HTTP response (101, or an error status with a plain-text
// reason) to resp. It returns the negotiated serializer, or an error after
// which the connection is closed once resp is written. origins, when not
// empty, is the allow list of the Origin header (exact origins, or "*"): a
// request with another Origin gets 403; one without an Origin (not a
// browser) is let through, as the header only protects browsers.
func wsUpgrade(req []byte, path string, origins []string, resp *bytes.Buffer) (codec.Serializer, error) {
	var ser codec.Serializer
	var reject error
	u := ws.Upgrader{
		ReadBufferSize: maxHTTPRequest,
		OnHeader: func(key, value []byte) error {
			if len(origins) == 0 || !strings.EqualFold(string(key), "Origin") || originAllowed(origins, string(value)) {
				return nil
			}
			reject = ErrOrigin
			return ws.RejectConnectionError(ws.RejectionStatus(http.StatusForbidden),
				ws.RejectionReason("origin not allowed"))
		},
		OnRequest: func(uri []byte) error {
			if i := bytes.IndexByte(uri, '?'); i >= 0 {
				uri = uri[:i]
			}
			if string(uri) != path {
				reject = ErrBadPath
				return ws.RejectConnectionError(ws.RejectionStatus(http.StatusNotFound),
					ws.RejectionReason("no WebSocket endpoint at this path"))
			}
			return nil
		},
		ProtocolCustom: func(v []byte) (string, bool) {
			name, s := selectSubprotocol(v)
			if s != 0 {
				ser = s
			}
			return name, true
		},
		OnBeforeUpgrade: func() (ws.HandshakeHeader, error) {
			if ser == 0 {
				reject = ErrNoSubprotocol
				return nil, ws.RejectConnectionError(ws.RejectionStatus(http.StatusBadRequest),
					ws.RejectionReason("no supported WAMP subprotocol: offer wamp.2.json, wamp.2.msgpack or wamp.2.cbor"))
			}
			return ws.HandshakeHeaderString(""), nil
		},
	}
	if _, err := u.Upgrade(memRW{r: bytes.NewReader(req), w: resp}); err != nil {
		if reject != nil {
			return 0, reject
		}
		return 0, fmt.Errorf("netpoll: websocket upgrade: %w", err)
	}
	return ser, nil
}

// originAllowed reports whether origin is on the allow list.
func originAllowed(origins []string, origin string) bool {
	for _, o := range origins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// requestTooLarge is the response to an upgrade request whose header block
// exceeds maxHTTPRequest.
const requestTooLarge = "HTTP/1.1 431 Request Header Fields Too Large\r\n" +
	"Content-Type: text/plain\r\nConnection: close\r\nContent-Length: 32\r\n\r\n" +
	"request header fields too large\n"
