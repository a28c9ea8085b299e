package netpoll

// QueuedBytes is what c has queued for its client and not yet handed to
// the kernel: the batch not yet taken by the loop's writer, plus what the
// writer took and gnet still buffers. It is the figure the outbound bound
// is checked against (Send), read under c.mu; acked is refreshed only as
// the loop writes, so a stale value overestimates, as Send's does.
// Together with Dropped it is realm.QueueInfo.
func (c *Conn) QueuedBytes() int64 {
	c.mu.Lock()
	q := c.queuedLocked()
	c.mu.Unlock()
	return max(q, 0)
}

// queuedLocked is QueuedBytes with c.mu held (flow control reads it too).
func (c *Conn) queuedLocked() int64 {
	q := c.submitted - c.acked.Load()
	if b := c.pending; b != nil {
		q += b.bytes
	}
	return q
}
