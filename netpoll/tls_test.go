package netpoll

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/wampd/wampd/internal/testcert"
)

// testCA is testcert's CA with the tests' failures.
type testCA struct{ *testcert.CA }

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	ca, err := testcert.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{ca}
}

// issue makes a leaf certificate: a server one for 127.0.0.1 and localhost,
// or a client one; it returns the certificate and key as PEM.
func (ca *testCA) issue(t testing.TB, cn string, serial int64, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	l := testcert.Leaf{CN: cn, Serial: serial, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		l.Usages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		l.IPs, l.DNS = []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"}
	}
	c, err := ca.Issue(l)
	if err != nil {
		t.Fatal(err)
	}
	return c.PEM, c.KeyPEM
}

// clientCert is a client certificate issued by ca, for tls.Config.
func (ca *testCA) clientCert(t testing.TB, cn string) tls.Certificate {
	t.Helper()
	c, k := ca.issue(t, cn, 100, false)
	cert, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// x509Pool is a cert pool of the PEM certificates in b.
func x509Pool(b []byte) *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(b)
	return p
}

// tlsFiles writes a server certificate (serial) of ca and its key, and
// ca's certificate as the client CA, to dir; it returns the TLSConfig.
func tlsFiles(t testing.TB, dir string, ca *testCA, serial int64) *TLSConfig {
	t.Helper()
	c, k := ca.issue(t, "wampd test server", serial, true)
	conf := &TLSConfig{
		CertFile:     filepath.Join(dir, "server.pem"),
		KeyFile:      filepath.Join(dir, "server.key"),
		ClientCAFile: filepath.Join(dir, "ca.pem"),
	}
	for f, b := range map[string][]byte{conf.CertFile: c, conf.KeyFile: k, conf.ClientCAFile: ca.PEM} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return conf
}

// startTLSServer serves WebSocket and RawSocket over TLS on one loopback
// port, with conf (its ClientCAFile dropped when no client auth is asked).
func startTLSServer(t testing.TB, opts Options, h Handler, conf *TLSConfig) *Server {
	t.Helper()
	c := *conf
	if c.ClientAuth == ClientCertNone {
		c.ClientCAFile = ""
	}
	opts.Listeners = []Listener{{Network: "tcp", Addr: "127.0.0.1:0", WebSocket: true, RawSocket: true, TLS: &c}}
	if tt, ok := t.(*testing.T); ok {
		return startServer(tt, opts, h)
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	s, err := NewServer(opts, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return s
}

func clientTLS(ca *testCA, certs ...tls.Certificate) *tls.Config {
	return &tls.Config{RootCAs: ca.Pool(), Certificates: certs, ServerName: "127.0.0.1"}
}

// dialWSS opens a wss:// client with gobwas/ws's TLS dialer.
func dialWSS(t testing.TB, addr string, conf *tls.Config, protocols ...string) (*wsClient, error) {
	t.Helper()
	d := ws.Dialer{Protocols: protocols, Timeout: 5 * time.Second, TLSConfig: conf,
		NetDial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, "tcp", addr)
		}}
	conn, br, hs, err := d.Dial(context.Background(), "wss://127.0.0.1/ws")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	c := &wsClient{Conn: conn, r: conn, text: hs.Protocol == "wamp.2.json"}
	if br != nil {
		c.r = br
	}
	return c, nil
}

func mustDialWSS(t testing.TB, addr string, conf *tls.Config, protocols ...string) *wsClient {
	t.Helper()
	c, err := dialWSS(t, addr, conf, protocols...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dialRSS opens a RawSocket client over TLS and runs the RawSocket
// handshake.
func dialRSS(t testing.TB, addr string, conf *tls.Config, ser, exp byte) (*tls.Conn, error) {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, conf)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte{0x7F, exp<<4 | ser, 0, 0}); err != nil {
		return nil, err
	}
	var r [4]byte
	if _, err := io.ReadFull(conn, r[:]); err != nil {
		return nil, err
	}
	if r[0] != 0x7F || r[1]&0x0F != ser {
		return nil, errors.New("bad RawSocket handshake reply")
	}
	return conn, nil
}

