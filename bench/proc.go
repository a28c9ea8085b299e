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
// (when its pids are known: one process, or each node of a cluster),
// wampbench's own and the machine's: it samples at the window's start and
// at its end (or when the run stops early), on its own goroutine, which
// ends by itself at the window's end.
type cpuMeter struct {
	done       chan struct{}
	cpu        []time.Duration // per router pid, over the window
	cpuOK      []bool          // cpu[i] was read at both ends
	self       time.Duration   // wampbench's own, from getrusage
	selfOK     bool
	start, end int64 // window clock of the two samples
	host       *HostCPU
}

// meterCPU starts measuring over w; no pids measures the machine and
// wampbench only.
func meterCPU(w *window, pids []int) *cpuMeter {
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
		c0 := sampleCPU(pids)
		s0, sok0 := processCPU(self)
		r0, rok0 := selfCPU()
		t0, tok0 := machineTicks()
		m.start = w.now()
		sleepUntil(w.end)
		c1 := sampleCPU(pids)
		s1, sok1 := processCPU(self)
		r1, rok1 := selfCPU()
		m.self, m.selfOK = r1-r0, rok0 && rok1
		t1, tok1 := machineTicks()
		m.end = w.now()
		m.cpu, m.cpuOK = cpuBetween(c0, c1)
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
	if m.end > m.start {
		fillRouterCPU(res, m.cpu, m.cpuOK, float64(m.end-m.start)/1e9, res.Received)
	}
}

// cpuSample is one reading of a process's CPU time; ok is false where it
// could not be read (no such process).
type cpuSample struct {
	cpu time.Duration
	ok  bool
}

// sampleCPU reads the CPU time every one of pids has used so far.
func sampleCPU(pids []int) []cpuSample {
	out := make([]cpuSample, len(pids))
	for i, pid := range pids {
		out[i].cpu, out[i].ok = processCPU(pid)
	}
	return out
}

// cpuBetween is each process's CPU time from sample s0 to s1 and whether
// both ends were read.
func cpuBetween(s0, s1 []cpuSample) ([]time.Duration, []bool) {
	cpu, ok := make([]time.Duration, len(s0)), make([]bool, len(s0))
	for i := range s0 {
		cpu[i], ok[i] = s1[i].cpu-s0[i].cpu, s0[i].ok && s1[i].ok
	}
	return cpu, ok
}

// fillRouterCPU stores in res the CPU time the router processes used over
// secs seconds in which ops operations were received: each one's in
// res.Routers (when there are several), their sum as res's router figures.
// The sum is left out unless every process was measured: a partial sum
// would pass for the whole cluster's.
func fillRouterCPU(res *Result, cpu []time.Duration, ok []bool, secs float64, ops uint64) {
	if len(cpu) == 0 || secs <= 0 {
		return
	}
	var total time.Duration
	all := true
	for i, d := range cpu {
		if !ok[i] {
			all = false
			continue
		}
		total += d
		if i < len(res.Routers) {
			p := &res.Routers[i]
			p.CPUSeconds, p.CPUCores, p.CPUUsPerOp = cpuFigures(d, secs, ops)
		}
	}
	if all {
		res.RouterCPUSeconds, res.RouterCPUCores, res.RouterCPUUsPerOp = cpuFigures(total, secs, ops)
	}
}

// cpuFigures is CPU time d used over secs seconds in which ops operations
// were received, as seconds, cores used on average and microseconds per
// operation (0 without operations).
func cpuFigures(d time.Duration, secs float64, ops uint64) (seconds, cores, usPerOp float64) {
	seconds, cores = d.Seconds(), d.Seconds()/secs
	if ops > 0 {
		usPerOp = float64(d.Microseconds()) / float64(ops)
	}
	return seconds, cores, usPerOp
}

// RouterProc is one router process's figures in a run measured on several
// (--router-pid PID,PID,...: the nodes of a cluster); the router figures
// of the Result are their sums. CPU time is over the measured window, per
// received operation of the whole run (call, delivered event, session
// opened); RSS at the end of the run and before its sessions opened.
type RouterProc struct {
	Label          string  `json:"label"` // node1, node2, ... in --router-pid order
	PID            int     `json:"pid"`
	CPUSeconds     float64 `json:"cpu_s"`
	CPUCores       float64 `json:"cpu_cores"`
	CPUUsPerOp     float64 `json:"cpu_us_per_op"`
	RSSBytes       int64   `json:"rss_bytes"`
	RSSBeforeBytes int64   `json:"rss_before_bytes,omitempty"`
}

// newRouterProcs is the per-process entries of a run measured on pids:
// none for a single process, whose figures are the Result's own.
func newRouterProcs(pids []int) []RouterProc {
	if len(pids) < 2 {
		return nil
	}
	out := make([]RouterProc, len(pids))
	for i, pid := range pids {
		out[i] = RouterProc{Label: "node" + strconv.Itoa(i+1), PID: pid}
	}
	return out
}

// readRouterRSS reads the resident set of every one of pids, stores each
// in procs (the entries of newRouterProcs(pids), if any) as the figure
// from before the run's sessions opened (before) or at its end, and
// returns their sum: 0 unless every process could be read, as a partial
// sum would pass for the whole cluster's.
func readRouterRSS(pids []int, procs []RouterProc, before bool) int64 {
	var total int64
	all := len(pids) > 0
	for i, pid := range pids {
		rss := processRSS(pid)
		if rss == 0 {
			all = false
		}
		total += rss
		if i < len(procs) {
			if before {
				procs[i].RSSBeforeBytes = rss
			} else {
				procs[i].RSSBytes = rss
			}
		}
	}
	if !all {
		return 0
	}
	return total
}

// mergeRouterProcs merges the per-process figures of concurrent runs on
// the same processes (mergeResults): the CPU time, measured by each run
// over nearly the same window, is averaged and spread over the merged
// run's received operations; RSS is the highest at the end, the lowest
// before.
func mergeRouterProcs(rs []*Result, elapsed float64, received uint64) []RouterProc {
	if len(rs[0].Routers) == 0 {
		return nil
	}
	out := append([]RouterProc(nil), rs[0].Routers...)
	for i := range out {
		var cores float64
		out[i].RSSBytes, out[i].RSSBeforeBytes = 0, 0
		for _, r := range rs {
			if i >= len(r.Routers) {
				continue
			}
			p := r.Routers[i]
			cores += p.CPUCores
			out[i].RSSBytes = max(out[i].RSSBytes, p.RSSBytes)
			if p.RSSBeforeBytes > 0 && (out[i].RSSBeforeBytes == 0 || p.RSSBeforeBytes < out[i].RSSBeforeBytes) {
				out[i].RSSBeforeBytes = p.RSSBeforeBytes
			}
		}
		out[i].CPUCores = cores / float64(len(rs))
		out[i].CPUSeconds = out[i].CPUCores * elapsed
		out[i].CPUUsPerOp = 0
		if received > 0 {
			out[i].CPUUsPerOp = out[i].CPUSeconds * 1e6 / float64(received)
		}
	}
	return out
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
