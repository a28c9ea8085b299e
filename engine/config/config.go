// Package config is wampd's configuration: the typed schema (the structs
// below and in security.go, with their yaml tags), its YAML decoding with
// gopkg.in/yaml.v3, and its validation. Every problem of a file is
// reported at once, each with its line and column; unknown keys are errors
// with a "did you mean" suggestion, so a typo never falls back to a
// default silently.
//
// The package knows no sockets, actors or authenticators: the engine
// translates a Config into the options of netpoll, the realms and the
// authenticators.
package config

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wampd/wampd/codec"
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

// DefaultWSPath is the WebSocket upgrade path of a listener that names none.
const DefaultWSPath = "/ws"

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
	// Cluster, when set, makes the router one node of a cluster
	// (cluster.go, docs/cluster.md).
	Cluster *Cluster `yaml:"cluster,omitempty"`
}

// Listener is one listening socket. Exactly one of Listen (TCP host:port)
// and Unix (socket path) is set. Both transports may share one socket:
// netpoll tells them apart by their first bytes.
type Listener struct {
	Listen     string   `yaml:"listen,omitempty"`
	Unix       string   `yaml:"unix,omitempty"`
	Transports []string `yaml:"transports"`
	// WSPath is the HTTP path of the WebSocket upgrade (Parse fills in
	// DefaultWSPath for a WebSocket listener that names none).
	WSPath string `yaml:"ws_path,omitempty"`
	// Mode, Owner and Group apply to a unix socket's file once it is
	// bound: octal permission bits ("0660"; clients need write permission
	// to connect) and a user and group, by name or number. Empty leaves what
	// the socket was created with (the umask's bits, wampd's user).
	Mode  string `yaml:"mode,omitempty"`
	Owner string `yaml:"owner,omitempty"`
	Group string `yaml:"group,omitempty"`
	// TLS, when set, serves TLS on this (TCP) listener.
	TLS *TLS `yaml:"tls,omitempty"`
	// Origins is the WebSocket Origin allow list: exact origins
	// ("https://app.example.com") or "*"; empty allows any origin.
	Origins []string `yaml:"origins,omitempty"`
}

// Has reports whether l serves transport t.
func (l Listener) Has(t string) bool { return slices.Contains(l.Transports, t) }

// Path is l's WebSocket upgrade path: WSPath, or DefaultWSPath.
func (l Listener) Path() string { return orDefault(l.WSPath, DefaultWSPath) }

// Realm is one realm the router serves.
type Realm struct {
	Name string `yaml:"name"`
	// Anonymous lets clients join without credentials (authmethod
	// "anonymous", authrole "anonymous"): the shorthand of Auth.Anonymous
	// with the role "anonymous". AnonymousRole reads both.
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
	// Auth lists the ways into the realm besides the Anonymous shorthand.
	Auth Auth `yaml:"auth,omitempty"`
	// Roles, when present, turn authorization on: a session may do only
	// what its role's permissions allow (deny by default).
	Roles []Role `yaml:"roles,omitempty"`
	// Bridge, when set, serves the realm to plain HTTP clients (POST
	// /publish, /call, /webhook/NAME).
	Bridge *Bridge `yaml:"bridge,omitempty"`
}

// MetaAPIOn reports whether the realm serves the meta API.
func (r Realm) MetaAPIOn() bool { return r.MetaAPI == nil || *r.MetaAPI }

// AnonymousRole is the authrole of the realm's anonymous sessions, and
// whether anonymous sessions may join at all (Auth.Anonymous, or the
// Anonymous shorthand with the role "anonymous").
func (r Realm) AnonymousRole() (string, bool) {
	switch {
	case r.Auth.Anonymous != nil:
		return orDefault(r.Auth.Anonymous.Role, DefaultAnonymousRole), true
	case r.Anonymous:
		return DefaultAnonymousRole, true
	}
	return "", false
}

