package config

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/internal/wampuri"
)

// Defaults of realms[].bridge, filled in by Parse where a key is absent
// (and by the bridge for a Config built in code that leaves them 0).
const (
	DefaultBridgePathPrefix    = "/"
	DefaultBridgeMaxBody       = 1 << 20
	DefaultBridgeCallTimeout   = 10 * time.Second
	DefaultBridgeReadTimeout   = 10 * time.Second
	DefaultBridgeIdleTimeout   = 60 * time.Second
	DefaultBridgeMaxConcurrent = 256

	// DefaultBridgeOutboundRole is the authrole of the bridge's outbound
	// session (authid BridgeOutboundAuthID) when outbound_role is absent.
	DefaultBridgeOutboundRole = "anonymous"
	// DefaultForwardTimeout bounds one HTTP attempt of a forward.
	DefaultForwardTimeout = 10 * time.Second
	// DefaultForwardQueue bounds a forward's pending deliveries.
	DefaultForwardQueue = 1024
)

// BridgeOutboundAuthID is the authid of a bridge's outbound session, the
// one that subscribes for forward_events and registers forward_calls.
const BridgeOutboundAuthID = "wampd.bridge"

// MinHMACKey is the shortest hmac_key accepted (bytes).
const MinHMACKey = 16

// Bounds of realms[].bridge values: sanity caps against typos.
const (
	maxBridgeBody       = 64 << 20
	maxBridgeConcurrent = 100_000
	maxForwardRetries   = 100
	maxForwardQueue     = 1 << 20
)

// webhookName is what a webhook's name may hold: it is a path segment.
var webhookName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Bridge is a realm's HTTP bridge: plain HTTP clients publish and call in
// the realm through in-process sessions, one per principal, authenticated
// by a bearer token and authorized by the realm's roles like any session.
type Bridge struct {
	// Listen is the host:port the bridge serves HTTP on.
	Listen string `yaml:"listen"`
	// PathPrefix is put before every endpoint ("/api/" serves
	// /api/publish); it starts and ends with "/".
	PathPrefix string `yaml:"path_prefix,omitempty"`
	// MaxBody bounds a request's body; a larger one gets 413.
	MaxBody Size `yaml:"max_body,omitempty"`
	// CallTimeout is the longest a /call waits for its RESULT (and the
	// call's timeout when the request names none or a longer one).
	CallTimeout Duration `yaml:"call_timeout,omitempty"`
	// ReadTimeout bounds reading a request (headers and body);
	// IdleTimeout closes idle keep-alive connections. The write timeout
	// follows from CallTimeout.
	ReadTimeout Duration `yaml:"read_timeout,omitempty"`
	IdleTimeout Duration `yaml:"idle_timeout,omitempty"`
	// MaxConcurrent bounds the requests served at once; past it a request
	// gets 503 at once.
	MaxConcurrent int `yaml:"max_concurrent,omitempty"`
	// Principals are the bearer tokens accepted, each mapped to an
	// identity.
	Principals []BridgePrincipal `yaml:"principals"`
	// Webhooks are the endpoints POST /webhook/NAME.
	Webhooks []Webhook `yaml:"webhooks,omitempty"`
	// OutboundRole is the authrole of the outbound session (authid
	// "wampd.bridge") whose subscriptions and registrations serve
	// ForwardEvents and ForwardCalls, authorized by the realm's rules.
	OutboundRole string `yaml:"outbound_role,omitempty"`
	// ForwardEvents are subscriptions whose events are POSTed to a URL.
	ForwardEvents []ForwardEvent `yaml:"forward_events,omitempty"`
	// ForwardCalls are procedures served by POSTing the call to a URL.
	ForwardCalls []ForwardCall `yaml:"forward_calls,omitempty"`
}

// Forward is what every outbound target has: where it POSTs, how long one
// attempt may take, how often a failed one is retried (with backoff) and
// how many deliveries may wait (past it, new ones are dropped and counted).
// ForwardEvent and ForwardCall spell its keys out (the configuration's key
// checker does not follow inlined structs) and return it from Target.
type Forward struct {
	URL     string
	Timeout Duration
	Retries int
	Queue   int
}

// ForwardEvent is a subscription of the outbound session (Topic with the
// Match policy: exact, prefix or wildcard) whose events are POSTed as JSON
// {"topic","args","kwargs","details"}.
type ForwardEvent struct {
	Topic   string   `yaml:"topic"`
	Match   string   `yaml:"match,omitempty"`
	URL     string   `yaml:"url"`
	Timeout Duration `yaml:"timeout,omitempty"`
	Retries int      `yaml:"retries,omitempty"`
	Queue   int      `yaml:"queue,omitempty"`
}

// Target is f's outbound target.
func (f ForwardEvent) Target() Forward {
	return Forward{URL: f.URL, Timeout: f.Timeout, Retries: f.Retries, Queue: f.Queue}
}

