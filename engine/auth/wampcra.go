package auth

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// WAMP-CRA PBKDF2 defaults, Autobahn's: what a salted principal gets when
// it leaves Iterations or KeyLen 0.
const (
	DefaultCRAIterations = 1000
	DefaultCRAKeyLen     = 32
)

// CRAPrincipal is a wampcra principal of the configuration.
type CRAPrincipal struct {
	AuthRole string
	// Secret is the shared secret. With Salt set it is the password the
	// client derives its key from (PBKDF2-SHA256 over Salt, Iterations,
	// KeyLen); the router derives the same key once, in NewWAMPCRA.
	Secret string
	// Key, for a salted principal, replaces Secret by the derived key itself
	// (DeriveCRAKey's base64 output, as Crossbar.io stores it), so the file
	// need not hold the password. It is password-equivalent all the same.
	Key string
	// Salt, Iterations and KeyLen are sent in the CHALLENGE for the client
	// to derive its key; Salt "" means an unsalted secret.
	Salt       string
	Iterations int
	KeyLen     int
}

// DeriveCRAKey is the salted WAMP-CRA key of secret, as Autobahn's
// derive_key computes it: base64(PBKDF2-HMAC-SHA256(secret, salt,
// iterations, keylen)), salt taken as its UTF-8 bytes. The HMAC key is the
// base64 text, not the raw bytes.
func DeriveCRAKey(secret, salt string, iterations, keylen int) (string, error) {
	if iterations < 1 || iterations > maxIterations || keylen < 1 || keylen > 256 {
		return "", fmt.Errorf("%w: wampcra iterations 1..%d, keylen 1..256", ErrConfig, maxIterations)
	}
	k, err := pbkdf2.Key(sha256.New, secret, []byte(salt), iterations, keylen)
	if err != nil {
		return "", fmt.Errorf("%w: wampcra key: %v", ErrConfig, err)
	}
	return base64.StdEncoding.EncodeToString(k), nil
}

// WAMPCRA is the wampcra method with static principals.
type WAMPCRA struct {
	principals map[string]craPrincipal
	// mock shapes the challenge of an unknown authid like a real one: the
	// commonest role, salted when any principal is (salt derived from the
	// authid under mockKey, so it is stable per authid).
	mockRole   string
	mockSalted bool
	mockIter   int
	mockKeyLen int
	mockKey    []byte
	now        func() time.Time
}

type craPrincipal struct {
	role             string
	key              []byte // the HMAC key: the secret, or the derived key's base64 text
	salt             string
	iterations, klen int
}

// craState is WAMPCRA's (and Dynamic's) State: the signature expected and
// the identity it grants.
type craState struct {
	expected []byte
	id       Identity
	known    bool
}

func (*craState) authMethod() string { return MethodWAMPCRA }

// NewWAMPCRA returns the wampcra method over principals (by authid),
// deriving salted keys now so that no login runs PBKDF2.
func NewWAMPCRA(principals map[string]CRAPrincipal) (*WAMPCRA, error) {
	w := &WAMPCRA{principals: make(map[string]craPrincipal, len(principals)), mockKey: randomBytes(32), now: time.Now}
	roles := map[string]int{}
	ids := make([]string, 0, len(principals))
	for id := range principals {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := principals[id]
		if id == "" || p.AuthRole == "" {
			return nil, fmt.Errorf("%w: wampcra principal %q needs an authid and a role", ErrConfig, id)
		}
		cp := craPrincipal{role: p.AuthRole, salt: p.Salt}
		switch {
		case p.Salt == "" && p.Key != "":
			return nil, fmt.Errorf("%w: wampcra principal %q: a derived key needs its salt", ErrConfig, id)
		case p.Salt == "":
			if p.Secret == "" {
				return nil, fmt.Errorf("%w: wampcra principal %q has no secret", ErrConfig, id)
			}
			cp.key = []byte(p.Secret)
		default:
			cp.iterations, cp.klen = p.Iterations, p.KeyLen
			if cp.iterations == 0 {
				cp.iterations = DefaultCRAIterations
			}
			if cp.klen == 0 {
				cp.klen = DefaultCRAKeyLen
			}
			key := p.Key
			if (key == "") == (p.Secret == "") {
				return nil, fmt.Errorf("%w: wampcra principal %q: a salted principal needs exactly one of secret and key", ErrConfig, id)
			}
			if key == "" {
				var err error
				if key, err = DeriveCRAKey(p.Secret, p.Salt, cp.iterations, cp.klen); err != nil {
					return nil, fmt.Errorf("wampcra principal %q: %w", id, err)
				}
			}
			cp.key = []byte(key)
			if !w.mockSalted {
				w.mockSalted, w.mockIter, w.mockKeyLen = true, cp.iterations, cp.klen
			}
		}
		roles[p.AuthRole]++
		w.principals[id] = cp
	}
	for role, n := range roles {
		if n > roles[w.mockRole] || (n == roles[w.mockRole] && role < w.mockRole) {
			w.mockRole = role
		}
	}
	if w.mockRole == "" {
		w.mockRole = "user"
	}
	return w, nil
}

