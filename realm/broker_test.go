package realm

import (
	"testing"

	"github.com/wampd/wampd/codec"
)

func TestPublishSubscribe(t *testing.T) {
	args := []any{"hello", 42.0}
	kwargs := map[string]any{"k": "v"}
	for _, ser := range serializers {
		t.Run(ser.String(), func(t *testing.T) {
			r := newRealm(t, "realm1")
			pub, _ := joinClient(t, r, ser, nil)
			s1, _ := joinClient(t, r, ser, nil)
			s2, _ := joinClient(t, r, ser, nil)
			id1 := s1.subscribe("com.topic", codec.MatchExact)
			id2 := s2.subscribe("com.topic", codec.MatchExact)
			if id1 != id2 {
				t.Errorf("subscription ids differ for one topic: %d, %d", id1, id2)
			}
			if again := s1.subscribe("com.topic", codec.MatchExact); again != id1 {
				t.Errorf("second SUBSCRIBE id = %d, want %d", again, id1)
			}
			pubSub := pub.subscribe("com.topic", codec.MatchExact)

			a, k := payload(t, ser, args, kwargs)
			req := pub.nextReq()
			pub.send(codec.Message{Type: codec.Publish, Request: req, URI: "com.topic",
				Options: codec.Options{Has: codec.HasAcknowledge, Acknowledge: true},
				Args:    a, Kwargs: k})
			ack := pub.expect(codec.Published)
			if ack.Request != req || ack.ID == 0 || ack.ID > codec.MaxID {
				t.Fatalf("PUBLISHED %+v", ack)
			}
			for _, c := range []*client{s1, s2} {
				ev := c.expect(codec.Event)
				if ev.ID != id1 || ev.ID2 != ack.ID {
					t.Errorf("EVENT sub %d pub %d, want %d %d", ev.ID, ev.ID2, id1, ack.ID)
				}
				if ev.Options.Has&(codec.HasPublisher|codec.HasTopic) != 0 {
					t.Errorf("EVENT details %+v, want none", ev.Options)
				}
				checkPayload(t, ev, args, kwargs)
			}
			// The publisher is excluded by default ...
			pub.barrier()
			// ... and included with exclude_me=false; disclose_me names it.
			pub.send(codec.Message{Type: codec.Publish, Request: pub.nextReq(), URI: "com.topic",
				Options: codec.Options{Has: codec.HasExcludeMe | codec.HasDiscloseMe, ExcludeMe: false, DiscloseMe: true}})
			for _, c := range []*client{s1, s2, pub} {
				ev := c.expect(codec.Event)
				if ev.Options.Publisher != pub.s.ID {
					t.Errorf("EVENT publisher = %d, want %d", ev.Options.Publisher, pub.s.ID)
				}
				if c == pub && ev.ID != pubSub {
					t.Errorf("publisher's EVENT subscription %d, want %d", ev.ID, pubSub)
				}
			}
			pub.barrier() // the counters are updated after the sends
			if st := r.Stats(); st.Published != 2 || st.Delivered != 5 || st.Dropped != 0 {
				t.Errorf("Stats = %+v, want 2 published, 5 delivered", st)
			}
		})
	}
}

func TestPublishErrors(t *testing.T) {
	tests := []struct {
		name  string
		topic string
		ack   bool
		want  codec.URI // "" = no reply at all
	}{
		{"invalid uri acknowledged", "com..topic", true, codec.ErrInvalidURI},
		{"invalid uri silent", "com topic", false, ""},
		{"reserved acknowledged", "wamp.session.on_join", true, codec.ErrInvalidURI},
		{"reserved silent", "wamp.session.on_join", false, ""},
		{"no subscriber acknowledged", "com.nobody", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRealm(t, "realm1")
			c, _ := joinClient(t, r, codec.JSON, nil)
			req := c.nextReq()
			m := codec.Message{Type: codec.Publish, Request: req, URI: tt.topic}
			if tt.ack {
				m.Options = codec.Options{Has: codec.HasAcknowledge, Acknowledge: true}
			}
			c.send(m)
			switch {
			case tt.want != "":
				e := c.expectError(codec.Publish, req, tt.want)
				if errorText(t, e) == "" {
					t.Error("ERROR without a message")
				}
			case tt.ack:
				c.expect(codec.Published)
			}
			c.barrier()
		})
	}
}

