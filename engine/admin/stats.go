package admin

import "github.com/wampd/wampd/realm"

// Stats is a snapshot of the router's counters (engine.Stats is this
// type): atomic loads, taken by whoever asks, never by the router itself.
type Stats struct {
	Sessions        int64  // sessions admitted and not closed
	Messages        uint64 // WAMP messages received (counted in batches per connection)
	Rejected        uint64 // HELLOs answered with ABORT
	Conns           int64
	Accepted        int64
	DroppedEvents   int64
	SlowDisconnects int64
	ProtocolErrors  int64
	AuthFailures    uint64 // logins an authenticator refused
	AuthThrottled   uint64 // logins refused at once by a failure limit
	AuthBusy        uint64 // logins refused because the auth pool was full
	TLSHandshakes   int64  // TLS handshakes completed
	TLSErrors       int64  // TLS handshakes failed: plaintext clients, bad certificates, timeouts, the cap
	// Flow control (limits.flow_control): senders whose reads were stopped
	// for a recipient over the high-water mark, senders read again, the
	// time they were held in all, recipients cut after the stall bound,
	// senders held now.
	FlowStalls, FlowReleases, FlowCuts, FlowHeld int64
	FlowStallSeconds                             float64
	// BridgeRejoins counts the HTTP bridges' in-process sessions joined
	// again after they ended (killed through the meta API, say).
	BridgeRejoins uint64
	// Cluster is the node's cluster link (cluster:), nil on a single node.
	Cluster *ClusterStats
	Realms  map[string]realm.Stats

	// RealmMessages is Messages split by the realm of the session that
	// sent them (counted in the same per-connection batches; messages of
	// connections that never joined are in Messages only).
	RealmMessages map[string]uint64
	// Transports counts the network sessions joined now by realm,
	// transport and serializer (in-process sessions are not counted here;
	// they are in Realms[name].Sessions).
	Transports []TransportSessions
	// Forwards are the HTTP bridges' outbound targets (forward_events,
	// forward_calls) and their delivery counters.
	Forwards []ForwardTarget
}

// ForwardTarget is one outbound target of a realm's HTTP bridge.
type ForwardTarget struct {
	Realm, Kind, URI                              string // kind "event" or "call"; URI the topic or procedure
	Delivered, Retries, Failed, Timeouts, Dropped uint64
	Queued                                        int
}

// TransportSessions is the number of sessions joined to Realm over one
// transport (websocket, rawsocket) with one serializer (json, msgpack,
// cbor).
type TransportSessions struct {
	Realm      string
	Transport  string
	Serializer string
	Sessions   int64
}

// Runtime is the Go runtime figures the router exports under its own
// names (wampd_gc_*, wampd_heap_*, ...), kept for the dashboards that use
// them beside the client library's go_* and process_* metrics.
type Runtime struct {
	GCCycles     uint64
	GCCPUSeconds float64
	GCPauses     uint64  // stop-the-world GC pauses since start
	GCPauseP50   float64 // seconds; upper bounds of the runtime histogram's buckets
	GCPauseP99   float64
	GCPauseP999  float64
	GCPauseMax   float64
	HeapLive     uint64
	HeapGoal     uint64
	Goroutines   uint64
	RSS          uint64 // resident set size; 0 where unavailable
}

// RealmTraffic is one realm's message counters by WAMP message type and
// its router-side call latency histogram, as its actor last published
// them.
type RealmTraffic struct {
	Realm   string
	Traffic realm.Traffic
	Latency realm.Latency
}

// ClusterStats are a cluster node's counters (engine/cluster): what it
// gave NATS and got from it, and what it could not.
type ClusterStats struct {
	Peers                     int64  // other nodes alive now
	PublicationsSent          uint64 // local publications handed to NATS (one each)
	PublicationsReceived      uint64 // other nodes' publications delivered here
	Forwarded                 uint64 // calls, answers and kills sent to other nodes
	Dropped                   uint64 // messages the bounded queue toward NATS refused
	SlowDrops                 uint64 // messages from NATS dropped while the node's channels were full
	Bad                       uint64 // messages from NATS that did not decode
	NodesLost                 uint64 // other nodes declared gone
	RegistrationWrites        uint64 // registration table writes
	RegistrationFailures      uint64 // registration table operations that failed
	NATSMsgsIn, NATSMsgsOut   uint64 // the node's NATS connection's messages
	NATSBytesIn, NATSBytesOut uint64
}
