package bridge

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// HMAC-signed requests, as Crossbar.io's signed HTTP publisher: a
// principal with an hmac_key signs each request with
//
//	X-Wampd-Timestamp: RFC 3339 or unix seconds, within ±signedWindow
//	X-Wampd-Nonce:     at most maxNonce bytes, never used twice
//	X-Wampd-Signature: base64(HMAC-SHA256(key, timestamp || nonce || body))
//
// (timestamp and nonce as sent). Every HMAC principal's key is tried and
// the signatures are compared in constant time, so the time taken says
// nothing of which key matched. A nonce is remembered, per principal, until
// its timestamp leaves the window (after that the timestamp is refused
// anyway), in a map bounded to nonceCacheSize: when it is full of live
// nonces a signed request is refused (503) rather than a nonce forgotten,
// which would let its request be replayed. Only nonces of requests whose
// signature verified are remembered, so only a key holder can fill it.
//
// The body is read (bounded by max_body) before a signed request is
// authenticated: the signature covers it.
const (
	HeaderTimestamp = "X-Wampd-Timestamp"
	HeaderNonce     = "X-Wampd-Nonce"
	HeaderSignature = "X-Wampd-Signature"

	// AuthMethodHMAC is the authmethod of sessions of HMAC principals.
	AuthMethodHMAC = "http-hmac"

	signedWindow   = 5 * time.Minute
	maxNonce       = 128
	nonceCacheSize = 1 << 16
)

// Reasons a signed request is refused (401, or 503 for errNonceCacheFull).
var (
	errSignedHeaders  = errors.New("signed request needs X-Wampd-Timestamp, X-Wampd-Nonce and X-Wampd-Signature")
	errStaleTimestamp = errors.New("X-Wampd-Timestamp is not a time within 5 minutes of the server's")
	errBadNonce       = errors.New("X-Wampd-Nonce is empty or too long")
	errBadSignature   = errors.New("invalid signature")
	errReplayed       = errors.New("nonce already used")
	errNonceCacheFull = errors.New("too many signed requests in the window; retry later")
)

// signer verifies signed requests against the HMAC principals. mu guards
// nonces; it is a leaf lock.
type signer struct {
	principals []*principal // those with an hmac key
	now        func() time.Time

	mu     sync.Mutex
	nonces map[string]time.Time // authid "\x00" nonce -> when it may be forgotten
}

func newSigner(ps []*principal) *signer {
	s := &signer{now: time.Now, nonces: map[string]time.Time{}}
	for _, p := range ps {
		if p.hmacKey != nil {
			s.principals = append(s.principals, p)
		}
	}
	return s
}

// parseTimestamp reads RFC 3339 or unix seconds.
func parseTimestamp(v string) (time.Time, bool) {
	if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(sec, 0), true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil
}

// verify returns the principal that signed the request, or why not.
func (s *signer) verify(h http.Header, body []byte) (*principal, error) {
	ts, nonce, sig := h.Get(HeaderTimestamp), h.Get(HeaderNonce), h.Get(HeaderSignature)
	if ts == "" || nonce == "" || sig == "" {
		return nil, errSignedHeaders
	}
	if len(nonce) > maxNonce {
		return nil, errBadNonce
	}
	at, ok := parseTimestamp(ts)
	now := s.now()
	if !ok || at.Before(now.Add(-signedWindow)) || at.After(now.Add(signedWindow)) {
		return nil, errStaleTimestamp
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return nil, errBadSignature
	}
	var found *principal
	for _, p := range s.principals {
		m := hmac.New(sha256.New, p.hmacKey)
		m.Write([]byte(ts))
		m.Write([]byte(nonce))
		m.Write(body)
		if hmac.Equal(m.Sum(nil), got) && found == nil {
			found = p
		}
	}
	if found == nil {
		return nil, errBadSignature
	}
	return found, s.use(found.authID+"\x00"+nonce, at.Add(signedWindow), now)
}

// use remembers a nonce until forget, refusing one already used.
func (s *signer) use(key string, forget, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until, ok := s.nonces[key]; ok && now.Before(until) {
		return errReplayed
	}
	if len(s.nonces) >= nonceCacheSize {
		for k, until := range s.nonces {
			if !now.Before(until) {
				delete(s.nonces, k)
			}
		}
		if len(s.nonces) >= nonceCacheSize {
			return errNonceCacheFull
		}
	}
	s.nonces[key] = forget
	return nil
}
