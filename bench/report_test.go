package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wampd/wampd/internal/chromium"
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

	chromium := needChromium(t)
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

// TestReportLayout renders a report as a user would open it, in a 1280 px
// wide headless Chromium window, with what makes it hard to lay out: a long
// run name, a wide table, two throughput units and raw baselines. The page
// must not be wider than the window (the table scrolls inside its own box),
// no chart label may stick out of its chart, calls/s and events/s get a
// chart each, and every baseline latency curve is drawn (dashed).
func TestReportLayout(t *testing.T) {
	rpc := fakeResult("wampd-json-websocket-rpc-closed-loop-64-sessions", 123456, 321)
	rpc.Baseline = &BaselineInfo{Throughput: 300000, Latency: fakeResult("raw", 1, 90).Latency, Ratio: 0.41}
	fan := fakeResult("wampd-fanout-1000-subscribers", 2345678, 800)
	fan.Scenario, fan.ThroughputUnit = ScenarioFanout, "events/s"
	fan.Baseline = &BaselineInfo{Throughput: 5000000, Latency: fakeResult("raw", 1, 200).Latency, Ratio: 0.47}
	other := fakeResult("crossbar", 45678, 4321)
	other.Machine.CPUModel = "AMD EPYC 7B13 64-Core Processor with a long model name"
	var buf bytes.Buffer
	if err := WriteReport(&buf, "wampd standard set", []*Result{rpc, fan, other}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"<h2>Throughput, calls/s</h2>", "<h2>Throughput, events/s</h2>", "300000 calls/s", "5000000 events/s"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, `<polyline fill="none" stroke="#0072B2" stroke-width="2" stroke-dasharray`); n != 1 {
		t.Errorf("%d dashed baseline curves for the rpc run, want 1", n)
	}
	if n := strings.Count(page, "<polyline"); n != 5 {
		t.Errorf("%d latency curves, want 5 (3 runs, 2 baselines)", n)
	}

	// The measuring script is added to the test's copy only: the report
	// itself has no script.
	measured := strings.Replace(page, "</body>", layoutProbe+"</body>", 1)
	dom, logs := renderHeadless(t, needChromium(t), t.TempDir(), "report.html", measured, "--window-size=1280,900")
	if bad := scriptErrors(logs); bad != "" {
		t.Fatalf("script errors while rendering: %s", bad)
	}
	_, after, ok := strings.Cut(dom, `<pre id="layout">`)
	raw, _, ok2 := strings.Cut(after, "</pre>")
	if !ok || !ok2 {
		t.Fatalf("layout probe did not run; DOM:\n%s", dom)
	}
	var got struct {
		Viewport, Page, Table, TableBox float64
		Clipped                         []string
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(raw)), &got); err != nil {
		t.Fatalf("layout probe: %v: %s", err, raw)
	}
	if got.Viewport != 1280 {
		t.Fatalf("viewport is %v px wide, want 1280 (chromium ignored --window-size?)", got.Viewport)
	}
	if got.Page > got.Viewport {
		t.Errorf("page is %v px wide, wider than the %v px window", got.Page, got.Viewport)
	}
	if got.TableBox > got.Viewport || got.Table <= got.TableBox {
		// The fixture's table is wider than the window: it must scroll in
		// its box, not stretch the page.
		t.Errorf("table %v px in a box of %v px: want it scrolling inside a box narrower than the window", got.Table, got.TableBox)
	}
	for _, c := range got.Clipped {
		t.Errorf("chart label outside its chart: %s", c)
	}
}

// layoutProbe measures the rendered page: the window's and the page's
// widths, the table's width and its scrolling box's, and every SVG text
// whose box leaves its SVG (a label the chart cuts off).
const layoutProbe = `<pre id="layout"></pre><script>
(function () {
  var out = {viewport: window.innerWidth, page: document.documentElement.scrollWidth, clipped: []};
  var box = document.querySelector(".scroll");
  out.table = box ? box.scrollWidth : 0;
  out.tableBox = box ? box.getBoundingClientRect().width : 0;
  document.querySelectorAll("svg").forEach(function (svg) {
    var s = svg.getBoundingClientRect();
    svg.querySelectorAll("text").forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (r.left < s.left - 0.5 || r.right > s.right + 0.5 || r.top < s.top - 0.5 || r.bottom > s.bottom + 0.5) {
        out.clipped.push(JSON.stringify(t.textContent) + " at " + [r.left, r.top, r.right, r.bottom].map(Math.round) + " in " + [s.left, s.top, s.right, s.bottom].map(Math.round));
      }
    });
  });
  document.getElementById("layout").textContent = JSON.stringify(out);
})();
</script>`

// TestHeadlessCatchesScriptErrors proves that the rendering check above
// can fail: a page with a broken script must be caught.
func TestHeadlessCatchesScriptErrors(t *testing.T) {
	page := `<!doctype html><html><body><p id="x">ok</p><script>nosuchFunction();</script></body></html>`
	dom, logs := renderHeadless(t, needChromium(t), t.TempDir(), "broken.html", page)
	if !strings.Contains(dom, `<p id="x">ok</p>`) {
		t.Errorf("page not rendered: %s", dom)
	}
	if scriptErrors(logs) == "" {
		t.Fatalf("a script error went unnoticed; chromium logged:\n%s", logs)
	}
}

// needChromium returns the path of the page tests' browser, failing t
// (not skipping it) when there is none.
func needChromium(t *testing.T) string {
	t.Helper()
	p, err := chromium.Path()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// renderHeadless loads page (written to dir/name) in a headless browser
// with a fresh profile and no network chatter, and returns the DOM it
// built and its log. It is bounded in time: the browser and every process
// it spawned (its own process group) are killed after 30s.
func renderHeadless(t *testing.T, chromium, dir, name, page string, flags ...string) (dom, logs string) {
	t.Helper()
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "chromium-profile"),
		"--enable-logging=stderr", "--v=0"}, flags...)
	cmd := exec.CommandContext(ctx, chromium, append(args, "--dump-dom", "file://"+file)...)
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
