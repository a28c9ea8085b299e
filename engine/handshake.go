package engine

import (
	crand "crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/internal/wampuri"
	"github.com/wampd/wampd/realm"
)

// Authentication names of the anonymous method (not URIs: values of the
// WELCOME details authmethod, authrole and authprovider).
const (
	authAnonymous = "anonymous"
	authProvider  = "static"
)

// handshakeConn is what the handshake needs of a connection: the realm's
// Peer (the session keeps it), the end of the handshake timeout, running
// on the connection's loop and the facts of its transport (admission.go).
// *netpoll.Conn implements it; benchmarks drive the hello path with a fake.
type handshakeConn interface {
	realm.Peer
	Established()
	Run(fn func()) bool
	RemoteAddr() string
}

// tlsConn is what a connection on a TLS listener also offers: its state,
// for the tls method and channel binding.
type tlsConn interface {
	TLS() *tls.ConnectionState
}

// hello handles a message of a connection that has not joined yet: it must
// be a HELLO for a configured realm with an auth method the realm offers.
// Every refusal is an ABORT, flushed, then the connection is closed.
//
// payload is decoded in place (no copy): what the session keeps of it (its
// roles and features) is a shared dict built by rolesCache, never aliasing
// payload.
func (h *handler) hello(c handshakeConn, st *connState, payload []byte) error {
	var m codec.Message
	ser := c.Serializer()
	if err := codec.DecodeLean(ser, payload, &m); err != nil {
		return h.abort(c, codec.ErrProtocolViolation, "undecodable message before HELLO: "+err.Error(), ErrProtocol)
	}
	if m.Type != codec.Hello {
		return h.abort(c, codec.ErrProtocolViolation, "message before HELLO: got "+m.Type.String(), ErrProtocol)
	}
	if !wampuri.Valid(m.URI, codec.MatchExact) {
		return h.abort(c, codec.ErrInvalidURI, fmt.Sprintf("realm %q is not a valid URI", m.URI), ErrProtocol)
	}
	if h.closing.Load() {
		return h.abort(c, codec.CloseSystemShutdown, "router is shutting down", ErrRejected)
	}
	re := h.realms[m.URI]
	if re == nil {
		return h.abort(c, codec.ErrNoSuchRealm, fmt.Sprintf("no realm %q on this router", m.URI), ErrRejected)
	}
	hs, err := scanHello(ser, m.Dict)
	if err != nil {
		return h.abort(c, codec.ErrProtocolViolation, "HELLO.Details: "+err.Error(), ErrProtocol)
	}
	if !re.auth.anonymousOnly {
		return h.authenticate(c, st, re, hs, ser) // admission.go
	}
	// The fast path of an anonymous-only realm: no pipeline, no pool.
	if msg := anonymousAllowed(re, ser, hs.authMethods); msg != "" {
		return h.abort(c, codec.ErrNoAuthMethod, msg, ErrRejected)
	}
	if n := h.sessions.Add(1); h.maxSessions > 0 && n > h.maxSessions {
		h.sessions.Add(-1)
		// The spec has no URI for a full router; not_authorized with an
		// explicit message is what clients surface best.
		return h.abort(c, codec.ErrNotAuthorized,
			"router session limit reached (max_sessions = "+strconv.FormatInt(h.maxSessions, 10)+")", ErrRejected)
	}
	id, authID := h.ids.session()
	if full := h.adm.take(re.r.Name(), authID, c.RemoteAddr()); full != "" {
		h.sessions.Add(-1)
		return h.abort(c, codec.ErrNotAuthorized, "session limit reached ("+full+")", ErrRejected)
	}
	s := &realm.Session{
		ID:           id,
		Peer:         c,
		AuthID:       authID,
		AuthRole:     re.auth.anonymousRole,
		AuthMethod:   authAnonymous,
		AuthProvider: authProvider,
		// Only the roles and features realm acts on, in a dict shared by
		// all sessions alike (see roles.go); the rest of HELLO.Details
		// was never decoded.
		Hello: h.roles.details(hs.roles),
	}
	st.sess, st.realm = s, re.r
	st.joined(re)
	c.Established()
	re.r.Join(s) // from here on only the actor sends to c
	h.logJoin(c, s, re.r)
	return nil
}

// anonymousAllowed checks HELLO details.authmethods (methods, encoded
// with s; nil when absent) against the realm: the client may join
// anonymously when it lists no methods or lists "anonymous", and the realm
// allows anonymous sessions. It returns why not, or "".
func anonymousAllowed(re *realmEntry, s codec.Serializer, methods []byte) string {
	if methods == nil || codec.IsNil(s, methods) {
		return ""
	}
	v, err := codec.DecodeValue(s, methods)
	if err != nil {
		return "HELLO.Details.authmethods: " + err.Error()
	}
	list, ok := v.([]any)
	if !ok {
		return "HELLO.Details.authmethods must be a list of strings"
	}
	offered := make([]string, 0, len(list))
	for _, v := range list {
		name, _ := v.(string)
		if name == authAnonymous {
			return ""
		}
		offered = append(offered, fmt.Sprintf("%q", name))
	}
	if len(offered) == 0 {
		return "" // an empty list asks for nothing in particular
	}
	return "none of the auth methods [" + strings.Join(offered, ", ") + "] is offered on realm " +
		strconv.Quote(re.r.Name()) + " (it offers \"anonymous\")"
}

// abort sends ABORT(reason, details.message) to a connection that has not
// joined, flushes it and closes the connection. It returns cause wrapped
// with the reason, for netpoll to count and log.
func (h *handler) abort(c handshakeConn, reason codec.URI, message string, cause error) error {
	h.rejected.Add(1)
	ser := c.Serializer()
	m := codec.Message{Type: codec.Abort, URI: reason}
	m.Options.Has = codec.HasMessage
	m.Options.Message = message
	f := codec.NewFrame(ser)
	var err error
	if f.B, err = codec.Append(ser, f.B, &m); err == nil {
		f.Seal()
		c.Send(f, false)
	}
	f.Release()
	c.Flush()
	c.Close(reason)
	if err != nil {
		return fmt.Errorf("%w: %s (%s); encoding ABORT: %w", cause, reason, message, err)
	}
	return fmt.Errorf("%w: %s (%s)", cause, reason, message)
}

// idGen draws session ids (global random in [1, 2^53]) and anonymous
// authids from a crypto-seeded generator owned by one router. Event loops
// call it concurrently, hence the mutex (held for one draw, once per
// session).
type idGen struct {
	mu  sync.Mutex
	rng *rand.ChaCha8
}

func newIDGen() idGen {
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // crypto/rand.Read never fails on supported platforms
	return idGen{rng: rand.NewChaCha8(seed)}
}

// session returns a new session id, random in [1, 2^53], and a random
// 24-character authid for an anonymous session, drawn under one lock.
func (g *idGen) session() (uint64, string) {
	var raw [24]byte
	g.mu.Lock()
	id := g.rng.Uint64()
	for i := 0; i < len(raw); i += 8 {
		binary.LittleEndian.PutUint64(raw[i:], g.rng.Uint64())
	}
	g.mu.Unlock()
	for i, b := range raw {
		raw[i] = authIDAlphabet[int(b)%len(authIDAlphabet)]
	}
	return id%codec.MaxID + 1, string(raw[:])
}

// authIDAlphabet is what anonymous authids are spelled with.
const authIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
