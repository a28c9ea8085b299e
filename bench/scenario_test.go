package bench

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
)

// short is the time budget of one scenario run in tests.
func short(c Config) Config {
	c.Duration, c.Warmup, c.Drain = 700*time.Millisecond, 200*time.Millisecond, 2*time.Second
	return c
}

func checkCounts(t *testing.T, res *Result) {
	t.Helper()
	if res.AbortedReason != "" || res.Errors != 0 || res.Disconnects != 0 {
		t.Fatalf("run not clean: aborted %q, errors %d, disconnects %d: %v", res.AbortedReason, res.Errors, res.Disconnects, res.ErrorSamples)
	}
	if res.Sent == 0 || res.Received == 0 {
		t.Fatalf("nothing measured: sent %d received %d", res.Sent, res.Received)
	}
	if res.Received != res.Expected || res.Lost != 0 {
		t.Fatalf("counts do not add up: sent %d received %d expected %d lost %d", res.Sent, res.Received, res.Expected, res.Lost)
	}
	if res.Latency.Count != int64(res.Received) && res.Scenario != ScenarioSlow {
		t.Fatalf("latency samples %d != received %d", res.Latency.Count, res.Received)
	}
	if res.Latency.P50 <= 0 || res.Latency.MaxUs < res.Latency.P99 {
		t.Fatalf("implausible latency %+v", res.Latency)
	}
	// Exact subscriptions without disclosure: every EVENT has the shape
	// the fast read takes.
	if (res.Scenario == ScenarioPubSub || res.Scenario == ScenarioFanout) && res.Target.Kind != "nats" && res.ClientFastReads != res.Received {
		t.Fatalf("fast EVENT read took %d of %d events", res.ClientFastReads, res.Received)
	}
	if res.ClientCPUSeconds <= 0 || res.ClientCPUUsPerOp <= 0 {
		t.Fatalf("wampbench's own CPU not measured: %vs, %v µs/op", res.ClientCPUSeconds, res.ClientCPUUsPerOp)
	}
}

