package auth

import (
	"context"
	"crypto/tls"
)

// The authmethod names of the spec, and the authprovider of principals
// configured in the file.
const (
	MethodAnonymous  = "anonymous"
	MethodTicket     = "ticket"
	MethodWAMPCRA    = "wampcra"
	MethodSCRAM      = "wamp-scram"
	MethodCryptosign = "cryptosign"
	MethodTLS        = "tls"

	ProviderStatic  = "static"
	ProviderDynamic = "dynamic"
)

// Identity is who a session is once authenticated: the authid, authrole,
// authmethod, authprovider and authextra of WELCOME.Details.
type Identity struct {
	AuthID       string
	AuthRole     string
	AuthMethod   string
	AuthProvider string
	// AuthExtra goes to WELCOME.Details.authextra (wamp-scram's verifier, a
	// Dynamic upstream's extra); nil when there is none.
	AuthExtra map[string]any
}

// Hello is what authentication needs of a HELLO and of the transport it came
// on. The engine fills it; authenticators only read it.
//
// AuthExtra holds the decoded HELLO.Details.authextra: strings as string,
// numbers as any Go integer or float type, dicts as map[string]any, null as
// nil. It may be nil.
type Hello struct {
	Realm       string
	AuthID      string   // HELLO.Details.authid, "" when absent
	AuthMethods []string // HELLO.Details.authmethods, in the client's order
	AuthExtra   map[string]any

	// Session is the id the session will have once welcomed; wampcra puts
	// it in its challenge.
	Session uint64
	// AnonymousAuthID is the random authid the engine drew for this session;
	// the anonymous method assigns it (and draws one itself when empty).
	AnonymousAuthID string
	// RemoteAddr is the peer's address, for logs, rate limits and a Dynamic
	// upstream's details.
	RemoteAddr string

	// TLS is the connection's state on a TLS transport, nil otherwise.
	TLS *tls.ConnectionState
	// TLSUnique is the tls-unique channel binding (RFC 5929): the first
	// Finished message, TLS 1.2 and below only (nil on TLS 1.3 and on a
	// resumed session without extended master secret).
	TLSUnique []byte
	// TLSExporter is the tls-exporter channel binding (RFC 9266), 32 bytes,
	// on TLS 1.3 only.
	TLSExporter []byte
}

// ChannelBindings returns the tls-unique and tls-exporter channel bindings
// of a TLS connection for Hello.TLSUnique and Hello.TLSExporter: tls-unique
// where TLS 1.2 has a safe one (crypto/tls leaves it nil otherwise),
// tls-exporter on TLS 1.3 only (RFC 9266 defines it there; on 1.2 it would
// need extended master secret, which ConnectionState does not report).
func ChannelBindings(cs *tls.ConnectionState) (unique, exporter []byte) {
	if cs == nil || !cs.HandshakeComplete {
		return nil, nil
	}
	if cs.Version < tls.VersionTLS13 {
		return cs.TLSUnique, nil
	}
	ekm, err := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
	if err != nil {
		return nil, nil
	}
	return nil, ekm
}

// Challenge is the CHALLENGE the router sends: its authmethod and extra dict.
type Challenge struct {
	Method string
	Extra  map[string]any
}

// State is what an authenticator keeps between its CHALLENGE and the
// AUTHENTICATE: opaque to the engine, which hands it back to Finish of the
// authenticator that made it. It holds no secret in clear (expected
// signatures and keys at most) and must not be logged.
type State interface {
	authMethod() string
}

// Authenticator is one authmethod of a realm.
//
// Start answers a HELLO with either an identity (the session is welcomed at
// once: anonymous, tls), or a challenge and the state Finish needs, or a
// refusal. Finish checks the AUTHENTICATE's signature and extra against that
// state. Both may hash, verify signatures or wait on an upstream, so the
// engine runs them on a Pool; ctx bounds the wait (a Dynamic upstream call)
// and is canceled when the connection goes away.
type Authenticator interface {
	// Method is the authmethod name (MethodTicket, ...).
	Method() string
	// Accepts says, cheaply and without I/O, whether the method applies to
	// h at all (tls needs a client certificate, cryptosign a pubkey, ticket
	// an authid); Select skips forward to the client's next method when not.
	// It says nothing of whether the credentials are right.
	Accepts(h *Hello) bool
	// Start begins authenticating h: exactly one of id and ch is non-nil
	// when err is nil; pending is non-nil with ch.
	Start(ctx context.Context, h *Hello) (id *Identity, ch *Challenge, pending State, err error)
	// Finish checks AUTHENTICATE's signature and extra against pending.
	Finish(ctx context.Context, pending State, signature string, extra map[string]any) (Identity, error)
}

// Select picks the authenticator for h: the first of the client's
// authmethods, in the client's order, that the realm offers and that
// accepts h. A HELLO with no authmethods asks for anonymous, as the Basic
// Profile says. When nothing fits it returns ErrNoAuthMethod.
func Select(h *Hello, offered []Authenticator) (Authenticator, error) {
	methods := h.AuthMethods
	if len(methods) == 0 {
		methods = []string{MethodAnonymous}
	}
	for _, m := range methods {
		for _, a := range offered {
			if a.Method() == m && a.Accepts(h) {
				return a, nil
			}
		}
	}
	return nil, deny(ErrNoAuthMethod, "no offered method fits the HELLO")
}
