package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/internal/testcert"
)

var bg = context.Background()

// mustStart runs a.Start and fails the test on a refusal.
func mustStart(t testing.TB, a Authenticator, h *Hello) (*Identity, *Challenge, State) {
	t.Helper()
	id, ch, st, err := a.Start(bg, h)
	if err != nil {
		t.Fatalf("%s Start: %v", a.Method(), err)
	}
	if (id == nil) == (ch == nil) || (ch != nil && st == nil) {
		t.Fatalf("%s Start: id %v, challenge %v, state %v: want exactly one of id and challenge", a.Method(), id, ch, st)
	}
	return id, ch, st
}

// wantRefusal checks err is a refusal of kind whose client message says
// nothing more than its URI's fixed text.
func wantRefusal(t testing.TB, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %v", err, kind)
	}
	if ClientMessage(err) != ClientMessage(kind) {
		t.Fatalf("client message %q differs from the fixed %q", ClientMessage(err), ClientMessage(kind))
	}
}

type fakeAuth struct {
	method string
	ok     bool
}

func (f *fakeAuth) Method() string      { return f.method }
func (f *fakeAuth) Accepts(*Hello) bool { return f.ok }
func (f *fakeAuth) Start(context.Context, *Hello) (*Identity, *Challenge, State, error) {
	return nil, nil, nil, nil
}
func (f *fakeAuth) Finish(context.Context, State, string, map[string]any) (Identity, error) {
	return Identity{}, nil
}