// Authorizing reports whether the realm authorizes by role (a roles list
// is present): everything a role's permissions do not allow is denied.
func (r Realm) Authorizing() bool { return r.Roles != nil }

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
	// OutboundDelay, when set, bounds each session's queue in time as
	// well: a session whose oldest queued message waits for longer than
	// this is over its bound, as if over OutboundQueue.
	OutboundDelay Duration `yaml:"outbound_delay,omitempty"`
	// FlowControl slows a sender whose recipients fall behind instead of
	// queueing without end: see FlowControl.
	FlowControl FlowControl `yaml:"flow_control,omitempty"`
	// MaxSessions caps the sessions of the whole router; 0 is no cap.
	MaxSessions int `yaml:"max_sessions"`
	// HandshakeTimeout closes connections that have not joined a realm in
	// time (transport handshake, HELLO and any authentication round).
	HandshakeTimeout Duration `yaml:"handshake_timeout"`
	// MemoryLimit is the Go runtime's soft memory limit
	// (runtime/debug.SetMemoryLimit): the GC runs harder as the heap nears
	// it instead of letting it double (GOGC). 0 leaves the runtime's setting
	// (the GOMEMLIMIT environment variable, or none).
	MemoryLimit Size `yaml:"memory_limit"`

	// MaxSessionsPerRealm, MaxSessionsPerAuthID and MaxSessionsPerAddress
	// cap the sessions of one realm, of one authid (in one realm) and from
	// one remote address; 0 is no cap.
	MaxSessionsPerRealm   int `yaml:"max_sessions_per_realm"`
	MaxSessionsPerAuthID  int `yaml:"max_sessions_per_authid"`
	MaxSessionsPerAddress int `yaml:"max_sessions_per_address"`
	// LoginFailuresPerAddress and LoginFailuresPerAuthID are the failed
	// logins allowed per LoginFailureWindow from one remote address and for
	// one authid before further attempts are refused at once; 0 is no
	// bound.
	LoginFailuresPerAddress int      `yaml:"login_failures_per_address"`
	LoginFailuresPerAuthID  int      `yaml:"login_failures_per_authid"`
	LoginFailureWindow      Duration `yaml:"login_failure_window"`
}

// FlowControl is limits.flow_control: when a recipient's outbound queue
// passes HighWater, the router stops reading the connection whose messages
// fill it (the publisher of its EVENTs, the caller of its INVOCATIONs, the
// callee of its RESULTs), so TCP slows that sender, and reads it again
// once the recipient is under LowWater. A recipient that stays over the
// mark for longer than Stall is handed to outbound_policy (disconnected,
// or its events dropped while it is over HighWater) and the sender is read
// again: one stuck subscriber never holds the others for longer.
type FlowControl struct {
	Enabled   bool     `yaml:"enabled"`
	HighWater Size     `yaml:"high_water,omitempty"` // default 256KiB
	LowWater  Size     `yaml:"low_water,omitempty"`  // default HighWater/2
	Stall     Duration `yaml:"stall,omitempty"`      // default 250ms
}

// Defaults of limits.flow_control.
const (
	DefaultFlowHighWater = 256 << 10
	DefaultFlowStall     = Duration(250 * time.Millisecond)
)

// WithDefaults is f with its omitted values filled in: high_water
// DefaultFlowHighWater, low_water half of high_water, stall
// DefaultFlowStall.
func (f FlowControl) WithDefaults() FlowControl {
	if f.HighWater == 0 {
		f.HighWater = DefaultFlowHighWater
	}
	if f.LowWater == 0 {
		f.LowWater = f.HighWater / 2
	}
	if f.Stall == 0 {
		f.Stall = DefaultFlowStall
	}
	return f
}

// Log configures the process logger.
type Log struct {
	Format string `yaml:"format"` // text or json
	Level  string `yaml:"level"`  // debug, info, warn, error
}

// Metrics configures the optional Prometheus and health endpoints.
type Metrics struct {
	// Listen is the host:port of the HTTP listener serving /metrics,
	// /healthz and /readyz; empty disables it.
	Listen string `yaml:"listen"`
	// ConsoleAuth, when set, makes the web console (/console/ on this
	// listener) ask for a ticket and log in as this principal instead of
	// joining anonymously.
	ConsoleAuth *ConsoleAuth `yaml:"console_auth,omitempty"`
}

