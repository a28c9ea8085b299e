package cluster_test

import (
	"crypto/x509"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/internal/testcert"
)

// nodeCerts writes a CA and a certificate for 127.0.0.1 signed by it, good
// for both ends of a TLS route (server and client auth), in dir.
func nodeCerts(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	f, err := testcert.Write(dir, "node", []net.IP{net.IPv4(127, 0, 0, 1)},
		x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
	if err != nil {
		t.Fatal(err)
	}
	return f.CA, f.Cert, f.Key
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
