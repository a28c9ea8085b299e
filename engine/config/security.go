package config

import "time"

// The security schema: TLS on listeners, the ways into a realm (Auth) and
// what each role may do there (Roles). Parse and Validate check it; the
// engine, netpoll and the authenticators give it its behaviour.

// Values of listeners[].tls.client_auth.
const (
	ClientAuthNone     = "none"     // no client certificate asked
	ClientAuthOptional = "optional" // asked, verified against client_ca when given
	ClientAuthRequired = "required" // a verified certificate is required
)

// Values of listeners[].tls.min_version.
const (
	TLS12 = "1.2"
	TLS13 = "1.3"
)

// Authentication method names, as in HELLO.Details.authmethods.
const (
	MethodAnonymous  = "anonymous"
	MethodTicket     = "ticket"
	MethodWAMPCRA    = "wampcra"
	MethodCryptosign = "cryptosign"
	MethodSCRAM      = "wamp-scram"
	MethodTLS        = "tls"
)

// Key derivation functions of wamp-scram principals.
const (
	KDFArgon2id = "argon2id"
	KDFPBKDF2   = "pbkdf2"
)

// Ticket hash prefixes: a ticket principal's Ticket is the string `wampd
// hash` prints, never the ticket itself.
const (
	TicketHashArgon2id = "$argon2id$"
	TicketHashPBKDF2   = "$pbkdf2-sha256$"
)

// DefaultAnonymousRole is the authrole of anonymous sessions when
// auth.anonymous names none (and of the realm's anonymous shorthand).
const DefaultAnonymousRole = "anonymous"

// Defaults filled in by Parse where a key is absent.
const (
	DefaultAuthorizerCacheTTL = 60 * time.Second
	DefaultDynamicAuthTimeout = 5 * time.Second
)

// TLS is a listener's TLS: its certificate and, optionally, how clients
// prove themselves with certificates of their own.
type TLS struct {
	// Cert and Key are PEM files: the certificate chain and its private
	// key. Relative names are relative to the configuration file.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// ClientCA is a PEM file of the CAs client certificates are verified
	// against; needed for client_auth optional and required.
	ClientCA string `yaml:"client_ca,omitempty"`
	// ClientAuth is ClientAuthNone (default), ClientAuthOptional or
	// ClientAuthRequired.
	ClientAuth string `yaml:"client_auth,omitempty"`
	// MinVersion is TLS12 (default) or TLS13.
	MinVersion string `yaml:"min_version,omitempty"`
}

func (t *TLS) setDefaults() { t.ClientAuth, t.MinVersion = ClientAuthNone, TLS12 }

// AsksClientCert reports whether the listener asks clients for a
// certificate (client_auth optional or required).
func (t *TLS) AsksClientCert() bool {
	return t != nil && (t.ClientAuth == ClientAuthOptional || t.ClientAuth == ClientAuthRequired)
}

// Auth is a realm's authentication methods; a nil method is off.
type Auth struct {
	Anonymous  *AnonymousAuth  `yaml:"anonymous,omitempty"`
	Ticket     *TicketAuth     `yaml:"ticket,omitempty"`
	WAMPCRA    *WAMPCRAAuth    `yaml:"wampcra,omitempty"`
	Cryptosign *CryptosignAuth `yaml:"cryptosign,omitempty"`
	SCRAM      *SCRAMAuth      `yaml:"scram,omitempty"`
	TLS        *TLSAuth        `yaml:"tls,omitempty"`
	// Dynamic names a procedure that authenticates the HELLOs of the
	// methods it lists.
	Dynamic *DynamicAuth `yaml:"dynamic,omitempty"`
}

// AnonymousAuth lets sessions join without credentials, with Role.
type AnonymousAuth struct {
	Role string `yaml:"role,omitempty"` // "" is DefaultAnonymousRole
}

// TicketAuth is the ticket method's static principals.
type TicketAuth struct {
	Principals []TicketPrincipal `yaml:"principals"`
}

// TicketPrincipal is one ticket user. Ticket is a hash string made by
// `wampd hash` (TicketHashArgon2id or TicketHashPBKDF2 ...).
type TicketPrincipal struct {
	AuthID string `yaml:"authid"`
	Role   string `yaml:"role"`
	Ticket Secret `yaml:"ticket"`
}

// WAMPCRAAuth is the wampcra method's static principals.
type WAMPCRAAuth struct {
	Principals []WAMPCRAPrincipal `yaml:"principals"`
}

// WAMPCRAPrincipal is one WAMP-CRA user. A salted secret has Salt,
// Iterations and KeyLen (sent in the CHALLENGE, as the spec says): Secret
// is then the password the client derives the key from.
type WAMPCRAPrincipal struct {
	AuthID     string `yaml:"authid"`
	Role       string `yaml:"role"`
	Secret     Secret `yaml:"secret"`
	Salt       string `yaml:"salt,omitempty"`
	Iterations int    `yaml:"iterations,omitempty"`
	KeyLen     int    `yaml:"keylen,omitempty"`
}