func mustDialRSS(t testing.TB, addr string, conf *tls.Config, ser, exp byte) *tls.Conn {
	t.Helper()
	c, err := dialRSS(t, addr, conf, ser, exp)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func echoWS(t *testing.T, c *wsClient, msg string) {
	t.Helper()
	c.sendMsg(t, []byte(msg))
	if _, p := c.mustRead(t); string(p) != msg {
		t.Fatalf("echo %q, want %q", p, msg)
	}
}

func echoRS(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	rsSend(t, c, rsMessage, []byte(msg))
	if _, p, err := rsRead(c); err != nil || string(p) != msg {
		t.Fatalf("echo %q %v, want %q", p, err, msg)
	}
}

func TestTLSEcho(t *testing.T) {
	ca := newTestCA(t, "wampd test CA")
	h := newEcho(true)
	s := startTLSServer(t, Options{}, h, tlsFiles(t, t.TempDir(), ca, 2))
	addr := s.Addrs()[0].String()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: many records each way
	t.Run("websocket", func(t *testing.T) {
		for _, proto := range []string{"wamp.2.json", "wamp.2.msgpack", "wamp.2.cbor"} {
			c := mustDialWSS(t, addr, clientTLS(ca), proto)
			sc := waitConn(t, h.opens)
			if sc.Transport() != WebSocket || sc.Serializer().Subprotocol() != proto {
				t.Fatalf("server conn %v %v", sc.Transport(), sc.Serializer())
			}
			for range 3 {
				echoWS(t, c, `[1,"realm1",{}]`)
			}
		}
		c := mustDialWSS(t, addr, clientTLS(ca), "wamp.2.msgpack")
		waitConn(t, h.opens)
		c.send(t, ws.OpBinary, false, big[:1000])
		c.send(t, ws.OpPing, true, []byte("hb"))
		c.send(t, ws.OpContinuation, true, big[1000:])
		if op, p := c.mustRead(t); op != ws.OpPong || string(p) != "hb" {
			t.Fatalf("want pong, got %v %q", op, p)
		}
		if _, p := c.mustRead(t); !bytes.Equal(p, big) {
			t.Fatalf("echo of %d bytes", len(p))
		}
		c.send(t, ws.OpClose, true, ws.NewCloseFrameBody(1000, "bye"))
		if code := c.expectClosed(t); code != 1000 {
			t.Fatalf("close echo code %d", code)
		}
	})
	t.Run("rawsocket", func(t *testing.T) {
		c := mustDialRSS(t, addr, clientTLS(ca), 1, 15)
		sc := waitConn(t, h.opens)
		if sc.Transport() != RawSocket {
			t.Fatalf("transport %v", sc.Transport())
		}
		rsSend(t, c, rsPing, []byte("abc"))
		if typ, p, err := rsRead(c); err != nil || typ != rsPong || string(p) != "abc" {
			t.Fatalf("want pong abc: %d %q %v", typ, p, err)
		}
		echoRS(t, c, `[1,"realm1",{}]`)
		echoRS(t, c, string(big))
	})
	t.Run("server closes with close_notify", func(t *testing.T) {
		c := mustDialRSS(t, addr, clientTLS(ca), 1, 15)
		waitConn(t, h.opens).Close("bye")
		if _, err := c.Read(make([]byte, 1)); err != io.EOF { // crypto/tls: EOF only after close_notify
			t.Fatalf("read after server close: %v, want EOF", err)
		}
	})
	if st := s.Stats(); st.TLSHandshakes < 6 || st.TLSHandshakeErrors != 0 || st.ProtocolErrors != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTLSConnectionState(t *testing.T) {
	ca := newTestCA(t, "wampd test CA")
	conf := tlsFiles(t, t.TempDir(), ca, 2)
	conf.ClientAuth = ClientCertOptional
	h := newEcho(true)
	s := startTLSServer(t, Options{}, h, conf)
	addr := s.Addrs()[0].String()
	tests := []struct {
		name    string
		max     uint16
		certs   []tls.Certificate
		version uint16
		peer    string
	}{
		{"TLS 1.3 with client certificate", 0, []tls.Certificate{ca.clientCert(t, "alice")}, tls.VersionTLS13, "alice"},
		{"TLS 1.2 without", tls.VersionTLS12, nil, tls.VersionTLS12, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := clientTLS(ca, tt.certs...)
			cc.MaxVersion = tt.max
			c := mustDialRSS(t, addr, cc, 1, 15)
			sc := waitConn(t, h.opens)
			echoRS(t, c, "[1]")
			st := sc.TLS()
			if st == nil || st.Version != tt.version {
				t.Fatalf("TLS() = %+v", st)
			}
			if tt.peer != "" && (len(st.VerifiedChains) != 1 || st.PeerCertificates[0].Subject.CommonName != tt.peer) {
				t.Fatalf("peer certificates %v, chains %d", st.PeerCertificates, len(st.VerifiedChains))
			}
			if tt.peer == "" && len(st.PeerCertificates) != 0 {
				t.Fatal("peer certificate without one sent")
			}
			cs := c.ConnectionState()
			want, err := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sc.ChannelBinding(ChannelBindingTLSExporter)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("tls-exporter %x %v, client has %x", got, err, want)
			}
			unique, err := sc.ChannelBinding(ChannelBindingTLSUnique)
			if tt.version == tls.VersionTLS13 {
				if !errors.Is(err, ErrChannelBinding) {
					t.Fatalf("tls-unique on TLS 1.3: %x %v", unique, err)
				}
			} else if err != nil || len(unique) == 0 || !bytes.Equal(unique, cs.TLSUnique) {
				t.Fatalf("tls-unique %x %v, client has %x", unique, err, cs.TLSUnique)
			}
		})
	}
	t.Run("plain connection", func(t *testing.T) {
		h := newEcho(true)
		ps := startServer(t, Options{}, h)
		dialRS(t, "tcp", ps.Addrs()[0].String(), 1, 15)
		sc := waitConn(t, h.opens)
		if sc.TLS() != nil {
			t.Fatal("TLS() of a plain conn")
		}
		if _, err := sc.ChannelBinding(ChannelBindingTLSExporter); !errors.Is(err, ErrChannelBinding) {
			t.Fatalf("channel binding of a plain conn: %v", err)
		}
	})
}

