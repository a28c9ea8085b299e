package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/auth"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/netpoll"
	"github.com/wampd/wampd/realm"
)

// testTimeout bounds every network wait of these tests.
const testTimeout = 5 * time.Second

// testConfig serves realm1 (anonymous) and realm.closed (not anonymous) on
// WebSocket and RawSocket, on ports the kernel picks.
func testConfig() config.Config {
	c := config.Default()
	c.Listeners = []config.Listener{
		{Listen: "127.0.0.1:0", Transports: []string{config.TransportWebSocket}, WSPath: "/ws"},
		{Listen: "127.0.0.1:0", Transports: []string{config.TransportRawSocket}},
	}
	c.Realms = []config.Realm{{Name: "realm1", Anonymous: true}, {Name: "realm.closed"}}
	return c
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startRouter starts a router for cfg and stops it when the test ends.
func startRouter(t *testing.T, cfg config.Config) (*Router, *syncBuffer) {
	t.Helper()
	return startRouterWith(t, cfg, nil)
}

// startRouterWith is startRouter with a hook that sees the router before
// it starts.
func startRouterWith(t *testing.T, cfg config.Config, before func(*Router)) (*Router, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	rt, err := New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if before != nil {
		before(rt)
	}
	if err := rt.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		_ = rt.Shutdown(ctx)
	})
	return rt, logs
}

func endpoint(t *testing.T, rt *Router, transport string) Endpoint {
	t.Helper()
	for _, e := range rt.Endpoints() {
		if e.Transport == transport {
			return e
		}
	}
	t.Fatalf("no %s endpoint in %v", transport, rt.Endpoints())
	return Endpoint{}
}

// client is a minimal WAMP-over-JSON client on WebSocket or RawSocket.
type client struct {
	t    *testing.T
	conn net.Conn
	rs   bool
	rd   *bufio.Reader
}

func dialWS(t *testing.T, rt *Router) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	d := ws.Dialer{Protocols: []string{codec.JSON.Subprotocol()}}
	conn, br, hs, err := d.Dial(ctx, endpoint(t, rt, config.TransportWebSocket).URL)
	if err != nil {
		t.Fatalf("ws dial: %v", err)
	}
	if hs.Protocol != codec.JSON.Subprotocol() {
		t.Fatalf("subprotocol = %q", hs.Protocol)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	return &client{t: t, conn: conn, rd: br}
}

func dialRS(t *testing.T, rt *Router) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", endpoint(t, rt, config.TransportRawSocket).Addr.String(), testTimeout)
	if err != nil {
		t.Fatalf("rawsocket dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	rsHandshake(t, conn)
	return &client{t: t, conn: conn, rs: true, rd: bufio.NewReader(conn)}
}

// rsHandshake runs the RawSocket handshake for JSON on conn.
func rsHandshake(t *testing.T, conn net.Conn) {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(testTimeout))
	// 0x7F, max length 2^(9+15) (0xF_), serializer 1 (JSON), reserved.
	if _, err := conn.Write([]byte{0x7F, 0xF1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	var reply [4]byte
	if _, err := io.ReadFull(conn, reply[:]); err != nil {
		t.Fatalf("rawsocket handshake reply: %v", err)
	}
	if reply[0] != 0x7F || reply[1]&0x0F != 1 {
		t.Fatalf("rawsocket handshake reply = % x", reply)
	}
}

func (c *client) send(msg string) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(testTimeout))
	var err error
	if c.rs {
		hdr := [4]byte{0, byte(len(msg) >> 16), byte(len(msg) >> 8), byte(len(msg))}
		_, err = c.conn.Write(append(hdr[:], msg...))
	} else {
		err = wsutil.WriteClientText(c.conn, []byte(msg))
	}
	if err != nil {
		c.t.Fatalf("send %s: %v", msg, err)
	}
}

