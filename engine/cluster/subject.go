package cluster

import (
	"encoding/base64"
	"strings"

	"github.com/wampd/wampd/codec"
)

// NATS subjects of a cluster named C (every node of it has the same):
//
//	wampd.C.hb                   heartbeats: every node's name and boot id
//	wampd.C.snap.NODE            request: the sessions of NODE, every realm
//	wampd.C.R.sess               a realm's session joins and leaves
//	wampd.C.R.to.NODE            messages for NODE in realm R (calls, answers)
//	wampd.C.R.ev.T1.T2...        publications to topic T1.T2... in realm R
//
// R is the realm name and Tn the topic's components, each one token
// (escapeToken). Prefix and wildcard subscriptions become NATS wildcards
// over whole components (interestSubject); the realm's own matching then
// filters exactly on arrival.

const subjectRoot = "wampd."

// escapeToken makes s one NATS subject token: kept as it is when it is
// made of A-Z a-z 0-9 _ - only (every URI component in practice), else
// "~" and its base64url, which no plain token can be mistaken for.
func escapeToken(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
	}
	if plain {
		return s
	}
	return "~" + base64.RawURLEncoding.EncodeToString([]byte(s))
}

// subjects are a realm's subject prefixes on one node.
type subjects struct {
	sess, ev, to, self string // self: to + this node
}

func newSubjects(clusterName, realm, node string) subjects {
	base := subjectRoot + clusterName + "." + escapeToken(realm) + "."
	return subjects{sess: base + "sess", ev: base + "ev.", to: base + "to.", self: base + "to." + node}
}

// eventSubject is the subject a publication to topic goes to.
func (s *subjects) eventSubject(topic string) string {
	var b strings.Builder
	b.Grow(len(s.ev) + len(topic) + 8)
	b.WriteString(s.ev)
	for i, c := range strings.Split(topic, ".") {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(escapeToken(c))
	}
	return b.String()
}

// interestSubject is the NATS subscription that receives every publication
// a subscription to (topic, match) can match: more at times (a prefix that
// ends inside a component takes its whole parent), never less.
func (s *subjects) interestSubject(topic string, match codec.Match) string {
	parts := strings.Split(topic, ".")
	switch match {
	case codec.MatchPrefix:
		// "a.b" matches a.b, a.b.c and a.bc: everything under a.
		parts = parts[:len(parts)-1]
		for i, p := range parts {
			parts[i] = escapeToken(p)
		}
		parts = append(parts, ">")
	case codec.MatchWildcard:
		for i, p := range parts {
			if p == "" {
				parts[i] = "*"
			} else {
				parts[i] = escapeToken(p)
			}
		}
	default:
		for i, p := range parts {
			parts[i] = escapeToken(p)
		}
	}
	return s.ev + strings.Join(parts, ".")
}