func TestSubscribeErrors(t *testing.T) {
	tests := []struct {
		name  string
		topic string
		match codec.Match
		want  codec.URI
	}{
		{"empty component exact", "com..x", codec.MatchExact, codec.ErrInvalidURI},
		{"trailing dot exact", "com.x.", codec.MatchExact, codec.ErrInvalidURI},
		{"hash", "com.#", codec.MatchPrefix, codec.ErrInvalidURI},
		{"empty wildcard component in prefix", "com..x", codec.MatchPrefix, codec.ErrInvalidURI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRealm(t, "realm1")
			c, _ := joinClient(t, r, codec.JSON, nil)
			req := c.nextReq()
			m := codec.Message{Type: codec.Subscribe, Request: req, URI: tt.topic}
			m.Options.Has, m.Options.Match = codec.HasMatch, tt.match
			c.send(m)
			c.expectError(codec.Subscribe, req, tt.want)
		})
	}
}

func TestUnsubscribe(t *testing.T) {
	r := newRealm(t, "realm1")
	c, _ := joinClient(t, r, codec.JSON, nil)
	other, _ := joinClient(t, r, codec.JSON, nil)
	id := c.subscribe("com.topic", codec.MatchExact)
	other.subscribe("com.topic", codec.MatchExact)

	// Another session's subscription is not ours to remove.
	req := c.nextReq()
	c.send(codec.Message{Type: codec.Unsubscribe, Request: req, ID: id + 1})
	c.expectError(codec.Unsubscribe, req, codec.ErrNoSuchSubscription)

	req = c.nextReq()
	c.send(codec.Message{Type: codec.Unsubscribe, Request: req, ID: id})
	if u := c.expect(codec.Unsubscribed); u.Request != req {
		t.Errorf("UNSUBSCRIBED request %d, want %d", u.Request, req)
	}
	req = c.nextReq()
	c.send(codec.Message{Type: codec.Unsubscribe, Request: req, ID: id})
	c.expectError(codec.Unsubscribe, req, codec.ErrNoSuchSubscription)

	// The subscription lives on for the other subscriber only.
	pubReq := c.nextReq()
	c.send(codec.Message{Type: codec.Publish, Request: pubReq, URI: "com.topic",
		Options: codec.Options{Has: codec.HasExcludeMe | codec.HasAcknowledge, Acknowledge: true}})
	c.expect(codec.Published)
	if ev := other.expect(codec.Event); ev.ID != id {
		t.Errorf("EVENT subscription %d, want %d", ev.ID, id)
	}
}

func TestPatternSubscriptions(t *testing.T) {
	r := newRealm(t, "realm1")
	pub, _ := joinClient(t, r, codec.JSON, nil)
	exact, _ := joinClient(t, r, codec.JSON, nil)
	prefix, _ := joinClient(t, r, codec.MsgPack, nil)
	wild, _ := joinClient(t, r, codec.CBOR, nil)
	exactID := exact.subscribe("com.myapp.topic.emergency", codec.MatchExact)
	prefixID := prefix.subscribe("com.myapp.topic.emergency", codec.MatchPrefix)
	wildID := wild.subscribe("com.myapp..emergency", codec.MatchWildcard)
	// An exact and a prefix subscription on one topic are distinct.
	if exactID == prefixID {
		t.Fatal("exact and prefix subscriptions share an id")
	}

	tests := []struct {
		topic string
		got   map[*client]uint64 // expected subscription id per receiver
	}{
		{"com.myapp.topic.emergency", map[*client]uint64{exact: exactID, prefix: prefixID, wild: wildID}},
		{"com.myapp.topic.emergency-low", map[*client]uint64{prefix: prefixID}},
		{"com.myapp.topic.emergency.11", map[*client]uint64{prefix: prefixID}},
		{"com.myapp.other.emergency", map[*client]uint64{wild: wildID}},
		{"com.myapp.topic.emerge", nil},
	}
	for _, tt := range tests {
		t.Run(tt.topic, func(t *testing.T) {
			pub.send(codec.Message{Type: codec.Publish, Request: pub.nextReq(), URI: tt.topic})
			for c, id := range tt.got {
				ev := c.expect(codec.Event)
				if ev.ID != id {
					t.Errorf("EVENT subscription %d, want %d", ev.ID, id)
				}
				if c == exact {
					if ev.Options.Has&codec.HasTopic != 0 {
						t.Errorf("exact EVENT carries topic %q", ev.Options.Topic)
					}
				} else if ev.Options.Topic != tt.topic {
					t.Errorf("pattern EVENT topic = %q, want %q", ev.Options.Topic, tt.topic)
				}
			}
			for _, c := range []*client{exact, prefix, wild} {
				c.barrier()
			}
		})
	}
}

