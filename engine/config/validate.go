package config

import (
	"cmp"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/internal/wampuri"
)

// Bounds of limits.max_message_size: the spec's RawSocket handshake can
// announce 512 B .. 16 MiB; WebSocket is not bounded by the spec, so 1 GiB
// is a sanity cap against typos ("16GiB").
const (
	minMessageSize = 512
	maxMessageSize = 1 << 30
)

// maxEventLoops bounds tuning.event_loops: more loops than that only adds
// threads fighting for the same cores.
const maxEventLoops = 1024

// minMemoryLimit is the smallest limits.memory_limit accepted: below it the
// GC would run continuously for any real load (a typo like "64MB" for
// "64GB" is the likely cause).
const minMemoryLimit = 64 << 20

// maxHistoryLimit bounds the events kept per topic.
const maxHistoryLimit = 1_000_000

// Bounds of the key derivations of salted WAMP-CRA and wamp-scram
// principals. Each login runs the derivation on the router's worker pool:
// the caps catch a typo that would make one login cost seconds.
const (
	maxIterations = 10_000_000
	minKeyLen     = 16
	maxKeyLen     = 128
	minMemoryKiB  = 8       // argon2's floor (8 KiB per lane)
	maxMemoryKiB  = 4 << 20 // 4 GiB
)

// scramKeySize is the size of wamp-scram's stored and server keys
// (SHA-256).
const scramKeySize = 32

// checker checks a decoded Config. Where the Config came from a file, pos
// says where each value was (by path) so every problem has a line and a
// column; a Config built in code has none. Checks run in two rounds, as a
// reader fixes a file: first every value on its own rules, then, when all
// of them hold, the rules that relate several keys (an address, a
// duplicate realm, a role defined elsewhere).
type checker struct {
	pos  map[string]Pos
	bad  map[string]bool // paths that did not decode: no second error for them
	errs []*Error
}

func (c *checker) check(cfg *Config) {
	c.values(cfg)
	if len(c.errs) == 0 {
		c.relations(cfg)
	}
}

