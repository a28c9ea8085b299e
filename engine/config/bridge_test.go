package config

import (
	"strings"
	"testing"
	"time"
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
	// An outbound-only bridge needs no principals; the outbound role
	// defaults to anonymous.
	cfg, err = Parse([]byte("realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:8090\n      forward_events:\n        - {topic: com.t, match: prefix, url: \"http://127.0.0.1:9/e\", timeout: 1s, retries: 2, queue: 5}\n      forward_calls:\n        - {procedure: com.p, url: \"http://127.0.0.1:9/c\"}\n      principals:\n        - {hmac_key: 0123456789abcdef, authid: s, role: anonymous}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.Realms[0].Bridge; b.OutboundRole != DefaultBridgeOutboundRole || b.ForwardEvents[0].Target() != (Forward{URL: "http://127.0.0.1:9/e", Timeout: Duration(time.Second), Retries: 2, Queue: 5}) ||
		b.ForwardCalls[0].URL != "http://127.0.0.1:9/c" || b.Principals[0].HMACKey != "0123456789abcdef" {
		t.Fatalf("bridge %+v", b)
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
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      principals: [{hmac_key: short, authid: b, role: r}]\n", "hmac_key is shorter than 16 bytes"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      principals: [{hmac_key: 0123456789abcdef, token_hash: \"" + testTokenHash + "\", authid: b, role: r}]\n", "has both token_hash and hmac_key"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      forward_events: [{topic: com.t, match: fuzzy, url: \"http://h/\"}]\n", "match \"fuzzy\" is not exact, prefix or wildcard"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      forward_events: [{topic: com.t, url: \"ftp://h/\"}]\n", "forward_events[0] needs a url (http:// or https://)"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      forward_events: [{topic: com.t, url: \"http://h/\", retries: -1, queue: -1, timeout: 0s}]\n", "retries -1 is out of range"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      forward_events: [{topic: com.t, url: \"http://h/\", timeout: 0s}]\n", "forward_events[0].timeout must be positive"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      forward_calls: [{procedure: com.p, url: \"http://h/\"}, {procedure: com.p, url: \"http://h/\"}]\n", "procedure \"com.p\" is already forwarded by realms[0].bridge.forward_calls[0]"},
		{"realms:\n  - name: r\n    bridge:\n      listen: 127.0.0.1:1\n      outbound_role: \"a b\"\n      forward_calls: [{procedure: com.p, url: \"http://h/\"}]\n", "outbound_role \"a b\" is not a valid role name"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
