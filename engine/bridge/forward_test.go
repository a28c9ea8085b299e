package bridge_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wampd/wampd/engine"
	"github.com/wampd/wampd/engine/bridge"
	"github.com/wampd/wampd/engine/config"
)

// startForwarding starts a router whose realm1 is bridged (principal
// "bridge", token "bridge-token-1") with the given forward_events and
// forward_calls YAML (indented under bridge:).
func startForwarding(t *testing.T, forwards string) (*engine.Router, *bridge.Bridge) {
	t.Helper()
	yaml := fmt.Sprintf(`
listeners:
  - listen: 127.0.0.1:0
    transports: [websocket]
realms:
  - name: realm1
    anonymous: true
    bridge:
      listen: 127.0.0.1:0
      principals:
        - {token_hash: %q, authid: bridge, role: anonymous}
%s`, fastHash(t, "bridge-token-1"), forwards)
	rt := startYAML(t, yaml)
	b := rt.Bridge("realm1")
	if b == nil {
		t.Fatal("no bridge for realm1")
	}
	return rt, b
}

// sink is a loopback HTTP server of the test that hands each request's
// body to got and answers with answer.
type sink struct {
	*httptest.Server
	got chan string
}

func newSink(t *testing.T, answer http.HandlerFunc) *sink {
	t.Helper()
	s := &sink{got: make(chan string, 64)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case s.got <- string(b):
		default:
		}
		answer(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) next(t *testing.T) string {
	t.Helper()
	select {
	case b := <-s.got:
		return b
	case <-time.After(testTimeout):
		t.Fatal("no request reached the sink")
	}
	return ""
}

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

func publish(t *testing.T, rt *engine.Router, body string) {
	t.Helper()
	if r := post(t, rt, "realm1", "/publish", "bridge-token-1", "application/json", body); r.status != http.StatusOK {
		t.Fatalf("publish: %d %s", r.status, r.raw)
	}
}

// statsOf waits (bounded) until the first target's counters satisfy ok.
func statsOf(t *testing.T, b *bridge.Bridge, cond func(bridge.TargetStats) bool) bridge.TargetStats {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		st := b.Stats()[0]
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats never got there: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestForwardEvent: an event of a forwarded subscription is POSTed with
// its topic, args, kwargs and details; a prefix subscription names the
// event's own topic.
func TestForwardEvent(t *testing.T) {
	s := newSink(t, ok)
	rt, b := startForwarding(t, fmt.Sprintf(`      forward_events:
        - {topic: com.fwd, match: prefix, url: %q, timeout: 2s}
`, s.URL+"/events"))
	publish(t, rt, `{"topic":"com.fwd.a","args":[1,"two"],"kwargs":{"k":true}}`)
	var got struct {
		Topic   string
		Args    []any
		Kwargs  map[string]any
		Details map[string]any
	}
	if err := json.Unmarshal([]byte(s.next(t)), &got); err != nil {
		t.Fatal(err)
	}
	if got.Topic != "com.fwd.a" || len(got.Args) != 2 || got.Args[1] != "two" || got.Kwargs["k"] != true || got.Details["topic"] != "com.fwd.a" {
		t.Fatalf("forwarded %+v", got)
	}
	st := statsOf(t, b, func(st bridge.TargetStats) bool { return st.Delivered == 1 })
	if st.Kind != "event" || st.URI != "com.fwd" || st.Failed != 0 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestForwardRetry: a target answering 500 twice is retried and the third
// attempt delivers.
func TestForwardRetry(t *testing.T) {
	var n atomic.Int32
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	rt, b := startForwarding(t, fmt.Sprintf(`      forward_events:
        - {topic: com.fwd, url: %q, retries: 3}
`, s.URL))
	publish(t, rt, `{"topic":"com.fwd","args":[1]}`)
	for range 3 {
		s.next(t)
	}
	st := statsOf(t, b, func(st bridge.TargetStats) bool { return st.Delivered == 1 })
	if st.Retries != 2 || st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestForwardTimeout: a target that never answers times out on every
// attempt; the delivery fails and both are counted.
func TestForwardTimeout(t *testing.T) {
	s := newSink(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	rt, b := startForwarding(t, fmt.Sprintf(`      forward_events:
        - {topic: com.fwd, url: %q, timeout: 100ms, retries: 1}
`, s.URL))
	publish(t, rt, `{"topic":"com.fwd"}`)
	st := statsOf(t, b, func(st bridge.TargetStats) bool { return st.Failed == 1 })
	if st.Timeouts != 2 || st.Retries != 1 || st.Delivered != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestForwardQueueOverflow: with the target stuck on one event and a queue
// of one, one more waits and the rest are dropped and counted.
func TestForwardQueueOverflow(t *testing.T) {
	release := make(chan struct{})
	s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	rt, b := startForwarding(t, fmt.Sprintf(`      forward_events:
        - {topic: com.fwd, url: %q, queue: 1}
`, s.URL))
	publish(t, rt, `{"topic":"com.fwd","args":[0]}`)
	s.next(t) // the worker is stuck on it
	for i := 1; i <= 4; i++ {
		publish(t, rt, fmt.Sprintf(`{"topic":"com.fwd","args":[%d]}`, i))
	}
	statsOf(t, b, func(st bridge.TargetStats) bool { return st.Dropped == 3 })
	close(release)
	if got := s.next(t); !strings.Contains(got, `"args":[1]`) {
		t.Fatalf("second delivery %s, want the event queued first", got)
	}
	st := statsOf(t, b, func(st bridge.TargetStats) bool { return st.Delivered == 2 })
	if st.Dropped != 3 || st.Failed != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestForwardCall: a forwarded procedure's calls are POSTed and answered
// by the endpoint: args and kwargs round trip to the caller, an error
// answer becomes the caller's ERROR.
func TestForwardCall(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"args":[1,"two"],"kwargs":{"echo":true}}`)
	})
	fail := newSink(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"com.example.nope","args":["no such thing"]}`)
	})
	rt, b := startForwarding(t, fmt.Sprintf(`      forward_calls:
        - {procedure: com.fwd.echo, url: %q}
        - {procedure: com.fwd.fail, url: %q}
`, s.URL, fail.URL))
	r := post(t, rt, "realm1", "/call", "bridge-token-1", "application/json", `{"procedure":"com.fwd.echo","args":["x"],"kwargs":{"k":1}}`)
	if r.status != http.StatusOK || r.raw != `{"args":[1,"two"],"kwargs":{"echo":true}}`+"\n" {
		t.Fatalf("call: %d %s", r.status, r.raw)
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(s.next(t)), &sent); err != nil {
		t.Fatal(err)
	}
	if sent["procedure"] != "com.fwd.echo" || fmt.Sprint(sent["args"]) != "[x]" || fmt.Sprint(sent["kwargs"]) != "map[k:1]" {
		t.Fatalf("endpoint got %v", sent)
	}
	r = post(t, rt, "realm1", "/call", "bridge-token-1", "application/json", `{"procedure":"com.fwd.fail"}`)
	if r.status != http.StatusBadGateway || r.body["error"] != "com.example.nope" || fmt.Sprint(r.body["args"]) != "[no such thing]" {
		t.Fatalf("failing call: %d %s", r.status, r.raw)
	}
	st := b.Stats()
	if len(st) != 2 || st[0].Kind != "call" || st[0].Delivered != 1 || st[1].Delivered != 1 || st[1].Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestForwardCallUnreachable: an endpoint that gives no answer makes the
// caller's ERROR wampd.bridge.forward_failed, counted as a failure.
func TestForwardCallUnreachable(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	rt, b := startForwarding(t, fmt.Sprintf(`      forward_calls:
        - {procedure: com.fwd.down, url: %q}
`, s.URL))
	r := post(t, rt, "realm1", "/call", "bridge-token-1", "application/json", `{"procedure":"com.fwd.down"}`)
	if r.status != http.StatusBadGateway || r.body["error"] != string(bridge.ErrForwardFailed) {
		t.Fatalf("call: %d %s", r.status, r.raw)
	}
	if st := b.Stats()[0]; st.Failed != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestForwardUnauthorized: the outbound session's subscriptions are
// authorized by the realm's rules; one its role may not make fails Start.
func TestForwardUnauthorized(t *testing.T) {
	cfg, err := config.Parse([]byte(`
realms:
  - name: realm1
    roles:
      - name: limited
        permissions:
          - {uri: com.allowed, allow: {publish: true}}
    bridge:
      listen: 127.0.0.1:0
      outbound_role: limited
      forward_events:
        - {topic: com.secret, url: "http://127.0.0.1:1/"}
`))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := engine.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = rt.Start()
	if err == nil || !strings.Contains(err.Error(), "not_authorized") {
		t.Fatalf("Start: %v, want the subscription refused", err)
	}
}

// TestForwardRejoin: the outbound session killed through the meta API is
// joined again (counted), subscribes and registers again, and forwarding
// resumes: events reach the endpoint and forwarded calls are answered.
// Killed twice, it comes back twice.
func TestForwardRejoin(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/call" {
			_, _ = io.WriteString(w, `{"args":["served"]}`)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	rt, b := startForwarding(t, fmt.Sprintf(`      forward_events:
        - {topic: com.fwd, url: %q}
      forward_calls:
        - {procedure: com.fwd.echo, url: %q}
`, s.URL+"/event", s.URL+"/call"))
	for round := 1; round <= 2; round++ {
		r := post(t, rt, "realm1", "/call", "bridge-token-1", "", `{"procedure":"wamp.session.kill_by_authid","args":["`+config.BridgeOutboundAuthID+`"]}`)
		if r.status != http.StatusOK {
			t.Fatalf("round %d: kill: %d %s", round, r.status, r.raw)
		}
		deadline := time.Now().Add(testTimeout)
		for b.Rejoins() != uint64(round) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: rejoins %d", round, b.Rejoins())
			}
			time.Sleep(5 * time.Millisecond)
		}
		publish(t, rt, fmt.Sprintf(`{"topic":"com.fwd","args":[%d]}`, round))
		if got := s.next(t); !strings.Contains(got, fmt.Sprintf(`"args":[%d]`, round)) {
			t.Fatalf("round %d: forwarded %s", round, got)
		}
		r = post(t, rt, "realm1", "/call", "bridge-token-1", "", `{"procedure":"com.fwd.echo"}`)
		if r.status != http.StatusOK || r.raw != `{"args":["served"],"kwargs":{}}`+"\n" {
			t.Fatalf("round %d: forwarded call: %d %s", round, r.status, r.raw)
		}
		s.next(t) // the call's POST
	}
	// The sink saw the last POST before the forwarder read its answer and
	// counted the delivery: wait (bounded) for the count.
	deadline := time.Now().Add(testTimeout)
	for st := b.Stats(); st[0].Delivered != 2 || st[1].Delivered != 2; st = b.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
