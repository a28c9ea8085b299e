//go:build unix

package engine

import (
	"syscall"
	"testing"
)

func TestRaiseFileLimit(t *testing.T) {
	var before syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &before); err != nil {
		t.Fatal(err)
	}
	// Lower the soft limit first (always allowed), so that the raise has
	// something to do; restore it whatever happens.
	lowered := before
	lowered.Cur = min(before.Max, 256)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &before) })

	soft, hard, err := RaiseFileLimit()
	if err != nil {
		t.Fatalf("RaiseFileLimit: %v", err)
	}
	var after syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &after); err != nil {
		t.Fatal(err)
	}
	if soft != hard || hard != uint64(before.Max) || uint64(after.Cur) != soft {
		t.Fatalf("RaiseFileLimit = %d/%d, process now %d/%d, want soft = hard = %d", soft, hard, after.Cur, after.Max, before.Max)
	}
}
