package engine

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gobwas/ws/wsutil"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/auth"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/internal/chromium"
)

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

// joinJSON says HELLO to realm1 as an anonymous caller/callee/subscriber/
// publisher and returns the session id of the WELCOME.
func (c *client) joinJSON() int64 {
	c.t.Helper()
	c.send(`[1,"realm1",{"roles":{"caller":{},"callee":{},"publisher":{},"subscriber":{}}}]`)
	m := c.mustRecv()
	if msgType(m) != int(codec.Welcome) {
		c.t.Fatalf("got %v, want WELCOME", m)
	}
	return int64(m[1].(float64))
}

// TestConsoleInChromium loads the console from the metrics listener in
// headless Chromium (chromedp) against a live router on loopback ports
// the kernel picked: the page runs without script errors, lists the
// session the test joined with its registration and subscription, draws
// the rate chart from the counters while the test publishes, and kills the
// session with a click on its button. It saves a screenshot in the test's
// temp dir and checks it is not blank. Bounded: everything ends in 60s.
func TestConsoleInChromium(t *testing.T) {
	chromium := needChromium(t)
	cfg := testConfig()
	cfg.Metrics.Listen = "127.0.0.1:0"
	rt, _ := startRouter(t, cfg)

	victim := dialWS(t, rt)
	id := victim.joinJSON()
	victim.send(`[64,1,{"invoke":"roundrobin"},"com.console.proc"]`)
	if m := victim.mustRecv(); msgType(m) != int(codec.Registered) {
		t.Fatalf("got %v, want REGISTERED", m)
	}
	victim.send(`[32,2,{},"com.console.topic"]`)
	if m := victim.mustRecv(); msgType(m) != int(codec.Subscribed) {
		t.Fatalf("got %v, want SUBSCRIBED", m)
	}
	pub := dialWS(t, rt)
	pub.joinJSON()

	dir := t.TempDir()
	bctx, pageErrors := openBrowser(t, chromium, dir)

	url := "http://" + rt.MetricsAddr().String() + "/console/"
	row := fmt.Sprintf(`#sessions tr[data-session="%d"]`, id)
	if err := chromedp.Do(bctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.WaitVisible(chromedp.CSS(`#registrations tr[data-registration]`)),
		chromedp.WaitVisible(chromedp.CSS(`#subscriptions tr[data-subscription]`)),
	); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	sessions := text(t, bctx, "sessions")
	registrations := text(t, bctx, "registrations")
	subscriptions := text(t, bctx, "subscriptions")
	if !strings.Contains(sessions, fmt.Sprint(id)) || !strings.Contains(sessions, "websocket") ||
		!strings.Contains(sessions, "anonymous") || !strings.Contains(sessions, "(this console)") {
		t.Errorf("session table: %q", sessions)
	}
	if !strings.Contains(registrations, "com.console.proc") || !strings.Contains(registrations, "roundrobin") ||
		!strings.Contains(registrations, fmt.Sprint(id)) {
		t.Errorf("registration table: %q", registrations)
	}
	if !strings.Contains(subscriptions, "com.console.topic") {
		t.Errorf("subscription table: %q", subscriptions)
	}
	// The queue columns come from wampd's extension of wamp.session.get:
	// a WebSocket session has a number in each.
	if head, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`table:has(#sessions) thead`))); err != nil ||
		!strings.Contains(head, "queued bytes") || !strings.Contains(head, "dropped") {
		t.Errorf("session table head %q (%v), want queued bytes and dropped columns", head, err)
	}
	for _, col := range []string{"queued", "dropped"} {
		v, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(row+" td."+col)))
		if _, perr := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err != nil || perr != nil {
			t.Errorf("%s cell of session %d = %q (%v), want a number", col, id, v, err)
		}
	}

	// Publish to the victim's topic until the chart shows a rate: the page
	// samples the counters every second.
	stop := make(chan struct{})
	published := make(chan error, 1)
	go func() { // owned here: ends when stop closes or a write fails
		for i := 0; ; i++ {
			select {
			case <-stop:
				published <- nil
				return
			case <-time.After(20 * time.Millisecond):
			}
			msg := fmt.Sprintf(`[16,%d,{},"com.console.topic",[%d]]`, 100+i, i)
			_ = pub.conn.SetWriteDeadline(time.Now().Add(testTimeout))
			if err := wsutil.WriteClientText(pub.conn, []byte(msg)); err != nil {
				published <- err
				return
			}
		}
	}()
	moving, err := chromedp.Run(bctx, chromedp.Poll[bool](
		`(c => Number(c.dataset.points || 0) >= 2 && Number(c.dataset.in || 0) > 0)(document.getElementById("rates"))`,
		chromedp.WithPollingTimeout(15*time.Second)))
	close(stop)
	if perr := <-published; perr != nil {
		t.Fatalf("publishing: %v", perr)
	}
	if err != nil || !moving {
		t.Fatalf("the rate chart never showed a rate: %v", err)
	}

	shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	file := filepath.Join(dir, "console.png")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	notBlank(t, shot)

	// Kill the victim with its button: the router says GOODBYE
	// wamp.close.killed to it and the row goes.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`button.kill[data-session="%d"]`, id)))); err != nil {
		t.Fatalf("click kill: %v", err)
	}
	for {
		m, err := victim.recv()
		if err != nil {
			t.Fatalf("victim: %v before GOODBYE", err)
		}
		if msgType(m) == int(codec.Event) {
			continue
		}
		if msgType(m) != int(codec.Goodbye) || m[2] != string(codec.CloseKilled) {
			t.Fatalf("victim got %v, want GOODBYE %s", m, codec.CloseKilled)
		}
		break
	}
	if err := chromedp.Do(bctx, chromedp.WaitNotPresent(chromedp.CSS(row))); err != nil {
		t.Fatalf("the killed session's row stayed: %v", err)
	}
	status := text(t, bctx, "status")
	if !strings.Contains(status, fmt.Sprintf("killed session %d", id)) {
		t.Errorf("status after kill: %q", status)
	}
	if errs := pageErrors(); len(errs) > 0 {
		t.Errorf("the page reported errors:\n%s", strings.Join(errs, "\n"))
	}
}

