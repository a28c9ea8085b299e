package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := Default()
	want := Config{
		Listeners: []Listener{
			{Listen: "127.0.0.1:8080", Transports: []string{TransportWebSocket}, WSPath: "/ws"},
			{Listen: "127.0.0.1:8081", Transports: []string{TransportRawSocket}},
		},
		Realms: []Realm{{Name: "realm1", Anonymous: true}},
		Limits: Limits{
			MaxMessageSize:   16 << 20,
			OutboundQueue:    4 << 20,
			OutboundPolicy:   PolicyDisconnect,
			HandshakeTimeout: Duration(10 * time.Second),
			// Not in default.yaml: the security bounds' defaults.
			LoginFailuresPerAddress: 10,
			LoginFailuresPerAuthID:  10,
			LoginFailureWindow:      Duration(time.Minute),
		},
		Log: Log{Format: LogText, Level: "info"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Default() =\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if c.WSPath() != "/ws" {
		t.Fatalf("WSPath() = %q", c.WSPath())
	}
}

func TestParseOverridesDefaults(t *testing.T) {
	c, err := Parse([]byte(`
listeners:
  - unix: /tmp/wampd.sock
    transports: [rawsocket]
  - listen: "[::1]:0"
    transports: [websocket, rawsocket]
    ws_path: /wamp
limits:
  outbound_policy: drop
  max_sessions: 10
  memory_limit: 2GiB
metrics:
  listen: 127.0.0.1:9100
debug:
  listen: 127.0.0.1:6060
tuning:
  event_loops: 3
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Listeners) != 2 || c.Listeners[0].Unix != "/tmp/wampd.sock" || !c.Listeners[1].Has(TransportRawSocket) ||
		!c.Listeners[1].Has(TransportWebSocket) || c.WSPath() != "/wamp" {
		t.Errorf("listeners = %+v", c.Listeners)
	}
	if len(c.Realms) != 1 || c.Realms[0].Name != "realm1" {
		t.Errorf("realms not defaulted: %+v", c.Realms)
	}
	if c.Limits.OutboundPolicy != PolicyDrop || c.Limits.MaxSessions != 10 || c.Limits.MaxMessageSize != 16<<20 {
		t.Errorf("limits = %+v", c.Limits)
	}
	if c.Metrics.Listen != "127.0.0.1:9100" {
		t.Errorf("metrics = %+v", c.Metrics)
	}
	if c.Limits.MemoryLimit != 2<<30 || c.Debug.Listen != "127.0.0.1:6060" {
		t.Errorf("memory_limit = %v, debug = %+v", c.Limits.MemoryLimit, c.Debug)
	}
	if c.Tuning.EventLoops != 3 {
		t.Errorf("tuning = %+v", c.Tuning)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate of a parsed config: %v", err)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "# only a comment\n", "limits:\n"} {
		c, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("Parse(%q) = %v", in, err)
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("Parse(%q) = %+v, want Default()", in, c)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each must appear, in order, one per error
	}{
		{"unknown top key", "\nrealm:\n  - name: a\n", []string{`line 2, column 1: unknown key "realm" in the top level (did you mean "realms"?)`}},
		{"unknown listener key", "listeners:\n  - listen: 127.0.0.1:1\n    transports: [websocket]\n  - lisen: 127.0.0.1:2\n",
			[]string{`line 4, column 5: unknown key "lisen" in listeners[1] (did you mean "listen"?)`}},
		{"unknown key far from any", "log:\n  colour: red\n", []string{`line 2, column 3: unknown key "colour" in log (known: format, level)`}},
		{"duplicate key", "log:\n  level: info\n  level: debug\n", []string{`line 3, column 3: duplicate key "level" in log`}},
		{"bad transport", "listeners:\n  - listen: 127.0.0.1:1\n    transports:\n      - websocket\n      - http\n",
			[]string{`line 5, column 9: listeners[0]: unknown transport "http"`}},
		{"transport twice", "listeners:\n  - listen: 127.0.0.1:1\n    transports: [rawsocket, rawsocket]\n",
			[]string{`line 3, column 29: listeners[0]: transport "rawsocket" listed twice`}},
		{"no transports", "listeners:\n  - listen: 127.0.0.1:1\n", []string{`line 2, column 5: listeners[0] has no transports`}},
		{"no address", "listeners:\n  - transports: [rawsocket]\n", []string{`line 2, column 5: listeners[0] needs "listen"`}},
		{"both addresses", "listeners:\n  - listen: 127.0.0.1:1\n    unix: /x\n    transports: [rawsocket]\n",
			[]string{`line 2, column 5: listeners[0] has both "listen" and "unix"`}},
		{"bad host port", "listeners:\n  - listen: localhost\n    transports: [rawsocket]\n",
			[]string{`line 2, column 5: listeners[0].listen "localhost" is not host:port`}},
		{"ws on unix", "listeners:\n  - unix: /x\n    transports: [websocket]\n",
			[]string{`line 2, column 5: listeners[0]: WebSocket on a unix socket is not supported`}},
		{"ws path without ws", "listeners:\n  - listen: 127.0.0.1:1\n    transports: [rawsocket]\n    ws_path: /ws\n",
			[]string{`line 2, column 5: listeners[0] has ws_path but no websocket transport`}},
		{"ws path relative", "listeners:\n  - listen: 127.0.0.1:1\n    transports: [websocket]\n    ws_path: ws\n",
			[]string{`line 4, column 14: listeners[0].ws_path "ws" must start with "/"`}},
		{"two ws paths", "listeners:\n  - listen: 127.0.0.1:1\n    transports: [websocket]\n  - listen: 127.0.0.1:2\n    transports: [websocket]\n    ws_path: /other\n",
			[]string{`line 4, column 5: listeners[1].ws_path "/other" differs from "/ws"`}},
		{"same address", "listeners:\n  - listen: 127.0.0.1:1\n    transports: [websocket]\n  - listen: 127.0.0.1:1\n    transports: [rawsocket]\n",
			[]string{`line 4, column 5: listeners[1] uses the same address "127.0.0.1:1" as listeners[0]`}},
		{"no listeners", "listeners: []\n", []string{`line 1, column 12: no listeners configured`}},
		{"listeners not a list", "listeners: 8080\n", []string{`line 1, column 12: listeners must be a list, not "8080"`}},
		{"no realms", "\nrealms: []\n", []string{`line 2, column 9: no realms configured`}},
		{"bad realm uri", "realms:\n  - name: my realm\n", []string{`line 2, column 11: realms[0].name "my realm" is not a valid WAMP URI`}},
		{"realm without name", "realms:\n  - anonymous: true\n", []string{`line 2, column 5: realms[0] has no name`}},
		{"duplicate realm", "realms:\n  - name: a\n  - name: a\n", []string{`line 3, column 5: realms[1]: realm "a" is already defined in realms[0]`}},
		{"anonymous not bool", "realms:\n  - name: a\n    anonymous: yes please\n", []string{`line 3, column 16: realms[0].anonymous must be true or false, not "yes please"`}},
		{"size unit", "limits:\n  max_message_size: 16XB\n", []string{`line 2, column 21: limits.max_message_size: "16XB" has an unknown unit "XB"`}},
		{"size not a number", "limits:\n  outbound_queue: lots\n", []string{`line 2, column 19: limits.outbound_queue: "lots" is not a size`}},
		{"size too small", "limits:\n  max_message_size: 100\n", []string{`line 2, column 21: limits.max_message_size 100B is out of range [512B, 1GiB]`}},
		{"queue too small", "limits:\n  outbound_queue: 1KiB\n", []string{`line 2, column 19: limits.outbound_queue 1KiB is below the minimum of 4KiB`}},
		{"policy", "limits:\n  outbound_policy: block\n", []string{`line 2, column 20: limits.outbound_policy "block" is not "disconnect" or "drop"`}},
		{"flow high water too small", "limits:\n  flow_control:\n    enabled: true\n    high_water: 1KiB\n",
			[]string{`line 4, column 17: limits.flow_control.high_water 1KiB is below the minimum of 4KiB`}},
		{"flow high water over the queue", "limits:\n  outbound_queue: 64KiB\n  flow_control:\n    enabled: true\n    high_water: 64KiB\n",
			[]string{`line 5, column 17: limits.flow_control.high_water 64KiB must be below limits.outbound_queue 64KiB`}},
		{"flow low water over high", "limits:\n  flow_control:\n    enabled: true\n    high_water: 64KiB\n    low_water: 64KiB\n",
			[]string{`line 5, column 16: limits.flow_control.low_water 64KiB must be below high_water 64KiB`}},
		{"flow stall too long", "limits:\n  flow_control:\n    enabled: true\n    stall: 2m\n",
			[]string{`line 4, column 12: limits.flow_control.stall 2m0s is out of range (0, 1m]`}},
		{"outbound delay too small", "limits:\n  outbound_delay: 10us\n",
			[]string{`line 2, column 19: limits.outbound_delay 10µs is below the minimum of 1ms`}},
		{"max sessions negative", "limits:\n  max_sessions: -1\n", []string{`line 2, column 17: limits.max_sessions must be >= 0`}},
		{"max sessions not int", "limits:\n  max_sessions: many\n", []string{`line 2, column 17: limits.max_sessions must be an integer, not "many"`}},
		{"duration", "limits:\n  handshake_timeout: 10\n", []string{`line 2, column 22: limits.handshake_timeout: "10" is not a duration`}},
		{"negative duration", "limits:\n  handshake_timeout: -1s\n", []string{`line 2, column 22: limits.handshake_timeout must not be negative`}},
		{"log format", "log:\n  format: xml\n", []string{`line 2, column 11: log.format "xml" is not "text" or "json"`}},
		{"log level", "log:\n  level: loud\n", []string{`line 2, column 10: log.level: "loud" is not a log level`}},
		{"metrics addr", "metrics:\n  listen: nowhere\n", []string{`line 2, column 11: metrics.listen "nowhere" is not host:port`}},
		{"debug addr", "debug:\n  listen: nowhere\n", []string{`line 2, column 11: debug.listen "nowhere" is not host:port`}},
		{"unknown debug key", "debug:\n  lisen: 127.0.0.1:6060\n", []string{`line 2, column 3: unknown key "lisen" in debug (did you mean "listen"?)`}},
		{"memory limit too small", "limits:\n  memory_limit: 64MB\n", []string{`line 2, column 17: limits.memory_limit 62500KiB is below the minimum of 64MiB`}},
		{"memory limit not a size", "limits:\n  memory_limit: plenty\n", []string{`line 2, column 17: limits.memory_limit: "plenty" is not a size`}},
		{"negative event loops", "tuning:\n  event_loops: -1\n", []string{`line 2, column 16: tuning.event_loops -1 is out of range [0, 1024]`}},
		{"event loops not a number", "tuning:\n  event_loops: many\n", []string{`line 2, column 16: tuning.event_loops`}},
		{"section not a mapping", "limits: [1, 2]\n", []string{`line 1, column 9: limits must be a mapping, not a list`}},
		{"several at once", "log:\n  format: xml\n  level: loud\nlimits:\n  max_sessions: x\n", []string{
			`line 2, column 11: log.format`, `line 3, column 10: log.level`, `line 5, column 17: limits.max_sessions`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want errors %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("error %d = %q, want prefix %q", i, lines[i], w)
				}
			}
		})
	}
}

// TestParseSyntaxError: a YAML syntax error names the line the problem is
// on (yaml.v3 names where the enclosing list or mapping began, one too
// low) and says what it is, without Go package prefixes.
func TestParseSyntaxError(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unclosed flow list", "listeners:\n  - listen: 127.0.0.1:0\n    transports: [websocket\nrealms: x\n",
			"line 3: YAML syntax: did not find expected ',' or ']'"},
		{"indented too little", "listeners:\n  - listen: 127.0.0.1:0\n   transports: [websocket]\n",
			"line 3: YAML syntax: did not find expected '-' indicator"},
		{"list item then key", "realms:\n  - name: a\n  anonymous: true\n",
			"line 3: YAML syntax: did not find expected '-' indicator"},
		{"tab", "log:\n  format: text\n\tlevel: info\n", "line 3: YAML syntax: found a tab character that violates indentation"},
		{"key without colon", "log:\n  format: text\n  level\nlimits: {}\n", "line 3: YAML syntax: could not find expected ':'"},
		{"mapping in a value", "log:\n  format: text: json\n", "line 2: YAML syntax: mapping values are not allowed in this context"},
		{"unclosed quote", "log:\n  format: \"text\n  level: info\n", "line 2: YAML syntax: found unexpected end of stream"},
		{"multi-line list before the error", "listeners:\n  - listen: 127.0.0.1:0\n    transports: [websocket,\n      rawsocket]\nlog: a: b\n",
			"line 5: YAML syntax: mapping values are not allowed in this context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse = %v, want ErrInvalid", err)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %T %v, want an *Error", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnixSocketOptions(t *testing.T) {
	c, err := Parse([]byte("listeners:\n  - unix: /run/wampd.sock\n    transports: [rawsocket]\n    mode: 0660\n    owner: wampd\n    group: \"100\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	l := c.Listeners[0]
	if l.Mode != "0660" || l.Owner != "wampd" || l.Group != "100" {
		t.Fatalf("listener = %+v", l)
	}
	if m, err := ParseMode(l.Mode); err != nil || m != 0o660 {
		t.Fatalf("ParseMode(%q) = %v, %v", l.Mode, m, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if s := c.Summary(); !strings.Contains(s, "listener unix:/run/wampd.sock: rawsocket (mode 0660, owner wampd, group 100)") {
		t.Errorf("Summary lacks the socket's mode:\n%s", s)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"listeners:\n  - unix: /x\n    transports: [rawsocket]\n    mode: 0999\n", `line 4, column 11: listeners[0].mode: "0999" is not a permission mode`},
		{"listeners:\n  - unix: /x\n    transports: [rawsocket]\n    mode: 01777\n", `line 4, column 11: listeners[0].mode: "01777" is not a permission mode`},
		{"listeners:\n  - listen: 127.0.0.1:1\n    transports: [rawsocket]\n    group: wampd\n", `line 2, column 5: listeners[0]: mode, owner and group apply to unix sockets only`},
	} {
		if _, err := Parse([]byte(tt.yaml)); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

func TestWarnings(t *testing.T) {
	c, err := Parse([]byte("realms:\n  - name: open\n    anonymous: true\n  - name: closed\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Warnings()
	want := []string{`realms[1] "closed": no one can join it: anonymous is off and no other authentication method is configured`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Warnings() = %q, want %q", got, want)
	}
	if w := Default().Warnings(); len(w) != 0 {
		t.Fatalf("the default configuration warns: %q", w)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		bad  bool
	}{
		{"65536", 65536, false},
		{"16MiB", 16 << 20, false},
		{"16mib", 16 << 20, false},
		{"512 KiB", 512 << 10, false},
		{"1KB", 1000, false},
		{"2MB", 2000000, false},
		{"1GiB", 1 << 30, false},
		{"1GB", 1e9, false},
		{"10B", 10, false},
		{"", 0, true},
		{"MiB", 0, true},
		{"1.5MiB", 0, true},
		{"-1", 0, true},
		{"1TiB", 0, true},
		{"99999999999999GiB", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("ParseSize(%q) = %v, want error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseSize(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestSizeAndDurationRoundTrip(t *testing.T) {
	c := Default()
	c.Limits.MaxMessageSize = 1000 // no binary unit
	c.Limits.OutboundQueue = 12 << 10
	c.Limits.HandshakeTimeout = Duration(1500 * time.Millisecond)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := Size(1000).String(); got != "1000B" {
		t.Errorf("Size(1000) = %q", got)
	}
	if got := Size(12 << 10).String(); got != "12KiB" {
		t.Errorf("Size(12KiB) = %q", got)
	}
}

func TestParseDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"10s": 10 * time.Second, "500ms": 500 * time.Millisecond, "1m30s": 90 * time.Second, "0s": 0} {
		t.Run(in, func(t *testing.T) {
			c, err := Parse([]byte("limits:\n  handshake_timeout: " + in + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if time.Duration(c.Limits.HandshakeTimeout) != want {
				t.Fatalf("handshake_timeout = %v, want %v", c.Limits.HandshakeTimeout, want)
			}
		})
	}
}

func TestValidateCodeBuiltConfig(t *testing.T) {
	c := Default()
	c.Realms = append(c.Realms, Realm{Name: "bad uri"})
	c.Limits.OutboundPolicy = "block"
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted an invalid config")
	}
	msg := err.Error()
	if strings.Contains(msg, "line ") {
		t.Errorf("Validate error mentions lines of a generated file: %v", msg)
	}
	for _, w := range []string{`realms[1].name "bad uri"`, `limits.outbound_policy "block"`} {
		if !strings.Contains(msg, w) {
			t.Errorf("Validate error %q lacks %q", msg, w)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("realms:\n  - name: com.example\n    anonymous: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(good)
	if err != nil || c.Realms[0].Name != "com.example" {
		t.Fatalf("Load = %+v, %v", c.Realms, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("realms:\n  - nme: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), bad+": line 2, column 5:") {
		t.Fatalf("Load(bad) = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want ErrNotExist", err)
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"listen", "unix", "transports", "ws_path"}
	for in, want := range map[string]string{"lisen": "listen", "LISTEN": "listen", "transport": "transports", "wspath": "ws_path", "zzz": "", "unx": "unix"} {
		if got := suggest(in, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