// recv reads one WAMP message, or returns the error that ended the stream.
func (c *client) recv() ([]any, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(testTimeout))
	var data []byte
	if c.rs {
		var hdr [4]byte
		for {
			if _, err := io.ReadFull(c.rd, hdr[:]); err != nil {
				return nil, err
			}
			n := int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
			data = make([]byte, n)
			if _, err := io.ReadFull(c.rd, data); err != nil {
				return nil, err
			}
			if hdr[0]&0x07 == 0 { // skip PING/PONG
				break
			}
		}
	} else {
		var err error
		if data, err = wsutil.ReadServerText(struct {
			io.Reader
			io.Writer
		}{c.rd, c.conn}); err != nil {
			return nil, err
		}
	}
	var msg []any
	if err := json.Unmarshal(data, &msg); err != nil {
		return nil, fmt.Errorf("not a JSON WAMP message %q: %w", data, err)
	}
	return msg, nil
}

func (c *client) mustRecv() []any {
	c.t.Helper()
	m, err := c.recv()
	if err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	return m
}

// expectClosed asserts the router ends the connection.
func (c *client) expectClosed() {
	c.t.Helper()
	m, err := c.recv()
	if err == nil {
		c.t.Fatalf("got %v, want the connection closed", m)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatal("connection still open after ABORT")
	}
}

func msgType(m []any) int {
	if len(m) == 0 {
		return -1
	}
	f, _ := m[0].(float64)
	return int(f)
}

// expectAbort asserts m is ABORT with reason and a details.message.
func expectAbort(t *testing.T, m []any, reason string) {
	t.Helper()
	if msgType(m) != int(codec.Abort) || len(m) != 3 || m[2] != reason {
		t.Fatalf("got %v, want ABORT %s", m, reason)
	}
	d, _ := m[1].(map[string]any)
	if s, _ := d["message"].(string); s == "" {
		t.Errorf("ABORT %s has no details.message: %v", reason, m)
	}
}

func TestHandshake(t *testing.T) {
	rt, _ := startRouter(t, testConfig())
	tests := []struct {
		name   string
		hello  string
		reason string // "" means WELCOME
	}{
		{"welcome", `[1,"realm1",{"roles":{"subscriber":{},"publisher":{}}}]`, ""},
		{"welcome with anonymous listed", `[1,"realm1",{"roles":{"caller":{}},"authmethods":["ticket","anonymous"]}]`, ""},
		{"message before hello", `[32,1,{},"com.example.topic"]`, codec.ErrProtocolViolation},
		{"goodbye before hello", `[6,{},"wamp.close.normal"]`, codec.ErrProtocolViolation},
		{"undecodable", `[1,"realm1"`, codec.ErrProtocolViolation},
		{"unknown realm", `[1,"no.such.realm",{"roles":{"caller":{}}}]`, codec.ErrNoSuchRealm},
		{"invalid realm uri", `[1,"a..b",{"roles":{"caller":{}}}]`, codec.ErrInvalidURI},
		{"no anonymous offered", `[1,"realm1",{"roles":{"caller":{}},"authmethods":["ticket"]}]`, codec.ErrNoAuthMethod},
		{"realm without anonymous", `[1,"realm.closed",{"roles":{"caller":{}}}]`, codec.ErrNoAuthMethod},
	}
	for _, transport := range []string{config.TransportWebSocket, config.TransportRawSocket} {
		for _, tt := range tests {
			t.Run(transport+"/"+tt.name, func(t *testing.T) {
				var c *client
				if transport == config.TransportWebSocket {
					c = dialWS(t, rt)
				} else {
					c = dialRS(t, rt)
				}
				c.send(tt.hello)
				m := c.mustRecv()
				if tt.reason != "" {
					expectAbort(t, m, tt.reason)
					c.expectClosed()
					return
				}
				if msgType(m) != int(codec.Welcome) || len(m) != 3 {
					t.Fatalf("got %v, want WELCOME", m)
				}
				id, _ := m[1].(float64)
				if id < 1 || id > codec.MaxID || id != float64(uint64(id)) {
					t.Errorf("session id %v outside [1, 2^53]", m[1])
				}
				d, _ := m[2].(map[string]any)
				if d["authrole"] != authAnonymous || d["authmethod"] != authAnonymous {
					t.Errorf("WELCOME details = %v, want anonymous authrole and authmethod", d)
				}
			})
		}
	}
}

