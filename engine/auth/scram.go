package auth

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/xdg-go/stringprep"
	"golang.org/x/crypto/argon2"
)

// The KDF type strings of WAMP-SCRAM (CHALLENGE.Details.kdf).
const (
	KDFArgon2id13 = "argon2id13"
	KDFPBKDF2     = "pbkdf2"
)

// ScramParams are the KDF and its costs for a new SCRAM credential. The
// client pays them at every login (the router never runs the KDF), so they
// are the client device's budget.
type ScramParams struct {
	// KDF is KDFArgon2id13 (the default when "") or KDFPBKDF2.
	KDF string
	// Iterations: argon2id passes, or PBKDF2-SHA-256 iterations.
	Iterations int
	// MemoryKiB: argon2id memory in KiB (parallelism is 1 by the spec).
	MemoryKiB int
}

// DefaultScramParams: argon2id with OWASP's minimum (19 MiB, 2 passes).
var DefaultScramParams = ScramParams{KDF: KDFArgon2id13, Iterations: 2, MemoryKiB: 19 * 1024}

// DefaultScramPBKDF2Iterations is the PBKDF2 count when ScramParams leaves
// it 0 for KDFPBKDF2 (OWASP's 2023 figure for PBKDF2-HMAC-SHA256; RFC 7677
// asks for at least 4096).
const DefaultScramPBKDF2Iterations = 600_000

// ScramCredential is what the router stores for a wamp-scram principal:
// never the password.
type ScramCredential struct {
	KDF        string
	Iterations int
	MemoryKiB  int // argon2id13 only
	Salt       []byte
	StoredKey  []byte // SHA256(HMAC(SaltedPassword, "Client Key"))
	ServerKey  []byte // HMAC(SaltedPassword, "Server Key")
}

// NewScramCredential derives the credential of password (SASLprep-normalized,
// as the spec says) under p with a fresh 16-byte salt.
func NewScramCredential(password string, p ScramParams) (ScramCredential, error) {
	c := ScramCredential{KDF: p.KDF, Iterations: p.Iterations, MemoryKiB: p.MemoryKiB, Salt: randomBytes(saltLen)}
	switch c.KDF {
	case "", KDFArgon2id13:
		c.KDF = KDFArgon2id13
		if c.Iterations == 0 {
			c.Iterations = DefaultScramParams.Iterations
		}
		if c.MemoryKiB == 0 {
			c.MemoryKiB = DefaultScramParams.MemoryKiB
		}
	case KDFPBKDF2:
		if c.Iterations == 0 {
			c.Iterations = DefaultScramPBKDF2Iterations
		}
	}
	if err := c.checkParams(); err != nil {
		return ScramCredential{}, err
	}
	norm, err := stringprep.SASLprep.Prepare(password)
	if err != nil {
		return ScramCredential{}, fmt.Errorf("%w: password refused by SASLprep", ErrConfig)
	}
	salted, err := scramSaltedPassword(c.KDF, norm, c.Salt, c.Iterations, c.MemoryKiB)
	if err != nil {
		return ScramCredential{}, err
	}
	c.StoredKey, c.ServerKey = scramKeys(salted)
	return c, nil
}

func (c *ScramCredential) checkParams() error {
	switch c.KDF {
	case KDFArgon2id13:
		if c.Iterations < 1 || c.Iterations > maxTime || c.MemoryKiB < 8 || c.MemoryKiB > maxMemoryKiB {
			return fmt.Errorf("%w: argon2id13 iterations 1..%d, memory 8..%d KiB", ErrHashFormat, maxTime, maxMemoryKiB)
		}
	case KDFPBKDF2:
		if c.Iterations < 1 || c.Iterations > maxIterations || c.MemoryKiB != 0 {
			return fmt.Errorf("%w: pbkdf2 iterations 1..%d, no memory", ErrHashFormat, maxIterations)
		}
	default:
		return fmt.Errorf("%w: unknown SCRAM KDF %q (argon2id13 or pbkdf2)", ErrHashFormat, c.KDF)
	}
	return nil
}

