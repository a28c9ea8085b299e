package admin

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/realm"
)

// scalar is one unlabelled metric read from Stats.
type scalar struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	get  func(*Stats) float64
}

// forwardMetric is one counter of an HTTP bridge's outbound target.
type forwardMetric struct {
	desc *prometheus.Desc
	get  func(*ForwardTarget) uint64
}

// perRealm is one metric with a realm label, read from realm.Stats.
type perRealm struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	get  func(*realm.Stats) float64
}

// runtimeScalar is one unlabelled metric read from Runtime.
type runtimeScalar struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	get  func(*Runtime) float64
}

const (
	counter = prometheus.CounterValue
	gauge   = prometheus.GaugeValue
)

func newDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// Collector is the prometheus.Collector of the router's counters. It keeps
// no state of its own: each Collect takes one Stats and one Runtime snapshot
// from its Source and turns them into constant metrics, so the counters stay
// plain atomics on the hot path and only a scrape pays for the conversion.
//
// The metric names are the ones wampd served before it used client_golang
// (dashboards and tests rely on them), plus the labelled families below.
type Collector struct {
	src            Source
	scalars        []scalar
	realms         []perRealm
	realmMessages  *prometheus.Desc
	transports     *prometheus.Desc
	forwards       []forwardMetric
	forwardQueued  *prometheus.Desc
	runtime        []runtimeScalar
	gcPauseSeconds *prometheus.Desc
	msgsIn         *prometheus.Desc
	msgsOut        *prometheus.Desc
	bytesIn        *prometheus.Desc
	bytesOut       *prometheus.Desc
	callLatency    *prometheus.Desc
	// latencyBounds are the histogram's bucket bounds in seconds.
	latencyBounds [realm.LatencyBuckets - 1]float64
}

