package engine

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wampd/wampd/engine/auth"
	"github.com/wampd/wampd/engine/config"
)

// secureRouter serves examples/secure.yaml on ephemeral ports.
func secureRouter(t *testing.T, tune func(*config.Config)) *Router {
	t.Helper()
	cfg, err := config.Load("../examples/secure.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listeners = testConfig().Listeners
	cfg.Limits.LoginFailuresPerAddress = 0 // the tests' failures all come from 127.0.0.1
	cfg.Limits.LoginFailuresPerAuthID = 0
	if tune != nil {
		tune(&cfg)
	}
	rt, logs := startRouter(t, cfg)
	t.Cleanup(func() {
		// Refused logins are logged, and no secret ever is.
		out := logs.String()
		for _, secret := range []string{"ticket-secret-1", "cra-secret-1", "cra-secret-2", csSeed, "scram-secret-1", "guess", badTicket} {
			if strings.Contains(out, secret) {
				t.Errorf("the log shows the secret %q", secret)
			}
		}
		if t.Name() == "TestSecureFixture" && !strings.Contains(out, `msg="login refused"`) {
			t.Error(`no "login refused" line in the log`)
		}
	})
	return rt
}

// hello sends HELLO for realm with authid and authmethods (and authextra)
// and returns the router's answer.
func (c *client) helloAuth(realmName, authID string, methods []string, extra map[string]any) []any {
	c.t.Helper()
	d := map[string]any{"roles": map[string]any{"caller": map[string]any{}, "callee": map[string]any{},
		"publisher": map[string]any{}, "subscriber": map[string]any{}}, "authmethods": methods}
	if authID != "" {
		d["authid"] = authID
	}
	if extra != nil {
		d["authextra"] = extra
	}
	b, _ := json.Marshal([]any{1, realmName, d})
	c.send(string(b))
	return c.mustRecv()
}

// authenticate answers a CHALLENGE with signature.
func (c *client) authenticate(signature string) []any {
	c.t.Helper()
	b, _ := json.Marshal([]any{5, signature, map[string]any{}})
	c.send(string(b))
	return c.mustRecv()
}

func expectType(t *testing.T, m []any, typ int) {
	t.Helper()
	if msgType(m) != typ {
		t.Fatalf("got %v, want message type %d", m, typ)
	}
}

// welcomeOf checks m is a WELCOME with authid, authrole and authmethod.
func welcomeOf(t *testing.T, m []any, authID, role, method string) {
	t.Helper()
	expectType(t, m, 2)
	d := m[2].(map[string]any)
	if (authID != anyAuthID && d["authid"] != authID) || d["authrole"] != role || d["authmethod"] != method {
		t.Fatalf("WELCOME details %v, want %s/%s/%s", d, authID, role, method)
	}
}

// abortOf checks m is an ABORT with reason.
func abortOf(t *testing.T, m []any, reason string) {
	t.Helper()
	expectType(t, m, 3)
	if m[2] != reason {
		t.Fatalf("ABORT %v, want %s", m, reason)
	}
}

// craSign is the WAMP-CRA signature of the challenge in ch under key.
func craSign(t *testing.T, ch []any, key []byte) string {
	t.Helper()
	extra := ch[2].(map[string]any)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(extra["challenge"].(string)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// badTicket is a wrong ticket the tests send (and look for in the log).
const badTicket = "bad-ticket-5c1d"

const csSeed = "a4b0bc56bbf9e0fe6c54d1f116ed1d42ac60738dcbe2978ded8e18a42ec4212c"

// TestSecureFixture: every method of examples/secure.yaml with the right
// and a wrong secret; the refusals say nothing of which part was wrong.
func TestSecureFixture(t *testing.T) {
	rt := secureRouter(t, nil)
	t.Run("ticket", func(t *testing.T) {
		c := dialWS(t, rt)
		expectType(t, c.helloAuth("secure", "ticketuser", []string{"ticket"}, nil), 4)
		welcomeOf(t, c.authenticate("ticket-secret-1"), "ticketuser", "user", "ticket")
		bad := dialWS(t, rt)
		expectType(t, bad.helloAuth("secure", "ticketuser", []string{"ticket"}, nil), 4)
		abortOf(t, bad.authenticate("ticket-secret-2"), "wamp.error.authentication_failed")
		bad.expectClosed()
	})
	t.Run("wampcra", func(t *testing.T) {
		c := dialWS(t, rt)
		ch := c.helloAuth("secure", "crauser", []string{"wampcra"}, nil)
		expectType(t, ch, 4)
		welcomeOf(t, c.authenticate(craSign(t, ch, []byte("cra-secret-1"))), "crauser", "user", "wampcra")
		bad := dialWS(t, rt)
		ch = bad.helloAuth("secure", "crauser", []string{"wampcra"}, nil)
		abortOf(t, bad.authenticate(craSign(t, ch, []byte("wrong"))), "wamp.error.authentication_failed")
	})
	t.Run("wampcra salted", func(t *testing.T) {
		c := dialWS(t, rt)
		ch := c.helloAuth("secure", "crasalted", []string{"wampcra"}, nil)
		expectType(t, ch, 4)
		extra := ch[2].(map[string]any)
		if extra["salt"] != "salt123" || extra["iterations"] != float64(1000) || extra["keylen"] != float64(32) {
			t.Fatalf("salted CHALLENGE extra %v", extra)
		}
		dk, err := pbkdf2.Key(sha256.New, "cra-secret-2", []byte("salt123"), 1000, 32)
		if err != nil {
			t.Fatal(err)
		}
		key := []byte(base64.StdEncoding.EncodeToString(dk))
		welcomeOf(t, c.authenticate(craSign(t, ch, key)), "crasalted", "user", "wampcra")
	})
	t.Run("cryptosign", func(t *testing.T) {
		seed, _ := hex.DecodeString(csSeed)
		priv := ed25519.NewKeyFromSeed(seed)
		pub := hex.EncodeToString(priv.Public().(ed25519.PublicKey))
		sign := func(ch []any, k ed25519.PrivateKey) string {
			msg, _ := hex.DecodeString(ch[2].(map[string]any)["challenge"].(string))
			return hex.EncodeToString(append(ed25519.Sign(k, msg), msg...))
		}
		c := dialWS(t, rt)
		ch := c.helloAuth("secure", "csuser", []string{"cryptosign"}, map[string]any{"pubkey": pub})
		expectType(t, ch, 4)
		welcomeOf(t, c.authenticate(sign(ch, priv)), "csuser", "user", "cryptosign")
		other := ed25519.NewKeyFromSeed(make([]byte, 32))
		bad := dialWS(t, rt)
		ch = bad.helloAuth("secure", "csuser", []string{"cryptosign"}, map[string]any{"pubkey": pub})
		abortOf(t, bad.authenticate(sign(ch, other)), "wamp.error.authentication_failed")
	})
	t.Run("refusals", func(t *testing.T) {
		c := dialWS(t, rt)
		abortOf(t, c.helloAuth("secure", "", []string{"anonymous"}, nil), "wamp.error.no_auth_method")
		// An unknown authid is challenged like a known one, then refused
		// with the same words: no hint of which part was wrong.
		u := dialWS(t, rt)
		expectType(t, u.helloAuth("secure", "nobody", []string{"ticket"}, nil), 4)
		m1 := u.authenticate("x")
		w := dialWS(t, rt)
		expectType(t, w.helloAuth("secure", "ticketuser", []string{"ticket"}, nil), 4)
		m2 := w.authenticate("x")
		abortOf(t, m1, "wamp.error.authentication_failed")
		if js1, js2 := mustJSON(m1[1]), mustJSON(m2[1]); js1 != js2 {
			t.Fatalf("unknown authid refused with %s, wrong ticket with %s", js1, js2)
		}
		// A message before AUTHENTICATE is a protocol violation.
		p := dialWS(t, rt)
		expectType(t, p.helloAuth("secure", "ticketuser", []string{"ticket"}, nil), 4)
		p.send(`[48,1,{},"com.example.x"]`)
		abortOf(t, p.mustRecv(), "wamp.error.protocol_violation")
	})
	t.Run("authorization", func(t *testing.T) {
		c := dialWS(t, rt)
		c.helloAuth("secure", "ticketuser", []string{"ticket"}, nil)
		c.authenticate("ticket-secret-1")
		c.send(`[64,1,{},"com.example.proc"]`)
		expectType(t, c.mustRecv(), 65)
		c.send(`[64,2,{},"org.other.proc"]`)
		if m := c.mustRecv(); msgType(m) != 8 || m[4] != "wamp.error.not_authorized" {
			t.Fatalf("REGISTER org.other.proc: %v", m)
		}
		c.send(`[48,3,{},"wamp.session.count"]`)
		if m := c.mustRecv(); msgType(m) != 8 || m[4] != "wamp.error.not_authorized" {
			t.Fatalf("CALL wamp.session.count: %v (the meta API obeys the rules)", m)
		}
		open := dialWS(t, rt)
		welcomeOf(t, open.helloAuth("realm1", "", nil, nil), anyAuthID, "anonymous", "anonymous")
	})
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// anyAuthID tells welcomeOf to take whatever random authid the router gave.
const anyAuthID = "\x00any"

// TestLoginFailureLimit: after the configured failures from one address,
// further logins are refused at once (and counted), while a joined session
// keeps being served.
func TestLoginFailureLimit(t *testing.T) {
	rt := secureRouter(t, func(c *config.Config) { c.Limits.LoginFailuresPerAddress = 3 })
	ok := dialWS(t, rt)
	ok.helloAuth("secure", "ticketuser", []string{"ticket"}, nil)
	welcomeOf(t, ok.authenticate("ticket-secret-1"), "ticketuser", "user", "ticket")
	for range 3 {
		c := dialWS(t, rt)
		c.helloAuth("secure", "ticketuser", []string{"ticket"}, nil)
		abortOf(t, c.authenticate(badTicket), "wamp.error.authentication_failed")
	}
	c := dialWS(t, rt)
	m := c.helloAuth("secure", "ticketuser", []string{"ticket"}, nil)
	abortOf(t, m, "wamp.error.authentication_failed")
	if !strings.Contains(mustJSON(m[1]), "too many failed logins") {
		t.Fatalf("throttled ABORT %v", m)
	}
	if st := rt.Stats(); st.AuthThrottled == 0 || st.AuthFailures < 3 {
		t.Fatalf("stats %+v: failures and throttled logins must be counted", st)
	}
	ok.send(`[64,1,{},"com.example.still"]`)
	expectType(t, ok.mustRecv(), 65)
}

// TestSessionLimits: per-realm, per-authid and per-address bounds refuse
// the session past them.
func TestSessionLimits(t *testing.T) {
	rt := secureRouter(t, func(c *config.Config) { c.Limits.MaxSessionsPerAuthID = 1 })
	a := dialWS(t, rt)
	a.helloAuth("secure", "ticketuser", []string{"ticket"}, nil)
	welcomeOf(t, a.authenticate("ticket-secret-1"), "ticketuser", "user", "ticket")
	b := dialWS(t, rt)
	b.helloAuth("secure", "ticketuser", []string{"ticket"}, nil)
	m := b.authenticate("ticket-secret-1")
	abortOf(t, m, "wamp.error.not_authorized")
	if !strings.Contains(mustJSON(m[1]), "max_sessions_per_authid") {
		t.Fatalf("ABORT %v", m)
	}
	a.conn.Close()
	// The slot comes back when the session leaves.
	for range 50 {
		c := dialWS(t, rt)
		c.helloAuth("secure", "ticketuser", []string{"ticket"}, nil)
		if m := c.authenticate("ticket-secret-1"); msgType(m) == 2 {
			return
		}
	}
	t.Fatal("the authid's slot did not come back after its session closed")
}

// TestAuthPoolFull: when the auth pool's workers are busy and its queue
// is full, a login is refused at once (ABORT, counted) instead of waiting;
// the queued ones still finish.
func TestAuthPoolFull(t *testing.T) {
	h := &handler{adm: newAdmission(config.Limits{}), ids: newIDGen()}
	h.adm.pool.Close()
	h.adm.pool = auth.NewPool(1, 1)
	defer h.adm.pool.Close()
	release := make(chan struct{})
	ran := make(chan struct{}, 2)
	step := func() stepResult {
		<-release
		ran <- struct{}{}
		return stepResult{err: auth.ErrAuthenticationFailed}
	}
	login := func() (*helloPeer, *connState, error) {
		peer := &helloPeer{}
		st := &connState{}
		st.auth = &pending{hello: &auth.Hello{}, method: auth.NewAnonymous("x"), ctx: context.Background(), cancel: func() {}}
		return peer, st, h.runStep(peer, st, step)
	}
	if _, _, err := login(); err != nil { // taken by the worker
		t.Fatal(err)
	}
	for deadline := time.Now().Add(testTimeout); h.adm.pool.Queued() != 0; { // the worker took it
		if time.Now().After(deadline) {
			t.Fatal("the worker never took the first login")
		}
		time.Sleep(time.Millisecond)
	}
	if _, _, err := login(); err != nil { // waits in the queue
		t.Fatal(err)
	}
	peer, _, err := login()
	if err == nil || peer.sent.Load() != 1 {
		t.Fatalf("third login: err %v, %d messages sent; want an ABORT at once", err, peer.sent.Load())
	}
	if h.adm.busy.Load() != 1 {
		t.Fatalf("busy refusals counted %d, want 1", h.adm.busy.Load())
	}
	close(release)
	for range 2 {
		select {
		case <-ran:
		case <-time.After(testTimeout):
			t.Fatal("the accepted logins did not finish")
		}
	}
}