// ForwardCall is a registration of the outbound session: each call is
// POSTed as JSON {"procedure","args","kwargs"} and the answer, {"args",
// "kwargs"} or {"error", "args", "kwargs"}, is YIELDed or returned as an
// ERROR.
type ForwardCall struct {
	Procedure string   `yaml:"procedure"`
	URL       string   `yaml:"url"`
	Timeout   Duration `yaml:"timeout,omitempty"`
	Retries   int      `yaml:"retries,omitempty"`
	Queue     int      `yaml:"queue,omitempty"`
}

// Target is f's outbound target.
func (f ForwardCall) Target() Forward {
	return Forward{URL: f.URL, Timeout: f.Timeout, Retries: f.Retries, Queue: f.Queue}
}

func (b *Bridge) setDefaults() {
	b.PathPrefix = DefaultBridgePathPrefix
	b.MaxBody = DefaultBridgeMaxBody
	b.CallTimeout = Duration(DefaultBridgeCallTimeout)
	b.ReadTimeout = Duration(DefaultBridgeReadTimeout)
	b.IdleTimeout = Duration(DefaultBridgeIdleTimeout)
	b.MaxConcurrent = DefaultBridgeMaxConcurrent
	b.OutboundRole = DefaultBridgeOutboundRole
}

// BridgePrincipal is one identity of a bridge, with one way to prove it:
// TokenHash is what `wampd hash` prints for a bearer token (never the
// token itself), HMACKey the key of HMAC-signed requests (stored as given:
// verifying an HMAC needs the key). Requests proving it act as AuthID
// with Role.
type BridgePrincipal struct {
	TokenHash Secret `yaml:"token_hash,omitempty"`
	HMACKey   Secret `yaml:"hmac_key,omitempty"`
	AuthID    string `yaml:"authid"`
	Role      string `yaml:"role"`
}

// Webhook is one POST /webhook/NAME endpoint: the request's body and the
// listed headers are published to Topic.
type Webhook struct {
	Name  string `yaml:"name"`
	Topic string `yaml:"topic"`
	// Headers are the request headers put in the event (case-insensitive
	// names); nil is Content-Type and User-Agent.
	Headers []string `yaml:"headers,omitempty"`
}

// DefaultWebhookHeaders are the headers a webhook publishes when it lists
// none.
var DefaultWebhookHeaders = []string{"Content-Type", "User-Agent"}

// HeaderNames is the canonical names of the headers w publishes.
func (w Webhook) HeaderNames() []string {
	hs := w.Headers
	if hs == nil {
		hs = DefaultWebhookHeaders
	}
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = http.CanonicalHeaderKey(h)
	}
	return out
}

