package engine

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/wampd/wampd/codec"
)

// httpGet fetches url and returns the status and the body.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	hc := http.Client{Timeout: testTimeout}
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func TestDebugEndpoint(t *testing.T) {
	tests := []struct {
		name       string
		metrics    string
		sharedPort bool // metrics and debug configured on one address
	}{
		{"debug alone", "", false},
		// "127.0.0.1:00" is port 0 spelled differently from debug's
		// "127.0.0.1:0": two listeners, each on a port the kernel picks.
		{"debug and metrics apart", "127.0.0.1:00", false},
		{"debug and metrics on one address", "127.0.0.1:0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Debug.Listen = "127.0.0.1:0"
			cfg.Metrics.Listen = tt.metrics
			rt, logs := startRouter(t, cfg)
			c := dialWS(t, rt)
			c.send(`[1,"realm1",{"roles":{"subscriber":{}}}]`)
			if m := c.mustRecv(); msgType(m) != int(codec.Welcome) {
				t.Fatalf("got %v, want WELCOME", m)
			}
			runtime.GC() // at least one cycle and one pause to report

			daddr := rt.DebugAddr()
			if daddr == nil {
				t.Fatal("DebugAddr() = nil with debug.listen set")
			}
			if !strings.Contains(logs.String(), "msg=debug addr="+daddr.String()) {
				t.Errorf("logs lack the debug line for %s:\n%s", daddr, logs)
			}
			base := "http://" + daddr.String()
			code, body := httpGet(t, base+"/debug/gc")
			if code != http.StatusOK {
				t.Fatalf("/debug/gc: status %d: %s", code, body)
			}
			var rs runtimeStats
			if err := json.Unmarshal([]byte(body), &rs); err != nil {
				t.Fatalf("/debug/gc is not JSON: %v\n%s", err, body)
			}
			if rs.GCCycles < 1 || rs.GCPauses.Count < 1 || rs.GCPauses.Max <= 0 || len(rs.GCPauses.Buckets) == 0 {
				t.Errorf("/debug/gc GC figures after runtime.GC: %+v", rs)
			}
			if rs.GCPauses.P50 > rs.GCPauses.P99 || rs.GCPauses.P99 > rs.GCPauses.Max {
				t.Errorf("pause quantiles out of order: %+v", rs.GCPauses)
			}
			if rs.HeapLive == 0 || rs.Goroutines == 0 || rs.RSS == 0 {
				t.Errorf("/debug/gc heap, goroutines or RSS is zero: %+v", rs)
			}
			if rs.Sessions != 1 || rs.Conns != 1 {
				t.Errorf("/debug/gc sessions=%d connections=%d, want 1 and 1", rs.Sessions, rs.Conns)
			}

			hc := http.Client{Timeout: testTimeout}
			resp, err := hc.Post(base+"/debug/gc", "", nil)
			if err != nil {
				t.Fatalf("POST /debug/gc: %v", err)
			}
			var forced runtimeStats
			err = json.NewDecoder(resp.Body).Decode(&forced)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("POST /debug/gc: status %d, %v", resp.StatusCode, err)
			}
			// A cycle stops the world twice (sweep and mark termination).
			if forced.ForcedGC == nil || forced.ForcedGC.Count < 2 || forced.ForcedGC.Max <= 0 || forced.GCCycles <= rs.GCCycles {
				t.Errorf("POST /debug/gc: forced_gc = %+v, cycles %d after %d", forced.ForcedGC, forced.GCCycles, rs.GCCycles)
			}

			code, body = httpGet(t, base+"/debug/pprof/")
			if code != http.StatusOK || !strings.Contains(body, "goroutine") || !strings.Contains(body, "heap") {
				t.Errorf("/debug/pprof/: status %d, body lacks the profile index:\n%s", code, body)
			}
			code, body = httpGet(t, base+"/debug/pprof/goroutine?debug=1")
			if code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
				t.Errorf("/debug/pprof/goroutine: status %d:\n%.200s", code, body)
			}

			maddr := rt.MetricsAddr()
			if tt.metrics == "" {
				if maddr != nil {
					t.Fatalf("MetricsAddr() = %v with metrics off", maddr)
				}
				return
			}
			if (maddr.String() == daddr.String()) != tt.sharedPort {
				t.Errorf("metrics on %v, debug on %v; shared = %t, want %t", maddr, daddr, !tt.sharedPort, tt.sharedPort)
			}
			code, body = httpGet(t, "http://"+maddr.String()+"/metrics")
			if code != http.StatusOK {
				t.Fatalf("/metrics: status %d", code)
			}
			for _, want := range []string{
				"# TYPE wampd_gc_cycles_total counter\nwampd_gc_cycles_total ",
				`wampd_gc_pause_seconds{quantile="0.99"} `,
				`wampd_gc_pause_seconds{quantile="1"} `,
				"wampd_heap_live_bytes ",
				"wampd_process_resident_bytes ",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics lacks %q:\n%s", want, body)
				}
			}
			if strings.Contains(body, "wampd_gc_cycles_total 0\n") {
				t.Errorf("/metrics reports no GC cycle after runtime.GC:\n%s", body)
			}
		})
	}
}

