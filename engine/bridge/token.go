package bridge

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Bearer tokens are stored as ticket hashes (argon2id or PBKDF2, made by
// `wampd hash`), so checking one costs tens of milliseconds of CPU and
// memory. A token verified once is remembered for tokenTTL under the
// SHA-256 of the token (not the token), in a cache bounded to tokenCacheSize
// entries, so a client's stream of requests runs the hash once. Misses run
// on at most cap(tokens.slots) goroutines at once (the request's own, never
// an event loop or a realm actor), so a flood of wrong tokens costs a
// bounded share of the CPU. Wrong tokens are not remembered: a cache of
// them would only grow with an attacker's guesses.
const (
	tokenTTL       = 30 * time.Second
	tokenCacheSize = 1024
)

// tokens authenticates bearer tokens against the bridge's principals.
// mu guards cache; it is a leaf lock, never held while hashing.
type tokens struct {
	principals []*principal
	slots      chan struct{} // bounds concurrent hash verifications

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cachedToken
	now   func() time.Time
}

type cachedToken struct {
	p       *principal
	expires time.Time
}

func newTokens(ps []*principal, parallel int) *tokens {
	return &tokens{principals: ps, slots: make(chan struct{}, max(parallel, 1)),
		cache: make(map[[sha256.Size]byte]cachedToken), now: time.Now}
}

// bearer is the token of an "Authorization: Bearer TOKEN" header, or "".
func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// principal returns the principal token belongs to, or nil. It waits for a
// verification slot at most until ctx ends.
func (t *tokens) principal(ctx context.Context, token string) *principal {
	if token == "" {
		return nil
	}
	// The key is a digest: the map's timing says nothing about the token,
	// and the token itself is not kept.
	key := sha256.Sum256([]byte(token))
	now := t.now()
	t.mu.Lock()
	c, ok := t.cache[key]
	t.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.p
	}
	select {
	case t.slots <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	var found *principal
	for _, p := range t.principals {
		if p.hmacKey != nil {
			continue // a signer has no token
		}
		// Every hash is tried, so the time taken does not say which
		// principal (if any) matched.
		if p.hash.Verify(token) && found == nil {
			found = p
		}
	}
	<-t.slots
	if found != nil {
		t.remember(key, found, now.Add(tokenTTL))
	}
	return found
}

// remember caches a verified token, making room when the cache is full:
// expired entries go first, then an arbitrary one.
func (t *tokens) remember(key [sha256.Size]byte, p *principal, expires time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.cache) >= tokenCacheSize {
		now := t.now()
		for k, c := range t.cache {
			if !now.Before(c.expires) {
				delete(t.cache, k)
			}
		}
		for k := range t.cache {
			if len(t.cache) < tokenCacheSize {
				break
			}
			delete(t.cache, k)
		}
	}
	t.cache[key] = cachedToken{p: p, expires: expires}
}
