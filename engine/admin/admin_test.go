package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/wampd/wampd/realm"
)

// fakeSource is a Source with fixed figures that counts its reads.
type fakeSource struct {
	stats, runtime atomic.Int64
	ready          atomic.Bool
}

func (f *fakeSource) source() Source {
	return Source{
		Stats: func() Stats {
			f.stats.Add(1)
			return Stats{
				Sessions: 3, Messages: 1234567, AuthFailures: 4, AuthThrottled: 2,
				Realms: map[string]realm.Stats{
					"realm1": {Sessions: 2, Published: 10, HistoryBytes: 512, RetainedBytes: 64},
					"realm2": {Sessions: 1},
				},
				RealmMessages: map[string]uint64{"realm1": 1000, "realm2": 7},
				Transports: []TransportSessions{
					{Realm: "realm1", Transport: "websocket", Serializer: "json", Sessions: 2},
					{Realm: "realm2", Transport: "rawsocket", Serializer: "msgpack", Sessions: 1},
				},
			}
		},
		Runtime: func() Runtime {
			f.runtime.Add(1)
			return Runtime{GCCycles: 5, GCPauseP99: 0.001, GCPauseMax: 0.002, HeapLive: 1 << 20, RSS: 1 << 24}
		},
		Ready: f.ready.Load,
	}
}

func serve(t *testing.T, src Source) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	Handle(mux, NewRegistry(src), src)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestMetrics scrapes /metrics once and reads it back with the library's
// text parser: every name wampd served before client_golang is still there
// with its type, the labelled families carry their labels, and the client
// library's Go and process collectors are registered.
func TestMetrics(t *testing.T) {
	f := &fakeSource{}
	srv := serve(t, f.source())
	code, body := get(t, srv.URL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: status %d", code)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	if n := f.stats.Load(); n != 1 {
		t.Errorf("one scrape read Stats %d times, want 1", n)
	}
	if n := f.runtime.Load(); n != 1 {
		t.Errorf("one scrape read Runtime %d times, want 1", n)
	}
	for _, tc := range []struct {
		name, typ string
	}{
		{"wampd_sessions", "GAUGE"}, {"wampd_messages_received_total", "COUNTER"},
		{"wampd_sessions_rejected_total", "COUNTER"}, {"wampd_connections", "GAUGE"},
		{"wampd_connections_accepted_total", "COUNTER"}, {"wampd_dropped_events_total", "COUNTER"},
		{"wampd_slow_disconnects_total", "COUNTER"}, {"wampd_protocol_errors_total", "COUNTER"},
		{"wampd_auth_failures_total", "COUNTER"}, {"wampd_auth_throttled_total", "COUNTER"},
		{"wampd_tls_handshakes_total", "COUNTER"}, {"wampd_tls_handshake_errors_total", "COUNTER"},
		{"wampd_auth_busy_total", "COUNTER"},
		{"wampd_realm_sessions", "GAUGE"}, {"wampd_realm_published_total", "COUNTER"},
		{"wampd_realm_events_delivered_total", "COUNTER"}, {"wampd_realm_events_dropped_total", "COUNTER"},
		{"wampd_realm_calls_total", "COUNTER"}, {"wampd_realm_denied_total", "COUNTER"},
		{"wampd_realm_retained_bytes", "GAUGE"}, {"wampd_realm_retained_evicted_total", "COUNTER"},
		{"wampd_realm_history_bytes", "GAUGE"}, {"wampd_realm_history_evicted_total", "COUNTER"},
		{"wampd_realm_messages_received_total", "COUNTER"}, {"wampd_realm_transport_sessions", "GAUGE"},
		{"wampd_gc_cycles_total", "COUNTER"}, {"wampd_gc_cpu_seconds_total", "COUNTER"},
		{"wampd_gc_pauses_total", "COUNTER"}, {"wampd_gc_pause_seconds", "GAUGE"},
		{"wampd_heap_live_bytes", "GAUGE"}, {"wampd_heap_goal_bytes", "GAUGE"},
		{"wampd_goroutines", "GAUGE"}, {"wampd_process_resident_bytes", "GAUGE"},
		{"go_goroutines", "GAUGE"}, {"go_gc_duration_seconds", "SUMMARY"},
		{"process_resident_memory_bytes", "GAUGE"}, {"process_cpu_seconds_total", "COUNTER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mf, ok := fams[tc.name]
			if !ok {
				t.Fatalf("/metrics lacks %s", tc.name)
			}
			if got := mf.GetType().String(); got != tc.typ {
				t.Errorf("%s is a %s, want %s", tc.name, got, tc.typ)
			}
		})
	}
	for _, want := range []string{
		"wampd_sessions 3\n",
		"wampd_messages_received_total 1.234567e+06\n",
		"wampd_auth_failures_total 4\n",
		"wampd_auth_throttled_total 2\n",
		`wampd_realm_sessions{realm="realm1"} 2` + "\n",
		`wampd_realm_history_bytes{realm="realm1"} 512` + "\n",
		`wampd_realm_messages_received_total{realm="realm2"} 7` + "\n",
		`wampd_realm_transport_sessions{realm="realm1",serializer="json",transport="websocket"} 2` + "\n",
		`wampd_realm_transport_sessions{realm="realm2",serializer="msgpack",transport="rawsocket"} 1` + "\n",
		`wampd_gc_pause_seconds{quantile="0.99"} 0.001` + "\n",
		`wampd_gc_pause_seconds{quantile="1"} 0.002` + "\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestHealth(t *testing.T) {
	f := &fakeSource{}
	srv := serve(t, f.source())
	for _, tc := range []struct {
		name  string
		ready bool
		path  string
		code  int
	}{
		{"healthz while not ready", false, "/healthz", http.StatusOK},
		{"readyz while not ready", false, "/readyz", http.StatusServiceUnavailable},
		{"healthz when ready", true, "/healthz", http.StatusOK},
		{"readyz when ready", true, "/readyz", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.ready.Store(tc.ready)
			if code, body := get(t, srv.URL+tc.path); code != tc.code {
				t.Errorf("GET %s = %d %q, want %d", tc.path, code, body, tc.code)
			}
		})
	}
	resp, err := http.Post(srv.URL+"/readyz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz = %d, want 405", resp.StatusCode)
	}
	if n := f.stats.Load(); n != 0 {
		t.Errorf("the probes read Stats %d times, want 0", n)
	}
}

