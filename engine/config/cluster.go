package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Cluster makes the router one node of a cluster of wampd nodes that act
// as one router, over NATS (docs/cluster.md): the nodes' realms share
// subscribers, callees, registrations and sessions. Absent, the router is
// a single node and runs no NATS code at all.
type Cluster struct {
	// Name names the cluster: every node of one cluster has the same, and
	// it prefixes every NATS subject and JetStream bucket wampd uses, so
	// two clusters can share one NATS system.
	Name string `yaml:"name"`
	// Node names this node, unique in the cluster (and its embedded NATS
	// server's name).
	Node string `yaml:"node"`
	// NATS is how the node reaches NATS: a server embedded in wampd, or
	// an external NATS system.
	NATS ClusterNATS `yaml:"nats"`
	// Replicas is how many copies JetStream keeps of the registration
	// table (1..5; 0 picks min(3, nodes) for embedded NATS, 3 for an
	// external system).
	Replicas int `yaml:"replicas,omitempty"`
}

// ClusterNATS is exactly one of Embedded and URL.
type ClusterNATS struct {
	// Embedded runs a NATS server (with JetStream) inside wampd.
	Embedded *EmbeddedNATS `yaml:"embedded,omitempty"`
	// URL is an external NATS system's client URL(s), comma-separated
	// ("nats://a:4222,nats://b:4222"); it must have JetStream enabled.
	URL string `yaml:"url,omitempty"`
	// Credentials is a NATS .creds file (JWT and NKey seed) for URL.
	Credentials string `yaml:"credentials,omitempty"`
	// TLS, for URL, verifies the NATS servers against CA and may present a
	// client certificate.
	TLS *NATSTLS `yaml:"tls,omitempty"`
}

// EmbeddedNATS is the NATS server a node embeds.
type EmbeddedNATS struct {
	// Listen is the NATS client address (host:port): wampd's own link
	// connects here, and other NATS clients may too.
	Listen string `yaml:"listen"`
	// ClusterListen is where the other nodes' NATS servers connect (routes).
	ClusterListen string `yaml:"cluster_listen"`
	// Routes are the other nodes' cluster addresses
	// (nats-route://host:port); a node's own address may be listed too.
	Routes []string `yaml:"routes"`
	// StoreDir is JetStream's directory (default: a directory under the
	// system temporary directory named after the cluster and node).
	StoreDir string `yaml:"store_dir,omitempty"`
	// TLS, when set, serves TLS on the client and route ports and checks
	// the other nodes' route certificates against its client_ca.
	TLS *TLS `yaml:"tls,omitempty"`
	// RouteUser and RoutePassword, when set, are required of every route
	// and presented by this node's own routes.
	RouteUser     string `yaml:"route_user,omitempty"`
	RoutePassword string `yaml:"route_password,omitempty"`
}

// NATSTLS is the client TLS of a link to external NATS.
type NATSTLS struct {
	CA   string `yaml:"ca,omitempty"`
	Cert string `yaml:"cert,omitempty"`
	Key  string `yaml:"key,omitempty"`
}

// maxReplicas is JetStream's own bound on a stream's replicas.
const maxReplicas = 5

// ReplicasOrDefault is the registration table's replica count.
func (c *Cluster) ReplicasOrDefault() int {
	if c.Replicas > 0 {
		return c.Replicas
	}
	if e := c.NATS.Embedded; e != nil {
		return min(3, len(c.Peers())+1)
	}
	return 3
}

// Peers are the route addresses of the other nodes (host:port), this
// node's own cluster_listen left out; nil for external NATS.
func (c *Cluster) Peers() []string {
	e := c.NATS.Embedded
	if e == nil {
		return nil
	}
	var out []string
	for _, r := range e.Routes {
		u, err := url.Parse(r)
		if err != nil || u.Host == e.ClusterListen {
			continue
		}
		out = append(out, u.Host)
	}
	return out
}

// nameToken reports whether s is a valid cluster or node name: a NATS
// subject token and a JetStream name ([A-Za-z0-9_-], 1..64).
func nameToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (c *checker) cluster(cl *Cluster) {
	const w = "cluster"
	if !nameToken(cl.Name) {
		c.errorf(w+".name", "cluster.name %q must be 1..64 of A-Z a-z 0-9 _ - (it prefixes NATS subjects)", cl.Name)
	}
	if !nameToken(cl.Node) {
		c.errorf(w+".node", "cluster.node %q must be 1..64 of A-Z a-z 0-9 _ - (unique in the cluster)", cl.Node)
	}
	if cl.Replicas < 0 || cl.Replicas > maxReplicas {
		c.errorf(w+".replicas", "cluster.replicas %d is out of range [1, %d] (0 picks the default)", cl.Replicas, maxReplicas)
	}
	n := cl.NATS
	switch {
	case n.Embedded == nil && n.URL == "":
		c.errorf(w+".nats", "cluster.nats needs embedded (a NATS server inside wampd) or url (an external NATS system)")
		return
	case n.Embedded != nil && n.URL != "":
		c.errorf(w+".nats", "cluster.nats has both embedded and url; use one")
		return
	}
	if e := n.Embedded; e != nil {
		c.natsAddr(w+".nats.embedded.listen", e.Listen, true)
		c.natsAddr(w+".nats.embedded.cluster_listen", e.ClusterListen, true)
		for i, r := range e.Routes {
			p := index(w+".nats.embedded.routes", i)
			u, err := url.Parse(r)
			if err != nil || u.Scheme != "nats-route" && u.Scheme != "nats" || u.Host == "" {
				c.errorf(p, "%s %q is not a route URL (want nats-route://host:port)", p, r)
				continue
			}
			c.natsAddr(p, u.Host, false)
		}
		if e.TLS != nil {
			c.tls(w+".nats.embedded.tls", e.TLS)
		}
		if (e.RouteUser == "") != (e.RoutePassword == "") {
			c.errorf(w+".nats.embedded", "cluster.nats.embedded needs both route_user and route_password, or neither")
		}
		if cl.Replicas > len(cl.Peers())+1 {
			c.errorf(w+".replicas", "cluster.replicas %d is more than the %d nodes the routes name", cl.Replicas, len(cl.Peers())+1)
		}
		return
	}
	if n.Credentials != "" {
		c.file(w+".nats.credentials", n.Credentials)
	}
	for i, u := range strings.Split(n.URL, ",") {
		pu, err := url.Parse(strings.TrimSpace(u))
		if err != nil || pu.Host == "" || (pu.Scheme != "nats" && pu.Scheme != "tls") {
			c.errorf(w+".nats.url", "cluster.nats.url item %d %q is not a NATS URL (want nats://host:port or tls://host:port)", i, u)
		}
	}
	if t := n.TLS; t != nil {
		c.file(w+".nats.tls.ca", t.CA)
		c.file(w+".nats.tls.cert", t.Cert)
		c.file(w+".nats.tls.key", t.Key)
		if (t.Cert == "") != (t.Key == "") {
			c.errorf(w+".nats.tls", "cluster.nats.tls needs both cert and key, or neither")
		}
	}
}

// natsAddr checks a host:port of the NATS configuration (listen: the port
// may not be 0, other nodes must be able to find it).
func (c *checker) natsAddr(path, a string, listen bool) {
	if a == "" {
		c.errorf(path, "%s is required (host:port)", path)
		return
	}
	_, port, err := net.SplitHostPort(a)
	p, perr := strconv.Atoi(port)
	if err != nil || perr != nil || p < 0 || p > 65535 || (listen && p == 0) {
		c.errorf(path, "%s %q is not host:port with a fixed port", path, a)
	}
}
