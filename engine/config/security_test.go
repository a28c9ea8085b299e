package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Values of the security fixtures. The secrets are what no error, summary
// or formatted Config may ever show.
const (
	ticketHash = "$argon2id$v=19$m=65536,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
	craSecret  = "cra-secret-1"
	craSalted  = "cra-secret-2"
	pubKey     = "0d6c1dbe40430a64072fb559bd4f892eb239f82e5b583d24b27785fd993053a4"
	scramSalt  = "c2NyYW1zYWx0"
	storedKey  = "c3RvcmVkLWtleS0zMi1ieXRlcy0tLS0tLS0tLS0tLS0="
	serverKey  = "c2VydmVyLWtleS0zMi1ieXRlcy0tLS0tLS0tLS0tLS0="
	fpHex      = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
)

var secrets = []string{ticketHash, craSecret, craSalted, storedKey, serverKey}

// secureYAML is the schema of the security issue, in full.
const secureYAML = `
listeners:
  - listen: 127.0.0.1:8443
    transports: [websocket]
    ws_path: /ws
    tls:
      cert: tls/server.pem
      key: tls/server.key
      client_ca: tls/ca.pem
      client_auth: optional
    origins: [https://app.example.com, "http://localhost:3000"]
  - listen: 127.0.0.1:8081
    transports: [rawsocket]
realms:
  - name: management
    anonymous: true
  - name: secure
    auth:
      ticket:
        principals: [{authid: ticketuser, role: user, ticket: "` + ticketHash + `"}]
      wampcra:
        principals:
          - {authid: crauser, role: user, secret: ` + craSecret + `}
          - {authid: crasalted, role: user, secret: ` + craSalted + `, salt: salt123, iterations: 1000, keylen: 32}
      cryptosign:
        principals: [{authid: csuser, role: user, pubkeys: ["` + pubKey + `"]}]
      scram:
        principals: [{authid: scramuser, role: user, kdf: argon2id, salt: "` + scramSalt + `", iterations: 1, memory: 65536, stored_key: "` + storedKey + `", server_key: "` + serverKey + `"}]
      tls:
        principals: [{authid: client1, role: user, cn: client1}, {authid: client2, role: user, fingerprint: "` + fpHex + `"}]
      dynamic:
        procedure: com.example.authenticate
        realm: management
        methods: [ticket, wampcra, cryptosign]
    roles:
      - name: user
        authorizer: com.example.authorize
        permissions:
          - uri: com.example.
            match: prefix
            allow: {call: true, register: true, publish: true, subscribe: true}
            disclose: {caller: true}
      - name: everything
        cache_ttl: 0s
        permissions:
          - {uri: "", match: prefix, allow: {subscribe: true}}
  - name: guests
    auth:
      anonymous: {role: guest}
limits:
  max_sessions_per_realm: 1000
  max_sessions_per_authid: 10
  max_sessions_per_address: 100
  login_failures_per_address: 5
  login_failures_per_authid: 3
  login_failure_window: 30s
`