// bridge checks a realm's bridge on its own values.
func (c *checker) bridge(w string, b *Bridge) {
	if b.Listen == "" {
		c.errorf(w+".listen", "%s needs listen (host:port)", w)
	} else if _, _, err := net.SplitHostPort(b.Listen); err != nil {
		c.errorf(w+".listen", "%s.listen %q is not host:port", w, b.Listen)
	}
	if p := b.PathPrefix; (p != "" || c.given(w+".path_prefix")) && (!strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/")) {
		c.errorf(w+".path_prefix", "%s.path_prefix %q must start and end with \"/\"", w, p)
	}
	if b.MaxBody < 0 || b.MaxBody > maxBridgeBody {
		c.errorf(w+".max_body", "%s.max_body %v is out of range [1B, %v] (0 is the default, %v)", w, b.MaxBody, Size(maxBridgeBody), Size(DefaultBridgeMaxBody))
	}
	for _, d := range [...]struct {
		key string
		v   Duration
	}{{"call_timeout", b.CallTimeout}, {"read_timeout", b.ReadTimeout}, {"idle_timeout", b.IdleTimeout}} {
		if d.v < 0 || (d.v == 0 && c.given(w+"."+d.key)) {
			c.errorf(w+"."+d.key, "%s.%s must be positive", w, d.key)
		}
	}
	if n := b.MaxConcurrent; n < 0 || n > maxBridgeConcurrent {
		c.errorf(w+".max_concurrent", "%s.max_concurrent %d is out of range [1, %d]", w, n, maxBridgeConcurrent)
	}
	pw := w + ".principals"
	if len(b.Principals) == 0 && len(b.ForwardEvents) == 0 && len(b.ForwardCalls) == 0 {
		c.errorf(pw, "%s needs principals (bearer tokens, stored as `wampd hash` prints them)", w)
	}
	c.principals(pw, len(b.Principals), func(j int) (string, string) {
		return b.Principals[j].AuthID, b.Principals[j].Role
	})
	for j, p := range b.Principals {
		path := index(pw, j) + ".token_hash"
		switch t := string(p.TokenHash); {
		case t == "" && p.HMACKey != "":
			if len(p.HMACKey) < MinHMACKey {
				c.errorf(index(pw, j)+".hmac_key", "%s.hmac_key is shorter than %d bytes", index(pw, j), MinHMACKey)
			}
		case t != "" && p.HMACKey != "":
			c.errorf(path, "%s has both token_hash and hmac_key: give one", index(pw, j))
		case t == "":
			c.errorf(path, "%s needs a token_hash (a hash made by `wampd hash`) or an hmac_key", index(pw, j))
		case !strings.HasPrefix(t, TicketHashArgon2id) && !strings.HasPrefix(t, TicketHashPBKDF2):
			c.errorf(path, "%s is not a token hash (%s... or %s...): store what `wampd hash` prints, never the token itself", path, TicketHashArgon2id, TicketHashPBKDF2)
		}
	}
	names := map[string]int{}
	for j, h := range b.Webhooks {
		hj := index(w+".webhooks", j)
		switch first, dup := names[h.Name]; {
		case h.Name == "":
			c.errorf(hj+".name", "%s needs a name (POST /webhook/NAME)", hj)
		case !webhookName.MatchString(h.Name):
			c.errorf(hj+".name", "%s.name %q may hold only letters, digits, '.', '_' and '-'", hj, h.Name)
		case dup:
			c.errorf(hj+".name", "%s: webhook %q is already defined in %s", hj, h.Name, index(w+".webhooks", first))
		default:
			names[h.Name] = j
		}
		switch {
		case h.Topic == "":
			c.errorf(hj+".topic", "%s needs a topic", hj)
		case !wampuri.Valid(h.Topic, codec.MatchExact):
			c.errorf(hj+".topic", "%s.topic %q is not a valid WAMP URI", hj, h.Topic)
		}
		for k, name := range h.Headers {
			hk := index(hj+".headers", k)
			switch {
			case !validHeaderName(name):
				c.errorf(hk, "%s %q is not an HTTP header name", hk, name)
			case slices.ContainsFunc(h.Headers[:k], func(s string) bool { return strings.EqualFold(s, name) }):
				c.errorf(hk, "%s: header %q listed twice", hj+".headers", name)
			}
		}
	}
	if b.OutboundRole != "" {
		c.roleName(w+".outbound_role", b.OutboundRole)
	}
	for j, f := range b.ForwardEvents {
		fj := index(w+".forward_events", j)
		m, ok := codec.ParseMatch(f.Match)
		switch {
		case !ok:
			c.errorf(fj+".match", "%s.match %q is not exact, prefix or wildcard", fj, f.Match)
		case f.Topic == "":
			c.errorf(fj+".topic", "%s needs a topic", fj)
		case !wampuri.Valid(f.Topic, m):
			c.errorf(fj+".topic", "%s.topic %q is not a valid WAMP URI for match %q", fj, f.Topic, f.Match)
		}
		c.forward(fj, f.Target())
	}
	procs := map[string]int{}
	for j, f := range b.ForwardCalls {
		fj := index(w+".forward_calls", j)
		switch first, dup := procs[f.Procedure]; {
		case f.Procedure == "":
			c.errorf(fj+".procedure", "%s needs a procedure", fj)
		case !wampuri.Valid(f.Procedure, codec.MatchExact):
			c.errorf(fj+".procedure", "%s.procedure %q is not a valid WAMP URI", fj, f.Procedure)
		case dup:
			c.errorf(fj+".procedure", "%s: procedure %q is already forwarded by %s", fj, f.Procedure, index(w+".forward_calls", first))
		default:
			procs[f.Procedure] = j
		}
		c.forward(fj, f.Target())
	}
}

// forward checks an outbound target's url, timeout, retries and queue.
func (c *checker) forward(w string, f Forward) {
	if u, err := url.Parse(f.URL); f.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.errorf(w+".url", "%s needs a url (http:// or https://), not %q", w, f.URL)
	}
	if f.Timeout < 0 || (f.Timeout == 0 && c.given(w+".timeout")) {
		c.errorf(w+".timeout", "%s.timeout must be positive", w)
	}
	if f.Retries < 0 || f.Retries > maxForwardRetries {
		c.errorf(w+".retries", "%s.retries %d is out of range [0, %d]", w, f.Retries, maxForwardRetries)
	}
	if f.Queue < 0 || f.Queue > maxForwardQueue {
		c.errorf(w+".queue", "%s.queue %d is out of range [1, %d] (0 is the default, %d)", w, f.Queue, maxForwardQueue, DefaultForwardQueue)
	}
}

// validHeaderName reports whether s is an HTTP field name (RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// bridgeAddrs checks that no two bridges, and no bridge and another
// listener, share an address (port 0 excepted: the kernel picks one each).
func (c *checker) bridgeAddrs(cfg *Config) {
	used := map[string]string{}
	for i, l := range cfg.Listeners {
		if l.Listen != "" {
			used[l.Listen] = index("listeners", i)
		}
	}
	for _, o := range [...]struct{ key, addr string }{{"metrics.listen", cfg.Metrics.Listen}, {"debug.listen", cfg.Debug.Listen}} {
		if o.addr != "" {
			used[o.addr] = o.key
		}
	}
	for i, r := range cfg.Realms {
		if r.Bridge == nil {
			continue
		}
		w := index("realms", i) + ".bridge.listen"
		a := r.Bridge.Listen
		if first, dup := used[a]; dup && !strings.HasSuffix(a, ":0") {
			c.errorf(w, "%s %q is already used by %s", w, a, first)
			continue
		}
		used[a] = w
	}
}