// NewCollector returns the Collector reading src (src.Stats and src.Runtime
// may be nil: their metrics are then left out).
func NewCollector(src Source) *Collector {
	c := &Collector{
		src: src,
		scalars: []scalar{
			{newDesc("wampd_sessions", "WAMP sessions joined now."), gauge, func(s *Stats) float64 { return float64(s.Sessions) }},
			{newDesc("wampd_messages_received_total", "WAMP messages received from clients."), counter, func(s *Stats) float64 { return float64(s.Messages) }},
			{newDesc("wampd_sessions_rejected_total", "HELLOs answered with ABORT."), counter, func(s *Stats) float64 { return float64(s.Rejected) }},
			{newDesc("wampd_connections", "Open client connections."), gauge, func(s *Stats) float64 { return float64(s.Conns) }},
			{newDesc("wampd_connections_accepted_total", "Client connections accepted."), counter, func(s *Stats) float64 { return float64(s.Accepted) }},
			{newDesc("wampd_dropped_events_total", "EVENTs dropped for subscribers over their outbound bound (policy drop)."), counter, func(s *Stats) float64 { return float64(s.DroppedEvents) }},
			{newDesc("wampd_slow_disconnects_total", "Sessions disconnected for exceeding their outbound bound (policy disconnect)."), counter, func(s *Stats) float64 { return float64(s.SlowDisconnects) }},
			{newDesc("wampd_flow_stalls_total", "Senders whose socket was left unread because a recipient's queue passed the high-water mark (flow control)."), counter, func(s *Stats) float64 { return float64(s.FlowStalls) }},
			{newDesc("wampd_flow_releases_total", "Held senders read again (flow control)."), counter, func(s *Stats) float64 { return float64(s.FlowReleases) }},
			{newDesc("wampd_flow_stall_seconds_total", "Time senders spent held by flow control, summed over senders."), counter, func(s *Stats) float64 { return s.FlowStallSeconds }},
			{newDesc("wampd_flow_cuts_total", "Recipients that held a sender past the stall bound and were handed to the outbound policy."), counter, func(s *Stats) float64 { return float64(s.FlowCuts) }},
			{newDesc("wampd_flow_held", "Senders held by flow control now."), gauge, func(s *Stats) float64 { return float64(s.FlowHeld) }},
			{newDesc("wampd_bridge_rejoins_total", "HTTP bridge in-process sessions joined again after they ended."), counter, func(s *Stats) float64 { return float64(s.BridgeRejoins) }},
			{newDesc("wampd_cluster_peers", "Other cluster nodes alive now (0 on a single node)."), gauge, clusterStat(func(c *ClusterStats) float64 { return float64(c.Peers) })},
			{newDesc("wampd_cluster_publications_sent_total", "Local publications handed to NATS, one per publication whatever the number of interested nodes."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.PublicationsSent) })},
			{newDesc("wampd_cluster_publications_received_total", "Publications of other nodes delivered to this node's subscribers."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.PublicationsReceived) })},
			{newDesc("wampd_cluster_forwarded_total", "Calls, answers and kills sent to other nodes."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.Forwarded) })},
			{newDesc("wampd_cluster_dropped_total", "Messages for other nodes the bounded queue toward NATS refused."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.Dropped) })},
			{newDesc("wampd_cluster_slow_consumer_drops_total", "Messages from other nodes NATS dropped because this node's bounded channels were full (a node that cannot keep up)."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.SlowDrops) })},
			{newDesc("wampd_cluster_bad_messages_total", "Messages from NATS that did not decode."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.Bad) })},
			{newDesc("wampd_cluster_nodes_lost_total", "Other nodes declared gone (no heartbeat, or restarted)."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.NodesLost) })},
			{newDesc("wampd_cluster_registration_writes_total", "Writes to the cluster's registration tables."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.RegistrationWrites) })},
			{newDesc("wampd_cluster_registration_failures_total", "Registration table operations that failed (REGISTER got wampd.error.cluster_unavailable)."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.RegistrationFailures) })},
			{newDesc("wampd_cluster_nats_messages_in_total", "Messages the node's NATS connection received."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.NATSMsgsIn) })},
			{newDesc("wampd_cluster_nats_messages_out_total", "Messages the node's NATS connection sent."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.NATSMsgsOut) })},
			{newDesc("wampd_cluster_nats_bytes_in_total", "Bytes the node's NATS connection received."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.NATSBytesIn) })},
			{newDesc("wampd_cluster_nats_bytes_out_total", "Bytes the node's NATS connection sent."), counter, clusterStat(func(c *ClusterStats) float64 { return float64(c.NATSBytesOut) })},
			{newDesc("wampd_protocol_errors_total", "Connections closed for a transport or WAMP protocol error."), counter, func(s *Stats) float64 { return float64(s.ProtocolErrors) }},
			{newDesc("wampd_auth_failures_total", "Logins an authenticator refused (wrong secret, unknown principal, no method)."), counter, func(s *Stats) float64 { return float64(s.AuthFailures) }},
			{newDesc("wampd_auth_throttled_total", "Logins refused at once by the failed-login limits."), counter, func(s *Stats) float64 { return float64(s.AuthThrottled) }},
			{newDesc("wampd_tls_handshakes_total", "TLS handshakes completed."), counter, func(s *Stats) float64 { return float64(s.TLSHandshakes) }},
			{newDesc("wampd_tls_handshake_errors_total", "TLS handshakes failed (plaintext clients, refused certificates, timeouts, the handshake cap)."), counter, func(s *Stats) float64 { return float64(s.TLSErrors) }},
			{newDesc("wampd_auth_busy_total", "Logins refused because the authentication pool's queue was full."), counter, func(s *Stats) float64 { return float64(s.AuthBusy) }},
		},
		realms: []perRealm{
			{newDesc("wampd_realm_sessions", "Sessions joined per realm.", "realm"), gauge, func(r *realm.Stats) float64 { return float64(r.Sessions) }},
			{newDesc("wampd_realm_published_total", "Publications accepted per realm.", "realm"), counter, func(r *realm.Stats) float64 { return float64(r.Published) }},
			{newDesc("wampd_realm_events_delivered_total", "EVENTs queued to subscribers per realm.", "realm"), counter, func(r *realm.Stats) float64 { return float64(r.Delivered) }},
			{newDesc("wampd_realm_events_dropped_total", "EVENTs refused by a slow subscriber's peer per realm.", "realm"), counter, func(r *realm.Stats) float64 { return float64(r.Dropped) }},
			{newDesc("wampd_realm_calls_total", "Calls routed to a callee per realm.", "realm"), counter, func(r *realm.Stats) float64 { return float64(r.Calls) }},
			{newDesc("wampd_realm_denied_total", "Requests refused by the realm's authorization.", "realm"), counter, func(r *realm.Stats) float64 { return float64(r.Denied) }},
			{newDesc("wampd_realm_retained_bytes", "Bytes of retained events kept per realm.", "realm"), gauge, func(r *realm.Stats) float64 { return float64(r.RetainedBytes) }},
			{newDesc("wampd_realm_retained_evicted_total", "Retained topics forgotten to stay under the realm's bound.", "realm"), counter, func(r *realm.Stats) float64 { return float64(r.RetainedEvicted) }},
			{newDesc("wampd_realm_history_bytes", "Bytes of event history kept per realm.", "realm"), gauge, func(r *realm.Stats) float64 { return float64(r.HistoryBytes) }},
			{newDesc("wampd_realm_history_evicted_total", "History events dropped by the bounds of their rule.", "realm"), counter, func(r *realm.Stats) float64 { return float64(r.HistoryEvicted) }},
		},
		realmMessages: newDesc("wampd_realm_messages_received_total",
			"WAMP messages received from the sessions of a realm (counted in batches per connection).", "realm"),
		transports: newDesc("wampd_realm_transport_sessions",
			"Network sessions joined now per realm, transport and serializer.", "realm", "transport", "serializer"),
		forwards: []forwardMetric{
			{newDesc("wampd_bridge_forward_delivered_total", "HTTP bridge deliveries answered 2xx per target.", "realm", "kind", "uri"), func(f *ForwardTarget) uint64 { return f.Delivered }},
			{newDesc("wampd_bridge_forward_retries_total", "HTTP bridge delivery attempts after the first per target.", "realm", "kind", "uri"), func(f *ForwardTarget) uint64 { return f.Retries }},
			{newDesc("wampd_bridge_forward_failed_total", "HTTP bridge deliveries given up after their retries per target.", "realm", "kind", "uri"), func(f *ForwardTarget) uint64 { return f.Failed }},
			{newDesc("wampd_bridge_forward_timeouts_total", "HTTP bridge delivery attempts that ran out of time per target.", "realm", "kind", "uri"), func(f *ForwardTarget) uint64 { return f.Timeouts }},
			{newDesc("wampd_bridge_forward_dropped_total", "HTTP bridge deliveries dropped (queue full, or left at stop) per target.", "realm", "kind", "uri"), func(f *ForwardTarget) uint64 { return f.Dropped }},
		},
		forwardQueued: newDesc("wampd_bridge_forward_queued", "HTTP bridge deliveries waiting now per target.", "realm", "kind", "uri"),
		runtime: []runtimeScalar{
			{newDesc("wampd_gc_cycles_total", "Completed GC cycles."), counter, func(r *Runtime) float64 { return float64(r.GCCycles) }},
			{newDesc("wampd_gc_cpu_seconds_total", "CPU time spent in the garbage collector (estimate of the runtime)."), counter, func(r *Runtime) float64 { return r.GCCPUSeconds }},
			{newDesc("wampd_gc_pauses_total", "GC stop-the-world pauses."), counter, func(r *Runtime) float64 { return float64(r.GCPauses) }},
			{newDesc("wampd_heap_live_bytes", "Heap bytes marked live by the last GC."), gauge, func(r *Runtime) float64 { return float64(r.HeapLive) }},
			{newDesc("wampd_heap_goal_bytes", "Heap size at which the next GC starts."), gauge, func(r *Runtime) float64 { return float64(r.HeapGoal) }},
			{newDesc("wampd_goroutines", "Live goroutines."), gauge, func(r *Runtime) float64 { return float64(r.Goroutines) }},
			{newDesc("wampd_process_resident_bytes", "Resident set size of the process (/proc/self/statm)."), gauge, func(r *Runtime) float64 { return float64(r.RSS) }},
		},
		// Gauges, not a Prometheus summary: the runtime's histogram gives
		// bucket bounds and no exact sum.
		gcPauseSeconds: newDesc("wampd_gc_pause_seconds",
			"GC stop-the-world pause quantiles since start (/sched/pauses/total/gc:seconds, bucket upper bounds).", "quantile"),
		msgsIn: newDesc("wampd_realm_messages_in_total",
			"WAMP messages the realm handled from its sessions, by message type (the handshake is not counted).", "realm", "type"),
		msgsOut: newDesc("wampd_realm_messages_out_total",
			"WAMP messages the realm queued to its sessions, by message type (dropped EVENTs are not counted).", "realm", "type"),
		bytesIn: newDesc("wampd_realm_bytes_in_total",
			"Serialized bytes of the messages in wampd_realm_messages_in_total (no transport framing).", "realm"),
		bytesOut: newDesc("wampd_realm_bytes_out_total",
			"Serialized bytes of the messages the realm queued, EVENTs of a fan-out not included yet.", "realm"),
		callLatency: newDesc("wampd_realm_call_latency_seconds",
			"Router-side call latency per realm: the actor handling a CALL to it queuing the RESULT (log2 buckets from 1.024 us).", "realm"),
	}
	for i := range c.latencyBounds {
		c.latencyBounds[i] = realm.LatencyBound(i).Seconds()
	}
	return c
}