func TestDebugOff(t *testing.T) {
	rt, _ := startRouter(t, testConfig())
	if a := rt.DebugAddr(); a != nil {
		t.Fatalf("DebugAddr() = %v with debug.listen empty", a)
	}
	if a := rt.MetricsAddr(); a != nil {
		t.Fatalf("MetricsAddr() = %v with metrics.listen empty", a)
	}
}

func TestSummarise(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name          string
		h             metrics.Float64Histogram
		count         uint64
		p50, p99, max float64
	}{
		{"empty", metrics.Float64Histogram{Counts: []uint64{0, 0}, Buckets: []float64{0, 1e-6, 1e-5}}, 0, 0, 0, 0},
		{"one bucket", metrics.Float64Histogram{Counts: []uint64{0, 5, 0}, Buckets: []float64{0, 1e-6, 1e-5, 1e-4}}, 5, 1e-5, 1e-5, 1e-5},
		{"tail", metrics.Float64Histogram{
			Counts:  []uint64{98, 1, 1},
			Buckets: []float64{1e-6, 1e-5, 1e-4, 1e-3}}, 100, 1e-5, 1e-4, 1e-3},
		{"infinite top", metrics.Float64Histogram{
			Counts:  []uint64{1, 1},
			Buckets: []float64{0, 1e-3, inf}}, 2, 1e-3, math.MaxFloat64, math.MaxFloat64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := summarise(&tt.h)
			if p.Count != tt.count || p.P50 != tt.p50 || p.P99 != tt.p99 || p.Max != tt.max {
				t.Fatalf("summarise = count %d p50 %g p99 %g max %g, want %d %g %g %g",
					p.Count, p.P50, p.P99, p.Max, tt.count, tt.p50, tt.p99, tt.max)
			}
			if _, err := json.Marshal(p); err != nil {
				t.Fatalf("pause stats do not marshal: %v", err)
			}
		})
	}
}

func TestPauseStatsSince(t *testing.T) {
	b := func(lo, hi float64, n uint64) pauseBucket { return pauseBucket{Lo: lo, Hi: hi, Count: n} }
	mk := func(bs ...pauseBucket) pauseStats {
		var p pauseStats
		for _, x := range bs {
			p.Count += x.Count
		}
		p.Buckets = bs
		return p
	}
	tests := []struct {
		name          string
		before, after pauseStats
		count         uint64
		max           float64
	}{
		{"nothing new", mk(b(1, 2, 3)), mk(b(1, 2, 3)), 0, 0},
		{"from nothing", pauseStats{}, mk(b(1, 2, 1), b(4, 8, 1)), 2, 8},
		{"new bucket above", mk(b(1, 2, 3)), mk(b(1, 2, 3), b(4, 8, 2)), 2, 8},
		{"more in a bucket", mk(b(1, 2, 3), b(4, 8, 2)), mk(b(1, 2, 5), b(4, 8, 2)), 2, 2},
		{"new bucket below", mk(b(4, 8, 2)), mk(b(1, 2, 1), b(4, 8, 2)), 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.after.since(tt.before)
			if d.Count != tt.count || d.Max != tt.max {
				t.Fatalf("since = count %d max %g (%+v), want %d %g", d.Count, d.Max, d.Buckets, tt.count, tt.max)
			}
		})
	}
}
