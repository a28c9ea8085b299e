// Package testcert makes throwaway certificate authorities and the
// certificates they sign, for tests of TLS listeners, client certificates
// and TLS cluster routes.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// validity is how long around now every certificate is valid.
const validity = 24 * time.Hour

// CA is a certificate authority held in memory.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	PEM  []byte // Cert as PEM
}

// NewCA makes a CA whose certificate has common name name.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testcert: CA key: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(validity),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("testcert: CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("testcert: CA: %w", err)
	}
	return &CA{Cert: cert, Key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Pool is a cert pool holding the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Leaf says what certificate Issue makes.
type Leaf struct {
	CN     string
	Serial int64 // 0: a random one
	IPs    []net.IP
	DNS    []string
	Usages []x509.ExtKeyUsage
}

// Cert is an issued certificate and its key, as PEM and loaded.
type Cert struct {
	PEM, KeyPEM []byte
	Pair        tls.Certificate // with Leaf parsed
}

// Issue makes the certificate l signed by ca; a nil ca makes it
// self-signed.
func (ca *CA) Issue(l Leaf) (Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Cert{}, fmt.Errorf("testcert: key: %w", err)
	}
	serial := big.NewInt(l.Serial)
	if l.Serial == 0 {
		if serial, err = rand.Int(rand.Reader, big.NewInt(1<<62)); err != nil {
			return Cert{}, fmt.Errorf("testcert: serial: %w", err)
		}
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: l.CN},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(validity),
		IPAddresses: l.IPs, DNSNames: l.DNS, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: l.Usages}
	parent, parentKey := tmpl, key
	if ca != nil {
		parent, parentKey = ca.Cert, ca.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return Cert{}, fmt.Errorf("testcert: certificate %s: %w", l.CN, err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Cert{}, fmt.Errorf("testcert: key: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return Cert{}, fmt.Errorf("testcert: certificate %s: %w", l.CN, err)
	}
	return Cert{
		PEM:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
		Pair:   tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
	}, nil
}

// Files are a CA and a certificate it signed, written as PEM in a
// directory, with the certificate also loaded.
type Files struct {
	CA, Cert, Key string // paths
	Pair          tls.Certificate
}

// Write makes a CA and a certificate with common name cn for ips and
// usages, and writes them in dir as ca.pem, cn.pem and cn.key.
func Write(dir, cn string, ips []net.IP, usages ...x509.ExtKeyUsage) (Files, error) {
	ca, err := NewCA("test CA")
	if err != nil {
		return Files{}, err
	}
	c, err := ca.Issue(Leaf{CN: cn, Serial: 2, IPs: ips, Usages: usages})
	if err != nil {
		return Files{}, err
	}
	f := Files{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, cn+".pem"), Key: filepath.Join(dir, cn+".key"),
		Pair: c.Pair}
	for path, b := range map[string][]byte{f.CA: ca.PEM, f.Cert: c.PEM, f.Key: c.KeyPEM} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return Files{}, fmt.Errorf("testcert: %w", err)
		}
	}
	return f, nil
}
