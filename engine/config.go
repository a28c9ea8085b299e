package engine

import (
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/realm"
)

// DefaultYAML is the configuration wampd serves when started without
// arguments; `wampd check-config` prints it as the annotated reference.
//
//go:embed default.yaml
var DefaultYAML []byte

// Transport names accepted in listeners[].transports.
const (
	TransportWebSocket = "websocket"
	TransportRawSocket = "rawsocket"
)

// Outbound policies accepted in limits.outbound_policy.
const (
	PolicyDisconnect = "disconnect"
	PolicyDrop       = "drop"
)

// Log formats accepted in log.format.
const (
	LogText = "text"
	LogJSON = "json"
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

// Config is wampd's whole configuration. Its zero value is not useful:
// start from Default, Parse or Load.
type Config struct {
	Listeners []Listener `yaml:"listeners"`
	Realms    []Realm    `yaml:"realms"`
	Limits    Limits     `yaml:"limits"`
	Log       Log        `yaml:"log"`
	Metrics   Metrics    `yaml:"metrics"`
	Debug     Debug      `yaml:"debug"`
	Tuning    Tuning     `yaml:"tuning"`
}

// Listener is one listening socket. Exactly one of Listen (TCP host:port)
// and Unix (socket path) is set. Both transports may share one socket:
// netpoll tells them apart by their first bytes.
type Listener struct {
	Listen     string   `yaml:"listen,omitempty"`
	Unix       string   `yaml:"unix,omitempty"`
	Transports []string `yaml:"transports"`
	// WSPath is the HTTP path of the WebSocket upgrade (default "/ws").
	WSPath string `yaml:"ws_path,omitempty"`
	// Mode, Owner and Group apply to a unix socket's file once it is
	// bound: octal permission bits ("0660"; clients need write permission
	// to connect) and a user and group, by name or number. Empty leaves what
	// the socket was created with (the umask's bits, wampd's user).
	Mode  string `yaml:"mode,omitempty"`
	Owner string `yaml:"owner,omitempty"`
	Group string `yaml:"group,omitempty"`
}

// Has reports whether l serves transport t.
func (l Listener) Has(t string) bool { return slices.Contains(l.Transports, t) }

// Realm is one realm the router serves.
type Realm struct {
	Name string `yaml:"name"`
	// Anonymous lets clients join without credentials (authmethod
	// "anonymous", authrole "anonymous").
	Anonymous bool `yaml:"anonymous"`
	// MetaAPI turns the meta API on (nil: on): wamp.session.*,
	// wamp.subscription.*, wamp.registration.* procedures and events,
	// testaments.
	MetaAPI *bool `yaml:"meta_api,omitempty"`
	// RetainedBytes bounds the realm's retained events (0: 16MiB).
	RetainedBytes Size `yaml:"retained_bytes,omitempty"`
	// History names the topics whose last events the realm keeps for
	// wamp.subscription.get_events.
	History []History `yaml:"history,omitempty"`
	// Limits bounds what one session, and the realm, may hold.
	Limits RealmLimits `yaml:"limits,omitempty"`
}

// MetaAPIOn reports whether the realm serves the meta API.
func (r Realm) MetaAPIOn() bool { return r.MetaAPI == nil || *r.MetaAPI }

// History is one event history rule of a realm.
type History struct {
	Topic string `yaml:"topic"`
	// Match is exact (default), prefix or wildcard.
	Match string `yaml:"match,omitempty"`
	// Limit is how many events are kept per topic.
	Limit int `yaml:"limit"`
	// MaxBytes bounds the bytes kept for all the rule's topics (0: 1MiB
	// for a prefix or wildcard rule, Limit alone for an exact one).
	MaxBytes Size `yaml:"max_bytes,omitempty"`
}

// RealmLimits are a realm's bounds on sessions' state; 0 is no bound.
type RealmLimits struct {
	PendingCallsPerSession  int `yaml:"max_pending_calls_per_session,omitempty"`
	PendingCallsPerRealm    int `yaml:"max_pending_calls,omitempty"`
	SubscriptionsPerSession int `yaml:"max_subscriptions_per_session,omitempty"`
	RegistrationsPerSession int `yaml:"max_registrations_per_session,omitempty"`
}

// Limits bounds what one client may cost the router.
type Limits struct {
	// MaxMessageSize is the largest WAMP message accepted, in bytes.
	MaxMessageSize Size `yaml:"max_message_size"`
	// OutboundQueue is each session's outbound byte bound.
	OutboundQueue Size `yaml:"outbound_queue"`
	// OutboundPolicy says what happens to a session over OutboundQueue:
	// "disconnect" it, or "drop" its events (and count them).
	OutboundPolicy string `yaml:"outbound_policy"`
	// MaxSessions caps the sessions of the whole router; 0 is no cap.
	MaxSessions int `yaml:"max_sessions"`
	// HandshakeTimeout closes connections that have not joined a realm in
	// time (transport handshake plus HELLO).
	HandshakeTimeout Duration `yaml:"handshake_timeout"`
	// MemoryLimit is the Go runtime's soft memory limit
	// (runtime/debug.SetMemoryLimit): the GC runs harder as the heap nears
	// it instead of letting it double (GOGC). 0 leaves the runtime's setting
	// (the GOMEMLIMIT environment variable, or none).
	MemoryLimit Size `yaml:"memory_limit"`
}

// Log configures the process logger.
type Log struct {
	Format string `yaml:"format"` // text or json
	Level  string `yaml:"level"`  // debug, info, warn, error
}

// Metrics configures the optional Prometheus endpoint.
type Metrics struct {
	// Listen is the host:port of the HTTP listener serving /metrics; empty
	// disables it.
	Listen string `yaml:"listen"`
}

// Debug configures the optional debug listener: net/http/pprof under
// /debug/pprof/ and GC figures as JSON at /debug/gc, for profiling a running
// router. It exposes internals: bind it to loopback.
type Debug struct {
	// Listen is the host:port of the debug HTTP listener; empty disables
	// it. It may equal metrics.listen (one listener then serves both).
	Listen string `yaml:"listen"`
}

// Tuning holds knobs that change speed, never behaviour.
type Tuning struct {
	// EventLoops is the number of network event loops; 0 picks
	// GOMAXPROCS-1 (at least 1), leaving a core to the realm actors.
	EventLoops int `yaml:"event_loops"`
}

// Size is a byte count; the YAML accepts an int or a string with a unit
// ("16MiB", "512KB", "1GiB").
type Size int64

// String formats s with the largest binary unit that divides it.
func (s Size) String() string {
	for _, u := range [...]struct {
		name string
		n    Size
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if s >= u.n && s%u.n == 0 {
			return strconv.FormatInt(int64(s/u.n), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}

// MarshalYAML writes s in its unit form, so a dumped config reads back.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

// Duration is a time.Duration written as a Go duration string ("10s").
type Duration time.Duration

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes d as a duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Default returns the embedded default configuration (DefaultYAML).
func Default() Config {
	cfg, err := parse(DefaultYAML, baseline())
	if err != nil {
		// default.yaml is part of the binary and covered by tests.
		panic(fmt.Sprintf("engine: embedded default.yaml is invalid: %v", err))
	}
	return cfg
}

// baseline is what keys absent from default.yaml fall back to; it holds no
// listeners or realms, which default.yaml provides.
func baseline() Config {
	return Config{
		Limits: Limits{
			MaxMessageSize:   16 << 20,
			OutboundQueue:    4 << 20,
			OutboundPolicy:   PolicyDisconnect,
			HandshakeTimeout: Duration(10 * time.Second),
		},
		Log: Log{Format: LogText, Level: "info"},
	}
}

// Load reads and parses the configuration file at path.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("engine: read config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse parses a YAML configuration. Keys it omits keep their Default
// values; a listeners or realms list, when present, replaces the default
// list entirely. All problems are reported at once, each as a *ConfigError
// carrying its line (joined with errors.Join).
func Parse(data []byte) (Config, error) { return parse(data, Default()) }

func parse(data []byte, base Config) (Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Config{}, syntaxError(data, err)
	}
	d := decoder{}
	cfg := base
	if len(doc.Content) > 0 { // an empty file is the base config
		d.config(doc.Content[0], &cfg)
	}
	if len(d.errs) == 0 {
		d.validate(&cfg)
	}
	if len(d.errs) > 0 {
		return Config{}, errors.Join(d.errs...)
	}
	return cfg, nil
}

// ConfigError is one configuration problem at a line of the YAML (0 when
// it concerns the file as a whole).
type ConfigError struct {
	Line int
	Msg  string
}

// Error formats the problem as "line N: msg".
func (e *ConfigError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return "line " + strconv.Itoa(e.Line) + ": " + e.Msg
}

// Unwrap makes every ConfigError match ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// decoder walks the yaml.Node tree by hand, so that every error knows its
// line and unknown keys are caught (yaml.v3's KnownFields gives neither a
// suggestion nor all errors at once).
type decoder struct {
	errs []error
	// lines remembers where list items were, for validation errors.
	lines map[string]int
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &ConfigError{Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) mark(path string, n *yaml.Node) {
	if d.lines == nil {
		d.lines = map[string]int{}
	}
	d.lines[path] = n.Line
}

func (d *decoder) lineOf(path string) int { return d.lines[path] }

// field is one known key of a mapping and how to decode its value.
type field struct {
	key    string
	decode func(v *yaml.Node)
}

// mapping decodes the mapping n (called where, for messages) with fields,
// reporting unknown and duplicate keys.
func (d *decoder) mapping(n *yaml.Node, where string, fields []field) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "limits:" with nothing under it
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping, not %s", where, kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			d.errorf(k, "duplicate key %q in %s", k.Value, where)
			continue
		}
		seen[k.Value] = true
		idx := slices.IndexFunc(fields, func(f field) bool { return f.key == k.Value })
		if idx < 0 {
			keys := make([]string, len(fields))
			for j, f := range fields {
				keys[j] = f.key
			}
			if s := suggest(k.Value, keys); s != "" {
				d.errorf(k, "unknown key %q in %s (did you mean %q?)", k.Value, where, s)
			} else {
				d.errorf(k, "unknown key %q in %s (known: %s)", k.Value, where, strings.Join(keys, ", "))
			}
			continue
		}
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		fields[idx].decode(v)
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "empty"
}

func (d *decoder) config(n *yaml.Node, c *Config) {
	d.mapping(n, "the top level", []field{
		{"listeners", func(v *yaml.Node) { c.Listeners = d.listeners(v) }},
		{"realms", func(v *yaml.Node) { c.Realms = d.realms(v) }},
		{"limits", func(v *yaml.Node) { d.limits(v, &c.Limits) }},
		{"log", func(v *yaml.Node) { d.log(v, &c.Log) }},
		{"metrics", func(v *yaml.Node) { d.metrics(v, &c.Metrics) }},
		{"debug", func(v *yaml.Node) { d.debug(v, &c.Debug) }},
		{"tuning", func(v *yaml.Node) { d.tuning(v, &c.Tuning) }},
	})
}

func (d *decoder) seq(n *yaml.Node, where string) []*yaml.Node {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list, not %s", where, kindName(n))
		return nil
	}
	d.mark(where, n)
	return n.Content
}

func (d *decoder) listeners(n *yaml.Node) []Listener {
	items := d.seq(n, "listeners")
	out := make([]Listener, len(items))
	for i, it := range items {
		where := fmt.Sprintf("listeners[%d]", i)
		d.mark(where, it)
		l := &out[i]
		d.mapping(it, where, []field{
			{"listen", func(v *yaml.Node) { l.Listen = d.str(v, where+".listen") }},
			{"unix", func(v *yaml.Node) { l.Unix = d.str(v, where+".unix") }},
			{"mode", func(v *yaml.Node) {
				l.Mode = d.str(v, where+".mode")
				if _, err := parseMode(l.Mode); err != nil {
					d.errorf(v, "%s.mode: %v", where, err)
				}
			}},
			{"owner", func(v *yaml.Node) { l.Owner = d.str(v, where+".owner") }},
			{"group", func(v *yaml.Node) { l.Group = d.str(v, where+".group") }},
			{"ws_path", func(v *yaml.Node) {
				l.WSPath = d.str(v, where+".ws_path")
				if !strings.HasPrefix(l.WSPath, "/") {
					d.errorf(v, "%s.ws_path %q must start with \"/\"", where, l.WSPath)
				}
			}},
			{"transports", func(v *yaml.Node) {
				for j, t := range d.seq(v, where+".transports") {
					s := d.str(t, fmt.Sprintf("%s.transports[%d]", where, j))
					switch {
					case s != TransportWebSocket && s != TransportRawSocket:
						d.errorf(t, "%s: unknown transport %q (want %q or %q)", where, s, TransportWebSocket, TransportRawSocket)
					case slices.Contains(l.Transports, s):
						d.errorf(t, "%s: transport %q listed twice", where, s)
					default:
						l.Transports = append(l.Transports, s)
					}
				}
			}},
		})
		if l.Has(TransportWebSocket) && l.WSPath == "" {
			l.WSPath = "/ws"
		}
	}
	return out
}

func (d *decoder) realms(n *yaml.Node) []Realm {
	items := d.seq(n, "realms")
	out := make([]Realm, len(items))
	for i, it := range items {
		where := fmt.Sprintf("realms[%d]", i)
		d.mark(where, it)
		r := &out[i]
		d.mapping(it, where, []field{
			{"name", func(v *yaml.Node) {
				r.Name = d.str(v, where+".name")
				if !ValidURI(r.Name) {
					d.errorf(v, "%s.name %q is not a valid WAMP URI", where, r.Name)
				}
			}},
			{"anonymous", func(v *yaml.Node) { r.Anonymous = d.bool(v, where+".anonymous") }},
			{"meta_api", func(v *yaml.Node) {
				on := d.bool(v, where+".meta_api")
				r.MetaAPI = &on
			}},
			{"retained_bytes", func(v *yaml.Node) { r.RetainedBytes = d.size(v, where+".retained_bytes") }},
			{"history", func(v *yaml.Node) { r.History = d.history(v, where+".history") }},
			{"limits", func(v *yaml.Node) { d.realmLimits(v, where+".limits", &r.Limits) }},
		})
	}
	return out
}

// history decodes a realm's event history rules.
func (d *decoder) history(n *yaml.Node, where string) []History {
	items := d.seq(n, where)
	out := make([]History, len(items))
	for i, it := range items {
		w := fmt.Sprintf("%s[%d]", where, i)
		h := &out[i]
		d.mapping(it, w, []field{
			{"topic", func(v *yaml.Node) { h.Topic = d.str(v, w+".topic") }},
			{"match", func(v *yaml.Node) {
				h.Match = d.str(v, w+".match")
				if h.Match != "exact" && h.Match != "prefix" && h.Match != "wildcard" {
					d.errorf(v, "%s.match %q must be exact, prefix or wildcard", w, h.Match)
				}
			}},
			{"limit", func(v *yaml.Node) {
				h.Limit = d.int(v, w+".limit")
				if h.Limit < 1 || h.Limit > maxHistoryLimit {
					d.errorf(v, "%s.limit %d is out of range [1, %d]", w, h.Limit, maxHistoryLimit)
				}
			}},
			{"max_bytes", func(v *yaml.Node) { h.MaxBytes = d.size(v, w+".max_bytes") }},
		})
		if h.Topic == "" {
			d.errorf(it, "%s needs a topic", w)
		} else if !validPattern(h.Topic, h.Match) {
			d.errorf(it, "%s.topic %q is not a valid %s pattern", w, h.Topic, orDefault(h.Match, "exact"))
		}
		if h.Limit == 0 {
			d.errorf(it, "%s needs a limit (events kept per topic)", w)
		}
	}
	return out
}

// maxHistoryLimit bounds the events kept per topic.
const maxHistoryLimit = 1_000_000

// validPattern checks a history topic with the realm's own URI rules for
// its match policy.
func validPattern(topic, match string) bool {
	m, _ := matchPolicy(match)
	return realm.ValidURI(topic, m)
}

// matchPolicy maps a match option name to its policy ("" is exact).
func matchPolicy(name string) (codec.Match, bool) {
	switch name {
	case "", "exact":
		return codec.MatchExact, true
	case "prefix":
		return codec.MatchPrefix, true
	case "wildcard":
		return codec.MatchWildcard, true
	}
	return 0, false
}

func (d *decoder) realmLimits(n *yaml.Node, where string, l *RealmLimits) {
	nonNeg := func(p *int, key string) func(v *yaml.Node) {
		return func(v *yaml.Node) {
			*p = d.int(v, where+"."+key)
			if *p < 0 {
				d.errorf(v, "%s.%s must not be negative", where, key)
			}
		}
	}
	d.mapping(n, where, []field{
		{"max_pending_calls_per_session", nonNeg(&l.PendingCallsPerSession, "max_pending_calls_per_session")},
		{"max_pending_calls", nonNeg(&l.PendingCallsPerRealm, "max_pending_calls")},
		{"max_subscriptions_per_session", nonNeg(&l.SubscriptionsPerSession, "max_subscriptions_per_session")},
		{"max_registrations_per_session", nonNeg(&l.RegistrationsPerSession, "max_registrations_per_session")},
	})
}

func (d *decoder) limits(n *yaml.Node, l *Limits) {
	d.mapping(n, "limits", []field{
		{"max_message_size", func(v *yaml.Node) {
			l.MaxMessageSize = d.size(v, "limits.max_message_size")
			if l.MaxMessageSize != 0 && (l.MaxMessageSize < minMessageSize || l.MaxMessageSize > maxMessageSize) {
				d.errorf(v, "limits.max_message_size %v is out of range [%v, %v]", l.MaxMessageSize, Size(minMessageSize), Size(maxMessageSize))
			}
		}},
		{"outbound_queue", func(v *yaml.Node) {
			l.OutboundQueue = d.size(v, "limits.outbound_queue")
			if l.OutboundQueue != 0 && l.OutboundQueue < 4<<10 {
				d.errorf(v, "limits.outbound_queue %v is below the minimum of 4KiB", l.OutboundQueue)
			}
		}},
		{"outbound_policy", func(v *yaml.Node) {
			l.OutboundPolicy = d.str(v, "limits.outbound_policy")
			if l.OutboundPolicy != PolicyDisconnect && l.OutboundPolicy != PolicyDrop {
				d.errorf(v, "limits.outbound_policy %q is not %q or %q", l.OutboundPolicy, PolicyDisconnect, PolicyDrop)
			}
		}},
		{"max_sessions", func(v *yaml.Node) {
			l.MaxSessions = d.int(v, "limits.max_sessions")
			if l.MaxSessions < 0 {
				d.errorf(v, "limits.max_sessions must be >= 0 (0 means no limit), not %d", l.MaxSessions)
			}
		}},
		{"handshake_timeout", func(v *yaml.Node) {
			l.HandshakeTimeout = d.duration(v, "limits.handshake_timeout")
			if l.HandshakeTimeout < 0 {
				d.errorf(v, "limits.handshake_timeout must not be negative")
			}
		}},
		{"memory_limit", func(v *yaml.Node) {
			l.MemoryLimit = d.size(v, "limits.memory_limit")
			if l.MemoryLimit != 0 && l.MemoryLimit < minMemoryLimit {
				d.errorf(v, "limits.memory_limit %v is below the minimum of %v (0 leaves the runtime's setting)", l.MemoryLimit, Size(minMemoryLimit))
			}
		}},
	})
}

func (d *decoder) log(n *yaml.Node, l *Log) {
	d.mapping(n, "log", []field{
		{"format", func(v *yaml.Node) {
			l.Format = d.str(v, "log.format")
			if l.Format != LogText && l.Format != LogJSON {
				d.errorf(v, "log.format %q is not %q or %q", l.Format, LogText, LogJSON)
			}
		}},
		{"level", func(v *yaml.Node) {
			l.Level = d.str(v, "log.level")
			if _, err := ParseLevel(l.Level); err != nil {
				d.errorf(v, "log.level: %v", err)
			}
		}},
	})
}

func (d *decoder) metrics(n *yaml.Node, m *Metrics) {
	d.mapping(n, "metrics", []field{
		{"listen", func(v *yaml.Node) { m.Listen = d.listenAddr(v, "metrics.listen") }},
	})
}

func (d *decoder) debug(n *yaml.Node, c *Debug) {
	d.mapping(n, "debug", []field{
		{"listen", func(v *yaml.Node) { c.Listen = d.listenAddr(v, "debug.listen") }},
	})
}

// listenAddr reads an optional HTTP listener address: empty, or host:port.
func (d *decoder) listenAddr(v *yaml.Node, where string) string {
	a := d.str(v, where)
	if a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			d.errorf(v, "%s %q is not host:port", where, a)
		}
	}
	return a
}

