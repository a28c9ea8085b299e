package auth

import (
	"sync"
	"sync/atomic"
)

// Pool runs the heavy steps of authentication (Start, Finish) on a fixed set
// of goroutines fed by a bounded queue. Submit never blocks: a full queue
// refuses at once, so under a login flood the engine ABORTs the excess
// HELLOs instead of queueing them without bound, and routing for joined
// sessions never waits on hashing.
type Pool struct {
	// mu orders Submit against Close: a job accepted before Close is
	// either run or dropped by it, never left in a queue nobody reads.
	mu     sync.RWMutex
	closed bool
	jobs   chan func()
	quit   chan struct{}
	wg     sync.WaitGroup

	rejected atomic.Uint64
}

// NewPool starts workers goroutines (at least 1) behind a queue of queue
// jobs (at least 0: with 0, a job is accepted only when a worker is idle).
func NewPool(workers, queue int) *Pool {
	workers = max(workers, 1)
	p := &Pool{jobs: make(chan func(), max(queue, 0)), quit: make(chan struct{})}
	p.wg.Add(workers)
	for range workers {
		go p.work()
	}
	return p
}

func (p *Pool) work() {
	defer p.wg.Done()
	for {
		// quit first: once Close began, no further job starts.
		select {
		case <-p.quit:
			return
		default:
		}
		select {
		case <-p.quit:
			return
		case f := <-p.jobs:
			f()
		}
	}
}

// Submit queues f and reports whether it was accepted; false (queue full,
// or the pool closed) means f will never run and the caller refuses the
// login now. Safe from any goroutine; it never blocks.
func (p *Pool) Submit(f func()) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		p.rejected.Add(1)
		return false
	}
	select {
	case p.jobs <- f:
		return true
	default:
		p.rejected.Add(1)
		return false
	}
}

// Close stops the workers: jobs running finish, jobs still queued are
// dropped (their connections are being closed with the router), later
// Submits return false. It waits for the workers to exit and is idempotent.
func (p *Pool) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return
	}
	p.closed = true
	close(p.quit)
	p.mu.Unlock()
	p.wg.Wait()
	for {
		select {
		case <-p.jobs:
		default:
			return
		}
	}
}

// Queued is the number of jobs waiting for a worker.
func (p *Pool) Queued() int { return len(p.jobs) }

// Rejected counts the Submits refused (queue full or closed), for /metrics.
func (p *Pool) Rejected() uint64 { return p.rejected.Load() }
