package cluster

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wampd/wampd/codec"
)

func TestEscapeToken(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"com", "com"},
		{"my_app-2", "my_app-2"},
		{"", "~"},
		{"a b", "~YSBi"},
		{"*", "~Kg"},
		{">", "~Pg"},
		{"~x", "~fng"},
		{"ünï", "~w7xuw68"},
	} {
		if got := escapeToken(tc.in); got != tc.want {
			t.Errorf("escapeToken(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := escapeToken(tc.in); strings.ContainsAny(got, ". *>\t") {
			t.Errorf("escapeToken(%q) = %q is not one NATS token", tc.in, got)
		}
	}
}

func TestInterestSubject(t *testing.T) {
	s := newSubjects("c1", "realm1", "n1")
	for _, tc := range []struct {
		topic string
		match codec.Match
		want  string
	}{
		{"com.app.temp", codec.MatchExact, "wampd.c1.realm1.ev.com.app.temp"},
		{"com.app", codec.MatchPrefix, "wampd.c1.realm1.ev.com.>"},
		{"com", codec.MatchPrefix, "wampd.c1.realm1.ev.>"},
		{"com.app.", codec.MatchPrefix, "wampd.c1.realm1.ev.com.app.>"},
		{"com..temp", codec.MatchWildcard, "wampd.c1.realm1.ev.com.*.temp"},
		{"com.my app..x", codec.MatchWildcard, "wampd.c1.realm1.ev.com.~bXkgYXBw.*.x"},
	} {
		if got := s.interestSubject(tc.topic, tc.match); got != tc.want {
			t.Errorf("interestSubject(%q, %v) = %q, want %q", tc.topic, tc.match, got, tc.want)
		}
	}
	if got := newSubjects("c1", "com.example", "n1").ev; got != "wampd.c1.~Y29tLmV4YW1wbGU.ev." {
		t.Errorf("a realm with dots is one token: %q", got)
	}
}

// natsMatch is NATS's subject matching: "*" one token, ">" one or more.
func natsMatch(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		if tok == ">" {
			return len(s) > i
		}
		if i >= len(s) || tok != "*" && tok != s[i] {
			return false
		}
	}
	return len(f) == len(s)
}

// wampMatch is the realm's matching of a topic by a subscription.
func wampMatch(sub string, m codec.Match, topic string) bool {
	switch m {
	case codec.MatchPrefix:
		return strings.HasPrefix(topic, sub)
	case codec.MatchWildcard:
		a, b := strings.Split(sub, "."), strings.Split(topic, ".")
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != "" && a[i] != b[i] {
				return false
			}
		}
		return true
	}
	return sub == topic
}

// TestInterestCoversMatches checks the rule the broker relies on: every
// topic a subscription matches is published on a subject its NATS
// subscription receives (the realm filters the extra ones on arrival).
func TestInterestCoversMatches(t *testing.T) {
	s := newSubjects("c", "r", "n")
	words := []string{"a", "b", "ab", "a b", "*", ">", "ü", "x-y"}
	rng := rand.New(rand.NewPCG(1, 2))
	topic := func() string {
		n := 1 + rng.IntN(4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = words[rng.IntN(len(words))]
		}
		return strings.Join(parts, ".")
	}
	checked := 0
	for range 20000 {
		tp := topic()
		sub, m := topic(), codec.Match(rng.IntN(3))
		switch m {
		case codec.MatchPrefix:
			if cut := rng.IntN(len(sub) + 1); cut > 0 {
				sub = sub[:cut]
			}
		case codec.MatchWildcard:
			parts := strings.Split(sub, ".")
			parts[rng.IntN(len(parts))] = ""
			sub = strings.Join(parts, ".")
		}
		if !wampMatch(sub, m, tp) {
			continue
		}
		checked++
		if f, subj := s.interestSubject(sub, m), s.eventSubject(tp); !natsMatch(f, subj) {
			t.Fatalf("subscription %q (%v) matches %q, but NATS filter %q misses subject %q", sub, m, tp, f, subj)
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d matching pairs checked", checked)
	}
}
