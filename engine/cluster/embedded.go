package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/wampd/wampd/engine/config"
)

// embeddedOptions are the embedded NATS server's options: its client and
// route listeners from the configuration, JetStream on (the registration
// tables), the node's name as the server's, no signal handlers of its own.
func (n *Node) embeddedOptions(e *config.EmbeddedNATS) (*server.Options, error) {
	host, port, err := splitHostPort(e.Listen)
	if err != nil {
		return nil, fmt.Errorf("cluster: nats.embedded.listen: %w", err)
	}
	chost, cport, err := splitHostPort(e.ClusterListen)
	if err != nil {
		return nil, fmt.Errorf("cluster: nats.embedded.cluster_listen: %w", err)
	}
	dir, err := n.storeDir(e)
	if err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName: n.cfg.Node,
		Host:       host,
		Port:       port,
		NoSigs:     true,
		JetStream:  true,
		StoreDir:   dir,
		// The registration tables are small: bound what JetStream may use.
		JetStreamMaxMemory: 256 << 20,
		JetStreamMaxStore:  1 << 30,
		Cluster: server.ClusterOpts{
			Name: n.cfg.Name,
			Host: chost,
			Port: cport,
		},
		MaxPayload: 64 << 20, // a WAMP message up to the router's own bound
	}
	for _, r := range e.Routes {
		u, err := url.Parse(r)
		if err != nil {
			return nil, fmt.Errorf("cluster: route %q: %w", r, err)
		}
		if e.RouteUser != "" {
			u.User = url.UserPassword(e.RouteUser, e.RoutePassword)
		}
		opts.Routes = append(opts.Routes, u)
	}
	if e.RouteUser != "" {
		opts.Cluster.Username, opts.Cluster.Password = e.RouteUser, e.RoutePassword
	}
	if t := e.TLS; t != nil {
		tc, err := serverTLS(t)
		if err != nil {
			return nil, err
		}
		opts.TLSConfig, opts.TLS, opts.TLSVerify = tc, true, t.ClientCA != ""
		opts.Cluster.TLSConfig = tc.Clone()
		opts.Cluster.TLSTimeout = 2
	}
	return opts, nil
}

func splitHostPort(a string) (string, int, error) {
	h, p, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, err
	}
	return h, port, nil
}

// serverTLS is the embedded server's TLS (client and route ports): its
// certificate, and the CAs the other side's certificate must chain to.
func serverTLS(t *config.TLS) (*tls.Config, error) {
	tc, err := embeddedClientTLS(t)
	if err != nil {
		return nil, err
	}
	if tc.RootCAs != nil {
		tc.ClientCAs, tc.ClientAuth = tc.RootCAs, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// embeddedClientTLS is this node's own client TLS to its embedded server:
// the node's certificate, and client_ca as the servers' CA.
func embeddedClientTLS(t *config.TLS) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		return nil, fmt.Errorf("cluster: nats tls: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.ClientCA != "" {
		if tc.RootCAs, err = loadPool(t.ClientCA); err != nil {
			return nil, err
		}
	}
	return tc, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cluster: nats tls: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cluster: nats tls: no certificates in %s", file)
	}
	return pool, nil
}

// externalOptions are the client options for an external NATS system.
func externalOptions(c config.ClusterNATS) ([]nats.Option, error) {
	var opts []nats.Option
	if c.Credentials != "" {
		opts = append(opts, nats.UserCredentials(c.Credentials))
	}
	if t := c.TLS; t != nil {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if t.CA != "" {
			pool, err := loadPool(t.CA)
			if err != nil {
				return nil, err
			}
			tc.RootCAs = pool
		}
		if t.Cert != "" {
			cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
			if err != nil {
				return nil, fmt.Errorf("cluster: nats tls: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, nats.Secure(tc))
	}
	return opts, nil
}

// natsLogger passes the embedded server's log to slog: its notices at
// debug (it is chatty about routes), warnings and errors as they are.
// The server calls Fatalf where it cannot go on (a port in use) and
// expects the process to exit: fatal tells startEmbedded instead.
type natsLogger struct {
	log   *slog.Logger
	fatal chan string // 1-buffered
}

func (l natsLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l natsLogger) Warnf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if strings.HasPrefix(msg, "Maximum payloads over") {
		l.log.Debug(msg) // wampd's own max_message_size is the bound that matters
		return
	}
	l.log.Warn(msg)
}
func (l natsLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	select {
	case l.fatal <- msg:
	default:
	}
}
func (l natsLogger) Errorf(format string, v ...any) { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLogger) Debugf(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l natsLogger) Tracef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
