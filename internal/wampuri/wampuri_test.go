package wampuri

import (
	"testing"

	"github.com/wampd/wampd/codec"
)

func TestValid(t *testing.T) {
	tests := []struct {
		uri                    string
		exact, prefix, pattern bool // valid for exact, prefix, wildcard
	}{
		{"com.myapp.topic", true, true, true},
		{"a", true, true, true},
		{"realm1", true, true, true},
		{"com.Example-1.x_y", true, true, true},
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
				if got := Valid(tt.uri, c.m); got != c.want {
					t.Errorf("Valid(%q, %s) = %v, want %v", tt.uri, c.m, got, c.want)
				}
			}
		})
	}
}

func BenchmarkValid_Exact4Components(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if !Valid("com.example.app.topic", codec.MatchExact) {
			b.Fatal("invalid")
		}
	}
}
