package auth

import (
	"errors"
	"strings"
	"testing"
)

// Cheap parameters for tests; the defaults cost tens of milliseconds.
var testHashParams = HashParams{KDF: KDFArgon2id, Time: 1, MemoryKiB: 64, Threads: 1}

// Vectors computed independently (libsodium's crypto_pwhash argon2id13 and
// Python's hashlib.pbkdf2_hmac) for ticket "ticket-secret-1" and salt
// "saltsaltsaltsalt".
const (
	vectorArgon2id = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$Kw3Lmpi9c3TjZEEg9KqIsSo3fVPGqQQbXSUXT5Zn+iM"
	vectorPBKDF2   = "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$S1R5o3womJn8j6UVl2C5g77cX6qM8/fqx8oGtsEceRA"
)

func TestTicketHashVectors(t *testing.T) {
	for _, s := range []string{vectorArgon2id, vectorPBKDF2} {
		h, err := parseTicketHash(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if !h.verify("ticket-secret-1") || h.verify("ticket-secret-2") || h.verify("") {
			t.Fatalf("%s: verify disagrees with the vector", s)
		}
		if h.String() != s {
			t.Fatalf("String() = %s, want %s", h.String(), s)
		}
	}
}

func TestHashTicket(t *testing.T) {
	for _, p := range []HashParams{testHashParams, {KDF: KDFPBKDF2SHA256, Iterations: 1000}} {
		s, err := HashTicket("ticket-secret-1", p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s, "$"+p.KDF+"$") || strings.Contains(s, "ticket-secret-1") {
			t.Fatalf("hash %s", s)
		}
		s2, _ := HashTicket("ticket-secret-1", p)
		if s == s2 {
			t.Fatal("two hashes of one ticket are equal: salt not random")
		}
		h, err := parseTicketHash(s)
		if err != nil || !h.verify("ticket-secret-1") || h.verify("ticket-secret-1 ") {
			t.Fatalf("%s: parse %v or verify wrong", s, err)
		}
	}
	if _, err := HashTicket("x", HashParams{KDF: "md5"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("unknown KDF: %v", err)
	}
	if _, err := HashTicket("x", HashParams{MemoryKiB: 1 << 30}); !errors.Is(err, ErrHashFormat) {
		t.Fatalf("huge memory: %v", err)
	}
}

func TestTicketHashMalformed(t *testing.T) {
	for _, s := range []string{
		"",
		"ticket-secret-1",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$Kw3Lmpi9c3TjZEEg9KqIsSo3fVPGqQQbXSUXT5Zn+iM",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$Kw3Lmpi9c3TjZEEg9KqIsSo3fVPGqQQbXSUXT5Zn+iM",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$Kw3Lmpi9c3TjZEEg9KqIsSo3fVPGqQQbXSUXT5Zn+iM",
		"$argon2id$v=19$m=4,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$Kw3Lmpi9c3TjZEEg9KqIsSo3fVPGqQQbXSUXT5Zn+iM",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$Kw3Lmpi9c3TjZEEg9KqIsSo3fVPGqQQbXSUXT5Zn+iM",
		"$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHRzYWx0c2FsdA$Kw3Lmpi9c3TjZEEg9KqIsSo3fVPGqQQbXSUXT5Zn+iM",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$Kw3Lmpi9c3TjZEEg9KqIsSo3fVPGqQQbXSUXT5Zn+iM",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$!!!",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$",
		"$pbkdf2-sha256$i=0$c2FsdHNhbHRzYWx0c2FsdA$S1R5o3womJn8j6UVl2C5g77cX6qM8/fqx8oGtsEceRA",
		"$pbkdf2-sha256$i=1000$$S1R5o3womJn8j6UVl2C5g77cX6qM8/fqx8oGtsEceRA",
		"$pbkdf2-sha256$m=1000$c2FsdHNhbHRzYWx0c2FsdA$S1R5o3womJn8j6UVl2C5g77cX6qM8/fqx8oGtsEceRA",
	} {
		if err := ValidTicketHash(s); !errors.Is(err, ErrHashFormat) {
			t.Errorf("ValidTicketHash(%q) = %v, want ErrHashFormat", s, err)
		}
	}
}

func newTestTicket(t testing.TB) *Ticket {
	t.Helper()
	h, err := HashTicket("ticket-secret-1", testHashParams)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := NewTicket(map[string]TicketPrincipal{
		"ticketuser": {AuthRole: "user", Hash: h},
		"vector":     {AuthRole: "user", Hash: vectorPBKDF2},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestTicket(t *testing.T) {
	tk := newTestTicket(t)
	tests := []struct {
		name, authid, ticket string
		ok                   bool
	}{
		{"right", "ticketuser", "ticket-secret-1", true},
		{"vector principal", "vector", "ticket-secret-1", true},
		{"wrong", "ticketuser", "ticket-secret-2", false},
		{"empty", "ticketuser", "", false},
		{"another's ticket", "vector", "wrong", false},
		{"unknown authid", "nobody", "ticket-secret-1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Hello{AuthID: tt.authid, AuthMethods: []string{"ticket"}}
			if !tk.Accepts(h) {
				t.Fatal("Accepts = false")
			}
			_, ch, st := mustStart(t, tk, h)
			if ch.Method != MethodTicket || len(ch.Extra) != 0 {
				t.Fatalf("challenge %+v", ch)
			}
			id, err := tk.Finish(bg, st, tt.ticket, nil)
			if !tt.ok {
				wantRefusal(t, err, ErrAuthenticationFailed)
				return
			}
			if err != nil || id.AuthID != tt.authid || id.AuthRole != "user" || id.AuthMethod != "ticket" || id.AuthProvider != "static" {
				t.Fatalf("Finish = %+v, %v", id, err)
			}
		})
	}
	if tk.Accepts(&Hello{}) {
		t.Fatal("ticket accepts a HELLO without authid")
	}
	if _, err := tk.Finish(bg, &craState{}, "ticket-secret-1", nil); !errors.Is(err, ErrAuthenticationFailed) {
		t.Fatalf("foreign state: %v", err)
	}
}

func TestNewTicketRejects(t *testing.T) {
	for name, p := range map[string]map[string]TicketPrincipal{
		"plain ticket":  {"u": {AuthRole: "user", Hash: "ticket-secret-1"}},
		"no role":       {"u": {Hash: vectorPBKDF2}},
		"empty authid":  {"": {AuthRole: "user", Hash: vectorPBKDF2}},
		"bad parameter": {"u": {AuthRole: "user", Hash: "$pbkdf2-sha256$i=-1$c2FsdHNhbHRzYWx0c2FsdA$S1R5o3womJn8j6UVl2C5g77cX6qM8/fqx8oGtsEceRA"}},
	} {
		if _, err := NewTicket(p); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "ticket-secret-1") {
			t.Errorf("%s: error shows the secret: %v", name, err)
		}
	}
}
