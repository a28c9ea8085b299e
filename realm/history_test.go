package realm

import (
	"fmt"
	"testing"

	"github.com/wampd/wampd/codec"
)

func historyRealm(t *testing.T) *Realm {
	return newRealmWith(t, Options{History: []HistoryRule{
		{Topic: "conf.history", Match: codec.MatchExact, Limit: 100},
		{Topic: "conf.hist.", Match: codec.MatchPrefix, Limit: 10},
		{Topic: "conf.bytes.", Match: codec.MatchPrefix, Limit: 1000, MaxBytes: 3000},
	}})
}

// events calls get_events and returns the list of event dicts.
func (c *client) events(sub uint64, kwargs map[string]any, extra ...any) []map[string]any {
	c.t.Helper()
	v := c.result("wamp.subscription.get_events", append([]any{sub}, extra...), kwargs)
	l, ok := v.([]any)
	if !ok {
		c.t.Fatalf("get_events returned %#v, want a list", v)
	}
	out := make([]map[string]any, len(l))
	for i, e := range l {
		out[i] = e.(map[string]any)
	}
	return out
}

func firstArg(t *testing.T, ev map[string]any) any {
	t.Helper()
	a, ok := ev["args"].([]any)
	if !ok || len(a) == 0 {
		t.Fatalf("event %#v has no args", ev)
	}
	return a[0]
}

// TestHistory: events of a configured topic come back in order of
// occurrence, the last ones under limit, with their fields; the stored
// payloads survive the PUBLISH buffers being recycled.
func TestHistory(t *testing.T) {
	for _, ser := range serializers {
		t.Run(ser.String(), func(t *testing.T) {
			r := historyRealm(t)
			p := joinAs(t, r, ser, "p", "user", nil)
			for i := range 120 {
				a, k := payload(t, ser, []any{fmt.Sprintf("e%d", i)}, map[string]any{"i": float64(i)})
				p.send(codec.Message{Type: codec.Publish, Request: p.nextReq(), URI: "conf.history", Args: a, Kwargs: k})
			}
			p.publishDict("other.topic", map[string]any{}, []any{"x"})
			s := joinAs(t, r, codec.JSON, "s", "user", nil)
			sub := s.subscribe("conf.history", codec.MatchExact)
			evs := s.events(sub, nil)
			if len(evs) != 100 {
				t.Fatalf("%d events, want the last 100", len(evs))
			}
			for i, ev := range evs {
				if got := firstArg(t, ev); got != fmt.Sprintf("e%d", i+20) {
					t.Fatalf("event %d has %v, want e%d", i, got, i+20)
				}
				for _, k := range []string{"timestamp", "subscription", "publication", "details", "kwargs"} {
					if _, ok := ev[k]; !ok {
						t.Fatalf("event %d lacks %q: %#v", i, k, ev)
					}
				}
				if num(t, ev["subscription"]) != sub {
					t.Fatalf("event subscription %v, want %d", ev["subscription"], sub)
				}
			}
			// limit as the second positional argument (Crossbar) and kwarg.
			if evs := s.events(sub, nil, 5); len(evs) != 5 || firstArg(t, evs[4]) != "e119" || firstArg(t, evs[0]) != "e115" {
				t.Fatalf("limit 5: %d events", len(evs))
			}
			if evs := s.events(sub, map[string]any{"limit": 3, "reverse": true}); len(evs) != 3 || firstArg(t, evs[0]) != "e119" {
				t.Fatalf("reverse limit 3: %v", evs)
			}
			// Paging by publication.
			mid := evs[50]["publication"]
			after := s.events(sub, map[string]any{"after_publication": mid})
			if len(after) != 49 || firstArg(t, after[0]) != "e71" {
				t.Fatalf("after_publication: %d events", len(after))
			}
			before := s.events(sub, map[string]any{"before_publication": mid, "reverse": true, "limit": 2})
			if len(before) != 2 || firstArg(t, before[0]) != "e69" {
				t.Fatalf("before_publication: %v", before)
			}
			// A time window that ends before everything.
			if evs := s.events(sub, map[string]any{"until_time": "2000-01-01T00:00:00Z"}); len(evs) != 0 {
				t.Fatalf("until_time 2000: %d events", len(evs))
			}
			if evs := s.events(sub, map[string]any{"from_time": "2000-01-01T00:00:00Z", "limit": 1}); len(evs) != 1 {
				t.Fatalf("from_time 2000: %d events", len(evs))
			}
			s.callError("wamp.subscription.get_events", []any{sub}, map[string]any{"bogus": 1}, codec.ErrInvalidArgument)
			s.callError("wamp.subscription.get_events", []any{12345}, nil, codec.ErrNoSuchSubscription)
		})
	}
}

