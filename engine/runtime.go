package engine

import (
	"bytes"
	"math"
	"os"
	"runtime/metrics"
	"strconv"
)

// Names of the runtime/metrics samples the router reports. The GC pause
// histograms are cumulative since the process started.
const (
	metricGCCycles     = "/gc/cycles/total:gc-cycles"
	metricGCPauses     = "/sched/pauses/total/gc:seconds"    // stop-the-world time of GC, Go >= 1.22
	metricGCPausesOld  = "/gc/pauses:seconds"                // deprecated alias, reported while present
	metricGCStopping   = "/sched/pauses/stopping/gc:seconds" // part of a pause spent stopping the world
	metricHeapLive     = "/gc/heap/live:bytes"
	metricHeapGoal     = "/gc/heap/goal:bytes"
	metricGoroutines   = "/sched/goroutines:goroutines"
	metricGOGC         = "/gc/gogc:percent"
	metricMemoryLimit  = "/gc/gomemlimit:bytes"
	metricGCCPUSeconds = "/cpu/classes/gc/total:cpu-seconds"
)

// runtimeMetricNames is what readRuntimeStats samples, in the order of the
// sample slice it builds.
var runtimeMetricNames = [...]string{
	metricGCCycles, metricGCPauses, metricGCPausesOld, metricGCStopping, metricHeapLive, metricHeapGoal,
	metricGoroutines, metricGOGC, metricMemoryLimit, metricGCCPUSeconds,
}

// pauseStats summarises one GC pause histogram, in seconds. Quantiles are
// the upper bound of the histogram bucket holding them (never an
// underestimate). Buckets lists the non-empty buckets, so that a harness
// can subtract two snapshots and get the pauses of a window.
type pauseStats struct {
	Count   uint64        `json:"count"`
	P50     float64       `json:"p50"`
	P99     float64       `json:"p99"`
	P999    float64       `json:"p999"`
	Max     float64       `json:"max"`
	Buckets []pauseBucket `json:"buckets"`
}

// pauseBucket is one non-empty bucket of a pause histogram: Count pauses
// lasted in [Lo, Hi) seconds.
type pauseBucket struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Count uint64  `json:"count"`
}

// runtimeStats is what /debug/gc serves and /metrics exports: the figures
// that tell whether the garbage collector keeps up with the sessions the
// router holds.
type runtimeStats struct {
	GCCycles    uint64      `json:"gc_cycles"`
	GCPauses    pauseStats  `json:"gc_pauses"`               // /sched/pauses/total/gc:seconds
	GCPausesOld *pauseStats `json:"gc_pauses_old,omitempty"` // /gc/pauses:seconds, when present
	GCStopping  pauseStats  `json:"gc_stopping"`             // /sched/pauses/stopping/gc:seconds
	// ForcedGC is the pauses of one runtime.GC run for the request
	// (POST /debug/gc only): what a full cycle costs with what is live now.
	ForcedGC     *pauseStats `json:"forced_gc,omitempty"`
	GCCPUSeconds float64     `json:"gc_cpu_seconds"`
	HeapLive     uint64      `json:"heap_live_bytes"`
	HeapGoal     uint64      `json:"heap_goal_bytes"`
	GOGC         uint64      `json:"gogc_percent"`
	MemoryLimit  uint64      `json:"memory_limit_bytes"`
	Goroutines   uint64      `json:"goroutines"`
	RSS          uint64      `json:"rss_bytes"` // from /proc/self/statm; 0 where unavailable
	Sessions     int64       `json:"sessions"`
	Conns        int64       `json:"connections"`
}

