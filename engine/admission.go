package engine

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/auth"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/realm"
)

// Session admission: a HELLO becomes a session through the realm's
// authenticators (engine/auth). The connection's state machine is
//
//	new --HELLO--> working --> challenged --AUTHENTICATE--> working --> joined
//	                  \______________\___________________________\--> ABORT
//
// Anonymous-only realms take a fast path with no pipeline (hello). Every
// other step that may hash, verify a signature or wait on a dynamic
// authenticator runs on the router's bounded auth pool, never on the event
// loop or a realm actor; its outcome comes back on the connection's own
// event loop (handshakeConn.Run) before CHALLENGE, WELCOME or ABORT is sent.
// A full pool refuses the login at once (ABORT), so a login flood fills the
// queue and gets ABORTs while joined sessions are routed as usual. The
// handshake timeout covers the whole of it: netpoll closes a connection
// that has not called Established in time, challenged or not.

// authQueue bounds the logins waiting for an auth worker.
const authQueue = 1024

// authWorkers is the auth pool's size: half the processors, at least one.
// An argon2id ticket check takes ~35 ms of a core; with two workers on a
// 2-core machine a login flood's first hashes took both cores from the
// event loop and the actors (RPC p99 34-41 ms during TestLoginFlood), with
// one the p99 stayed at 4.3-4.7 ms.
func authWorkers() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// authConn is what admission needs of a connection (handshakeConn has it
// all; tlsConn is asked for where the connection offers it).
type authConn = handshakeConn

// realmAuth is a realm's ways in, built once from its configuration.
type realmAuth struct {
	methods []auth.Authenticator // offered, in configuration order
	// anonymousOnly: the realm offers anonymous and nothing else, so a
	// HELLO takes the fast path.
	anonymousOnly bool
	anonymousRole string
}

// pending is one connection's admission in progress, kept in its
// connState (event loop only).
type pending struct {
	re      *realmEntry
	hello   *auth.Hello
	method  auth.Authenticator
	state   auth.State // set once challenged
	busy    bool       // a step runs on the pool: no message may come
	ctx     context.Context
	cancel  context.CancelFunc
	roles   uint32 // kept HELLO roles (roles.go)
	authKey string // the HELLO's authid, for the per-authid failure limit
}

// buildRealmAuth makes the authenticators of rc. up answers a dynamic
// authenticator's calls; nil when rc has none.
func buildRealmAuth(rc config.Realm, up auth.Upstream) (realmAuth, error) {
	var ra realmAuth
	a := rc.Auth
	if role, ok := rc.AnonymousRole(); ok {
		ra.anonymousRole = role
		ra.methods = append(ra.methods, auth.NewAnonymous(role))
	}
	dynamic := map[string]bool{}
	if d := a.Dynamic; d != nil && up != nil {
		for _, m := range d.Methods {
			dyn, err := auth.NewDynamic(m, up, time.Duration(d.Timeout))
			if err != nil {
				return ra, fmt.Errorf("realm %q: dynamic %s: %w", rc.Name, m, err)
			}
			ra.methods = append(ra.methods, dyn)
			dynamic[m] = true
		}
	}
	if t := a.Ticket; t != nil && !dynamic[config.MethodTicket] {
		ps := make(map[string]auth.TicketPrincipal, len(t.Principals))
		for _, p := range t.Principals {
			ps[p.AuthID] = auth.TicketPrincipal{AuthRole: p.Role, Hash: string(p.Ticket)}
		}
		m, err := auth.NewTicket(ps)
		if err != nil {
			return ra, fmt.Errorf("realm %q: ticket: %w", rc.Name, err)
		}
		ra.methods = append(ra.methods, m)
	}
	if w := a.WAMPCRA; w != nil && !dynamic[config.MethodWAMPCRA] {
		ps := make(map[string]auth.CRAPrincipal, len(w.Principals))
		for _, p := range w.Principals {
			ps[p.AuthID] = auth.CRAPrincipal{AuthRole: p.Role, Secret: string(p.Secret),
				Salt: p.Salt, Iterations: p.Iterations, KeyLen: p.KeyLen}
		}
		m, err := auth.NewWAMPCRA(ps)
		if err != nil {
			return ra, fmt.Errorf("realm %q: wampcra: %w", rc.Name, err)
		}
		ra.methods = append(ra.methods, m)
	}
	if c := a.Cryptosign; c != nil && !dynamic[config.MethodCryptosign] {
		ps := make(map[string]auth.CryptosignPrincipal, len(c.Principals))
		for _, p := range c.Principals {
			ps[p.AuthID] = auth.CryptosignPrincipal{AuthRole: p.Role, PubKeys: p.PubKeys}
		}
		m, err := auth.NewCryptosign(ps, nil)
		if err != nil {
			return ra, fmt.Errorf("realm %q: cryptosign: %w", rc.Name, err)
		}
		ra.methods = append(ra.methods, m)
	}
	if s := a.SCRAM; s != nil {
		ps := make(map[string]auth.ScramPrincipal, len(s.Principals))
		for _, p := range s.Principals {
			cred, err := scramCredential(p)
			if err != nil {
				return ra, fmt.Errorf("realm %q: wamp-scram principal %q: %w", rc.Name, p.AuthID, err)
			}
			ps[p.AuthID] = auth.ScramPrincipal{AuthRole: p.Role, Credential: cred}
		}
		m, err := auth.NewSCRAM(ps)
		if err != nil {
			return ra, fmt.Errorf("realm %q: wamp-scram: %w", rc.Name, err)
		}
		ra.methods = append(ra.methods, m)
	}
	if t := a.TLS; t != nil {
		ps := make([]auth.TLSPrincipal, len(t.Principals))
		for i, p := range t.Principals {
			ps[i] = auth.TLSPrincipal{Fingerprint: p.Fingerprint, CN: p.CN, AuthID: p.AuthID, AuthRole: p.Role}
		}
		m, err := auth.NewTLS(ps)
		if err != nil {
			return ra, fmt.Errorf("realm %q: tls: %w", rc.Name, err)
		}
		ra.methods = append(ra.methods, m)
	}
	ra.anonymousOnly = len(ra.methods) == 1 && ra.anonymousRole != ""
	return ra, nil
}

