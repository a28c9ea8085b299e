package main

// HTTP bridge interop tests: a real wampd whose realm1 has an HTTP bridge,
// Autobahn|Python peers on the WAMP side (testdata/interop/py/bridge.py)
// and the test itself on the HTTP side: its net/http client posts to the
// bridge, and its loopback HTTP server is the target of the bridge's
// forward_events and forward_calls. The router, the peer and the server
// are shared by the subtests, which run in order; every wait is bounded.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wampd/wampd/engine/auth"
)

// Tokens of the bridge's principals: "bridge" (role anonymous, may do
// everything) and "limited" (may only publish to com.bi.allowed).
const (
	bridgeToken  = "bridge-token-1"
	limitedToken = "limited-token-1"
)

// bridgeConfig is realm1 with roles and a bridge whose forwards target
// sink (the test's server), and realm2 with a bridge serving one request
// at a time (the 503 case). The listeners are the flags'.
const bridgeConfig = `
metrics:
  listen: 127.0.0.1:0
realms:
  - name: realm1
    anonymous: true
    roles:
      - name: anonymous
        permissions:
          - {uri: "", match: prefix, allow: {call: true, register: true, publish: true, subscribe: true}}
      - name: limited
        permissions:
          - {uri: com.bi.allowed, allow: {publish: true}}
    bridge:
      listen: 127.0.0.1:0
      max_body: 2KiB
      call_timeout: 5s
      principals:
        - {token_hash: %[1]q, authid: bridge, role: anonymous}
        - {token_hash: %[2]q, authid: limited, role: limited}
      webhooks:
        - {name: gh, topic: com.bi.hook, headers: [X-Event]}
      forward_events:
        - {topic: com.bi.out, url: "%[3]s/event", timeout: 2s}
      forward_calls:
        - {procedure: com.bi.fwd, url: "%[3]s/call", timeout: 2s}
        - {procedure: com.bi.fwd500, url: "%[3]s/500", timeout: 2s, retries: 1}
        - {procedure: com.bi.fwdslow, url: "%[3]s/slow", timeout: 300ms}
  - name: realm2
    anonymous: true
    bridge:
      listen: 127.0.0.1:0
      max_concurrent: 1
      read_timeout: 5s
      principals:
        - {token_hash: %[1]q, authid: bridge, role: anonymous}
`

// bridgeWait bounds each wait of these tests for an event or a POST.
const bridgeWait = 10 * time.Second

func TestBridgeInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("interop tests start real clients; skipped with -short")
	}
	env := newInteropEnv(t)
	env.needPython(t)
	env.bin = buildWampd(t)

	sink := newForwardSink(t)
	cfg := filepath.Join(t.TempDir(), "bridge.yaml")
	yaml := fmt.Sprintf(bridgeConfig, cheapHash(t, bridgeToken), cheapHash(t, limitedToken), sink.URL)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startRouterWith(t, env, false, "--config", cfg)
	b := &bridgeClient{t: t, base: "http://" + loggedAddr(t, r, "bridge", "realm1")}
	metrics := "http://" + loggedAddr(t, r, "metrics", "") + "/metrics"

	peer := env.pyScript(t, r, "bridge.py", "peer", "ws", "json")
	peer.waitLine(t, "READY", startTimeout)

	t.Run("call", func(t *testing.T) {
		res := b.post(t, "/call", bridgeToken, "", `{"procedure":"com.bi.echo","args":["a",1,{"n":null}],"kwargs":{"k":"v"}}`)
		res.want(t, http.StatusOK, `{"args":["a",1,{"n":null}],"kwargs":{"k":"v"}}`)
		res = b.post(t, "/call", bridgeToken, "", `{"procedure":"com.bi.echo"}`)
		res.want(t, http.StatusOK, `{"args":[],"kwargs":{}}`)
	})
	t.Run("publish", func(t *testing.T) {
		res := b.post(t, "/publish", bridgeToken, "application/json", `{"topic":"com.bi.topic","args":[1,"two"],"kwargs":{"x":true}}`)
		if res.status != http.StatusOK || res.body["id"] == nil {
			t.Fatalf("publish: %d %s", res.status, res.raw)
		}
		nextEvent(t, peer).want(t, "com.bi.topic", []any{1.0, "two"}, map[string]any{"x": true})
	})
	t.Run("webhook", func(t *testing.T) {
		res := b.postH(t, "/webhook/gh", bridgeToken, "application/json", `{"action":"opened","n":3}`, "X-Event", "push")
		res.want(t, http.StatusOK, "")
		headers := map[string]any{"headers": map[string]any{"X-Event": "push"}}
		nextEvent(t, peer).want(t, "com.bi.hook", []any{map[string]any{"action": "opened", "n": 3.0}}, headers)
		res = b.postH(t, "/webhook/gh", bridgeToken, "text/plain", "plain text", "X-Event", "ping")
		res.want(t, http.StatusOK, "")
		nextEvent(t, peer).want(t, "com.bi.hook", []any{"plain text"}, map[string]any{"headers": map[string]any{"X-Event": "ping"}})
	})
	t.Run("errors", func(t *testing.T) { testBridgeErrors(t, b) })
	t.Run("busy", func(t *testing.T) { testBridgeBusy(t, "http://"+loggedAddr(t, r, "bridge", "realm2")) })
	t.Run("outbound", func(t *testing.T) {
		out := env.pyScript(t, r, "bridge.py", "outbound", "rs", "cbor")
		var ev struct {
			Topic  string
			Args   []any
			Kwargs map[string]any
		}
		if err := json.Unmarshal(sink.next(t, "/event"), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Topic != "com.bi.out" || !reflect.DeepEqual(ev.Args, []any{1.0, "two"}) || !reflect.DeepEqual(ev.Kwargs, map[string]any{"k": true}) {
			t.Fatalf("forwarded event %+v", ev)
		}
		out.wait(t, scriptTimeout)
		// Delivered, failed (after a retry) and timed out, as counted.
		for _, m := range []struct {
			name, uri string
			want      int
		}{
			{"wampd_bridge_forward_delivered_total", "com.bi.out", 1},
			{"wampd_bridge_forward_delivered_total", "com.bi.fwd", 1},
			{"wampd_bridge_forward_failed_total", "com.bi.fwd500", 1},
			{"wampd_bridge_forward_retries_total", "com.bi.fwd500", 1},
			{"wampd_bridge_forward_failed_total", "com.bi.fwdslow", 1},
			{"wampd_bridge_forward_timeouts_total", "com.bi.fwdslow", 1},
			{"wampd_bridge_forward_delivered_total", "com.bi.fwdslow", 0},
		} {
			if got := metricValue(t, metrics, m.name, m.uri); got != m.want {
				t.Errorf("%s{uri=%q} = %d, want %d", m.name, m.uri, got, m.want)
			}
		}
	})
	t.Run("outbound-rejoin", func(t *testing.T) {
		// Killed through the meta API, the outbound session joins again
		// and subscribes again: a publication soon reaches the sink again
		// (those published while it was away are not forwarded).
		// It ends with a second kill, which must find a new session.
		kill := func() string {
			res := b.post(t, "/call", bridgeToken, "", `{"procedure":"wamp.session.kill_by_authid","args":["wampd.bridge"]}`)
			if args, _ := res.body["args"].([]any); res.status != http.StatusOK || len(args) != 1 || len(args[0].([]any)) != 1 {
				t.Fatalf("kill: %d %s", res.status, res.raw)
			}
			return res.raw
		}
		first := kill()
		defer func() {
			if !t.Failed() && kill() == first {
				t.Fatal("the killed outbound session was not replaced")
			}
		}()
		deadline := time.Now().Add(bridgeWait)
		for i := 0; ; i++ {
			b.post(t, "/publish", bridgeToken, "", fmt.Sprintf(`{"topic":"com.bi.out","args":[%d]}`, i)).want(t, http.StatusOK, "")
			select {
			case r := <-sink.got: // the outbound subtest's calls may come first
				if r.path == "/event" && strings.Contains(string(r.body), `"com.bi.out"`) {
					return
				}
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatal("forwarding did not resume after the kill")
			}
		}
	})
	// The peer ends when com.bi.quit is called through the bridge.
	b.post(t, "/call", bridgeToken, "", `{"procedure":"com.bi.quit"}`).want(t, http.StatusOK, `{"args":["bye"],"kwargs":{}}`)
	peer.wait(t, scriptTimeout)
}

