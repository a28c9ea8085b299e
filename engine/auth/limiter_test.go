package auth

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeClock is a settable time source.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestLimiter(burst int, refill time.Duration, maxKeys int) (*Limiter, *fakeClock) {
	c := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := NewLimiter(burst, refill, maxKeys)
	l.now = c.now
	return l, c
}

func TestLimiterBurstAndRefill(t *testing.T) {
	l, clock := newTestLimiter(3, time.Second, 10)
	for i := range 3 {
		if !l.Allow("10.0.0.1") {
			t.Fatalf("refused after %d failures", i)
		}
		l.Fail("10.0.0.1")
	}
	if l.Allow("10.0.0.1") {
		t.Fatal("allowed after the burst")
	}
	if !l.Allow("10.0.0.2") || !l.Allow("joe") {
		t.Fatal("another key is limited")
	}
	clock.advance(999 * time.Millisecond)
	if l.Allow("10.0.0.1") {
		t.Fatal("allowed before a failure refilled")
	}
	clock.advance(time.Millisecond)
	if !l.Allow("10.0.0.1") {
		t.Fatal("refused after one refill")
	}
	l.Fail("10.0.0.1")
	if l.Allow("10.0.0.1") {
		t.Fatal("the refilled attempt was not consumed")
	}
	if l.Refused() != 3 {
		t.Fatalf("Refused = %d, want 3", l.Refused())
	}
	// Full again: the key is forgotten.
	clock.advance(time.Hour)
	if !l.Allow("10.0.0.1") || l.Len() != 0 {
		t.Fatalf("full bucket kept: Len = %d", l.Len())
	}
}

func TestLimiterBoundsKeys(t *testing.T) {
	l, _ := newTestLimiter(1, time.Hour, 100)
	for i := range 1000 {
		l.Fail("k" + strconv.Itoa(i))
	}
	if l.Len() != 100 {
		t.Fatalf("Len = %d, want the bound 100", l.Len())
	}
	// The most recent keys are kept, the oldest forgotten.
	if l.Allow("k999") || !l.Allow("k0") {
		t.Fatal("eviction did not drop the least recently failed key")
	}
	// A key touched again moves to the front.
	l2, _ := newTestLimiter(2, time.Hour, 2)
	l2.Fail("a")
	l2.Fail("b")
	l2.Fail("a") // a is now the most recent, and empty
	l2.Fail("c") // evicts b
	if l2.Allow("a") || l2.Len() != 2 {
		t.Fatalf("a evicted or Len %d", l2.Len())
	}
}

func TestLimiterLongKeys(t *testing.T) {
	l, _ := newTestLimiter(1, time.Hour, 10)
	long := strings.Repeat("x", 1<<20)
	l.Fail(long)
	if l.Allow(long) {
		t.Fatal("long key not limited")
	}
	if !l.Allow(long[:len(long)-1]) {
		t.Fatal("a different long key is limited")
	}
	for k := range l.keys {
		if len(k) > 64 {
			t.Fatalf("a %d-byte key is stored", len(k))
		}
	}
}

func TestLimiterDefaults(t *testing.T) {
	l := NewLimiter(0, 0, 0)
	if l.burst != DefaultLimiterBurst || l.refill != DefaultLimiterRefill || l.maxKeys != DefaultLimiterMaxKeys {
		t.Fatalf("defaults %v %v %v", l.burst, l.refill, l.maxKeys)
	}
}
