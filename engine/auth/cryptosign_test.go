package auth

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"testing"
)

// The acceptance fixture's cryptosign principal.
const (
	csTestSeed   = "a4b0bc56bbf9e0fe6c54d1f116ed1d42ac60738dcbe2978ded8e18a42ec4212c"
	csTestPubKey = "0d6c1dbe40430a64072fb559bd4f892eb239f82e5b583d24b27785fd993053a4"
)

func keyFromSeed(t testing.TB, seedHex string) ed25519.PrivateKey {
	t.Helper()
	seed, err := hex.DecodeString(seedHex)
	if err != nil {
		t.Fatal(err)
	}
	return ed25519.NewKeyFromSeed(seed)
}

func TestCryptosignFixtureKey(t *testing.T) {
	pub := keyFromSeed(t, csTestSeed).Public().(ed25519.PublicKey)
	if hex.EncodeToString(pub) != csTestPubKey {
		t.Fatalf("seed gives public key %x, the fixture says %s", pub, csTestPubKey)
	}
	// PyNaCl's SigningKey(seed).sign(challenge) for the spec's example
	// challenge: Ed25519 is deterministic, so ours must be byte-identical.
	const challenge = "fa034062ad76352b53a25358854577730db82f367aa439709c91296d04a5716c"
	const want = "97b02254ed535d876aaa1537d8dba351b77fd52244d9c2d2ec3033d13acc4aa0c28ec876c1e1f7d80b589ae1a039a407641e111a4f314d690f4f45b87c92c206" + challenge
	msg, _ := hex.DecodeString(challenge)
	if got := hex.EncodeToString(append(ed25519.Sign(keyFromSeed(t, csTestSeed), msg), msg...)); got != want {
		t.Fatalf("signature %s, PyNaCl's %s", got, want)
	}
}

