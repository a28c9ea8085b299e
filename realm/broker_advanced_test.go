package realm

import (
	"fmt"
	"slices"
	"testing"

	"github.com/wampd/wampd/codec"
)

// TestBlackWhiteListing: each list alone and combined picks exactly the
// subscribers the spec says (eligible lists intersect, exclude wins), and
// the ones that receive share one encoded frame.
func TestBlackWhiteListing(t *testing.T) {
	r := newRealm(t, "realm1")
	pubr := joinAs(t, r, codec.JSON, "pub", "publisher", nil)
	subs := []*client{
		joinAs(t, r, codec.JSON, "alice", "user", nil),
		joinAs(t, r, codec.JSON, "bob", "user", nil),
		joinAs(t, r, codec.JSON, "carol", "admin", nil),
		joinAs(t, r, codec.JSON, "dave", "admin", nil),
	}
	for _, s := range subs {
		s.subscribe("com.bw", codec.MatchExact)
	}
	id := func(i int) uint64 { return subs[i].s.ID }
	for _, tc := range []struct {
		name string
		opts map[string]any
		want []int // indexes of subs that receive
	}{
		{"none", map[string]any{}, []int{0, 1, 2, 3}},
		{"exclude", map[string]any{"exclude": []any{id(1), id(3)}}, []int{0, 2}},
		{"exclude_authid", map[string]any{"exclude_authid": []any{"alice"}}, []int{1, 2, 3}},
		{"exclude_authrole", map[string]any{"exclude_authrole": []any{"admin"}}, []int{0, 1}},
		{"eligible", map[string]any{"eligible": []any{id(2)}}, []int{2}},
		{"eligible_authid", map[string]any{"eligible_authid": []any{"bob", "dave"}}, []int{1, 3}},
		{"eligible_authrole", map[string]any{"eligible_authrole": []any{"user"}}, []int{0, 1}},
		{"eligible and exclude", map[string]any{"eligible": []any{id(0), id(1), id(2)}, "exclude": []any{id(0)}}, []int{1, 2}},
		{"eligible lists intersect", map[string]any{"eligible_authrole": []any{"admin"}, "eligible_authid": []any{"carol", "alice"}}, []int{2}},
		{"empty eligible", map[string]any{"eligible": []any{}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts["acknowledge"] = true
			req := pubr.publishDict("com.bw", tc.opts, []any{tc.name})
			if m := pubr.expect(codec.Published); m.Request != req {
				t.Fatalf("PUBLISHED %+v", m)
			}
			var frame *codec.Frame
			for i, s := range subs {
				if slices.Contains(tc.want, i) {
					ev := s.expect(codec.Event)
					checkPayload(t, ev, []any{tc.name}, nil)
					if f := s.p.lastFrame(); frame == nil {
						frame = f
					} else if f != frame {
						t.Errorf("subscriber %d got its own encoding: the frame is not shared", i)
					}
				}
				s.quiet()
			}
		})
	}
}

// TestPublisherDisclosure: disclose_me gives publisher, its authid and
// authrole.
func TestPublisherDisclosure(t *testing.T) {
	r := newRealm(t, "realm1")
	p := joinAs(t, r, codec.MsgPack, "pubid", "pubrole", nil)
	s := joinAs(t, r, codec.CBOR, "x", "y", nil)
	s.subscribe("com.d", codec.MatchExact)
	p.send(codec.Message{Type: codec.Publish, Request: 1, URI: "com.d",
		Options: codec.Options{Has: codec.HasDiscloseMe, DiscloseMe: true}})
	ev := s.expect(codec.Event)
	if ev.Options.Publisher != p.s.ID || extOf(ev).PublisherAuthID != "pubid" || extOf(ev).PublisherAuthRole != "pubrole" {
		t.Fatalf("EVENT details %+v", ev.Options)
	}
}

// TestRetention: the last retained event of a topic reaches a new
// subscriber that asks for it, marked retained; one published without
// retain does not replace it; exact and pattern subscriptions get it.
func TestRetention(t *testing.T) {
	for _, ser := range serializers {
		t.Run(ser.String(), func(t *testing.T) {
			r := newRealm(t, "realm1")
			p := joinAs(t, r, ser, "p", "user", nil)
			p.publishDict("com.ret.a", map[string]any{"retain": true}, []any{"old"})
			p.publishDict("com.ret.a", map[string]any{"retain": true}, []any{"last"})
			p.publishDict("com.ret.a", map[string]any{}, []any{"not retained"})
			p.publishDict("com.ret.b", map[string]any{"retain": true}, []any{"b"})
			p.barrier()

			s := joinAs(t, r, ser, "s", "user", nil)
			req := s.nextReq()
			s.send(codec.Message{Type: codec.Subscribe, Request: req, URI: "com.ret.a",
				Options: codec.Options{Has: codec.HasGetRetained, GetRetained: true}})
			sub := s.expect(codec.Subscribed)
			ev := s.expect(codec.Event)
			if ev.ID != sub.ID || !ev.Options.Retained {
				t.Fatalf("retained EVENT %+v", ev)
			}
			checkPayload(t, ev, []any{"last"}, nil)
			s.quiet()

			// Without get_retained nothing comes.
			s.subscribe("com.ret.b", codec.MatchExact)
			s.quiet()

			// A prefix subscription gets both topics' retained events.
			req = s.nextReq()
			s.send(codec.Message{Type: codec.Subscribe, Request: req, URI: "com.ret.",
				Options: codec.Options{Has: codec.HasGetRetained | codec.HasMatch, GetRetained: true, Match: codec.MatchPrefix}})
			s.expect(codec.Subscribed)
			got := map[string]bool{}
			for range 2 {
				ev := s.expect(codec.Event)
				if !ev.Options.Retained {
					t.Fatalf("EVENT %+v not marked retained", ev)
				}
				got[ev.Options.Topic] = true
			}
			if !got["com.ret.a"] || !got["com.ret.b"] {
				t.Fatalf("prefix subscription got retained events of %v", got)
			}
		})
	}
}

