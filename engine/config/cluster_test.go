package config

import (
	"strings"
	"testing"
)

const clusterBase = "cluster:\n  name: c1\n  node: n1\n"

func TestClusterErrors(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"no nats", clusterBase, "cluster.nats needs embedded"},
		{"both", clusterBase + "  nats:\n    url: nats://127.0.0.1:4222\n    embedded:\n      listen: 127.0.0.1:4222\n      cluster_listen: 127.0.0.1:6222\n",
			"cluster.nats has both embedded and url"},
		{"bad name", "cluster:\n  name: a.b\n  node: n1\n  nats:\n    url: nats://h:1\n", `cluster.name "a.b" must be`},
		{"no node", "cluster:\n  name: c\n  nats:\n    url: nats://h:1\n", `cluster.node "" must be`},
		{"bad url", clusterBase + "  nats:\n    url: http://h:1\n", "is not a NATS URL"},
		{"port 0", clusterBase + "  nats:\n    embedded:\n      listen: 127.0.0.1:0\n      cluster_listen: 127.0.0.1:6222\n",
			`cluster.nats.embedded.listen "127.0.0.1:0" is not host:port with a fixed port`},
		{"no cluster_listen", clusterBase + "  nats:\n    embedded:\n      listen: 127.0.0.1:4222\n",
			"cluster.nats.embedded.cluster_listen is required"},
		{"bad route", clusterBase + "  nats:\n    embedded:\n      listen: 127.0.0.1:4222\n      cluster_listen: 127.0.0.1:6222\n      routes: [127.0.0.1:6223]\n",
			"is not a route URL"},
		{"half credentials", clusterBase + "  nats:\n    embedded:\n      listen: 127.0.0.1:4222\n      cluster_listen: 127.0.0.1:6222\n      route_user: u\n",
			"needs both route_user and route_password"},
		{"too many replicas", clusterBase + "  replicas: 3\n  nats:\n    embedded:\n      listen: 127.0.0.1:4222\n      cluster_listen: 127.0.0.1:6222\n      routes: [nats-route://127.0.0.1:6223]\n",
			"cluster.replicas 3 is more than the 2 nodes the routes name"},
		{"unknown key", clusterBase + "  nats:\n    embeded: {}\n", `unknown key "embeded" in cluster.nats (did you mean "embedded"?)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestClusterDefaults(t *testing.T) {
	c, err := Parse([]byte(clusterBase + "  nats:\n    embedded:\n      listen: 127.0.0.1:4222\n      cluster_listen: 127.0.0.1:6222\n" +
		"      routes: [nats-route://127.0.0.1:6222, nats-route://127.0.0.1:6223, nats-route://127.0.0.1:6224]\n"))
	if err != nil {
		t.Fatal(err)
	}
	cl := c.Cluster
	if got := cl.Peers(); len(got) != 2 || got[0] != "127.0.0.1:6223" {
		t.Errorf("Peers = %v: its own route address is not a peer", got)
	}
	if got := cl.ReplicasOrDefault(); got != 3 {
		t.Errorf("replicas = %d, want 3", got)
	}
	if s := c.Summary(); !strings.Contains(s, "cluster c1: node n1, registration replicas 3, embedded NATS on 127.0.0.1:4222") {
		t.Errorf("summary: %s", s)
	}
	one, err := Parse([]byte(clusterBase + "  nats:\n    embedded:\n      listen: 127.0.0.1:4222\n      cluster_listen: 127.0.0.1:6222\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := one.Cluster.ReplicasOrDefault(); got != 1 {
		t.Errorf("a lone node keeps %d replicas, want 1", got)
	}
	if s := (Config{}).Summary(); strings.Contains(s, "cluster") {
		t.Errorf("a single node's summary mentions a cluster: %s", s)
	}
}
