package realm

import (
	"math/bits"
	"sync/atomic"

	"github.com/wampd/wampd/codec"
)

// NumTypes bounds the WAMP message type codes (the largest is YIELD, 70):
// Traffic's arrays are indexed by codec.Type.
const NumTypes = int(codec.Yield) + 1

// Traffic is a snapshot of a realm's message counters: the messages its
// actor handled from its sessions and queued to their peers, by WAMP
// message type, and their serialized bytes (transport framing not
// included). The handshake (HELLO, CHALLENGE, AUTHENTICATE, an ABORT
// before WELCOME) is the engine's and not counted here; a message a peer
// refused (a dropped EVENT) is not counted as sent.
type Traffic struct {
	Received, Sent           [NumTypes]uint64 // by codec.Type
	BytesReceived, BytesSent uint64
}

// traffic counts on the actor with plain adds and publishes at the end of
// each batch (publish, from flush), so a fan-out to a thousand subscribers
// costs a thousand increments and one atomic store per counter it moved,
// not a thousand atomic adds on a shared line.
type traffic struct {
	// Only the realm's actor goroutine touches these.
	in, out           [NumTypes]uint64
	bytesIn, bytesOut uint64
	dirtyIn, dirtyOut [2]uint64 // bit t: in[t] / out[t] moved since the last publish
	dirty             bool

	// Written by publish, read by Realm.Traffic from any goroutine.
	pubIn, pubOut           [NumTypes]atomic.Uint64
	pubBytesIn, pubBytesOut atomic.Uint64
}

// received counts one message of type t and n bytes handled by the actor.
func (t *traffic) received(typ codec.Type, n int) {
	if int(typ) >= NumTypes {
		return
	}
	t.in[typ]++
	t.dirtyIn[typ>>6] |= 1 << (typ & 63)
	t.bytesIn += uint64(n)
	t.dirty = true
}

// sent counts one message of type t and n bytes a peer queued.
func (t *traffic) sent(typ codec.Type, n int) {
	if int(typ) >= NumTypes {
		return
	}
	t.out[typ]++
	t.dirtyOut[typ>>6] |= 1 << (typ & 63)
	t.bytesOut += uint64(n)
	t.dirty = true
}

// publish stores the counters that moved since the last call (actor only).
func (t *traffic) publish() {
	if !t.dirty {
		return
	}
	t.dirty = false
	storeDirty(&t.pubIn, &t.in, &t.dirtyIn)
	storeDirty(&t.pubOut, &t.out, &t.dirtyOut)
	t.pubBytesIn.Store(t.bytesIn)
	t.pubBytesOut.Store(t.bytesOut)
}

// storeDirty copies the counts whose bit is set in dirty to pub and
// clears dirty.
func storeDirty(pub *[NumTypes]atomic.Uint64, local *[NumTypes]uint64, dirty *[2]uint64) {
	for w := range dirty {
		for m := dirty[w]; m != 0; m &= m - 1 {
			i := w<<6 + bits.TrailingZeros64(m)
			pub[i].Store(local[i])
		}
		dirty[w] = 0
	}
}

// Traffic returns a snapshot of the realm's message counters as of its
// last finished batch; safe from any goroutine.
func (r *Realm) Traffic() Traffic {
	t := &r.traffic
	var s Traffic
	for i := range NumTypes {
		s.Received[i] = t.pubIn[i].Load()
		s.Sent[i] = t.pubOut[i].Load()
	}
	s.BytesReceived = t.pubBytesIn.Load()
	s.BytesSent = t.pubBytesOut.Load()
	return s
}
