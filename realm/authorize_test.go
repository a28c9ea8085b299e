package realm

import (
	"fmt"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
)

// allowAll is a permission granting every action on uri.
func allowAll(uri string, m codec.Match) Permission {
	return Permission{URI: uri, Match: m, Call: true, Register: true, Publish: true, Subscribe: true}
}

// tryAction makes c attempt act on uri and reports whether the realm
// allowed it (a refusal is ERROR not_authorized; an allowed attempt gets
// its normal answer).
func (c *client) tryAction(act Action, uri string) bool {
	c.t.Helper()
	req := c.nextReq()
	var m codec.Message
	switch act {
	case ActCall:
		m = codec.Message{Type: codec.Call, Request: req, URI: uri}
	case ActRegister:
		m = codec.Message{Type: codec.Register, Request: req, URI: uri}
	case ActPublish:
		m = codec.Message{Type: codec.Publish, Request: req, URI: uri,
			Options: codec.Options{Has: codec.HasAcknowledge, Acknowledge: true}}
	case ActSubscribe:
		m = codec.Message{Type: codec.Subscribe, Request: req, URI: uri}
	}
	c.send(m)
	got := c.next()
	if got.Type == codec.Error && got.URI == codec.ErrNotAuthorized {
		return false
	}
	if got.Type == codec.Error && got.URI != codec.ErrNoSuchProcedure {
		c.t.Fatalf("%s %s: unexpected ERROR %s", act, uri, got.URI)
	}
	return true
}

// TestAuthorizationMatrix: every action against exact, prefix and
// wildcard rules, allowed and denied, for three roles across two realms
// whose rules differ; deny by default; the most specific rule wins.
func TestAuthorizationMatrix(t *testing.T) {
	realmA := newRealmWith(t, Options{Name: "a", Roles: []Role{
		{Name: "admin", Permissions: []Permission{allowAll("", codec.MatchPrefix)}},
		{Name: "user", Permissions: []Permission{
			allowAll("com.exact.topic", codec.MatchExact),
			allowAll("com.prefix.", codec.MatchPrefix),
			allowAll("com..wild", codec.MatchWildcard),
			// More specific than the prefix: denies everything there.
			{URI: "com.prefix.secret", Match: codec.MatchExact},
			// Allows some actions only.
			{URI: "com.ro.", Match: codec.MatchPrefix, Call: true, Subscribe: true},
		}},
		{Name: "guest", Permissions: []Permission{{URI: "com.prefix.", Match: codec.MatchPrefix, Subscribe: true}}},
	}})
	realmB := newRealmWith(t, Options{Name: "b", Roles: []Role{
		{Name: "user", Permissions: []Permission{{URI: "com.exact.topic", Match: codec.MatchExact, Publish: true}}},
	}})
	acts := []Action{ActCall, ActRegister, ActPublish, ActSubscribe}
	type row struct {
		realm *Realm
		role  string
		uri   string
		allow map[Action]bool
	}
	all := map[Action]bool{ActCall: true, ActRegister: true, ActPublish: true, ActSubscribe: true}
	none := map[Action]bool{}
	rows := []row{
		{realmA, "admin", "anything.at.all", all},
		{realmA, "user", "com.exact.topic", all},
		{realmA, "user", "com.exact.topic.more", none}, // an exact rule is exact
		{realmA, "user", "com.prefix.x.y", all},
		{realmA, "user", "com.prefix.secret", none}, // exact beats prefix
		{realmA, "user", "com.a.wild", all},
		{realmA, "user", "com.a.b.wild", none}, // wildcard components are whole
		{realmA, "user", "com.ro.x", map[Action]bool{ActCall: true, ActSubscribe: true}},
		{realmA, "user", "org.other", none}, // no rule: denied
		{realmA, "guest", "com.prefix.x", map[Action]bool{ActSubscribe: true}},
		{realmA, "guest", "com.exact.topic", none},
		{realmA, "nobody", "com.prefix.x", none}, // a role the realm does not know
		{realmB, "user", "com.exact.topic", map[Action]bool{ActPublish: true}},
		{realmB, "user", "com.prefix.x", none},
		{realmB, "admin", "anything.at.all", none},
	}
	for _, rw := range rows {
		for _, act := range acts {
			t.Run(fmt.Sprintf("%s/%s/%s/%s", rw.realm.Name(), rw.role, act, rw.uri), func(t *testing.T) {
				c := joinAs(t, rw.realm, codec.JSON, "u-"+rw.role, rw.role, nil)
				// Twice: the second answer comes from the decision cache.
				for range 2 {
					if got := c.tryAction(act, rw.uri); got != rw.allow[act] {
						t.Fatalf("allowed = %v, want %v", got, rw.allow[act])
					}
					if act == ActRegister && rw.allow[act] {
						break // registering twice is procedure_already_exists
					}
				}
			})
		}
	}
	if st := realmA.Stats(); st.Denied == 0 {
		t.Error("denials are not counted")
	}
}

