//go:build unix

package engine

import (
	"fmt"
	"syscall"
)

// RaiseFileLimit raises the soft RLIMIT_NOFILE of the process to its hard
// limit, so that a router holding 100k sessions (one descriptor each) is
// bounded by what the operator allowed, not by the conservative default
// soft limit. It returns the limits in force afterwards. The Go runtime
// already does this at start on Linux; doing it explicitly makes it hold
// everywhere and lets wampd log the figure. Raising the hard limit itself
// is the operator's call (ulimit -Hn, systemd LimitNOFILE=).
func RaiseFileLimit() (soft, hard uint64, err error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0, fmt.Errorf("engine: getrlimit(RLIMIT_NOFILE): %w", err)
	}
	if rl.Cur < rl.Max {
		want := rl
		want.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return uint64(rl.Cur), uint64(rl.Max), fmt.Errorf("engine: setrlimit(RLIMIT_NOFILE, %d): %w", want.Cur, err)
		}
		rl = want
	}
	return uint64(rl.Cur), uint64(rl.Max), nil
}
