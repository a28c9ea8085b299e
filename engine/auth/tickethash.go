package auth

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// KDF names of ticket hashes (the PHC identifiers).
const (
	KDFArgon2id     = "argon2id"
	KDFPBKDF2SHA256 = "pbkdf2-sha256"
)

// HashParams are the cost parameters of a new ticket hash.
type HashParams struct {
	// KDF is KDFArgon2id (the default when "") or KDFPBKDF2SHA256.
	KDF string
	// Argon2id: Time passes over MemoryKiB KiB with Threads lanes.
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
	// PBKDF2: Iterations of HMAC-SHA-256.
	Iterations int
}

// DefaultHashParams are the parameters `wampd hash` uses: argon2id with
// OWASP's recommended minimum (19 MiB, 2 passes, 1 lane), about 20-40 ms per
// verify on one core of the bench machine, which bounds a login flood on the
// Pool. PBKDF2 is there for deployments that must use FIPS primitives.
var DefaultHashParams = HashParams{KDF: KDFArgon2id, Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

// DefaultPBKDF2Iterations is the PBKDF2-SHA-256 count when HashParams leaves
// it 0 (OWASP's 2023 figure).
const DefaultPBKDF2Iterations = 600_000

// Bounds on the parameters a hash string may carry: a configuration typo
// must not make every login allocate gigabytes or spin for minutes.
const (
	saltLen       = 16
	hashLen       = 32
	minSaltLen    = 8
	maxMemoryKiB  = 1 << 20 // 1 GiB
	maxTime       = 1 << 10
	maxIterations = 1 << 24
)

// HashTicket returns the PHC string of secret under p with a fresh random
// salt: what the configuration stores for a ticket principal.
func HashTicket(secret string, p HashParams) (string, error) {
	h, err := p.normalize()
	if err != nil {
		return "", err
	}
	h.salt = randomBytes(saltLen)
	h.hash = h.derive(secret, hashLen)
	return h.String(), nil
}

// ticketHash is a parsed PHC string.
type ticketHash struct {
	kdf        string
	time       uint32
	memory     uint32
	threads    uint8
	iterations int
	salt, hash []byte
}

func (p HashParams) normalize() (ticketHash, error) {
	h := ticketHash{kdf: p.KDF, time: p.Time, memory: p.MemoryKiB, threads: p.Threads, iterations: p.Iterations}
	switch h.kdf {
	case "", KDFArgon2id:
		h.kdf = KDFArgon2id
		if h.time == 0 {
			h.time = DefaultHashParams.Time
		}
		if h.memory == 0 {
			h.memory = DefaultHashParams.MemoryKiB
		}
		if h.threads == 0 {
			h.threads = DefaultHashParams.Threads
		}
	case KDFPBKDF2SHA256:
		if h.iterations == 0 {
			h.iterations = DefaultPBKDF2Iterations
		}
	default:
		return h, fmt.Errorf("%w: unknown KDF %q (argon2id or pbkdf2-sha256)", ErrConfig, p.KDF)
	}
	if err := h.check(); err != nil {
		return h, err
	}
	return h, nil
}

// check bounds the parameters (salt and hash lengths only when set).
func (h *ticketHash) check() error {
	switch h.kdf {
	case KDFArgon2id:
		if h.time < 1 || h.time > maxTime || h.threads < 1 ||
			h.memory < 8*uint32(h.threads) || h.memory > maxMemoryKiB {
			return fmt.Errorf("%w: argon2id parameters out of range (t 1..%d, p >= 1, m 8*p..%d KiB)", ErrHashFormat, maxTime, maxMemoryKiB)
		}
	case KDFPBKDF2SHA256:
		if h.iterations < 1 || h.iterations > maxIterations {
			return fmt.Errorf("%w: pbkdf2 iterations out of range (1..%d)", ErrHashFormat, maxIterations)
		}
	}
	if h.salt != nil && len(h.salt) < minSaltLen {
		return fmt.Errorf("%w: salt shorter than %d bytes", ErrHashFormat, minSaltLen)
	}
	if h.hash != nil && (len(h.hash) < 16 || len(h.hash) > 64) {
		return fmt.Errorf("%w: hash length not in 16..64 bytes", ErrHashFormat)
	}
	return nil
}

// derive hashes secret with h's parameters and salt.
func (h *ticketHash) derive(secret string, n int) []byte {
	if h.kdf == KDFPBKDF2SHA256 {
		// Key fails only on a bad key length (excluded by check) or, in
		// FIPS 140 mode, a salt under 16 bytes: then no secret matches.
		k, err := pbkdf2.Key(sha256.New, secret, h.salt, h.iterations, n)
		if err != nil {
			return randomBytes(n)
		}
		return k
	}
	return argon2.IDKey([]byte(secret), h.salt, h.time, h.memory, h.threads, uint32(n))
}

// verify reports in constant time (for a given hash) whether secret hashes
// to h.
func (h *ticketHash) verify(secret string) bool {
	return subtle.ConstantTimeCompare(h.derive(secret, len(h.hash)), h.hash) == 1
}

// String is the PHC string of h.
func (h *ticketHash) String() string {
	enc := base64.RawStdEncoding
	if h.kdf == KDFPBKDF2SHA256 {
		return fmt.Sprintf("$pbkdf2-sha256$i=%d$%s$%s", h.iterations, enc.EncodeToString(h.salt), enc.EncodeToString(h.hash))
	}
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", h.memory, h.time, h.threads, enc.EncodeToString(h.salt), enc.EncodeToString(h.hash))
}

// parseTicketHash parses and bounds a PHC string made by HashTicket (or by
// another tool in the same format: the argon2 reference CLI, passlib's
// argon2, Python's argon2-cffi).
func parseTicketHash(s string) (ticketHash, error) {
	var h ticketHash
	bad := func(what string) (ticketHash, error) {
		return ticketHash{}, fmt.Errorf("%w: %s", ErrHashFormat, what)
	}
	f := strings.Split(s, "$")
	if len(f) < 2 || f[0] != "" {
		return bad("not a PHC string ($kdf$...)")
	}
	var params, salt, hash string
	switch f[1] {
	case KDFArgon2id:
		if len(f) != 6 || f[2] != "v=19" {
			return bad("argon2id needs $argon2id$v=19$m=..,t=..,p=..$salt$hash")
		}
		params, salt, hash = f[3], f[4], f[5]
	case KDFPBKDF2SHA256:
		if len(f) != 5 {
			return bad("pbkdf2-sha256 needs $pbkdf2-sha256$i=..$salt$hash")
		}
		params, salt, hash = f[2], f[3], f[4]
	default:
		return bad("unknown KDF (argon2id or pbkdf2-sha256)")
	}
	h.kdf = f[1]
	for _, kv := range strings.Split(params, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return bad("parameter without '='")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return bad("parameter not a number")
		}
		switch {
		case h.kdf == KDFArgon2id && k == "m":
			h.memory = uint32(n)
		case h.kdf == KDFArgon2id && k == "t":
			h.time = uint32(n)
		case h.kdf == KDFArgon2id && k == "p" && n <= 255:
			h.threads = uint8(n)
		case h.kdf == KDFPBKDF2SHA256 && k == "i":
			h.iterations = int(n)
		default:
			return bad("unknown or out of range parameter")
		}
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.Strict().DecodeString(strings.TrimRight(salt, "=")); err != nil {
		return bad("salt is not base64")
	}
	if h.hash, err = base64.RawStdEncoding.Strict().DecodeString(strings.TrimRight(hash, "=")); err != nil {
		return bad("hash is not base64")
	}
	if len(h.salt) == 0 || len(h.hash) == 0 {
		return bad("empty salt or hash")
	}
	if err := h.check(); err != nil {
		return ticketHash{}, err
	}
	return h, nil
}

// ValidTicketHash reports why s is not a usable ticket hash, or nil: for
// `wampd check-config`.
func ValidTicketHash(s string) error {
	_, err := parseTicketHash(s)
	return err
}

// TicketHash is a parsed ticket hash, for secrets checked outside a WAMP
// login (the HTTP bridge's bearer tokens). Verify hashes: run it off the
// event loops and the realm actors.
type TicketHash struct{ h ticketHash }

// ParseTicketHash parses and bounds a hash made by HashTicket.
func ParseTicketHash(s string) (TicketHash, error) {
	h, err := parseTicketHash(s)
	return TicketHash{h}, err
}

// Verify reports in constant time (for a given hash) whether secret
// hashes to t.
func (t TicketHash) Verify(secret string) bool { return t.h.hash != nil && t.h.verify(secret) }