func TestUndecodableAfterJoinIsKicked(t *testing.T) {
	rt, _ := startRouter(t, testConfig())
	c := dialWS(t, rt)
	c.send(`[1,"realm1",{"roles":{"subscriber":{}}}]`)
	if m := c.mustRecv(); msgType(m) != int(codec.Welcome) {
		t.Fatalf("got %v, want WELCOME", m)
	}
	c.send(`[32,1,{}`)
	expectAbort(t, c.mustRecv(), codec.ErrProtocolViolation)
	c.expectClosed()
}

func TestMaxSessions(t *testing.T) {
	cfg := testConfig()
	cfg.Limits.MaxSessions = 1
	rt, _ := startRouter(t, cfg)
	first := dialWS(t, rt)
	first.send(`[1,"realm1",{"roles":{"subscriber":{}}}]`)
	if m := first.mustRecv(); msgType(m) != int(codec.Welcome) {
		t.Fatalf("first session: got %v, want WELCOME", m)
	}
	second := dialRS(t, rt)
	second.send(`[1,"realm1",{"roles":{"subscriber":{}}}]`)
	m := second.mustRecv()
	expectAbort(t, m, codec.ErrNotAuthorized)
	if d, _ := m[1].(map[string]any); !strings.Contains(fmt.Sprint(d["message"]), "max_sessions") {
		t.Errorf("ABORT message %v does not name the limit", d["message"])
	}
	second.expectClosed()

	// The slot comes back when the first session leaves.
	first.conn.Close()
	deadline := time.Now().Add(testTimeout)
	for rt.Stats().Sessions != 0 {
		if time.Now().After(deadline) {
			t.Fatal("session count did not drop after close")
		}
		time.Sleep(5 * time.Millisecond)
	}
	third := dialWS(t, rt)
	third.send(`[1,"realm1",{"roles":{"subscriber":{}}}]`)
	if m := third.mustRecv(); msgType(m) != int(codec.Welcome) {
		t.Fatalf("after the first left: got %v, want WELCOME", m)
	}
}