// readRuntimeStats samples runtime/metrics and the process RSS. Metrics the
// running Go does not know are left zero.
func readRuntimeStats() runtimeStats {
	samples := make([]metrics.Sample, len(runtimeMetricNames))
	for i, n := range runtimeMetricNames {
		samples[i].Name = n
	}
	metrics.Read(samples)
	var s runtimeStats
	for _, smp := range samples {
		v := smp.Value
		switch smp.Name {
		case metricGCCycles:
			s.GCCycles = uint64Of(v)
		case metricGCPauses:
			if v.Kind() == metrics.KindFloat64Histogram {
				s.GCPauses = summarise(v.Float64Histogram())
			}
		case metricGCPausesOld:
			if v.Kind() == metrics.KindFloat64Histogram {
				p := summarise(v.Float64Histogram())
				s.GCPausesOld = &p
			}
		case metricGCStopping:
			if v.Kind() == metrics.KindFloat64Histogram {
				s.GCStopping = summarise(v.Float64Histogram())
			}
		case metricHeapLive:
			s.HeapLive = uint64Of(v)
		case metricHeapGoal:
			s.HeapGoal = uint64Of(v)
		case metricGoroutines:
			s.Goroutines = uint64Of(v)
		case metricGOGC:
			s.GOGC = uint64Of(v)
		case metricMemoryLimit:
			s.MemoryLimit = uint64Of(v)
		case metricGCCPUSeconds:
			if v.Kind() == metrics.KindFloat64 {
				s.GCCPUSeconds = v.Float64()
			}
		}
	}
	s.RSS = processRSS()
	return s
}

func uint64Of(v metrics.Value) uint64 {
	if v.Kind() == metrics.KindUint64 {
		return v.Uint64()
	}
	return 0
}

// summarise turns a cumulative histogram into counts and quantiles.
func summarise(h *metrics.Float64Histogram) pauseStats {
	var p pauseStats
	for i, n := range h.Counts {
		if n == 0 {
			continue
		}
		p.Count += n
		p.Buckets = append(p.Buckets, pauseBucket{Lo: finite(h.Buckets[i]), Hi: finite(h.Buckets[i+1]), Count: n})
	}
	if p.Count == 0 {
		return p
	}
	p.P50 = quantile(p.Buckets, p.Count, 0.5)
	p.P99 = quantile(p.Buckets, p.Count, 0.99)
	p.P999 = quantile(p.Buckets, p.Count, 0.999)
	last := p.Buckets[len(p.Buckets)-1]
	p.Max = last.Hi
	return p
}

// since is the pauses of p that are not in before (p and before being two
// summaries of one cumulative histogram, before taken first).
func (p pauseStats) since(before pauseStats) pauseStats {
	var d pauseStats
	j := 0
	for _, b := range p.Buckets {
		for j < len(before.Buckets) && before.Buckets[j].Lo < b.Lo {
			j++
		}
		n := b.Count
		if j < len(before.Buckets) && before.Buckets[j].Lo == b.Lo {
			n -= min(n, before.Buckets[j].Count)
		}
		if n > 0 {
			d.Count += n
			d.Buckets = append(d.Buckets, pauseBucket{Lo: b.Lo, Hi: b.Hi, Count: n})
		}
	}
	if d.Count > 0 {
		d.P50 = quantile(d.Buckets, d.Count, 0.5)
		d.P99 = quantile(d.Buckets, d.Count, 0.99)
		d.P999 = quantile(d.Buckets, d.Count, 0.999)
		d.Max = d.Buckets[len(d.Buckets)-1].Hi
	}
	return d
}

// quantile is the upper bound of the bucket holding the q-quantile.
func quantile(bs []pauseBucket, total uint64, q float64) float64 {
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for _, b := range bs {
		seen += b.Count
		if seen >= rank {
			return b.Hi
		}
	}
	return bs[len(bs)-1].Hi
}

// finite maps the histograms' infinite outer bounds to the largest finite
// float, so that the JSON stays valid.
func finite(f float64) float64 {
	switch {
	case math.IsInf(f, 1):
		return math.MaxFloat64
	case math.IsInf(f, -1):
		return 0
	}
	return f
}

// processRSS is the resident set size of the process, from
// /proc/self/statm (Linux); 0 where that file does not exist.
func processRSS() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := bytes.Fields(data)
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(string(fields[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}
