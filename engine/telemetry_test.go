package engine

import (
	"testing"
	"time"

	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/netpoll"
)

// fixtureRealm1 checks what the ops and telemetry fixtures share: WebSocket
// on 127.0.0.1:8080/ws, RawSocket on 127.0.0.1:8081, realm1 anonymous with
// no roles.
func fixtureRealm1(t *testing.T, cfg config.Config) {
	t.Helper()
	if len(cfg.Listeners) != 2 || cfg.Listeners[0].Listen != "127.0.0.1:8080" || cfg.Listeners[0].WSPath != "/ws" ||
		!cfg.Listeners[0].Has(config.TransportWebSocket) ||
		cfg.Listeners[1].Listen != "127.0.0.1:8081" || !cfg.Listeners[1].Has(config.TransportRawSocket) {
		t.Fatalf("listeners %+v", cfg.Listeners)
	}
	if len(cfg.Realms) != 1 || cfg.Realms[0].Name != "realm1" || !cfg.Realms[0].Anonymous || len(cfg.Realms[0].Roles) != 0 {
		t.Fatalf("realms %+v", cfg.Realms)
	}
}

// TestTelemetryFixture: examples/telemetry.yaml serves realm1 on the
// fixture's ports with flow control on, and its settings reach netpoll.
func TestTelemetryFixture(t *testing.T) {
	cfg, err := config.Load("../examples/telemetry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fixtureRealm1(t, cfg)
	opts := netpollOptions(cfg, nil)
	want := netpoll.FlowControl{HighWater: 64 << 10, LowWater: 32 << 10, Stall: 250 * time.Millisecond}
	if opts.Flow != want || opts.Policy != netpoll.PolicyDrop {
		t.Fatalf("netpoll flow %+v policy %v, want %+v and drop", opts.Flow, opts.Policy, want)
	}
	cfg.Listeners[0].Listen, cfg.Listeners[1].Listen = "127.0.0.1:0", "127.0.0.1:0"
	rt, _ := startRouter(t, cfg)
	sub := dialSmall(t, rt)
	sub.subscribe("telemetry.cpu")
	pub := dialSmall(t, rt).publish("telemetry.cpu", "{}", 100, 64)
	if got, err := sub.events(100, testTimeout); err != nil || got != 100 {
		t.Fatalf("got %d of 100 events: %v", got, err)
	}
	if err := <-pub.done; err != nil {
		t.Fatal(err)
	}
}
