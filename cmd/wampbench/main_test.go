package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary stand in for wampbench as the raw server
// child process that --target raw starts through os.Executable.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "raw-server" {
		os.Exit(rawServer(os.Args[2:]))
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