// TestCryptosignSpecVectors verifies the spec's six test vectors (three
// without and three with a tls-unique channel id) with csFinish.
func TestCryptosignSpecVectors(t *testing.T) {
	const cid = "62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff"
	vectors := []struct{ channelID, key, challenge, signature string }{
		{"", "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464e6e75013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
		{"", "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd", "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d", "d4209ad10d5aff6bfbc009d7e924795de138a63515efc7afc6b01b7fe5201372190374886a70207b042294af5bd64ce725cd8dceb344e6d11c09d1aaaf4d660fb26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d"},
		{"", "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b", "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2", "7beb282184baadd08f166f16dd683b39cab53816ed81e6955def951cb2ddad1ec184e206746fd82bda075af03711d3d5658fc84a76196b0fa8d1ebc92ef9f30bb05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2"},
		{cid, "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "9b6f41540c9b95b4b7b281c3042fa9c54cef43c842d62ea3fd6030fcb66e70b3e80d49d44c29d1635da9348d02ec93f3ed1ef227dfb59a07b580095c2b82f80f9d16ca518aa0c2b707f2b2a609edeca73bca8dd59817a633f35574ac6fd80d00"},
		{cid, "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd", "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d", "305aaa3ac25e98f651427688b3fc43fe7d8a68a7ec1d7d61c61517c519bd4a427c3015599d83ca28b4c652333920223844ef0725eb5dc2febfd6af7677b73f01d0852a29b460fc92ec943242ac638a053bbacc200512b18b30d15083cbdc9282"},
		{cid, "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b", "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2", "ee3c7644fd8070532bc1fde3d70d742267da545d8c8f03e63bda63f1ad4214f4d2c4bfdb4eb9526def42deeb7e31602a6ff99eba893e0a4ad4d45892ca75e608d2b75e24a189a7f78ca776ba36fc53f6c3e31c32f251f2c524f0a44202f2902d"},
	}
	for i, v := range vectors {
		priv := keyFromSeed(t, v.key)
		st := &csState{pub: priv.Public().(ed25519.PublicKey), id: Identity{AuthID: "v"}, known: true}
		ch, _ := hex.DecodeString(v.challenge)
		copy(st.expected[:], ch)
		if v.channelID != "" {
			c, _ := hex.DecodeString(v.channelID)
			subtle.XORBytes(st.expected[:], st.expected[:], c)
		}
		if _, err := csFinish(st, v.signature); err != nil {
			t.Errorf("vector %d refused: %v", i, err)
		}
		msg := st.expected
		if got := hex.EncodeToString(append(ed25519.Sign(priv, msg[:]), msg[:]...)); got != v.signature {
			t.Errorf("vector %d: we sign %s", i, got)
		}
	}
}

// csSign is the client side: Autobahn's sign_challenge.
func csSign(t testing.TB, priv ed25519.PrivateKey, ch *Challenge, cid []byte) string {
	t.Helper()
	msg, err := hex.DecodeString(ch.Extra["challenge"].(string))
	if err != nil || len(msg) != 32 {
		t.Fatalf("challenge %v", ch.Extra)
	}
	if cid != nil {
		subtle.XORBytes(msg, msg, cid)
	}
	return hex.EncodeToString(append(ed25519.Sign(priv, msg), msg...))
}

func newTestCryptosign(t testing.TB, routerKey ed25519.PrivateKey) (*Cryptosign, ed25519.PrivateKey, ed25519.PrivateKey) {
	t.Helper()
	_, other, _ := ed25519.GenerateKey(nil)
	_, shared, _ := ed25519.GenerateKey(nil)
	pub := func(k ed25519.PrivateKey) string { return hex.EncodeToString(k.Public().(ed25519.PublicKey)) }
	c, err := NewCryptosign(map[string]CryptosignPrincipal{
		"csuser": {AuthRole: "user", PubKeys: []string{csTestPubKey, pub(shared)}},
		"other":  {AuthRole: "device", PubKeys: []string{pub(other), pub(shared)}},
	}, routerKey)
	if err != nil {
		t.Fatal(err)
	}
	return c, other, shared
}

func TestCryptosign(t *testing.T) {
	c, other, shared := newTestCryptosign(t, nil)
	user := keyFromSeed(t, csTestSeed)
	_, stranger, _ := ed25519.GenerateKey(nil)
	pub := func(k ed25519.PrivateKey) string { return hex.EncodeToString(k.Public().(ed25519.PublicKey)) }
	unique := []byte("tls finished")
	uniqueID := sha256.Sum256(unique)
	exporter := make([]byte, 32)
	exporter[0] = 7
	tests := []struct {
		name, authid string
		announce     ed25519.PrivateKey // pubkey in HELLO
		sign         ed25519.PrivateKey // key that signs
		binding      string
		cid          []byte // what the client XORs in
		wantID, role string
		ok           bool
	}{
		{name: "authid and key", authid: "csuser", announce: user, sign: user, wantID: "csuser", role: "user", ok: true},
		{name: "key alone finds the authid", announce: user, sign: user, wantID: "csuser", role: "user", ok: true},
		{name: "tls-unique", authid: "csuser", announce: user, sign: user, binding: "tls-unique", cid: uniqueID[:], wantID: "csuser", role: "user", ok: true},
		{name: "tls-exporter", announce: other, sign: other, binding: "tls-exporter", cid: exporter, wantID: "other", role: "device", ok: true},
		{name: "shared key with authid", authid: "other", announce: shared, sign: shared, wantID: "other", role: "device", ok: true},
		{name: "shared key without authid", announce: shared, sign: shared},
		{name: "signed with another key", authid: "csuser", announce: user, sign: stranger},
		{name: "key of another principal", authid: "csuser", announce: other, sign: other},
		{name: "unknown key", announce: stranger, sign: stranger},
		{name: "unknown authid", authid: "nobody", announce: user, sign: user},
		{name: "binding ignored by the client", authid: "csuser", announce: user, sign: user, binding: "tls-unique"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]any{"pubkey": pub(tt.announce)}
			if tt.binding != "" {
				extra["channel_binding"] = tt.binding
			}
			h := &Hello{AuthID: tt.authid, AuthExtra: extra, TLSUnique: unique, TLSExporter: exporter}
			if !c.Accepts(h) {
				t.Fatal("Accepts = false")
			}
			_, ch, st := mustStart(t, c, h)
			if want := any(nil); tt.binding != "" {
				want = tt.binding
				if ch.Extra["channel_binding"] != want {
					t.Fatalf("challenge %v", ch.Extra)
				}
			} else if v, present := ch.Extra["channel_binding"]; !present || v != nil {
				t.Fatalf("challenge %v", ch.Extra)
			}
			id, err := c.Finish(bg, st, csSign(t, tt.sign, ch, tt.cid), nil)
			if !tt.ok {
				wantRefusal(t, err, ErrAuthenticationFailed)
				return
			}
			if err != nil || id.AuthID != tt.wantID || id.AuthRole != tt.role || id.AuthMethod != "cryptosign" || id.AuthProvider != "static" {
				t.Fatalf("Finish = %+v, %v", id, err)
			}
		})
	}
}

