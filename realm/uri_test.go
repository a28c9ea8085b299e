package realm

import (
	"testing"

	"github.com/wampd/wampd/codec"
)

func TestValidURI(t *testing.T) {
	tests := []struct {
		uri                    string
		exact, prefix, pattern bool // valid for exact, prefix, wildcard
	}{
		{"com.myapp.topic", true, true, true},
		{"a", true, true, true},
		{"", false, false, false},
		{"com..topic", false, false, true},
		{".com.topic", false, false, true},
		{"com.myapp.", false, true, true},
		{"com.my app", false, false, false},
		{"com.my\tapp", false, false, false},
		{"com.my#app", false, false, false},
		{"com.m\u00e9tier.x", true, true, true},
		{"com.\u00a0x", false, false, false}, // non-breaking space
		{"com.\xff", false, false, false},    // invalid UTF-8
		{"..", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			for _, c := range []struct {
				m    codec.Match
				want bool
			}{{codec.MatchExact, tt.exact}, {codec.MatchPrefix, tt.prefix}, {codec.MatchWildcard, tt.pattern}} {
				if got := validURI(tt.uri, c.m); got != c.want {
					t.Errorf("validURI(%q, %s) = %v, want %v", tt.uri, matchName(c.m), got, c.want)
				}
			}
		})
	}
}

func TestReservedURI(t *testing.T) {
	tests := []struct {
		uri  string
		want bool
	}{
		{"wamp", true}, {"wamp.session.on_join", true}, {"wampx.topic", false}, {"com.wamp", false},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			if got := reservedURI(tt.uri); got != tt.want {
				t.Errorf("reservedURI(%q) = %v, want %v", tt.uri, got, tt.want)
			}
		})
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, uri string
		want         bool
	}{
		{"com.myapp..userevent", "com.myapp.foo.userevent", true},
		{"com.myapp..userevent", "com.myapp.bar.userevent", true},
		{"com.myapp..userevent", "com.myapp.foo.userevent.bar", false},
		{"com.myapp..userevent", "com.myapp.foo.user", false},
		{"com.myapp..userevent", "com.myapp2.foo.userevent", false},
		{"..", "a.b.c", true},
		{"..", "a.b", false},
		{"a..", "a.b.c", true},
		{"a..", "b.b.c", false},
		{"a.b.c", "a.b.c", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.uri, func(t *testing.T) {
			if got := wildcardMatch(tt.pattern, tt.uri); got != tt.want {
				t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.uri, got, tt.want)
			}
		})
	}
}

func TestPrefixIndex(t *testing.T) {
	var p prefixIndex[string]
	p.init()
	for _, pre := range []string{"com.myapp.topic.emergency", "com.myapp.", "com.other", "com.myapp.topic.emergency.11"} {
		p.add(pre, pre)
	}
	tests := []struct {
		uri     string
		want    []string
		longest string
	}{
		{"com.myapp.topic.emergency-low", []string{"com.myapp.", "com.myapp.topic.emergency"}, "com.myapp.topic.emergency"},
		{"com.myapp.topic.emergency.11", []string{"com.myapp.", "com.myapp.topic.emergency", "com.myapp.topic.emergency.11"}, "com.myapp.topic.emergency.11"},
		{"com.myapp.topic.emerge", []string{"com.myapp."}, "com.myapp."},
		{"com.myapp", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got := p.appendMatches(nil, tt.uri)
			if len(got) != len(tt.want) {
				t.Fatalf("matches = %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("matches = %q, want %q", got, tt.want)
				}
			}
			l, _ := p.longest(tt.uri)
			if l != tt.longest {
				t.Errorf("longest = %q, want %q", l, tt.longest)
			}
		})
	}
	p.remove("com.myapp.")
	if got := p.appendMatches(nil, "com.myapp.topic.emerge"); len(got) != 0 {
		t.Errorf("after remove: matches = %q, want none", got)
	}
	if len(p.lens) != 3 {
		t.Errorf("lens = %v, want 3 distinct lengths", p.lens)
	}
}
