package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"sort"
)

// CryptosignPrincipal is a cryptosign principal of the configuration: its
// authrole and the Ed25519 public keys (hex, 32 bytes) it may sign with.
type CryptosignPrincipal struct {
	AuthRole string
	PubKeys  []string
}

// Cryptosign is the cryptosign method with static principals: CHALLENGE
// extra.challenge is 32 random bytes in hex; the client answers with
// hex(signature (64 bytes) || message signed (32 bytes)), the message being
// the challenge, XORed with the channel id when TLS channel binding is on.
type Cryptosign struct {
	principals map[string]csPrincipal
	// byKey maps a public key to its authid for a HELLO without authid; ""
	// marks a key that two principals share, which identifies neither.
	byKey map[[ed25519.PublicKeySize]byte]string
	// routerKey, when set, signs the client's authextra.challenge (router
	// authentication).
	routerKey ed25519.PrivateKey
}

type csPrincipal struct {
	role string
	keys map[[ed25519.PublicKeySize]byte]struct{}
}

// csState is Cryptosign's (and Dynamic's) State.
type csState struct {
	pub      ed25519.PublicKey
	expected [32]byte // the message the client must have signed
	id       Identity
	known    bool
}

func (*csState) authMethod() string { return MethodCryptosign }

// NewCryptosign returns the cryptosign method over principals (by authid).
// routerKey, if not nil, answers a client's authextra.challenge with the
// router's signature (the spec's Router Authentication).
func NewCryptosign(principals map[string]CryptosignPrincipal, routerKey ed25519.PrivateKey) (*Cryptosign, error) {
	if routerKey != nil && len(routerKey) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: cryptosign router key is not an Ed25519 private key", ErrConfig)
	}
	c := &Cryptosign{principals: make(map[string]csPrincipal, len(principals)), byKey: map[[32]byte]string{}, routerKey: routerKey}
	ids := make([]string, 0, len(principals))
	for id := range principals {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := principals[id]
		if id == "" || p.AuthRole == "" || len(p.PubKeys) == 0 {
			return nil, fmt.Errorf("%w: cryptosign principal %q needs an authid, a role and a public key", ErrConfig, id)
		}
		cp := csPrincipal{role: p.AuthRole, keys: make(map[[32]byte]struct{}, len(p.PubKeys))}
		for _, k := range p.PubKeys {
			key, ok := parsePubKey(k)
			if !ok {
				return nil, fmt.Errorf("%w: cryptosign principal %q: public key is not 64 hex digits", ErrConfig, id)
			}
			cp.keys[key] = struct{}{}
			if other, dup := c.byKey[key]; dup && other != id {
				c.byKey[key] = ""
			} else {
				c.byKey[key] = id
			}
		}
		c.principals[id] = cp
	}
	return c, nil
}

// parsePubKey decodes a hex Ed25519 public key.
func parsePubKey(s string) (k [ed25519.PublicKeySize]byte, ok bool) {
	if len(s) != 2*ed25519.PublicKeySize {
		return k, false
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return k, false
	}
	return k, true
}

// Method returns MethodCryptosign.
func (c *Cryptosign) Method() string { return MethodCryptosign }

// Accepts a HELLO whose authextra.pubkey is a hex Ed25519 public key (the
// spec requires it; authid is optional).
func (c *Cryptosign) Accepts(h *Hello) bool { return hasPubKey(h) }

// hasPubKey reports whether h's authextra.pubkey is a hex Ed25519 key.
func hasPubKey(h *Hello) bool {
	s, _, _ := str(h.AuthExtra, "pubkey")
	_, ok := parsePubKey(s)
	return ok
}

// Start finds the principal by authid (the pubkey must be one of its keys)
// or, without authid, by pubkey, and challenges; an unknown key or authid
// gets the same challenge and fails at Finish.
func (c *Cryptosign) Start(_ context.Context, h *Hello) (*Identity, *Challenge, State, error) {
	s, _, _ := str(h.AuthExtra, "pubkey")
	key, ok := parsePubKey(s)
	if !ok {
		return nil, nil, nil, failed("cryptosign pubkey missing or not hex")
	}
	authid := h.AuthID
	if authid == "" {
		authid = c.byKey[key]
	}
	p, known := c.principals[authid]
	if known {
		_, known = p.keys[key]
	}
	id := Identity{AuthID: authid, AuthRole: p.role, AuthMethod: MethodCryptosign, AuthProvider: ProviderStatic}
	return csChallenge(h, key, id, known, c.routerKey)
}