// tlsFiles writes dummy PEM files under dir/tls (the checks only read
// that they exist) and returns dir/wampd.yaml, where a configuration
// naming them relatively would be.
func tlsFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "tls"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"server.pem", "server.key", "ca.pem"} {
		if err := os.WriteFile(filepath.Join(dir, "tls", f), []byte("-----BEGIN X-----\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "wampd.yaml")
}

func TestSecuritySchema(t *testing.T) {
	file := tlsFiles(t)
	dir := filepath.Dir(file)
	cfg, err := ParseFile(file, []byte(secureYAML))
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Listeners[0]
	wantTLS := &TLS{Cert: filepath.Join(dir, "tls/server.pem"), Key: filepath.Join(dir, "tls/server.key"),
		ClientCA: filepath.Join(dir, "tls/ca.pem"), ClientAuth: ClientAuthOptional, MinVersion: TLS12}
	if !reflect.DeepEqual(l.TLS, wantTLS) || !l.TLS.AsksClientCert() {
		t.Errorf("tls = %+v, want %+v (relative to the file, min_version defaulted)", l.TLS, wantTLS)
	}
	if !reflect.DeepEqual(l.Origins, []string{"https://app.example.com", "http://localhost:3000"}) || cfg.Listeners[1].TLS != nil {
		t.Errorf("origins %q, second listener tls %+v", l.Origins, cfg.Listeners[1].TLS)
	}
	if role, ok := cfg.Realms[0].AnonymousRole(); !ok || role != "anonymous" {
		t.Errorf("management: anonymous role %q, %v", role, ok)
	}
	if role, ok := cfg.Realms[2].AnonymousRole(); !ok || role != "guest" {
		t.Errorf("guests: anonymous role %q, %v", role, ok)
	}
	r := cfg.Realms[1]
	if _, ok := r.AnonymousRole(); ok || !r.Authorizing() || cfg.Realms[0].Authorizing() {
		t.Errorf("secure: anonymous or authorization wrong: %+v", r)
	}
	a := r.Auth
	if p := a.Ticket.Principals; len(p) != 1 || p[0] != (TicketPrincipal{"ticketuser", "user", ticketHash}) {
		t.Errorf("ticket %+v", p)
	}
	if p := a.WAMPCRA.Principals; len(p) != 2 || p[0] != (WAMPCRAPrincipal{AuthID: "crauser", Role: "user", Secret: craSecret}) ||
		p[1] != (WAMPCRAPrincipal{"crasalted", "user", craSalted, "salt123", 1000, 32}) {
		t.Errorf("wampcra %+v", p)
	}
	if p := a.Cryptosign.Principals; len(p) != 1 || !reflect.DeepEqual(p[0].PubKeys, []string{pubKey}) {
		t.Errorf("cryptosign %+v", p)
	}
	if p := a.SCRAM.Principals; len(p) != 1 || p[0] != (SCRAMPrincipal{"scramuser", "user", KDFArgon2id, scramSalt, 1, 65536, storedKey, serverKey}) {
		t.Errorf("scram %+v", p)
	}
	if p := a.TLS.Principals; len(p) != 2 || p[0].CN != "client1" || p[1].Fingerprint != fpHex {
		t.Errorf("tls principals %+v", p)
	}
	wantDyn := &DynamicAuth{Procedure: "com.example.authenticate", Realm: "management",
		Methods: []string{MethodTicket, MethodWAMPCRA, MethodCryptosign}, Timeout: Duration(DefaultDynamicAuthTimeout)}
	if !reflect.DeepEqual(a.Dynamic, wantDyn) {
		t.Errorf("dynamic %+v, want %+v", a.Dynamic, wantDyn)
	}
	wantRoles := []Role{
		{Name: "user", Authorizer: "com.example.authorize", CacheTTL: Duration(DefaultAuthorizerCacheTTL), Permissions: []Permission{{
			URI: "com.example.", Match: "prefix", Allow: Allow{true, true, true, true}, Disclose: Disclose{Caller: true}}}},
		{Name: "everything", CacheTTL: 0, Permissions: []Permission{{URI: "", Match: "prefix", Allow: Allow{Subscribe: true}}}},
	}
	if !reflect.DeepEqual(r.Roles, wantRoles) {
		t.Errorf("roles\n%+v\nwant\n%+v", r.Roles, wantRoles)
	}
	wantLimits := Limits{MaxSessionsPerRealm: 1000, MaxSessionsPerAuthID: 10, MaxSessionsPerAddress: 100,
		LoginFailuresPerAddress: 5, LoginFailuresPerAuthID: 3, LoginFailureWindow: Duration(30 * time.Second)}
	got := cfg.Limits
	got.MaxMessageSize, got.OutboundQueue, got.OutboundPolicy, got.HandshakeTimeout = 0, 0, "", 0
	if got != wantLimits {
		t.Errorf("limits %+v, want %+v", got, wantLimits)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate of the parsed config: %v", err)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
	sum := cfg.Summary()
	for _, want := range []string{
		"listener 127.0.0.1:8443: websocket (ws path /ws) (tls 1.2+, cert " + wantTLS.Cert + ", client certificates optional) (origins https://app.example.com http://localhost:3000)\n",
		"realm secure: anonymous=false meta_api=true\n  auth: ticket(1 principal) wampcra(2 principals) cryptosign(1 principal) wamp-scram(1 principal) tls(2 principals) dynamic(com.example.authenticate on management for ticket+wampcra+cryptosign, timeout 5s)\n" +
			"  roles (deny by default): user(1 permission, authorizer com.example.authorize cached 1m0s) everything(1 permission)\n",
		"realm guests: anonymous=true meta_api=true\n  auth: anonymous(role guest)\n",
		"session limits: max_sessions_per_realm=1000 max_sessions_per_authid=10 max_sessions_per_address=100\n",
		"login limits: login_failures_per_address=5 login_failures_per_authid=3 login_failure_window=30s\n",
	} {
		if !strings.Contains(sum, want) {
			t.Errorf("Summary lacks\n%s\nin\n%s", want, sum)
		}
	}
	// Parse (not ParseFile) takes relative names from the working directory.
	t.Chdir(dir)
	if cfg, err := Parse([]byte(secureYAML)); err != nil || cfg.Listeners[0].TLS.Cert != "tls/server.pem" {
		t.Fatalf("Parse from the file's directory: %v", err)
	}
}

// TestSecretsNeverShown: no secret of the configuration appears in its
// Summary, its Warnings, its errors or the Config formatted with %v, %+v
// or %#v.
func TestSecretsNeverShown(t *testing.T) {
	file := tlsFiles(t)
	cfg, err := ParseFile(file, []byte(secureYAML))
	if err != nil {
		t.Fatal(err)
	}
	shown := []string{cfg.Summary(), strings.Join(cfg.Warnings(), "\n"),
		fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)}
	// Every secret next to a mistake: the errors name the keys, not the values.
	bad := strings.NewReplacer("iterations: 1000", "iterations: 0", "authid: crauser", "authid: crasalted",
		"kdf: argon2id", "kdf: md5", "client1}", "client1, fingerprint: x}").Replace(secureYAML)
	_, err = ParseFile(file, []byte(bad))
	if err == nil {
		t.Fatal("the broken fixture parsed")
	}
	shown = append(shown, err.Error())
	for _, s := range shown {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("secret %q shown in:\n%s", secret, s)
			}
		}
	}
	if got := fmt.Sprint(Secret("x")); got != "[redacted]" {
		t.Errorf("Secret prints %q", got)
	}
}

