package auth

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// csFuzzState is a cryptosign state for the fixture key and the spec's
// example challenge, and the one signature that answers it.
func csFuzzState(t testing.TB) (*csState, string) {
	priv := keyFromSeed(t, csTestSeed)
	st := &csState{pub: priv.Public().(ed25519.PublicKey), id: Identity{AuthID: "csuser"}, known: true}
	ch, _ := hex.DecodeString("fa034062ad76352b53a25358854577730db82f367aa439709c91296d04a5716c")
	copy(st.expected[:], ch)
	return st, hex.EncodeToString(append(ed25519.Sign(priv, ch), ch...))
}

// FuzzCryptosignSignature: any AUTHENTICATE signature is refused without a
// panic, unless it decodes to the one valid signature.
func FuzzCryptosignSignature(f *testing.F) {
	st, good := csFuzzState(f)
	f.Add(good)
	f.Add(good[:128])
	f.Add(good + "00")
	f.Add("")
	f.Add("zz")
	for i := 1; i < len(good); i += 37 {
		f.Add(good[:i])
	}
	goodRaw, _ := hex.DecodeString(good)
	f.Fuzz(func(t *testing.T, sig string) {
		_, err := csFinish(st, sig)
		if err == nil {
			raw, _ := hex.DecodeString(sig)
			if !bytes.Equal(raw, goodRaw) {
				t.Fatalf("accepted a signature that is not the valid one: %q", sig)
			}
		}
	})
}

// FuzzScramClientFinal: any AUTHENTICATE (proof and JSON extra) is refused
// without a panic, unless it is the vector's.
func FuzzScramClientFinal(f *testing.F) {
	state := func() *scramState {
		st := &scramState{authid: "scramuser", role: "user", clientNonce: scramVecCNonce, serverNonce: scramVecSNonce, salt: scramVecSalt, iterations: 2, known: true}
		st.storedKey, _ = base64.StdEncoding.DecodeString(scramVecStored)
		st.serverKey, _ = base64.StdEncoding.DecodeString(scramVecServer)
		return st
	}
	good := `{"nonce":"` + scramVecSNonce + `","channel_binding":null,"cbind_data":null}`
	f.Add(scramVecProof, []byte(good))
	f.Add(scramVecProof, []byte(`{"nonce":"`+scramVecSNonce+`"}`))
	f.Add(scramVecProof, []byte(`{"nonce":"`+scramVecSNonce+`","channel_binding":"tls-unique","cbind_data":"AAAA"}`))
	f.Add(scramVecProof, []byte(`{"nonce":5}`))
	f.Add("", []byte(`{}`))
	f.Add("%%%", []byte(`null`))
	for i := 1; i < len(good); i += 11 {
		f.Add(scramVecProof, []byte(good[:i]))
	}
	s := &SCRAM{}
	f.Fuzz(func(t *testing.T, sig string, extraJSON []byte) {
		var extra map[string]any
		if json.Unmarshal(extraJSON, &extra) != nil {
			extra = nil
		}
		id, err := s.Finish(bg, state(), sig, extra)
		if err == nil {
			if sig != scramVecProof || extra["nonce"] != scramVecSNonce || extra["channel_binding"] != nil || extra["cbind_data"] != nil {
				t.Fatalf("accepted proof %q with extra %v", sig, extra)
			}
			if id.AuthExtra["verifier"] != scramVecVerifier {
				t.Fatalf("verifier %v", id.AuthExtra)
			}
		}
	})
}

// FuzzAuthExtra: HELLO authextra of any shape (decoded from JSON) is read
// by every method's Accepts and Start without a panic.
func FuzzAuthExtra(f *testing.F) {
	for _, s := range []string{
		`{"pubkey":"` + csTestPubKey + `"}`,
		`{"pubkey":"` + csTestPubKey + `","channel_binding":"tls-unique","challenge":"bbae60ea44cdd7b20dc7010a618b0f0803fab25a817520b4b7f057299b524deb"}`,
		`{"pubkey":"` + csTestPubKey + `","channel_binding":null,"challenge":5}`,
		`{"nonce":"` + scramVecCNonce + `","channel_binding":"tls-exporter"}`,
		`{"nonce":["x"],"pubkey":{"a":1}}`,
		`{"nonce":"AAAA"}`,
		`{}`,
		`null`,
	} {
		f.Add([]byte(s), "csuser")
		f.Add([]byte(s), "")
	}
	_, router, _ := ed25519.GenerateKey(nil)
	cs, _, _ := newTestCryptosign(f, router)
	scram := newTestSCRAM(f)
	cra := newTestCRA(f)
	methods := []Authenticator{cs, scram, cra, NewAnonymous("")}
	f.Fuzz(func(t *testing.T, extraJSON []byte, authid string) {
		var extra map[string]any
		if json.Unmarshal(extraJSON, &extra) != nil {
			extra = nil
		}
		h := &Hello{AuthID: authid, AuthExtra: extra, TLSUnique: []byte("finished")}
		for _, a := range methods {
			if !a.Accepts(h) {
				continue
			}
			id, ch, st, err := a.Start(bg, h)
			if err == nil && (id == nil) == (ch == nil) || ch != nil && st == nil {
				t.Fatalf("%s: Start gave id %v, challenge %v, state %v", a.Method(), id, ch, st)
			}
		}
	})
}

// FuzzTicketHash: the PHC parser bounds what it accepts and what it accepts
// prints back to a string it accepts again.
func FuzzTicketHash(f *testing.F) {
	f.Add(vectorArgon2id)
	f.Add(vectorPBKDF2)
	f.Add("$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$Kw3Lmpi9c3TjZEEg9KqIsSo3fVPGqQQbXSUXT5Zn+iM")
	f.Add("$pbkdf2-sha256$i=1$c2FsdA==$S1R5o3womJn8j6UVl2C5g77cX6qM8/fqx8oGtsEceRA=")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseTicketHash(s)
		if err != nil {
			return
		}
		if h.memory > maxMemoryKiB || h.time > maxTime || h.iterations > maxIterations || len(h.salt) < minSaltLen {
			t.Fatalf("out of bounds parameters accepted: %q", s)
		}
		again, err := parseTicketHash(h.String())
		if err != nil || again.String() != h.String() {
			t.Fatalf("%q prints as %q, which parses as %v", s, h.String(), err)
		}
	})
}

// FuzzScramCredential: the credential parser round-trips what it accepts.
func FuzzScramCredential(f *testing.F) {
	f.Add("$wamp-scram$kdf=pbkdf2,i=4096$" + scramVecSalt + "$" + scramVecPBStored + "$" + scramVecPBServer)
	f.Add("$wamp-scram$kdf=argon2id13,i=2,m=1024$" + scramVecSalt + "$" + scramVecStored + "$" + scramVecServer)
	f.Add("$wamp-scram$kdf=argon2id13,i=2$$$")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseScramCredential(s)
		if err != nil {
			return
		}
		again, err := ParseScramCredential(c.String())
		if err != nil || again.String() != c.String() {
			t.Fatalf("%q prints as %q, which parses as %v", s, c.String(), err)
		}
	})
}