// TestForwardMetrics: an HTTP bridge's outbound targets are exported per
// realm, kind and URI, their drops counted (nothing dropped silently).
func TestForwardMetrics(t *testing.T) {
	src := Source{Stats: func() Stats {
		return Stats{Forwards: []ForwardTarget{
			{Realm: "realm1", Kind: "event", URI: "com.x", Delivered: 7, Retries: 2, Dropped: 3, Queued: 1},
			{Realm: "realm1", Kind: "call", URI: "com.p", Failed: 1, Timeouts: 4},
		}}
	}}
	code, body := get(t, serve(t, src).URL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	families, err := new(expfmt.TextParser).TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	value := func(name, kind string) float64 {
		t.Helper()
		mf := families[name]
		if mf == nil {
			t.Fatalf("no %s", name)
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					if m.GetCounter() != nil {
						return m.GetCounter().GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
		t.Fatalf("no %s{kind=%q}", name, kind)
		return 0
	}
	for _, c := range []struct {
		name, kind string
		want       float64
	}{
		{"wampd_bridge_forward_delivered_total", "event", 7},
		{"wampd_bridge_forward_retries_total", "event", 2},
		{"wampd_bridge_forward_dropped_total", "event", 3},
		{"wampd_bridge_forward_queued", "event", 1},
		{"wampd_bridge_forward_failed_total", "call", 1},
		{"wampd_bridge_forward_timeouts_total", "call", 4},
	} {
		if got := value(c.name, c.kind); got != c.want {
			t.Errorf("%s{kind=%s} = %v, want %v", c.name, c.kind, got, c.want)
		}
	}
}
