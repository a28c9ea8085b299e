package main

// Security interop tests: a real wampd serving examples/secure.yaml driven
// by Autobahn|Python (testdata/interop/py/security.py, WebSocket and
// RawSocket) and Autobahn|JS (testdata/interop/js/security.js, WebSocket),
// one process per client, transport, serializer and scenario:
//   - authn: ticket, wampcra plain and salted, cryptosign with the clients'
//     own helpers, right and wrong secrets, the authmethods order, anonymous
//     refused on "secure" and open on realm1;
//   - authz: role "user" under com.example. and outside it;
//   - scram: wamp-scram with a spec-following client of our own (Python:
//     Autobahn|Python 22.7's scram predates the spec, Autobahn|JS has none).
// The login failure limit is shown against the fixture as shipped
// (throttle); the other scenarios run against the fixture with that limit
// lifted, since every wrong secret of the matrix comes from 127.0.0.1.
// Then Autobahn|Python over wss:// against examples/tls.yaml, verifying
// examples/tls/ca.pem (wss), its listeners moved to ephemeral ports.
// Every wait is bounded (the scripts' own 10 s, scriptTimeout here).

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// secureConfig and tlsConfig are the security fixtures, relative to
// cmd/wampd; tlsCA is the test CA that signed tlsConfig's certificate.
const (
	secureConfig = "../../examples/secure.yaml"
	tlsConfig    = "../../examples/tls.yaml"
	tlsCA        = "../../examples/tls/ca.pem"
)

// Scenarios of security.py and security.js.
var (
	pySecurity = []string{"authn", "authz", "scram"}
	jsSecurity = []string{"authn", "authz"}
)

// fixtureSecrets are the test secrets of secureConfig's principals (its
// header comment): none may reach wampd's log.
var fixtureSecrets = []string{"ticket-secret-1", "cra-secret-1", "cra-secret-2", "scram-secret-1",
	"a4b0bc56bbf9e0fe6c54d1f116ed1d42ac60738dcbe2978ded8e18a42ec4212c"}

// unthrottledConfig writes secureConfig with the login failure limits off
// (a limits section appended: the fixture has none of its own) and returns
// its path.
func unthrottledConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(secureConfig)
	if err != nil {
		t.Fatalf("read %s: %v", secureConfig, err)
	}
	if strings.Contains(string(b), "\nlimits:") {
		t.Fatalf("%s has a limits section now: merge the test's into it", secureConfig)
	}
	b = append(b, "\nlimits:\n  login_failures_per_address: 0\n  login_failures_per_authid: 0\n"...)
	path := filepath.Join(t.TempDir(), "secure-unthrottled.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	return path
}

// ephemeralConfig writes the configuration at path with every listener on
// port 0 of its host and its TLS file paths made absolute (they are
// relative to the file's directory), and returns the copy's path: wampd's
// --ws and --rawsocket flags would replace the listeners, a wss:// one
// with them.
func ephemeralConfig(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var listeners int
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				switch {
				case k == "listen" && v.Kind == yaml.ScalarNode:
					host := v.Value[:strings.LastIndexByte(v.Value, ':')]
					v.Value = host + ":0"
					listeners++
				case (k == "cert" || k == "key" || k == "client_ca") && v.Kind == yaml.ScalarNode && !filepath.IsAbs(v.Value):
					v.Value = filepath.Join(dir, v.Value)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	if listeners == 0 {
		t.Fatalf("%s has no listen address to move", path)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		t.Fatalf("write %s: %v", tmp, err)
	}
	return tmp
}

// TestSecurityInterop runs the authentication and authorization scenarios
// with both clients, the login failure limit with the fixture as is, and
// wss:// with the TLS fixture.
func TestSecurityInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("interop tests start real clients; skipped with -short")
	}
	env := newInteropEnv(t)
	env.bin = buildWampd(t)

	t.Run("fixture", func(t *testing.T) {
		// Debug level: whatever wampd says about a login is in the log the
		// secrets check reads.
		r := startRouterWith(t, env, false, "--config", unthrottledConfig(t), "--log-level", "debug")
		t.Run("python", func(t *testing.T) {
			env.needPython(t)
			for _, transport := range []string{"ws", "rs"} {
				for _, ser := range serializers {
					for _, scenario := range pySecurity {
						t.Run(transport+"/"+ser+"/"+scenario, func(t *testing.T) {
							env.pyScript(t, r, "security.py", scenario, transport, ser).wait(t, scriptTimeout)
						})
					}
				}
			}
		})
		t.Run("js", func(t *testing.T) {
			env.needNode(t)
			for _, ser := range serializers {
				for _, scenario := range jsSecurity {
					t.Run("ws/"+ser+"/"+scenario, func(t *testing.T) {
						env.jsScript(t, r, "security.js", scenario, ser).wait(t, scriptTimeout)
					})
				}
			}
		})
		t.Run("no-secret-logged", func(t *testing.T) {
			log := r.log.String()
			if !strings.Contains(log, "authid=ticketuser") {
				t.Fatalf("the log has no session of ticketuser: is it the log of the run?\n%s", log)
			}
			for _, s := range fixtureSecrets {
				if strings.Contains(log, s) {
					t.Errorf("wampd's log contains the secret %q", s)
				}
			}
		})
	})

	t.Run("login-limit", func(t *testing.T) {
		env.needPython(t)
		r := startRouterWith(t, env, false, "--config", secureConfig)
		env.pyScript(t, r, "security.py", "throttle", "ws", "json").wait(t, scriptTimeout)
	})

	t.Run("wss", func(t *testing.T) {
		env.needPython(t)
		r := startRouterArgs(t, env, false, "--config", ephemeralConfig(t, tlsConfig))
		if r.wss == "" {
			t.Fatalf("%s started without a wss:// listener\n%s", tlsConfig, r.log.String())
		}
		ca, err := filepath.Abs(tlsCA)
		if err != nil {
			t.Fatal(err)
		}
		for _, ser := range serializers {
			t.Run(ser, func(t *testing.T) {
				// The second --ws (the wss:// URL) is the one argparse keeps.
				env.pyScript(t, r, "security.py", "wss", "ws", ser, "--ws", r.wss, "--cafile", ca).wait(t, scriptTimeout)
			})
		}
	})
}
