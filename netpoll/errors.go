package netpoll

import "errors"

// Sentinel errors of netpoll, matched with errors.Is. Framing errors close
// only the connection they occur on and are counted in Stats.ProtocolErrors.
var (
	// errShort is internal: the buffered bytes do not hold a whole header
	// or frame yet; the caller waits for more.
	errShort = errors.New("netpoll: incomplete frame")

	ErrReservedBits     = errors.New("netpoll: reserved bits set")
	ErrBadOpcode        = errors.New("netpoll: unknown frame opcode or type")
	ErrUnmasked         = errors.New("netpoll: client frame not masked")
	ErrControlFrame     = errors.New("netpoll: invalid control frame")
	ErrTooLarge         = errors.New("netpoll: message larger than the maximum")
	ErrFrameType        = errors.New("netpoll: frame type does not match the serializer")
	ErrContinuation     = errors.New("netpoll: unexpected continuation frame")
	ErrFragmented       = errors.New("netpoll: new data frame inside a fragmented message")
	ErrCloseFrame       = errors.New("netpoll: malformed close frame")
	ErrCloseReasonUTF8  = errors.New("netpoll: close reason is not valid UTF-8")
	ErrRequestTooLarge  = errors.New("netpoll: HTTP request header too large")
	ErrBadPath          = errors.New("netpoll: WebSocket path not served")
	ErrNoSubprotocol    = errors.New("netpoll: no supported WAMP subprotocol requested")
	ErrOrigin           = errors.New("netpoll: WebSocket Origin not allowed")
	ErrNotRawSocket     = errors.New("netpoll: not a RawSocket handshake")
	ErrRSSerializer     = errors.New("netpoll: RawSocket serializer unsupported")
	ErrRSReserved       = errors.New("netpoll: RawSocket handshake uses reserved bits")
	ErrTransport        = errors.New("netpoll: transport not served on this listener")
	ErrPeerMax          = errors.New("netpoll: message larger than the peer accepts")
	ErrOverBound        = errors.New("netpoll: outbound queue over bound")
	ErrHandshakeTimeout = errors.New("netpoll: session not established in time")
	ErrNoListener       = errors.New("netpoll: no listener configured")
	ErrBadListener      = errors.New("netpoll: invalid listener")
	ErrStarted          = errors.New("netpoll: server already started")
	ErrNotStarted       = errors.New("netpoll: server not started")
	ErrTLSConfig        = errors.New("netpoll: invalid TLS configuration")
	ErrNotTLS           = errors.New("netpoll: not a TLS handshake on a TLS listener")
	ErrTLSBusy          = errors.New("netpoll: too many TLS handshakes in progress")
	ErrChannelBinding   = errors.New("netpoll: channel binding unavailable")
)
