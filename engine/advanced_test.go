package engine

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/realm"
)

// TestAdvancedFixture: examples/advanced.yaml parses into the realms the
// issue names, with the history rules it asks for.
func TestAdvancedFixture(t *testing.T) {
	data, err := os.ReadFile("../examples/advanced.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Listeners) != 2 || cfg.Listeners[0].Listen != "127.0.0.1:8080" || cfg.Listeners[0].WSPath != "/ws" ||
		cfg.Listeners[1].Listen != "127.0.0.1:8081" || !cfg.Listeners[1].Has(config.TransportRawSocket) {
		t.Fatalf("listeners %+v", cfg.Listeners)
	}
	if len(cfg.Realms) != 2 || cfg.Realms[0].Name != "realm1" || cfg.Realms[1].Name != "realm2" {
		t.Fatalf("realms %+v", cfg.Realms)
	}
	for _, r := range cfg.Realms {
		if !r.Anonymous || !r.MetaAPIOn() {
			t.Fatalf("realm %s: anonymous %v, meta %v", r.Name, r.Anonymous, r.MetaAPIOn())
		}
	}
	h := cfg.Realms[0].History
	if len(h) != 2 || h[0].Topic != "conf.history" || h[0].Match != "exact" || h[0].Limit < 100 ||
		h[1].Topic != "conf.hist." || h[1].Match != "prefix" || h[1].Limit < 10 {
		t.Fatalf("history %+v", h)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

// TestRealmConfigErrors: the realm keys of the Advanced Profile are
// checked with line numbers.
func TestRealmConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"realms:\n  - name: r\n    history:\n      - topic: a.b\n        match: fuzzy\n        limit: 1\n", `realms[0].history[0].match "fuzzy"`},
		{"realms:\n  - name: r\n    history:\n      - topic: a.b\n", "needs a limit"},
		{"realms:\n  - name: r\n    history:\n      - limit: 3\n", "needs a topic"},
		{"realms:\n  - name: r\n    history:\n      - topic: a..b\n        limit: 3\n", "not a valid exact pattern"},
		{"realms:\n  - name: r\n    history:\n      - topic: a.b\n        limit: 0\n", "out of range"},
		{"realms:\n  - name: r\n    meta_api: maybe\n", "meta_api"},
		{"realms:\n  - name: r\n    limits:\n      max_pending_calls: -1\n", "must not be negative"},
		{"realms:\n  - name: r\n    limits:\n      max_pending: 1\n", `unknown key "max_pending"`},
	} {
		_, err := config.Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error with %q", tc.yaml, err, tc.want)
		}
	}
	cfg, err := config.Parse([]byte("realms:\n  - name: r\n    meta_api: false\n    history:\n      - topic: a.\n        match: prefix\n        limit: 5\n        max_bytes: 1KiB\n    limits:\n      max_pending_calls_per_session: 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Realms[0]
	if r.MetaAPIOn() || r.History[0].MaxBytes != 1024 || r.Limits.PendingCallsPerSession != 3 {
		t.Fatalf("parsed %+v", r)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate of a parsed config: %v", err)
	}
	opts := realmOptions(r, nil)
	if !opts.NoMetaAPI || len(opts.History) != 1 || opts.History[0].Match != codec.MatchPrefix || opts.Limits.PendingCallsPerSession != 3 {
		t.Fatalf("realm options %+v", opts)
	}
}

// TestJoinLocal: an in-process session joined through the router gets a
// router-drawn id, reaches socket sessions and is counted by the meta API.
func TestJoinLocal(t *testing.T) {
	rt, _ := startRouter(t, testConfig())
	if _, err := rt.JoinLocal("nope", realm.LocalOptions{OnMessage: func(*codec.Message) {}}); err == nil {
		t.Fatal("JoinLocal to an unknown realm succeeded")
	}
	msgs := make(chan codec.Type, 8)
	l, err := rt.JoinLocal(testConfig().Realms[0].Name, realm.LocalOptions{AuthRole: "bridge",
		OnMessage: func(m *codec.Message) { msgs <- m.Type }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	select {
	case typ := <-msgs:
		if typ != codec.Welcome {
			t.Fatalf("first message %s", typ)
		}
	case <-time.After(testTimeout):
		t.Fatal("no WELCOME")
	}
	if l.ID() == 0 {
		t.Fatal("no session id")
	}
	c := dialWS(t, rt)
	c.send(`[1,"` + testConfig().Realms[0].Name + `",{"roles":{"caller":{}}}]`)
	c.mustRecv()
	c.send(`[48,1,{},"wamp.session.count",[["bridge"]]]`)
	res := c.mustRecv()
	if len(res) < 4 || res[0] != float64(50) {
		t.Fatalf("RESULT %v", res)
	}
	if n, _ := res[3].([]any)[0].(float64); n != 1 {
		t.Fatalf("count(bridge) = %v", res[3])
	}
}