func TestSecurityErrors(t *testing.T) {
	file := tlsFiles(t)
	realm := func(auth string) string { return "realms:\n  - name: r\n    auth:\n" + auth }
	tests := []struct {
		name, yaml string
		want       []string // prefixes, one per error, in order
	}{
		{"ticket in clear", realm("      ticket:\n        principals: [{authid: a, role: user, ticket: hunter2}]\n"),
			[]string{"line 5, column 54: realms[0].auth.ticket.principals[0].ticket is not a ticket hash ($argon2id$... or $pbkdf2-sha256$...): store what `wampd hash` prints"}},
		{"ticket missing", realm("      ticket:\n        principals: [{authid: a, role: user}]\n"),
			[]string{"line 5, column 22: realms[0].auth.ticket.principals[0] needs a ticket (a hash made by `wampd hash`)"}},
		{"duplicate authid", realm("      wampcra:\n        principals:\n          - {authid: a, role: user, secret: s}\n          - {authid: a, role: user, secret: t}\n"),
			[]string{`line 7, column 22: realms[0].auth.wampcra.principals[1]: authid "a" is already used by realms[0].auth.wampcra.principals[0]`}},
		{"no authid no role", realm("      wampcra:\n        principals: [{secret: s}]\n"),
			[]string{"line 5, column 22: realms[0].auth.wampcra.principals[0] needs an authid", "line 5, column 22: realms[0].auth.wampcra.principals[0] needs a role"}},
		{"bad role name", realm("      wampcra:\n        principals: [{authid: a, role: my role, secret: s}]\n"),
			[]string{`line 5, column 40: realms[0].auth.wampcra.principals[0].role "my role" is not a valid role name`}},
		{"salt without iterations", realm("      wampcra:\n        principals: [{authid: a, role: u, secret: s, salt: x, keylen: 32}]\n"),
			[]string{"line 5, column 22: realms[0].auth.wampcra.principals[0]: a salted secret needs iterations"}},
		{"keylen out of range", realm("      wampcra:\n        principals: [{authid: a, role: u, secret: s, salt: x, iterations: 10, keylen: 4}]\n"),
			[]string{"line 5, column 87: realms[0].auth.wampcra.principals[0].keylen 4 is out of range [16, 128]"}},
		{"iterations without salt", realm("      wampcra:\n        principals: [{authid: a, role: u, secret: s, iterations: 10}]\n"),
			[]string{"line 5, column 22: realms[0].auth.wampcra.principals[0]: iterations and keylen apply to a salted secret only"}},
		{"no secret", realm("      wampcra:\n        principals: [{authid: a, role: u}]\n"),
			[]string{"line 5, column 22: realms[0].auth.wampcra.principals[0] needs a secret"}},
		{"short pubkey", realm("      cryptosign:\n        principals: [{authid: a, role: u, pubkeys: [abcd]}]\n"),
			[]string{"line 5, column 53: realms[0].auth.cryptosign.principals[0].pubkeys[0] is not an Ed25519 public key: want 64 hex characters (32 bytes), got 4 characters"}},
		{"pubkey not hex", realm("      cryptosign:\n        principals: [{authid: a, role: u, pubkeys: [" + strings.Repeat("zz", 32) + "]}]\n"),
			[]string{"line 5, column 53: realms[0].auth.cryptosign.principals[0].pubkeys[0] is not an Ed25519 public key: not hexadecimal"}},
		{"no pubkeys", realm("      cryptosign:\n        principals: [{authid: a, role: u}]\n"),
			[]string{"line 5, column 22: realms[0].auth.cryptosign.principals[0] needs pubkeys"}},
		{"pubkey twice", realm("      cryptosign:\n        principals:\n          - {authid: a, role: u, pubkeys: [" + pubKey + "]}\n          - {authid: b, role: u, pubkeys: [" + strings.ToUpper(pubKey) + "]}\n"),
			[]string{"line 7, column 44: realms[0].auth.cryptosign.principals[1].pubkeys[0] is the same key as realms[0].auth.cryptosign.principals[0].pubkeys[0]"}},
		{"scram kdf", realm("      scram:\n        principals: [{authid: a, role: u, kdf: md5, salt: eA==, iterations: 1, stored_key: \"" + storedKey + "\", server_key: \"" + serverKey + "\"}]\n"),
			[]string{`line 5, column 48: realms[0].auth.scram.principals[0].kdf "md5" is not "argon2id" or "pbkdf2"`}},
		{"scram memory for pbkdf2", realm("      scram:\n        principals: [{authid: a, role: u, kdf: pbkdf2, memory: 8, salt: eA==, iterations: 4096, stored_key: \"" + storedKey + "\", server_key: \"" + serverKey + "\"}]\n"),
			[]string{"line 5, column 64: realms[0].auth.scram.principals[0].memory applies to argon2id only"}},
		{"scram argon2id without memory, bad keys", realm("      scram:\n        principals: [{authid: a, role: u, kdf: argon2id, salt: \"not base64!\", iterations: 1, stored_key: eA==, server_key: \"" + craSecret + "\"}]\n"),
			[]string{"line 5, column 22: realms[0].auth.scram.principals[0]: argon2id needs memory",
				"line 5, column 64: realms[0].auth.scram.principals[0].salt is not base64",
				"line 5, column 106: realms[0].auth.scram.principals[0].stored_key is not base64 of 32 bytes",
				"line 5, column 124: realms[0].auth.scram.principals[0].server_key is not base64 of 32 bytes"}},
		{"tls principal both", realm("      tls:\n        principals: [{authid: a, role: u, cn: a, fingerprint: " + fpHex + "}]\n"),
			[]string{"line 5, column 22: realms[0].auth.tls.principals[0] needs exactly one of cn"}},
		{"tls fingerprint", realm("      tls:\n        principals: [{authid: a, role: u, fingerprint: abc}]\n"),
			[]string{"line 5, column 56: realms[0].auth.tls.principals[0].fingerprint is not a SHA-256 fingerprint: want 64 hex characters (SHA-256), got 3"}},
		{"tls same cn", realm("      tls:\n        principals: [{authid: a, role: u, cn: x}, {authid: b, role: u, cn: x}]\n"),
			[]string{"line 5, column 51: realms[0].auth.tls.principals[1] matches the same certificates as realms[0].auth.tls.principals[0] (cn x)"}},
		{"dynamic", realm("      dynamic:\n        procedure: not a uri\n        methods: [ticket, scram, ticket]\n        timeout: 0s\n"),
			[]string{`line 5, column 20: realms[0].auth.dynamic.procedure "not a uri" is not a valid WAMP URI`,
				`line 6, column 27: realms[0].auth.dynamic.methods: "scram" is not a method a dynamic authenticator decides (want ticket, wampcra, cryptosign)`,
				`line 6, column 34: realms[0].auth.dynamic.methods: "ticket" listed twice`,
				"line 7, column 18: realms[0].auth.dynamic.timeout must be positive"}},
		{"dynamic needs", realm("      dynamic: {realm: r}\n"),
			[]string{"line 4, column 16: realms[0].auth.dynamic needs a procedure", "line 4, column 16: realms[0].auth.dynamic needs methods"}},
		{"dynamic unknown realm", realm("      dynamic: {procedure: a.b, methods: [ticket], realm: elsewhere}\n"),
			[]string{`line 4, column 59: realms[0].auth.dynamic.realm "elsewhere" is not a configured realm`}},
		{"anonymous twice", "realms:\n  - name: r\n    anonymous: true\n    auth:\n      anonymous: {role: guest}\n",
			[]string{"line 5, column 18: realms[0] has both anonymous and auth.anonymous"}},
		{"unknown auth method", realm("      tickets: {}\n"),
			[]string{`line 4, column 7: unknown key "tickets" in realms[0].auth (did you mean "ticket"?)`}},
		{"unknown principal key", realm("      ticket:\n        principals: [{authid: a, role: u, ticket: \"" + ticketHash + "\", rol: x}]\n"),
			[]string{`line 5, column 120: unknown key "rol" in realms[0].auth.ticket.principals[0] (did you mean "role"?)`}},
		{"roles", "realms:\n  - name: r\n    roles:\n      - name: user\n        cache_ttl: -1s\n        authorizer: \"a b\"\n        permissions:\n          - {uri: a.b, match: fuzzy}\n          - {uri: a..b}\n          - {uri: \"\"}\n          - {uri: a., match: prefix}\n          - {uri: a., match: prefix, allow: {call: true}}\n          - {uri: x, allow: {cal: true}}\n      - name: user\n",
			[]string{`line 5, column 20: realms[0].roles[0].cache_ttl must not be negative`,
				`line 6, column 21: realms[0].roles[0].authorizer "a b" is not a valid WAMP URI`,
				`line 8, column 31: realms[0].roles[0].permissions[0].match "fuzzy" must be exact, prefix or wildcard`,
				`line 9, column 19: realms[0].roles[0].permissions[1].uri "a..b" is not a valid exact pattern`,
				`line 10, column 19: realms[0].roles[0].permissions[2] needs a uri`,
				`line 12, column 13: realms[0].roles[0].permissions[4]: uri "a." with match prefix is already realms[0].roles[0].permissions[3]`,
				`line 13, column 30: unknown key "cal" in realms[0].roles[0].permissions[5].allow (did you mean "call"?)`,
				`line 14, column 15: realms[0].roles[1]: role "user" is already defined in realms[0].roles[0]`}},
		{"tls files", "listeners:\n  - listen: 127.0.0.1:0\n    transports: [websocket]\n    tls:\n      cert: missing.pem\n      client_auth: sometimes\n      min_version: 1.1\n",
			[]string{"line 5, column 7: listeners[0].tls needs key (a PEM private key file)",
				"line 5, column 13: listeners[0].tls.cert: open " + filepath.Join(filepath.Dir(file), "missing.pem") + ": no such file or directory",
				`line 6, column 20: listeners[0].tls.client_auth "sometimes" is not "none", "optional" or "required"`,
				`line 7, column 20: listeners[0].tls.min_version "1.1" is not "1.2" or "1.3"`}},
		{"tls file is a directory", "listeners:\n  - listen: 127.0.0.1:0\n    transports: [websocket]\n    tls: {cert: tls, key: tls/server.key}\n",
			[]string{"line 4, column 17: listeners[0].tls.cert: " + filepath.Join(filepath.Dir(file), "tls") + " is a directory"}},
		{"client_auth without client_ca", "listeners:\n  - listen: 127.0.0.1:0\n    transports: [websocket]\n    tls: {cert: tls/server.pem, key: tls/server.key, client_auth: required}\n",
			[]string{"line 4, column 67: listeners[0].tls: client_auth required needs client_ca"}},
		{"tls on unix", "listeners:\n  - unix: /x\n    transports: [rawsocket]\n    tls: {cert: tls/server.pem, key: tls/server.key}\n",
			[]string{"line 2, column 5: listeners[0]: tls applies to TCP listeners only"}},
		{"origins", "listeners:\n  - listen: 127.0.0.1:0\n    transports: [websocket]\n    origins: [example.com, \"https://a.example/path\", \"https://b.example\", \"https://b.example\"]\n",
			[]string{`line 4, column 15: listeners[0].origins[0] "example.com" is not an origin`,
				`line 4, column 28: listeners[0].origins[1] "https://a.example/path" is not an origin`,
				`line 4, column 75: listeners[0]: origin "https://b.example" listed twice`}},
		{"star with others", "listeners:\n  - listen: 127.0.0.1:0\n    transports: [websocket]\n    origins: [\"*\", \"https://a.example\"]\n",
			[]string{`line 4, column 15: listeners[0].origins: "*" allows any origin; list it alone`}},
		{"origins without websocket", "listeners:\n  - listen: 127.0.0.1:0\n    transports: [rawsocket]\n    origins: [\"*\"]\n",
			[]string{"line 2, column 5: listeners[0] has origins but no websocket transport"}},
		{"limits", "limits:\n  max_sessions_per_address: -1\n  login_failures_per_authid: -2\n  login_failure_window: 0s\n",
			[]string{"line 2, column 29: limits.max_sessions_per_address must be >= 0 (0 means no limit), not -1",
				"line 3, column 30: limits.login_failures_per_authid must be >= 0 (0 means no limit), not -2",
				"line 4, column 25: limits.login_failure_window must be positive while login_failures_per_address or login_failures_per_authid bounds failures"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFile(file, []byte(tt.yaml))
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

func TestSecurityWarnings(t *testing.T) {
	file := tlsFiles(t)
	cfg, err := ParseFile(file, []byte(`
listeners:
  - listen: 127.0.0.1:0
    transports: [websocket]
    tls: {cert: tls/server.pem, key: tls/server.key, client_ca: tls/ca.pem}
limits:
  handshake_timeout: 5s
realms:
  - name: ticketonly
    auth:
      ticket:
        principals: [{authid: a, role: user, ticket: "`+ticketHash+`"}]
  - name: empty
    auth:
      wampcra: {principals: []}
      dynamic: {procedure: a.b, methods: [ticket], timeout: 5s}
  - name: certs
    auth:
      tls:
        principals: [{authid: c, role: user, cn: c}]
  - name: roles
    anonymous: true
    auth:
      ticket:
        principals: [{authid: a, role: admin, ticket: "`+ticketHash+`"}]
    roles:
      - name: user
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`listeners[0].tls: client_ca is unused while client_auth is none`,
		`realms[1] "empty": auth.wampcra has no principals`,
		`realms[1] "empty": auth.dynamic.timeout 5s is not below limits.handshake_timeout 5s, which ends the handshake first`,
		`realms[2] "certs": auth.tls has principals but no listener asks for client certificates (tls.client_auth optional or required)`,
		`realms[3] "roles": anonymous has role "anonymous", which no roles entry defines: it may do nothing`,
		`realms[3] "roles": auth.ticket.principals[0] (authid "a") has role "admin", which no roles entry defines: it may do nothing`,
	}
	if got := cfg.Warnings(); !reflect.DeepEqual(got, want) {
		t.Errorf("Warnings() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseFingerprintAndPublicKey(t *testing.T) {
	colons := strings.ToUpper(fpHex[:2])
	for i := 2; i < len(fpHex); i += 2 {
		colons += ":" + strings.ToUpper(fpHex[i:i+2])
	}
	a, err1 := ParseFingerprint(fpHex)
	b, err2 := ParseFingerprint(colons)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(a, b) || len(a) != 32 {
		t.Fatalf("ParseFingerprint: %x %v, %x %v", a, err1, b, err2)
	}
	if k, err := ParsePublicKey(pubKey); err != nil || len(k) != 32 {
		t.Fatalf("ParsePublicKey = %x, %v", k, err)
	}
}
