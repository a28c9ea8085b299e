package auth

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestPoolFullRefusesAtOnce(t *testing.T) {
	p := NewPool(2, 3)
	defer p.Close()
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	block := func() { started <- struct{}{}; <-release }
	for range 2 {
		if !p.Submit(block) {
			t.Fatal("idle pool refused")
		}
	}
	<-started
	<-started // both workers busy
	for i := range 3 {
		if !p.Submit(func() {}) {
			t.Fatalf("queue slot %d refused", i)
		}
	}
	begin := time.Now()
	if p.Submit(func() { t.Error("refused job ran") }) {
		t.Fatal("full pool accepted a job")
	}
	if el := time.Since(begin); el > 100*time.Millisecond {
		t.Fatalf("refusal took %v: Submit must not block", el)
	}
	if p.Queued() != 3 || p.Rejected() != 1 {
		t.Fatalf("queued %d rejected %d", p.Queued(), p.Rejected())
	}
	close(release)
	// The queue drains: a job is accepted again.
	deadline := time.Now().Add(5 * time.Second)
	for p.Queued() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	if !p.Submit(func() { close(done) }) {
		t.Fatal("drained pool refused")
	}
	<-done
}

func TestPoolCloseStopsEverything(t *testing.T) {
	p := NewPool(3, 10)
	var running atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 3)
	for range 3 {
		p.Submit(func() { running.Add(1); started <- struct{}{}; <-release; running.Add(-1) })
	}
	for range 3 {
		<-started
	}
	var ranQueued atomic.Bool
	for range 5 {
		p.Submit(func() { ranQueued.Store(true) })
	}
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while jobs were running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if running.Load() != 0 {
		t.Fatal("a job still runs after Close")
	}
	if ranQueued.Load() {
		t.Fatal("a queued job started after Close began")
	}
	if p.Queued() != 0 {
		t.Fatalf("%d jobs left queued", p.Queued())
	}
	if p.Submit(func() {}) {
		t.Fatal("closed pool accepted a job")
	}
	p.Close() // idempotent
}

// TestPoolGoroutines checks that Close leaves no worker behind.
func TestPoolGoroutines(t *testing.T) {
	p := NewPool(4, 0)
	done := make(chan struct{})
	// With a queue of 0, a job is taken only by an idle worker.
	deadline := time.Now().Add(5 * time.Second)
	for !p.Submit(func() { close(done) }) {
		if time.Now().After(deadline) {
			t.Fatal("no idle worker took the job")
		}
		time.Sleep(time.Millisecond)
	}
	<-done
	p.Close()
	// After Close every worker has returned: a job can no longer be taken
	// even by reaching into the channel.
	select {
	case p.jobs <- func() {}:
		t.Fatal("a worker is still receiving")
	default:
	}
}
