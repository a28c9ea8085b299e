package realm

import (
	"slices"
	"testing"

	"github.com/wampd/wampd/codec"
)

func ids(t *testing.T, v any) []uint64 {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%#v is not a list", v)
	}
	out := make([]uint64, len(l))
	for i, x := range l {
		out[i] = num(t, x)
	}
	slices.Sort(out)
	return out
}

func sorted(v ...uint64) []uint64 { slices.Sort(v); return v }

// TestSessionMeta: count, list (with the authrole filter), get, and the
// join and leave events with the spec's arguments.
func TestSessionMeta(t *testing.T) {
	for _, ser := range serializers {
		t.Run(ser.String(), func(t *testing.T) {
			r := newRealm(t, "realm1")
			w := joinAs(t, r, ser, "watcher", "admin", nil)
			w.subscribe("wamp.session.on_join", codec.MatchExact)
			w.subscribe("wamp.session.on_leave", codec.MatchExact)
			a := joinAs(t, r, codec.JSON, "alice", "user", nil)
			ev := w.expect(codec.Event)
			d := eventArgs(t, ev)[0].(map[string]any)
			if num(t, d["session"]) != a.s.ID || d["authid"] != "alice" || d["authrole"] != "user" ||
				d["authmethod"] != "anonymous" || d["authprovider"] != "static" {
				t.Fatalf("on_join details %#v", d)
			}
			if tr, _ := d["transport"].(map[string]any); tr["type"] != "websocket" || tr["serializer"] != "json" {
				t.Fatalf("on_join transport %#v", d["transport"])
			}
			b := joinAs(t, r, codec.CBOR, "bob", "guest", nil)
			w.expect(codec.Event)

			if n := num(t, w.result("wamp.session.count", nil, nil)); n != 3 {
				t.Fatalf("count = %d", n)
			}
			if n := num(t, w.result("wamp.session.count", []any{[]any{"user", "guest"}}, nil)); n != 2 {
				t.Fatalf("count(user, guest) = %d", n)
			}
			if got := ids(t, w.result("wamp.session.list", nil, nil)); !slices.Equal(got, sorted(w.s.ID, a.s.ID, b.s.ID)) {
				t.Fatalf("list = %v", got)
			}
			if got := ids(t, w.result("wamp.session.list", []any{[]any{"guest"}}, nil)); !slices.Equal(got, []uint64{b.s.ID}) {
				t.Fatalf("list(guest) = %v", got)
			}
			if d := w.result("wamp.session.get", []any{b.s.ID}, nil).(map[string]any); d["authid"] != "bob" {
				t.Fatalf("get = %#v", d)
			}
			w.callError("wamp.session.get", []any{1}, nil, codec.ErrNoSuchSession)
			w.callError("wamp.session.count", []any{"user"}, nil, codec.ErrInvalidArgument)

			r.Leave(b.s)
			ev = w.expect(codec.Event)
			if args := eventArgs(t, ev); len(args) != 3 || num(t, args[0]) != b.s.ID || args[1] != "bob" || args[2] != "guest" {
				t.Fatalf("on_leave args %#v", args)
			}
		})
	}
}

