package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wampd/wampd/engine/config"
)

// TestDynamicAuthenticator: a realm whose ticket logins a procedure on
// another realm decides (registered there by a trusted session): the
// router calls it through its own in-process session with (realm, authid,
// details), and its answer is the role, or a refusal.
func TestDynamicAuthenticator(t *testing.T) {
	cfg := testConfig()
	cfg.Limits.LoginFailuresPerAddress = 0
	cfg.Realms = []config.Realm{
		{Name: "management", Anonymous: true},
		{Name: "app", Auth: config.Auth{Dynamic: &config.DynamicAuth{
			Procedure: "com.auth.authenticate", Realm: "management",
			Methods: []string{config.MethodTicket}, Timeout: config.Duration(2 * time.Second)}}},
	}
	rt, _ := startRouter(t, cfg)

	// Before anyone registered the procedure, logins are refused.
	early := dialWS(t, rt)
	expectType(t, early.helloAuth("app", "alice", []string{"ticket"}, nil), 4)
	abortOf(t, early.authenticate("open sesame"), "wamp.error.authentication_failed")

	authn := dialWS(t, rt)
	welcomeOf(t, authn.helloAuth("management", "", nil, nil), anyAuthID, "anonymous", "anonymous")
	authn.send(`[64,1,{},"com.auth.authenticate"]`)
	expectType(t, authn.mustRecv(), 65)
	answers := make(chan []any, 4)
	go func() { // the authenticator: role "user" for the right ticket
		for {
			m, err := authn.recv()
			if err != nil {
				return
			}
			if msgType(m) != 68 {
				continue
			}
			answers <- m
			args, _ := m[4].([]any)
			details, _ := args[2].(map[string]any)
			if args[0] == "app" && args[1] == "alice" && details["ticket"] == "open sesame" {
				authn.send(`[70,` + mustJSON(m[1]) + `,{},[{"role":"user"}]]`)
			} else {
				authn.send(`[8,68,` + mustJSON(m[1]) + `,{},"wamp.error.not_authorized"]`)
			}
		}
	}()
	c := dialWS(t, rt)
	expectType(t, c.helloAuth("app", "alice", []string{"ticket"}, nil), 4)
	m := c.authenticate("open sesame")
	expectType(t, m, 2)
	if d := m[2].(map[string]any); d["authid"] != "alice" || d["authrole"] != "user" || d["authprovider"] != "dynamic" {
		t.Fatalf("WELCOME details %v", d)
	}
	select {
	case inv := <-answers:
		b, _ := json.Marshal(inv)
		t.Logf("the authenticator was called with %s", b)
	case <-time.After(testTimeout):
		t.Fatal("the authenticator was not called")
	}
	bad := dialWS(t, rt)
	expectType(t, bad.helloAuth("app", "alice", []string{"ticket"}, nil), 4)
	abortOf(t, bad.authenticate("wrong"), "wamp.error.not_authorized")
}
