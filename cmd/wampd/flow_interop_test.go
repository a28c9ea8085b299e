package main

// Flow-control interop: a real wampd serving examples/telemetry.yaml, an
// Autobahn|Python publisher flooding 20 MB of events in a process of its
// own, and Autobahn|Python subscribers (other processes, other
// serializers) that read as fast as Python can. More than outbound_queue
// (4 MiB) piles up for them, so without flow control the drop policy
// would cost them events; with it the publisher is slowed instead and
// every subscriber gets every event, in order.
//
// The fixture's stall bound (250 ms) is for a subscriber that is stuck; on
// a loaded 2-core CI machine a Python process that reads can be off the
// processor for longer, so the test runs the fixture with a stall of 5 s
// (the bound itself is tested in engine/flow_test.go).

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const telemetryConfig = "../../examples/telemetry.yaml"

func TestFlowControlInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("interop tests start real clients; skipped with -short")
	}
	env := newInteropEnv(t)
	env.bin = buildWampd(t)
	env.needPython(t)
	fixture, err := os.ReadFile(telemetryConfig)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(fixture), "stall: 250ms") {
		t.Fatalf("%s has no stall: 250ms to lengthen", telemetryConfig)
	}
	cfg := filepath.Join(t.TempDir(), "telemetry.yaml")
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(fixture), "stall: 250ms", "stall: 5s", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startRouterWith(t, env, false, "--config", cfg)
	for i, pub := range []struct{ transport, ser string }{{"rs", "msgpack"}, {"ws", "json"}} {
		t.Run("publisher-"+pub.transport+"-"+pub.ser, func(t *testing.T) {
			topic := fmt.Sprintf("com.flow.telemetry.%d", i)
			args := []string{"--topic", topic, "--count", "20000", "--size", "1000"}
			var subs []*proc
			for _, s := range []struct{ transport, ser string }{{"ws", "cbor"}, {"rs", "json"}, {"ws", "msgpack"}} {
				p := env.pyScript(t, r, "flow.py", "subscriber", s.transport, s.ser, args...)
				p.waitLine(t, "READY", startTimeout)
				subs = append(subs, p)
			}
			env.pyScript(t, r, "flow.py", "publisher", pub.transport, pub.ser, args...).wait(t, scriptTimeout)
			for _, p := range subs {
				p.wait(t, scriptTimeout)
			}
		})
	}
	if strings.Contains(r.log.String(), "dropping") {
		t.Errorf("the router dropped events:\n%s", r.log.String())
	}
}
