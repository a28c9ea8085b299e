package cluster

import (
	"strings"
	"testing"
)

func TestRedactURLs(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                     "nats://127.0.0.1:4222",
		"nats://wampd:s3cret@a:4222, nats://b:4222": "nats://wampd:xxxxx@a:4222, nats://b:4222",
		"tls://u:p@a:4222,tls://v:q@b:4222":         "tls://u:xxxxx@a:4222,tls://v:xxxxx@b:4222",
		"nats://token@a:4222":                       "nats://token@a:4222",
	} {
		if got := redactURLs(in); got != want {
			t.Errorf("redactURLs(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(redactURLs(in), "s3cret") {
			t.Errorf("redactURLs(%q) keeps the password", in)
		}
	}
}
