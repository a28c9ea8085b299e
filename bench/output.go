package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// WriteJSON writes results as the --json file: one object for one run,
// a list for several.
func WriteJSON(path string, res *Result) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encode result: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	return nil
}

// ReadJSON reads a file written by WriteJSON.
func ReadJSON(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bench: read %s: %w", path, err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("bench: parse %s: %w", path, err)
	}
	return &r, nil
}

// PrintSummary writes the human summary of res.
func PrintSummary(w io.Writer, res *Result) {
	fmt.Fprintf(w, "%s: %s against %s (%s, %s over %s), %s loop", res.Name, res.Scenario, res.Target.URL,
		res.Target.Kind, res.Target.Serializer, res.Target.Transport, res.LoadModel)
	if res.LoadModel == "open" {
		fmt.Fprintf(w, " at %.0f/s", res.Rate)
	}
	fmt.Fprintln(w)
	if t := res.Target; t.CalleeURL != "" {
		fmt.Fprintf(w, "  callees   on %s (the callers on %s)\n", t.CalleeURL, t.URL)
	}
	if t := res.Target; len(t.SubURLs) > 0 {
		fmt.Fprintf(w, "  subs      on %s in turn (the publishers on %s)\n", strings.Join(t.SubURLs, ", "), t.URL)
	}
	fmt.Fprintf(w, "  machine   %s, %d cores, %s %s/%s\n", res.Machine.CPUModel, res.Machine.Cores,
		res.Machine.GoVersion, res.Machine.OS, res.Machine.Arch)
	fmt.Fprintf(w, "  sessions  %d   measured %.2fs after %.2fs warm-up\n", res.Sessions, res.ElapsedS, res.WarmupS)
	fmt.Fprintf(w, "  throughput %.0f %s   (sent %.0f/s)\n", res.Throughput, res.ThroughputUnit, res.SendRate)
	fmt.Fprintf(w, "  counts    sent %d  received %d  expected %d  lost %d  errors %d  disconnects %d\n",
		res.Sent, res.Received, res.Expected, res.Lost, res.Errors, res.Disconnects)
	name := "latency"
	if res.Scenario == ScenarioConns {
		name = "handshake"
	}
	l := res.Latency
	fmt.Fprintf(w, "  %-9s p50 %s  p90 %s  p99 %s  p99.9 %s  p99.99 %s  max %s  (n=%d)\n", name,
		fmtUs(l.P50), fmtUs(l.P90), fmtUs(l.P99), fmtUs(l.P999), fmtUs(l.P9999), fmtUs(l.MaxUs), l.Count)
	if res.Slow.Subscribers > 0 {
		s := res.Slow
		fmt.Fprintf(w, "  slow subs %d: received %d of %d (lost %d), disconnected by the router %d\n",
			s.Subscribers, s.Received, s.Expected, s.Lost, s.Disconnected)
	}
	if res.RouterRSSBytes > 0 && res.Conns == nil {
		fmt.Fprintf(w, "  router RSS %.1f MiB", float64(res.RouterRSSBytes)/(1<<20))
		// Per session is the growth since before the sessions opened: the
		// router's own baseline (runtime, buffers, code) is no session's.
		if b := res.RouterRSSBeforeBytes; b > 0 {
			fmt.Fprintf(w, ", %.1f MiB before the sessions opened", float64(b)/(1<<20))
			if res.Sessions > 0 {
				fmt.Fprintf(w, ": %.1f KiB per session", float64(res.RouterRSSBytes-b)/1024/float64(res.Sessions))
			}
		}
		fmt.Fprintln(w)
	}
	if cs := res.Conns; cs != nil {
		if cs.RouterRSSAfterBytes > 0 {
			fmt.Fprintf(w, "  router RSS %.1f MiB before, %.1f MiB with the sessions live: %.2f KiB per session (client: %.2f KiB)\n",
				float64(cs.RouterRSSBeforeBytes)/(1<<20), float64(cs.RouterRSSAfterBytes)/(1<<20), cs.RSSPerSessionBytes/1024,
				cs.ClientBytesPerSession/1024)
		}
		if res.RouterCPUUsPerOp > 0 || cs.ClientCPUUsPerSession > 0 {
			fmt.Fprintf(w, "  CPU per session opened: router %.1f µs, wampbench %.1f µs\n", res.RouterCPUUsPerOp, cs.ClientCPUUsPerSession)
		}
		if g := cs.GC; g != nil {
			fmt.Fprintf(w, "  router GC with the sessions live: %d cycles (%d forced), pauses p50 %.3fms p99 %.3fms max %.3fms, heap %.1f MiB, %d goroutines, %d sessions\n",
				g.Cycles, g.Forced, g.PauseP50Ms, g.PauseP99Ms, g.PauseMaxMs, float64(g.HeapLiveBytes)/(1<<20), g.Goroutines, cs.RouterSessions)
		}
	}
	if res.RouterCPUSeconds > 0 && res.Conns == nil {
		fmt.Fprintf(w, "  router CPU %.2fs in the window (%.2f cores), %.2f µs per %s\n", res.RouterCPUSeconds,
			res.RouterCPUCores, res.RouterCPUUsPerOp, strings.TrimSuffix(res.ThroughputUnit, "s/s"))
	}
	printRouters(w, res)
	if res.ClientCPUSeconds > 0 && res.Conns == nil {
		fmt.Fprintf(w, "  wampbench CPU %.2fs in the window, %.2f µs per %s", res.ClientCPUSeconds, res.ClientCPUUsPerOp,
			strings.TrimSuffix(res.ThroughputUnit, "s/s"))
		if res.ClientFastReads > 0 && res.Received > 0 {
			fmt.Fprintf(w, " (%.0f%% read by the fast EVENT read)", 100*float64(res.ClientFastReads)/float64(res.Received))
		}
		fmt.Fprintln(w)
	}
	if h := res.Host; h != nil {
		fmt.Fprintf(w, "  busy      machine %.0f%% (user %.0f%%, system %.0f%%, irq %.0f%%, steal %.0f%%), wampbench %.2f cores\n",
			h.BusyPct, h.UserPct, h.SystemPct, h.IRQPct, h.StealPct, h.ClientCores)
	}
	if b := res.Baseline; b != nil {
		fmt.Fprintf(w, "  baseline  raw server %.0f %s, p99 %s: router reaches %.1f%% of the ceiling\n",
			b.Throughput, res.ThroughputUnit, fmtUs(b.Latency.P99), 100*b.Ratio)
	}
	if res.AbortedReason != "" {
		fmt.Fprintf(w, "  ABORTED   %s\n", res.AbortedReason)
	}
	for _, e := range res.ErrorSamples {
		fmt.Fprintf(w, "  error     %s\n", e)
	}
}

