package config

import (
	"net"
	"net/http"
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
)

// Bounds of realms[].bridge values: sanity caps against typos.
const (
	maxBridgeBody       = 64 << 20
	maxBridgeConcurrent = 100_000
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
}

func (b *Bridge) setDefaults() {
	b.PathPrefix = DefaultBridgePathPrefix
	b.MaxBody = DefaultBridgeMaxBody
	b.CallTimeout = Duration(DefaultBridgeCallTimeout)
	b.ReadTimeout = Duration(DefaultBridgeReadTimeout)
	b.IdleTimeout = Duration(DefaultBridgeIdleTimeout)
	b.MaxConcurrent = DefaultBridgeMaxConcurrent
}

// BridgePrincipal is one bearer token of a bridge: TokenHash is what
// `wampd hash` prints for the token (never the token itself); requests
// bearing it act as AuthID with Role.
type BridgePrincipal struct {
	TokenHash Secret `yaml:"token_hash"`
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
	if len(b.Principals) == 0 {
		c.errorf(pw, "%s needs principals (bearer tokens, stored as `wampd hash` prints them)", w)
	}
	c.principals(pw, len(b.Principals), func(j int) (string, string) {
		return b.Principals[j].AuthID, b.Principals[j].Role
	})
	for j, p := range b.Principals {
		path := index(pw, j) + ".token_hash"
		switch t := string(p.TokenHash); {
		case t == "":
			c.errorf(path, "%s needs a token_hash (a hash made by `wampd hash`)", index(pw, j))
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
