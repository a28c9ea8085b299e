package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	if err := WriteReport(new(bytes.Buffer), "x", nil); err == nil {
		t.Error("empty report accepted")
	}

	chromium := findChromium()
	if chromium == "" {
		t.Log("no chromium installed: headless rendering check skipped")
		return
	}
	dom, logs := renderHeadless(t, chromium, dir, "report.html", page)
	if bad := scriptErrors(logs); bad != "" {
		t.Fatalf("script errors while rendering: %s", bad)
	}
	for _, want := range []string{"crossbar", "wampd-&lt;rpc&gt;", "<polyline"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
}

// TestHeadlessCatchesScriptErrors proves that the rendering check above
// can fail: a page with a broken script must be caught.
func TestHeadlessCatchesScriptErrors(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		t.Skip("no chromium installed")
	}
	page := `<!doctype html><html><body><p id="x">ok</p><script>nosuchFunction();</script></body></html>`
	dom, logs := renderHeadless(t, chromium, t.TempDir(), "broken.html", page)
	if !strings.Contains(dom, `<p id="x">ok</p>`) {
		t.Errorf("page not rendered: %s", dom)
	}
	if scriptErrors(logs) == "" {
		t.Fatalf("a script error went unnoticed; chromium logged:\n%s", logs)
	}
}

// findChromium returns the path of a Chromium-family browser, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// renderHeadless loads page (written to dir/name) in a headless browser
// with a fresh profile and no network chatter, and returns the DOM it
// built and its log. It is bounded in time: the browser and every process
// it spawned (its own process group) are killed after 30s.
func renderHeadless(t *testing.T, chromium, dir, name, page string) (dom, logs string) {
	t.Helper()
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "chromium-profile"),
		"--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+file)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second // helpers that inherited the pipes must not hold Wait
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish in 30s: %s", stderr.String())
	}
	if err != nil {
		t.Fatalf("chromium: %v: %s", err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// scriptErrors returns the lines of a headless browser's log that report
// page script errors or console output (the report page has no script, so
// any console line is unexpected), or "".
func scriptErrors(logs string) string {
	var bad []string
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "Uncaught") || strings.Contains(line, ":CONSOLE") {
			bad = append(bad, strings.TrimSpace(line))
		}
	}
	return strings.Join(bad, "\n")
}