// openBrowser starts headless Chromium with a fresh profile under dir and
// no network chatter, and opens a tab whose script errors, uncaught
// exceptions, warnings and browser error log (a failed load) pageErrors
// returns. The browser is killed when the test ends, and after 60s at the
// latest.
func openBrowser(t *testing.T, chromium, dir string) (tab context.Context, pageErrors func() []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(filepath.Join(dir, "chromium-profile")),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 1000),
	)
	t.Cleanup(acancel)
	tab, tcancel := chromedp.NewContext(actx)
	t.Cleanup(tcancel)

	// Subscribe before the page loads.
	var mu sync.Mutex
	var errs []string
	messages := chromedp.Console(tab)
	go func() { // owned here: ends with tab
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleException, chromedp.ConsoleWarning:
				mu.Lock()
				errs = append(errs, string(m.Type)+": "+m.Text)
				mu.Unlock()
			}
		}
	}()
	return tab, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

// text is the text of the element with id.
func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("text of #%s: %v", id, err)
	}
	return s
}

// notBlank fails t unless the PNG shot has more than one colour.
func notBlank(t *testing.T, shot []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	b := img.Bounds()
	first := img.At(b.Min.X, b.Min.Y)
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			if img.At(x, y) != first {
				return
			}
		}
	}
	t.Fatal("the screenshot is blank")
}

// TestOpsFixture: examples/ops.yaml is the fixture the operations issue
// describes; moved to ports the kernel picks, it serves the metrics,
// health and console endpoints on the admin listener and the bridge of
// realm1 accepts bridge-token-1 and refuses a request without it.
func TestOpsFixture(t *testing.T) {
	cfg, err := config.Load("../examples/ops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fixtureRealm1(t, cfg)
	b := cfg.Realms[0].Bridge
	if b == nil || b.Listen != "127.0.0.1:8090" || len(b.Principals) != 1 ||
		b.Principals[0].AuthID != "bridge" || b.Principals[0].Role != "anonymous" {
		t.Fatalf("bridge %+v", b)
	}
	if cfg.Metrics.Listen != "127.0.0.1:9100" {
		t.Fatalf("metrics %+v", cfg.Metrics)
	}
	cfg.Listeners[0].Listen, cfg.Listeners[1].Listen = "127.0.0.1:0", "127.0.0.1:0"
	b.Listen, cfg.Metrics.Listen = "127.0.0.1:0", "127.0.0.1:0"
	rt, _ := startRouter(t, cfg)

	admin := "http://" + rt.MetricsAddr().String()
	for _, path := range []string{"/metrics", "/healthz", "/readyz", "/console/", "/console/wamp.js", "/console/api/realms", "/console/api/stats"} {
		code, body := httpGet(t, admin+path)
		if code != http.StatusOK {
			t.Errorf("GET %s = %d %q", path, code, body)
		}
		if path == "/console/api/realms" && !strings.Contains(body, `"realms":["realm1"]`) ||
			path == "/console/api/realms" && !strings.Contains(body, endpoint(t, rt, config.TransportWebSocket).URL) {
			t.Errorf("GET %s = %s", path, body)
		}
	}

	bridge := "http://" + rt.BridgeAddr("realm1").String() + "/publish"
	for _, tc := range []struct {
		name, auth string
		code       int
	}{
		{"without a token", "", http.StatusUnauthorized},
		{"with bridge-token-1", "Bearer bridge-token-1", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, bridge, strings.NewReader(`{"topic":"com.example.t","args":[1]}`))
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := (&http.Client{Timeout: testTimeout}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Errorf("POST /publish = %d %s, want %d", resp.StatusCode, body, tc.code)
			}
		})
	}
}

