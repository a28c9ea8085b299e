package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"
)

// Vectors computed with Autobahn|Python 22.7 (autobahn.wamp.auth.derive_key
// and compute_wcs) and, independently, Python's hashlib/hmac, over the
// acceptance fixture's principals and a fixed challenge text.
const (
	craVectorChallengePlain  = `{"authid":"crauser","authrole":"user","authmethod":"wampcra","authprovider":"static","nonce":"LHRTC9zeOIrt_9U3","timestamp":"2014-06-22T16:36:25.448Z","session":3251278072152162}`
	craVectorChallengeSalted = `{"authid":"crasalted","authrole":"user","authmethod":"wampcra","authprovider":"static","nonce":"LHRTC9zeOIrt_9U3","timestamp":"2014-06-22T16:36:25.448Z","session":3251278072152162}`
	craVectorSigPlain        = "eAA6dA1wlrL0wEJjd/PiRlGuS/4D3hr8WdunXKVH9js="
	craVectorDerivedKey      = "CFIXWvnUNKuUjESCsDLhDqT+i3bFpApqfnBk/p1dqec=" // derive_key("cra-secret-2", "salt123", 1000, 32)
	craVectorSigSalted       = "85G20xOIi/fxb3WkIJvyHqLJP9fXRUHUNSEpmxqvy78="
)

func newTestCRA(t testing.TB) *WAMPCRA {
	t.Helper()
	w, err := NewWAMPCRA(map[string]CRAPrincipal{
		"crauser":    {AuthRole: "user", Secret: "cra-secret-1"},
		"crasalted":  {AuthRole: "user", Secret: "cra-secret-2", Salt: "salt123", Iterations: 1000, KeyLen: 32},
		"craderived": {AuthRole: "admin", Key: craVectorDerivedKey, Salt: "salt123", Iterations: 1000, KeyLen: 32},
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestDeriveCRAKeyVector(t *testing.T) {
	k, err := DeriveCRAKey("cra-secret-2", "salt123", 1000, 32)
	if err != nil || k != craVectorDerivedKey {
		t.Fatalf("DeriveCRAKey = %q, %v; want %q", k, err, craVectorDerivedKey)
	}
}

// TestWAMPCRAVectors checks the stored keys against Autobahn's signatures of
// a fixed challenge: the salted key is the base64 text of the PBKDF2 output.
func TestWAMPCRAVectors(t *testing.T) {
	w := newTestCRA(t)
	for _, v := range []struct{ authid, text, sig string }{
		{"crauser", craVectorChallengePlain, craVectorSigPlain},
		{"crasalted", craVectorChallengeSalted, craVectorSigSalted},
		{"craderived", craVectorChallengeSalted, craVectorSigSalted},
	} {
		m := hmac.New(sha256.New, w.principals[v.authid].key)
		m.Write([]byte(v.text))
		st := &craState{expected: m.Sum(nil), id: Identity{AuthID: v.authid}, known: true}
		if id, err := w.Finish(bg, st, v.sig, nil); err != nil || id.AuthID != v.authid {
			t.Errorf("%s: Autobahn's signature refused: %v", v.authid, err)
		}
	}
}

// craSign is the client side: Autobahn's AuthWampCra.on_challenge.
func craSign(t testing.TB, secret string, ch *Challenge) string {
	t.Helper()
	key := []byte(secret)
	if salt, ok := ch.Extra["salt"].(string); ok {
		k, err := DeriveCRAKey(secret, salt, ch.Extra["iterations"].(int), ch.Extra["keylen"].(int))
		if err != nil {
			t.Fatal(err)
		}
		key = []byte(k)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ch.Extra["challenge"].(string)))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestWAMPCRA(t *testing.T) {
	w := newTestCRA(t)
	w.now = func() time.Time { return time.Date(2014, 6, 22, 16, 36, 25, 448e6, time.UTC) }
	tests := []struct {
		name, authid, secret string
		role                 string
		salted, ok           bool
	}{
		{"plain", "crauser", "cra-secret-1", "user", false, true},
		{"plain wrong", "crauser", "cra-secret-2", "user", false, false},
		{"salted", "crasalted", "cra-secret-2", "user", true, true},
		{"salted wrong", "crasalted", "cra-secret-1", "user", true, false},
		{"stored derived key", "craderived", "cra-secret-2", "admin", true, true},
		{"unknown authid", "nobody", "cra-secret-1", "user", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Hello{AuthID: tt.authid, Session: 3251278072152162}
			_, ch, st := mustStart(t, w, h)
			if ch.Method != MethodWAMPCRA {
				t.Fatalf("method %q", ch.Method)
			}
			var c craChallengeText
			if err := json.Unmarshal([]byte(ch.Extra["challenge"].(string)), &c); err != nil {
				t.Fatal(err)
			}
			if c.AuthID != tt.authid || c.AuthRole != tt.role || c.AuthMethod != "wampcra" || c.AuthProvider != "static" ||
				c.Session != h.Session || c.Timestamp != "2014-06-22T16:36:25.448Z" || len(c.Nonce) < 16 {
				t.Fatalf("challenge %+v", c)
			}
			if _, salted := ch.Extra["salt"]; salted != tt.salted {
				t.Fatalf("salted challenge = %v, want %v: %v", salted, tt.salted, ch.Extra)
			}
			if tt.salted && (ch.Extra["iterations"] != 1000 || ch.Extra["keylen"] != 32) {
				t.Fatalf("salted challenge extra %v", ch.Extra)
			}
			id, err := w.Finish(bg, st, craSign(t, tt.secret, ch), nil)
			if !tt.ok {
				wantRefusal(t, err, ErrAuthenticationFailed)
				return
			}
			if err != nil || id.AuthID != tt.authid || id.AuthRole != tt.role || id.AuthMethod != "wampcra" {
				t.Fatalf("Finish = %+v, %v", id, err)
			}
		})
	}
	// An unknown authid's mock salt is stable, so two HELLOs do not tell it
	// from a real principal.
	_, c1, _ := mustStart(t, w, &Hello{AuthID: "nobody"})
	_, c2, _ := mustStart(t, w, &Hello{AuthID: "nobody"})
	_, c3, _ := mustStart(t, w, &Hello{AuthID: "nobody2"})
	if c1.Extra["salt"] != c2.Extra["salt"] || c1.Extra["salt"] == c3.Extra["salt"] {
		t.Fatalf("mock salts %v %v %v", c1.Extra["salt"], c2.Extra["salt"], c3.Extra["salt"])
	}
	// Malformed signatures.
	_, _, st := mustStart(t, w, &Hello{AuthID: "crauser"})
	for _, sig := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := w.Finish(bg, st, sig, nil); err == nil {
			t.Fatalf("signature %q accepted", sig)
		}
	}
}

func TestNewWAMPCRARejects(t *testing.T) {
	for name, p := range map[string]CRAPrincipal{
		"no secret":          {AuthRole: "user"},
		"no role":            {Secret: "s"},
		"key without salt":   {AuthRole: "user", Key: craVectorDerivedKey},
		"salted, both":       {AuthRole: "user", Secret: "s", Key: craVectorDerivedKey, Salt: "x"},
		"salted, iterations": {AuthRole: "user", Secret: "s", Salt: "x", Iterations: -1},
	} {
		if _, err := NewWAMPCRA(map[string]CRAPrincipal{"u": p}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