func TestSelect(t *testing.T) {
	anon := &fakeAuth{MethodAnonymous, true}
	ticket := &fakeAuth{MethodTicket, true}
	cs := &fakeAuth{MethodCryptosign, true}
	csNo := &fakeAuth{MethodCryptosign, false}
	tests := []struct {
		name    string
		methods []string
		offered []Authenticator
		want    Authenticator
	}{
		{"no methods asks anonymous", nil, []Authenticator{ticket, anon}, anon},
		{"no methods, no anonymous", nil, []Authenticator{ticket}, nil},
		{"client order wins over realm order", []string{"cryptosign", "ticket"}, []Authenticator{ticket, cs}, cs},
		{"client order, other way", []string{"ticket", "cryptosign"}, []Authenticator{cs, ticket}, ticket},
		{"skip what the realm lacks", []string{"wampcra", "ticket"}, []Authenticator{ticket}, ticket},
		{"skip what does not apply", []string{"cryptosign", "anonymous"}, []Authenticator{csNo, anon}, anon},
		{"nothing offered", []string{"wampcra"}, []Authenticator{ticket, anon}, nil},
		{"nothing at all", []string{"ticket"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(&Hello{AuthMethods: tt.methods}, tt.offered)
			if tt.want == nil {
				wantRefusal(t, err, ErrNoAuthMethod)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Select = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestRefusalURIs(t *testing.T) {
	tests := []struct {
		err error
		uri codec.URI
	}{
		{failed("wrong ticket"), codec.ErrAuthenticationFailed},
		{deny(ErrNotAuthorized, "x"), codec.ErrNotAuthorized},
		{deny(ErrNoAuthMethod, "x"), codec.ErrNoAuthMethod},
		{errors.New("something unexpected"), codec.ErrAuthenticationFailed},
		{FromURI(codec.ErrNotAuthorized), codec.ErrNotAuthorized},
		{FromURI("com.example.denied"), codec.ErrAuthenticationFailed},
	}
	for _, tt := range tests {
		if got := URI(tt.err); got != tt.uri {
			t.Errorf("URI(%v) = %s, want %s", tt.err, got, tt.uri)
		}
	}
	// The reason is for the log only.
	err := failed("unknown authid")
	if !strings.Contains(err.Error(), "unknown authid") || strings.Contains(ClientMessage(err), "authid") {
		t.Fatalf("Error() = %q, ClientMessage = %q", err.Error(), ClientMessage(err))
	}
}

func TestAnonymous(t *testing.T) {
	a := NewAnonymous("")
	id, _, _ := mustStart(t, a, &Hello{AuthID: "wants-this", AnonymousAuthID: "RANDOM"})
	if !reflect.DeepEqual(*id, Identity{AuthID: "RANDOM", AuthRole: "anonymous", AuthMethod: "anonymous", AuthProvider: "static"}) {
		t.Fatalf("identity %+v", *id)
	}
	id, _, _ = mustStart(t, NewAnonymous("guest"), &Hello{})
	if len(id.AuthID) != 24 || id.AuthRole != "guest" {
		t.Fatalf("identity %+v", *id)
	}
	if _, err := a.Finish(bg, nil, "", nil); !errors.Is(err, ErrAuthenticationFailed) {
		t.Fatalf("Finish = %v", err)
	}
}

// testPKI is a CA and certificates it signed, for the TLS tests.
type testPKI struct {
	ca     *testcert.CA
	pool   *x509.CertPool
	server tls.Certificate
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	ca, err := testcert.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{ca: ca, pool: ca.Pool()}
	p.server = p.issue(t, "localhost", ca, x509.ExtKeyUsageServerAuth)
	return p
}

// issue makes a certificate for cn signed by ca (self-signed when ca is
// nil).
func (p *testPKI) issue(t testing.TB, cn string, ca *testcert.CA, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	c, err := ca.Issue(testcert.Leaf{CN: cn, DNS: []string{cn}, Usages: []x509.ExtKeyUsage{usage}})
	if err != nil {
		t.Fatal(err)
	}
	return c.Pair
}

// handshake runs a real TLS handshake over a pipe and returns the server's
// and the client's connection states.
func (p *testPKI) handshake(t testing.TB, version uint16, client *tls.Certificate, auth tls.ClientAuthType) (srv, cli tls.ConnectionState) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	s := tls.Server(a, &tls.Config{
		Certificates: []tls.Certificate{p.server}, ClientCAs: p.pool, ClientAuth: auth,
		MinVersion: version, MaxVersion: version,
		// No tickets: with client certificates a TLS 1.3 server writes them
		// after the client's handshake returned, and a pipe has no buffer.
		SessionTicketsDisabled: true,
	})
	ccfg := &tls.Config{RootCAs: p.pool, ServerName: "localhost", MinVersion: version, MaxVersion: version}
	if client != nil {
		// Sent whoever issued it (Go's client would skip a certificate the
		// server's CA list does not name).
		ccfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return client, nil }
	}
	c := tls.Client(b, ccfg)
	errc := make(chan error, 1)
	var cs tls.ConnectionState
	go func() {
		err := c.Handshake()
		cs = c.ConnectionState()
		errc <- err
		// A TLS 1.3 client is done before the server has read its
		// certificate: keep reading, so that an alert does not block.
		_, _ = c.Read(make([]byte, 1))
	}()
	if err := s.Handshake(); err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	return s.ConnectionState(), cs
}

func TestChannelBindings(t *testing.T) {
	p := newTestPKI(t)
	srv, cli := p.handshake(t, tls.VersionTLS12, nil, tls.NoClientCert)
	u, e := ChannelBindings(&srv)
	if len(u) != 12 || e != nil {
		t.Fatalf("TLS 1.2: tls-unique %x (want 12 bytes), exporter %x (want none)", u, e)
	}
	if cu, _ := ChannelBindings(&cli); string(cu) != string(u) {
		t.Fatalf("TLS 1.2: client and server tls-unique differ")
	}
	srv, cli = p.handshake(t, tls.VersionTLS13, nil, tls.NoClientCert)
	u, e = ChannelBindings(&srv)
	if u != nil || len(e) != 32 {
		t.Fatalf("TLS 1.3: tls-unique %x (want none), exporter %x (want 32 bytes)", u, e)
	}
	if _, ce := ChannelBindings(&cli); string(ce) != string(e) {
		t.Fatalf("TLS 1.3: client and server tls-exporter differ")
	}
	if u, e := ChannelBindings(nil); u != nil || e != nil {
		t.Fatal("no TLS, yet bindings")
	}
}
