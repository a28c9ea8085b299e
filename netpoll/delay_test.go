package netpoll

import "testing"

// The ring keeps the oldest birth exact: acknowledged runs are forgotten,
// and when full the newest slot absorbs later batches keeping its birth.
func TestAgesOldest(t *testing.T) {
	var r ages
	if got := r.oldest(0); got != 0 {
		t.Fatalf("empty ring: oldest %d", got)
	}
	for i := int64(1); i <= ageSlots+3; i++ {
		r.push(i*100, i) // batch i ends at offset 100i, born at i
	}
	if r.n != ageSlots {
		t.Fatalf("ring holds %d, want %d", r.n, ageSlots)
	}
	if got := r.oldest(0); got != 1 {
		t.Fatalf("oldest = %d, want 1", got)
	}
	if got := r.oldest(250); got != 3 { // batches 1 and 2 acknowledged
		t.Fatalf("oldest after 250 bytes = %d, want 3", got)
	}
	// Batches 8..11 share the last slot (born 8, ends at 1100).
	if got := r.oldest(1000); got != ageSlots {
		t.Fatalf("oldest after 1000 bytes = %d, want %d", got, ageSlots)
	}
	if got := r.oldest(1100); got != 0 {
		t.Fatalf("all acknowledged: oldest = %d, want 0", got)
	}
}
