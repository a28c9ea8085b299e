package auth

import (
	"container/list"
	"crypto/sha256"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter rate-limits failed logins per key (a remote address, an authid):
// each key has a bucket of Burst failures that refills one failure per
// Refill. Allow refuses a key whose bucket is empty, so a client that keeps
// failing is ABORTed before any hashing; a client that stops failing gets
// its attempts back over time. Only failures are counted, so a key that
// never fails costs nothing and is never stored.
//
// The number of keys kept is bounded: past MaxKeys, the key that failed
// least recently is forgotten (a full bucket would be forgotten anyway).
// Keys longer than 64 bytes are kept as their SHA-256, so a client-chosen
// authid cannot make an entry large.
type Limiter struct {
	burst   float64
	refill  time.Duration
	maxKeys int
	now     func() time.Time

	mu   sync.Mutex
	keys map[string]*list.Element // of *bucket; only under mu
	lru  list.List                // front = failed most recently; only under mu

	refused atomic.Uint64
}

type bucket struct {
	key    string
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// Limiter defaults: 10 failures in a row, then one more every 6 s (10 a
// minute), for up to 100,000 keys (about 10 MB at the bound).
const (
	DefaultLimiterBurst   = 10
	DefaultLimiterRefill  = 6 * time.Second
	DefaultLimiterMaxKeys = 100_000
)

// NewLimiter returns a limiter allowing burst consecutive failures per key,
// then one per refill, keeping at most maxKeys keys. Zero values take the
// defaults.
func NewLimiter(burst int, refill time.Duration, maxKeys int) *Limiter {
	if burst <= 0 {
		burst = DefaultLimiterBurst
	}
	if refill <= 0 {
		refill = DefaultLimiterRefill
	}
	if maxKeys <= 0 {
		maxKeys = DefaultLimiterMaxKeys
	}
	return &Limiter{burst: float64(burst), refill: refill, maxKeys: maxKeys, now: time.Now, keys: map[string]*list.Element{}}
}

// limiterKey bounds a key's size.
func limiterKey(key string) string {
	if len(key) <= 64 {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return string(sum[:])
}

// Allow reports whether key may try to log in now (its bucket holds at
// least one failure). It does not consume anything.
func (l *Limiter) Allow(key string) bool {
	key = limiterKey(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[key]
	if !ok {
		return true
	}
	b := e.Value.(*bucket)
	l.update(b)
	if b.tokens >= l.burst {
		// Back to full: nothing left to remember.
		l.lru.Remove(e)
		delete(l.keys, key)
		return true
	}
	if b.tokens < 1 {
		l.refused.Add(1)
		return false
	}
	return true
}

// Fail records a failed login of key.
func (l *Limiter) Fail(key string) {
	key = limiterKey(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[key]
	if !ok {
		if l.lru.Len() >= l.maxKeys {
			old := l.lru.Back()
			l.lru.Remove(old)
			delete(l.keys, old.Value.(*bucket).key)
		}
		e = l.lru.PushFront(&bucket{key: strings.Clone(key), tokens: l.burst, at: l.now()})
		l.keys[key] = e
	} else {
		l.lru.MoveToFront(e)
	}
	b := e.Value.(*bucket)
	l.update(b)
	b.tokens = max(b.tokens-1, 0)
}

// update refills b for the time since it was last updated.
func (l *Limiter) update(b *bucket) {
	now := l.now()
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(l.burst, b.tokens+float64(d)/float64(l.refill))
	}
	b.at = now
}

// Len is the number of keys kept.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// Refused counts the Allow calls that said no, for /metrics.
func (l *Limiter) Refused() uint64 { return l.refused.Load() }