// CryptosignAuth is the cryptosign method's static principals.
type CryptosignAuth struct {
	Principals []CryptosignPrincipal `yaml:"principals"`
}

// CryptosignPrincipal is one cryptosign user: any of PubKeys (Ed25519
// public keys, 64 hex characters each) may sign its challenges.
type CryptosignPrincipal struct {
	AuthID  string   `yaml:"authid"`
	Role    string   `yaml:"role"`
	PubKeys []string `yaml:"pubkeys"`
}

// SCRAMAuth is the wamp-scram method's static principals.
type SCRAMAuth struct {
	Principals []SCRAMPrincipal `yaml:"principals"`
}

// SCRAMPrincipal is one wamp-scram user, stored as the spec's server
// side keeps it: the KDF and its parameters, the salt and the two keys
// (base64), never the password.
type SCRAMPrincipal struct {
	AuthID string `yaml:"authid"`
	Role   string `yaml:"role"`
	// KDF is KDFArgon2id or KDFPBKDF2.
	KDF        string `yaml:"kdf"`
	Salt       string `yaml:"salt"` // base64
	Iterations int    `yaml:"iterations"`
	// Memory is argon2id's memory cost in KiB (argon2id only).
	Memory    int    `yaml:"memory,omitempty"`
	StoredKey Secret `yaml:"stored_key"` // base64 of 32 bytes
	ServerKey Secret `yaml:"server_key"` // base64 of 32 bytes
}

// TLSAuth maps client certificates to principals.
type TLSAuth struct {
	Principals []TLSPrincipal `yaml:"principals"`
}

// TLSPrincipal is one certificate user, matched by exactly one of the
// certificate's subject common name (CN) and its SHA-256 fingerprint (64
// hex characters, colons allowed between bytes).
type TLSPrincipal struct {
	AuthID      string `yaml:"authid"`
	Role        string `yaml:"role"`
	CN          string `yaml:"cn,omitempty"`
	Fingerprint string `yaml:"fingerprint,omitempty"`
}

// DynamicAuth is a dynamic authenticator: a procedure, registered by a
// trusted session, that decides the HELLOs of Methods.
type DynamicAuth struct {
	Procedure string `yaml:"procedure"`
	// Realm is where Procedure is registered ("": the realm itself).
	Realm string `yaml:"realm,omitempty"`
	// Methods are the methods it decides: ticket, wampcra, cryptosign.
	Methods []string `yaml:"methods"`
	// Timeout bounds each call (Parse's default:
	// DefaultDynamicAuthTimeout).
	Timeout Duration `yaml:"timeout,omitempty"`
}

func (d *DynamicAuth) setDefaults() { d.Timeout = Duration(DefaultDynamicAuthTimeout) }

// dynamicMethods are the methods a dynamic authenticator may decide.
var dynamicMethods = []string{MethodTicket, MethodWAMPCRA, MethodCryptosign}

// Role is what sessions of one authrole may do in a realm.
type Role struct {
	Name string `yaml:"name"`
	// Authorizer, when set, is a procedure asked about what Permissions
	// do not decide; its answers are cached for CacheTTL (Parse's
	// default: DefaultAuthorizerCacheTTL; 0 caches nothing).
	Authorizer  string       `yaml:"authorizer,omitempty"`
	CacheTTL    Duration     `yaml:"cache_ttl,omitempty"`
	Permissions []Permission `yaml:"permissions,omitempty"`
}

func (r *Role) setDefaults() { r.CacheTTL = Duration(DefaultAuthorizerCacheTTL) }

// Permission is one rule of a role: for URIs matching URI under Match, the
// actions Allow grants and the disclosure Disclose forces. A prefix rule
// with an empty URI matches every URI.
type Permission struct {
	URI      string   `yaml:"uri"`
	Match    string   `yaml:"match,omitempty"` // exact (default), prefix, wildcard
	Allow    Allow    `yaml:"allow,omitempty"`
	Disclose Disclose `yaml:"disclose,omitempty"`
}

// Allow is the actions a permission grants; each is false by default.
type Allow struct {
	Call      bool `yaml:"call,omitempty"`
	Register  bool `yaml:"register,omitempty"`
	Publish   bool `yaml:"publish,omitempty"`
	Subscribe bool `yaml:"subscribe,omitempty"`
}

// Disclose forces the caller's or publisher's identity onto what the
// permission's URIs deliver.
type Disclose struct {
	Caller    bool `yaml:"caller,omitempty"`
	Publisher bool `yaml:"publisher,omitempty"`
}
