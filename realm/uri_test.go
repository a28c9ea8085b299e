package realm

import (
	"testing"

	"github.com/wampd/wampd/codec"
)

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

// TestWildcardPrecedence is the spec's example of calls matching several
// registrations (rpc_pattern_based_registration.md).
func TestWildcardPrecedence(t *testing.T) {
	var x patternIndex[int]
	x.init()
	for i, p := range []struct {
		uri string
		m   codec.Match
	}{
		{"a1.b2.c3.d4.e55", codec.MatchExact}, {"a1.b2.c3", codec.MatchPrefix}, {"a1.b2.c3.d4", codec.MatchPrefix},
		{"a1.b2..d4.e5", codec.MatchWildcard}, {"a1.b2.c33..e5", codec.MatchWildcard},
		{"a1.b2..d4.e5..g7", codec.MatchWildcard}, {"a1.b2..d4..f6.g7", codec.MatchWildcard},
	} {
		x.add(p.uri, p.m, i+1)
	}
	route := func(uri string) int {
		if v, ok := x.exact[uri]; ok {
			return v
		}
		if v, ok := x.prefix.longest(uri); ok {
			return v
		}
		if v, ok := x.wild.best(uri); ok {
			return v
		}
		return 0
	}
	for uri, want := range map[string]int{
		"a1.b2.c3.d4.e55": 1, "a1.b2.c3.d98.e74": 2, "a1.b2.c3.d4.e325": 3, "a1.b2.c55.d4.e5": 4,
		"a1.b2.c88.d4.e5.f6.g7": 6, "a2.b2.c2.d2.e2": 0,
	} {
		if got := route(uri); got != want {
			t.Errorf("%s routes to %d, want %d", uri, got, want)
		}
	}
	// The spec's example says "a1.b2.c33.d4.e5" has no prefix match, so
	// its RPC example reads prefixes by whole components, while its PubSub
	// section has "com.myapp.topic.emergency" match
	// "com.myapp.topic.emergency-low": wampd matches prefixes as strings
	// for both, so here "a1.b2.c3" wins. Among the wildcards alone, 5 ranks
	// before 4, as the example says.
	if v, _ := x.wild.best("a1.b2.c33.d4.e5"); v != 5 {
		t.Errorf("wildcard best of a1.b2.c33.d4.e5 = %d, want 5", v)
	}
}