func TestTLSClientCertRequired(t *testing.T) {
	ca := newTestCA(t, "wampd test CA")
	other := newTestCA(t, "another CA")
	conf := tlsFiles(t, t.TempDir(), ca, 2)
	conf.ClientAuth = ClientCertRequired
	h := newEcho(true)
	s := startTLSServer(t, Options{}, h, conf)
	addr := s.Addrs()[0].String()
	refused := []struct {
		name  string
		certs []tls.Certificate
	}{
		{"no certificate", nil},
		{"certificate of another CA", []tls.Certificate{other.clientCert(t, "mallory")}},
	}
	for i, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			// TLS 1.3: the client's handshake ends before the server
			// checked its certificate; the refusal is its first read.
			if _, err := dialRSS(t, addr, clientTLS(ca, tt.certs...), 1, 15); err == nil {
				t.Fatal("handshake without a valid client certificate succeeded")
			}
			for deadline := time.Now().Add(5 * time.Second); s.Stats().TLSHandshakeErrors < int64(i+1); {
				if time.Now().After(deadline) {
					t.Fatalf("stats %+v", s.Stats())
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	t.Run("certificate of the CA", func(t *testing.T) {
		c := mustDialWSS(t, addr, clientTLS(ca, ca.clientCert(t, "alice")), "wamp.2.json")
		sc := waitConn(t, h.opens)
		echoWS(t, c, "[1]")
		if cn := sc.TLS().PeerCertificates[0].Subject.CommonName; cn != "alice" {
			t.Fatalf("peer %q", cn)
		}
	})
	select {
	case <-h.opens:
		t.Fatal("a refused client reached OnOpen")
	default:
	}
}

// TestTLSPlaintextClient: plaintext WebSocket and RawSocket clients on the
// TLS port are closed at once (not at the handshake timeout) and counted,
// while a TLS session on the same port goes on.
func TestTLSPlaintextClient(t *testing.T) {
	ca := newTestCA(t, "wampd test CA")
	h := newEcho(true)
	s := startTLSServer(t, Options{HandshakeTimeout: 10 * time.Second}, h, tlsFiles(t, t.TempDir(), ca, 2))
	addr := s.Addrs()[0].String()
	good := mustDialRSS(t, addr, clientTLS(ca), 1, 15)
	t.Run("websocket", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		_ = conn.SetDeadline(start.Add(2 * time.Second))
		_, _ = conn.Write(upgradeRequest("/ws", "wamp.2.json"))
		resp, err := io.ReadAll(conn)
		if err != nil || !strings.HasPrefix(string(resp), "HTTP/1.1 400") || !strings.Contains(string(resp), "wss://") {
			t.Fatalf("response %q %v", resp, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("closed after %v", d)
		}
	})
	t.Run("rawsocket", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		_, _ = conn.Write([]byte{0x7F, 0xF1, 0, 0})
		expectEOF(t, conn)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("closed after %v", d)
		}
	})
	echoRS(t, good, "[1]")
	if st := s.Stats(); st.TLSHandshakeErrors != 2 || st.Conns != 1 || st.TLSHandshakes != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestTLSReload: after ReloadTLS new connections get the new certificate
// while a session opened before goes on; a failed reload keeps the
// certificate in use.
func TestTLSReload(t *testing.T) {
	ca := newTestCA(t, "wampd test CA")
	dir := t.TempDir()
	conf := tlsFiles(t, dir, ca, 2)
	h := newEcho(true)
	s := startTLSServer(t, Options{}, h, conf)
	addr := s.Addrs()[0].String()
	serial := func(c *tls.Conn) int64 { return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64() }

	old := mustDialRSS(t, addr, clientTLS(ca), 1, 15)
	oldWS := mustDialWSS(t, addr, clientTLS(ca), "wamp.2.json")
	if serial(old) != 2 {
		t.Fatalf("serial %d", serial(old))
	}
	tlsFiles(t, dir, ca, 3)
	if err := s.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	fresh := mustDialRSS(t, addr, clientTLS(ca), 1, 15)
	if serial(fresh) != 3 {
		t.Fatalf("new conn got serial %d, want 3", serial(fresh))
	}
	echoRS(t, old, "[1]")
	echoWS(t, oldWS, "[2]")
	echoRS(t, fresh, "[3]")

	// A key that does not match the certificate: the reload fails, the
	// certificate in use stays.
	_, k := ca.issue(t, "other", 4, true)
	if err := os.WriteFile(conf.KeyFile, k, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.ReloadTLS(); !errors.Is(err, ErrTLSConfig) {
		t.Fatalf("ReloadTLS with a mismatched key: %v", err)
	}
	if c := mustDialRSS(t, addr, clientTLS(ca), 1, 15); serial(c) != 3 {
		t.Fatalf("after a failed reload: serial %d, want 3", serial(c))
	}
	echoRS(t, old, "[4]")
}

// clientHello returns the first flight a TLS client sends (its
// ClientHello record), captured without a server.
func clientHello(t *testing.T, ca *testCA) []byte {
	t.Helper()
	cap := &captureConn{done: make(chan struct{})}
	go func() { _ = tls.Client(cap, clientTLS(ca)).Handshake() }()
	<-cap.done
	return cap.b
}

// captureConn records the client's first write and then blocks its reads
// until closed.
type captureConn struct {
	net.Conn
	b    []byte
	done chan struct{}
}

func (c *captureConn) Write(p []byte) (int, error) {
	c.b = append([]byte(nil), p...)
	close(c.done)
	return len(p), nil
}
func (c *captureConn) Read([]byte) (int, error)         { select {} }
func (c *captureConn) SetDeadline(time.Time) error      { return nil }
func (c *captureConn) SetWriteDeadline(time.Time) error { return nil }

func TestTLSHandshakeTimeout(t *testing.T) {
	ca := newTestCA(t, "wampd test CA")
	h := newEcho(false)
	s := startTLSServer(t, Options{HandshakeTimeout: 150 * time.Millisecond}, h, tlsFiles(t, t.TempDir(), ca, 2))
	addr := s.Addrs()[0].String()
	hello := clientHello(t, ca)
	closedSoon := func(t *testing.T, conn net.Conn) {
		t.Helper()
		start := time.Now()
		expectEOF(t, conn)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("closed after %v", d)
		}
	}
	raw := func(t *testing.T, b []byte) net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		_, _ = conn.Write(b)
		return conn
	}
	t.Run("silent tcp", func(t *testing.T) { closedSoon(t, raw(t, nil)) })
	t.Run("part of a ClientHello", func(t *testing.T) { closedSoon(t, raw(t, hello[:len(hello)/2])) })
	t.Run("client stalls in the handshake", func(t *testing.T) {
		before := s.Stats().TLSHandshakeErrors
		closedSoon(t, raw(t, hello)) // the server's flight arrives, then EOF
		for deadline := time.Now().Add(3 * time.Second); s.tlsHS.Load() != 0 || s.Stats().TLSHandshakeErrors == before; {
			if time.Now().After(deadline) {
				t.Fatalf("handshakes in progress %d, stats %+v", s.tlsHS.Load(), s.Stats())
			}
			time.Sleep(time.Millisecond)
		}
	})
	t.Run("no WebSocket upgrade after TLS", func(t *testing.T) {
		conn, err := tls.Dial("tcp", addr, clientTLS(ca))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		closedSoon(t, conn)
	})
	t.Run("session not established", func(t *testing.T) {
		c := mustDialWSS(t, addr, clientTLS(ca), "wamp.2.json")
		waitConn(t, h.opens)
		if code := c.expectClosed(t); code != ClosePolicyViolation {
			t.Fatalf("close code %d", code)
		}
	})
	t.Run("too many handshakes at once", func(t *testing.T) {
		s := startTLSServer(t, Options{MaxTLSHandshakes: 1, HandshakeTimeout: 5 * time.Second}, newEcho(true), tlsFiles(t, t.TempDir(), ca, 2))
		addr := s.Addrs()[0].String()
		stalled, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer stalled.Close()
		_, _ = stalled.Write(hello)
		for deadline := time.Now().Add(3 * time.Second); s.tlsHS.Load() != 1; {
			if time.Now().After(deadline) {
				t.Fatal("stalled handshake not started")
			}
			time.Sleep(time.Millisecond)
		}
		second, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer second.Close()
		start := time.Now()
		_, _ = second.Write(hello)
		expectEOF(t, second)
		if d := time.Since(start); d > time.Second || s.Stats().TLSHandshakeErrors != 1 {
			t.Fatalf("closed after %v, stats %+v", d, s.Stats())
		}
	})
}