// err is every problem, in the order of the file, joined.
func (c *checker) err() error {
	slices.SortStableFunc(c.errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return joinErrors(c.errs)
}

// errorf records a problem of the value at path, at its position (or its
// closest enclosing value's, for a key the file omits).
func (c *checker) errorf(path, format string, args ...any) {
	for p := path; p != ""; p = parent(p) {
		if c.bad[p] {
			return
		}
	}
	c.errs = append(c.errs, &Error{Pos: c.at(path), Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) at(path string) Pos {
	for p := path; ; p = parent(p) {
		if pos, ok := c.pos[p]; ok || p == "" {
			return pos
		}
	}
}

// given reports whether the file wrote the value at path.
func (c *checker) given(path string) bool {
	_, ok := c.pos[path]
	return ok
}

// parent is the path of the value holding path's: "realms[0]" for
// "realms[0].name", "realms" for "realms[0]".
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// values checks each value on its own.
func (c *checker) values(cfg *Config) {
	for i, l := range cfg.Listeners {
		c.listener(index("listeners", i), l)
	}
	for i, r := range cfg.Realms {
		c.realm(index("realms", i), r)
	}
	c.limits(cfg.Limits)
	c.log(cfg.Log)
	c.listenAddr("metrics.listen", cfg.Metrics.Listen)
	if a := cfg.Metrics.ConsoleAuth; a != nil && a.AuthID == "" {
		c.errorf("metrics.console_auth", "metrics.console_auth.authid is required: the ticket principal the console logs in as")
	}
	c.listenAddr("debug.listen", cfg.Debug.Listen)
	if cfg.Cluster != nil {
		c.cluster(cfg.Cluster)
	}
	if n := cfg.Tuning.EventLoops; n < 0 || n > maxEventLoops {
		c.errorf("tuning.event_loops", "tuning.event_loops %d is out of range [0, %d] (0 picks GOMAXPROCS-1)", n, maxEventLoops)
	}
}

func (c *checker) listener(w string, l Listener) {
	if _, err := ParseMode(l.Mode); err != nil {
		c.errorf(w+".mode", "%s.mode: %v", w, err)
	}
	if (l.WSPath != "" || c.given(w+".ws_path")) && !strings.HasPrefix(l.WSPath, "/") {
		c.errorf(w+".ws_path", "%s.ws_path %q must start with \"/\"", w, l.WSPath)
	}
	for j, t := range l.Transports {
		switch {
		case t != TransportWebSocket && t != TransportRawSocket:
			c.errorf(index(w+".transports", j), "%s: unknown transport %q (want %q or %q)", w, t, TransportWebSocket, TransportRawSocket)
		case slices.Contains(l.Transports[:j], t):
			c.errorf(index(w+".transports", j), "%s: transport %q listed twice", w, t)
		}
	}
	if l.TLS != nil {
		c.tls(w+".tls", l.TLS)
	}
	for j, o := range l.Origins {
		p := index(w+".origins", j)
		switch {
		case !validOrigin(o):
			c.errorf(p, "%s %q is not an origin (want scheme://host[:port], e.g. \"https://app.example.com\", or \"*\")", p, o)
		case slices.Contains(l.Origins[:j], o):
			c.errorf(p, "%s: origin %q listed twice", w, o)
		case o == "*" && len(l.Origins) > 1, o != "*" && slices.Contains(l.Origins, "*"):
			c.errorf(p, "%s: \"*\" allows any origin; list it alone", w+".origins")
			return
		}
	}
}

// validOrigin reports whether o is "*" or an origin as browsers send it:
// scheme://host[:port], nothing more.
func validOrigin(o string) bool {
	if o == "*" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Scheme != "" && u.Host != "" && u.Opaque == "" && u.User == nil &&
		u.Path == "" && u.RawQuery == "" && u.Fragment == "" && !strings.HasSuffix(o, "?") && !strings.HasSuffix(o, "#")
}

func (c *checker) tls(w string, t *TLS) {
	if t.Cert == "" {
		c.errorf(w+".cert", "%s needs cert (a PEM certificate file)", w)
	}
	if t.Key == "" {
		c.errorf(w+".key", "%s needs key (a PEM private key file)", w)
	}
	c.file(w+".cert", t.Cert)
	c.file(w+".key", t.Key)
	c.file(w+".client_ca", t.ClientCA)
	switch t.ClientAuth {
	case "", ClientAuthNone, ClientAuthOptional, ClientAuthRequired:
	default:
		c.errorf(w+".client_auth", "%s.client_auth %q is not %q, %q or %q", w, t.ClientAuth, ClientAuthNone, ClientAuthOptional, ClientAuthRequired)
	}
	switch t.MinVersion {
	case "", TLS12, TLS13:
	default:
		c.errorf(w+".min_version", "%s.min_version %q is not %q or %q", w, t.MinVersion, TLS12, TLS13)
	}
}

// file checks that the file name (the value at path), when set, exists
// and can be read now; what is in it is for the TLS code to judge.
func (c *checker) file(path, name string) {
	if name == "" {
		return
	}
	f, err := os.Open(name)
	if err != nil {
		c.errorf(path, "%s: %v", path, err)
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		c.errorf(path, "%s: %s is a directory", path, name)
	}
}

func (c *checker) realm(w string, r Realm) {
	if (r.Name != "" || c.given(w+".name")) && !wampuri.Valid(r.Name, codec.MatchExact) {
		c.errorf(w+".name", "%s.name %q is not a valid WAMP URI", w, r.Name)
	}
	for j, h := range r.History {
		c.history(index(w+".history", j), h)
	}
	for _, l := range [...]struct {
		key string
		n   int
	}{
		{"max_pending_calls_per_session", r.Limits.PendingCallsPerSession},
		{"max_pending_calls", r.Limits.PendingCallsPerRealm},
		{"max_subscriptions_per_session", r.Limits.SubscriptionsPerSession},
		{"max_registrations_per_session", r.Limits.RegistrationsPerSession},
	} {
		if l.n < 0 {
			c.errorf(w+".limits."+l.key, "%s.limits.%s must not be negative", w, l.key)
		}
	}
	c.auth(w+".auth", r.Auth)
	c.roles(w+".roles", r.Roles)
	if r.Bridge != nil {
		c.bridge(w+".bridge", r.Bridge)
	}
}

func (c *checker) history(w string, h History) {
	m, ok := MatchPolicy(h.Match)
	if !ok || (h.Match == "" && c.given(w+".match")) {
		c.errorf(w+".match", "%s.match %q must be exact, prefix or wildcard", w, h.Match)
	}
	switch {
	case h.Limit == 0 && !c.given(w+".limit"):
		c.errorf(w+".limit", "%s needs a limit (events kept per topic)", w)
	case h.Limit < 1 || h.Limit > maxHistoryLimit:
		c.errorf(w+".limit", "%s.limit %d is out of range [1, %d]", w, h.Limit, maxHistoryLimit)
	}
	switch {
	case h.Topic == "":
		c.errorf(w+".topic", "%s needs a topic", w)
	case ok && !wampuri.Valid(h.Topic, m):
		c.errorf(w+".topic", "%s.topic %q is not a valid %s pattern", w, h.Topic, orDefault(h.Match, "exact"))
	}
}

func (c *checker) limits(l Limits) {
	if l.MaxMessageSize != 0 && (l.MaxMessageSize < minMessageSize || l.MaxMessageSize > maxMessageSize) {
		c.errorf("limits.max_message_size", "limits.max_message_size %v is out of range [%v, %v]", l.MaxMessageSize, Size(minMessageSize), Size(maxMessageSize))
	}
	if l.OutboundQueue != 0 && l.OutboundQueue < 4<<10 {
		c.errorf("limits.outbound_queue", "limits.outbound_queue %v is below the minimum of 4KiB", l.OutboundQueue)
	}
	if l.OutboundPolicy != PolicyDisconnect && l.OutboundPolicy != PolicyDrop {
		c.errorf("limits.outbound_policy", "limits.outbound_policy %q is not %q or %q", l.OutboundPolicy, PolicyDisconnect, PolicyDrop)
	}
	if l.OutboundDelay < 0 || (l.OutboundDelay != 0 && l.OutboundDelay < Duration(time.Millisecond)) {
		c.errorf("limits.outbound_delay", "limits.outbound_delay %v is below the minimum of 1ms", l.OutboundDelay)
	}
	if f := l.FlowControl; f.Enabled {
		hw := f.WithDefaults().HighWater
		switch {
		case hw < 4<<10:
			c.errorf("limits.flow_control.high_water", "limits.flow_control.high_water %v is below the minimum of 4KiB", hw)
		case l.OutboundQueue != 0 && hw >= l.OutboundQueue:
			c.errorf("limits.flow_control.high_water", "limits.flow_control.high_water %v must be below limits.outbound_queue %v", hw, l.OutboundQueue)
		case f.LowWater >= hw:
			c.errorf("limits.flow_control.low_water", "limits.flow_control.low_water %v must be below high_water %v", f.LowWater, hw)
		}
		if f.Stall < 0 || f.Stall > Duration(time.Minute) {
			c.errorf("limits.flow_control.stall", "limits.flow_control.stall %v is out of range (0, 1m]", f.Stall)
		}
	}
	for _, n := range [...]struct {
		key string
		n   int
	}{
		{"max_sessions", l.MaxSessions},
		{"max_sessions_per_realm", l.MaxSessionsPerRealm},
		{"max_sessions_per_authid", l.MaxSessionsPerAuthID},
		{"max_sessions_per_address", l.MaxSessionsPerAddress},
		{"login_failures_per_address", l.LoginFailuresPerAddress},
		{"login_failures_per_authid", l.LoginFailuresPerAuthID},
	} {
		if n.n < 0 {
			c.errorf("limits."+n.key, "limits.%s must be >= 0 (0 means no limit), not %d", n.key, n.n)
		}
	}
	if l.HandshakeTimeout < 0 {
		c.errorf("limits.handshake_timeout", "limits.handshake_timeout must not be negative")
	}
	switch {
	case l.LoginFailureWindow < 0:
		c.errorf("limits.login_failure_window", "limits.login_failure_window must not be negative")
	case l.LoginFailureWindow == 0 && (l.LoginFailuresPerAddress > 0 || l.LoginFailuresPerAuthID > 0):
		c.errorf("limits.login_failure_window", "limits.login_failure_window must be positive while login_failures_per_address or login_failures_per_authid bounds failures")
	}
	if l.MemoryLimit != 0 && l.MemoryLimit < minMemoryLimit {
		c.errorf("limits.memory_limit", "limits.memory_limit %v is below the minimum of %v (0 leaves the runtime's setting)", l.MemoryLimit, Size(minMemoryLimit))
	}
}

func (c *checker) log(l Log) {
	if l.Format != LogText && l.Format != LogJSON {
		c.errorf("log.format", "log.format %q is not %q or %q", l.Format, LogText, LogJSON)
	}
	if _, err := ParseLevel(l.Level); err != nil {
		c.errorf("log.level", "log.level: %v", err)
	}
}

// listenAddr checks an optional HTTP listener address: empty, or host:port.
func (c *checker) listenAddr(path, a string) {
	if a == "" {
		return
	}
	if _, _, err := net.SplitHostPort(a); err != nil {
		c.errorf(path, "%s %q is not host:port", path, a)
	}
}

// auth checks a realm's methods and their principals. No message quotes a
// secret: they name the key and say what is wrong with it.
func (c *checker) auth(w string, a Auth) {
	if a.Anonymous != nil && a.Anonymous.Role != "" {
		c.roleName(w+".anonymous.role", a.Anonymous.Role)
	}
	if a.Ticket != nil {
		pw := w + ".ticket.principals"
		c.principals(pw, len(a.Ticket.Principals), func(j int) (string, string) {
			return a.Ticket.Principals[j].AuthID, a.Ticket.Principals[j].Role
		})
		for j, p := range a.Ticket.Principals {
			path := index(pw, j) + ".ticket"
			switch t := string(p.Ticket); {
			case t == "":
				c.errorf(path, "%s needs a ticket (a hash made by `wampd hash`)", index(pw, j))
			case !strings.HasPrefix(t, TicketHashArgon2id) && !strings.HasPrefix(t, TicketHashPBKDF2):
				c.errorf(path, "%s is not a ticket hash (%s... or %s...): store what `wampd hash` prints, never the ticket itself", path, TicketHashArgon2id, TicketHashPBKDF2)
			}
		}
	}
	if a.WAMPCRA != nil {
		pw := w + ".wampcra.principals"
		c.principals(pw, len(a.WAMPCRA.Principals), func(j int) (string, string) {
			return a.WAMPCRA.Principals[j].AuthID, a.WAMPCRA.Principals[j].Role
		})
		for j, p := range a.WAMPCRA.Principals {
			pj := index(pw, j)
			if p.Secret == "" {
				c.errorf(pj+".secret", "%s needs a secret", pj)
			}
			if p.Salt == "" {
				if p.Iterations != 0 || p.KeyLen != 0 {
					c.errorf(pj, "%s: iterations and keylen apply to a salted secret only (it has no salt)", pj)
				}
				continue
			}
			c.intIn(pj+".iterations", p.Iterations, 1, maxIterations, "a salted secret needs iterations")
			c.intIn(pj+".keylen", p.KeyLen, minKeyLen, maxKeyLen, "a salted secret needs keylen (bytes of the derived key, e.g. 32)")
		}
	}
	if a.Cryptosign != nil {
		pw := w + ".cryptosign.principals"
		c.principals(pw, len(a.Cryptosign.Principals), func(j int) (string, string) {
			return a.Cryptosign.Principals[j].AuthID, a.Cryptosign.Principals[j].Role
		})
		owner := map[string]string{} // public key (lower case) -> path of the first
		for j, p := range a.Cryptosign.Principals {
			pj := index(pw, j)
			if len(p.PubKeys) == 0 {
				c.errorf(pj+".pubkeys", "%s needs pubkeys (Ed25519 public keys, 64 hex characters each)", pj)
			}
			for k, key := range p.PubKeys {
				pk := index(pj+".pubkeys", k)
				if _, err := ParsePublicKey(key); err != nil {
					c.errorf(pk, "%s is not an Ed25519 public key: %v", pk, err)
					continue
				}
				if first, dup := owner[strings.ToLower(key)]; dup {
					c.errorf(pk, "%s is the same key as %s", pk, first)
					continue
				}
				owner[strings.ToLower(key)] = pk
			}
		}
	}
	if a.SCRAM != nil {
		pw := w + ".scram.principals"
		c.principals(pw, len(a.SCRAM.Principals), func(j int) (string, string) {
			return a.SCRAM.Principals[j].AuthID, a.SCRAM.Principals[j].Role
		})
		for j, p := range a.SCRAM.Principals {
			c.scram(index(pw, j), p)
		}
	}
	if a.TLS != nil {
		pw := w + ".tls.principals"
		c.principals(pw, len(a.TLS.Principals), func(j int) (string, string) {
			return a.TLS.Principals[j].AuthID, a.TLS.Principals[j].Role
		})
		owner := map[string]string{}
		for j, p := range a.TLS.Principals {
			pj := index(pw, j)
			var key string
			switch {
			case (p.CN == "") == (p.Fingerprint == ""):
				c.errorf(pj, "%s needs exactly one of cn (the certificate's subject common name) and fingerprint (its SHA-256)", pj)
				continue
			case p.CN != "":
				key = "cn " + p.CN
			default:
				fp, err := ParseFingerprint(p.Fingerprint)
				if err != nil {
					c.errorf(pj+".fingerprint", "%s.fingerprint is not a SHA-256 fingerprint: %v", pj, err)
					continue
				}
				key = fmt.Sprintf("fingerprint %x", fp)
			}
			if first, dup := owner[key]; dup {
				c.errorf(pj, "%s matches the same certificates as %s (%s)", pj, first, key)
				continue
			}
			owner[key] = pj
		}
	}
	if d := a.Dynamic; d != nil {
		dw := w + ".dynamic"
		switch {
		case d.Procedure == "":
			c.errorf(dw+".procedure", "%s needs a procedure (the URI of the authenticator)", dw)
		case !wampuri.Valid(d.Procedure, codec.MatchExact):
			c.errorf(dw+".procedure", "%s.procedure %q is not a valid WAMP URI", dw, d.Procedure)
		}
		if d.Realm != "" && !wampuri.Valid(d.Realm, codec.MatchExact) {
			c.errorf(dw+".realm", "%s.realm %q is not a valid WAMP URI", dw, d.Realm)
		}
		if len(d.Methods) == 0 {
			c.errorf(dw+".methods", "%s needs methods (any of %s)", dw, strings.Join(dynamicMethods, ", "))
		}
		for k, m := range d.Methods {
			switch {
			case !slices.Contains(dynamicMethods, m):
				c.errorf(index(dw+".methods", k), "%s: %q is not a method a dynamic authenticator decides (want %s)", dw+".methods", m, strings.Join(dynamicMethods, ", "))
			case slices.Contains(d.Methods[:k], m):
				c.errorf(index(dw+".methods", k), "%s: %q listed twice", dw+".methods", m)
			}
		}
		if d.Timeout <= 0 {
			c.errorf(dw+".timeout", "%s.timeout must be positive", dw)
		}
	}
}

// principals checks the authid and role of each of a method's n
// principals (at path pw), and that no authid is there twice.
func (c *checker) principals(pw string, n int, id func(int) (authid, role string)) {
	seen := make(map[string]int, n)
	for j := range n {
		pj := index(pw, j)
		authid, role := id(j)
		if authid == "" {
			c.errorf(pj+".authid", "%s needs an authid", pj)
		} else if first, dup := seen[authid]; dup {
			c.errorf(pj+".authid", "%s: authid %q is already used by %s", pj, authid, index(pw, first))
		} else {
			seen[authid] = j
		}
		if role == "" {
			c.errorf(pj+".role", "%s needs a role", pj)
		} else {
			c.roleName(pj+".role", role)
		}
	}
}

// roleName checks an authrole: a WAMP URI ("user", "backend.admin").
func (c *checker) roleName(path, role string) {
	if !wampuri.Valid(role, codec.MatchExact) {
		c.errorf(path, "%s %q is not a valid role name (a WAMP URI: no spaces, no '#', no empty component)", path, role)
	}
}

// intIn checks a required integer within [lo, hi]; missing says what it is
// for when it is 0.
func (c *checker) intIn(path string, n, lo, hi int, missing string) {
	switch {
	case n == 0 && !c.given(path):
		c.errorf(path, "%s: %s", parent(path), missing)
	case n < lo || n > hi:
		c.errorf(path, "%s %d is out of range [%d, %d]", path, n, lo, hi)
	}
}

func (c *checker) scram(pj string, p SCRAMPrincipal) {
	switch p.KDF {
	case KDFArgon2id:
		c.intIn(pj+".memory", p.Memory, minMemoryKiB, maxMemoryKiB, "argon2id needs memory (KiB, e.g. 65536)")
	case KDFPBKDF2:
		if p.Memory != 0 {
			c.errorf(pj+".memory", "%s.memory applies to argon2id only (kdf is pbkdf2)", pj)
		}
	case "":
		c.errorf(pj+".kdf", "%s needs a kdf (%s or %s)", pj, KDFArgon2id, KDFPBKDF2)
	default:
		c.errorf(pj+".kdf", "%s.kdf %q is not %q or %q", pj, p.KDF, KDFArgon2id, KDFPBKDF2)
	}
	c.intIn(pj+".iterations", p.Iterations, 1, maxIterations, "it needs iterations")
	if p.Salt == "" {
		c.errorf(pj+".salt", "%s needs a salt (base64)", pj)
	} else if _, err := decodeBase64(p.Salt); err != nil {
		c.errorf(pj+".salt", "%s.salt is not base64", pj)
	}
	for _, k := range [...]struct {
		key string
		v   Secret
	}{{"stored_key", p.StoredKey}, {"server_key", p.ServerKey}} {
		b, err := decodeBase64(string(k.v))
		switch {
		case k.v == "":
			c.errorf(pj+"."+k.key, "%s needs a %s (base64)", pj, k.key)
		case err != nil || len(b) != scramKeySize:
			c.errorf(pj+"."+k.key, "%s.%s is not base64 of %d bytes", pj, k.key, scramKeySize)
		}
	}
}

// roles checks a realm's roles and their permission rules.
func (c *checker) roles(w string, roles []Role) {
	names := map[string]int{}
	for j, r := range roles {
		rj := index(w, j)
		switch first, dup := names[r.Name]; {
		case r.Name == "":
			c.errorf(rj+".name", "%s needs a name", rj)
		case dup:
			c.errorf(rj+".name", "%s: role %q is already defined in %s", rj, r.Name, index(w, first))
		default:
			names[r.Name] = j
			c.roleName(rj+".name", r.Name)
		}
		if r.Authorizer != "" && !wampuri.Valid(r.Authorizer, codec.MatchExact) {
			c.errorf(rj+".authorizer", "%s.authorizer %q is not a valid WAMP URI", rj, r.Authorizer)
		}
		if r.CacheTTL < 0 {
			c.errorf(rj+".cache_ttl", "%s.cache_ttl must not be negative", rj)
		}
		type rule struct {
			uri string
			m   codec.Match
		}
		rules := map[rule]int{}
		for k, p := range r.Permissions {
			pk := index(rj+".permissions", k)
			m, ok := MatchPolicy(p.Match)
			if !ok || (p.Match == "" && c.given(pk+".match")) {
				c.errorf(pk+".match", "%s.match %q must be exact, prefix or wildcard", pk, p.Match)
				continue
			}
			switch {
			case p.URI == "" && m == codec.MatchPrefix: // every URI
			case p.URI == "":
				c.errorf(pk+".uri", "%s needs a uri (an empty uri with match: prefix matches every URI)", pk)
				continue
			case !wampuri.Valid(p.URI, m):
				c.errorf(pk+".uri", "%s.uri %q is not a valid %s pattern", pk, p.URI, matchNames[m])
				continue
			}
			if first, dup := rules[rule{p.URI, m}]; dup {
				c.errorf(pk, "%s: uri %q with match %s is already %s", pk, p.URI, matchNames[m], index(rj+".permissions", first))
				continue
			}
			rules[rule{p.URI, m}] = k
		}
	}
}

var matchNames = map[codec.Match]string{codec.MatchExact: "exact", codec.MatchPrefix: "prefix", codec.MatchWildcard: "wildcard"}

// relations checks what spans several keys, once every value is valid.
func (c *checker) relations(cfg *Config) {
	if len(cfg.Listeners) == 0 {
		c.errorf("listeners", "no listeners configured")
	}
	wsPath := ""
	addrs := map[string]int{}
	for i, l := range cfg.Listeners {
		w := index("listeners", i)
		switch {
		case l.Listen == "" && l.Unix == "":
			c.errorf(w, "%s needs \"listen\" (host:port) or \"unix\" (socket path)", w)
		case l.Listen != "" && l.Unix != "":
			c.errorf(w, "%s has both \"listen\" and \"unix\"; use one listener for each", w)
		case l.Listen != "":
			if _, port, err := net.SplitHostPort(l.Listen); err != nil {
				c.errorf(w, "%s.listen %q is not host:port", w, l.Listen)
			} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > math.MaxUint16 {
				c.errorf(w, "%s.listen %q has an invalid port", w, l.Listen)
			}
		}
		if len(l.Transports) == 0 {
			c.errorf(w, "%s has no transports (want [%s], [%s] or both)", w, TransportWebSocket, TransportRawSocket)
		}
		if l.Unix == "" && (l.Mode != "" || l.Owner != "" || l.Group != "") {
			c.errorf(w, "%s: mode, owner and group apply to unix sockets only", w)
		}
		if l.Unix != "" && l.Has(TransportWebSocket) {
			c.errorf(w, "%s: WebSocket on a unix socket is not supported; use rawsocket", w)
		}
		if l.Unix != "" && l.TLS != nil {
			c.errorf(w, "%s: tls applies to TCP listeners only", w)
		}
		if l.WSPath != "" && !l.Has(TransportWebSocket) {
			c.errorf(w, "%s has ws_path but no websocket transport", w)
		}
		if len(l.Origins) > 0 && !l.Has(TransportWebSocket) {
			c.errorf(w, "%s has origins but no websocket transport", w)
		}
		if t := l.TLS; t != nil && (t.ClientAuth == ClientAuthOptional || t.ClientAuth == ClientAuthRequired) && t.ClientCA == "" {
			c.errorf(w+".tls.client_auth", "%s.tls: client_auth %s needs client_ca (the CAs client certificates are verified against)", w, t.ClientAuth)
		}
		if l.Has(TransportWebSocket) {
			// netpoll serves one upgrade path for the whole server.
			if wsPath != "" && l.Path() != wsPath {
				c.errorf(w, "%s.ws_path %q differs from %q; all WebSocket listeners share one path", w, l.Path(), wsPath)
			}
			wsPath = l.Path()
		}
		key := l.Listen + l.Unix
		if j, dup := addrs[key]; dup && !strings.HasSuffix(key, ":0") {
			c.errorf(w, "%s uses the same address %q as listeners[%d]", w, key, j)
		}
		addrs[key] = i
	}
	if len(cfg.Realms) == 0 {
		c.errorf("realms", "no realms configured")
	}
	names := map[string]int{}
	for i, r := range cfg.Realms {
		if r.Name == "" {
			continue
		}
		if j, dup := names[r.Name]; dup {
			c.errorf(index("realms", i), "%s: realm %q is already defined in realms[%d]", index("realms", i), r.Name, j)
		}
		names[r.Name] = i
	}
	for i, r := range cfg.Realms {
		w := index("realms", i)
		if r.Name == "" {
			c.errorf(w, "%s has no name", w)
		}
		if r.Auth.Anonymous != nil && (r.Anonymous || c.given(w+".anonymous")) {
			c.errorf(w+".auth.anonymous", "%s has both anonymous and auth.anonymous; keep auth.anonymous (it names the role)", w)
		}
		if d := r.Auth.Dynamic; d != nil && d.Realm != "" {
			if _, ok := names[d.Realm]; !ok {
				c.errorf(w+".auth.dynamic.realm", "%s.auth.dynamic.realm %q is not a configured realm", w, d.Realm)
			}
		}
	}
	c.bridgeAddrs(cfg)
}