// String is the one-line form of c (see the package doc).
func (c ScramCredential) String() string {
	enc := base64.StdEncoding
	params := "kdf=" + c.KDF + ",i=" + strconv.Itoa(c.Iterations)
	if c.KDF == KDFArgon2id13 {
		params += ",m=" + strconv.Itoa(c.MemoryKiB)
	}
	return "$wamp-scram$" + params + "$" + enc.EncodeToString(c.Salt) + "$" +
		enc.EncodeToString(c.StoredKey) + "$" + enc.EncodeToString(c.ServerKey)
}

// ParseScramCredential parses the one-line form made by String.
func ParseScramCredential(s string) (ScramCredential, error) {
	var c ScramCredential
	bad := func(what string) (ScramCredential, error) {
		return ScramCredential{}, fmt.Errorf("%w: %s", ErrHashFormat, what)
	}
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "wamp-scram" {
		return bad("not $wamp-scram$kdf=..,i=..[,m=..]$salt$storedkey$serverkey")
	}
	for _, kv := range strings.Split(f[2], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return bad("parameter without '='")
		}
		if k == "kdf" {
			c.KDF = v
			continue
		}
		n, err := strconv.ParseUint(v, 10, 31)
		if err != nil {
			return bad("parameter not a number")
		}
		switch k {
		case "i":
			c.Iterations = int(n)
		case "m":
			c.MemoryKiB = int(n)
		default:
			return bad("unknown parameter")
		}
	}
	if err := c.checkParams(); err != nil {
		return ScramCredential{}, err
	}
	var err error
	enc := base64.StdEncoding.Strict()
	if c.Salt, err = enc.DecodeString(f[3]); err != nil || len(c.Salt) < minSaltLen {
		return bad("salt is not base64 of at least 8 bytes")
	}
	if c.StoredKey, err = enc.DecodeString(f[4]); err != nil || len(c.StoredKey) != sha256.Size {
		return bad("StoredKey is not base64 of 32 bytes")
	}
	if c.ServerKey, err = enc.DecodeString(f[5]); err != nil || len(c.ServerKey) != sha256.Size {
		return bad("ServerKey is not base64 of 32 bytes")
	}
	return c, nil
}

