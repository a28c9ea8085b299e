// Package cluster makes a wampd router one node of a cluster that acts as
// one router, over NATS (docs/cluster.md): a NATS server embedded in each
// node, or an external NATS system. No gossip, membership or consensus of
// its own: subjects carry publications, calls and announcements, a
// JetStream KV bucket per realm holds the registrations (create-if-absent
// is the cluster-wide procedure_already_exists), heartbeats tell which
// nodes are alive.
//
// Each realm gets a link (link.go): one more producer of its actor's inbox
// and the realm.Cluster the actor talks to. The actor never waits for
// NATS: what it hands the link is queued (bounded, drops counted) and sent
// by the link's goroutine; what comes from NATS is decoded on NATS's
// delivery goroutines and posted to the actor like a connection's message.
//
// Goroutines, all owned by the Node and ended by Stop: the embedded NATS
// server's; per link a sender (link.run) and a registry worker
// (registry.run); the heartbeat loop (members.run); nats.go's own.
//
// Lock order: members.mu, then link.mu; registry.mu and Node.goMu are
// leaves. None is held while calling into NATS or a realm.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wampd/wampd/engine/admin"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/realm"
)

// Node is this router's membership of its cluster.
type Node struct {
	cfg  config.Cluster
	log  *slog.Logger
	boot string // this run's id: a restarted node is a new incarnation

	srv   *server.Server // nil with external NATS
	nc    *nats.Conn
	js    jetstream.JetStream
	links []*link
	mem   *members

	stopOnce sync.Once
	stop     chan struct{}
	base     context.Context // ends at Stop
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	// goMu orders goOwned's wg.Add before Stop's wg.Wait: nats.go's
	// callbacks (a heartbeat of a new node) can start goroutines until
	// the connection is closed, after Stop began.
	goMu    sync.Mutex
	stopped bool

	stats Stats
}

// Stats are the node's counters, read by the metrics.
type Stats struct {
	Published   atomic.Uint64 // publications sent to NATS
	Received    atomic.Uint64 // publications received from NATS
	Forwarded   atomic.Uint64 // calls, answers and kills sent to other nodes
	Dropped     atomic.Uint64 // messages the bounded queue toward NATS refused
	Bad         atomic.Uint64 // envelopes from NATS that did not decode
	NodesLost   atomic.Uint64 // other nodes declared gone
	Peers       atomic.Int64  // other nodes alive now
	RegWrites   atomic.Uint64 // registration table writes
	RegFailures atomic.Uint64 // registration table operations that failed
}

// New makes a node for cfg. Nothing runs until Start.
func New(cfg config.Cluster, log *slog.Logger) *Node {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	n := &Node{cfg: cfg, log: log.With("cluster", cfg.Name, "node", cfg.Node),
		boot: hex.EncodeToString(b[:]), stop: make(chan struct{})}
	n.base, n.cancel = context.WithCancel(context.Background())
	n.mem = newMembers(n)
	return n
}

// Attach makes r a realm of the cluster; call it before r starts.
func (n *Node) Attach(r *realm.Realm) {
	l := newLink(n, r)
	n.links = append(n.links, l)
	r.SetCluster(l)
}

// Name is the node's name.
func (n *Node) Name() string { return n.cfg.Node }

// AdminStats is a snapshot of the node's counters for the metrics.
func (n *Node) AdminStats() *admin.ClusterStats {
	s := &n.stats
	c := &admin.ClusterStats{
		Peers: s.Peers.Load(), PublicationsSent: s.Published.Load(), PublicationsReceived: s.Received.Load(),
		Forwarded: s.Forwarded.Load(), Dropped: s.Dropped.Load(), Bad: s.Bad.Load(), NodesLost: s.NodesLost.Load(),
		RegistrationWrites: s.RegWrites.Load(), RegistrationFailures: s.RegFailures.Load(),
	}
	for _, l := range n.links {
		c.SlowDrops += l.slowDrops()
	}
	if n.nc != nil {
		ns := n.nc.Stats()
		c.NATSMsgsIn, c.NATSMsgsOut, c.NATSBytesIn, c.NATSBytesOut = ns.InMsgs, ns.OutMsgs, ns.InBytes, ns.OutBytes
	}
	return c
}

// connectTimeout bounds the embedded server's start and the first connect.
const connectTimeout = 10 * time.Second