// testBridgeErrors checks every status the bridge answers with, each with
// its error URI (and message, where the bridge gives one).
func testBridgeErrors(t *testing.T, b *bridgeClient) {
	big := `{"topic":"com.bi.topic","args":["` + strings.Repeat("x", 4<<10) + `"]}`
	cases := []struct {
		name, method, path, token, body string
		status                          int
		uri, message                    string
	}{
		{"no such procedure", "POST", "/call", bridgeToken, `{"procedure":"com.bi.nobody"}`, 404, "wamp.error.no_such_procedure", ""},
		{"not authorized to call", "POST", "/call", limitedToken, `{"procedure":"com.bi.echo"}`, 403, "wamp.error.not_authorized", ""},
		{"not authorized to publish", "POST", "/publish", limitedToken, `{"topic":"com.bi.topic"}`, 403, "wamp.error.not_authorized", ""},
		{"timeout", "POST", "/call", bridgeToken, `{"procedure":"com.bi.slow","options":{"timeout":300}}`, 504, "", ""},
		{"application error", "POST", "/call", bridgeToken, `{"procedure":"com.bi.fail"}`, 502, "com.bi.oops", ""},
		{"callee's invalid argument", "POST", "/call", bridgeToken, `{"procedure":"com.bi.invalid"}`, 400, "wamp.error.invalid_argument", ""},
		{"bad JSON", "POST", "/call", bridgeToken, `{"procedure":`, 400, "wamp.error.invalid_argument", "body is not a valid request"},
		{"args not a list", "POST", "/call", bridgeToken, `{"procedure":"com.bi.echo","args":{}}`, 400, "wamp.error.invalid_argument", "args must be a list"},
		{"publish without topic", "POST", "/publish", bridgeToken, `{"args":[]}`, 400, "wamp.error.invalid_argument", "publish needs a topic"},
		{"bad timeout", "POST", "/call", bridgeToken, `{"procedure":"com.bi.echo","options":{"timeout":"soon"}}`, 400, "wamp.error.invalid_argument", "options.timeout"},
		{"invalid URI", "POST", "/call", bridgeToken, `{"procedure":"com..bi"}`, 400, "", ""},
		{"webhook bad JSON", "POST", "/webhook/gh", bridgeToken, `{"a":`, 400, "wamp.error.invalid_argument", "body is not valid JSON"},
		{"no token", "POST", "/call", "", `{"procedure":"com.bi.echo"}`, 401, "wamp.error.authentication_failed", "missing or invalid bearer token"},
		{"bad token", "POST", "/call", "not-a-token", `{"procedure":"com.bi.echo"}`, 401, "wamp.error.authentication_failed", "missing or invalid bearer token"},
		{"oversized body", "POST", "/publish", bridgeToken, big, 413, "wamp.error.payload_size_exceeded", "body larger than 2048 bytes"},
		{"no such endpoint", "POST", "/nothing", bridgeToken, `{}`, 404, "wampd.bridge.not_found", "no such endpoint"},
		{"no such webhook", "POST", "/webhook/none", bridgeToken, `{}`, 404, "wampd.bridge.not_found", "no such webhook"},
		{"method not allowed", "GET", "/call", bridgeToken, ``, 405, "wampd.bridge.method_not_allowed", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct := "application/json"
			res := b.do(t, c.method, c.path, c.token, ct, c.body)
			if res.status != c.status {
				t.Fatalf("status %d, want %d: %s", res.status, c.status, res.raw)
			}
			if got, _ := res.body["error"].(string); got == "" || c.uri != "" && got != c.uri {
				t.Fatalf("error %q, want %q: %s", got, c.uri, res.raw)
			}
			if msg, _ := res.body["message"].(string); !strings.Contains(msg, c.message) {
				t.Fatalf("message %q, want it to say %q", msg, c.message)
			}
			switch c.status {
			case 401:
				if res.header.Get("WWW-Authenticate") == "" {
					t.Fatal("401 without WWW-Authenticate")
				}
			case 405:
				if res.header.Get("Allow") != "POST" {
					t.Fatalf("405 with Allow %q", res.header.Get("Allow"))
				}
			}
		})
	}
	t.Run("application error args", func(t *testing.T) {
		res := b.post(t, "/call", bridgeToken, "", `{"procedure":"com.bi.fail"}`)
		if fmt.Sprint(res.body["args"]) != "[it broke]" {
			t.Fatalf("error args: %s", res.raw)
		}
	})
}

