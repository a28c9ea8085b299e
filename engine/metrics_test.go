package engine

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/admin"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/netpoll"
	"github.com/wampd/wampd/realm"
)

// The console's queue columns rely on it (wamp.session.get's wampd key).
var _ realm.QueueInfo = (*netpoll.Conn)(nil)

// scrape reads /metrics of rt with the client library's text parser.
func scrape(t *testing.T, rt *Router) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := httpGet(t, "http://"+rt.MetricsAddr().String()+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: status %d", code)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

// sample is the value of family name's metric with exactly labels (name,
// value pairs); ok is false when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) (v float64, ok bool) {
	mf := fams[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel())*2 != len(labels) {
			continue
		}
		for _, lp := range m.GetLabel() {
			found := false
			for i := 0; i < len(labels); i += 2 {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetUntyped() != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// TestMetricsByTransport joins one WebSocket and one RawSocket session
// and reads the per-realm, per-transport gauges and the per-realm message
// counter back from /metrics.
func TestMetricsByTransport(t *testing.T) {
	cfg := testConfig()
	cfg.Metrics.Listen = "127.0.0.1:0"
	rt, _ := startRouter(t, cfg)
	wsc, rsc := dialWS(t, rt), dialRS(t, rt)
	for _, c := range []*client{wsc, rsc} {
		c.send(`[1,"realm1",{"roles":{"subscriber":{}}}]`)
		if m := c.mustRecv(); msgType(m) != int(codec.Welcome) {
			t.Fatalf("got %v, want WELCOME", m)
		}
	}
	fams := scrape(t, rt)
	for _, tc := range []struct {
		transport string
		want      float64
	}{{"websocket", 1}, {"rawsocket", 1}} {
		if v, ok := sample(fams, "wampd_realm_transport_sessions",
			"realm", "realm1", "transport", tc.transport, "serializer", "json"); !ok || v != tc.want {
			t.Errorf("wampd_realm_transport_sessions{realm1,%s,json} = %v (present %t), want %v", tc.transport, v, ok, tc.want)
		}
	}
	if v, ok := sample(fams, "wampd_realm_sessions", "realm", "realm1"); !ok || v != 2 {
		t.Errorf("wampd_realm_sessions{realm1} = %v (present %t), want 2", v, ok)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "wampd_auth_failures_total"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	// A connection adds its messages to its realm in batches, and at close.
	wsc.conn.Close()
	deadline := time.Now().Add(testTimeout)
	for rt.Stats().Sessions != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("sessions = %d after a close, want 1", rt.Stats().Sessions)
		}
		time.Sleep(time.Millisecond)
	}
	fams = scrape(t, rt)
	if v, ok := sample(fams, "wampd_realm_messages_received_total", "realm", "realm1"); !ok || v < 1 {
		t.Errorf("wampd_realm_messages_received_total{realm1} = %v (present %t), want >= 1 (the HELLO)", v, ok)
	}
	if v, ok := sample(fams, "wampd_realm_transport_sessions",
		"realm", "realm1", "transport", "websocket", "serializer", "json"); ok {
		t.Errorf("wampd_realm_transport_sessions{realm1,websocket,json} = %v after its session closed, want it gone", v)
	}
}

// TestHealthDrain checks the probes through a router's life: /readyz is
// 200 once Start returned, and 503 for the whole graceful drain (held open
// here by a connection that never completes its transport handshake, which
// Shutdown waits for), while /healthz stays 200.
func TestHealthDrain(t *testing.T) {
	cfg := testConfig()
	cfg.Metrics.Listen = "127.0.0.1:0"
	rt, _ := startRouter(t, cfg)
	base := "http://" + rt.MetricsAddr().String()
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := httpGet(t, base+path); code != http.StatusOK {
			t.Fatalf("GET %s = %d %q before shutdown, want 200", path, code, body)
		}
	}

	idle, err := net.DialTimeout("tcp", endpoint(t, rt, "rawsocket").Addr.String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	deadline := time.Now().Add(testTimeout)
	for rt.Stats().Conns != 1 { // accepted by its event loop: Shutdown will wait for it
		if time.Now().After(deadline) {
			t.Fatalf("connections = %d, want 1", rt.Stats().Conns)
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan error, 1)
	go func() { // ends when the idle connection closes
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		done <- rt.Shutdown(ctx)
	}()
	for {
		code, _ := httpGet(t, base+"/readyz")
		if code == http.StatusServiceUnavailable {
			break
		}
		if code != http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("GET /readyz = %d after Shutdown began, want 503", code)
		}
		time.Sleep(time.Millisecond)
	}
	if code, body := httpGet(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz = %d %q during the drain, want 200", code, body)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) with a connection open", err)
	default:
	}
	idle.Close()
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if rt.Ready() {
		t.Error("Ready() after Shutdown")
	}
}

// TestScrapeNeedsNoActor scrapes a router whose realm actors never started:
// a scrape that waited on an actor (through its inbox) would hang here.
// It reads atomics only.
func TestScrapeNeedsNoActor(t *testing.T) {
	rt, err := New(testConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.h.adm.close)
	if rt.Ready() {
		t.Fatal("Ready() before Start")
	}
	reg := admin.NewRegistry(rt.adminSource())
	got := make(chan error, 1)
	go func() {
		_, err := reg.Gather()
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("Gather: %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("a scrape waited on the realm actors")
	}
}

// BenchmarkPost_Publish_JSON_Scraped is BenchmarkPost_Publish_JSON with a
// goroutine scraping the admin registry (the router's collector, Go and
// process collectors) back to back, to compare against it: the post path's
// ns/op moves only by the CPU the scraper takes (2 shared cores: 690 vs
// 640-700 ns/op over 2M ops and ~650 scrapes). B/op and allocs/op include
// the scraper's own allocations, since the runtime counts them per process
// (scrape-allocs is one scrape's, measured alone); the post path's own 0
// allocs is TestHotPathAllocs's and BenchmarkPost_Publish_JSON's to show,
// and the collector touches none of it: it loads atomics.
func BenchmarkPost_Publish_JSON_Scraped(b *testing.B) {
	r := realm.New(realm.Options{Name: "realm1"})
	r.Start()
	defer r.Stop()
	peer := &nullPeer{}
	s := &realm.Session{ID: 1, Peer: peer, AuthRole: authAnonymous, Hello: map[string]any{}}
	r.Join(s)
	peer.waitSent(b, 1) // WELCOME
	h := &handler{}
	st := &connState{sess: s, realm: r}
	src := admin.Source{
		Stats: func() admin.Stats {
			return admin.Stats{Messages: h.messages.Load(), Sessions: h.sessions.Load(),
				Realms: map[string]realm.Stats{r.Name(): r.Stats()}}
		},
		Runtime: adminRuntime,
		Traffic: func() []admin.RealmTraffic {
			return []admin.RealmTraffic{{Realm: r.Name(), Traffic: r.Traffic(), Latency: r.CallLatency()}}
		},
	}
	reg := admin.NewRegistry(src)
	gather := func() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
	gather()
	perScrape := testing.AllocsPerRun(20, gather)

	payload := []byte(`[16,1,{"acknowledge":true},"com.example.topic",[1,2,3],{"k":"v"}]`)
	var scrapes atomic.Int64
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() { // the scraper, ended by stop
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			default:
			}
			gather()
			scrapes.Add(1)
			runtime.Gosched()
		}
	}()
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for range b.N {
		h.post(st, codec.JSON, payload)
	}
	peer.waitSent(b, int64(b.N)+1) // drain the actor before the timer stops
	b.StopTimer()
	close(stop)
	<-stopped
	b.ReportMetric(float64(scrapes.Load()), "scrapes")
	b.ReportMetric(perScrape, "scrape-allocs")
}

