package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// ConnsStats is what the conns scenario measured about the router while it
// held the sessions.
type ConnsStats struct {
	// RouterRSSBeforeBytes is the router's RSS before the first dial,
	// RouterRSSAfterBytes at the end of the hold with every session live;
	// RSSPerSessionBytes their difference per opened session.
	RouterRSSBeforeBytes int64   `json:"router_rss_before_bytes"`
	RouterRSSAfterBytes  int64   `json:"router_rss_after_bytes"`
	RSSPerSessionBytes   float64 `json:"rss_per_session_bytes"`
	// ClientBytesPerSession is wampbench's own RSS growth per session,
	// ClientCPUUsPerSession its CPU time per session opened (the router's
	// is Result.RouterCPUUsPerOp).
	ClientBytesPerSession float64 `json:"client_bytes_per_session"`
	ClientCPUUsPerSession float64 `json:"client_cpu_us_per_session"`
	// RouterSessions is the session count the router itself reported
	// (from /debug/gc) at the end of the hold; -1 when unknown.
	RouterSessions int64 `json:"router_sessions"`
	// GC is the router's garbage collector while every session was live,
	// read from --router-debug; nil without it.
	GC *GCStats `json:"gc,omitempty"`
}

// GCStats are GC pause figures of the router over an interval, computed
// from the difference of two /debug/gc pause histograms (runtime/metrics
// /sched/pauses/total/gc:seconds): quantiles are bucket upper bounds.
type GCStats struct {
	Cycles        uint64  `json:"cycles"`
	Pauses        uint64  `json:"pauses"`
	PauseP50Ms    float64 `json:"pause_p50_ms"`
	PauseP99Ms    float64 `json:"pause_p99_ms"`
	PauseMaxMs    float64 `json:"pause_max_ms"`
	HeapLiveBytes uint64  `json:"heap_live_bytes"`
	Goroutines    uint64  `json:"goroutines"`
	Forced        int     `json:"forced_gcs"` // GCs wampbench forced (POST /debug/gc, or pprof's heap?gc=1)
}

// debugGC is the part of wampd's /debug/gc document wampbench reads.
type debugGC struct {
	GCCycles uint64 `json:"gc_cycles"`
	GCPauses struct {
		Count   uint64 `json:"count"`
		Buckets []struct {
			Lo    float64 `json:"lo"`
			Hi    float64 `json:"hi"`
			Count uint64  `json:"count"`
		} `json:"buckets"`
	} `json:"gc_pauses"`
	HeapLive   uint64 `json:"heap_live_bytes"`
	Goroutines uint64 `json:"goroutines"`
	Sessions   int64  `json:"sessions"`
}

// debugGet fetches base+path from the router's debug listener.
func debugGet(ctx context.Context, base, path string) ([]byte, error) {
	return debugDo(ctx, http.MethodGet, base, path)
}

// debugDo makes one request to the router's debug listener.
func debugDo(ctx context.Context, method, base, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(base, "/")+path, nil)
	if err != nil {
		return nil, fmt.Errorf("bench: router debug %s: %w", path, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: router debug %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("bench: router debug %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: router debug %s: HTTP %d", path, resp.StatusCode)
	}
	return b, nil
}

// readDebugGC fetches and parses /debug/gc.
func readDebugGC(ctx context.Context, base string) (*debugGC, error) {
	b, err := debugGet(ctx, base, "/debug/gc")
	if err != nil {
		return nil, err
	}
	var d debugGC
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("bench: router debug /debug/gc: %w", err)
	}
	return &d, nil
}

// forceGC makes the router run a full GC: wampd's POST /debug/gc runs one
// cycle; elsewhere net/http/pprof's heap profile does, when asked with
// gc=1.
func forceGC(ctx context.Context, base string) error {
	if _, err := debugDo(ctx, http.MethodPost, base, "/debug/gc"); err == nil {
		return nil
	}
	_, err := debugGet(ctx, base, "/debug/pprof/heap?gc=1")
	return err
}

// gcBetween is the GC activity between two /debug/gc samples.
func gcBetween(a, b *debugGC) *GCStats {
	st := &GCStats{Cycles: b.GCCycles - a.GCCycles, HeapLiveBytes: b.HeapLive, Goroutines: b.Goroutines}
	before := map[[2]float64]uint64{}
	for _, bk := range a.GCPauses.Buckets {
		before[[2]float64{bk.Lo, bk.Hi}] = bk.Count
	}
	type bucket struct {
		hi float64
		n  uint64
	}
	var diff []bucket
	for _, bk := range b.GCPauses.Buckets {
		if n := bk.Count - min(bk.Count, before[[2]float64{bk.Lo, bk.Hi}]); n > 0 {
			diff = append(diff, bucket{bk.Hi, n})
			st.Pauses += n
		}
	}
	if st.Pauses == 0 {
		return st
	}
	q := func(f float64) float64 {
		want := uint64(f*float64(st.Pauses) + 0.5)
		var seen uint64
		for _, d := range diff {
			seen += d.n
			if seen >= max(want, 1) {
				return d.hi * 1e3
			}
		}
		return diff[len(diff)-1].hi * 1e3
	}
	st.PauseP50Ms, st.PauseP99Ms, st.PauseMaxMs = q(0.5), q(0.99), diff[len(diff)-1].hi*1e3
	return st
}