// TestSessionKill: kill, kill_by_authid, kill_by_authrole and kill_all end
// the right sessions with GOODBYE (reason and message as given), never the
// caller; kill_all publishes no meta events.
func TestSessionKill(t *testing.T) {
	r := newRealm(t, "realm1")
	admin := joinAs(t, r, codec.JSON, "admin", "admin", nil)
	w := joinAs(t, r, codec.JSON, "watcher", "watch", nil)
	w.subscribe("wamp.session.on_leave", codec.MatchExact)
	v1 := joinAs(t, r, codec.MsgPack, "v", "user", nil)
	v2 := joinAs(t, r, codec.MsgPack, "v", "user", nil)
	v3 := joinAs(t, r, codec.MsgPack, "x", "other", nil)
	v4 := joinAs(t, r, codec.MsgPack, "y", "other", nil)

	if got := admin.call("wamp.session.kill", []any{v1.s.ID}, map[string]any{"reason": "com.example.bye", "message": "go"}); got.Type != codec.Result {
		t.Fatalf("kill: %s %s", got.Type, got.URI)
	}
	bye := v1.expect(codec.Goodbye)
	if bye.URI != "com.example.bye" || bye.Options.Message != "go" || !v1.p.closed.Load() {
		t.Fatalf("GOODBYE %+v", bye)
	}
	w.expect(codec.Event)
	admin.callError("wamp.session.kill", []any{admin.s.ID}, nil, codec.ErrNoSuchSession)
	admin.callError("wamp.session.kill", []any{v2.s.ID}, map[string]any{"reason": "not a uri"}, codec.ErrInvalidURI)

	if got := ids(t, admin.result("wamp.session.kill_by_authid", []any{"v"}, nil)); !slices.Equal(got, []uint64{v2.s.ID}) {
		t.Fatalf("kill_by_authid = %v", got)
	}
	if bye := v2.expect(codec.Goodbye); bye.URI != codec.CloseKilled {
		t.Fatalf("default reason %s", bye.URI)
	}
	w.expect(codec.Event)
	if n := num(t, admin.result("wamp.session.kill_by_authrole", []any{"other"}, nil)); n != 2 {
		t.Fatalf("kill_by_authrole = %d", n)
	}
	v3.expect(codec.Goodbye)
	v4.expect(codec.Goodbye)
	w.expect(codec.Event)
	w.expect(codec.Event)
	if n := num(t, admin.result("wamp.session.kill_by_authrole", []any{"nobody"}, nil)); n != 0 {
		t.Fatalf("kill_by_authrole(nobody) = %d", n)
	}

	// kill_all: the watcher goes too, and nobody hears of it.
	w2 := joinAs(t, r, codec.JSON, "w2", "watch", nil)
	if n := num(t, admin.result("wamp.session.kill_all", nil, nil)); n != 2 {
		t.Fatalf("kill_all = %d", n)
	}
	if m := w.expect(codec.Goodbye); m.Type != codec.Goodbye {
		t.Fatal("watcher not killed")
	}
	w2.expect(codec.Goodbye)
	if n := num(t, admin.result("wamp.session.count", nil, nil)); n != 1 {
		t.Fatalf("after kill_all count = %d", n)
	}
}