// TestHistoryPrefix: a prefix rule keeps its limit per topic; a prefix
// subscription sees every topic's events, in order, and can narrow to one.
func TestHistoryPrefix(t *testing.T) {
	r := historyRealm(t)
	p := joinAs(t, r, codec.MsgPack, "p", "user", nil)
	for i := range 15 {
		p.publishDict("conf.hist.a", map[string]any{}, []any{fmt.Sprintf("a%d", i)})
		p.publishDict("conf.hist.b", map[string]any{}, []any{fmt.Sprintf("b%d", i)})
	}
	s := joinAs(t, r, codec.CBOR, "s", "user", nil)
	subA := s.subscribe("conf.hist.a", codec.MatchExact)
	if evs := s.events(subA, nil); len(evs) != 10 || firstArg(t, evs[0]) != "a5" {
		t.Fatalf("topic a: %d events", len(evs))
	}
	all := s.subscribe("conf.hist.", codec.MatchPrefix)
	evs := s.events(all, nil)
	if len(evs) != 20 || firstArg(t, evs[0]) != "a5" || firstArg(t, evs[1]) != "b5" || firstArg(t, evs[19]) != "b14" {
		t.Fatalf("prefix: %d events", len(evs))
	}
	if evs := s.events(all, map[string]any{"topic": "conf.hist.b"}); len(evs) != 10 || firstArg(t, evs[0]) != "b5" {
		t.Fatalf("prefix narrowed to b: %d", len(evs))
	}
}

// TestHistoryBytes: a rule's byte bound drops its oldest events first,
// across topics.
func TestHistoryBytes(t *testing.T) {
	r := historyRealm(t)
	p := joinAs(t, r, codec.JSON, "p", "user", nil)
	pad := string(make([]byte, 200))
	for i := range 40 {
		p.publishDict(fmt.Sprintf("conf.bytes.%d", i%3), map[string]any{}, []any{fmt.Sprintf("%d", i), pad})
	}
	s := joinAs(t, r, codec.JSON, "s", "user", nil)
	evs := s.events(s.subscribe("conf.bytes.", codec.MatchPrefix), nil)
	if len(evs) == 0 || len(evs) >= 40 || len(evs) > 3000/200 {
		t.Fatalf("%d events kept under a 3000-byte bound", len(evs))
	}
	if st := r.Stats(); st.HistoryEvicted != int64(40-len(evs)) || st.HistoryBytes == 0 {
		t.Fatalf("stats %+v: %d evictions expected", st, 40-len(evs))
	}
	if got := firstArg(t, evs[len(evs)-1]); got != "39" {
		t.Fatalf("newest kept is %v, want 39", got)
	}
	if got := firstArg(t, evs[0]); got != fmt.Sprintf("%d", 40-len(evs)) {
		t.Fatalf("oldest kept is %v, want %d (the oldest go first)", got, 40-len(evs))
	}
}

// TestHistoryFilters: events with session-id lists are not kept; authrole
// lists are applied again to whoever asks.
func TestHistoryFilters(t *testing.T) {
	r := historyRealm(t)
	p := joinAs(t, r, codec.JSON, "p", "user", nil)
	p.publishDict("conf.history", map[string]any{"exclude": []any{1}}, []any{"by id"})
	p.publishDict("conf.history", map[string]any{"eligible_authrole": []any{"admin"}}, []any{"admins"})
	p.publishDict("conf.history", map[string]any{}, []any{"all"})
	user := joinAs(t, r, codec.JSON, "u", "user", nil)
	if evs := user.events(user.subscribe("conf.history", codec.MatchExact), nil); len(evs) != 1 || firstArg(t, evs[0]) != "all" {
		t.Fatalf("user sees %v", evs)
	}
	admin := joinAs(t, r, codec.JSON, "a", "admin", nil)
	if evs := admin.events(admin.subscribe("conf.history", codec.MatchExact), nil); len(evs) != 2 {
		t.Fatalf("admin sees %d events, want 2", len(evs))
	}
}
