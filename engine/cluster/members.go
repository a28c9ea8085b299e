package cluster

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Node liveness: every node publishes a heartbeat (its name and boot id)
// every heartbeatEvery. With embedded NATS the servers are a full mesh of
// routes, and a node whose route is gone and who has been silent for
// routeGrace is gone (a killed node's route drops at once; CPU starvation
// does not fake it); one whose route is up but who has been silent for
// lostAfter is gone too (a hung process). With external NATS only the
// silence counts, for lostAfterExternal. An earlier incarnation of a node
// heard with a new boot id is gone as well. A gone
// node's shadows leave every realm (its callers' and callees' pending
// calls fail with wamp.error.canceled, its sessions' testaments fire) and
// its callees leave the registration tables. A node first heard is asked
// for its sessions (a snapshot), and announces keep them current.
//
// lostAfterExternal is what the 1 s bound on a lost node's calls leaves
// room for: 650 ms of silence, checked every 50 ms, then one actor item.
const (
	heartbeatEvery    = 150 * time.Millisecond
	routeGrace        = 200 * time.Millisecond
	lostAfter         = 3 * time.Second
	lostAfterExternal = 650 * time.Millisecond
	checkEvery        = 50 * time.Millisecond
	snapTimeout       = 2 * time.Second
	snapAttempts      = 5
)

// members tracks the other nodes.
type members struct {
	n *Node

	mu    sync.Mutex // guards peers
	peers map[string]*peerNode
}

type peerNode struct {
	boot string
	last time.Time
}

func newMembers(n *Node) *members { return &members{n: n, peers: make(map[string]*peerNode)} }

func (m *members) hbSubject() string { return subjectRoot + m.n.cfg.Name + ".hb" }
func (m *members) snapSubject(node string) string {
	return subjectRoot + m.n.cfg.Name + ".snap." + node
}

// start subscribes to heartbeats and snapshot requests and starts the
// heartbeat loop.
func (m *members) start() error {
	nc := m.n.nc
	if _, err := nc.Subscribe(m.snapSubject(m.n.cfg.Node), m.onSnapshot); err != nil {
		return fmt.Errorf("cluster: subscribe snapshots: %w", err)
	}
	if _, err := nc.Subscribe(m.hbSubject(), m.onHeartbeat); err != nil {
		return fmt.Errorf("cluster: subscribe heartbeats: %w", err)
	}
	m.n.goOwned(m.run)
	return nil
}

// run publishes heartbeats and declares silent nodes gone, until Stop.
func (m *members) run() {
	beat := []byte(m.n.cfg.Node + " " + m.n.boot)
	hb := time.NewTicker(heartbeatEvery)
	check := time.NewTicker(checkEvery)
	defer hb.Stop()
	defer check.Stop()
	_ = m.n.nc.Publish(m.hbSubject(), beat)
	for {
		select {
		case <-m.n.stop:
			return
		case <-hb.C:
			_ = m.n.nc.Publish(m.hbSubject(), beat)
		case now := <-check.C:
			routed := m.routed()
			var gone []string
			m.mu.Lock()
			for name, p := range m.peers {
				silent := now.Sub(p.last)
				_, route := routed[name]
				if routed == nil && silent > lostAfterExternal ||
					routed != nil && (!route && silent > routeGrace || silent > lostAfter) {
					gone = append(gone, name)
					delete(m.peers, name)
				}
			}
			m.n.stats.Peers.Store(int64(len(m.peers)))
			m.mu.Unlock()
			for _, name := range gone {
				m.lost(name, "its route and heartbeats stopped")
			}
		}
	}
}

// routed is the set of nodes the embedded server has a route to, nil with
// external NATS (or when the server cannot say).
func (m *members) routed() map[string]struct{} {
	if m.n.srv == nil {
		return nil
	}
	rz, err := m.n.srv.Routez(nil)
	if err != nil {
		return nil
	}
	out := make(map[string]struct{}, len(rz.Routes))
	for _, r := range rz.Routes {
		out[r.RemoteName] = struct{}{}
	}
	return out
}

func (m *members) onHeartbeat(msg *nats.Msg) {
	node, boot, ok := strings.Cut(string(msg.Data), " ")
	if !ok || node == "" {
		m.n.stats.Bad.Add(1)
		return
	}
	m.heard(node, boot)
}

// heard notes that node (incarnation boot) is alive: a node first heard
// is asked for its sessions; a new incarnation ends the old one first.
func (m *members) heard(node, boot string) {
	if node == m.n.cfg.Node || boot == "" {
		return
	}
	m.mu.Lock()
	p := m.peers[node]
	restarted := p != nil && p.boot != boot
	fresh := p == nil || restarted
	if fresh {
		p = &peerNode{boot: boot}
		m.peers[node] = p
	}
	p.last = time.Now()
	m.n.stats.Peers.Store(int64(len(m.peers)))
	m.mu.Unlock()
	if restarted {
		m.lost(node, "restarted")
	}
	if fresh {
		m.n.log.Info("cluster node joined", "peer", node)
		m.n.goOwned(func() { m.fetchSnapshot(node) })
	}
}

// lost ends everything of node on this node.
func (m *members) lost(node, why string) {
	m.n.stats.NodesLost.Add(1)
	m.n.log.Warn("cluster node lost", "peer", node, "reason", why)
	for _, l := range m.n.links {
		l.nodeLost(node)
	}
}

// snapshotMsg is a node's sessions, by realm.
type snapshotMsg struct {
	Node     string                 `json:"node"`
	Boot     string                 `json:"boot"`
	Sessions map[string][]*announce `json:"sessions"`
}

func (m *members) onSnapshot(msg *nats.Msg) {
	s := snapshotMsg{Node: m.n.cfg.Node, Boot: m.n.boot, Sessions: make(map[string][]*announce)}
	for _, l := range m.n.links {
		s.Sessions[l.r.Name()] = l.snapshot()
	}
	b, err := json.Marshal(&s)
	if err == nil {
		err = msg.Respond(b)
	}
	if err != nil {
		m.n.log.Warn("cluster snapshot reply", "err", err)
	}
}

// fetchSnapshot asks node for its sessions and shadows them.
func (m *members) fetchSnapshot(node string) {
	for i := 0; i < snapAttempts; i++ {
		ctx, cancel := m.n.ctx(snapTimeout)
		msg, err := m.n.nc.RequestWithContext(ctx, m.snapSubject(node), nil)
		cancel()
		if err == nil {
			var s snapshotMsg
			if err := json.Unmarshal(msg.Data, &s); err != nil {
				m.n.stats.Bad.Add(1)
				return
			}
			for _, l := range m.n.links {
				for _, a := range s.Sessions[l.r.Name()] {
					a.Node = node
					l.join(a)
				}
			}
			return
		}
		select {
		case <-m.n.stop:
			return
		default:
		}
	}
	m.n.log.Warn("cluster snapshot failed", "peer", node)
}