// TestSubscriptionMeta: the procedures and the events in the spec's order.
func TestSubscriptionMeta(t *testing.T) {
	r := newRealm(t, "realm1")
	w := joinAs(t, r, codec.JSON, "w", "admin", nil)
	w.subscribe("wamp.subscription.", codec.MatchPrefix)
	a := joinAs(t, r, codec.MsgPack, "a", "user", nil)
	b := joinAs(t, r, codec.CBOR, "b", "user", nil)

	exact := a.subscribe("com.t.x", codec.MatchExact)
	create := w.expect(codec.Event)
	if create.Options.Topic != metaSubOnCreate {
		t.Fatalf("first event %s", create.Options.Topic)
	}
	args := eventArgs(t, create)
	if d := args[1].(map[string]any); num(t, args[0]) != a.s.ID || num(t, d["id"]) != exact || d["uri"] != "com.t.x" || d["match"] != "exact" || d["created"] == "" {
		t.Fatalf("on_create args %#v", args)
	}
	if ev := w.expect(codec.Event); ev.Options.Topic != metaSubOnSubscribe || num(t, eventArgs(t, ev)[1]) != exact {
		t.Fatalf("second event %s", ev.Options.Topic)
	}
	b.subscribe("com.t.x", codec.MatchExact)
	if ev := w.expect(codec.Event); ev.Options.Topic != metaSubOnSubscribe {
		t.Fatalf("join of an existing subscription: %s", ev.Options.Topic)
	}
	prefix := b.subscribe("com.t.", codec.MatchPrefix)
	w.expect(codec.Event)
	w.expect(codec.Event)
	wild := b.subscribe("com..x", codec.MatchWildcard)
	w.expect(codec.Event)
	w.expect(codec.Event)

	l := w.result("wamp.subscription.list", nil, nil).(map[string]any)
	if !slices.Equal(ids(t, l["exact"]), []uint64{exact}) || !slices.Equal(ids(t, l["prefix"]), []uint64{prefix}) ||
		!slices.Equal(ids(t, l["wildcard"]), []uint64{wild}) {
		t.Fatalf("list %#v", l)
	}
	if id := num(t, w.result("wamp.subscription.lookup", []any{"com.t.", map[string]any{"match": "prefix"}}, nil)); id != prefix {
		t.Fatalf("lookup prefix = %d", id)
	}
	if v := w.result("wamp.subscription.lookup", []any{"com.t."}, nil); v != nil {
		t.Fatalf("lookup of com.t. exact = %v, want null", v)
	}
	if got := ids(t, w.result("wamp.subscription.match", []any{"com.t.x"}, nil)); !slices.Equal(got, sorted(exact, prefix, wild)) {
		t.Fatalf("match = %v", got)
	}
	if v := w.result("wamp.subscription.match", []any{""}, nil); v != nil {
		t.Fatalf("match(\"\") = %v, want null", v)
	}
	if d := w.result("wamp.subscription.get", []any{wild}, nil).(map[string]any); d["match"] != "wildcard" || d["uri"] != "com..x" {
		t.Fatalf("get %#v", d)
	}
	if got := ids(t, w.result("wamp.subscription.list_subscribers", []any{exact}, nil)); !slices.Equal(got, sorted(a.s.ID, b.s.ID)) {
		t.Fatalf("list_subscribers = %v", got)
	}
	if n := num(t, w.result("wamp.subscription.count_subscribers", []any{exact}, nil)); n != 2 {
		t.Fatalf("count_subscribers = %d", n)
	}
	w.callError("wamp.subscription.get", []any{42}, nil, codec.ErrNoSuchSubscription)
	w.callError("wamp.subscription.count_subscribers", []any{42}, nil, codec.ErrNoSuchSubscription)

	// Unsubscribe then leave: on_unsubscribe, and on_delete after the last.
	req := a.nextReq()
	a.send(codec.Message{Type: codec.Unsubscribe, Request: req, ID: exact})
	a.expect(codec.Unsubscribed)
	if ev := w.expect(codec.Event); ev.Options.Topic != metaSubOnUnsubscribe {
		t.Fatalf("unsubscribe: %s", ev.Options.Topic)
	}
	r.Leave(b.s)
	seen := map[string]int{}
	for range 6 { // three on_unsubscribe, three on_delete
		seen[w.expect(codec.Event).Options.Topic]++
	}
	if seen[metaSubOnUnsubscribe] != 3 || seen[metaSubOnDelete] != 3 {
		t.Fatalf("leave events %v", seen)
	}
}

