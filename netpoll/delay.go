package netpoll

import "time"

// A connection's queue can be bounded in time as well as in bytes
// (Options.MaxDelay): "at most 100 ms behind" is then a setting. The age
// of the oldest frame not yet taken by the kernel is known from when each
// batch was started (batch.born, one clock read per batch, and only with
// MaxDelay set) and the byte offset it ends at once handed to the loop
// (Conn.ages); acked says which of them the kernel took.

// delayFloor is the queue under which a connection is never counted as
// behind: the age is looked at only over it, so the common Send reads no
// clock. A queue of a few frames in flight is not a consumer falling
// behind, however long a quiet topic leaves it there.
const delayFloor = 4 << 10

// ageSlots is how many handed-over batches a conn remembers the birth of;
// when more are in flight, the newest slot absorbs the next ones (its
// birth, the older, is kept), so the oldest age stays exact.
const ageSlots = 8

// age is a run of batches handed to the loop: all of its bytes are before
// offset end of the conn's stream, the oldest was started at born.
type age struct{ end, born int64 }

// ages is a ring of age, under the conn's mu.
type ages struct {
	a    [ageSlots]age
	head int
	n    int
}

// push records a batch handed over (take): end is c.submitted after it.
func (r *ages) push(end, born int64) {
	if r.n == ageSlots {
		r.a[(r.head+r.n-1)%ageSlots].end = end
		return
	}
	r.a[(r.head+r.n)%ageSlots] = age{end: end, born: born}
	r.n++
}

// oldest returns the birth of the oldest batch the kernel has not taken
// all of (acked is the stream offset it took), forgetting the ones it did;
// 0 when none is in flight.
func (r *ages) oldest(acked int64) int64 {
	for r.n > 0 {
		a := r.a[r.head]
		if a.end > acked {
			return a.born
		}
		r.head = (r.head + 1) % ageSlots
		r.n--
	}
	return 0
}

// behind reports whether c's oldest queued frame is older than max
// (c.mu held, ackedSeen fresh).
func (c *Conn) behind(max time.Duration) bool {
	born := c.ages.oldest(c.ackedSeen)
	if born == 0 && c.pending != nil {
		born = c.pending.born
	}
	return born != 0 && nanotime()-born > int64(max)
}
