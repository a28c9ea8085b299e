package codec

import (
	"slices"
	"testing"
)

// TestBlackWhiteLists decodes PUBLISH options with every list kind in all
// three serializers and reads them back with IDList and StringList.
func TestBlackWhiteLists(t *testing.T) {
	in := `[16,1,{"exclude":[1,2],"eligible":[3],"exclude_authid":["a","b"],` +
		`"exclude_authrole":["r"],"eligible_authid":[],"eligible_authrole":["x","y"],"retain":true},"t"]`
	for _, s := range testSerializers {
		t.Run(s.String(), func(t *testing.T) {
			data := reencode(t, s, in)
			var m Message
			if err := Decode(s, data, &m); err != nil {
				t.Fatal(err)
			}
			if !m.Options.Filtered() || !m.Options.Retain || m.Options.Has&HasRetain == 0 {
				t.Fatalf("options %+v", m.Options)
			}
			o := m.Options.Ext
			ids, err := IDList(s, o.Exclude, nil)
			if err != nil || !slices.Equal(ids, []uint64{1, 2}) {
				t.Fatalf("exclude %v %v", ids, err)
			}
			ids, err = IDList(s, o.Eligible, ids[:0])
			if err != nil || !slices.Equal(ids, []uint64{3}) {
				t.Fatalf("eligible %v %v", ids, err)
			}
			for _, c := range []struct {
				raw  []byte
				want []string
			}{
				{o.ExcludeAuthID, []string{"a", "b"}},
				{o.ExcludeAuthRole, []string{"r"}},
				{o.EligibleAuthID, nil},
				{o.EligibleAuthRole, []string{"x", "y"}},
			} {
				if c.raw == nil {
					t.Fatal("a present list decoded as absent")
				}
				got, err := StringList(s, c.raw, nil)
				if err != nil || !slices.Equal(got, c.want) {
					t.Fatalf("list %q: %v %v, want %v", c.raw, got, err, c.want)
				}
			}
		})
	}
}

// TestBlackWhiteListsRejected: a list of the wrong element type is a
// decode error naming the key, so the realm never sees it.
func TestBlackWhiteListsRejected(t *testing.T) {
	for _, in := range []string{
		`[16,1,{"exclude":["a"]},"t"]`,
		`[16,1,{"eligible":[-1]},"t"]`,
		`[16,1,{"exclude_authid":[1]},"t"]`,
		`[16,1,{"eligible_authrole":"x"},"t"]`,
		`[16,1,{"retain":1},"t"]`,
		`[16,1,{"ppt_scheme":1},"t"]`,
	} {
		var m Message
		if err := Decode(JSON, []byte(in), &m); err == nil {
			t.Errorf("%s decoded", in)
		}
	}
}

// TestRevocationDetails: UNSUBSCRIBED and UNREGISTERED carry their
// details only when the router revokes, and decode back.
func TestRevocationDetails(t *testing.T) {
	for _, c := range []struct {
		m    Message
		want string
	}{
		{Message{Type: Unsubscribed, Request: 4}, `[35,4]`},
		{Message{Type: Unsubscribed, Options: Options{Has: HasSubscription | HasReason,
			Subscription: 9, Reason: "wamp.error.revoked"}},
			`[35,0,{"subscription":9,"reason":"wamp.error.revoked"}]`},
		{Message{Type: Unregistered, Options: Options{Has: HasRegistration | HasReason,
			Registration: 7, Reason: "r"}}, `[67,0,{"registration":7,"reason":"r"}]`},
	} {
		out, err := Append(JSON, nil, &c.m)
		if err != nil || string(out) != c.want {
			t.Fatalf("got %s %v, want %s", out, err, c.want)
		}
		for _, s := range testSerializers {
			b, err := Append(s, nil, &c.m)
			if err != nil {
				t.Fatal(err)
			}
			var m Message
			if err := Decode(s, b, &m); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			if m.Options.Subscription != c.m.Options.Subscription ||
				m.Options.Registration != c.m.Options.Registration || m.Options.Reason != c.m.Options.Reason {
				t.Fatalf("%s round trip %+v", s, m.Options)
			}
		}
	}
}