// scramCredential turns a configured wamp-scram principal into the
// authenticator's stored credential (config spells argon2id what the
// spec calls argon2id13).
func scramCredential(p config.SCRAMPrincipal) (auth.ScramCredential, error) {
	c := auth.ScramCredential{Iterations: p.Iterations, MemoryKiB: p.Memory}
	switch p.KDF {
	case config.KDFArgon2id:
		c.KDF = auth.KDFArgon2id13
	case config.KDFPBKDF2:
		c.KDF = auth.KDFPBKDF2
	default:
		return c, fmt.Errorf("unknown kdf %q", p.KDF)
	}
	var err error
	if c.Salt, err = base64.StdEncoding.DecodeString(p.Salt); err != nil {
		return c, errors.New("salt is not base64")
	}
	if c.StoredKey, err = base64.StdEncoding.DecodeString(string(p.StoredKey)); err != nil {
		return c, errors.New("stored_key is not base64")
	}
	if c.ServerKey, err = base64.StdEncoding.DecodeString(string(p.ServerKey)); err != nil {
		return c, errors.New("server_key is not base64")
	}
	return c, nil
}

// admission is the router's shared admission state: the pool, the login
// failure limits and the session limits.
type admission struct {
	pool      *auth.Pool
	byAddr    *auth.Limiter // failed logins per remote address (nil: no limit)
	byAuthID  *auth.Limiter // failed logins per authid
	limits    config.Limits
	failures  atomic.Uint64 // logins refused by an authenticator
	throttled atomic.Uint64 // logins refused at once by a failure limit
	busy      atomic.Uint64 // logins refused because the auth pool was full

	mu     sync.Mutex // guards counts; a leaf lock, held for a map update
	counts map[sessionKey]int
}

// sessionKey counts sessions per realm, per (realm, authid) and per
// remote address.
type sessionKey struct {
	kind  uint8 // 0 realm, 1 authid, 2 address
	realm string
	value string
}

func newAdmission(l config.Limits) *admission {
	a := &admission{pool: auth.NewPool(authWorkers(), authQueue), limits: l, counts: map[sessionKey]int{}}
	window := time.Duration(l.LoginFailureWindow)
	if window <= 0 {
		window = time.Minute
	}
	if n := l.LoginFailuresPerAddress; n > 0 {
		a.byAddr = auth.NewLimiter(n, window/time.Duration(n), 1<<16)
	}
	if n := l.LoginFailuresPerAuthID; n > 0 {
		a.byAuthID = auth.NewLimiter(n, window/time.Duration(n), 1<<16)
	}
	return a
}

// allowLogin reports whether an address and authid may try to log in
// (their recent failures are under the limits).
func (a *admission) allowLogin(addr, authID string) bool {
	if a.byAddr != nil && !a.byAddr.Allow(hostOf(addr)) {
		return false
	}
	if a.byAuthID != nil && authID != "" && !a.byAuthID.Allow(authID) {
		return false
	}
	return true
}