// histogramCount is the sample count of family name's histogram with
// exactly the realm label realm; ok is false when there is none.
func histogramCount(fams map[string]*dto.MetricFamily, name, realmName string) (n uint64, ok bool) {
	for _, m := range fams[name].GetMetric() {
		if l := m.GetLabel(); len(l) == 1 && l[0].GetValue() == realmName && m.GetHistogram() != nil {
			return m.GetHistogram().GetSampleCount(), true
		}
	}
	return 0, false
}

// TestMetricsAddUp scrapes /metrics after a short RPC run, a fan-out run
// and a forced slow-consumer case (a subscriber that does not read, a 16
// KiB outbound bound, policy drop) with real clients, and checks that the
// counters are exactly what the clients did: calls, results, messages by
// type, the latency histogram's count, events delivered and dropped.
func TestMetricsAddUp(t *testing.T) {
	// slowPubs x 2 KB is more than the kernel's buffers toward the slow
	// subscriber (the router's send buffer grows to 4 MiB), so its queue
	// fills for sure.
	const calls, pubs, subs, slowPubs = 20, 10, 3, 3000
	cfg := testConfig()
	cfg.Metrics.Listen = "127.0.0.1:0"
	cfg.Limits.OutboundQueue = 16 << 10
	cfg.Limits.OutboundPolicy = config.PolicyDrop
	rt, _ := startRouter(t, cfg)

	callee, caller := dialWS(t, rt), dialRS(t, rt)
	callee.joinJSON()
	caller.joinJSON()
	callee.send(`[64,1,{},"com.metrics.proc"]`)
	if m := callee.mustRecv(); msgType(m) != int(codec.Registered) {
		t.Fatalf("got %v, want REGISTERED", m)
	}
	for i := range calls {
		caller.send(fmt.Sprintf(`[48,%d,{},"com.metrics.proc",[%d]]`, i+1, i))
		inv := callee.mustRecv()
		if msgType(inv) != int(codec.Invocation) {
			t.Fatalf("got %v, want INVOCATION", inv)
		}
		callee.send(fmt.Sprintf(`[70,%d,{},[%d]]`, int64(inv[1].(float64)), i))
		if m := caller.mustRecv(); msgType(m) != int(codec.Result) || m[1].(float64) != float64(i+1) {
			t.Fatalf("got %v, want RESULT for %d", m, i+1)
		}
	}

	readers := make([]*client, subs)
	for i := range readers {
		readers[i] = dialWS(t, rt)
		readers[i].joinJSON()
		readers[i].send(`[32,1,{},"com.metrics.topic"]`)
		if m := readers[i].mustRecv(); msgType(m) != int(codec.Subscribed) {
			t.Fatalf("got %v, want SUBSCRIBED", m)
		}
	}
	for i := range pubs {
		caller.send(fmt.Sprintf(`[16,%d,{"acknowledge":true},"com.metrics.topic",[%d]]`, 100+i, i))
		if m := caller.mustRecv(); msgType(m) != int(codec.Published) {
			t.Fatalf("got %v, want PUBLISHED", m)
		}
	}
	for _, r := range readers {
		for range pubs {
			if m := r.mustRecv(); msgType(m) != int(codec.Event) {
				t.Fatalf("got %v, want EVENT", m)
			}
		}
	}

	slow := dialSmall(t, rt) // joins; reads nothing after its SUBSCRIBED
	slow.subscribe("com.metrics.slow")
	pad := strings.Repeat("x", 2000)
	for i := range slowPubs {
		caller.send(fmt.Sprintf(`[16,%d,{},"com.metrics.slow",[%d,"%s"]]`, 1000+i, i, pad))
	}
	// One acknowledged publication after them: its PUBLISHED comes once
	// the router handled them all.
	caller.send(`[16,99999,{"acknowledge":true},"com.metrics.slow.end",[]]`)
	if m := caller.mustRecv(); msgType(m) != int(codec.Published) {
		t.Fatalf("got %v, want PUBLISHED", m)
	}

	// What each message type should count; EVENTs are checked below
	// (the slow subscriber's share depends on its socket).
	in := map[string]float64{"REGISTER": 1, "CALL": calls, "YIELD": calls, "SUBSCRIBE": subs + 1, "PUBLISH": pubs + slowPubs + 1}
	out := map[string]float64{"WELCOME": subs + 3, "REGISTERED": 1, "INVOCATION": calls, "RESULT": calls,
		"SUBSCRIBED": subs + 1, "PUBLISHED": pubs + 1}
	var fams map[string]*dto.MetricFamily
	var bad []string
	deadline := time.Now().Add(testTimeout)
	for { // the actor publishes its counters when idle: wait for it
		fams, bad = scrape(t, rt), nil
		for typ, want := range in {
			if v, _ := sample(fams, "wampd_realm_messages_in_total", "realm", "realm1", "type", typ); v != want {
				bad = append(bad, fmt.Sprintf("in %s = %v, want %v", typ, v, want))
			}
		}
		for typ, want := range out {
			if v, _ := sample(fams, "wampd_realm_messages_out_total", "realm", "realm1", "type", typ); v != want {
				bad = append(bad, fmt.Sprintf("out %s = %v, want %v", typ, v, want))
			}
		}
		if n, _ := histogramCount(fams, "wampd_realm_call_latency_seconds", "realm1"); n != calls {
			bad = append(bad, fmt.Sprintf("call latency count = %d, want %d", n, calls))
		}
		if len(bad) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, b := range bad {
		t.Error(b)
	}
	for _, name := range []string{"ERROR", "ABORT", "GOODBYE"} {
		if v, ok := sample(fams, "wampd_realm_messages_out_total", "realm", "realm1", "type", name); ok {
			t.Errorf("out %s = %v, want none", name, v)
		}
	}
	value := func(name string) float64 {
		v, ok := sample(fams, name, "realm", "realm1")
		if !ok {
			t.Errorf("/metrics lacks %s{realm=realm1}", name)
		}
		return v
	}
	if v := value("wampd_realm_calls_total"); v != calls {
		t.Errorf("wampd_realm_calls_total = %v, want %d", v, calls)
	}
	if v := value("wampd_realm_published_total"); v != pubs+slowPubs+1 {
		t.Errorf("wampd_realm_published_total = %v, want %d", v, pubs+slowPubs+1)
	}
	delivered, dropped := value("wampd_realm_events_delivered_total"), value("wampd_realm_events_dropped_total")
	if delivered+dropped != subs*pubs+slowPubs {
		t.Errorf("events delivered %v + dropped %v = %v, want %d publications x subscribers",
			delivered, dropped, delivered+dropped, subs*pubs+slowPubs)
	}
	if dropped == 0 || delivered < subs*pubs {
		t.Errorf("delivered %v, dropped %v: want the readers' %d and drops for the subscriber that does not read",
			delivered, dropped, subs*pubs)
	}
	if v, _ := sample(fams, "wampd_realm_messages_out_total", "realm", "realm1", "type", "EVENT"); v != delivered {
		t.Errorf("out EVENT = %v, want the %v delivered", v, delivered)
	}
	if v, _ := sample(fams, "wampd_dropped_events_total"); v != dropped {
		t.Errorf("wampd_dropped_events_total = %v, want the realm's %v", v, dropped)
	}
	if v := value("wampd_realm_bytes_in_total"); v < float64(slowPubs*len(pad)) {
		t.Errorf("wampd_realm_bytes_in_total = %v, want over the %d bytes of padding published", v, slowPubs*len(pad))
	}
	if v := value("wampd_realm_bytes_out_total"); v <= 0 {
		t.Errorf("wampd_realm_bytes_out_total = %v, want > 0", v)
	}
}
