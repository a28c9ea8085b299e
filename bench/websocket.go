package bench

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// WebSocket opcodes (RFC 6455 5.2).
const (
	wsContinuation = 0x0
	wsText         = 0x1
	wsBinary       = 0x2
	wsClose        = 0x8
	wsPing         = 0x9
	wsPong         = 0xA
)

// wsGUID is the fixed GUID of the Sec-WebSocket-Accept computation.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// wsAccept computes Sec-WebSocket-Accept for key.
func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsUpgradeRequest builds the client's upgrade request and returns it with
// the accept value the server must answer.
func wsUpgradeRequest(ep Endpoint, subprotocol string) (req []byte, accept string) {
	var k [16]byte
	_, _ = rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	req = fmt.Appendf(nil, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n"+
		"User-Agent: wampbench\r\n\r\n", ep.Path, ep.Host, key, subprotocol)
	return req, wsAccept(key)
}

// wsParseResponse looks for a complete HTTP response in data. It returns the
// bytes consumed (0 when the response is incomplete) or an error when the
// server refused the upgrade or chose another subprotocol.
func wsParseResponse(data []byte, accept, subprotocol string) (int, error) {
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if end < 0 {
		if len(data) > 8192 {
			return 0, fmt.Errorf("%w: HTTP response header too large", ErrHandshake)
		}
		return 0, nil
	}
	head := string(data[:end])
	status, rest, _ := cutLine(head)
	if len(status) < 12 || status[9:12] != "101" {
		return 0, fmt.Errorf("%w: upgrade refused: %q", ErrHandshake, status)
	}
	var gotAccept, gotProto string
	for rest != "" {
		var line string
		line, rest, _ = cutLine(rest)
		name, value, ok := cutHeader(line)
		if !ok {
			continue
		}
		switch {
		case equalFold(name, "Sec-WebSocket-Accept"):
			gotAccept = value
		case equalFold(name, "Sec-WebSocket-Protocol"):
			gotProto = value
		}
	}
	if gotAccept != accept {
		return 0, fmt.Errorf("%w: bad Sec-WebSocket-Accept %q", ErrHandshake, gotAccept)
	}
	if gotProto != subprotocol {
		return 0, fmt.Errorf("%w: server chose subprotocol %q, want %q", ErrHandshake, gotProto, subprotocol)
	}
	return end + 4, nil
}

func cutLine(s string) (line, rest string, found bool) {
	if i := indexCRLF(s); i >= 0 {
		return s[:i], s[i+2:], true
	}
	return s, "", false
}

func indexCRLF(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\r' && s[i+1] == '\n' {
			return i
		}
	}
	return -1
}

func cutHeader(line string) (name, value string, ok bool) {
	for i := 0; i < len(line); i++ {
		if line[i] == ':' {
			v := line[i+1:]
			for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
				v = v[1:]
			}
			for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
				v = v[:len(v)-1]
			}
			return line[:i], v, true
		}
	}
	return "", "", false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// wsFrame is one parsed WebSocket frame header.
type wsFrame struct {
	fin     bool
	opcode  byte
	masked  bool
	mask    [4]byte
	hdrLen  int
	payload int
}

// wsParseFrame parses a frame header at the start of data. ok is false
// when data does not hold the whole frame yet.
func wsParseFrame(data []byte, maxLen int) (f wsFrame, ok bool, err error) {
	if len(data) < 2 {
		return f, false, nil
	}
	f.fin = data[0]&0x80 != 0
	f.opcode = data[0] & 0x0F
	if data[0]&0x70 != 0 {
		return f, false, fmt.Errorf("%w: reserved bits set", ErrFrame)
	}
	f.masked = data[1]&0x80 != 0
	n := int(data[1] & 0x7F)
	h := 2
	switch n {
	case 126:
		if len(data) < 4 {
			return f, false, nil
		}
		n = int(binary.BigEndian.Uint16(data[2:]))
		h = 4
	case 127:
		if len(data) < 10 {
			return f, false, nil
		}
		v := binary.BigEndian.Uint64(data[2:])
		if v > uint64(maxLen) {
			return f, false, fmt.Errorf("%w: %d bytes", ErrTooLarge, v)
		}
		n = int(v)
		h = 10
	}
	if n > maxLen {
		return f, false, fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
	}
	if f.masked {
		if len(data) < h+4 {
			return f, false, nil
		}
		copy(f.mask[:], data[h:h+4])
		h += 4
	}
	f.hdrLen, f.payload = h, n
	return f, len(data) >= h+n, nil
}

// wsAppendFrame appends one frame carrying p to dst. With mask set the
// payload is masked with key (clients must mask, RFC 6455 5.3).
func wsAppendFrame(dst []byte, opcode byte, p []byte, mask bool, key [4]byte) []byte {
	n := len(p)
	b1 := byte(0)
	if mask {
		b1 = 0x80
	}
	switch {
	case n < 126:
		dst = append(dst, 0x80|opcode, b1|byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x80|opcode, b1|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|opcode, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if !mask {
		return append(dst, p...)
	}
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, p...)
	wsMask(dst[start:], key)
	return dst
}

// wsMask XORs b with the mask key in place.
func wsMask(b []byte, key [4]byte) {
	k := binary.LittleEndian.Uint32(key[:])
	k64 := uint64(k) | uint64(k)<<32
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k64)
	}
	for ; i < len(b); i++ {
		b[i] ^= key[i&3]
	}
}