// TestRegistrationMeta: the registration procedures and events.
func TestRegistrationMeta(t *testing.T) {
	r := newRealm(t, "realm1")
	w := joinAs(t, r, codec.MsgPack, "w", "admin", nil)
	w.subscribe("wamp.registration.", codec.MatchPrefix)
	c1 := joinAs(t, r, codec.JSON, "c1", "user", nil)
	c2 := joinAs(t, r, codec.JSON, "c2", "user", nil)
	reg := c1.register("com.p", codec.MatchExact, codec.InvokeRoundRobin)
	if ev := w.expect(codec.Event); ev.Options.Topic != metaRegOnCreate ||
		eventArgs(t, ev)[1].(map[string]any)["invoke"] != "roundrobin" {
		t.Fatalf("on_create %+v", ev)
	}
	if ev := w.expect(codec.Event); ev.Options.Topic != metaRegOnRegister {
		t.Fatalf("on_register %s", ev.Options.Topic)
	}
	c2.register("com.p", codec.MatchExact, codec.InvokeRoundRobin)
	w.expect(codec.Event)
	pre := c2.register("com.", codec.MatchPrefix, codec.InvokeSingle)
	w.expect(codec.Event)
	w.expect(codec.Event)

	l := w.result("wamp.registration.list", nil, nil).(map[string]any)
	if !slices.Equal(ids(t, l["exact"]), []uint64{reg}) || !slices.Equal(ids(t, l["prefix"]), []uint64{pre}) {
		t.Fatalf("list %#v", l)
	}
	if id := num(t, w.result("wamp.registration.match", []any{"com.p"}, nil)); id != reg {
		t.Fatalf("match com.p = %d (exact wins)", id)
	}
	if id := num(t, w.result("wamp.registration.match", []any{"com.q"}, nil)); id != pre {
		t.Fatalf("match com.q = %d", id)
	}
	if v := w.result("wamp.registration.match", []any{""}, nil); v != nil {
		t.Fatalf("match(\"\") = %v", v)
	}
	if id := num(t, w.result("wamp.registration.lookup", []any{"com.", map[string]any{"match": "prefix"}}, nil)); id != pre {
		t.Fatalf("lookup = %d", id)
	}
	if got := ids(t, w.result("wamp.registration.list_callees", []any{reg}, nil)); !slices.Equal(got, sorted(c1.s.ID, c2.s.ID)) {
		t.Fatalf("list_callees %v", got)
	}
	if n := num(t, w.result("wamp.registration.count_callees", []any{reg}, nil)); n != 2 {
		t.Fatalf("count_callees %d", n)
	}
	if d := w.result("wamp.registration.get", []any{pre}, nil).(map[string]any); d["uri"] != "com." || d["match"] != "prefix" {
		t.Fatalf("get %#v", d)
	}
	w.callError("wamp.registration.get", []any{7}, nil, codec.ErrNoSuchRegistration)
	r.Leave(c1.s)
	if ev := w.expect(codec.Event); ev.Options.Topic != metaRegOnUnregister {
		t.Fatalf("leave: %s", ev.Options.Topic)
	}
	r.Leave(c2.s)
	seen := map[string]int{}
	for range 4 {
		seen[w.expect(codec.Event).Options.Topic]++
	}
	if seen[metaRegOnUnregister] != 2 || seen[metaRegOnDelete] != 2 {
		t.Fatalf("events %v", seen)
	}
}

// TestNoMetaAPI: a realm with the meta API off answers no wamp.*
// procedure and publishes no meta event.
func TestNoMetaAPI(t *testing.T) {
	r := newRealmWith(t, Options{NoMetaAPI: true})
	w := joinAs(t, r, codec.JSON, "w", "admin", nil)
	w.subscribe("wamp.session.on_join", codec.MatchExact)
	joinAs(t, r, codec.JSON, "x", "user", nil)
	w.callError("wamp.session.count", nil, nil, codec.ErrNoSuchProcedure)
}

