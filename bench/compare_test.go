package bench

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPrintCompare(t *testing.T) {
	w := &Result{Throughput: 3000, Expected: 1000, Lost: 10, RouterCPUUsPerOp: 0.5, ClientCPUUsPerOp: 0.25,
		RouterRSSBeforeBytes: 10 << 20, RouterRSSBytes: 12 << 20, Latency: Latency{P50: 100, P99: 2000, P999: 3000}}
	n := &Result{Throughput: 1500, Errors: 2, ErrorSamples: []string{"subscriber 1: slow consumer | x"}}
	var b strings.Builder
	PrintCompare(&b, []CompareRow{
		{Shape: "s", What: "fan-out", Server: "wampd", Result: w},
		{Shape: "s", What: "fan-out", Server: "nats-server", Result: n},
		{Shape: "r", What: "rpc", Server: "wampd", Err: "bench: setup"},
	})
	out := b.String()
	for _, want := range []string{
		"| fan-out | wampd | 3,000 | 2.00 | 10 (1.00%) | 100µs | 2.00ms | 3.00ms | 0.50 | +2.0 MiB | 0.25 |  |\n",
		"| fan-out | nats-server | 1,500 |  | 0 |",
		"| – | – | 2 errors (subscriber 1: slow consumer \\| x) |\n",
		"| rpc | wampd | – | – | – | – | – | – | – | – | – | failed: bench: setup |\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if got := strings.Count(out, "\n"); got != 5 {
		t.Errorf("%d lines, want header, rule and 3 rows:\n%s", got, out)
	}
}

func TestCompareShapes(t *testing.T) {
	names := map[string]bool{}
	for _, s := range CompareShapes(200, 128) {
		names[s.Name] = true
		c := s.Config
		c.Defaults()
		switch {
		case strings.HasPrefix(s.Name, "fanout-1000"):
			if c.Subscribers != 1000 {
				t.Errorf("%s: %d subscribers", s.Name, c.Subscribers)
			}
		case s.Name == "rpc-8x16":
			if c.Callers != 8 || c.InFlight != 16 || c.Callees != 1 || c.Rate != 0 {
				t.Errorf("%s: %+v", s.Name, c)
			}
		}
		if strings.HasSuffix(s.Name, "-rate") != (c.Rate == 200) {
			t.Errorf("%s: rate %v", s.Name, c.Rate)
		}
	}
	if len(names) != 7 {
		t.Errorf("shapes %v", names)
	}
	_, err := RunCompare(testCtx(t, 5*time.Second), CompareConfig{Shapes: []string{"nosuch"}})
	if !errors.Is(err, ErrConfig) {
		t.Errorf("unknown shape: %v", err)
	}
}
