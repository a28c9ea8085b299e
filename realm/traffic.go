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
// refused (a dropped EVENT) is not counted as sent. The fan-out's EVENTs
// are counted by broker.dispatch once per publication (a local sum beside
// its delivered count), not per subscriber.
type Traffic struct {
	Received, Sent           [NumTypes]uint64 // by codec.Type
	BytesReceived, BytesSent uint64
}

// traffic counts on the actor with plain adds and publishes now and then
// (Realm.publish), so a fan-out to a thousand subscribers costs a thousand
// increments, not a thousand atomic adds, and a busy actor's batch of one
// RPC message pays no atomic operation for its counters at all.
type traffic struct {
	// Only the realm's actor goroutine touches these.
	in, out           [NumTypes]uint64
	bytesIn, bytesOut uint64
	dirtyIn, dirtyOut [2]uint64 // bit t: in[t] / out[t] moved since the last publish
	batches           uint32    // batches flushed, for Realm.publish's cadence

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
}

// sent counts one message of type t and n bytes a peer queued.
func (t *traffic) sent(typ codec.Type, n int) {
	if int(typ) >= NumTypes {
		return
	}
	t.out[typ]++
	t.dirtyOut[typ>>6] |= 1 << (typ & 63)
	t.bytesOut += uint64(n)
}

// publish stores the counters that moved since the last call (actor only).
func (t *traffic) publish() {
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

// Traffic returns a snapshot of the realm's message counters as last
// published (see Realm.publish); safe from any goroutine.
func (r *Realm) Traffic() Traffic {
	t := &r.traffic
	var s Traffic
	for i := range NumTypes {
		s.Received[i] = t.pubIn[i].Load()
		s.Sent[i] = t.pubOut[i].Load()
	}
	// The fan-out's EVENTs are the broker's Delivered (Realm.sendFrame).
	s.Sent[codec.Event] += uint64(r.stats.delivered.Load())
	s.BytesReceived = t.pubBytesIn.Load()
	s.BytesSent = t.pubBytesOut.Load()
	return s
}