func TestCryptosignRefusals(t *testing.T) {
	c, _, _ := newTestCryptosign(t, nil)
	user := keyFromSeed(t, csTestSeed)
	// Channel binding asked for and unavailable (plain TCP, or TLS 1.3 and
	// tls-unique): refused at HELLO.
	for _, h := range []*Hello{
		{AuthExtra: map[string]any{"pubkey": csTestPubKey, "channel_binding": "tls-unique"}},
		{AuthExtra: map[string]any{"pubkey": csTestPubKey, "channel_binding": "tls-unique"}, TLSExporter: make([]byte, 32)},
		{AuthExtra: map[string]any{"pubkey": csTestPubKey, "channel_binding": "tls-exporter"}, TLSUnique: []byte("x")},
		{AuthExtra: map[string]any{"pubkey": csTestPubKey, "channel_binding": "tls-server-end-point"}, TLSUnique: []byte("x")},
		{AuthExtra: map[string]any{"pubkey": csTestPubKey, "channel_binding": 1}},
	} {
		if _, _, _, err := c.Start(bg, h); !errors.Is(err, ErrAuthenticationFailed) {
			t.Errorf("Start(%v) = %v", h.AuthExtra, err)
		}
	}
	for _, x := range []map[string]any{nil, {"pubkey": "zz"}, {"pubkey": csTestPubKey[:62]}, {"pubkey": 5}} {
		if c.Accepts(&Hello{AuthExtra: x}) {
			t.Errorf("Accepts(%v)", x)
		}
	}
	_, ch, st := mustStart(t, c, &Hello{AuthExtra: map[string]any{"pubkey": csTestPubKey}})
	good := csSign(t, user, ch, nil)
	for name, sig := range map[string]string{
		"empty":                 "",
		"signature only":        good[:128],
		"not hex":               "zz" + good[2:],
		"one byte more":         good + "00",
		"another message":       good[:128] + "00" + good[130:],
		"signature bit flipped": "0" + good[1:],
	} {
		if sig == good {
			continue
		}
		if _, err := c.Finish(bg, st, sig, nil); !errors.Is(err, ErrAuthenticationFailed) {
			t.Errorf("%s: Finish = %v", name, err)
		}
	}
	if _, err := c.Finish(bg, st, good, nil); err != nil {
		t.Fatalf("good signature refused: %v", err)
	}
	if _, err := NewCryptosign(map[string]CryptosignPrincipal{"u": {AuthRole: "user", PubKeys: []string{"00"}}}, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad key accepted: %v", err)
	}
}

func TestCryptosignRouterAuthentication(t *testing.T) {
	_, router, _ := ed25519.GenerateKey(nil)
	c, _, _ := newTestCryptosign(t, router)
	const clientChallenge = "bbae60ea44cdd7b20dc7010a618b0f0803fab25a817520b4b7f057299b524deb"
	unique := []byte("finished")
	cid := sha256.Sum256(unique)
	for _, binding := range []string{"", "tls-unique"} {
		x := map[string]any{"pubkey": csTestPubKey, "challenge": clientChallenge}
		if binding != "" {
			x["channel_binding"] = binding
		}
		_, ch, _ := mustStart(t, c, &Hello{AuthExtra: x, TLSUnique: unique})
		if ch.Extra["pubkey"] != hex.EncodeToString(router.Public().(ed25519.PublicKey)) {
			t.Fatalf("router pubkey %v", ch.Extra["pubkey"])
		}
		sig, err := hex.DecodeString(ch.Extra["signature"].(string))
		if err != nil || len(sig) != 96 {
			t.Fatalf("router signature %v", ch.Extra["signature"])
		}
		want, _ := hex.DecodeString(clientChallenge)
		if binding != "" {
			subtle.XORBytes(want, want, cid[:])
		}
		if string(sig[64:]) != string(want) || !ed25519.Verify(router.Public().(ed25519.PublicKey), sig[64:], sig[:64]) {
			t.Fatalf("binding %q: router signature does not verify over the client's challenge", binding)
		}
	}
	if _, _, _, err := c.Start(bg, &Hello{AuthExtra: map[string]any{"pubkey": csTestPubKey, "challenge": "abc"}}); err == nil {
		t.Fatal("malformed client challenge accepted")
	}
}