// failed counts a refused login against the address and the authid.
func (a *admission) failed(addr, authID string) {
	a.failures.Add(1)
	if a.byAddr != nil {
		a.byAddr.Fail(hostOf(addr))
	}
	if a.byAuthID != nil && authID != "" {
		a.byAuthID.Fail(authID)
	}
}

// hostOf is the address without its port: a client's failures count
// across its connections.
func hostOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i]
		}
	}
	return addr
}

// take reserves a session slot of realm, authid and address, or says which
// limit is full.
func (a *admission) take(realmName, authID, addr string) string {
	l := a.limits
	if l.MaxSessionsPerRealm == 0 && l.MaxSessionsPerAuthID == 0 && l.MaxSessionsPerAddress == 0 {
		return ""
	}
	keys := [3]sessionKey{{0, realmName, ""}, {1, realmName, authID}, {2, "", hostOf(addr)}}
	max := [3]int{l.MaxSessionsPerRealm, l.MaxSessionsPerAuthID, l.MaxSessionsPerAddress}
	names := [3]string{"max_sessions_per_realm", "max_sessions_per_authid", "max_sessions_per_address"}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, k := range keys {
		if max[i] > 0 && a.counts[k] >= max[i] {
			return names[i] + " = " + strconv.Itoa(max[i])
		}
	}
	for _, k := range keys {
		a.counts[k]++
	}
	return ""
}

// release gives back what take reserved.
func (a *admission) release(realmName, authID, addr string) {
	l := a.limits
	if l.MaxSessionsPerRealm == 0 && l.MaxSessionsPerAuthID == 0 && l.MaxSessionsPerAddress == 0 {
		return
	}
	a.mu.Lock()
	for _, k := range [3]sessionKey{{0, realmName, ""}, {1, realmName, authID}, {2, "", hostOf(addr)}} {
		if a.counts[k]--; a.counts[k] <= 0 {
			delete(a.counts, k)
		}
	}
	a.mu.Unlock()
}

// close stops the pool's workers.
func (a *admission) close() { a.pool.Close() }

// errThrottled is why a login refused by the failure limits was.
var errThrottled = errors.New("too many failed logins from this address or for this authid")

// stepResult is what one authenticator step gave.
type stepResult struct {
	id      *auth.Identity
	ch      *auth.Challenge
	pending auth.State
	err     error
}

