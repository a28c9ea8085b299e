package bench

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATSServerReady is the line `wampbench nats-server` prints on stdout once
// it listens, followed by its client URL (nats://host:port).
const NATSServerReady = "wampbench nats-server listening on "

// NATSServer is an embedded nats-server, the broker `--target nats`
// measures wampd against. wampbench runs it in a child process of its own
// (Config.NATSServerCmd) so that its CPU time and RSS are measured apart
// from the load generator's, as a router's are; tests run it in-process.
type NATSServer struct {
	s *server.Server
}

// StartNATSServer starts a nats-server with its default limits on hostPort
// (port 0 picks a free one) and waits up to 10s until it takes clients.
func StartNATSServer(hostPort string) (*NATSServer, error) {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return nil, fmt.Errorf("bench: nats-server address %q: %w", hostPort, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("bench: nats-server port %q: %w", port, err)
	}
	if p == 0 {
		p = server.RANDOM_PORT
	}
	// Defaults otherwise (64 MiB pending per client, the stock write
	// deadline): the broker as it ships, as wampd runs with its defaults.
	s, err := server.NewServer(&server.Options{Host: host, Port: p, NoLog: true, NoSigs: true})
	if err != nil {
		return nil, fmt.Errorf("bench: nats-server: %w", err)
	}
	go s.Start() // returns once its listeners run; owned by Close
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("bench: nats-server not ready within 10s: %w", ErrTimeout)
	}
	return &NATSServer{s: s}, nil
}

// URL is the server's client URL, nats://host:port.
func (n *NATSServer) URL() string { return n.s.ClientURL() }

// Close shuts the server down and waits until it has.
func (n *NATSServer) Close() {
	n.s.Shutdown()
	n.s.WaitForShutdown()
}
