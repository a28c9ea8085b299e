package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine"
	"github.com/wampd/wampd/engine/auth"
	"github.com/wampd/wampd/engine/enginetest"
	"github.com/wampd/wampd/realm"
)

const testTimeout = 5 * time.Second

// fastHash hashes a token cheaply: the tests verify many.
func fastHash(t *testing.T, token string) string {
	t.Helper()
	h, err := auth.HashTicket(token, auth.HashParams{KDF: auth.KDFPBKDF2SHA256, Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// startRouter starts a router with two bridged realms: realm1 (anyone may
// do anything; principal "bridge") and realm.roles (principal "limited"
// may only publish to com.allowed).
func startRouter(t *testing.T) *engine.Router {
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
      max_body: 1KiB
      call_timeout: 2s
      principals:
        - {token_hash: %q, authid: bridge, role: anonymous}
      webhooks:
        - {name: gh, topic: com.hook, headers: [X-Event]}
  - name: realm.roles
    roles:
      - name: limited
        permissions:
          - {uri: com.allowed, allow: {publish: true}}
    bridge:
      listen: 127.0.0.1:0
      path_prefix: /api/
      principals:
        - {token_hash: %q, authid: limited, role: limited}
`, fastHash(t, "bridge-token-1"), fastHash(t, "limited-token"))
	rt := startYAML(t, yaml)
	return rt
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

var client = &http.Client{Timeout: testTimeout}

func post(t *testing.T, rt *engine.Router, realmName, path, token, contentType, body string) response {
	t.Helper()
	return do(t, http.MethodPost, "http://"+rt.BridgeAddr(realmName).String()+path, token, contentType, body)
}

func do(t *testing.T, method, url, token, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-Event", "push")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, raw: string(b)}
	if err := json.Unmarshal(b, &r.body); err != nil {
		t.Fatalf("%s %s: answer %q is not a JSON object: %v", method, url, b, err)
	}
	return r
}

// peer is an in-process WAMP client of the test: a callee and subscriber.
type peer struct {
	t      *testing.T
	l      *realm.Local
	mu     sync.Mutex
	next   uint64
	regs   []uint64 // com.echo, com.fail, com.invalid, com.slow (mu)
	acks   chan codec.Type
	slow   chan struct{} // an INVOCATION of com.slow came
	events chan string   // [args, kwargs] of each EVENT, as JSON
}

func joinPeer(t *testing.T, rt *engine.Router, realmName string) *peer {
	t.Helper()
	p := &peer{t: t, acks: make(chan codec.Type, 16), slow: make(chan struct{}, 16), events: make(chan string, 16)}
	welcome := make(chan struct{})
	var err error
	p.l, err = rt.JoinLocal(realmName, realm.LocalOptions{AuthID: "test-peer", AuthRole: "anonymous", OnMessage: func(m *codec.Message) {
		switch m.Type {
		case codec.Welcome:
			close(welcome)
		case codec.Registered:
			p.mu.Lock()
			p.regs = append(p.regs, m.ID)
			p.mu.Unlock()
			p.acks <- m.Type
		case codec.Subscribed, codec.Result, codec.Error:
			p.acks <- m.Type
		case codec.Event:
			p.events <- "[" + jsonOf(m.PayloadSer, m.Args, "null") + "," + jsonOf(m.PayloadSer, m.Kwargs, "null") + "]"
		case codec.Invocation:
			p.invoked(m)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.l.Close)
	wait(t, welcome)
	return p
}

func jsonOf(s codec.Serializer, raw []byte, absent string) string {
	if raw == nil {
		return absent
	}
	b, err := codec.Transcode(s, codec.JSON, nil, raw)
	if err != nil {
		return "transcode error"
	}
	return string(b)
}

func wait(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(testTimeout):
		t.Fatal("timed out")
	}
}

// invoked answers INVOCATIONs: com.echo returns its args and kwargs,
// com.fail an application error, com.invalid invalid_argument, com.slow
// nothing. Registration ids are those of the REGISTERs in order.
func (p *peer) invoked(m *codec.Message) {
	c := &codec.Message{Request: m.Request, PayloadSer: m.PayloadSer}
	p.mu.Lock()
	regs := append([]uint64(nil), p.regs...)
	p.mu.Unlock()
	if len(regs) < 3 {
		return
	}
	switch m.ID {
	case regs[0]:
		c.Type = codec.Yield
		c.Args = append([]byte(nil), m.Args...)
		c.Kwargs = append([]byte(nil), m.Kwargs...)
	case regs[1]:
		c.Type, c.ReqType, c.URI = codec.Error, codec.Invocation, "com.example.oops"
		c.Args, _ = codec.AppendValue(m.PayloadSer, nil, []any{"it broke"})
	case regs[2]:
		c.Type, c.ReqType, c.URI = codec.Error, codec.Invocation, string(codec.ErrInvalidArgument)
	default:
		p.slow <- struct{}{}
		return
	}
	_ = p.l.Send(c)
}

func (p *peer) send(m *codec.Message) {
	p.mu.Lock()
	p.next++
	m.Request = p.next
	p.mu.Unlock()
	if err := p.l.Send(m); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.acks:
	case <-time.After(testTimeout):
		p.t.Fatalf("no answer to %s %s", m.Type, m.URI)
	}
}

func (p *peer) register(procs ...string) {
	for _, proc := range procs {
		p.send(&codec.Message{Type: codec.Register, URI: proc})
	}
}

func (p *peer) subscribe(topic string) { p.send(&codec.Message{Type: codec.Subscribe, URI: topic}) }

func (p *peer) event() string {
	p.t.Helper()
	select {
	case e := <-p.events:
		return e
	case <-time.After(testTimeout):
		p.t.Fatal("no EVENT")
	}
	return ""
}

// TestPublish: POST /publish reaches a subscriber with args and kwargs and
// answers the publication id.
func TestPublish(t *testing.T) {
	rt := startRouter(t)
	sub := joinPeer(t, rt, "realm1")
	sub.subscribe("com.topic")
	r := post(t, rt, "realm1", "/publish", "bridge-token-1", "application/json",
		`{"topic":"com.topic","args":[1,"two"],"kwargs":{"k":true},"options":{"exclude_me":false}}`)
	if r.status != http.StatusOK {
		t.Fatalf("publish: %d %s", r.status, r.raw)
	}
	if id, _ := r.body["id"].(float64); id < 1 {
		t.Fatalf("publish answered %s, want an id", r.raw)
	}
	if e := sub.event(); e != `[[1,"two"],{"k":true}]` {
		t.Fatalf("event %s", e)
	}
}

// TestCall: POST /call reaches a callee; args and kwargs go there and back;
// every WAMP error has its status and comes back as JSON.
func TestCall(t *testing.T) {
	rt := startRouter(t)
	callee := joinPeer(t, rt, "realm1")
	callee.register("com.echo", "com.fail", "com.invalid", "com.slow")
	r := post(t, rt, "realm1", "/call", "bridge-token-1", "application/json",
		`{"procedure":"com.echo","args":[1,[2,3],"x"],"kwargs":{"a":{"b":null}}}`)
	if r.status != http.StatusOK || r.raw != `{"args":[1,[2,3],"x"],"kwargs":{"a":{"b":null}}}`+"\n" {
		t.Fatalf("echo: %d %q", r.status, r.raw)
	}
	r = post(t, rt, "realm1", "/call", "bridge-token-1", "", `{"procedure":"com.echo"}`)
	if r.status != http.StatusOK || r.raw != `{"args":[],"kwargs":{}}`+"\n" {
		t.Fatalf("echo without payload: %d %q", r.status, r.raw)
	}
	for _, tc := range []struct {
		body   string
		status int
		uri    string
	}{
		{`{"procedure":"com.nothing"}`, http.StatusNotFound, string(codec.ErrNoSuchProcedure)},
		{`{"procedure":"com.fail"}`, http.StatusBadGateway, "com.example.oops"},
		{`{"procedure":"com.invalid"}`, http.StatusBadRequest, string(codec.ErrInvalidArgument)},
		{`{"procedure":"com.slow","options":{"timeout":100}}`, http.StatusGatewayTimeout, string(codec.ErrTimeout)},
		{`{"procedure":"bad uri#"}`, http.StatusBadRequest, string(codec.ErrInvalidURI)},
	} {
		t.Run(tc.body, func(t *testing.T) {
			r := post(t, rt, "realm1", "/call", "bridge-token-1", "application/json", tc.body)
			if r.status != tc.status || r.body["error"] != tc.uri {
				t.Fatalf("got %d %s, want %d %s", r.status, r.raw, tc.status, tc.uri)
			}
		})
	}
	r = post(t, rt, "realm1", "/call", "bridge-token-1", "", `{"procedure":"com.fail"}`)
	if args, _ := r.body["args"].([]any); len(args) != 1 || args[0] != "it broke" {
		t.Fatalf("application error's args: %s", r.raw)
	}
}

// TestRefusals: what the bridge answers itself, before the realm.
func TestRefusals(t *testing.T) {
	rt := startRouter(t)
	base := "http://" + rt.BridgeAddr("realm1").String()
	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
		want                            string // in the answer
	}{
		{"no token", "POST", "/publish", "", `{"topic":"com.t"}`, 401, "authentication_failed"},
		{"wrong token", "POST", "/publish", "bridge-token-2", `{"topic":"com.t"}`, 401, "authentication_failed"},
		{"other realm's token", "POST", "/publish", "limited-token", `{"topic":"com.t"}`, 401, "authentication_failed"},
		{"GET", "GET", "/publish", "bridge-token-1", "", 405, "method_not_allowed"},
		{"unknown path", "POST", "/nothing", "bridge-token-1", "{}", 404, "not_found"},
		{"unknown webhook", "POST", "/webhook/nope", "bridge-token-1", "{}", 404, "not_found"},
		{"too large", "POST", "/publish", "bridge-token-1", `{"topic":"com.t","args":["` + strings.Repeat("x", 2000) + `"]}`, 413, "payload_size_exceeded"},
		{"bad JSON", "POST", "/publish", "bridge-token-1", `{"topic":`, 400, "unexpected EOF"},
		{"unknown field", "POST", "/call", "bridge-token-1", `{"procedure":"com.p","argz":[]}`, 400, "argz"},
		{"args not a list", "POST", "/publish", "bridge-token-1", `{"topic":"com.t","args":{}}`, 400, "args must be a list"},
		{"no topic", "POST", "/publish", "bridge-token-1", `{"args":[]}`, 400, "needs a topic"},
		{"bad timeout", "POST", "/call", "bridge-token-1", `{"procedure":"com.p","options":{"timeout":"soon"}}`, 400, "options.timeout"},
		{"bad option type", "POST", "/publish", "bridge-token-1", `{"topic":"com.t","options":{"exclude_me":"yes"}}`, 400, "exclude_me"},
		{"invalid topic", "POST", "/publish", "bridge-token-1", `{"topic":"a..b"}`, 400, "invalid_uri"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, base+tc.path, tc.token, "application/json", tc.body)
			if r.status != tc.status || !strings.Contains(r.raw, tc.want) {
				t.Fatalf("got %d %s, want %d with %q", r.status, r.raw, tc.status, tc.want)
			}
			if tc.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			if tc.status == 405 && r.header.Get("Allow") != "POST" {
				t.Fatal("405 without Allow: POST")
			}
		})
	}
}

// TestAuthorization: the realm's roles decide what a principal may do.
func TestAuthorization(t *testing.T) {
	rt := startRouter(t)
	r := post(t, rt, "realm.roles", "/api/publish", "limited-token", "", `{"topic":"com.allowed"}`)
	if r.status != http.StatusOK {
		t.Fatalf("allowed publish: %d %s", r.status, r.raw)
	}
	for _, tc := range []struct{ path, body string }{
		{"/api/publish", `{"topic":"com.other"}`},
		{"/api/call", `{"procedure":"wamp.session.list"}`},
	} {
		r := post(t, rt, "realm.roles", tc.path, "limited-token", "", tc.body)
		if r.status != http.StatusForbidden || r.body["error"] != string(codec.ErrNotAuthorized) {
			t.Fatalf("%s %s: %d %s, want 403 not_authorized", tc.path, tc.body, r.status, r.raw)
		}
	}
	if r := post(t, rt, "realm.roles", "/publish", "limited-token", "", `{"topic":"com.allowed"}`); r.status != http.StatusNotFound {
		t.Fatalf("outside path_prefix: %d", r.status)
	}
}

// TestWebhook: the body (JSON parsed, anything else a string) and the
// selected headers are published to the webhook's topic.
func TestWebhook(t *testing.T) {
	rt := startRouter(t)
	sub := joinPeer(t, rt, "realm1")
	sub.subscribe("com.hook")
	r := post(t, rt, "realm1", "/webhook/gh", "bridge-token-1", "application/json", `{"action":"opened","n":[1]}`)
	if r.status != http.StatusOK || r.body["id"] == nil {
		t.Fatalf("webhook: %d %s", r.status, r.raw)
	}
	if e := sub.event(); e != `[[{"action":"opened","n":[1]}],{"headers":{"X-Event":"push"}}]` {
		t.Fatalf("event %s", e)
	}
	post(t, rt, "realm1", "/webhook/gh", "bridge-token-1", "text/plain", "plain text")
	if e := sub.event(); e != `[["plain text"],{"headers":{"X-Event":"push"}}]` {
		t.Fatalf("event %s", e)
	}
	if r := post(t, rt, "realm1", "/webhook/gh", "bridge-token-1", "application/json", `{"a":`); r.status != http.StatusBadRequest {
		t.Fatalf("bad JSON webhook: %d %s", r.status, r.raw)
	}
}

// TestSessionMeta: the bridge's session is in wamp.session.list with its
// identity, and a killed one is joined again by the next request.
func TestSessionMeta(t *testing.T) {
	rt := startRouter(t)
	find := func() float64 {
		t.Helper()
		r := post(t, rt, "realm1", "/call", "bridge-token-1", "", `{"procedure":"wamp.session.list"}`)
		if r.status == http.StatusServiceUnavailable { // sent just before the kill took effect
			r = post(t, rt, "realm1", "/call", "bridge-token-1", "", `{"procedure":"wamp.session.list"}`)
		}
		args, _ := r.body["args"].([]any)
		var ids []any
		if len(args) == 1 {
			ids, _ = args[0].([]any)
		}
		if r.status != http.StatusOK || len(ids) == 0 {
			t.Fatalf("session.list: %d %s", r.status, r.raw)
		}
		for _, id := range ids {
			r := post(t, rt, "realm1", "/call", "bridge-token-1", "", fmt.Sprintf(`{"procedure":"wamp.session.get","args":[%.0f]}`, id))
			d, _ := r.body["args"].([]any)
			if len(d) == 1 {
				if m, _ := d[0].(map[string]any); m["authid"] == "bridge" && m["authrole"] == "anonymous" && m["authmethod"] == "http-bearer" {
					return id.(float64)
				}
			}
		}
		t.Fatalf("no session of authid bridge in wamp.session.list: %s", r.raw)
		return 0
	}
	first := find()
	killer := joinPeer(t, rt, "realm1")
	killer.send(&codec.Message{Type: codec.Call, URI: "wamp.session.kill", Args: mustJSON(t, []any{first}), PayloadSer: codec.JSON})
	var second float64
	deadline := time.Now().Add(testTimeout)
	for second = find(); second == first && time.Now().Before(deadline); second = find() {
		time.Sleep(10 * time.Millisecond) // the kill is asynchronous to the RESULT
	}
	if second == first {
		t.Fatal("the killed session is still used")
	}
	if n := rt.Bridge("realm1").Rejoins(); n != 1 {
		t.Fatalf("rejoins %d, want the principal's one", n)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestShutdown: Router.Shutdown stops the bridge; a call waiting for a
// callee that never answers gets 503 at once.
func TestShutdown(t *testing.T) {
	rt := startRouter(t)
	callee := joinPeer(t, rt, "realm1")
	callee.register("com.echo", "com.fail", "com.invalid", "com.slow")
	addr := rt.BridgeAddr("realm1").String()
	got := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/call", bytes.NewReader([]byte(`{"procedure":"com.slow"}`)))
		req.Header.Set("Authorization", "Bearer bridge-token-1")
		res, err := client.Do(req)
		if err != nil {
			got <- 0
			return
		}
		res.Body.Close()
		got <- res.StatusCode
	}()
	select {
	case <-callee.slow:
	case <-time.After(testTimeout):
		t.Fatal("the call did not reach the callee")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	start := time.Now()
	if err := rt.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Shutdown took %v with a call waiting", d)
	}
	select {
	case s := <-got:
		if s != http.StatusServiceUnavailable {
			t.Fatalf("waiting call answered %d, want 503", s)
		}
	case <-time.After(testTimeout):
		t.Fatal("waiting call not answered")
	}
	if _, err := client.Post("http://"+addr+"/publish", "application/json", strings.NewReader("{}")); err == nil {
		t.Fatal("bridge still serving after Shutdown")
	}
}

// startYAML starts a router configured by yaml, stopped when the test
// ends.
func startYAML(t *testing.T, yaml string) *engine.Router {
	t.Helper()
	return enginetest.StartYAML(t, yaml)
}
