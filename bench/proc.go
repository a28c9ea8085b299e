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

// statTicks is the machine-wide line of /proc/stat: clock ticks spent
// in each state by all CPUs together since boot.
type statTicks struct {
	user, system, idle, irq, steal uint64 // user includes nice, idle iowait, irq softirq
}

func (t statTicks) total() uint64 { return t.user + t.system + t.idle + t.irq + t.steal }

// parseStat reads the "cpu" line of /proc/stat's contents b.
func parseStat(b []byte) (statTicks, bool) {
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return statTicks{}, false
	}
	var v [8]uint64 // user nice system idle iowait irq softirq steal
	for i := range v {
		n, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return statTicks{}, false
		}
		v[i] = n
	}
	return statTicks{user: v[0] + v[1], system: v[2], idle: v[3] + v[4], irq: v[5] + v[6], steal: v[7]}, true
}

func machineTicks() (statTicks, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return statTicks{}, false
	}
	return parseStat(b)
}

// HostCPU is how busy the whole machine was during the measured window,
// in percent of all its CPUs, and how much of it was wampbench's own:
// with router and load generator on one machine, a run that leaves the
// machine idle was bound by wake-ups and hand-offs, not by CPU.
type HostCPU struct {
	BusyPct     float64 `json:"busy_pct"`
	UserPct     float64 `json:"user_pct"`
	SystemPct   float64 `json:"system_pct"`
	IRQPct      float64 `json:"irq_pct"` // hardware and soft interrupts: loopback delivery runs here
	StealPct    float64 `json:"steal_pct"`
	IdlePct     float64 `json:"idle_pct"`
	ClientCores float64 `json:"client_cores"` // wampbench's own CPU time per second of window
}

func hostCPU(t0, t1 statTicks, self time.Duration, window time.Duration) *HostCPU {
	d := statTicks{t1.user - t0.user, t1.system - t0.system, t1.idle - t0.idle, t1.irq - t0.irq, t1.steal - t0.steal}
	all := float64(d.total())
	if all <= 0 || window <= 0 || t1.total() < t0.total() {
		return nil
	}
	pc := func(x uint64) float64 { return 100 * float64(x) / all }
	return &HostCPU{
		BusyPct: 100 - pc(d.idle), UserPct: pc(d.user), SystemPct: pc(d.system), IRQPct: pc(d.irq),
		StealPct: pc(d.steal), IdlePct: pc(d.idle), ClientCores: self.Seconds() / window.Seconds(),
	}
}

// cpuMeter measures, over a run's measured window, the router's CPU time
// (when its pid is known), wampbench's own and the machine's: it samples
// at the window's start and at its end (or when the run stops early), on
// its own goroutine, which ends by itself at the window's end.
type cpuMeter struct {
	done       chan struct{}
	cpu        time.Duration
	self       time.Duration // wampbench's own, from getrusage
	selfOK     bool
	start, end int64 // window clock of the two samples
	ok         bool
	host       *HostCPU
}

// meterCPU starts measuring over w; pid 0 measures the machine and
// wampbench only.
func meterCPU(w *window, pid int) *cpuMeter {
	m := &cpuMeter{done: make(chan struct{})}
	self := os.Getpid()
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
		s0, sok0 := processCPU(self)
		r0, rok0 := selfCPU()
		t0, tok0 := machineTicks()
		m.start = w.now()
		sleepUntil(w.end)
		c1, ok1 := processCPU(pid)
		s1, sok1 := processCPU(self)
		r1, rok1 := selfCPU()
		m.self, m.selfOK = r1-r0, rok0 && rok1
		t1, tok1 := machineTicks()
		m.end = w.now()
		m.cpu, m.ok = c1-c0, pid > 0 && ok0 && ok1 && m.end > m.start
		if sok0 && sok1 && tok0 && tok1 && m.end > m.start {
			m.host = hostCPU(t0, t1, s1-s0, time.Duration(m.end-m.start))
		}
	}()
	return m
}

// fill waits for the meter and stores its figures in res: the machine's,
// and the router's CPU seconds, cores used on average and microseconds per
// received operation.
func (m *cpuMeter) fill(res *Result) {
	<-m.done
	res.Host = m.host
	if m.selfOK {
		res.ClientCPUSeconds = m.self.Seconds()
		if res.Received > 0 {
			res.ClientCPUUsPerOp = float64(m.self.Nanoseconds()) / 1e3 / float64(res.Received)
		}
	}
	if !m.ok {
		return
	}
	res.RouterCPUSeconds = m.cpu.Seconds()
	res.RouterCPUCores = m.cpu.Seconds() / (float64(m.end-m.start) / 1e9)
	if res.Received > 0 {
		res.RouterCPUUsPerOp = float64(m.cpu.Microseconds()) / float64(res.Received)
	}
}

// selfCPU is this process's CPU time so far (user + system, all threads)
// from getrusage, which counts in microseconds where /proc's utime and
// stime count in 10 ms ticks.
func selfCPU() (time.Duration, bool) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
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
