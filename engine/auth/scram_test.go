package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// TestSCRAMCoreRFC7677 is RFC 7677 section 3's SCRAM-SHA-256 example: the
// core (SaltedPassword with PBKDF2, the keys, AuthMessage, ClientProof check
// and ServerSignature) reproduces its proof and verifier.
func TestSCRAMCoreRFC7677(t *testing.T) {
	const (
		clientNonce = "rOprNGfwEbeRWgbNEkqO"
		serverNonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
		saltB64     = "W22ZaJ0SNY7soEsUEjb6gQ=="
		proofB64    = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
		verifierB64 = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
		wantAM      = "n=user,r=rOprNGfwEbeRWgbNEkqO," +
			"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
			"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	)
	salt, _ := base64.StdEncoding.DecodeString(saltB64)
	salted, err := scramSaltedPassword(KDFPBKDF2, "pencil", salt, 4096, 0)
	if err != nil {
		t.Fatal(err)
	}
	stored, server := scramKeys(salted)
	am := scramAuthMessage("user", clientNonce, serverNonce, saltB64, 4096, "", nil, serverNonce)
	if string(am) != wantAM {
		t.Fatalf("AuthMessage\n got %s\nwant %s", am, wantAM)
	}
	proof, _ := base64.StdEncoding.DecodeString(proofB64)
	if !scramVerifyProof(stored, am, proof) {
		t.Fatal("RFC 7677 ClientProof refused")
	}
	proof[0] ^= 1
	if scramVerifyProof(stored, am, proof) {
		t.Fatal("altered ClientProof accepted")
	}
	if got := base64.StdEncoding.EncodeToString(scramHMAC(server, am)); got != verifierB64 {
		t.Fatalf("ServerSignature %s, want %s", got, verifierB64)
	}
	if got := scramEscape("a=b,c"); got != "a=3Db=2Cc" {
		t.Fatalf("Escape = %s", got)
	}
}

// Argon2id vectors computed with libsodium (PyNaCl crypto_pwhash_alg,
// ARGON2ID13, opslimit 2, memlimit 1 MiB: t=2, m=1024 KiB, p=1) for the
// fixture's scramuser / scram-secret-1 and salt "0123456789abcdef", and an
// exchange with nonces from the spec's example.
const (
	scramVecSalt      = "MDEyMzQ1Njc4OWFiY2RlZg=="
	scramVecStored    = "hXtjrQuYTXBQ60X9FV0yZbiMH1JrDSC8+qeGTkvN0lQ="
	scramVecServer    = "1teF6sv259Ra0k8npZ0xNw5gRs0BwNF74ZbbZttnKLE="
	scramVecCNonce    = "egVDf3DMJh0="
	scramVecSNonce    = "egVDf3DMJh0=SBmkFIh7sSo="
	scramVecProof     = "2OHKRsX3UeivlrJHW4A0Ov80AF4d72hu+sL7JINPJgw="
	scramVecVerifier  = "XntzQEE6dZfyr/+p2JvUjykx/haoep2CFFyE54Zqo8M="
	scramVecPBStored  = "qWmhoJm+sfrx0qNqTcFD7/10mUdtEf7KhRvTgfecoaQ=" // pbkdf2, i=4096
	scramVecPBServer  = "+73IIQxxTtlQZVe8qknL10ZhZbbKcV1JVt9ZQT2lXCw="
	scramTestPassword = "scram-secret-1"
)

func TestSCRAMArgon2Vector(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString(scramVecSalt)
	for _, v := range []struct {
		kdf                string
		iterations, memory int
		stored, server     string
	}{
		{KDFArgon2id13, 2, 1024, scramVecStored, scramVecServer},
		{KDFPBKDF2, 4096, 0, scramVecPBStored, scramVecPBServer},
	} {
		sp, err := scramSaltedPassword(v.kdf, scramTestPassword, salt, v.iterations, v.memory)
		if err != nil {
			t.Fatal(err)
		}
		stored, server := scramKeys(sp)
		if b64(stored) != v.stored || b64(server) != v.server {
			t.Fatalf("%s: StoredKey %s ServerKey %s, want %s %s", v.kdf, b64(stored), b64(server), v.stored, v.server)
		}
	}
	st := &scramState{authid: "scramuser", clientNonce: scramVecCNonce, serverNonce: scramVecSNonce, salt: scramVecSalt, iterations: 2}
	st.storedKey, _ = base64.StdEncoding.DecodeString(scramVecStored)
	st.serverKey, _ = base64.StdEncoding.DecodeString(scramVecServer)
	st.known, st.role = true, "user"
	id, err := (&SCRAM{}).Finish(bg, st, scramVecProof, map[string]any{"nonce": scramVecSNonce, "channel_binding": nil, "cbind_data": nil})
	if err != nil || id.AuthExtra["verifier"] != scramVecVerifier {
		t.Fatalf("Finish = %+v, %v; want verifier %s", id, err, scramVecVerifier)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// scramClient is the client side of WAMP-SCRAM as the spec describes it:
// the AUTHENTICATE signature and extra for ch, and the verifier to expect.
func scramClient(t testing.TB, authid, password, clientNonce string, ch *Challenge, cbName string, cbData []byte) (string, map[string]any, string) {
	t.Helper()
	if cbName == "" {
		cbData = nil
	}
	x := ch.Extra
	snonce := x["nonce"].(string)
	if !strings.HasPrefix(snonce, clientNonce) {
		t.Fatalf("server nonce %q does not extend the client's %q", snonce, clientNonce)
	}
	salt, err := base64.StdEncoding.DecodeString(x["salt"].(string))
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := x["memory"].(int)
	sp, err := scramSaltedPassword(x["kdf"].(string), password, salt, x["iterations"].(int), mem)
	if err != nil {
		t.Fatal(err)
	}
	ck := scramHMAC(sp, []byte("Client Key"))
	stored := sha256.Sum256(ck)
	_, server := scramKeys(sp)
	am := scramAuthMessage(authid, clientNonce, snonce, x["salt"].(string), x["iterations"].(int), cbName, cbData, snonce)
	proof := scramHMAC(stored[:], am)
	subtle.XORBytes(proof, proof, ck)
	extra := map[string]any{"nonce": snonce, "channel_binding": nil, "cbind_data": nil}
	if cbName != "" {
		extra["channel_binding"], extra["cbind_data"] = cbName, b64(cbData)
	}
	return b64(proof), extra, b64(scramHMAC(server, am))
}

// Cheap SCRAM parameters for tests.
var testScramParams = ScramParams{KDF: KDFArgon2id13, Iterations: 1, MemoryKiB: 64}

func newTestSCRAM(t testing.TB) *SCRAM {
	t.Helper()
	a, err := NewScramCredential(scramTestPassword, testScramParams)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewScramCredential("pb-secret", ScramParams{KDF: KDFPBKDF2, Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSCRAM(map[string]ScramPrincipal{
		"scramuser": {AuthRole: "user", Credential: a},
		"pbuser":    {AuthRole: "user", Credential: p},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSCRAM(t *testing.T) {
	s := newTestSCRAM(t)
	unique := []byte("twelve bytes")
	tests := []struct {
		name, authid, password string
		cb                     string
		tamper                 func(sig string, extra map[string]any) string
		ok                     bool
	}{
		{name: "argon2id", authid: "scramuser", password: scramTestPassword, ok: true},
		{name: "pbkdf2", authid: "pbuser", password: "pb-secret", ok: true},
		{name: "tls-unique binding", authid: "scramuser", password: scramTestPassword, cb: "tls-unique", ok: true},
		{name: "wrong password", authid: "scramuser", password: "scram-secret-2"},
		{name: "unknown authid", authid: "nobody", password: scramTestPassword},
		{name: "nonce replaced", authid: "scramuser", password: scramTestPassword,
			tamper: func(sig string, x map[string]any) string { x["nonce"] = scramVecSNonce; return sig }},
		{name: "binding dropped", authid: "scramuser", password: scramTestPassword, cb: "tls-unique",
			tamper: func(sig string, x map[string]any) string {
				x["channel_binding"], x["cbind_data"] = nil, nil
				return sig
			}},
		{name: "binding data of another channel", authid: "scramuser", password: scramTestPassword, cb: "tls-unique",
			tamper: func(sig string, x map[string]any) string { x["cbind_data"] = b64([]byte("other channel")); return sig }},
		{name: "binding added", authid: "scramuser", password: scramTestPassword,
			tamper: func(sig string, x map[string]any) string { x["channel_binding"] = "tls-unique"; return sig }},
		{name: "proof not base64", authid: "scramuser", password: scramTestPassword,
			tamper: func(string, map[string]any) string { return "%%%" }},
		{name: "proof too short", authid: "scramuser", password: scramTestPassword,
			tamper: func(string, map[string]any) string { return b64([]byte("short")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]any{"nonce": scramVecCNonce}
			if tt.cb != "" {
				extra["channel_binding"] = tt.cb
			}
			h := &Hello{AuthID: tt.authid, AuthExtra: extra, TLSUnique: unique}
			if !s.Accepts(h) {
				t.Fatal("Accepts = false")
			}
			_, ch, st := mustStart(t, s, h)
			if ch.Method != MethodSCRAM {
				t.Fatalf("method %q", ch.Method)
			}
			sig, aextra, verifier := scramClient(t, tt.authid, tt.password, scramVecCNonce, ch, tt.cb, unique)
			if tt.tamper != nil {
				sig = tt.tamper(sig, aextra)
			}
			id, err := s.Finish(bg, st, sig, aextra)
			if !tt.ok {
				wantRefusal(t, err, ErrAuthenticationFailed)
				return
			}
			if err != nil || id.AuthID != tt.authid || id.AuthRole != "user" || id.AuthMethod != "wamp-scram" || id.AuthExtra["verifier"] != verifier {
				t.Fatalf("Finish = %+v, %v (verifier want %s)", id, err, verifier)
			}
		})
	}
}

func TestSCRAMStart(t *testing.T) {
	s := newTestSCRAM(t)
	_, ch, _ := mustStart(t, s, &Hello{AuthID: "scramuser", AuthExtra: map[string]any{"nonce": scramVecCNonce}})
	x := ch.Extra
	if x["kdf"] != KDFArgon2id13 || x["iterations"] != 1 || x["memory"] != 64 || !strings.HasPrefix(x["nonce"].(string), scramVecCNonce) {
		t.Fatalf("argon2id challenge %v", x)
	}
	_, ch, _ = mustStart(t, s, &Hello{AuthID: "pbuser", AuthExtra: map[string]any{"nonce": scramVecCNonce}})
	if v, present := ch.Extra["memory"]; ch.Extra["kdf"] != KDFPBKDF2 || !present || v != nil {
		t.Fatalf("pbkdf2 challenge %v", ch.Extra)
	}
	// The mock salt of an unknown authid is stable per authid.
	_, m1, _ := mustStart(t, s, &Hello{AuthID: "nobody", AuthExtra: map[string]any{"nonce": scramVecCNonce}})
	_, m2, _ := mustStart(t, s, &Hello{AuthID: "nobody", AuthExtra: map[string]any{"nonce": scramVecCNonce}})
	if m1.Extra["salt"] != m2.Extra["salt"] || m1.Extra["nonce"] == m2.Extra["nonce"] {
		t.Fatalf("mock challenges %v %v", m1.Extra, m2.Extra)
	}
	for name, extra := range map[string]map[string]any{
		"nonce not base64":     {"nonce": "not base64!"},
		"nonce too short":      {"nonce": "AAAA"},
		"binding unavailable":  {"nonce": scramVecCNonce, "channel_binding": "tls-unique"},
		"binding unknown":      {"nonce": scramVecCNonce, "channel_binding": "tls-server-end-point"},
		"binding not a string": {"nonce": scramVecCNonce, "channel_binding": 5},
		"exporter unavailable": {"nonce": scramVecCNonce, "channel_binding": "tls-exporter"},
	} {
		if _, _, _, err := s.Start(bg, &Hello{AuthID: "scramuser", AuthExtra: extra}); !errors.Is(err, ErrAuthenticationFailed) {
			t.Errorf("%s: Start = %v", name, err)
		}
	}
	if s.Accepts(&Hello{AuthID: "scramuser"}) || s.Accepts(&Hello{AuthExtra: map[string]any{"nonce": scramVecCNonce}}) {
		t.Fatal("Accepts a HELLO without nonce or authid")
	}
}

func TestScramCredentialString(t *testing.T) {
	c, err := NewScramCredential(scramTestPassword, testScramParams)
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	if !strings.HasPrefix(s, "$wamp-scram$kdf=argon2id13,i=1,m=64$") || strings.Contains(s, scramTestPassword) {
		t.Fatalf("String() = %s", s)
	}
	back, err := ParseScramCredential(s)
	if err != nil || back.String() != s {
		t.Fatalf("ParseScramCredential(%s) = %v, %v", s, back, err)
	}
	vec := "$wamp-scram$kdf=pbkdf2,i=4096$" + scramVecSalt + "$" + scramVecPBStored + "$" + scramVecPBServer
	if c, err := ParseScramCredential(vec); err != nil || c.Iterations != 4096 || c.KDF != KDFPBKDF2 {
		t.Fatalf("ParseScramCredential(%s) = %+v, %v", vec, c, err)
	}
	for _, bad := range []string{
		"", "scram-secret-1",
		"$wamp-scram$kdf=argon2id13,i=1$" + scramVecSalt + "$" + scramVecStored + "$" + scramVecServer,       // no memory
		"$wamp-scram$kdf=pbkdf2,i=4096,m=5$" + scramVecSalt + "$" + scramVecStored + "$" + scramVecServer,    // memory on pbkdf2
		"$wamp-scram$kdf=sha1,i=4096$" + scramVecSalt + "$" + scramVecStored + "$" + scramVecServer,          // unknown kdf
		"$wamp-scram$kdf=pbkdf2,i=4096$AAAA$" + scramVecStored + "$" + scramVecServer,                        // short salt
		"$wamp-scram$kdf=pbkdf2,i=4096$" + scramVecSalt + "$" + scramVecStored + "$AAAA",                     // short key
		"$wamp-scram$kdf=pbkdf2,i=4096,x=1$" + scramVecSalt + "$" + scramVecStored + "$" + scramVecServer,    // unknown param
		"$wamp-scram$kdf=pbkdf2,i=4096$" + scramVecSalt + "$" + scramVecStored + "$" + scramVecServer + "$x", // extra field
	} {
		if _, err := ParseScramCredential(bad); !errors.Is(err, ErrHashFormat) {
			t.Errorf("ParseScramCredential(%q) = %v", bad, err)
		}
	}
	if _, err := NewScramCredential("bad\u0007password", testScramParams); !errors.Is(err, ErrConfig) {
		t.Fatalf("SASLprep should refuse a control character: %v", err)
	}
	// SASLprep maps a non-ASCII space to a space: both spellings give one
	// credential.
	c1, _ := NewScramCredential("a\u00a0b", testScramParams)
	sp, _ := scramSaltedPassword(c1.KDF, "a b", c1.Salt, c1.Iterations, c1.MemoryKiB)
	if st, _ := scramKeys(sp); b64(st) != b64(c1.StoredKey) {
		t.Fatal("password not SASLprep-normalized")
	}
}