func (d *decoder) tuning(n *yaml.Node, t *Tuning) {
	d.mapping(n, "tuning", []field{
		{"event_loops", func(v *yaml.Node) {
			t.EventLoops = d.int(v, "tuning.event_loops")
			if t.EventLoops < 0 || t.EventLoops > maxEventLoops {
				d.errorf(v, "tuning.event_loops %d is out of range [0, %d] (0 picks GOMAXPROCS-1)", t.EventLoops, maxEventLoops)
			}
		}},
	})
}

func (d *decoder) scalar(n *yaml.Node, where, want string) bool {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be %s, not %s", where, want, kindName(n))
		return false
	}
	return true
}

func (d *decoder) str(n *yaml.Node, where string) string {
	if !d.scalar(n, where, "a string") {
		return ""
	}
	if n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

func (d *decoder) bool(n *yaml.Node, where string) bool {
	if !d.scalar(n, where, "true or false") {
		return false
	}
	var b bool
	if n.Tag != "!!bool" || n.Decode(&b) != nil {
		d.errorf(n, "%s must be true or false, not %q", where, n.Value)
	}
	return b
}

func (d *decoder) int(n *yaml.Node, where string) int {
	if !d.scalar(n, where, "an integer") {
		return 0
	}
	i, err := strconv.Atoi(n.Value)
	if n.Tag != "!!int" || err != nil {
		d.errorf(n, "%s must be an integer, not %q", where, n.Value)
	}
	return i
}

func (d *decoder) size(n *yaml.Node, where string) Size {
	if !d.scalar(n, where, "a size") {
		return 0
	}
	s, err := ParseSize(n.Value)
	if err != nil {
		d.errorf(n, "%s: %v", where, err)
	}
	return s
}

func (d *decoder) duration(n *yaml.Node, where string) Duration {
	if !d.scalar(n, where, "a duration") {
		return 0
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		d.errorf(n, "%s: %q is not a duration (want e.g. \"10s\", \"500ms\")", where, n.Value)
	}
	return Duration(v)
}

// validate checks what spans several keys, once every key decoded.
func (d *decoder) validate(c *Config) {
	at := func(path string) *yaml.Node { return &yaml.Node{Line: d.lineOf(path)} }
	if len(c.Listeners) == 0 {
		d.errorf(at("listeners"), "no listeners configured")
	}
	wsPath := ""
	addrs := map[string]int{}
	for i, l := range c.Listeners {
		where := fmt.Sprintf("listeners[%d]", i)
		n := at(where)
		switch {
		case l.Listen == "" && l.Unix == "":
			d.errorf(n, "%s needs \"listen\" (host:port) or \"unix\" (socket path)", where)
		case l.Listen != "" && l.Unix != "":
			d.errorf(n, "%s has both \"listen\" and \"unix\"; use one listener for each", where)
		case l.Listen != "":
			if _, port, err := net.SplitHostPort(l.Listen); err != nil {
				d.errorf(n, "%s.listen %q is not host:port", where, l.Listen)
			} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > math.MaxUint16 {
				d.errorf(n, "%s.listen %q has an invalid port", where, l.Listen)
			}
		}
		if len(l.Transports) == 0 {
			d.errorf(n, "%s has no transports (want [%s], [%s] or both)", where, TransportWebSocket, TransportRawSocket)
		}
		if l.Unix == "" && (l.Mode != "" || l.Owner != "" || l.Group != "") {
			d.errorf(n, "%s: mode, owner and group apply to unix sockets only", where)
		}
		if l.Unix != "" && l.Has(TransportWebSocket) {
			d.errorf(n, "%s: WebSocket on a unix socket is not supported; use rawsocket", where)
		}
		if l.WSPath != "" && !l.Has(TransportWebSocket) {
			d.errorf(n, "%s has ws_path but no websocket transport", where)
		}
		if l.Has(TransportWebSocket) {
			// netpoll serves one upgrade path for the whole server.
			if wsPath != "" && l.WSPath != wsPath {
				d.errorf(n, "%s.ws_path %q differs from %q; all WebSocket listeners share one path", where, l.WSPath, wsPath)
			}
			wsPath = l.WSPath
		}
		key := l.Listen + l.Unix
		if j, dup := addrs[key]; dup && !strings.HasSuffix(key, ":0") {
			d.errorf(n, "%s uses the same address %q as listeners[%d]", where, key, j)
		}
		addrs[key] = i
	}
	if len(c.Realms) == 0 {
		d.errorf(at("realms"), "no realms configured")
	}
	names := map[string]int{}
	for i, r := range c.Realms {
		where := fmt.Sprintf("realms[%d]", i)
		if r.Name == "" {
			d.errorf(at(where), "%s has no name", where)
		}
		if j, dup := names[r.Name]; dup && r.Name != "" {
			d.errorf(at(where), "%s: realm %q is already defined in realms[%d]", where, r.Name, j)
		}
		names[r.Name] = i
	}
}

// Validate checks a Config built in code with the same rules as Parse (by
// writing it as YAML and parsing that); its errors carry no line numbers.
func (c Config) Validate() error {
	data, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	_, err = parse(data, baseline())
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			var ce *ConfigError
			if errors.As(e, &ce) {
				ce.Line = 0
			}
		}
	}
	return err
}

