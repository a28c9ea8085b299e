package bench

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSummaryRSSPerSession: the router RSS per session the summary prints
// is the growth since before the sessions opened, divided by them; without
// the figure from before, no per-session figure is printed at all (the
// whole RSS over the sessions would mostly be the router's own baseline).
func TestSummaryRSSPerSession(t *testing.T) {
	res := fakeResult("fanout", 1000, 100)
	res.Scenario, res.ThroughputUnit, res.Sessions = ScenarioFanout, "events/s", 1001
	res.RouterRSSBeforeBytes, res.RouterRSSBytes = 40<<20, 40<<20+1001*3*1024
	var out strings.Builder
	PrintSummary(&out, res)
	if want := "router RSS 42.9 MiB, 40.0 MiB before the sessions opened: 3.0 KiB per session"; !strings.Contains(out.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, out.String())
	}
	res.RouterRSSBeforeBytes = 0
	out.Reset()
	PrintSummary(&out, res)
	if s := out.String(); !strings.Contains(s, "router RSS 42.9 MiB") || strings.Contains(s, "per session") {
		t.Errorf("without the RSS before, want the RSS and no per-session figure:\n%s", s)
	}
}

// TestSummaryPerRouter: with several router processes the summary has a
// line per process, labelled and with its pid, and one for their total,
// after the router lines (which are the sums); with one, the summary is
// as it always was, without those lines. The JSON holds the same figures.
func TestSummaryPerRouter(t *testing.T) {
	res := fakeResult("fanout", 10000, 100)
	res.Scenario, res.ThroughputUnit, res.Sessions, res.Received = ScenarioFanout, "events/s", 101, 20000
	res.RouterCPUSeconds, res.RouterCPUCores, res.RouterCPUUsPerOp = 0.24, 0.12, 12
	res.RouterRSSBeforeBytes, res.RouterRSSBytes = 58<<20, 61<<20
	var one strings.Builder
	PrintSummary(&one, res)
	if s := one.String(); !strings.Contains(s, "  router CPU 0.24s in the window (0.12 cores), 12.00 µs per event\n") ||
		strings.Contains(s, "routers") || strings.Contains(s, "node1") {
		t.Errorf("one router process: want the router CPU line and no per-process lines:\n%s", s)
	}

	res.Routers = []RouterProc{
		{Label: "node1", PID: 17403, CPUSeconds: 0.13, CPUCores: 0.065, CPUUsPerOp: 6.5, RSSBytes: 31 << 20, RSSBeforeBytes: 29 << 20},
		{Label: "node2", PID: 17406, CPUSeconds: 0.11, CPUCores: 0.055, CPUUsPerOp: 5.5, RSSBytes: 30 << 20, RSSBeforeBytes: 29 << 20},
	}
	var out strings.Builder
	PrintSummary(&out, res)
	want := "  router CPU 0.24s in the window (0.12 cores), 12.00 µs per event\n" +
		"  routers   2 processes, the router figures are their sums:\n" +
		"    node1  pid 17403   CPU 0.13s (0.07 cores), 6.50 µs per event   RSS 31.0 MiB (+2.0 MiB)\n" +
		"    node2  pid 17406   CPU 0.11s (0.06 cores), 5.50 µs per event   RSS 30.0 MiB (+1.0 MiB)\n" +
		"    total              CPU 0.24s (0.12 cores), 12.00 µs per event   RSS 61.0 MiB (+3.0 MiB)\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("summary lacks\n%s\nin\n%s", want, out.String())
	}

	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Routers []map[string]any `json:"routers"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Routers) != 2 || m.Routers[1]["label"] != "node2" || m.Routers[1]["pid"] != 17406.0 || m.Routers[0]["cpu_us_per_op"] != 6.5 ||
		m.Routers[0]["cpu_s"] != 0.13 || m.Routers[0]["cpu_cores"] != 0.065 || m.Routers[0]["rss_bytes"] != float64(31<<20) || m.Routers[0]["rss_before_bytes"] != float64(29<<20) {
		t.Errorf("JSON routers: %v", m.Routers)
	}
	res.Routers = nil
	if b, _ := json.Marshal(res); strings.Contains(string(b), `"routers"`) {
		t.Errorf("one router process: the JSON has a routers list")
	}
}

// TestSummarySpreadURLs: callees or subscribers on other URLs than --url
// are said in the summary.
func TestSummarySpreadURLs(t *testing.T) {
	res := fakeResult("rpc", 1000, 100)
	res.Target.CalleeURL = "rs://127.0.0.1:2"
	var out strings.Builder
	PrintSummary(&out, res)
	if want := "  callees   on rs://127.0.0.1:2 (the callers on ws://127.0.0.1:1/ws)\n"; !strings.Contains(out.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, out.String())
	}
	res.Target.CalleeURL, res.Target.SubURLs = "", []string{"ws://127.0.0.1:1/ws", "rs://127.0.0.1:2"}
	out.Reset()
	PrintSummary(&out, res)
	if want := "  subs      on ws://127.0.0.1:1/ws, rs://127.0.0.1:2 in turn (the publishers on ws://127.0.0.1:1/ws)\n"; !strings.Contains(out.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, out.String())
	}
}
