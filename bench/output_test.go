package bench

import (
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