// TestRetentionEligibility: a retained event the new subscriber could not
// have received is not sent; the newest one it could have is.
func TestRetentionEligibility(t *testing.T) {
	r := newRealm(t, "realm1")
	p := joinAs(t, r, codec.JSON, "p", "user", nil)
	p.publishDict("com.r", map[string]any{"retain": true}, []any{"for all"})
	p.publishDict("com.r", map[string]any{"retain": true, "eligible_authrole": []any{"admin"}}, []any{"admins only"})
	p.barrier()
	get := func(c *client) {
		req := c.nextReq()
		c.send(codec.Message{Type: codec.Subscribe, Request: req, URI: "com.r",
			Options: codec.Options{Has: codec.HasGetRetained, GetRetained: true}})
		c.expect(codec.Subscribed)
	}
	admin := joinAs(t, r, codec.JSON, "a", "admin", nil)
	get(admin)
	checkPayload(t, admin.expect(codec.Event), []any{"admins only"}, nil)
	user := joinAs(t, r, codec.JSON, "u", "user", nil)
	get(user)
	checkPayload(t, user.expect(codec.Event), []any{"for all"}, nil)
	// The publisher itself is excluded (exclude_me defaults to true).
	get(p)
	p.quiet()
}

// TestRetentionBound: past the realm's byte bound the topics retained
// longest ago are forgotten.
func TestRetentionBound(t *testing.T) {
	r := newRealmWith(t, Options{RetainedBytes: 2000})
	p := joinAs(t, r, codec.JSON, "p", "user", nil)
	big := string(make([]byte, 300))
	for i := range 10 {
		p.publishDict(fmt.Sprintf("com.b.%d", i), map[string]any{"retain": true}, []any{big})
	}
	p.barrier()
	if st := r.Stats(); st.RetainedEvicted == 0 || st.RetainedBytes == 0 || st.RetainedBytes > 2000 {
		t.Fatalf("stats %+v: evictions must be counted, bytes within the bound", st)
	}
	s := joinAs(t, r, codec.JSON, "s", "user", nil)
	for i, want := range map[int]bool{0: false, 9: true} {
		req := s.nextReq()
		s.send(codec.Message{Type: codec.Subscribe, Request: req, URI: fmt.Sprintf("com.b.%d", i),
			Options: codec.Options{Has: codec.HasGetRetained, GetRetained: true}})
		s.expect(codec.Subscribed)
		if want {
			s.expect(codec.Event)
		}
		s.quiet()
	}
}

// TestPPTPublish: the passthru keys reach the EVENT unchanged, binary
// payload intact across serializers; a publisher that did not announce the
// feature is a protocol violation.
func TestPPTPublish(t *testing.T) {
	r := newRealm(t, "realm1")
	pptHello := helloWith(map[string][]string{"publisher": {"payload_passthru_mode"}})
	p := joinAs(t, r, codec.CBOR, "p", "user", pptHello)
	s := joinAs(t, r, codec.JSON, "s", "user", nil)
	s.subscribe("com.ppt", codec.MatchExact)
	p.publishDict("com.ppt", map[string]any{"ppt_scheme": "x_test", "ppt_serializer": "flatbuffers",
		"ppt_cipher": "xsalsa20poly1305", "ppt_keyid": "k1"}, []any{[]byte{0, 1, 2, 255}})
	ev := s.expect(codec.Event)
	o := extOf(ev)
	if o.PPTScheme != "x_test" || o.PPTSerializer != "flatbuffers" || o.PPTCipher != "xsalsa20poly1305" || o.PPTKeyID != "k1" {
		t.Fatalf("EVENT details %+v", o)
	}
	if a := eventArgs(t, ev); len(a) != 1 || string(a[0].([]byte)) != "\x00\x01\x02\xff" {
		t.Fatalf("payload %#v", a)
	}
	bad := joinAs(t, r, codec.JSON, "b", "user", nil)
	bad.publishDict("com.ppt", map[string]any{"ppt_scheme": "x_test"}, []any{[]byte{1}})
	if m := bad.expect(codec.Abort); m.URI != codec.ErrProtocolViolation {
		t.Fatalf("ABORT %s", m.URI)
	}
	s.quiet()
}
