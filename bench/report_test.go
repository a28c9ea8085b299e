package bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fakeResult(name string, thr, p99 float64) *Result {
	return &Result{Name: name, Scenario: ScenarioRPC, Target: TargetInfo{URL: "ws://127.0.0.1:1/ws", Kind: "router", Serializer: "json", Transport: "websocket"},
		LoadModel: "closed", Throughput: thr, ThroughputUnit: "calls/s", Sent: 100, Received: 100,
		Machine: Machine{CPUModel: "Test CPU", Cores: 4, GoVersion: "go1.26"},
		Latency: Latency{Count: 100, P50: 50, P90: 80, P99: p99, P999: p99 * 2, P9999: p99 * 3, MaxUs: p99 * 4,
			Curve: []CurvePoint{{0, 10}, {50, 50}, {90, 80}, {99, p99}, {99.9, p99 * 2}, {99.99, p99 * 3}, {100, p99 * 4}}}}
}

func TestReportHoldsRunsAndFigures(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, r := range []*Result{fakeResult("wampd-<rpc>", 123456, 321), fakeResult("crossbar", 45678, 4321)} {
		p := filepath.Join(dir, r.Name+".json")
		if err := WriteJSON(p, r); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var rs []*Result
	for _, p := range paths {
		r, err := ReadJSON(p)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	var buf bytes.Buffer
	if err := WriteReport(&buf, "wampd vs crossbar", rs); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"wampd-&lt;rpc&gt;", "crossbar", "123456 calls/s", "45678 calls/s", "321µs", "4.32ms", "<polyline", "<rect", "Test CPU"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "wampd-<rpc>") {
		t.Error("run name not escaped")
	}
	if strings.Contains(page, "http://") && !strings.Contains(page, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("page references an external resource")
	}
	if n := strings.Count(page, "<polyline"); n != 2 {
		t.Errorf("%d latency curves, want 2", n)
	}
	if err := WriteReport(&buf, "x", nil); err == nil {
		t.Error("empty report accepted")
	}

	chromium := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		t.Log("no chromium installed: headless rendering check skipped")
		return
	}
	html := filepath.Join(dir, "report.html")
	if err := os.WriteFile(html, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
		"--dump-dom", "file://"+html)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	var out []byte
	go func() { var err error; out, err = cmd.Output(); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium: %v: %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("chromium did not finish in 30s")
	}
	if strings.Contains(stderr.String(), "Uncaught") || strings.Contains(stderr.String(), "CONSOLE") {
		t.Fatalf("script errors while rendering: %s", stderr.String())
	}
	if !strings.Contains(string(out), "crossbar") {
		t.Fatal("rendered DOM lacks the runs")
	}
}