// authenticate runs the realm's pipeline for a HELLO that is not on the
// fast path.
func (h *handler) authenticate(c authConn, st *connState, re *realmEntry, hs helloScan, ser codec.Serializer) error {
	addr := c.RemoteAddr()
	authID := decodeString(ser, hs.authID)
	if !h.adm.allowLogin(addr, authID) {
		h.adm.throttled.Add(1)
		h.logRefused(re.r.Name(), authID, "", addr, errThrottled)
		return h.abort(c, codec.ErrAuthenticationFailed, "too many failed logins; try again later", ErrRejected)
	}
	id, anonID := h.ids.session()
	hello := &auth.Hello{
		Realm: re.r.Name(), AuthID: authID, AuthMethods: decodeStrings(ser, hs.authMethods),
		AuthExtra: decodeDict(ser, hs.authExtra), Session: id, AnonymousAuthID: anonID, RemoteAddr: addr,
	}
	if tc, ok := c.(tlsConn); ok {
		if cs := tc.TLS(); cs != nil {
			hello.TLS = cs
			hello.TLSUnique, hello.TLSExporter = auth.ChannelBindings(cs)
		}
	}
	method, err := auth.Select(hello, re.auth.methods)
	if err != nil {
		h.adm.failed(addr, authID)
		h.logRefused(hello.Realm, authID, strings.Join(hello.AuthMethods, ","), addr, err)
		return h.abort(c, auth.URI(err), auth.ClientMessage(err), ErrRejected)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st.auth = &pending{re: re, hello: hello, method: method, ctx: ctx, cancel: cancel, roles: hs.roles, authKey: authID}
	return h.runStep(c, st, func() stepResult {
		id, ch, p, err := method.Start(ctx, hello)
		return stepResult{id, ch, p, err}
	})
}

// authenticateMsg handles the AUTHENTICATE answering a CHALLENGE.
func (h *handler) authenticateMsg(c authConn, st *connState, payload []byte) error {
	p := st.auth
	var m codec.Message
	ser := c.Serializer()
	if err := codec.Decode(ser, payload, &m); err != nil {
		return h.abort(c, codec.ErrProtocolViolation, "undecodable message after CHALLENGE: "+err.Error(), ErrProtocol)
	}
	if m.Type != codec.Authenticate {
		return h.abort(c, codec.ErrProtocolViolation, "message after CHALLENGE: got "+m.Type.String()+", want AUTHENTICATE", ErrProtocol)
	}
	signature, extra, state := m.URI, m.Details, p.state
	p.state = nil
	return h.runStep(c, st, func() stepResult {
		id, err := p.method.Finish(p.ctx, state, signature, extra)
		if err != nil {
			return stepResult{err: err}
		}
		return stepResult{id: &id}
	})
}

// runStep runs step on the auth pool and its outcome on c's loop.
func (h *handler) runStep(c authConn, st *connState, step func() stepResult) error {
	p := st.auth
	p.busy = true
	gen := st.gen
	ok := h.adm.pool.Submit(func() {
		res := step()
		if !c.Run(func() { h.stepDone(c, st, gen, res) }) {
			p.cancel()
		}
	})
	if !ok {
		p.busy = false
		h.adm.busy.Add(1)
		return h.abort(c, codec.ErrAuthenticationFailed, "the router is busy; try again later", ErrRejected)
	}
	return nil
}

// stepDone takes a step's outcome on c's loop: CHALLENGE, WELCOME (the
// session joins its realm) or ABORT.
func (h *handler) stepDone(c authConn, st *connState, gen uint64, res stepResult) {
	if st.gen != gen || st.auth == nil {
		return // the connection closed meanwhile (and its state was recycled)
	}
	p := st.auth
	p.busy = false
	switch {
	case res.err != nil:
		h.adm.failed(p.hello.RemoteAddr, p.authKey)
		h.logRefused(p.hello.Realm, p.authKey, p.method.Method(), p.hello.RemoteAddr, res.err)
		st.auth = nil
		p.cancel()
		_ = h.abort(c, auth.URI(res.err), auth.ClientMessage(res.err), ErrRejected)
	case res.ch != nil:
		p.state = res.pending
		m := codec.Message{Type: codec.Challenge, URI: res.ch.Method, Details: res.ch.Extra}
		if m.Details == nil {
			m.Details = map[string]any{}
		}
		sendMessage(c, &m)
		c.Flush()
	case res.id != nil:
		st.auth = nil
		p.cancel()
		_ = h.admit(c, st, p.re, *res.id, p.hello.Session, p.roles)
	}
}

// admit joins an authenticated session to its realm (WELCOME).
func (h *handler) admit(c authConn, st *connState, re *realmEntry, id auth.Identity, sessID uint64, roles uint32) error {
	if n := h.sessions.Add(1); h.maxSessions > 0 && n > h.maxSessions {
		h.sessions.Add(-1)
		return h.abort(c, codec.ErrNotAuthorized,
			"router session limit reached (max_sessions = "+strconv.FormatInt(h.maxSessions, 10)+")", ErrRejected)
	}
	addr := c.RemoteAddr()
	if full := h.adm.take(re.r.Name(), id.AuthID, addr); full != "" {
		h.sessions.Add(-1)
		return h.abort(c, codec.ErrNotAuthorized, "session limit reached ("+full+")", ErrRejected)
	}
	s := &realm.Session{
		ID: sessID, Peer: c, AuthID: id.AuthID, AuthRole: id.AuthRole,
		AuthMethod: id.AuthMethod, AuthProvider: id.AuthProvider, AuthExtra: id.AuthExtra,
		Hello: h.roles.details(roles),
	}
	st.sess, st.realm = s, re.r
	st.joined(re)
	c.Established()
	re.r.Join(s)
	h.logJoin(c, s, re.r)
	return nil
}

// sendMessage encodes m for c and queues it (not flushed).
func sendMessage(c handshakeConn, m *codec.Message) {
	ser := c.Serializer()
	f := codec.NewFrame(ser)
	var err error
	if f.B, err = codec.Append(ser, f.B, m); err == nil {
		f.Seal()
		c.Send(f, false)
	}
	f.Release()
}

// decodeString reads an encoded string ("" when absent or not a string).
func decodeString(s codec.Serializer, raw []byte) string {
	if raw == nil {
		return ""
	}
	v, _ := codec.DecodeValue(s, raw)
	str, _ := v.(string)
	return str
}

// decodeStrings reads an encoded list of strings, skipping other values.
func decodeStrings(s codec.Serializer, raw []byte) []string {
	if raw == nil {
		return nil
	}
	v, _ := codec.DecodeValue(s, raw)
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		if str, ok := e.(string); ok {
			out = append(out, str)
		}
	}
	return out
}

// decodeDict reads an encoded dict (nil when absent or not a dict).
func decodeDict(s codec.Serializer, raw []byte) map[string]any {
	if raw == nil {
		return nil
	}
	v, _ := codec.DecodeValue(s, raw)
	d, _ := v.(map[string]any)
	return d
}