// TestAuthorizationPatternRequests: a subscription or registration with a
// pattern is authorized by its pattern URI against the rules, like any
// other URI; the meta API obeys the rules too.
func TestAuthorizationPatternRequests(t *testing.T) {
	r := newRealmWith(t, Options{Roles: []Role{{Name: "user", Permissions: []Permission{
		allowAll("com.app.", codec.MatchPrefix),
		{URI: "wamp.session.count", Call: true},
	}}}})
	c := joinAs(t, r, codec.MsgPack, "u", "user", nil)
	c.subscribe("com.app.", codec.MatchPrefix)
	req := c.nextReq()
	c.send(codec.Message{Type: codec.Subscribe, Request: req, URI: "com..x",
		Options: codec.Options{Has: codec.HasMatch, Match: codec.MatchWildcard}})
	c.expectError(codec.Subscribe, req, codec.ErrNotAuthorized)
	if n := num(t, c.result("wamp.session.count", nil, nil)); n != 1 {
		t.Fatalf("count %d", n)
	}
	c.callError("wamp.session.list", nil, nil, codec.ErrNotAuthorized)
	// A denied PUBLISH without acknowledge is dropped silently.
	c.send(codec.Message{Type: codec.Publish, Request: c.nextReq(), URI: "org.x"})
	c.quiet()
}

// TestAuthorizationDisclose: a rule can make the router disclose the
// caller or publisher whether or not it asked.
func TestAuthorizationDisclose(t *testing.T) {
	p := allowAll("com.", codec.MatchPrefix)
	p.DiscloseCaller, p.DisclosePublisher = true, true
	r := newRealmWith(t, Options{Roles: []Role{{Name: "user", Permissions: []Permission{p}}}})
	callee := joinAs(t, r, codec.JSON, "callee", "user", nil)
	callee.register("com.p", codec.MatchExact, codec.InvokeSingle)
	callee.subscribe("com.t", codec.MatchExact)
	caller := joinAs(t, r, codec.JSON, "caller", "user", nil)
	caller.send(codec.Message{Type: codec.Call, Request: caller.nextReq(), URI: "com.p"})
	if inv := callee.expect(codec.Invocation); inv.Options.Caller != caller.s.ID || extOf(inv).CallerAuthID != "caller" {
		t.Fatalf("INVOCATION %+v", inv.Options)
	}
	caller.send(codec.Message{Type: codec.Publish, Request: caller.nextReq(), URI: "com.t"})
	if ev := callee.expect(codec.Event); ev.Options.Publisher != caller.s.ID {
		t.Fatalf("EVENT %+v", ev.Options)
	}
}

// authorizerCallee registers proc on r and answers each INVOCATION with
// answer(uri, action); it counts the calls.
type authorizerCallee struct {
	c     *client
	calls int
}

func (a *authorizerCallee) serve(t *testing.T, answer func(uri, action string) any) {
	t.Helper()
	inv := a.c.expect(codec.Invocation)
	a.calls++
	args := eventArgs(t, inv)
	if len(args) != 4 {
		t.Fatalf("authorizer called with %#v, want [session, uri, action, options]", args)
	}
	details := args[0].(map[string]any)
	if details["authrole"] != "dyn" {
		t.Fatalf("authorizer details %#v", details)
	}
	res, _ := payload(t, a.c.p.ser, []any{answer(args[1].(string), args[2].(string))}, nil)
	a.c.send(codec.Message{Type: codec.Yield, Request: inv.Request, Args: res})
}

// TestDynamicAuthorizer: a role decided by a procedure: the router calls
// it, waits without blocking anything else, caches the answer (a second
// request is spared the call), keeps each session's messages in order, and
// denies when the authorizer fails or is missing.
func TestDynamicAuthorizer(t *testing.T) {
	r := newRealmWith(t, Options{Roles: []Role{
		{Name: "trusted", Permissions: []Permission{allowAll("", codec.MatchPrefix)}},
		{Name: "dyn", Authorizer: "com.authz", CacheTTL: time.Hour,
			// What a permission matches is not asked of the authorizer.
			Permissions: []Permission{{URI: "com.static.", Match: codec.MatchPrefix, Subscribe: true}}},
	}})
	authz := &authorizerCallee{c: joinAs(t, r, codec.JSON, "authz", "trusted", nil)}
	authz.c.register("com.authz", codec.MatchExact, codec.InvokeSingle)
	other := joinAs(t, r, codec.JSON, "o", "trusted", nil)
	other.register("com.p", codec.MatchExact, codec.InvokeSingle)

	d := joinAs(t, r, codec.MsgPack, "d", "dyn", nil)
	req := d.nextReq()
	d.send(codec.Message{Type: codec.Call, Request: req, URI: "com.p"})
	// While the decision is out, d's next message waits behind it, and
	// other sessions are served.
	d.send(codec.Message{Type: codec.Publish, Request: d.nextReq(), URI: "com.denied",
		Options: codec.Options{Has: codec.HasAcknowledge, Acknowledge: true}})
	other.quiet()
	authz.serve(t, func(uri, action string) any {
		if uri != "com.p" || action != "call" {
			t.Fatalf("asked about %s %s", action, uri)
		}
		return true
	})
	inv := other.expect(codec.Invocation)
	authz.serve(t, func(uri, action string) any { return map[string]any{"allow": false} })
	d.expectError(codec.Publish, req+1, codec.ErrNotAuthorized)
	other.send(codec.Message{Type: codec.Yield, Request: inv.Request})
	if res := d.expect(codec.Result); res.Request != req {
		t.Fatalf("RESULT %+v", res)
	}
	// A permission decides without the authorizer.
	d.subscribe("com.static.x", codec.MatchExact)
	// Cached: the same call again costs no authorizer call.
	d.send(codec.Message{Type: codec.Call, Request: d.nextReq(), URI: "com.p"})
	inv = other.expect(codec.Invocation)
	other.send(codec.Message{Type: codec.Yield, Request: inv.Request})
	d.expect(codec.Result)
	if authz.calls != 2 {
		t.Fatalf("authorizer called %d times, want 2 (the second call was cached)", authz.calls)
	}
	authz.c.quiet()

	// The authorizer answering with an ERROR, then gone: denied.
	req = d.nextReq()
	d.send(codec.Message{Type: codec.Subscribe, Request: req, URI: "com.t"})
	inv = authz.c.expect(codec.Invocation)
	authz.c.send(codec.Message{Type: codec.Error, ReqType: codec.Invocation, Request: inv.Request, URI: "com.failed"})
	d.expectError(codec.Subscribe, req, codec.ErrNotAuthorized)
	r.Leave(authz.c.s)
	req = d.nextReq()
	d.send(codec.Message{Type: codec.Subscribe, Request: req, URI: "com.t2"})
	d.expectError(codec.Subscribe, req, codec.ErrNotAuthorized)
}