// stopGrace bounds what Stop waits for the node's last NATS work.
const stopGrace = 3 * time.Second

// Start runs the embedded NATS server (if any), connects, and starts the
// links and the heartbeats. The registration table comes up in the
// background (JetStream needs a quorum of nodes): REGISTERs wait for it,
// bounded.
func (n *Node) Start() error {
	url := n.cfg.NATS.URL
	var opts []nats.Option
	if e := n.cfg.NATS.Embedded; e != nil {
		srv, err := n.startEmbedded(e)
		if err != nil {
			return err
		}
		n.srv = srv
		url = srv.ClientURL()
		if e.TLS != nil {
			tc, err := embeddedClientTLS(e.TLS)
			if err != nil {
				n.srv.Shutdown()
				return err
			}
			opts = append(opts, nats.Secure(tc))
		}
	} else {
		var err error
		if opts, err = externalOptions(n.cfg.NATS); err != nil {
			return err
		}
	}
	opts = append(opts,
		nats.Name("wampd "+n.cfg.Name+"/"+n.cfg.Node),
		nats.NoEcho(), // a node never gets its own publications back
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.Timeout(connectTimeout),
		nats.RetryOnFailedConnect(true),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			n.log.Warn("nats error", "subject", subj, "err", err)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				n.log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { n.log.Info("nats reconnected") }),
	)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		n.shutdownServer()
		return fmt.Errorf("cluster: connect to NATS at %s: %w", redactURLs(url), err)
	}
	n.nc = nc
	if n.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		n.shutdownServer()
		return fmt.Errorf("cluster: jetstream: %w", err)
	}
	for _, l := range n.links {
		if err := l.start(); err != nil {
			n.Stop()
			return err
		}
	}
	if err := n.mem.start(); err != nil {
		n.Stop()
		return err
	}
	n.log.Info("cluster node started", "nats", redactURLs(url), "boot", n.boot)
	return nil
}

// Stop sends what is queued, leaves NATS and stops the embedded server.
// Call it after the realms stopped: their sessions' leaves are sent first.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		n.goMu.Lock()
		n.stopped = true
		n.goMu.Unlock()
		close(n.stop)
		// The registry's last writes (the unregistrations of the sessions
		// the realms just closed) need their contexts: cancel only once
		// the goroutines are done, or after stopGrace.
		done := make(chan struct{})
		go func() { // ends when the node's goroutines have
			n.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(stopGrace):
			n.cancel()
			<-done
		}
		n.cancel()
		if n.nc != nil {
			_ = n.nc.FlushTimeout(time.Second)
			n.nc.Close()
		}
		n.shutdownServer()
	})
}

func (n *Node) shutdownServer() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
}

// goOwned runs f on a goroutine the node owns (ended by Stop); once Stop
// began, f does not run.
func (n *Node) goOwned(f func()) {
	n.goMu.Lock()
	defer n.goMu.Unlock()
	if n.stopped {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// startEmbedded starts the node's own NATS server, clustered with the
// other nodes' over routes, with JetStream.
func (n *Node) startEmbedded(e *config.EmbeddedNATS) (*server.Server, error) {
	opts, err := n.embeddedOptions(e)
	if err != nil {
		return nil, err
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: embedded NATS: %w", err)
	}
	lg := natsLogger{log: n.log.With("component", "nats"), fatal: make(chan string, 1)}
	srv.SetLoggerV2(lg, false, false, false)
	go srv.Start() // the server's goroutines end with Shutdown
	deadline := time.Now().Add(connectTimeout)
	for !srv.ReadyForConnections(100 * time.Millisecond) {
		select {
		case msg := <-lg.fatal:
			srv.Shutdown()
			return nil, fmt.Errorf("cluster: embedded NATS: %s", msg)
		default:
		}
		if time.Now().After(deadline) {
			srv.Shutdown()
			return nil, fmt.Errorf("cluster: embedded NATS on %s not ready within %v", e.Listen, connectTimeout)
		}
	}
	return srv, nil
}

// storeDir is JetStream's directory for the embedded server.
func (n *Node) storeDir(e *config.EmbeddedNATS) (string, error) {
	dir := e.StoreDir
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "wampd-"+n.cfg.Name+"-"+n.cfg.Node)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cluster: store_dir: %w", err)
	}
	return dir, nil
}

// ctx returns a context ending at Stop or after d.
func (n *Node) ctx(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(n.base, d)
}
