package auth

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"testing"
)

func TestTLS(t *testing.T) {
	p := newTestPKI(t)
	byCA := p.issue(t, "device-1", p.ca, x509.ExtKeyUsageClientAuth)
	selfSigned := p.issue(t, "device-1", nil, x509.ExtKeyUsageClientAuth)
	pinned := p.issue(t, "pinned", nil, x509.ExtKeyUsageClientAuth)
	unknown := p.issue(t, "device-2", p.ca, x509.ExtKeyUsageClientAuth)
	fp := sha256.Sum256(pinned.Certificate[0])
	// openssl's spelling: upper case with colons.
	var colons []string
	for _, b := range fp {
		colons = append(colons, strings.ToUpper(hex.EncodeToString([]byte{b})))
	}
	a, err := NewTLS([]TLSPrincipal{
		{CN: "device-1", AuthRole: "device"},
		{Fingerprint: strings.Join(colons, ":"), AuthID: "pinned-device", AuthRole: "admin"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cert     *tls.Certificate
		auth     tls.ClientAuthType
		id, role string
	}{
		{"CN of a verified chain", &byCA, tls.VerifyClientCertIfGiven, "device-1", "device"},
		{"same CN, self-signed", &selfSigned, tls.RequireAnyClientCert, "", ""},
		{"pinned fingerprint, self-signed", &pinned, tls.RequireAnyClientCert, "pinned-device", "admin"},
		{"verified but not mapped", &unknown, tls.VerifyClientCertIfGiven, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := p.handshake(t, tls.VersionTLS13, tt.cert, tt.auth)
			h := &Hello{TLS: &srv}
			if !a.Accepts(h) {
				t.Fatal("Accepts = false with a client certificate")
			}
			id, _, _, err := a.Start(bg, h)
			if tt.id == "" {
				wantRefusal(t, err, ErrAuthenticationFailed)
				return
			}
			if err != nil || id.AuthID != tt.id || id.AuthRole != tt.role || id.AuthMethod != "tls" {
				t.Fatalf("Start = %+v, %v", id, err)
			}
		})
	}
	srv, _ := p.handshake(t, tls.VersionTLS12, nil, tls.VerifyClientCertIfGiven)
	if a.Accepts(&Hello{TLS: &srv}) || a.Accepts(&Hello{}) {
		t.Fatal("Accepts without a client certificate")
	}
	for _, bad := range [][]TLSPrincipal{
		{{AuthRole: "x"}},
		{{CN: "a", Fingerprint: hex.EncodeToString(fp[:]), AuthRole: "x"}},
		{{Fingerprint: "abcd", AuthRole: "x"}},
		{{CN: "a"}},
		{{CN: "a", AuthRole: "x"}, {CN: "a", AuthRole: "y"}},
	} {
		if _, err := NewTLS(bad); err == nil {
			t.Errorf("NewTLS(%+v) accepted", bad)
		}
	}
}