// TestTestaments: published when the session drops (detached before
// destroyed, in order), not after a flush, not on kill_all.
func TestTestaments(t *testing.T) {
	r := newRealm(t, "realm1")
	w := joinAs(t, r, codec.JSON, "w", "user", nil)
	w.subscribe("com.will", codec.MatchExact)
	d := joinAs(t, r, codec.MsgPack, "dying", "user", nil)
	d.result("wamp.session.add_testament", []any{"com.will", []any{"destroyed 1"}, map[string]any{"k": "v"}}, nil)
	d.result("wamp.session.add_testament", []any{"com.will", []any{"detached"}, map[string]any{}}, map[string]any{"scope": "detached"})
	d.result("wamp.session.add_testament", []any{"com.will", []any{"destroyed 2"}, map[string]any{}},
		map[string]any{"publish_options": map[string]any{"disclose_me": true}})
	d.callError("wamp.session.add_testament", []any{"com.will", []any{}, map[string]any{}}, map[string]any{"scope": "later"}, codec.ErrInvalidArgument)
	d.callError("wamp.session.add_testament", []any{"wamp.x", []any{}, map[string]any{}}, nil, codec.ErrInvalidURI)
	w.quiet()
	r.Leave(d.s) // the connection dropped
	for i, want := range []string{"detached", "destroyed 1", "destroyed 2"} {
		ev := w.expect(codec.Event)
		if got := eventArgs(t, ev)[0]; got != want {
			t.Fatalf("testament %d = %v, want %s", i, got, want)
		}
		if i == 2 && ev.Options.Publisher != d.s.ID {
			t.Fatalf("disclose_me testament: publisher %d", ev.Options.Publisher)
		}
	}

	f := joinAs(t, r, codec.JSON, "flush", "user", nil)
	f.result("wamp.session.add_testament", []any{"com.will", []any{"no"}, map[string]any{}}, nil)
	f.result("wamp.session.flush_testaments", nil, nil)
	r.Leave(f.s)
	w.quiet()

	k := joinAs(t, r, codec.JSON, "killed", "user", nil)
	k.result("wamp.session.add_testament", []any{"com.will", []any{"killed"}, map[string]any{}}, nil)
	admin := joinAs(t, r, codec.JSON, "admin", "admin", nil)
	admin.result("wamp.session.kill", []any{k.s.ID}, nil)
	if got := eventArgs(t, w.expect(codec.Event))[0]; got != "killed" {
		t.Fatalf("kill testament %v", got)
	}
	k2 := joinAs(t, r, codec.JSON, "killed2", "user", nil)
	k2.result("wamp.session.add_testament", []any{"com.will", []any{"kill_all"}, map[string]any{}}, nil)
	admin.result("wamp.session.kill_all", nil, nil)
	w.expect(codec.Goodbye) // the watcher is killed too, and got no testament first
}

// TestRevocation: remove_subscriber and remove_callee revoke; a session
// that announced the feature is told with the spec's details, one that did
// not is not (the meta events still tell watchers).
func TestRevocation(t *testing.T) {
	r := newRealm(t, "realm1")
	admin := joinAs(t, r, codec.JSON, "admin", "admin", nil)
	w := joinAs(t, r, codec.JSON, "w", "admin", nil)
	w.subscribe("wamp.subscription.on_unsubscribe", codec.MatchExact)
	rev := helloWith(map[string][]string{"subscriber": {"subscription_revocation"}, "callee": {"registration_revocation"}})
	s1 := joinAs(t, r, codec.CBOR, "s1", "user", rev)
	s2 := joinAs(t, r, codec.JSON, "s2", "user", nil)
	sub := s1.subscribe("com.rev", codec.MatchExact)
	s2.subscribe("com.rev", codec.MatchExact)
	admin.result("wamp.subscription.remove_subscriber", []any{sub, s1.s.ID, "no longer allowed"}, nil)
	m := s1.expect(codec.Unsubscribed)
	if m.Request != 0 || m.Options.Subscription != sub || m.Options.Reason != "no longer allowed" {
		t.Fatalf("UNSUBSCRIBED %+v", m)
	}
	w.expect(codec.Event)
	admin.result("wamp.subscription.remove_subscriber", []any{sub, s2.s.ID}, nil)
	w.expect(codec.Event)
	s2.quiet()
	admin.callError("wamp.subscription.remove_subscriber", []any{sub, s2.s.ID}, nil, codec.ErrNoSuchSubscription)

	reg := s1.register("com.revp", codec.MatchExact, codec.InvokeSingle)
	admin.result("wamp.registration.remove_callee", []any{reg, s1.s.ID}, map[string]any{"reason": "moved"})
	m = s1.expect(codec.Unregistered)
	if m.Request != 0 || m.Options.Registration != reg || m.Options.Reason != "moved" {
		t.Fatalf("UNREGISTERED %+v", m)
	}
	admin.callError("com.revp", nil, nil, codec.ErrNoSuchProcedure)
	admin.callError("wamp.registration.remove_callee", []any{reg, s1.s.ID}, nil, codec.ErrNoSuchRegistration)
}

