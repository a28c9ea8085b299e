package bench

import (
	"fmt"
	"net/url"
	"strings"
)

// Transport is the framing a session speaks on its TCP connection.
type Transport uint8

// Transports: WebSocket (ws://host:port/path) and RawSocket (rs://host:port).
const (
	WebSocket Transport = iota + 1
	RawSocket
)

// String returns "websocket" or "rawsocket".
func (t Transport) String() string {
	switch t {
	case WebSocket:
		return "websocket"
	case RawSocket:
		return "rawsocket"
	}
	return "unknown"
}

// Endpoint is a parsed router address: where to dial and how to frame.
type Endpoint struct {
	Transport Transport
	Addr      string // host:port to dial
	Host      string // Host header for WebSocket
	Path      string // request path for WebSocket
}

// String renders the endpoint back as a URL.
func (e Endpoint) String() string {
	if e.Transport == RawSocket {
		return "rs://" + e.Addr
	}
	return "ws://" + e.Addr + e.Path
}

// ParseEndpoint accepts ws://host:port/path, rs://host:port (also
// tcp://host:port, rawsocket://host:port) and returns the endpoint.
func ParseEndpoint(raw string) (Endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%w: %q: %v", ErrBadURL, raw, err)
	}
	if u.Host == "" || u.Port() == "" {
		return Endpoint{}, fmt.Errorf("%w: %q needs host:port", ErrBadURL, raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws":
		p := u.RequestURI()
		if p == "" {
			p = "/"
		}
		return Endpoint{Transport: WebSocket, Addr: u.Host, Host: u.Host, Path: p}, nil
	case "rs", "tcp", "rawsocket":
		return Endpoint{Transport: RawSocket, Addr: u.Host}, nil
	}
	return Endpoint{}, fmt.Errorf("%w: scheme %q (want ws or rs; TLS is not supported)", ErrBadURL, u.Scheme)
}
