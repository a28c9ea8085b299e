package realm

import (
	"strings"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/internal/wampuri"
)

// validURI reports whether u is a valid URI, or pattern for match m: the
// router's one rule, internal/wampuri (the handshake and the configuration
// check with it too). It allocates nothing.
func validURI(u string, m codec.Match) bool { return wampuri.Valid(u, m) }

// reservedURI reports whether u is under the "wamp" first component, which
// the spec reserves for the protocol itself: clients may subscribe there
// (meta events) but not publish or register.
func reservedURI(u string) bool {
	return u == "wamp" || strings.HasPrefix(u, "wamp.")
}

// componentCount is the number of dot-separated components of u.
func componentCount(u string) int { return strings.Count(u, ".") + 1 }

// wildcardMatch reports whether uri matches the wildcard pattern: same
// number of components, each pattern component empty or equal.
func wildcardMatch(pattern, uri string) bool {
	for {
		pi := strings.IndexByte(pattern, '.')
		ui := strings.IndexByte(uri, '.')
		if (pi < 0) != (ui < 0) {
			return false
		}
		if pi < 0 {
			return pattern == "" || pattern == uri
		}
		if pi > 0 && pattern[:pi] != uri[:ui] {
			return false
		}
		pattern, uri = pattern[pi+1:], uri[ui+1:]
	}
}

// prefixIndex finds the prefix patterns matching a URI with one map lookup
// per distinct prefix length: prefix matching is by string prefix (the spec
// has "com.myapp.topic.emergency" match "com.myapp.topic.emergency-low"), so
// a component trie would miss some matches. Lengths are kept sorted with a
// reference count per length. T is a subscription or a registration.
type prefixIndex[T any] struct {
	byPrefix map[string]T
	lens     []int       // distinct prefix lengths, ascending
	lenRefs  map[int]int // patterns per length
}

func (p *prefixIndex[T]) init() {
	p.byPrefix = make(map[string]T)
	p.lenRefs = make(map[int]int)
}

func (p *prefixIndex[T]) get(prefix string) (T, bool) {
	v, ok := p.byPrefix[prefix]
	return v, ok
}

func (p *prefixIndex[T]) add(prefix string, v T) {
	p.byPrefix[prefix] = v
	n := len(prefix)
	if p.lenRefs[n]++; p.lenRefs[n] == 1 {
		i := 0
		for i < len(p.lens) && p.lens[i] < n {
			i++
		}
		p.lens = append(p.lens, 0)
		copy(p.lens[i+1:], p.lens[i:])
		p.lens[i] = n
	}
}

func (p *prefixIndex[T]) remove(prefix string) {
	delete(p.byPrefix, prefix)
	n := len(prefix)
	if p.lenRefs[n]--; p.lenRefs[n] > 0 {
		return
	}
	delete(p.lenRefs, n)
	for i, l := range p.lens {
		if l == n {
			p.lens = append(p.lens[:i], p.lens[i+1:]...)
			break
		}
	}
}

// appendMatches appends every pattern that is a prefix of uri to dst,
// shortest first.
func (p *prefixIndex[T]) appendMatches(dst []T, uri string) []T {
	for _, n := range p.lens {
		if n > len(uri) {
			break
		}
		if v, ok := p.byPrefix[uri[:n]]; ok {
			dst = append(dst, v)
		}
	}
	return dst
}

// longest returns the longest pattern that is a prefix of uri.
func (p *prefixIndex[T]) longest(uri string) (v T, ok bool) {
	for i := len(p.lens) - 1; i >= 0; i-- {
		n := p.lens[i]
		if n > len(uri) {
			continue
		}
		if v, ok = p.byPrefix[uri[:n]]; ok {
			return v, true
		}
	}
	return v, false
}

// wildcardIndex holds wildcard patterns by component count, so a URI is
// compared only with patterns of its own length.
type wildcardIndex[T any] struct {
	byPattern map[string]T
	byCount   map[int][]wildEntry[T]
}

type wildEntry[T any] struct {
	pattern string
	v       T
}

func (w *wildcardIndex[T]) init() {
	w.byPattern = make(map[string]T)
	w.byCount = make(map[int][]wildEntry[T])
}

func (w *wildcardIndex[T]) get(pattern string) (T, bool) {
	v, ok := w.byPattern[pattern]
	return v, ok
}