// WSPath is the WebSocket upgrade path of the configuration ("/ws" when no
// listener serves WebSocket).
func (c Config) WSPath() string {
	for _, l := range c.Listeners {
		if l.Has(TransportWebSocket) {
			return l.WSPath
		}
	}
	return "/ws"
}

// Summary is a short human description of c, printed by check-config.
func (c Config) Summary() string {
	var b strings.Builder
	for _, l := range c.Listeners {
		addr := l.Listen
		if l.Unix != "" {
			addr = "unix:" + l.Unix
		}
		fmt.Fprintf(&b, "listener %s: %s", addr, strings.Join(l.Transports, "+"))
		if l.Has(TransportWebSocket) {
			fmt.Fprintf(&b, " (ws path %s)", l.WSPath)
		}
		if perm := l.permSummary(); perm != "" {
			fmt.Fprintf(&b, " (%s)", perm)
		}
		b.WriteByte('\n')
	}
	for _, r := range c.Realms {
		fmt.Fprintf(&b, "realm %s: anonymous=%t meta_api=%t", r.Name, r.Anonymous, r.MetaAPIOn())
		for _, h := range r.History {
			fmt.Fprintf(&b, " history=%s(%s, %d per topic)", h.Topic, orDefault(h.Match, "exact"), h.Limit)
		}
		b.WriteByte('\n')
	}
	maxSess := "unlimited"
	if c.Limits.MaxSessions > 0 {
		maxSess = strconv.Itoa(c.Limits.MaxSessions)
	}
	memLimit := "runtime default"
	if c.Limits.MemoryLimit > 0 {
		memLimit = c.Limits.MemoryLimit.String()
	}
	fmt.Fprintf(&b, "limits: max_message_size=%v outbound_queue=%v outbound_policy=%s max_sessions=%s handshake_timeout=%v memory_limit=%s\n",
		c.Limits.MaxMessageSize, c.Limits.OutboundQueue, c.Limits.OutboundPolicy, maxSess, c.Limits.HandshakeTimeout, memLimit)
	fmt.Fprintf(&b, "log: format=%s level=%s\n", c.Log.Format, c.Log.Level)
	if c.Metrics.Listen != "" {
		fmt.Fprintf(&b, "metrics: http://%s/metrics\n", c.Metrics.Listen)
	} else {
		b.WriteString("metrics: off\n")
	}
	if c.Debug.Listen != "" {
		fmt.Fprintf(&b, "debug: http://%s/debug/pprof/ http://%s/debug/gc\n", c.Debug.Listen, c.Debug.Listen)
	}
	loops := "auto (GOMAXPROCS-1, at least 1)"
	if c.Tuning.EventLoops > 0 {
		loops = strconv.Itoa(c.Tuning.EventLoops)
	}
	fmt.Fprintf(&b, "tuning: event_loops=%s\n", loops)
	return b.String()
}

