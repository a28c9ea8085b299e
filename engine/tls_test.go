package engine

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/internal/testcert"
)

// clientCerts makes a CA and a client certificate with CN cn, signed by
// it, in dir: the CA's PEM path and the client's tls.Certificate.
func clientCerts(t *testing.T, dir, cn string) (caFile string, cert tls.Certificate) {
	t.Helper()
	f, err := testcert.Write(dir, cn, nil, x509.ExtKeyUsageClientAuth)
	if err != nil {
		t.Fatal(err)
	}
	return f.CA, f.Pair
}

// exampleCAPool is examples/tls/ca.pem, which signed the example server
// certificate.
func exampleCAPool(t *testing.T) *x509.CertPool {
	t.Helper()
	pemData, err := os.ReadFile("../examples/tls/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatal("examples/tls/ca.pem holds no certificate")
	}
	return pool
}

// dialWSS dials the router's wss:// endpoint verifying the example CA,
// presenting certs when given.
func dialWSS(t *testing.T, rt *Router, certs ...tls.Certificate) (*client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	d := ws.Dialer{Protocols: []string{codec.JSON.Subprotocol()},
		TLSConfig: &tls.Config{RootCAs: exampleCAPool(t), ServerName: "127.0.0.1", Certificates: certs}}
	var url string
	for _, e := range rt.Endpoints() {
		if strings.HasPrefix(e.URL, "wss://") {
			url = e.URL
		}
	}
	if url == "" {
		t.Fatalf("no wss endpoint in %v", rt.Endpoints())
	}
	conn, br, _, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	return &client{t: t, conn: conn, rd: br}, nil
}

// TestTLSListener: examples/tls.yaml's certificates on a wss:// listener:
// a client verifying the example CA joins; the tls method maps a client
// certificate to its principal; a plaintext client on the TLS port is
// refused at once while a TLS session goes on; a certificate reload keeps
// the live session.
func TestTLSListener(t *testing.T) {
	dir := t.TempDir()
	caFile, cert := clientCerts(t, dir, "client1")
	cfg, err := config.Load("../examples/tls.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tlsListener config.Listener
	for _, l := range cfg.Listeners {
		if l.TLS != nil {
			tlsListener = l
		}
	}
	if tlsListener.TLS == nil || tlsListener.Listen != "127.0.0.1:8443" {
		t.Fatalf("examples/tls.yaml has no TLS listener on 127.0.0.1:8443: %+v", cfg.Listeners)
	}
	tlsListener.Listen = "127.0.0.1:0"
	tlsListener.TLS.ClientCA, tlsListener.TLS.ClientAuth = caFile, config.ClientAuthOptional
	cfg.Listeners = append(testConfig().Listeners, tlsListener)
	for i := range cfg.Realms {
		if cfg.Realms[i].Name == "secure" {
			cfg.Realms[i].Auth.TLS = &config.TLSAuth{Principals: []config.TLSPrincipal{{AuthID: "client1", Role: "user", CN: "client1"}}}
		}
	}
	cfg.Limits.LoginFailuresPerAddress = 0
	rt, logs := startRouter(t, cfg)

	anon, err := dialWSS(t, rt)
	if err != nil {
		t.Fatalf("wss dial verifying examples/tls/ca.pem: %v\n%s", err, logs)
	}
	welcomeOf(t, anon.helloAuth("realm1", "", nil, nil), anyAuthID, "anonymous", "anonymous")

	c, err := dialWSS(t, rt, cert)
	if err != nil {
		t.Fatalf("wss dial with a client certificate: %v", err)
	}
	welcomeOf(t, c.helloAuth("secure", "", []string{"tls"}, nil), "client1", "user", "tls")
	noCert, _ := dialWSS(t, rt)
	abortOf(t, noCert.helloAuth("secure", "", []string{"tls"}, nil), "wamp.error.no_auth_method")

	// Plaintext on the TLS port: refused at once, the TLS session unharmed.
	var tlsAddr net.Addr
	for _, e := range rt.Endpoints() {
		if strings.HasPrefix(e.URL, "wss://") {
			tlsAddr = e.Addr
		}
	}
	plain, err := net.DialTimeout("tcp", tlsAddr.String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	start := time.Now()
	_, _ = plain.Write([]byte("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"))
	_ = plain.SetReadDeadline(time.Now().Add(testTimeout))
	buf := make([]byte, 512)
	for {
		if _, err := plain.Read(buf); err != nil {
			break
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("plaintext client on the TLS port held for %v", d)
	}
	c.send(`[64,1,{},"com.example.tls"]`)
	expectType(t, c.mustRecv(), 65)
	if st := rt.Stats(); st.TLSErrors == 0 || st.TLSHandshakes < 3 {
		t.Fatalf("stats %+v: TLS handshakes and the plaintext refusal must be counted", st)
	}

	// Reload (SIGHUP) under the live session.
	if err := rt.ReloadTLS(); err != nil {
		t.Fatalf("ReloadTLS: %v", err)
	}
	c.send(`[64,2,{},"com.example.tls2"]`)
	expectType(t, c.mustRecv(), 65)
	again, err := dialWSS(t, rt)
	if err != nil {
		t.Fatalf("dial after reload: %v", err)
	}
	welcomeOf(t, again.helloAuth("realm1", "", nil, nil), anyAuthID, "anonymous", "anonymous")
}

// TestTLSRPCLatency measures RPC 1x1 through the router over ws:// and
// wss:// in one run (callee and caller on the same transport): figures
// for docs/benchmarks.md, logged, not asserted (machines are noisy).
func TestTLSRPCLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("a measurement; skipped with -short")
	}
	cfg, err := config.Load("../examples/tls.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfg.Listeners {
		cfg.Listeners[i].Listen = "127.0.0.1:0"
	}
	rt, _ := startRouter(t, cfg)
	measure := func(proc string, dial func() *client) (p50, p99 time.Duration) {
		callee, caller := dial(), dial()
		for _, c := range []*client{callee, caller} {
			welcomeOf(t, c.helloAuth("realm1", "", nil, nil), anyAuthID, "anonymous", "anonymous")
		}
		callee.send(`[64,1,{},"` + proc + `"]`)
		expectType(t, callee.mustRecv(), 65)
		lat := make([]time.Duration, 0, 2000)
		for i := 1; i <= 2000; i++ {
			start := time.Now()
			caller.send(`[48,` + mustJSON(i) + `,{},"` + proc + `",[1]]`)
			inv := callee.mustRecv()
			callee.send(`[70,` + mustJSON(inv[1]) + `,{},[1]]`)
			if m := caller.mustRecv(); msgType(m) != 50 {
				t.Fatalf("call %d: %v", i, m)
			}
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		return lat[len(lat)/2], lat[len(lat)*99/100]
	}
	wsP50, wsP99 := measure("com.example.ws", func() *client { return dialWS(t, rt) })
	wssP50, wssP99 := measure("com.example.wss", func() *client {
		c, err := dialWSS(t, rt)
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
	t.Logf("RPC 1x1 through wampd, 2,000 calls each: ws:// p50 %v p99 %v; wss:// p50 %v p99 %v", wsP50, wsP99, wssP50, wssP99)
}
