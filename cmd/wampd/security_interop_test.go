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
// Every wait is bounded (the scripts' own 10 s, scriptTimeout here).

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secureConfig is the security fixture, relative to cmd/wampd.
const secureConfig = "../../examples/secure.yaml"

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

// TestSecurityInterop runs the authentication and authorization scenarios
// with both clients, then the login failure limit with the fixture as is.
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
}
