//go:build !unix

package engine

// RaiseFileLimit does nothing where there is no RLIMIT_NOFILE; it reports
// no limit.
func RaiseFileLimit() (soft, hard uint64, err error) { return 0, 0, nil }
