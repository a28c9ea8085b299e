package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wampd/wampd/bench"
)

// TestMain lets the test binary stand in for wampbench as the raw server
// and nats-server child processes that --target raw and --target nats
// start through os.Executable.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "raw-server" {
		os.Exit(rawServer(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "nats-server" {
		os.Exit(natsServer(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func TestRunWritesJSONAndReport(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for _, tc := range []struct {
		args []string
		out  string
	}{
		{[]string{"rpc", "--target", "raw", "--name", "raw-json", "--duration", "400ms", "--warmup", "100ms", "--quiet", "--json", a}, a},
		{[]string{"fanout", "--target", "raw", "--name", "raw-fanout", "--url", "rs://127.0.0.1:1", "--serializer", "cbor",
			"--subscribers", "20", "--rate", "500", "--duration", "400ms", "--warmup", "100ms", "--quiet", "--json", b}, b},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			if code := run(tc.args); code != 0 {
				t.Fatalf("exit code %d", code)
			}
			raw, err := os.ReadFile(tc.out)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			if m["sent"].(float64) == 0 || m["sent"] != m["expected"] && tc.args[0] == "rpc" {
				t.Fatalf("sent %v expected %v", m["sent"], m["expected"])
			}
			// The raw server ran as a child process: its CPU time is
			// measured (closed-loop rpc keeps it busy for many clock ticks).
			if tc.args[0] == "rpc" && m["router_cpu_s"].(float64) <= 0 || m["router_cpu_us_per_op"].(float64) <= 0 {
				t.Errorf("raw server child's CPU time not measured: %v, %v", m["router_cpu_s"], m["router_cpu_us_per_op"])
			}
			if m["flags"].(map[string]any)["duration"] != "400ms" {
				t.Fatalf("flags not recorded: %v", m["flags"])
			}
		})
	}
	html := filepath.Join(dir, "report.html")
	if code := run([]string{"report", a, b, "-o", html}); code != 0 {
		t.Fatalf("report exit code %d", code)
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"raw-json", "raw-fanout", "calls/s", "events/s", "<svg"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{{}, {"rpc", "--serializer", "xml"}, {"rpc", "--target", "moon"}, {"nosuch", "--target", "raw", "--duration", "10ms"}, {"report"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if code := run(args); code == 0 {
				t.Fatal("accepted")
			}
		})
	}
}

// runOut runs wampbench with args and returns its exit code and output.
func runOut(t *testing.T, args ...string) (code int, out, errOut string) {
	t.Helper()
	var o, e strings.Builder
	stdout, stderr = &o, &e
	defer func() { stdout, stderr = os.Stdout, os.Stderr }()
	code = run(args)
	return code, o.String(), e.String()
}

// TestHelp: --help lists every scenario with a line and exits 0; each
// scenario's --help lists its own flags and the common ones, and says
// which load model --rate gives by default instead of "-1".
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, errOut := runOut(t, args...)
		if code != 0 || errOut != "" {
			t.Fatalf("wampbench %v: exit %d, stderr %q", args, code, errOut)
		}
		for _, s := range bench.Scenarios {
			sc, ok := findScenario(s)
			if !ok || !strings.Contains(out, "  "+s+strings.Repeat(" ", 9-len(s))+sc.summary+"\n") {
				t.Errorf("wampbench %v does not list scenario %s with its line:\n%s", args, s, out)
			}
		}
	}
	if code, _, errOut := runOut(t); code != 2 || !strings.Contains(errOut, "scenarios:") {
		t.Errorf("wampbench without arguments: exit %d, stderr %q; want 2 and the usage", code, errOut)
	}
	for _, tc := range []struct {
		scenario, rate string
		has, lacks     []string
	}{
		{"rpc", "(default: closed loop)", []string{"-callers int", "-callees int", "-shared", "-url string"}, []string{"-slow-rate", "-subscribers"}},
		{"fanout", "(default: open loop at 100 publications/s)", []string{"-subscribers int\n    \tsubscriber sessions (default 1000)"}, []string{"-callers"}},
		{"slow", "(default: open loop at 1000 publications/s)", []string{"-slow-fraction", "-subscribers int\n    \tsubscriber sessions (default 100)"}, []string{"-callees"}},
		{"conns", "(default: closed loop", []string{"-sessions int", "-dialers int"}, []string{"-topics"}},
		{"pubsub", "(default: closed loop)", []string{"-publishers int", "-topics int"}, []string{"-sessions"}},
	} {
		code, out, errOut := runOut(t, tc.scenario, "--help")
		if code != 0 || errOut != "" {
			t.Errorf("wampbench %s --help: exit %d, stderr %q", tc.scenario, code, errOut)
		}
		if !strings.Contains(out, "-rate N\n") || !strings.Contains(out, tc.rate) || strings.Contains(out, "-1") {
			t.Errorf("wampbench %s --help: --rate not described as %q:\n%s", tc.scenario, tc.rate, out)
		}
		for _, h := range tc.has {
			if !strings.Contains(out, h) {
				t.Errorf("wampbench %s --help lacks %q", tc.scenario, h)
			}
		}
		for _, l := range tc.lacks {
			if strings.Contains(out, l) {
				t.Errorf("wampbench %s --help lists %q, a flag of another scenario", tc.scenario, l)
			}
		}
	}
	if code, _, errOut := runOut(t, "rpc", "--bogus"); code != 2 || strings.Count(errOut, "flag provided but not defined: -bogus") != 1 {
		t.Errorf("bad flag: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runOut(t, "nosuch"); code != 2 || !strings.Contains(errOut, `unknown scenario or command "nosuch"`) {
		t.Errorf("unknown scenario: exit %d, stderr %q", code, errOut)
	}
}

// TestNATSTargetChild: --target nats starts nats-server as a child process
// of its own, whose RSS (and CPU) is measured as a router's.
func TestNATSTargetChild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nats.json")
	code, out, errOut := runOut(t, "fanout", "--target", "nats", "--subscribers", "3", "--rate", "500", "--duration", "300ms",
		"--warmup", "100ms", "--quiet", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	res, err := bench.ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Target.Kind != "nats" || res.Sent == 0 || res.Received != 3*res.Sent || res.Lost != 0 {
		t.Fatalf("target %s: sent %d received %d lost %d", res.Target.Kind, res.Sent, res.Received, res.Lost)
	}
	if res.RouterRSSBytes <= 0 || res.RouterRSSBeforeBytes <= 0 {
		t.Fatalf("nats-server child's RSS not measured: %d, %d", res.RouterRSSBeforeBytes, res.RouterRSSBytes)
	}
}

// TestCompare runs two shapes of `wampbench compare` against a wampd built
// for the test and nats-server: one table, a row per shape and server.
func TestCompare(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "wampd")
	if out, err := exec.Command("go", "build", "-o", bin, "../wampd").CombinedOutput(); err != nil {
		t.Fatalf("wampd does not build: %v: %s", err, out)
	}
	code, out, errOut := runOut(t, "compare", "--wampd", bin, "--shapes", "fanout-100-rate,rpc-1x1", "--duration", "300ms",
		"--warmup", "100ms", "--rate", "100", "--quiet", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, out, errOut)
	}
	for _, want := range []string{"| shape | server | delivered/s", "| fan-out 1→100, 100 publications/s | wampd |",
		"| fan-out 1→100, 100 publications/s | nats-server |", "| RPC / request-reply 1×1 | wampd |", "| RPC / request-reply 1×1 | nats-server |"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "failed") {
		t.Errorf("a run failed:\n%s", out)
	}
	for _, f := range []string{"compare.json", "wampd.log", "fanout-100-rate-wampd.json", "rpc-1x1-nats.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

// TestParsePIDs: --router-pid takes one process id or several
// comma-separated; 0 is none, as before it took a list.
func TestParsePIDs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{{"", nil}, {"0", nil}, {"123", []int{123}}, {"123,456,789", []int{123, 456, 789}}, {"123, 456", []int{123, 456}}} {
		got, err := parsePIDs(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parsePIDs(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"abc", "123,", ",123", "123,-4", "0,5", "123,456,123", "1.5"} {
		if got, err := parsePIDs(in); err == nil {
			t.Errorf("parsePIDs(%q) = %v, want an error", in, got)
		}
	}
}

// TestClusterFlags: --callee-url, --sub-urls and --router-pid reach the
// configuration and are recorded as given.
func TestClusterFlags(t *testing.T) {
	cfg, _, err := parseFlags("fanout", []string{"--url", "ws://127.0.0.1:1/ws", "--sub-urls", "ws://127.0.0.1:1/ws,rs://127.0.0.1:2",
		"--router-pid", "123,456", "--quiet"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.SubURLs, []string{"ws://127.0.0.1:1/ws", "rs://127.0.0.1:2"}) || !slices.Equal(cfg.RouterPIDs, []int{123, 456}) ||
		cfg.CalleeURL != "" || cfg.Flags["router-pid"] != "123,456" {
		t.Errorf("sub URLs %q, pids %v, callee URL %q, flags %v", cfg.SubURLs, cfg.RouterPIDs, cfg.CalleeURL, cfg.Flags)
	}
	cfg, _, err = parseFlags("rpc", []string{"--callee-url", "rs://127.0.0.1:2", "--router-pid", "123", "--quiet"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CalleeURL != "rs://127.0.0.1:2" || cfg.URL != "ws://127.0.0.1:8080/ws" || !slices.Equal(cfg.RouterPIDs, []int{123}) || cfg.SubURLs != nil {
		t.Errorf("callee URL %q, URL %q, pids %v, sub URLs %q", cfg.CalleeURL, cfg.URL, cfg.RouterPIDs, cfg.SubURLs)
	}
	if code, _, errOut := runOut(t, "rpc", "--router-pid", "12,x"); code != 2 || !strings.Contains(errOut, `"x" is not a process id`) {
		t.Errorf("bad --router-pid: exit %d, stderr %q", code, errOut)
	}
}