// scramSaltedPassword is SaltedPassword = KDF(password, salt, params): 32
// bytes of argon2id (version 0x13, parallelism 1) or PBKDF2-HMAC-SHA256.
// password is already normalized.
func scramSaltedPassword(kdf, password string, salt []byte, iterations, memoryKiB int) ([]byte, error) {
	switch kdf {
	case KDFArgon2id13:
		return argon2.IDKey([]byte(password), salt, uint32(iterations), uint32(memoryKiB), 1, sha256.Size), nil
	case KDFPBKDF2:
		k, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
		if err != nil {
			return nil, fmt.Errorf("%w: pbkdf2: %v", ErrConfig, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("%w: unknown SCRAM KDF %q", ErrConfig, kdf)
}

// scramKeys derives StoredKey and ServerKey from SaltedPassword.
func scramKeys(salted []byte) (stored, server []byte) {
	ck := scramHMAC(salted, []byte("Client Key"))
	sum := sha256.Sum256(ck)
	return sum[:], scramHMAC(salted, []byte("Server Key"))
}

func scramHMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// scramEscape is the spec's Escape: "=" to "=3D" and "," to "=2C".
func scramEscape(s string) string {
	if !strings.ContainsAny(s, "=,") {
		return s
	}
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

// scramAuthMessage is the spec's AuthMessage: ClientFirstBare "," ServerFirst
// "," ClientFinalNoProof, in RFC 5802's syntax. cbName "" is a null
// channel_binding.
func scramAuthMessage(authid, clientNonce, serverNonce, salt string, iterations int, cbName string, cbData []byte, finalNonce string) []byte {
	flag := "n"
	if cbName != "" {
		flag = "p=" + cbName
	}
	cbInput := append([]byte(flag+",,"), cbData...)
	var b strings.Builder
	b.WriteString("n=")
	b.WriteString(scramEscape(authid))
	b.WriteString(",r=")
	b.WriteString(clientNonce)
	b.WriteString(",r=")
	b.WriteString(serverNonce)
	b.WriteString(",s=")
	b.WriteString(salt)
	b.WriteString(",i=")
	b.WriteString(strconv.Itoa(iterations))
	b.WriteString(",c=")
	b.WriteString(base64.StdEncoding.EncodeToString(cbInput))
	b.WriteString(",r=")
	b.WriteString(finalNonce)
	return []byte(b.String())
}

// scramVerifyProof reports, in constant time, whether proof is the
// ClientProof of authMessage for storedKey: SHA256(HMAC(StoredKey,
// AuthMessage) XOR proof) == StoredKey.
func scramVerifyProof(storedKey, authMessage, proof []byte) bool {
	if len(proof) != sha256.Size || len(storedKey) != sha256.Size {
		return false
	}
	ck := scramHMAC(storedKey, authMessage)
	subtle.XORBytes(ck, ck, proof)
	sum := sha256.Sum256(ck)
	return subtle.ConstantTimeCompare(sum[:], storedKey) == 1
}

// ScramPrincipal is a wamp-scram principal of the configuration.
type ScramPrincipal struct {
	AuthRole   string
	Credential ScramCredential
}

// SCRAM is the wamp-scram method with static principals.
type SCRAM struct {
	principals map[string]ScramPrincipal
	// An unknown authid gets a mock challenge: the first principal's KDF
	// and costs, a salt derived from the authid under mockKey (stable per
	// authid, as the spec asks), keys that no password matches.
	mock    ScramCredential
	mockKey []byte
}

// scramState is SCRAM's State.
type scramState struct {
	authid, role             string
	clientNonce, serverNonce string
	salt                     string // base64, as sent
	iterations               int
	cbName                   string
	cbData                   []byte
	storedKey, serverKey     []byte
	known                    bool
}

func (*scramState) authMethod() string { return MethodSCRAM }

// Bounds on the client's nonce (base64 of random bytes).
const (
	minNonceBytes = 8
	maxNonceLen   = 256
)

// NewSCRAM returns the wamp-scram method over principals (by authid).
func NewSCRAM(principals map[string]ScramPrincipal) (*SCRAM, error) {
	s := &SCRAM{principals: make(map[string]ScramPrincipal, len(principals)), mockKey: randomBytes(32), mock: ScramCredential{KDF: DefaultScramParams.KDF, Iterations: DefaultScramParams.Iterations, MemoryKiB: DefaultScramParams.MemoryKiB}}
	ids := make([]string, 0, len(principals))
	for id := range principals {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for i, id := range ids {
		p := principals[id]
		c := p.Credential
		if id == "" || p.AuthRole == "" {
			return nil, fmt.Errorf("%w: wamp-scram principal %q needs an authid and a role", ErrConfig, id)
		}
		if err := c.checkParams(); err != nil {
			return nil, fmt.Errorf("wamp-scram principal %q: %w", id, err)
		}
		if len(c.Salt) < minSaltLen || len(c.StoredKey) != sha256.Size || len(c.ServerKey) != sha256.Size {
			return nil, fmt.Errorf("%w: wamp-scram principal %q: salt under 8 bytes or keys not 32 bytes", ErrConfig, id)
		}
		if i == 0 {
			s.mock = ScramCredential{KDF: c.KDF, Iterations: c.Iterations, MemoryKiB: c.MemoryKiB}
		}
		s.principals[id] = p
	}
	return s, nil
}

// Method returns MethodSCRAM.
func (s *SCRAM) Method() string { return MethodSCRAM }

// Accepts a HELLO with an authid and a client nonce in authextra.
func (s *SCRAM) Accepts(h *Hello) bool {
	n, present, ok := str(h.AuthExtra, "nonce")
	return h.AuthID != "" && present && ok && n != ""
}

// Start sends the server-first message as a CHALLENGE.
func (s *SCRAM) Start(_ context.Context, h *Hello) (*Identity, *Challenge, State, error) {
	if h.AuthID == "" {
		return nil, nil, nil, failed("wamp-scram without authid")
	}
	cnonce, present, ok := str(h.AuthExtra, "nonce")
	if !present || !ok || len(cnonce) > maxNonceLen {
		return nil, nil, nil, failed("wamp-scram nonce missing or too long")
	}
	if raw, err := decodeCanonical(cnonce); err != nil || len(raw) < minNonceBytes {
		return nil, nil, nil, failed("wamp-scram nonce not base64 of 8 bytes or more")
	}
	cbName, cbData, err := scramChannelBinding(h)
	if err != nil {
		return nil, nil, nil, err
	}
	st := &scramState{authid: h.AuthID, clientNonce: cnonce, cbName: cbName, cbData: cbData}
	st.serverNonce = cnonce + base64.StdEncoding.EncodeToString(randomBytes(16))
	var c ScramCredential
	if p, known := s.principals[h.AuthID]; known {
		c, st.role, st.known = p.Credential, p.AuthRole, true
	} else {
		c = s.mock
		c.Salt = scramHMAC(s.mockKey, []byte(h.AuthID))[:saltLen]
		c.StoredKey, c.ServerKey = randomBytes(sha256.Size), randomBytes(sha256.Size)
	}
	st.salt = base64.StdEncoding.EncodeToString(c.Salt)
	st.iterations, st.storedKey, st.serverKey = c.Iterations, c.StoredKey, c.ServerKey
	extra := map[string]any{
		"nonce":      st.serverNonce,
		"salt":       st.salt,
		"kdf":        c.KDF,
		"iterations": c.Iterations,
		"memory":     nil,
	}
	if c.KDF == KDFArgon2id13 {
		extra["memory"] = c.MemoryKiB
	}
	return nil, &Challenge{Method: MethodSCRAM, Extra: extra}, st, nil
}

// scramChannelBinding reads HELLO authextra.channel_binding: "" for none,
// or the type and its data from the transport; a type the transport cannot
// give is refused, as the spec says.
func scramChannelBinding(h *Hello) (string, []byte, error) {
	name, present, ok := str(h.AuthExtra, "channel_binding")
	switch {
	case !ok:
		return "", nil, failed("channel_binding not a string")
	case !present:
		return "", nil, nil
	case name == "tls-unique" && len(h.TLSUnique) > 0:
		return name, h.TLSUnique, nil
	case name == "tls-exporter" && len(h.TLSExporter) > 0:
		return name, h.TLSExporter, nil
	}
	return "", nil, failed("channel binding type unavailable on this transport")
}

// Finish checks the client-final message: nonce, channel binding, then the
// ClientProof; WELCOME gets authextra.verifier, the base64 ServerSignature.
func (s *SCRAM) Finish(_ context.Context, pending State, signature string, extra map[string]any) (Identity, error) {
	st, ok := pending.(*scramState)
	if !ok {
		return Identity{}, failed("state of another method")
	}
	am, proof, err := scramClientFinal(st, signature, extra)
	if err != nil {
		return Identity{}, err
	}
	if !scramVerifyProof(st.storedKey, am, proof) || !st.known {
		return Identity{}, failed("wrong proof")
	}
	verifier := base64.StdEncoding.EncodeToString(scramHMAC(st.serverKey, am))
	return Identity{AuthID: st.authid, AuthRole: st.role, AuthMethod: MethodSCRAM, AuthProvider: ProviderStatic,
		AuthExtra: map[string]any{"verifier": verifier}}, nil
}

// scramClientFinal parses AUTHENTICATE (signature = base64 ClientProof,
// extra = nonce, channel_binding, cbind_data) against st and returns the
// AuthMessage and the proof.
func scramClientFinal(st *scramState, signature string, extra map[string]any) ([]byte, []byte, error) {
	nonce, present, ok := str(extra, "nonce")
	if !present || !ok || nonce != st.serverNonce {
		return nil, nil, failed("nonce mismatch")
	}
	cbName, _, ok := str(extra, "channel_binding")
	if !ok || cbName != st.cbName {
		return nil, nil, failed("channel_binding mismatch")
	}
	cbText, present, ok := str(extra, "cbind_data")
	if !ok || present != (st.cbName != "") {
		return nil, nil, failed("cbind_data mismatch")
	}
	if present {
		cb, err := decodeCanonical(cbText)
		if err != nil || subtle.ConstantTimeCompare(cb, st.cbData) != 1 {
			return nil, nil, failed("cbind_data mismatch")
		}
	}
	proof, err := decodeCanonical(signature)
	if err != nil || len(proof) != sha256.Size {
		return nil, nil, failed("malformed proof")
	}
	am := scramAuthMessage(st.authid, st.clientNonce, st.serverNonce, st.salt, st.iterations, st.cbName, st.cbData, nonce)
	return am, proof, nil
}

// decodeCanonical decodes standard base64 in its one canonical form:
// Strict refuses non-zero padding bits, but Go's decoder still skips \r
// and \n, so a proof with a line break would pass as the same proof.
func decodeCanonical(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("base64 with a line break")
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}
