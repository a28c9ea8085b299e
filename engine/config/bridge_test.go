package config

import (
	"strings"
	"testing"
)

const testTokenHash = "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

func TestBridge(t *testing.T) {
	cfg, err := Parse([]byte("realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:8090\n      principals:\n        - {token_hash: \"" + testTokenHash + "\", authid: b, role: anonymous}\n      webhooks:\n        - {name: gh, topic: com.hook}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Realms[0].Bridge
	if b == nil || b.PathPrefix != "/" || b.MaxBody != DefaultBridgeMaxBody || b.CallTimeout.String() != "10s" ||
		b.MaxConcurrent != DefaultBridgeMaxConcurrent || b.Webhooks[0].HeaderNames()[0] != "Content-Type" {
		t.Fatalf("bridge %+v", b)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"realms:\n  - name: r\n    bridge:\n      listen: nope\n      principals: [{token_hash: \"" + testTokenHash + "\", authid: b, role: r}]\n", "line 4, column 15: realms[0].bridge.listen \"nope\" is not host:port"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n", "realms[0].bridge needs principals"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      principals: [{token_hash: secret, authid: b, role: r}]\n", "realms[0].bridge.principals[0].token_hash is not a token hash"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      path_prefix: api\n      principals: [{token_hash: \"" + testTokenHash + "\", authid: b, role: r}]\n", "line 5, column 20: realms[0].bridge.path_prefix \"api\" must start and end with \"/\""},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      call_timeout: 0s\n      principals: [{token_hash: \"" + testTokenHash + "\", authid: b, role: r}]\n", "call_timeout must be positive"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      principals: [{token_hash: \"" + testTokenHash + "\", authid: b, role: r}]\n      webhooks: [{name: a/b, topic: com.t}, {name: x, topic: \"bad#\", headers: [\"a b\"]}]\n", "name \"a/b\" may hold only"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      principals: [{token_hash: \"" + testTokenHash + "\", authid: b, role: r}]\n      webhooks: [{name: x, topic: \"bad#\"}]\n", "topic \"bad#\" is not a valid WAMP URI"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      principals: [{token_hash: \"" + testTokenHash + "\", authid: b, role: r}]\n      webhooks: [{name: x, topic: a, headers: [\"a b\"]}]\n", "is not an HTTP header name"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:8080\n      principals: [{token_hash: \"" + testTokenHash + "\", authid: b, role: r}]\n", "realms[0].bridge.listen \"127.0.0.1:8080\" is already used by listeners[0]"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      principalz: []\n", "did you mean \"principals\""},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
