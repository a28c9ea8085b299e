// Package wampuri holds the one rule for what a WAMP URI is, shared by the
// realm (which routes with it), the handshake (realm names in HELLO) and the
// configuration (realm names, topics, permission rules).
//
// URI rules (loose URIs, basic/building_blocks.md): components are the
// parts between dots; they must not contain whitespace or '#' and must not
// be empty. Patterns relax the last rule: a wildcard pattern may have empty
// components anywhere (an empty component matches any one component), and a
// prefix pattern may end with a dot ("com.app." matches "com.app.x").
package wampuri

import (
	"unicode"
	"unicode/utf8"

	"github.com/wampd/wampd/codec"
)

// Valid reports whether u is a valid URI, or pattern for match m. It
// allocates nothing: the realm calls it for every SUBSCRIBE, REGISTER,
// PUBLISH and CALL it cannot answer from its tables.
func Valid(u string, m codec.Match) bool {
	if u == "" {
		return false
	}
	start := 0 // start of the current component
	for i := 0; i < len(u); {
		c := u[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '.':
				if i == start && m != codec.MatchWildcard {
					return false // empty component
				}
				start = i + 1
			case c == '#', c == ' ', c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(u[i:])
		if r == utf8.RuneError && n == 1 || unicode.IsSpace(r) {
			return false
		}
		i += n
	}
	if start == len(u) { // empty last component (u ends with '.')
		return m != codec.MatchExact
	}
	return true
}