// TestMixedSerializers checks the payload of a publisher reaches
// subscribers of every serializer, transcoded where they differ.
func TestMixedSerializers(t *testing.T) {
	for _, pubSer := range serializers {
		t.Run("from "+pubSer.String(), func(t *testing.T) {
			r := newRealm(t, "realm1")
			pub, _ := joinClient(t, r, pubSer, nil)
			subs := make([]*client, 0, 3)
			for _, ser := range serializers {
				c, _ := joinClient(t, r, ser, nil)
				c.subscribe("com.topic", codec.MatchExact)
				subs = append(subs, c)
			}
			args := []any{"text", 1.5, []any{true, nil}}
			kwargs := map[string]any{"nested": map[string]any{"n": 7.0}}
			a, k := payload(t, pubSer, args, kwargs)
			pub.send(codec.Message{Type: codec.Publish, Request: pub.nextReq(), URI: "com.topic", Args: a, Kwargs: k})
			for _, c := range subs {
				ev := c.expect(codec.Event)
				if ev.PayloadSer != c.p.ser {
					t.Errorf("%s subscriber got payload in %s", c.p.ser, ev.PayloadSer)
				}
				checkPayload(t, ev, args, kwargs)
			}
		})
	}
}

// TestDroppedEvents checks a peer refusing a droppable EVENT is counted.
func TestDroppedEvents(t *testing.T) {
	r := newRealm(t, "realm1")
	pub, _ := joinClient(t, r, codec.JSON, nil)
	slow, _ := joinClient(t, r, codec.JSON, nil)
	fast, _ := joinClient(t, r, codec.JSON, nil)
	slow.subscribe("com.topic", codec.MatchExact)
	fast.subscribe("com.topic", codec.MatchExact)
	slow.p.refuse.Store(true)
	pub.send(codec.Message{Type: codec.Publish, Request: pub.nextReq(), URI: "com.topic",
		Options: codec.Options{Has: codec.HasAcknowledge, Acknowledge: true}})
	pub.expect(codec.Published)
	fast.expect(codec.Event)
	if st := r.Stats(); st.Dropped != 1 || st.Delivered != 1 {
		t.Errorf("Stats = %+v, want 1 dropped, 1 delivered", st)
	}
}

// TestEncodeOncePerSerializer checks the subscribers of one subscription
// that share a serializer get the very same frame.
func TestEncodeOncePerSerializer(t *testing.T) {
	r := newRealm(t, "realm1")
	pub, _ := joinClient(t, r, codec.JSON, nil)
	var subs []*client
	for _, ser := range []codec.Serializer{codec.JSON, codec.MsgPack, codec.JSON, codec.MsgPack, codec.JSON} {
		c, _ := joinClient(t, r, ser, nil)
		c.subscribe("com.topic", codec.MatchExact)
		subs = append(subs, c)
	}
	pub.send(codec.Message{Type: codec.Publish, Request: pub.nextReq(), URI: "com.topic"})
	for _, c := range subs {
		c.expect(codec.Event)
	}
	byser := map[codec.Serializer]*codec.Frame{}
	for _, c := range subs {
		f := c.p.lastFrame()
		if prev, ok := byser[c.p.ser]; ok && prev != f {
			t.Errorf("%s subscribers got different frames: encoded more than once", c.p.ser)
		}
		byser[c.p.ser] = f
	}
	if byser[codec.JSON] == byser[codec.MsgPack] {
		t.Error("JSON and msgpack subscribers share a frame")
	}
}