func TestTLSConfigErrors(t *testing.T) {
	ca := newTestCA(t, "wampd test CA")
	dir := t.TempDir()
	good := tlsFiles(t, dir, ca, 2)
	tests := []struct {
		name string
		conf TLSConfig
	}{
		{"no files", TLSConfig{}},
		{"missing key", TLSConfig{CertFile: good.CertFile, KeyFile: filepath.Join(dir, "nope")}},
		{"client CA without client auth", TLSConfig{CertFile: good.CertFile, KeyFile: good.KeyFile, ClientCAFile: good.ClientCAFile}},
		{"required without client CA", TLSConfig{CertFile: good.CertFile, KeyFile: good.KeyFile, ClientAuth: ClientCertRequired}},
		{"client CA not PEM", TLSConfig{CertFile: good.CertFile, KeyFile: good.KeyFile, ClientAuth: ClientCertOptional, ClientCAFile: good.KeyFile}},
		{"TLS 1.1", TLSConfig{CertFile: good.CertFile, KeyFile: good.KeyFile, MinVersion: tls.VersionTLS11}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServer(Options{Listeners: []Listener{{Network: "tcp", Addr: "127.0.0.1:0", RawSocket: true, TLS: &tt.conf}}}, newEcho(true))
			if !errors.Is(err, ErrTLSConfig) {
				t.Fatalf("NewServer: %v", err)
			}
		})
	}
	t.Run("TLS 1.3 only", func(t *testing.T) {
		conf := *good
		conf.ClientCAFile = ""
		conf.MinVersion = tls.VersionTLS13
		s := startTLSServer(t, Options{}, newEcho(true), &conf)
		cc := clientTLS(ca)
		cc.MaxVersion = tls.VersionTLS12
		if _, err := dialRSS(t, s.Addrs()[0].String(), cc, 1, 15); err == nil {
			t.Fatal("TLS 1.2 client served by a TLS 1.3 listener")
		}
	})
}

// TestTLSExampleCertificates: the committed test-only files of
// examples/tls (made by examples/tls/make-certs.sh) serve wss:// and
// RawSocket over TLS for 127.0.0.1 and localhost, verified by their CA.
func TestTLSExampleCertificates(t *testing.T) {
	dir := filepath.Join("..", "examples", "tls")
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Skipf("no example certificates: %v", err)
	}
	h := newEcho(true)
	s := startTLSServer(t, Options{}, h, &TLSConfig{
		CertFile: filepath.Join(dir, "server.pem"), KeyFile: filepath.Join(dir, "server.key")})
	addr := s.Addrs()[0].String()
	for _, name := range []string{"127.0.0.1", "localhost"} {
		conf := &tls.Config{RootCAs: x509Pool(caPEM), ServerName: name}
		echoWS(t, mustDialWSS(t, addr, conf, "wamp.2.json"), "[1]")
		echoRS(t, mustDialRSS(t, addr, conf, 1, 15), "[2]")
	}
	if leaf := s.tlsl[0].cur.Load().Certificates[0].Leaf; time.Until(leaf.NotAfter) < 5*365*24*time.Hour {
		t.Errorf("example certificate expires %v: run examples/tls/make-certs.sh", leaf.NotAfter)
	}
}
