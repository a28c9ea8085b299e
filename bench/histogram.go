package bench

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in nanoseconds from 1 µs to 60 s with three
// significant digits, the usual HDR set-up.
const (
	histMin     = 1_000
	histMax     = 60_000_000_000
	histSigFigs = 3
)

// Recorder is a latency histogram many event loops write to at once. It is
// split into shards picked by the caller's session index so that recording
// costs an uncontended lock, and merged when read.
type Recorder struct {
	shards []recShard
}

type recShard struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
	_  [40]byte // keep shards' locks on separate cache lines
}

// NewRecorder returns a recorder with n shards.
func NewRecorder(n int) *Recorder {
	if n < 1 {
		n = 1
	}
	r := &Recorder{shards: make([]recShard, n)}
	for i := range r.shards {
		r.shards[i].h = hdrhistogram.New(histMin, histMax, histSigFigs)
	}
	return r
}

// Record adds one latency; key spreads writers over shards.
func (r *Recorder) Record(key int, d time.Duration) {
	v := int64(d)
	if v < histMin {
		v = histMin
	} else if v > histMax {
		v = histMax
	}
	sh := &r.shards[uint(key)%uint(len(r.shards))]
	sh.mu.Lock()
	_ = sh.h.RecordValue(v)
	sh.mu.Unlock()
}

// Merged returns one histogram holding every shard's values.
func (r *Recorder) Merged() *hdrhistogram.Histogram {
	out := hdrhistogram.New(histMin, histMax, histSigFigs)
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		out.Merge(sh.h)
		sh.mu.Unlock()
	}
	return out
}

// Latency summarises a histogram in microseconds.
type Latency struct {
	Count  int64   `json:"count"`
	MinUs  float64 `json:"min_us"`
	MeanUs float64 `json:"mean_us"`
	P50    float64 `json:"p50_us"`
	P90    float64 `json:"p90_us"`
	P99    float64 `json:"p99_us"`
	P999   float64 `json:"p99_9_us"`
	P9999  float64 `json:"p99_99_us"`
	MaxUs  float64 `json:"max_us"`
	// Curve is the percentile curve for the report's chart.
	Curve []CurvePoint `json:"curve"`
}

// CurvePoint is one point of a percentile curve.
type CurvePoint struct {
	Percentile float64 `json:"percentile"`
	Us         float64 `json:"us"`
}

// curvePercentiles are spaced so that a log axis over 1/(1-p) is even.
var curvePercentiles = [...]float64{0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 100}

// Summarize turns h into a Latency.
func Summarize(h *hdrhistogram.Histogram) Latency {
	us := func(v int64) float64 { return float64(v) / 1e3 }
	l := Latency{Count: h.TotalCount(), Curve: []CurvePoint{}}
	if l.Count == 0 {
		return l
	}
	l.MinUs, l.MeanUs, l.MaxUs = us(h.Min()), h.Mean()/1e3, us(h.Max())
	l.P50, l.P90, l.P99 = us(h.ValueAtQuantile(50)), us(h.ValueAtQuantile(90)), us(h.ValueAtQuantile(99))
	l.P999, l.P9999 = us(h.ValueAtQuantile(99.9)), us(h.ValueAtQuantile(99.99))
	for _, p := range curvePercentiles {
		l.Curve = append(l.Curve, CurvePoint{Percentile: p, Us: us(h.ValueAtQuantile(p))})
	}
	return l
}
