package bench

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDropPolicyWampd checks the wampd of the above-capacity fan-out rows:
// its configuration file selects the drop policy, it starts with it next to
// the listener flags, and both counters the rows read are exported.
func TestDropPolicyWampd(t *testing.T) {
	bin, err := wampdBinary()
	if err != nil {
		t.Fatalf("wampd does not build: %v", err)
	}
	f := &fullRun{cfg: FullConfig{Wampd: bin, OutDir: t.TempDir(), Log: io.Discard}, ctx: context.Background()}
	w, err := f.startWampdConfig("wampd-drop", []string{"realm1"}, nil, dropPolicyConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	out, err := exec.Command(bin, "check-config", filepath.Join(f.cfg.OutDir, "wampd-drop.yaml")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "outbound_policy=drop") {
		t.Fatalf("check-config: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, name := range []string{"wampd_dropped_events_total", "wampd_slow_disconnects_total"} {
		if v, ok := w.Counter(ctx, name); !ok || v != 0 {
			t.Errorf("%s = %v, %v; want 0, true", name, v, ok)
		}
	}
}

func TestOverloadPass(t *testing.T) {
	for _, c := range []struct {
		r                 Result
		dropped, slowDisc uint64
		want              bool
	}{
		{Result{Lost: 0}, 0, 0, true},
		{Result{Lost: 100}, 150, 0, true},
		{Result{Lost: 100}, 0, 0, false},      // losses nobody counted
		{Result{Lost: 100}, 150, 64, false},   // the router disconnected sessions
		{Result{Disconnects: 1}, 0, 0, false}, // a session closed
		{Result{Lost: 1, Errors: 1}, 5, 0, false},
	} {
		if got := overloadPass(&c.r, c.dropped, c.slowDisc); got != c.want {
			t.Errorf("overloadPass(lost %d, disc %d, errs %d, dropped %d, slow %d) = %v", c.r.Lost, c.r.Disconnects, c.r.Errors, c.dropped, c.slowDisc, got)
		}
	}
}

func TestSplitByProcsAndMedian(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkFourRealms     	  500000	       800.0 ns/op	       1 B/op	       0 allocs/op
BenchmarkFourRealms-2   	  500000	       400.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkFourRealms     	  500000	       900.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkFourRealms-2   	  500000	       600.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkFourRealms     	  500000	       700.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkFourRealms-2   	  500000	       500.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkFourRealms-4   	  500000	       100.0 ns/op	       0 B/op	       0 allocs/op
PASS
`)
	one, two, lines := splitByProcs(out)
	if len(one) != 3 || len(two) != 3 || len(lines) != 7 {
		t.Fatalf("one %v, two %v, %d lines; want 3, 3, 7", one, two, len(lines))
	}
	if m1, m2 := median(one), median(two); m1 != 800 || m2 != 500 {
		t.Errorf("medians %v and %v, want 800 and 500", m1, m2)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of an even count = %v, want 2.5", m)
	}
}
