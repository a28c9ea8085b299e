package realm

import (
	"reflect"
	"strings"
	"testing"

	"github.com/wampd/wampd/codec"
)

// TestWelcomeTemplate checks that the WELCOME built from a cached template
// decodes to the same details as the map it was cut from, for authids
// whose encodings differ in length class and escaping, and that sessions
// of another auth role get their own template.
func TestWelcomeTemplate(t *testing.T) {
	authIDs := []string{
		"anon",
		"",
		`quote " backslash \ slash / newline` + "\n" + ` é ✓ 😀`,
		strings.Repeat("x", 31),  // msgpack fixstr limit
		strings.Repeat("y", 300), // 2-byte length headers
		authIDMark,               // the mark itself as a real authid
	}
	roles := []string{"anonymous", "user"}
	for _, ser := range serializers {
		t.Run(ser.String(), func(t *testing.T) {
			r := New(Options{Name: "realm1"})
			id := uint64(0)
			for _, role := range roles {
				for _, authID := range authIDs {
					id++
					p := newFakePeer(ser)
					s := &Session{ID: id, Peer: p, AuthID: authID, AuthRole: role,
						AuthMethod: "anonymous", AuthProvider: "static"}
					r.join(s)
					var w codec.Message
					if err := codec.Decode(ser, p.pop(), &w); err != nil {
						t.Fatalf("decode WELCOME: %v", err)
					}
					if w.Type != codec.Welcome || w.ID != id {
						t.Fatalf("got %s id %d, want WELCOME id %d", w.Type, w.ID, id)
					}
					want := roundTrip(t, ser, r.welcomeDetails(s))
					if !reflect.DeepEqual(w.Details, want) {
						t.Errorf("role %q authid %q: details\n%v\nwant\n%v", role, authID, w.Details, want)
					}
				}
			}
			if len(r.welcome) != len(roles) {
				t.Errorf("%d templates cached, want %d (one per role)", len(r.welcome), len(roles))
			}
			for k, tpl := range r.welcome {
				if tpl == nil {
					t.Errorf("no template for %+v: the mark was not found", k)
				}
			}
		})
	}
}

// roundTrip encodes v and decodes it again, so both sides of a comparison
// carry the serializer's own types.
func roundTrip(t *testing.T, ser codec.Serializer, v any) any {
	t.Helper()
	b, err := codec.AppendValue(ser, nil, v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := codec.DecodeValue(ser, b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWelcomeAuthExtra: a session's authextra (wamp-scram's verifier)
// reaches its WELCOME, and the next session of the same role and method,
// without one, gets the template's details with no authextra.
func TestWelcomeAuthExtra(t *testing.T) {
	for _, ser := range serializers {
		t.Run(ser.String(), func(t *testing.T) {
			r := New(Options{Name: "secure"})
			extra := map[string]any{"verifier": "c2VydmVyIHNpZ25hdHVyZQ=="}
			for i, ae := range []map[string]any{extra, nil, extra} {
				p := newFakePeer(ser)
				s := &Session{ID: uint64(i + 1), Peer: p, AuthID: "scramuser", AuthRole: "user",
					AuthMethod: "wamp-scram", AuthProvider: "static", AuthExtra: ae}
				r.join(s)
				var w codec.Message
				if err := codec.Decode(ser, p.pop(), &w); err != nil {
					t.Fatalf("decode WELCOME: %v", err)
				}
				got, has := w.Details["authextra"]
				if ae == nil {
					if has {
						t.Fatalf("session %d without authextra: WELCOME authextra %v", i+1, got)
					}
					continue
				}
				if want := roundTrip(t, ser, ae); !reflect.DeepEqual(got, want) {
					t.Fatalf("session %d: WELCOME authextra %v, want %v", i+1, got, want)
				}
			}
		})
	}
}