func TestShutdownSaysGoodbye(t *testing.T) {
	rt, logs := startRouter(t, testConfig())
	var clients []*client
	for _, dial := range []func(*testing.T, *Router) *client{dialWS, dialRS} {
		c := dial(t, rt)
		c.send(`[1,"realm1",{"roles":{"subscriber":{}}}]`)
		if m := c.mustRecv(); msgType(m) != int(codec.Welcome) {
			t.Fatalf("got %v, want WELCOME", m)
		}
		clients = append(clients, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := rt.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, c := range clients {
		m := c.mustRecv()
		if msgType(m) != int(codec.Goodbye) || len(m) != 3 || m[2] != codec.CloseSystemShutdown {
			t.Fatalf("got %v, want GOODBYE %s", m, codec.CloseSystemShutdown)
		}
		c.expectClosed()
	}
	if !strings.Contains(logs.String(), "msg=listening transport=websocket addr=127.0.0.1:") {
		t.Errorf("no listening line in logs:\n%s", logs)
	}
}

func TestListeningLog(t *testing.T) {
	rt, logs := startRouter(t, testConfig())
	for _, e := range rt.Endpoints() {
		tcp, ok := e.Addr.(*net.TCPAddr)
		if !ok || tcp.Port == 0 {
			t.Fatalf("endpoint %v has no bound port", e)
		}
		want := fmt.Sprintf("msg=listening transport=%s addr=%s url=%s", e.Transport, e.Addr, e.URL)
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if got := len(rt.Addrs()); got != 2 {
		t.Errorf("Addrs() has %d addresses, want 2", got)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	cfg := testConfig()
	cfg.Metrics.Listen = "127.0.0.1:0"
	rt, _ := startRouter(t, cfg)
	c := dialWS(t, rt)
	c.send(`[1,"realm1",{"roles":{"subscriber":{}}}]`)
	if m := c.mustRecv(); msgType(m) != int(codec.Welcome) {
		t.Fatalf("got %v, want WELCOME", m)
	}
	hc := http.Client{Timeout: testTimeout}
	resp, err := hc.Get("http://" + rt.MetricsAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		"# TYPE wampd_sessions gauge\nwampd_sessions 1\n",
		"wampd_connections_accepted_total ",
		"wampd_dropped_events_total 0\n",
		"wampd_slow_disconnects_total 0\n",
		"wampd_protocol_errors_total ",
		`wampd_realm_sessions{realm="realm1"} 1` + "\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

func TestShutdownBeforeStart(t *testing.T) {
	rt, err := New(testConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Shutdown(context.Background()); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("Shutdown before Start = %v, want ErrNotStarted", err)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	cfg := testConfig()
	cfg.Realms = nil
	if _, err := New(cfg, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New(no realms) = %v, want ErrInvalidConfig", err)
	}
}

func TestAnonymousAllowed(t *testing.T) {
	open := anonymousEntry(realm.New(realm.Options{Name: "open"}))
	tests := []struct {
		name    string
		re      *realmEntry
		details map[string]any
		ok      bool
	}{
		{"absent", open, map[string]any{}, true},
		{"nil details", open, nil, true},
		{"empty list", open, map[string]any{"authmethods": []any{}}, true},
		{"anonymous listed", open, map[string]any{"authmethods": []any{"wampcra", "anonymous"}}, true},
		{"only ticket", open, map[string]any{"authmethods": []any{"ticket"}}, false},
		{"not a list", open, map[string]any{"authmethods": "anonymous"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var methods []byte
			if v, ok := tt.details["authmethods"]; ok {
				var err error
				if methods, err = codec.AppendValue(codec.MsgPack, nil, v); err != nil {
					t.Fatal(err)
				}
			}
			msg := anonymousAllowed(tt.re, codec.MsgPack, methods)
			if (msg == "") != tt.ok {
				t.Fatalf("anonymousAllowed = %q, want ok=%v", msg, tt.ok)
			}
		})
	}
}

func TestIDGen(t *testing.T) {
	g := newIDGen()
	seen := map[uint64]bool{}
	authIDs := map[string]bool{}
	for range 10000 {
		id, authID := g.session()
		if id < 1 || id > codec.MaxID {
			t.Fatalf("id %d outside [1, 2^53]", id)
		}
		if seen[id] {
			t.Fatalf("id %d drawn twice in 10000", id)
		}
		seen[id] = true
		if len(authID) != 24 || strings.Trim(authID, authIDAlphabet) != "" || authIDs[authID] {
			t.Fatalf("authid %q: wrong length, alphabet or drawn twice", authID)
		}
		authIDs[authID] = true
	}
}

// feature reads hello like realm does (roles.<role>.features.<feature>).
func feature(hello map[string]any, role, name string) bool {
	roles, _ := hello["roles"].(map[string]any)
	rd, _ := roles[role].(map[string]any)
	fs, _ := rd["features"].(map[string]any)
	v, _ := fs[name].(bool)
	return v
}

// scannedRoles encodes hello as HELLO.Details in every serializer and
// returns the roles mask scanHello reads from it, the same for all three.
func scannedRoles(t *testing.T, hello map[string]any) uint32 {
	t.Helper()
	if hello == nil {
		hello = map[string]any{}
	}
	var masks []uint32
	for _, ser := range []codec.Serializer{codec.JSON, codec.MsgPack, codec.CBOR} {
		raw, err := codec.AppendValue(ser, nil, hello)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := scanHello(ser, raw)
		if err != nil {
			t.Fatalf("%s: %v", ser, err)
		}
		masks = append(masks, hs.roles)
	}
	if masks[0] != masks[1] || masks[0] != masks[2] {
		t.Fatalf("roles masks differ by serializer: %b", masks)
	}
	return masks[0]
}

func TestRolesCache(t *testing.T) {
	full := map[string]any{
		"agent":       "autobahn",
		"authmethods": []any{"anonymous"},
		"roles": map[string]any{
			"caller":     map[string]any{"features": map[string]any{"progressive_call_results": true, "call_canceling": true}},
			"callee":     map[string]any{"features": map[string]any{"call_canceling": true, "shared_registration": true, "vendor_x": true}},
			"publisher":  map[string]any{"features": map[string]any{"publisher_exclusion": false}},
			"subscriber": map[string]any{},
			"unknown":    map[string]any{"features": map[string]any{"x": true}},
		},
	}
	tests := []struct {
		name     string
		hello    map[string]any
		roles    []string // roles kept
		features [][2]string
		absent   [][2]string
	}{
		{"nil", nil, nil, nil, [][2]string{{"callee", "call_canceling"}}},
		{"no roles", map[string]any{"agent": "x"}, nil, nil, nil},
		{"roles not a dict", map[string]any{"roles": []any{"callee"}}, nil, nil, nil},
		{"feature not a bool", map[string]any{"roles": map[string]any{
			"callee": map[string]any{"features": map[string]any{"call_canceling": "yes"}}}},
			[]string{"callee"}, nil, [][2]string{{"callee", "call_canceling"}}},
		{"full", full, []string{"caller", "callee", "publisher", "subscriber"},
			[][2]string{{"caller", "progressive_call_results"}, {"caller", "call_canceling"},
				{"callee", "call_canceling"}, {"callee", "shared_registration"}},
			[][2]string{{"callee", "vendor_x"}, {"publisher", "publisher_exclusion"}, {"unknown", "x"}, {"callee", "progressive_call_results"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c rolesCache
			mask := scannedRoles(t, tt.hello)
			d := c.details(mask)
			roles, _ := d["roles"].(map[string]any)
			if len(roles) != len(tt.roles) {
				t.Errorf("kept roles %v, want %v", roles, tt.roles)
			}
			for _, r := range tt.roles {
				if _, ok := roles[r].(map[string]any); !ok {
					t.Errorf("role %q not kept: %v", r, d)
				}
			}
			for _, f := range tt.features {
				if !feature(d, f[0], f[1]) {
					t.Errorf("%s.%s not kept: %v", f[0], f[1], d)
				}
			}
			for _, f := range tt.absent {
				if feature(d, f[0], f[1]) {
					t.Errorf("%s.%s kept: %v", f[0], f[1], d)
				}
			}
			if len(d) != 1 {
				t.Errorf("dict has keys beyond roles: %v", d)
			}
			if again := c.details(mask); fmt.Sprintf("%p", again) != fmt.Sprintf("%p", d) {
				t.Errorf("the same roles got two dicts, want one shared")
			}
		})
	}
}

func TestRolesCacheBounded(t *testing.T) {
	var c rolesCache
	c.dicts = make(map[uint32]map[string]any)
	for i := range maxRolesCache {
		c.dicts[uint32(i)+1<<20] = nil // fill with masks no HELLO makes
	}
	hello := map[string]any{"roles": map[string]any{"callee": map[string]any{"features": map[string]any{"call_canceling": true}}}}
	if d := c.details(scannedRoles(t, hello)); !feature(d, "callee", "call_canceling") {
		t.Fatalf("full cache: details = %v", d)
	}
	if len(c.dicts) != maxRolesCache {
		t.Fatalf("cache grew to %d entries past its bound %d", len(c.dicts), maxRolesCache)
	}
}

// nullPeer is a realm.Peer that swallows what it is sent.
type nullPeer struct{ sent atomic.Int64 }

func (p *nullPeer) Serializer() codec.Serializer { return codec.JSON }
func (p *nullPeer) Send(*codec.Frame, bool) bool { p.sent.Add(1); return true }
func (p *nullPeer) Flush()                       {}
func (p *nullPeer) Close(string)                 {}
func (p *nullPeer) waitSent(t testing.TB, n int64) {
	deadline := time.Now().Add(testTimeout)
	for p.sent.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("peer got %d messages, want %d", p.sent.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkPost_Publish_JSON measures the steady-state inbound path of a
// joined session (copy into a pooled Inbound, decode, post to the realm
// actor), including what the actor does with an acknowledged PUBLISH
// (PUBLISHED back to the publisher).
func BenchmarkPost_Publish_JSON(b *testing.B) {
	r := realm.New(realm.Options{Name: "realm1"})
	r.Start()
	defer r.Stop()
	peer := &nullPeer{}
	s := &realm.Session{ID: 1, Peer: peer, AuthRole: authAnonymous, Hello: map[string]any{}}
	r.Join(s)
	peer.waitSent(b, 1) // WELCOME
	h := &handler{}
	st := &connState{sess: s, realm: r}
	payload := []byte(`[16,1,{"acknowledge":true},"com.example.topic",[1,2,3],{"k":"v"}]`)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for range b.N {
		h.post(st, codec.JSON, payload)
	}
	peer.waitSent(b, int64(b.N)+1) // drain the actor before the timer stops
}

func TestNetpollOptionsOneListenerEach(t *testing.T) {
	cfg := testConfig()
	cfg.Listeners = []config.Listener{
		{Listen: "127.0.0.1:0", Transports: []string{config.TransportWebSocket}, WSPath: "/wamp"},
		{Listen: "127.0.0.1:0", Transports: []string{config.TransportRawSocket}},
		{Unix: "/tmp/x.sock", Transports: []string{config.TransportRawSocket}},
	}
	cfg.Limits.OutboundPolicy = config.PolicyDrop
	opts := netpollOptions(cfg, nil)
	if len(opts.Listeners) != 3 || !opts.Listeners[0].WebSocket || opts.Listeners[0].RawSocket ||
		opts.Listeners[1].WebSocket || !opts.Listeners[1].RawSocket ||
		opts.Listeners[2].Network != "unix" || opts.Listeners[2].Addr != "/tmp/x.sock" {
		t.Fatalf("listeners = %+v", opts.Listeners)
	}
	if opts.WSPath != "/wamp" || opts.Policy != netpoll.PolicyDrop || opts.MaxMessageSize != 16<<20 ||
		opts.OutboundBound != 4<<20 || opts.HandshakeTimeout != 10*time.Second {
		t.Fatalf("options = %+v", opts)
	}
}

// helloPeer is a handshakeConn for benchmarks: a nullPeer that also takes
// Established.
type helloPeer struct{ nullPeer }

func (p *helloPeer) Established()       {}
func (p *helloPeer) RemoteAddr() string { return "127.0.0.1:1" }
func (p *helloPeer) Run(fn func()) bool { fn(); return true }

// anonymousEntry is the handshake's view of an anonymous-only realm r.
func anonymousEntry(r *realm.Realm) *realmEntry {
	return &realmEntry{r: r, auth: realmAuth{anonymousOnly: true, anonymousRole: config.DefaultAnonymousRole,
		methods: []auth.Authenticator{auth.NewAnonymous(config.DefaultAnonymousRole)}}}
}

// BenchmarkHello_Welcome measures the session open path on the event loop
// (decode HELLO, checks, session, Join) plus what the actor does with it
// (WELCOME encoded and sent), and the Leave that keeps the realm's session
// table at a steady size.
func BenchmarkHello_Welcome(b *testing.B) {
	for _, bc := range []struct {
		name    string
		ser     codec.Serializer
		payload []byte
	}{
		{"JSON", codec.JSON, []byte(`[1,"realm1",{"roles":{"caller":{"features":{"progressive_call_results":true,"call_canceling":true}},` +
			`"callee":{"features":{"progressive_call_results":true,"call_canceling":true,"shared_registration":true}},` +
			`"publisher":{"features":{"publisher_exclusion":true}},"subscriber":{"features":{"pattern_based_subscription":true}}},` +
			`"authmethods":["anonymous"],"agent":"wampbench"}]`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := realm.New(realm.Options{Name: "realm1"})
			r.Start()
			defer r.Stop()
			h := &handler{realms: map[string]*realmEntry{"realm1": anonymousEntry(r)}, ids: newIDGen(),
				adm: newAdmission(config.Limits{})}
			peer := &helloPeer{}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				var st connState
				if err := h.hello(peer, &st, bc.payload); err != nil {
					b.Fatal(err)
				}
				r.Leave(st.sess)
				if i%256 == 255 {
					peer.waitSent(b, int64(i+1)) // bound the actor's backlog
				}
			}
			peer.waitSent(b, int64(b.N))
		})
	}
}

// BenchmarkIdleSession_Heap reports the live heap an idle session costs once
// joined: the engine's share (connState, realm.Session, authid, the kept
// HELLO dict) plus the realm's (its session table entry and per-session
// maps). The peer is a fake, so netpoll's share is not included.
func BenchmarkIdleSession_Heap(b *testing.B) {
	const n = 10000
	hello := []byte(`[1,"realm1",{"roles":{"caller":{"features":{"progressive_call_results":true,"call_canceling":true}},` +
		`"callee":{"features":{"progressive_call_results":true,"call_canceling":true,"shared_registration":true}},` +
		`"publisher":{"features":{"publisher_exclusion":true}},"subscriber":{"features":{"pattern_based_subscription":true}}},` +
		`"authmethods":["anonymous"],"agent":"wampbench"}]`)
	for range b.N {
		r := realm.New(realm.Options{Name: "realm1"})
		r.Start()
		h := &handler{realms: map[string]*realmEntry{"realm1": anonymousEntry(r)}, ids: newIDGen(),
			adm: newAdmission(config.Limits{})}
		peer := &helloPeer{}
		states := make([]*connState, n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range states {
			st := new(connState)
			if err := h.hello(peer, st, hello); err != nil {
				b.Fatal(err)
			}
			states[i] = st
		}
		peer.waitSent(b, n)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/session")
		runtime.KeepAlive(states)
		r.Stop()
	}
}

// TestKeptBitMatchesRolesDict checks that every kept role and feature has
// its own bit and that rolesDict reads each bit back as that role or
// feature.
func TestKeptBitMatchesRolesDict(t *testing.T) {
	seen := map[uint32]string{}
	for _, kr := range keptRoles {
		for _, f := range append([]string{""}, kr.features...) {
			bit, ok := keptBit(kr.name, f)
			if !ok || bit == 0 || bit&(bit-1) != 0 {
				t.Fatalf("keptBit(%q, %q) = %b, %v: want one bit", kr.name, f, bit, ok)
			}
			if other, dup := seen[bit]; dup {
				t.Fatalf("%s.%s shares bit %b with %s", kr.name, f, bit, other)
			}
			seen[bit] = kr.name + "." + f
			d := rolesDict(bit)
			roles, _ := d["roles"].(map[string]any)
			if _, ok := roles[kr.name]; !ok || len(roles) != 1 {
				t.Errorf("rolesDict(keptBit(%q, %q)) = %v", kr.name, f, d)
			}
			if f != "" && !feature(d, kr.name, f) {
				t.Errorf("rolesDict(keptBit(%q, %q)) lacks the feature: %v", kr.name, f, d)
			}
		}
	}
	if _, ok := keptBit("callee", "vendor_x"); ok {
		t.Error("keptBit found a feature that is not kept")
	}
	if _, ok := keptBit("dealer", ""); ok {
		t.Error("keptBit found a role that is not kept")
	}
}