// ParseSize parses a byte count: a plain integer, or a number with one of
// the units B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of
// 1024), case-insensitive ("16MiB", "512 kb").
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("%q is not a size (want e.g. 65536, \"64KiB\", \"16MiB\")", s)
	}
	var mult int64
	switch strings.ToLower(unit) {
	case "", "b":
		mult = 1
	case "kb":
		mult = 1000
	case "kib":
		mult = 1 << 10
	case "mb":
		mult = 1000 * 1000
	case "mib":
		mult = 1 << 20
	case "gb":
		mult = 1000 * 1000 * 1000
	case "gib":
		mult = 1 << 30
	default:
		return 0, fmt.Errorf("%q has an unknown unit %q (want B, KB, KiB, MB, MiB, GB or GiB)", s, unit)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return Size(n * mult), nil
}

// ParseLevel parses a log level name (debug, info, warn, error).
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not a log level (want debug, info, warn or error)", s)
	}
	return l, nil
}

// ValidURI reports whether u is a WAMP URI under the spec's loose rule:
// non-empty components separated by ".", without whitespace or "#".
func ValidURI(u string) bool {
	if u == "" {
		return false
	}
	start := 0
	for i := 0; i <= len(u); i++ {
		if i == len(u) || u[i] == '.' {
			if i == start {
				return false
			}
			start = i + 1
			continue
		}
		switch u[i] {
		case ' ', '\t', '\n', '\r', '\f', '\v', '#':
			return false
		}
	}
	return true
}

// suggest returns the key of keys closest to k by edit distance, if it is
// close enough to be a likely typo.
func suggest(k string, keys []string) string {
	best, bestD := "", 3
	for _, c := range keys {
		if dist := editDistance(strings.ToLower(k), c); dist < bestD {
			best, bestD = c, dist
		}
	}
	if best != "" && bestD*2 > len(best) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