// Describe sends the descriptor of every metric Collect may send.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.scalars {
		ch <- m.desc
	}
	for _, m := range c.realms {
		ch <- m.desc
	}
	ch <- c.realmMessages
	ch <- c.transports
	for _, m := range c.forwards {
		ch <- m.desc
	}
	ch <- c.forwardQueued
	for _, m := range c.runtime {
		ch <- m.desc
	}
	ch <- c.gcPauseSeconds
	ch <- c.msgsIn
	ch <- c.msgsOut
	ch <- c.bytesIn
	ch <- c.bytesOut
	ch <- c.callLatency
}

// Collect reads one snapshot of the router and sends its metrics. It runs on
// the scraping goroutine; the router only sees atomic loads.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Stats != nil {
		s := c.src.Stats()
		for _, m := range c.scalars {
			ch <- prometheus.MustNewConstMetric(m.desc, m.typ, m.get(&s))
		}
		for name, rs := range s.Realms {
			for _, m := range c.realms {
				ch <- prometheus.MustNewConstMetric(m.desc, m.typ, m.get(&rs), name)
			}
		}
		for name, n := range s.RealmMessages {
			ch <- prometheus.MustNewConstMetric(c.realmMessages, counter, float64(n), name)
		}
		for _, t := range s.Transports {
			ch <- prometheus.MustNewConstMetric(c.transports, gauge, float64(t.Sessions), t.Realm, t.Transport, t.Serializer)
		}
		for i := range s.Forwards {
			f := &s.Forwards[i]
			for _, m := range c.forwards {
				ch <- prometheus.MustNewConstMetric(m.desc, counter, float64(m.get(f)), f.Realm, f.Kind, f.URI)
			}
			ch <- prometheus.MustNewConstMetric(c.forwardQueued, gauge, float64(f.Queued), f.Realm, f.Kind, f.URI)
		}
	}
	if c.src.Traffic != nil {
		ts := c.src.Traffic()
		for i := range ts {
			c.collectTraffic(ch, &ts[i])
		}
	}
	if c.src.Runtime != nil {
		r := c.src.Runtime()
		for _, m := range c.runtime {
			ch <- prometheus.MustNewConstMetric(m.desc, m.typ, m.get(&r))
		}
		for _, q := range [...]struct {
			label string
			v     float64
		}{{"0.5", r.GCPauseP50}, {"0.99", r.GCPauseP99}, {"0.999", r.GCPauseP999}, {"1", r.GCPauseMax}} {
			ch <- prometheus.MustNewConstMetric(c.gcPauseSeconds, gauge, q.v, q.label)
		}
	}
}