// TestConsoleLoginInChromium: with metrics.console_auth the page asks for
// the ticket of the configured principal; a wrong ticket is refused and
// asked again, the right one logs the console in with the principal's role,
// which may kill sessions, while an anonymous session may not kill the
// console's.
func TestConsoleLoginInChromium(t *testing.T) {
	chromium := needChromium(t)
	hash, err := auth.HashTicket("admin-secret-1", auth.DefaultHashParams)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(`
listeners:
  - {listen: 127.0.0.1:0, transports: [websocket], ws_path: /ws}
realms:
  - name: realm1
    anonymous: true
    auth:
      ticket:
        principals: [{authid: admin, role: admin, ticket: "` + hash + `"}]
    roles:
      - name: anonymous
        permissions:
          - {uri: com., match: prefix, allow: {call: true, register: true, publish: true, subscribe: true}}
      - name: admin
        permissions:
          - {uri: "", match: prefix, allow: {call: true, subscribe: true}}
metrics:
  listen: 127.0.0.1:0
  console_auth: {authid: admin}
`))
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Fatalf("warnings: %q", w)
	}
	rt, _ := startRouter(t, cfg)
	victim := dialWS(t, rt)
	id := victim.joinJSON()

	tab, pageErrors := openBrowser(t, chromium, t.TempDir())
	url := "http://" + rt.MetricsAddr().String() + "/console/"
	if err := chromedp.Do(tab,
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("ticket")),
		chromedp.SendKeys(chromedp.ID("ticket"), "wrong-ticket"),
		chromedp.Click(chromedp.ID("login-button")),
	); err != nil {
		t.Fatalf("login form: %v", err)
	}
	refused, err := chromedp.Run(tab, chromedp.Poll[bool](
		`document.getElementById("status").textContent.includes("wamp.error.") && !document.getElementById("login").hidden`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || !refused {
		t.Fatalf("a wrong ticket was not refused: %v; status %q", err, text(t, tab, "status"))
	}

	row := fmt.Sprintf(`#sessions tr[data-session="%d"]`, id)
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.ID("ticket"), "admin-secret-1"),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.WaitNotVisible(chromedp.ID("login")),
	); err != nil {
		t.Fatalf("logging in: %v; status %q", err, text(t, tab, "status"))
	}
	if st := text(t, tab, "status"); !strings.Contains(st, "as admin (admin)") {
		t.Errorf("status after login: %q", st)
	}
	self, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`#sessions tr.self td`)))
	if err != nil {
		t.Fatal(err)
	}

	// The anonymous role may not kill the console's session ...
	victim.send(`[48,7,{},"wamp.session.kill",[` + self + `]]`)
	if m := victim.mustRecv(); msgType(m) != int(codec.Error) || m[4] != "wamp.error.not_authorized" {
		t.Fatalf("anonymous wamp.session.kill: got %v, want ERROR wamp.error.not_authorized", m)
	}
	// ... and the console's admin role may kill the victim's.
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(fmt.Sprintf(`button.kill[data-session="%d"]`, id)))); err != nil {
		t.Fatalf("click kill: %v", err)
	}
	if m := victim.mustRecv(); msgType(m) != int(codec.Goodbye) || m[2] != string(codec.CloseKilled) {
		t.Fatalf("victim got %v, want GOODBYE %s", m, codec.CloseKilled)
	}
	if err := chromedp.Do(tab, chromedp.WaitNotPresent(chromedp.CSS(row))); err != nil {
		t.Fatalf("the killed session's row stayed: %v", err)
	}
	if errs := pageErrors(); len(errs) > 0 {
		t.Errorf("the page reported errors:\n%s", strings.Join(errs, "\n"))
	}
}