// TestDynamicAuthorizerCalleeLeaves: the authorizer's session leaving
// with a question out denies the waiting request; the session waiting for
// it leaving first leaves nothing behind.
func TestDynamicAuthorizerCalleeLeaves(t *testing.T) {
	r := newRealmWith(t, Options{Roles: []Role{
		{Name: "trusted", Permissions: []Permission{allowAll("", codec.MatchPrefix)}},
		{Name: "dyn", Authorizer: "com.authz"},
	}})
	authz := joinAs(t, r, codec.JSON, "authz", "trusted", nil)
	authz.register("com.authz", codec.MatchExact, codec.InvokeSingle)
	d := joinAs(t, r, codec.JSON, "d", "dyn", nil)
	req := d.nextReq()
	d.send(codec.Message{Type: codec.Register, Request: req, URI: "com.x"})
	authz.expect(codec.Invocation)
	r.Leave(authz.s)
	d.expectError(codec.Register, req, codec.ErrNotAuthorized)

	authz2 := joinAs(t, r, codec.JSON, "authz2", "trusted", nil)
	authz2.register("com.authz", codec.MatchExact, codec.InvokeSingle)
	d2 := joinAs(t, r, codec.JSON, "d2", "dyn", nil)
	d2.send(codec.Message{Type: codec.Register, Request: 1, URI: "com.y"})
	d2.send(codec.Message{Type: codec.Register, Request: 2, URI: "com.z"})
	inv := authz2.expect(codec.Invocation)
	r.Leave(d2.s)
	res, _ := payload(t, codec.JSON, []any{true}, nil)
	authz2.send(codec.Message{Type: codec.Yield, Request: inv.Request, Args: res})
	authz2.quiet()
	// d2's parked REGISTERs went with it: only the authorizer is registered.
	if l := authz2.result("wamp.registration.list", nil, nil).(map[string]any)["exact"].([]any); len(l) != 1 {
		t.Fatalf("registrations %v, want only com.authz", l)
	}
}

// TestDynamicAuthorizerGoodbyeWhileWaiting: a session that says GOODBYE
// behind a request waiting for the authorizer leaves cleanly once the
// answer comes, its other waiting messages released once each.
func TestDynamicAuthorizerGoodbyeWhileWaiting(t *testing.T) {
	r := newRealmWith(t, Options{Roles: []Role{
		{Name: "trusted", Permissions: []Permission{allowAll("", codec.MatchPrefix)}},
		{Name: "dyn", Authorizer: "com.authz"},
	}})
	authz := joinAs(t, r, codec.JSON, "authz", "trusted", nil)
	authz.register("com.authz", codec.MatchExact, codec.InvokeSingle)
	d := joinAs(t, r, codec.JSON, "d", "dyn", nil)
	d.send(codec.Message{Type: codec.Subscribe, Request: 1, URI: "com.a"})
	d.send(codec.Message{Type: codec.Goodbye, URI: codec.CloseNormal})
	d.send(codec.Message{Type: codec.Subscribe, Request: 2, URI: "com.b"})
	inv := authz.expect(codec.Invocation)
	res, _ := payload(t, codec.JSON, []any{true}, nil)
	authz.send(codec.Message{Type: codec.Yield, Request: inv.Request, Args: res})
	d.expect(codec.Subscribed)
	d.expect(codec.Goodbye)
	if n := num(t, authz.result("wamp.session.count", nil, nil)); n != 1 {
		t.Fatalf("%d sessions after the GOODBYE, want 1", n)
	}
}