// printRouters writes, for a run measured on several router processes
// (Result.Routers: the nodes of a cluster), a line per process and one for
// their total: where the cluster's CPU time and memory went, node by node.
// CPU per operation is over the operations of the whole run, so the nodes'
// figures add up to the total.
func printRouters(w io.Writer, res *Result) {
	if len(res.Routers) == 0 {
		return
	}
	per := strings.TrimSuffix(res.ThroughputUnit, "s/s")
	fmt.Fprintf(w, "  routers   %d processes, the router figures are their sums:\n", len(res.Routers))
	for _, p := range res.Routers {
		fmt.Fprintf(w, "    %-6s %-11s %s\n", p.Label, "pid "+strconv.Itoa(p.PID),
			routerFigures(p.CPUSeconds, p.CPUCores, p.CPUUsPerOp, p.RSSBytes, p.RSSBeforeBytes, per))
	}
	fmt.Fprintf(w, "    %-6s %-11s %s\n", "total", "",
		routerFigures(res.RouterCPUSeconds, res.RouterCPUCores, res.RouterCPUUsPerOp, res.RouterRSSBytes, res.RouterRSSBeforeBytes, per))
}

// routerFigures is one line of printRouters: CPU time in the window, cores,
// µs per operation (per: "call", "event", ...), RSS at the end and its
// growth since before the sessions opened (when that was read).
func routerFigures(cpuS, cores, usPerOp float64, rss, before int64, per string) string {
	s := fmt.Sprintf("CPU %.2fs (%.2f cores), %.2f µs per %s   RSS %.1f MiB", cpuS, cores, usPerOp, per, float64(rss)/(1<<20))
	if before > 0 && rss > 0 {
		s += fmt.Sprintf(" (%+.1f MiB)", float64(rss-before)/(1<<20))
	}
	return s
}

// PrintTable writes one line per result, for a set of runs.
func PrintTable(w io.Writer, rs []*Result) {
	fmt.Fprintf(w, "%-18s %-9s %-10s %14s %-10s %10s %10s %10s %8s %7s %11s %11s\n", "run", "scenario", "serializer",
		"throughput", "unit", "p50", "p99", "p99.9", "lost", "errors", "cpu µs/op", "bench µs/op")
	fmt.Fprintln(w, strings.Repeat("-", 142))
	for _, r := range rs {
		fmt.Fprintf(w, "%-18s %-9s %-10s %14.0f %-10s %10s %10s %10s %8d %7d %11s %11s\n", r.Name, r.Scenario, r.Target.Serializer,
			r.Throughput, r.ThroughputUnit, fmtUs(r.Latency.P50), fmtUs(r.Latency.P99), fmtUs(r.Latency.P999), r.Lost, r.Errors,
			usOrDash(r.RouterCPUUsPerOp), usOrDash(r.ClientCPUUsPerOp))
	}
}

func fmtUs(us float64) string {
	switch {
	case us >= 1e6:
		return fmt.Sprintf("%.2fs", us/1e6)
	case us >= 1e3:
		return fmt.Sprintf("%.2fms", us/1e3)
	}
	return fmt.Sprintf("%.0fµs", us)
}

// usOrDash formats a CPU time per operation, "–" when it was not measured.
func usOrDash(us float64) string {
	if us <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", us)
}