func (w *wildcardIndex[T]) add(pattern string, v T) {
	w.byPattern[pattern] = v
	n := componentCount(pattern)
	w.byCount[n] = append(w.byCount[n], wildEntry[T]{pattern, v})
}

func (w *wildcardIndex[T]) remove(pattern string) {
	delete(w.byPattern, pattern)
	n := componentCount(pattern)
	es := w.byCount[n]
	for i := range es {
		if es[i].pattern == pattern {
			copy(es[i:], es[i+1:])
			var zero wildEntry[T]
			es[len(es)-1] = zero
			es = es[:len(es)-1]
			break
		}
	}
	if len(es) == 0 {
		delete(w.byCount, n)
	} else {
		w.byCount[n] = es
	}
}

// appendMatches appends every pattern matching uri to dst, in the order
// they were added.
func (w *wildcardIndex[T]) appendMatches(dst []T, uri string) []T {
	if len(w.byCount) == 0 {
		return dst
	}
	for _, e := range w.byCount[componentCount(uri)] {
		if wildcardMatch(e.pattern, uri) {
			dst = append(dst, e.v)
		}
	}
	return dst
}

// best returns the wildcard pattern matching uri that the spec ranks
// first (pattern-based registration: "the longest portion of URI
// components matched before each wildcard", portion by portion), and
// whether one matches. Ties keep the pattern added first.
func (w *wildcardIndex[T]) best(uri string) (v T, ok bool) {
	if len(w.byCount) == 0 {
		return v, false
	}
	var bestPattern string
	for _, e := range w.byCount[componentCount(uri)] {
		if !wildcardMatch(e.pattern, uri) {
			continue
		}
		if !ok || wildcardBefore(e.pattern, bestPattern) {
			v, bestPattern, ok = e.v, e.pattern, true
		}
	}
	return v, ok
}

// wildcardBefore reports whether wildcard pattern a ranks before b (both
// of the same component count and matching the same URI): compare the
// runs of literal components between wildcards, first run first, a longer
// run winning. "a1.b2.c33..e5" (3, 1) ranks before "a1.b2..d4.e5" (2, 2).
func wildcardBefore(a, b string) bool {
	for {
		na, restA := literalRun(a)
		nb, restB := literalRun(b)
		if na != nb {
			return na > nb
		}
		if restA == "" || restB == "" {
			return false
		}
		a, b = restA, restB
	}
}

// literalRun counts the literal components at the start of pattern (up to
// its first wildcard) and returns what follows that wildcard ("" at the end).
func literalRun(pattern string) (n int, rest string) {
	for {
		comp, after, more := strings.Cut(pattern, ".")
		if comp == "" {
			if !more {
				return n, ""
			}
			return n, after
		}
		n++
		if !more {
			return n, ""
		}
		pattern = after
	}
}

// patternIndex holds what is subscribed or registered under a URI and a
// match policy: exact URIs in a map, prefixes by length, wildcard patterns
// by component count. Broker and dealer each keep one.
type patternIndex[T any] struct {
	exact  map[string]T
	prefix prefixIndex[T]
	wild   wildcardIndex[T]
}

func (x *patternIndex[T]) init() {
	x.exact = make(map[string]T)
	x.prefix.init()
	x.wild.init()
}

// get returns what is stored under (uri, m).
func (x *patternIndex[T]) get(uri string, m codec.Match) T {
	var v T
	switch m {
	case codec.MatchPrefix:
		v, _ = x.prefix.get(uri)
	case codec.MatchWildcard:
		v, _ = x.wild.get(uri)
	default:
		v = x.exact[uri]
	}
	return v
}

// add stores v under (uri, m).
func (x *patternIndex[T]) add(uri string, m codec.Match, v T) {
	switch m {
	case codec.MatchPrefix:
		x.prefix.add(uri, v)
	case codec.MatchWildcard:
		x.wild.add(uri, v)
	default:
		x.exact[uri] = v
	}
}

// remove drops what is stored under (uri, m).
func (x *patternIndex[T]) remove(uri string, m codec.Match) {
	switch m {
	case codec.MatchPrefix:
		x.prefix.remove(uri)
	case codec.MatchWildcard:
		x.wild.remove(uri)
	default:
		delete(x.exact, uri)
	}
}