// collectTraffic sends one realm's messages by type (the types seen only:
// a router sends few of the 24), bytes and call latency histogram.
func (c *Collector) collectTraffic(ch chan<- prometheus.Metric, t *RealmTraffic) {
	for i := range realm.NumTypes {
		typ := codec.Type(i)
		if n := t.Traffic.Received[i]; n != 0 {
			ch <- prometheus.MustNewConstMetric(c.msgsIn, counter, float64(n), t.Realm, typ.String())
		}
		if n := t.Traffic.Sent[i]; n != 0 {
			ch <- prometheus.MustNewConstMetric(c.msgsOut, counter, float64(n), t.Realm, typ.String())
		}
	}
	ch <- prometheus.MustNewConstMetric(c.bytesIn, counter, float64(t.Traffic.BytesReceived), t.Realm)
	ch <- prometheus.MustNewConstMetric(c.bytesOut, counter, float64(t.Traffic.BytesSent), t.Realm)
	buckets := make(map[float64]uint64, len(c.latencyBounds))
	var cum uint64
	for i, le := range c.latencyBounds {
		cum += t.Latency.Counts[i]
		buckets[le] = cum
	}
	count := cum + t.Latency.Counts[realm.LatencyBuckets-1]
	ch <- prometheus.MustNewConstHistogram(c.callLatency, count, t.Latency.Sum.Seconds(), buckets, t.Realm)
}

// clusterStat reads one cluster counter; 0 on a single node.
func clusterStat(f func(*ClusterStats) float64) func(*Stats) float64 {
	return func(s *Stats) float64 {
		if s.Cluster == nil {
			return 0
		}
		return f(s.Cluster)
	}
}