// TestLocalSession: an in-process session joins, subscribes, is published
// to, calls a socket session's procedure and is seen by the meta API.
func TestLocalSession(t *testing.T) {
	r := newRealm(t, "realm1")
	got := make(chan codec.Message, 16)
	l, err := r.JoinLocal(LocalOptions{ID: 77, AuthID: "bridge", AuthRole: "trusted", AuthMethod: "local",
		AuthProvider: "wampd", OnMessage: func(m *codec.Message) {
			c := *m
			c.Args = append([]byte(nil), m.Args...)
			c.Dict = nil
			got <- c
		}})
	if err != nil {
		t.Fatal(err)
	}
	next := func(typ codec.Type) codec.Message {
		t.Helper()
		select {
		case m := <-got:
			if m.Type != typ {
				t.Fatalf("local got %s, want %s", m.Type, typ)
			}
			return m
		case <-t.Context().Done():
		}
		t.Fatal("no message")
		return codec.Message{}
	}
	if w := next(codec.Welcome); w.ID != 77 {
		t.Fatalf("WELCOME %+v", w)
	}
	if err := l.Send(&codec.Message{Type: codec.Subscribe, Request: 1, URI: "com.local"}); err != nil {
		t.Fatal(err)
	}
	next(codec.Subscribed)
	c := joinAs(t, r, codec.JSON, "c", "user", nil)
	c.publishDict("com.local", map[string]any{}, []any{"hi"})
	if ev := next(codec.Event); len(ev.Args) == 0 {
		t.Fatalf("EVENT %+v", ev)
	}
	c.register("com.sock", codec.MatchExact, codec.InvokeSingle)
	if err := l.Send(&codec.Message{Type: codec.Call, Request: 2, URI: "com.sock"}); err != nil {
		t.Fatal(err)
	}
	inv := c.expect(codec.Invocation)
	c.send(codec.Message{Type: codec.Yield, Request: inv.Request})
	next(codec.Result)
	if d := c.result("wamp.session.get", []any{77}, nil).(map[string]any); d["authid"] != "bridge" ||
		d["transport"].(map[string]any)["type"] != "local" {
		t.Fatalf("meta get %#v", d)
	}
	l.Close()
	if n := num(t, c.result("wamp.session.count", nil, nil)); n != 1 {
		t.Fatalf("count after Close = %d", n)
	}
	if err := l.Send(&codec.Message{Type: codec.Call, Request: 3, URI: "com.sock"}); err != ErrLocalClosed {
		t.Fatalf("Send after Close: %v", err)
	}
}

// TestWelcomeMetaFeatures: the meta API features are announced exactly
// when the realm serves the meta API.
func TestWelcomeMetaFeatures(t *testing.T) {
	for _, off := range []bool{false, true} {
		r := newRealmWith(t, Options{NoMetaAPI: off})
		_, w := joinClient(t, r, codec.JSON, nil)
		roles := w.Details["roles"].(map[string]any)
		for role, keys := range map[string][]string{
			"broker": {"session_meta_api", "subscription_meta_api", "event_history", "subscription_revocation"},
			"dealer": {"session_meta_api", "registration_meta_api", "testament_meta_api", "registration_revocation"},
		} {
			fs := roles[role].(map[string]any)["features"].(map[string]any)
			for _, k := range keys {
				if _, on := fs[k]; on == off {
					t.Errorf("meta off=%v: %s.%s announced=%v", off, role, k, on)
				}
			}
			for _, k := range []string{"payload_passthru_mode"} {
				if fs[k] != true {
					t.Errorf("%s.%s not announced", role, k)
				}
			}
		}
	}
}
