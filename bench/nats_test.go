package bench

import (
	"errors"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
)

// startNATS is an in-process nats-server on a free loopback port.
func startNATS(t *testing.T) *NATSServer {
	t.Helper()
	srv, err := StartNATSServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestNATSTarget runs each NATS shape briefly and checks that every
// message sent in the window is counted, none lost, each timed.
func TestNATSTarget(t *testing.T) {
	srv := startNATS(t)
	for _, tc := range []struct {
		name string
		cfg  Config
		// want is Received as a multiple of Sent (fan-out 1 -> 3: 3).
		want uint64
	}{
		// 1 -> 3 at 1000/s for 200ms: 200 publications, 600 events.
		{"fanout/open", Config{Scenario: ScenarioFanout, Subscribers: 3, Rate: 1000}, 3},
		{"fanout/closed/msgpack", Config{Scenario: ScenarioFanout, Subscribers: 3, Rate: 0, InFlight: 8, Serializer: codec.MsgPack}, 3},
		{"pubsub/closed", Config{Scenario: ScenarioPubSub, Publishers: 2, Subscribers: 4, Topics: 2, Rate: 0, InFlight: 4}, 2},
		{"rpc/closed", Config{Scenario: ScenarioRPC, Callers: 2, Callees: 2, InFlight: 4, Rate: 0}, 1},
		{"rpc/shared/open/cbor", Config{Scenario: ScenarioRPC, Callers: 2, Callees: 3, Shared: true, Rate: 1000, Serializer: codec.CBOR}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			c.NATSURL = srv.URL()
			c.Duration, c.Warmup, c.Drain = 200*time.Millisecond, 100*time.Millisecond, 2*time.Second
			res, err := RunTarget(testCtx(t, 20*time.Second), c, "nats")
			if err != nil {
				t.Fatal(err)
			}
			checkCounts(t, res)
			if res.Received != tc.want*res.Sent {
				t.Fatalf("sent %d, received %d: want %d per message", res.Sent, res.Received, tc.want)
			}
			if res.Target.Kind != "nats" || res.Name != "nats-"+c.Scenario {
				t.Fatalf("target %+v, name %q", res.Target, res.Name)
			}
			if c.Rate > 0 && (res.Sent < 150 || res.Sent > 250) {
				t.Fatalf("open loop at 1000/s for 200ms sent %d", res.Sent)
			}
		})
	}
}

// TestNATSTargetStartsItsServer: without a URL the target starts an
// in-process server of its own (a child process when NATSServerCmd is set,
// which cmd/wampbench's test covers).
func TestNATSTargetStartsItsServer(t *testing.T) {
	c := Config{Scenario: ScenarioFanout, Subscribers: 2, Rate: 500,
		Duration: 200 * time.Millisecond, Warmup: 50 * time.Millisecond}
	res, err := RunTarget(testCtx(t, 20*time.Second), c, "nats")
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, res)
}

func TestNATSTargetRefusesOtherShapes(t *testing.T) {
	srv := startNATS(t)
	for _, sc := range []string{ScenarioConns, ScenarioSlow} {
		_, err := RunTarget(testCtx(t, 10*time.Second), Config{Scenario: sc, NATSURL: srv.URL()}, "nats")
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", sc, err)
		}
	}
}