// Method returns MethodWAMPCRA.
func (w *WAMPCRA) Method() string { return MethodWAMPCRA }

// Accepts a HELLO with an authid (the spec requires one for wampcra).
func (w *WAMPCRA) Accepts(h *Hello) bool { return h.AuthID != "" }

// Start sends the challenge: for a known authid signed with its key, for an
// unknown one a mock of the same shape that no signature matches.
func (w *WAMPCRA) Start(_ context.Context, h *Hello) (*Identity, *Challenge, State, error) {
	if h.AuthID == "" {
		return nil, nil, nil, failed("wampcra without authid")
	}
	p, known := w.principals[h.AuthID]
	if !known {
		p = craPrincipal{role: w.mockRole, key: randomBytes(32)}
		if w.mockSalted {
			m := hmac.New(sha256.New, w.mockKey)
			m.Write([]byte(h.AuthID))
			p.salt = base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:9])
			p.iterations, p.klen = w.mockIter, w.mockKeyLen
		}
	}
	ch, st := craChallenge(h, Identity{AuthID: h.AuthID, AuthRole: p.role, AuthMethod: MethodWAMPCRA, AuthProvider: ProviderStatic}, p, w.now())
	st.known = known
	return nil, ch, st, nil
}

// Finish compares the signature with the one expected, in constant time.
func (w *WAMPCRA) Finish(_ context.Context, pending State, signature string, _ map[string]any) (Identity, error) {
	return craFinish(pending, signature)
}

// craChallengeText is the JSON object the client signs, with the fields the
// spec lists.
type craChallengeText struct {
	AuthID       string `json:"authid"`
	AuthRole     string `json:"authrole"`
	AuthMethod   string `json:"authmethod"`
	AuthProvider string `json:"authprovider"`
	Nonce        string `json:"nonce"`
	Timestamp    string `json:"timestamp"`
	Session      uint64 `json:"session"`
}

// craChallenge builds the CHALLENGE for id signed with p's key, and the
// state holding the signature expected.
func craChallenge(h *Hello, id Identity, p craPrincipal, now time.Time) (*Challenge, *craState) {
	text, _ := json.Marshal(craChallengeText{ // plain strings and a number: cannot fail
		AuthID:       id.AuthID,
		AuthRole:     id.AuthRole,
		AuthMethod:   MethodWAMPCRA,
		AuthProvider: id.AuthProvider,
		Nonce:        base64.StdEncoding.EncodeToString(randomBytes(16)),
		Timestamp:    now.UTC().Format("2006-01-02T15:04:05.000Z"),
		Session:      h.Session,
	})
	m := hmac.New(sha256.New, p.key)
	m.Write(text)
	extra := map[string]any{"challenge": string(text)}
	if p.salt != "" {
		extra["salt"] = p.salt
		extra["iterations"] = p.iterations
		extra["keylen"] = p.klen
	}
	return &Challenge{Method: MethodWAMPCRA, Extra: extra}, &craState{expected: m.Sum(nil), id: id}
}

// craFinish checks a wampcra signature: base64 of the 32-byte HMAC.
func craFinish(pending State, signature string) (Identity, error) {
	st, ok := pending.(*craState)
	if !ok {
		return Identity{}, failed("state of another method")
	}
	sig, err := decodeBase64(signature)
	if err != nil || len(sig) != sha256.Size {
		return Identity{}, failed("malformed signature")
	}
	if subtle.ConstantTimeCompare(sig, st.expected) != 1 || !st.known {
		return Identity{}, failed("wrong signature")
	}
	return st.id, nil
}
