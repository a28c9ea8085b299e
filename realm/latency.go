package realm

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// The router-side call latency: from the actor handling a CALL to it
// queuing the RESULT, per realm. What a caller sees adds its network and
// the callee's time in the event loops on top; this is the part the
// router's own queues and the callee's answer take.
//
// The clock is coarse: the actor reads it at most once per batch (the
// first CALL or RESULT of the batch), so a CALL and a RESULT handled in
// one batch see the same time, and a figure is late or early by at most
// the time of one batch (a few microseconds at the default of 256 items).
// A read costs ~30 ns; a batch full of calls pays it once.

// LatencyBuckets is the number of buckets of the call latency histogram:
// bucket i < LatencyBuckets-1 counts the calls that took at most
// LatencyBound(i); the last one counts the rest.
const LatencyBuckets = 25

// latencyShift is log2 of the first bucket's bound in nanoseconds
// (1.024 us): nothing routed through the actor is faster.
const latencyShift = 10

// LatencyBound is the upper bound of bucket i (i < LatencyBuckets-1):
// 1.024 us, 2.048 us, ... 8.6 s, log2 steps.
func LatencyBound(i int) time.Duration { return time.Duration(1) << (latencyShift + i) }

// Latency is a snapshot of a realm's call latency histogram. Counts are
// per bucket, not cumulative; Sum is the total of the observed latencies.
type Latency struct {
	Counts [LatencyBuckets]uint64
	Sum    time.Duration
}

// Count is the number of calls observed.
func (l *Latency) Count() uint64 {
	var n uint64
	for _, c := range l.Counts {
		n += c
	}
	return n
}

// latency is the histogram: counted on the actor with plain adds and
// published with the traffic counters (Realm.publish), so a RESULT costs
// no atomic operation.
type latency struct {
	// Only the realm's actor goroutine touches these.
	counts [LatencyBuckets]uint64
	sum    int64  // nanoseconds
	dirty  uint32 // bit i: counts[i] moved since the last publish

	// Written by publish, read by Realm.CallLatency from any goroutine.
	pubCounts [LatencyBuckets]atomic.Uint64
	pubSum    atomic.Int64
}

// observe counts one call that took d nanoseconds.
func (l *latency) observe(d int64) {
	if d < 0 {
		d = 0
	}
	i := 0
	if d > 0 {
		i = bits.Len64(uint64(d-1) >> latencyShift)
	}
	if i >= LatencyBuckets {
		i = LatencyBuckets - 1
	}
	l.counts[i]++
	l.sum += d
	l.dirty |= 1 << i
}

// publish stores the buckets that moved since the last call (actor only).
func (l *latency) publish() {
	if l.dirty == 0 {
		return
	}
	for m := l.dirty; m != 0; m &= m - 1 {
		i := bits.TrailingZeros32(m)
		l.pubCounts[i].Store(l.counts[i])
	}
	l.pubSum.Store(l.sum)
	l.dirty = 0
}

// clock is the actor's coarse clock: nanoseconds since the realm was made,
// read once per batch (see the top of this file); a reading is never 0,
// which marks the clock unread.
type clock struct {
	epoch time.Time
	now   int64 // this batch's reading; 0 until read in the batch
}

// read returns this batch's time.
func (c *clock) read() int64 {
	if c.now == 0 {
		c.now = int64(time.Since(c.epoch)) | 1
	}
	return c.now
}

// tick ends the batch: the next read reads the clock again.
func (c *clock) tick() { c.now = 0 }

// CallLatency returns a snapshot of the realm's router-side call latency
// (CALL in to RESULT out) as last published (see Realm.publish); safe from
// any goroutine.
func (r *Realm) CallLatency() Latency {
	var s Latency
	for i := range s.Counts {
		s.Counts[i] = r.latency.pubCounts[i].Load()
	}
	s.Sum = time.Duration(r.latency.pubSum.Load())
	return s
}
