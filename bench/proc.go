package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux architecture Go supports.
const clockTick = time.Second / 100

// processCPU returns the CPU time (user + system, all threads) pid has used
// so far, from /proc/PID/stat fields 14 and 15; ok is false where it cannot
// be read.
func processCPU(pid int) (cpu time.Duration, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields that follow start after the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * clockTick, true
}

// cpuMeter measures a process's CPU time over a run's measured window: it
// samples at the window's start and at its end (or when the run stops
// early), on its own goroutine, which ends by itself at the window's end.
type cpuMeter struct {
	done       chan struct{}
	cpu        time.Duration
	start, end int64 // window clock of the two samples
	ok         bool
}

// meterCPU starts measuring pid over w; nil when pid is 0.
func meterCPU(w *window, pid int) *cpuMeter {
	if pid <= 0 {
		return nil
	}
	m := &cpuMeter{done: make(chan struct{})}
	go func() {
		defer close(m.done)
		sleepUntil := func(at int64) {
			for !w.stop.Load() {
				d := time.Duration(at - w.now())
				if d <= 0 {
					return
				}
				time.Sleep(min(d, 10*time.Millisecond))
			}
		}
		sleepUntil(w.start)
		c0, ok0 := processCPU(pid)
		m.start = w.now()
		sleepUntil(w.end)
		c1, ok1 := processCPU(pid)
		m.end = w.now()
		m.cpu, m.ok = c1-c0, ok0 && ok1 && m.end > m.start
	}()
	return m
}

// fill waits for the meter and stores its figures in res: CPU seconds,
// cores used on average, and microseconds per received operation.
func (m *cpuMeter) fill(res *Result) {
	if m == nil {
		return
	}
	<-m.done
	if !m.ok {
		return
	}
	res.RouterCPUSeconds = m.cpu.Seconds()
	res.RouterCPUCores = m.cpu.Seconds() / (float64(m.end-m.start) / 1e9)
	if res.Received > 0 {
		res.RouterCPUUsPerOp = float64(m.cpu.Microseconds()) / float64(res.Received)
	}
}

// raiseFileLimit makes sure this process may hold want descriptors: it
// raises the soft RLIMIT_NOFILE, and the hard one where the process is
// allowed to (root), and returns the soft limit in force afterwards.
func raiseFileLimit(want uint64) (uint64, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("bench: getrlimit(RLIMIT_NOFILE): %w", err)
	}
	if rl.Cur >= want {
		return rl.Cur, nil
	}
	if rl.Max < want {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: want, Max: want}); err == nil {
			return want, nil
		}
	}
	rl.Cur = min(want, rl.Max)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("bench: setrlimit(RLIMIT_NOFILE, %d): %w", rl.Cur, err)
	}
	return rl.Cur, nil
}