// TestPPTForwarded: the passthru keys of a CALL reach the INVOCATION as
// they were, and its binary payload is carried without being decoded.
func TestPPTForwarded(t *testing.T) {
	in := `[48,1,{"ppt_scheme":"x_custom","ppt_serializer":"flatbuffers","ppt_cipher":"c","ppt_keyid":"k"},` +
		`"p",["\u0000AQID"]]`
	for _, s := range testSerializers {
		var m Message
		data := reencode(t, s, in)
		if err := Decode(s, data, &m); err != nil {
			t.Fatal(err)
		}
		inv := Message{Type: Invocation, Request: 2, ID: 3, Args: m.Args, PayloadSer: s}
		inv.Options.Has = m.Options.Has & HasPPT
		inv.Options.Ext = m.Options.Ext
		for _, to := range testSerializers {
			out, err := Append(to, nil, &inv)
			if err != nil {
				t.Fatal(err)
			}
			var got Message
			if err := Decode(to, out, &got); err != nil {
				t.Fatal(err)
			}
			o := got.Options.Ext
			if !got.Options.PPTOn() || o.PPTScheme != "x_custom" || o.PPTSerializer != "flatbuffers" || o.PPTCipher != "c" || o.PPTKeyID != "k" {
				t.Fatalf("%s->%s: %+v", s, to, got.Options)
			}
			v, err := DecodeValue(to, got.Args)
			if err != nil {
				t.Fatal(err)
			}
			l, _ := v.([]any)
			if b, _ := l[0].([]byte); len(l) != 1 || string(b) != "\x01\x02\x03" {
				t.Fatalf("%s->%s: payload %#v", s, to, v)
			}
		}
	}
}

// TestOptionsExtReuse: an OptionsExt given to Decode is reused, what an
// earlier message left in it never shows through, and a message without
// its keys leaves it untouched (no zeroing per message).
func TestOptionsExtReuse(t *testing.T) {
	var ext OptionsExt
	var m Message
	m.Options.Ext = &ext
	if err := Decode(JSON, []byte(`[16,1,{"exclude":[1],"ppt_scheme":"x_a"},"t"]`), &m); err != nil {
		t.Fatal(err)
	}
	if m.Options.Ext != &ext || !m.Options.Filtered() || !m.Options.PPTOn() || ext.PPTScheme != "x_a" {
		t.Fatalf("first decode: %+v %+v", m.Options, ext)
	}
	if err := Decode(JSON, []byte(`[16,2,{"eligible":[2]},"t"]`), &m); err != nil {
		t.Fatal(err)
	}
	if m.Options.PPTOn() || ext.PPTScheme != "" || ext.Exclude != nil || ext.Eligible == nil {
		t.Fatalf("second decode kept the first's keys: %+v", ext)
	}
	if err := Decode(JSON, []byte(`[16,3,{},"t"]`), &m); err != nil {
		t.Fatal(err)
	}
	if m.Options.Filtered() || m.Options.PPTOn() || m.Options.Ext != &ext {
		t.Fatalf("third decode: %+v", m.Options)
	}
	var plain Message // no Ext given: allocated only for a message that needs it
	if err := Decode(JSON, []byte(`[16,4,{},"t"]`), &plain); err != nil || plain.Options.Ext != nil {
		t.Fatalf("plain decode: %v %+v", err, plain.Options)
	}
	if err := Decode(JSON, []byte(`[16,4,{"exclude_authid":["a"]},"t"]`), &plain); err != nil || plain.Options.Ext == nil {
		t.Fatalf("plain decode with a list: %v %+v", err, plain.Options)
	}
}
