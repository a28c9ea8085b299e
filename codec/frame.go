package codec

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// Frame is one encoded outgoing message, shared by reference between every
// session it goes to: an EVENT of one publication is encoded once per
// serializer into one Frame and written to N subscribers. It carries the two
// transport headers it needs (WebSocket server frame, RawSocket message
// header), computed once by Seal, so it is framed once per transport too.
//
// Lifecycle: NewFrame (refs = 1, held by the encoder) -> append to B -> Seal
// -> Ref once per queue it enters -> each holder calls Release when done.
// The last Release returns it to its pool. B must not change after Seal.
type Frame struct {
	B   []byte
	Ser Serializer
	// From is the peer whose message this frame carries on (the publisher
	// of an EVENT, the caller of an INVOCATION), nil for the router's own
	// frames. The transport's flow control slows From when a recipient
	// falls behind; codec never looks at it.
	From any

	refs atomic.Int32
	ws   [10]byte
	wsN  uint8
	rs   [4]byte
}

// maxPooledFrame is the largest buffer kept in the pool; larger ones (a
// 1 MiB RPC payload) are left to the GC so the pool does not pin them.
const maxPooledFrame = 64 << 10

// framePool is package level: a pool is stateless for its users (any
// recycled Frame is as good as a new one), so sharing it is not shared state.
var framePool = sync.Pool{New: func() any { return &Frame{B: make([]byte, 0, 512)} }}

// NewFrame returns an empty frame for serializer s holding one reference.
func NewFrame(s Serializer) *Frame {
	f := framePool.Get().(*Frame)
	f.B = f.B[:0]
	f.Ser = s
	f.From = nil
	f.refs.Store(1)
	return f
}

// Ref takes one more reference.
func (f *Frame) Ref() { f.refs.Add(1) }

// Release drops one reference; the last one recycles the frame.
func (f *Frame) Release() {
	switch n := f.refs.Add(-1); {
	case n > 0:
	case n == 0:
		f.From = nil // the pool must not keep a peer alive
		if cap(f.B) > maxPooledFrame {
			f.B = nil
		}
		if f.B == nil {
			f.B = make([]byte, 0, 512)
		}
		framePool.Put(f)
	default:
		panic("codec: Frame released more often than referenced")
	}
}

// Seal computes the transport headers for the current B.
func (f *Frame) Seal() {
	n := len(f.B)
	// WebSocket, server to client: FIN + opcode, no mask (RFC 6455 5.2).
	op := byte(0x1) // text
	if f.Ser.Binary() {
		op = 0x2
	}
	f.ws[0] = 0x80 | op
	switch {
	case n < 126:
		f.ws[1] = byte(n)
		f.wsN = 2
	case n <= 0xFFFF:
		f.ws[1] = 126
		binary.BigEndian.PutUint16(f.ws[2:], uint16(n))
		f.wsN = 4
	default:
		f.ws[1] = 127
		binary.BigEndian.PutUint64(f.ws[2:], uint64(n))
		f.wsN = 10
	}
	// RawSocket: 1 byte frame type (0 = WAMP message), 3 bytes length; a
	// payload of exactly 16 MiB sets the X bit (the 25th length bit) instead.
	f.rs[0] = 0
	if n == 1<<24 {
		f.rs[0] = 0x08
	}
	f.rs[1], f.rs[2], f.rs[3] = byte(n>>16), byte(n>>8), byte(n)
}

// WSHeader returns the WebSocket frame header computed by Seal.
func (f *Frame) WSHeader() []byte { return f.ws[:f.wsN] }

// RSHeader returns the RawSocket message header computed by Seal.
func (f *Frame) RSHeader() []byte { return f.rs[:] }

// Len is the encoded message length without transport header.
func (f *Frame) Len() int { return len(f.B) }