// Finish verifies the signature over the expected message.
func (c *Cryptosign) Finish(_ context.Context, pending State, signature string, _ map[string]any) (Identity, error) {
	return csFinish(pending, signature)
}

// csChannelID reads HELLO authextra.channel_binding and returns its name
// and the 32-byte channel id: SHA-256 of tls-unique (what Autobahn signs:
// tls-unique itself is 12 bytes on TLS 1.2), or the 32-byte tls-exporter
// value. Asked for and unavailable, it refuses.
func csChannelID(h *Hello) (name string, cid []byte, err error) {
	name, present, ok := str(h.AuthExtra, "channel_binding")
	switch {
	case !ok:
		return "", nil, failed("channel_binding not a string")
	case !present:
		return "", nil, nil
	case name == "tls-unique" && len(h.TLSUnique) > 0:
		sum := sha256.Sum256(h.TLSUnique)
		return name, sum[:], nil
	case name == "tls-exporter" && len(h.TLSExporter) == 32:
		return name, h.TLSExporter, nil
	}
	return "", nil, failed("channel binding type unavailable on this transport")
}

// csChallenge makes the CHALLENGE and state for key and id (shared by the
// static and dynamic cryptosign).
func csChallenge(h *Hello, key [32]byte, id Identity, known bool, routerKey ed25519.PrivateKey) (*Identity, *Challenge, State, error) {
	cbName, cid, err := csChannelID(h)
	if err != nil {
		return nil, nil, nil, err
	}
	st := &csState{pub: ed25519.PublicKey(key[:]), id: id, known: known}
	challenge := randomBytes(32)
	copy(st.expected[:], challenge)
	if cid != nil {
		subtle.XORBytes(st.expected[:], st.expected[:], cid)
	}
	extra := map[string]any{"challenge": hex.EncodeToString(challenge), "channel_binding": nil}
	if cbName != "" {
		extra["channel_binding"] = cbName
	}
	if routerKey != nil {
		if cc, present, ok := str(h.AuthExtra, "challenge"); present {
			var msg [32]byte
			if !ok || len(cc) != 64 {
				return nil, nil, nil, failed("cryptosign client challenge not 32 bytes of hex")
			}
			if _, err := hex.Decode(msg[:], []byte(cc)); err != nil {
				return nil, nil, nil, failed("cryptosign client challenge not 32 bytes of hex")
			}
			if cid != nil {
				subtle.XORBytes(msg[:], msg[:], cid)
			}
			sig := ed25519.Sign(routerKey, msg[:])
			extra["pubkey"] = hex.EncodeToString(routerKey.Public().(ed25519.PublicKey))
			extra["signature"] = hex.EncodeToString(append(sig, msg[:]...))
		}
	}
	return nil, &Challenge{Method: MethodCryptosign, Extra: extra}, st, nil
}

// csSignatureLen is the signature's length in bytes: Ed25519 signature and
// the 32-byte message signed.
const csSignatureLen = ed25519.SignatureSize + 32

// parseCSSignature decodes the AUTHENTICATE signature: 192 hex digits.
func parseCSSignature(s string) (sig [csSignatureLen]byte, ok bool) {
	if len(s) != 2*csSignatureLen {
		return sig, false
	}
	if _, err := hex.Decode(sig[:], []byte(s)); err != nil {
		return sig, false
	}
	return sig, true
}

// csFinish checks that the signed message is the expected one and that the
// signature over it verifies under the client's key.
func csFinish(pending State, signature string) (Identity, error) {
	st, ok := pending.(*csState)
	if !ok {
		return Identity{}, failed("state of another method")
	}
	sig, ok := parseCSSignature(signature)
	if !ok {
		return Identity{}, failed("malformed signature")
	}
	msg := sig[ed25519.SignatureSize:]
	if subtle.ConstantTimeCompare(msg, st.expected[:]) != 1 {
		return Identity{}, failed("signed message is not the challenge")
	}
	if !ed25519.Verify(st.pub, msg, sig[:ed25519.SignatureSize]) || !st.known {
		return Identity{}, failed("wrong signature")
	}
	return st.id, nil
}