// testBridgeBusy: with realm2's one request slot held by a request whose
// body never comes, another request is refused with 503 and Retry-After.
func testBridgeBusy(t *testing.T, base string) {
	hold := func() net.Conn {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), bridgeWait)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fmt.Fprintf(conn, "POST /publish HTTP/1.1\r\nHost: bridge\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", bridgeToken)
		if err != nil {
			t.Fatal(err)
		}
		return conn
	}
	conn := hold()
	defer func() { conn.Close() }()
	b := &bridgeClient{t: t, base: base}
	deadline := time.Now().Add(bridgeWait)
	for {
		res := b.post(t, "/publish", bridgeToken, "", `{"topic":"com.bi.busy"}`)
		if res.status == http.StatusServiceUnavailable {
			if res.body["error"] != "wampd.error.limit_exceeded" || res.header.Get("Retry-After") == "" {
				t.Fatalf("503 answer: %v %s", res.header, res.raw)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never refused while busy: %d %s", res.status, res.raw)
		}
		// Until the held request's handler runs, this one may take the
		// slot, and the held one may then be refused itself: hold again.
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if n, _ := conn.Read(make([]byte, 1)); n > 0 {
			conn.Close()
			conn = hold()
		}
	}
	conn.Close()
	deadline = time.Now().Add(bridgeWait)
	for res := b.post(t, "/publish", bridgeToken, "", `{"topic":"com.bi.busy"}`); res.status != http.StatusOK; res = b.post(t, "/publish", bridgeToken, "", `{"topic":"com.bi.busy"}`) {
		if time.Now().After(deadline) {
			t.Fatalf("slot not freed: %d %s", res.status, res.raw)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cheapHash is a ticket hash that verifies fast (PBKDF2, few rounds).
func cheapHash(t *testing.T, token string) string {
	t.Helper()
	h, err := auth.HashTicket(token, auth.HashParams{KDF: auth.KDFPBKDF2SHA256, Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// loggedAddr is the addr of wampd's log line msg (and realm, when given):
// "bridge" and "metrics" lines come before "wampd started".
func loggedAddr(t *testing.T, r *router, msg, realmName string) string {
	t.Helper()
	for line := range strings.SplitSeq(r.log.String(), "\n") {
		kv := logFields(line)
		if kv["msg"] == msg && (realmName == "" || kv["realm"] == realmName) && kv["addr"] != "" {
			return kv["addr"]
		}
	}
	t.Fatalf("no %q line for realm %q in wampd's log:\n%s", msg, realmName, r.log.String())
	return ""
}

// bridgeClient posts to one bridge.
type bridgeClient struct {
	t    *testing.T
	base string
}

var bridgeHTTP = &http.Client{Timeout: bridgeWait}

// bridgeResponse is an answer of the bridge: always a JSON object.
type bridgeResponse struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (b *bridgeClient) post(t *testing.T, path, token, contentType, body string) bridgeResponse {
	t.Helper()
	return b.do(t, http.MethodPost, path, token, contentType, body)
}

func (b *bridgeClient) postH(t *testing.T, path, token, contentType, body string, header ...string) bridgeResponse {
	t.Helper()
	return b.do(t, http.MethodPost, path, token, contentType, body, header...)
}

func (b *bridgeClient) do(t *testing.T, method, path, token, contentType, body string, header ...string) bridgeResponse {
	t.Helper()
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := bridgeHTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := bridgeResponse{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("%s %s: answer %q is not a JSON object: %v", method, path, raw, err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	return r
}

// want checks the status and, when raw is given, the whole answer.
func (r bridgeResponse) want(t *testing.T, status int, raw string) {
	t.Helper()
	if r.status != status || raw != "" && r.raw != raw+"\n" {
		t.Fatalf("answer %d %s, want %d %s", r.status, r.raw, status, raw)
	}
}

// peerEvent is one "EVENT <json>" line of bridge.py's peer.
type peerEvent struct {
	Topic  string         `json:"topic"`
	Args   []any          `json:"args"`
	Kwargs map[string]any `json:"kwargs"`
}

// nextEvent waits (bounded) for the peer's next EVENT line.
func nextEvent(t *testing.T, p *proc) peerEvent {
	t.Helper()
	timer := time.NewTimer(bridgeWait)
	defer timer.Stop()
	for {
		select {
		case line := <-p.lines:
			if js, ok := strings.CutPrefix(line, "EVENT "); ok {
				var e peerEvent
				if err := json.Unmarshal([]byte(js), &e); err != nil {
					t.Fatalf("peer printed %q: %v", line, err)
				}
				return e
			}
		case <-p.done:
			t.Fatalf("%s exited (%v) before an event:\n%s", p.name, p.err, p.out.String())
		case <-timer.C:
			t.Fatalf("%s got no event within %v:\n%s", p.name, bridgeWait, p.out.String())
		}
	}
}

func (e peerEvent) want(t *testing.T, topic string, args []any, kwargs map[string]any) {
	t.Helper()
	if e.Topic != topic || !reflect.DeepEqual(e.Args, args) || !reflect.DeepEqual(e.Kwargs, kwargs) {
		t.Fatalf("event %+v, want topic %s args %v kwargs %v", e, topic, args, kwargs)
	}
}

// forwardSink is the test's HTTP server, the forward targets: /event takes
// events, /call answers ["served", args...] with the procedure in kwargs,
// /500 fails, /slow answers after its caller gave up.
type forwardSink struct {
	*httptest.Server
	got chan sinkRequest
}

type sinkRequest struct {
	path string
	body []byte
}

func newForwardSink(t *testing.T) *forwardSink {
	t.Helper()
	s := &forwardSink{got: make(chan sinkRequest, 64)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		select {
		case s.got <- sinkRequest{r.URL.Path, body}:
		default:
		}
		switch r.URL.Path {
		case "/event":
			w.WriteHeader(http.StatusNoContent)
		case "/call":
			var c struct {
				Procedure string
				Args      []any
				Kwargs    map[string]any
			}
			_ = json.Unmarshal(body, &c)
			c.Kwargs["procedure"] = c.Procedure
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"args": append([]any{"served"}, c.Args...), "kwargs": c.Kwargs})
		case "/500":
			http.Error(w, "broken", http.StatusInternalServerError)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(bridgeWait):
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// next waits (bounded) for a request to path and returns its body.
func (s *forwardSink) next(t *testing.T, path string) []byte {
	t.Helper()
	timer := time.NewTimer(bridgeWait)
	defer timer.Stop()
	for {
		select {
		case r := <-s.got:
			if r.path == path {
				return r.body
			}
		case <-timer.C:
			t.Fatalf("no POST to %s within %v", path, bridgeWait)
		}
	}
}

// metricValue reads name{realm="realm1",uri=uri} from /metrics; absent is
// a failure.
func metricValue(t *testing.T, url, name, uri string) int {
	t.Helper()
	res, err := bridgeHTTP.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") || !strings.Contains(line, `realm="realm1"`) || !strings.Contains(line, `uri="`+uri+`"`) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		return int(v)
	}
	t.Fatalf("no %s{uri=%q} in %s", name, uri, url)
	return 0
}
