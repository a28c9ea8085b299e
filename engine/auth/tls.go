package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// TLSPrincipal maps a client certificate to an identity, by one of:
//   - Fingerprint: the SHA-256 of the certificate (DER), hex, colons and
//     case ignored ("AB:CD:..." as openssl prints it). A pinned fingerprint
//     needs no CA: the certificate may be self-signed.
//   - CN: the subject common name, accepted only when the TLS layer
//     verified the chain against the listener's client CAs (anyone can
//     self-sign any CN).
type TLSPrincipal struct {
	Fingerprint string
	CN          string
	// AuthID is the identity granted; "" takes the certificate's CN.
	AuthID   string
	AuthRole string
}

// TLS is the tls method: no challenge; the client certificate the TLS
// handshake presented is mapped to an identity, or the HELLO is refused.
type TLS struct {
	byFingerprint map[[sha256.Size]byte]TLSPrincipal
	byCN          map[string]TLSPrincipal
}

// NewTLS returns the tls method over principals.
func NewTLS(principals []TLSPrincipal) (*TLS, error) {
	t := &TLS{byFingerprint: map[[sha256.Size]byte]TLSPrincipal{}, byCN: map[string]TLSPrincipal{}}
	for i, p := range principals {
		if p.AuthRole == "" || (p.Fingerprint == "") == (p.CN == "") {
			return nil, fmt.Errorf("%w: tls principal %d needs a role and exactly one of fingerprint and cn", ErrConfig, i)
		}
		if p.Fingerprint != "" {
			fp, ok := ParseFingerprint(p.Fingerprint)
			if !ok {
				return nil, fmt.Errorf("%w: tls principal %d: fingerprint is not a hex SHA-256", ErrConfig, i)
			}
			if _, dup := t.byFingerprint[fp]; dup {
				return nil, fmt.Errorf("%w: tls principal %d: fingerprint listed twice", ErrConfig, i)
			}
			t.byFingerprint[fp] = p
			continue
		}
		if _, dup := t.byCN[p.CN]; dup {
			return nil, fmt.Errorf("%w: tls principal %d: cn %q listed twice", ErrConfig, i, p.CN)
		}
		t.byCN[p.CN] = p
	}
	return t, nil
}

// ParseFingerprint decodes a hex SHA-256 fingerprint, with or without
// colons, in either case.
func ParseFingerprint(s string) (fp [sha256.Size]byte, ok bool) {
	s = strings.ReplaceAll(s, ":", "")
	if len(s) != 2*sha256.Size {
		return fp, false
	}
	_, err := hex.Decode(fp[:], []byte(s))
	return fp, err == nil
}

// Method returns MethodTLS.
func (t *TLS) Method() string { return MethodTLS }

// Accepts a HELLO that came with a client certificate.
func (t *TLS) Accepts(h *Hello) bool {
	return h.TLS != nil && len(h.TLS.PeerCertificates) > 0
}

// Start maps the leaf certificate: by fingerprint first, then by CN if the
// chain was verified.
func (t *TLS) Start(_ context.Context, h *Hello) (*Identity, *Challenge, State, error) {
	if !t.Accepts(h) {
		return nil, nil, nil, failed("no client certificate")
	}
	leaf := h.TLS.PeerCertificates[0]
	p, ok := t.byFingerprint[sha256.Sum256(leaf.Raw)]
	if !ok && len(h.TLS.VerifiedChains) > 0 && leaf.Subject.CommonName != "" {
		p, ok = t.byCN[leaf.Subject.CommonName]
	}
	if !ok {
		return nil, nil, nil, failed("client certificate not mapped")
	}
	authid := p.AuthID
	if authid == "" {
		authid = leaf.Subject.CommonName
	}
	if authid == "" {
		return nil, nil, nil, failed("client certificate without CN and no authid configured")
	}
	return &Identity{AuthID: authid, AuthRole: p.AuthRole, AuthMethod: MethodTLS, AuthProvider: ProviderStatic}, nil, nil, nil
}

// Finish is never reached: tls sends no challenge.
func (t *TLS) Finish(context.Context, State, string, map[string]any) (Identity, error) {
	return Identity{}, failed("tls sends no challenge")
}