func TestScenariosAgainstWampd(t *testing.T) {
	r := startWampd(t)
	pid := r.cmd.Process.Pid
	idle := startWampd(t) // a second router process for --router-pid PID,PID: no traffic
	tests := []struct {
		name  string
		cfg   Config
		check func(t *testing.T, res *Result)
	}{
		{"rpc/json/ws/closed", Config{Scenario: ScenarioRPC, URL: r.ws, Callers: 3, Callees: 2, InFlight: 4}, func(t *testing.T, res *Result) {
			if res.Sent != res.Received {
				t.Fatalf("calls sent %d != results received %d", res.Sent, res.Received)
			}
		}},
		{"rpc/msgpack/ws/shared", Config{Scenario: ScenarioRPC, URL: r.ws, Serializer: codec.MsgPack, Callers: 4, Callees: 3, InFlight: 4,
			Shared: true, RouterPID: pid}, func(t *testing.T, res *Result) {
			// Three callees on one procedure: wampd refuses the second
			// REGISTER unless the shared (roundrobin) option went out.
			if res.Sent != res.Received || res.Sessions != 7 {
				t.Fatalf("calls sent %d, results %d, sessions %d", res.Sent, res.Received, res.Sessions)
			}
			if res.RouterCPUSeconds <= 0 || res.RouterCPUUsPerOp <= 0 || res.RouterCPUCores <= 0 {
				t.Fatalf("router CPU not measured: %v s, %v µs/call, %v cores", res.RouterCPUSeconds, res.RouterCPUUsPerOp, res.RouterCPUCores)
			}
			// Router and wampbench both worked during the window.
			h := res.Host
			if h == nil || h.BusyPct <= 0 || h.BusyPct > 100 || h.ClientCores <= 0 ||
				math.Abs(h.UserPct+h.SystemPct+h.IRQPct+h.StealPct+h.IdlePct-100) > 0.01 {
				t.Fatalf("machine CPU not measured: %+v", h)
			}
		}},
		{"rpc/json/ws/2realms", Config{Scenario: ScenarioRPC, URL: r.ws, Realms: []string{"realm1", "realm2"}, Callers: 2, InFlight: 4},
			func(t *testing.T, res *Result) {
				if strings.Join(res.Realms, ",") != "realm1,realm2" || res.Sessions != 6 || res.Sent != res.Received {
					t.Fatalf("realms %v, sessions %d, sent %d, received %d", res.Realms, res.Sessions, res.Sent, res.Received)
				}
			}},
		{"rpc/msgpack/rs/open", Config{Scenario: ScenarioRPC, URL: r.rs, Serializer: codec.MsgPack, Rate: 2000, Size: 300}, func(t *testing.T, res *Result) {
			if res.LoadModel != "open" || res.Sent < 1000 || res.Sent > 1600 {
				t.Fatalf("open loop at 2000/s for 0.7s sent %d (%s)", res.Sent, res.LoadModel)
			}
		}},
		{"pubsub/cbor/ws", Config{Scenario: ScenarioPubSub, URL: r.ws, Serializer: codec.CBOR, Publishers: 2, Subscribers: 6, Topics: 3, InFlight: 2}, func(t *testing.T, res *Result) {
			// 6 subscribers over 3 topics: each publication reaches 2.
			if res.Received != 2*res.Sent {
				t.Fatalf("published %d x 2 subscribers != delivered %d", res.Sent, res.Received)
			}
		}},
		{"fanout/json/rs", Config{Scenario: ScenarioFanout, URL: r.rs, Subscribers: 200, Rate: 200}, func(t *testing.T, res *Result) {
			if res.Received != 200*res.Sent {
				t.Fatalf("published %d x 200 subscribers != delivered %d", res.Sent, res.Received)
			}
		}},
		{"rpc/json/ws/callees-rs", Config{Scenario: ScenarioRPC, URL: r.ws, CalleeURL: r.rs, Callers: 2, Callees: 2, InFlight: 2},
			func(t *testing.T, res *Result) {
				// The callers on --url, the callees on --callee-url, with
				// the set-up probe (one call per caller) before measuring.
				if res.Target.CalleeURL != r.rs || res.Sent != res.Received || res.Sessions != 4 {
					t.Fatalf("callee URL %q, sent %d, received %d, sessions %d", res.Target.CalleeURL, res.Sent, res.Received, res.Sessions)
				}
			}},
		{"fanout/json/ws/sub-urls/2-pids", Config{Scenario: ScenarioFanout, URL: r.ws, SubURLs: []string{r.ws, r.rs}, Subscribers: 20, Rate: 200,
			RouterPIDs: []int{pid, idle.cmd.Process.Pid}}, func(t *testing.T, res *Result) {
			if len(res.Target.SubURLs) != 2 || res.Received != 20*res.Sent {
				t.Fatalf("sub URLs %v: published %d x 20 subscribers != delivered %d", res.Target.SubURLs, res.Sent, res.Received)
			}
			// Two router processes: each one's figures, and their sums.
			if len(res.Routers) != 2 || res.Routers[0].PID != pid || res.Routers[1].Label != "node2" {
				t.Fatalf("routers %+v", res.Routers)
			}
			a, b := res.Routers[0], res.Routers[1]
			if a.CPUSeconds <= 0 || math.Abs(a.CPUSeconds+b.CPUSeconds-res.RouterCPUSeconds) > 1e-9 ||
				a.RSSBytes <= 0 || b.RSSBytes <= 0 || a.RSSBytes+b.RSSBytes != res.RouterRSSBytes || a.RSSBeforeBytes <= 0 {
				t.Fatalf("per-router figures do not add up to the total %v s, %d B: %+v", res.RouterCPUSeconds, res.RouterRSSBytes, res.Routers)
			}
		}},
		{"conns/json/ws", Config{Scenario: ScenarioConns, URL: r.ws, Sessions: 300, RouterPID: pid}, func(t *testing.T, res *Result) {
			if res.Handshake.Count != 300 || res.RouterRSSBytes <= 0 {
				t.Fatalf("handshakes %d, router RSS %d", res.Handshake.Count, res.RouterRSSBytes)
			}
		}},
		{"conns/msgpack/ws/source-addrs", Config{Scenario: ScenarioConns, URL: r.ws, Serializer: codec.MsgPack, Sessions: 400, Dialers: 32,
			SourceAddrs: []string{"127.0.0.2", "127.0.0.3"}, RouterPID: pid}, func(t *testing.T, res *Result) {
			cs := res.Conns
			if cs == nil || cs.RouterRSSBeforeBytes <= 0 || cs.RouterRSSAfterBytes <= 0 || cs.RSSPerSessionBytes == 0 {
				t.Fatalf("router memory not measured: %+v", cs)
			}
		}},
		{"slow/json/ws", Config{Scenario: ScenarioSlow, URL: r.ws, Subscribers: 10, SlowFraction: 0.2, SlowRate: 2048, Rate: 1000, RouterPID: pid}, func(t *testing.T, res *Result) {
			if res.Slow.Subscribers != 2 || res.Slow.Expected != 2*res.Sent {
				t.Fatalf("slow stats %+v for %d publications", res.Slow, res.Sent)
			}
			if res.Received != 8*res.Sent {
				t.Fatalf("healthy subscribers got %d of %d", res.Received, 8*res.Sent)
			}
			// The per-session figure is the growth since before the run's
			// sessions opened, not the router's whole RSS over them.
			if res.RouterRSSBeforeBytes <= 0 || res.RouterRSSBytes <= 0 {
				t.Fatalf("router RSS before %d, after %d: not measured", res.RouterRSSBeforeBytes, res.RouterRSSBytes)
			}
			var out strings.Builder
			PrintSummary(&out, res)
			if !strings.Contains(out.String(), "MiB before the sessions opened: ") {
				t.Fatalf("summary lacks the RSS before the sessions:\n%s", out.String())
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(testCtx(t, 30*time.Second), short(tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			if tc.cfg.Scenario == ScenarioConns {
				if res.Received != res.Expected || res.Errors != 0 {
					t.Fatalf("conns: %d of %d opened, errors %v", res.Received, res.Expected, res.ErrorSamples)
				}
			} else {
				checkCounts(t, res)
			}
			tc.check(t, res)
		})
	}
}

func TestKilledRouterShowsAsErrors(t *testing.T) {
	for _, sc := range []string{ScenarioRPC, ScenarioPubSub} {
		t.Run(sc, func(t *testing.T) {
			r := startWampd(t)
			cfg := Config{Scenario: sc, URL: r.ws, Duration: 20 * time.Second, Warmup: 100 * time.Millisecond, Drain: time.Second}
			go func() {
				time.Sleep(600 * time.Millisecond)
				_ = r.cmd.Process.Signal(syscall.SIGKILL)
			}()
			start := time.Now()
			res, err := Run(testCtx(t, 30*time.Second), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > 8*time.Second {
				t.Fatalf("run took %v after the router died; want it to end early", took)
			}
			if res.AbortedReason == "" || res.Disconnects == 0 || res.Errors == 0 {
				t.Fatalf("killed router not reported: aborted %q disconnects %d errors %d", res.AbortedReason, res.Disconnects, res.Errors)
			}
		})
	}
}

func TestScenariosAgainstRawServer(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"rpc/ws", Config{Scenario: ScenarioRPC, URL: "ws://x:1/ws", Callers: 2, InFlight: 8}},
		{"rpc/rs/cbor", Config{Scenario: ScenarioRPC, URL: "rs://x:1", Serializer: codec.CBOR}},
		{"fanout/ws/msgpack", Config{Scenario: ScenarioFanout, URL: "ws://x:1/ws", Serializer: codec.MsgPack, Subscribers: 50}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := RunTarget(testCtx(t, 30*time.Second), short(tc.cfg), "raw")
			if err != nil {
				t.Fatal(err)
			}
			checkCounts(t, res)
			if res.Target.Kind != "raw" {
				t.Fatalf("target kind %q", res.Target.Kind)
			}
		})
	}
}

func TestBothTargetsGiveRatio(t *testing.T) {
	r := startWampd(t)
	res, err := RunTarget(testCtx(t, 30*time.Second), short(Config{Scenario: ScenarioRPC, URL: r.ws}), "both")
	if err != nil {
		t.Fatal(err)
	}
	if res.Baseline == nil || res.Baseline.Throughput <= 0 || res.Baseline.Ratio <= 0 {
		t.Fatalf("baseline missing: %+v", res.Baseline)
	}
}

// jsonFields are the keys every --json file must hold.
var jsonFields = []string{"name", "scenario", "target", "flags", "machine", "started_at", "load_model",
	"rate_per_sec", "duration_s", "warmup_s", "elapsed_s", "sessions", "sent", "received", "expected", "lost",
	"errors", "disconnects", "throughput_per_sec", "throughput_unit", "send_rate_per_sec", "latency", "handshake",
	"router_rss_bytes", "client_rss_bytes", "slow", "baseline", "error_samples", "aborted_reason",
	"router_cpu_s", "router_cpu_cores", "router_cpu_us_per_op", "client_cpu_s", "client_cpu_us_per_op", "client_fast_reads"}

func TestJSONOutputHoldsEveryField(t *testing.T) {
	cfg := short(Config{Scenario: ScenarioRPC, URL: "ws://x:1/ws", Flags: map[string]string{"callers": "1"}})
	res, err := RunTarget(testCtx(t, 30*time.Second), cfg, "raw")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := WriteJSON(path, res); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	for _, k := range jsonFields {
		if _, ok := m[k]; !ok {
			t.Errorf("field %q missing", k)
		}
	}
	machine := m["machine"].(map[string]any)
	for _, k := range []string{"cpu_model", "cores", "go_version", "os", "arch"} {
		if v, ok := machine[k]; !ok || v == "" || v == 0.0 {
			t.Errorf("machine.%s missing or empty: %v", k, v)
		}
	}
	lat := m["latency"].(map[string]any)
	for _, k := range []string{"count", "p50_us", "p90_us", "p99_us", "p99_9_us", "p99_99_us", "max_us", "curve"} {
		if _, ok := lat[k]; !ok {
			t.Errorf("latency.%s missing", k)
		}
	}
	if m["flags"].(map[string]any)["callers"] != "1" || !strings.HasPrefix(m["target"].(map[string]any)["url"].(string), "ws://127.0.0.1:") {
		t.Errorf("flags or target not recorded: %v %v", m["flags"], m["target"])
	}
	back, err := ReadJSON(path)
	if err != nil || back.Received != res.Received || back.Latency.P99 != res.Latency.P99 {
		t.Fatalf("round trip: %v, %+v", err, back)
	}
}