// ConsoleAuth is the principal the web console logs in as, with the ticket
// method. Its ticket is stored where every ticket is, hashed, in the
// auth.ticket.principals of the realms the console opens; its role there
// decides what the console may do (wamp.session.kill among the rest).
type ConsoleAuth struct {
	AuthID string `yaml:"authid"`
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

// Default returns the embedded default configuration (DefaultYAML).
func Default() Config {
	cfg, err := parse(DefaultYAML, baseline(), "")
	if err != nil {
		// default.yaml is part of the binary and covered by tests.
		panic(fmt.Sprintf("config: embedded default.yaml is invalid: %v", err))
	}
	return cfg
}

// baseline is what keys absent from default.yaml fall back to; it holds no
// listeners or realms, which default.yaml provides.
func baseline() Config {
	return Config{
		Limits: Limits{
			MaxMessageSize:          16 << 20,
			OutboundQueue:           4 << 20,
			OutboundPolicy:          PolicyDisconnect,
			HandshakeTimeout:        Duration(10 * time.Second),
			LoginFailuresPerAddress: 10,
			LoginFailuresPerAuthID:  10,
			LoginFailureWindow:      Duration(time.Minute),
		},
		Log: Log{Format: LogText, Level: "info"},
	}
}

// Load reads and parses the configuration file at path (see ParseFile).
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: read: %w", err)
	}
	cfg, err := ParseFile(path, data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse parses a YAML configuration. Keys it omits keep their Default
// values; a listeners or realms list, when present, replaces the default
// list entirely. Relative file names in it (TLS certificates and keys) are
// relative to the working directory. All problems are reported at once,
// each as an *Error carrying its line and column (joined with errors.Join).
func Parse(data []byte) (Config, error) { return parse(data, Default(), "") }

// ParseFile is Parse for data read from the file at path: relative file
// names in it are relative to path's directory, and are made so in the
// returned Config.
func ParseFile(path string, data []byte) (Config, error) {
	return parse(data, Default(), filepath.Dir(path))
}

func parse(data []byte, base Config, dir string) (Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Config{}, syntaxError(data, err)
	}
	d := newDecoder()
	cfg := base
	if len(doc.Content) > 0 { // an empty file is the base config
		d.value(doc.Content[0], reflectOf(&cfg), "")
	}
	cfg.resolve(dir)
	c := checker{pos: d.pos, bad: d.bad, errs: d.errs}
	c.check(&cfg)
	if len(c.errs) > 0 {
		return Config{}, c.err()
	}
	for i := range cfg.Listeners {
		if l := &cfg.Listeners[i]; l.Has(TransportWebSocket) && l.WSPath == "" {
			l.WSPath = DefaultWSPath
		}
	}
	return cfg, nil
}

// resolve makes the relative file names of c relative to dir.
func (c *Config) resolve(dir string) {
	if dir == "" {
		return
	}
	for i := range c.Listeners {
		if l := &c.Listeners[i]; l.TLS != nil {
			for _, p := range []*string{&l.TLS.Cert, &l.TLS.Key, &l.TLS.ClientCA} {
				if *p != "" && !filepath.IsAbs(*p) {
					*p = filepath.Join(dir, *p)
				}
			}
		}
	}
}

// Validate checks a Config built in code with the same rules as Parse;
// its errors carry no positions.
func (c Config) Validate() error {
	ch := checker{}
	ch.check(&c)
	if len(ch.errs) > 0 {
		return ch.err()
	}
	return nil
}

// WSPath is the WebSocket upgrade path of the configuration (DefaultWSPath
// when no listener serves WebSocket).
func (c Config) WSPath() string {
	for _, l := range c.Listeners {
		if l.Has(TransportWebSocket) {
			return l.Path()
		}
	}
	return DefaultWSPath
}

// MatchPolicy maps a match option name (history rules, permissions) to
// its policy; "" is exact.
func MatchPolicy(name string) (codec.Match, bool) { return codec.ParseMatch(name) }

// joinErrors joins errs as errors.Join does (nil for none).
func joinErrors(errs []*Error) error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}
