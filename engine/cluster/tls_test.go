package cluster_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wampd/wampd/engine/config"
)

// nodeCerts writes a CA and a certificate for 127.0.0.1 signed by it, good
// for both ends of a TLS route (server and client auth), in dir.
func nodeCerts(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cluster CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(k)
	ca, cert, key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "node.pem"), filepath.Join(dir, "node.key")
	for f, b := range map[string]*pem.Block{ca: {Type: "CERTIFICATE", Bytes: caDER},
		cert: {Type: "CERTIFICATE", Bytes: der}, key: {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(f, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return ca, cert, key
}

// TestClusterTLS: two nodes whose NATS client and route ports speak TLS
// with certificates checked against the cluster's CA, and whose routes
// need a user and password, act as one router.
func TestClusterTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("forms a two-node cluster")
	}
	ca, cert, key := nodeCerts(t, t.TempDir())
	ports := freePorts(t, 4)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	node := func(i int) config.Config {
		c := nodeConfig(t, i, ports[:2], ports[2:])
		e := c.Cluster.NATS.Embedded
		e.Routes = []string{"nats-route://127.0.0.1:" + strconv.Itoa(ports[2+1-i])}
		e.TLS = &config.TLS{Cert: cert, Key: key, ClientCA: ca}
		e.RouteUser, e.RoutePassword = "wampd", "s3cret"
		return c
	}
	a, b := startNode(t, node(0)), startNode(t, node(1))
	// The client port takes TLS only.
	if nc, err := nats.Connect("nats://127.0.0.1:"+strconv.Itoa(ports[0]), nats.Timeout(2*time.Second)); err == nil {
		nc.Close()
		t.Fatal("a plaintext NATS client connected to a TLS node")
	}
	t.Cleanup(func() { stopNode(a); stopNode(b) })
	_, _ = callable(t, &wg, a, b, "com.tls")
}
