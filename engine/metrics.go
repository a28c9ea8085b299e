package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"
)

// httpServer is one of the router's optional HTTP listeners (metrics,
// debug). It owns the goroutine that serves it; stop ends it.
type httpServer struct {
	name string // "metrics" or "debug", for errors and logs
	ln   net.Listener
	srv  *http.Server
	done chan struct{} // closed when Serve returned
}

// startHTTP binds addr and serves h on it from a goroutine owned by the
// returned server (ended by stop).
func startHTTP(name, addr string, h http.Handler, log *slog.Logger) (*httpServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("engine: %s listener: %w", name, err)
	}
	s := &httpServer{
		name: name,
		ln:   ln,
		// No WriteTimeout: /debug/pprof/profile streams for as long as asked.
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(name+" server stopped", "err", err)
		}
	}()
	return s, nil
}

// Addr is the bound address of the listener.
func (s *httpServer) Addr() net.Addr { return s.ln.Addr() }

func (s *httpServer) stop(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		// A profile still streaming: cut it rather than hang the shutdown.
		_ = s.srv.Close()
	}
	<-s.done
	if err != nil {
		return fmt.Errorf("engine: stopping %s server: %w", s.name, err)
	}
	return nil
}

// metricsHandler serves rt's counters and the runtime's GC figures at
// GET /metrics in the Prometheus text exposition format (version 0.0.4).
// It is written by hand: a dozen counters do not justify the client
// library's dependency tree.
func metricsHandler(mux *http.ServeMux, rt *Router) {
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		bw := bufio.NewWriter(w)
		writeMetrics(bw, rt.Stats())
		writeRuntimeMetrics(bw, readRuntimeStats())
		_ = bw.Flush()
	})
}

// writeMetrics writes s in the Prometheus text format.
func writeMetrics(w *bufio.Writer, s Stats) {
	metric := func(name, typ, help string, v any) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %v\n", name, help, name, typ, name, v)
	}
	metric("wampd_sessions", "gauge", "WAMP sessions joined now.", s.Sessions)
	metric("wampd_messages_received_total", "counter", "WAMP messages received from clients.", s.Messages)
	metric("wampd_sessions_rejected_total", "counter", "HELLOs answered with ABORT.", s.Rejected)
	metric("wampd_connections", "gauge", "Open client connections.", s.Conns)
	metric("wampd_connections_accepted_total", "counter", "Client connections accepted.", s.Accepted)
	metric("wampd_dropped_events_total", "counter", "EVENTs dropped for subscribers over their outbound bound (policy drop).", s.DroppedEvents)
	metric("wampd_slow_disconnects_total", "counter", "Sessions disconnected for exceeding their outbound bound (policy disconnect).", s.SlowDisconnects)
	metric("wampd_protocol_errors_total", "counter", "Connections closed for a transport or WAMP protocol error.", s.ProtocolErrors)
	metric("wampd_auth_failures_total", "counter", "Logins an authenticator refused (wrong secret, unknown principal, no method).", s.AuthFailures)
	metric("wampd_auth_throttled_total", "counter", "Logins refused at once by the failed-login limits.", s.AuthThrottled)
	metric("wampd_tls_handshakes_total", "counter", "TLS handshakes completed.", s.TLSHandshakes)
	metric("wampd_tls_handshake_errors_total", "counter", "TLS handshakes failed (plaintext clients, refused certificates, timeouts, the handshake cap).", s.TLSErrors)
	metric("wampd_auth_busy_total", "counter", "Logins refused because the authentication pool's queue was full.", s.AuthBusy)

	names := make([]string, 0, len(s.Realms))
	for n := range s.Realms {
		names = append(names, n)
	}
	slices.Sort(names)
	perRealm := func(name, typ, help string, get func(n string) int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, n := range names {
			fmt.Fprintf(w, "%s{realm=%q} %d\n", name, n, get(n))
		}
	}
	perRealm("wampd_realm_sessions", "gauge", "Sessions joined per realm.", func(n string) int64 { return s.Realms[n].Sessions })
	perRealm("wampd_realm_published_total", "counter", "Publications accepted per realm.", func(n string) int64 { return s.Realms[n].Published })
	perRealm("wampd_realm_events_delivered_total", "counter", "EVENTs queued to subscribers per realm.", func(n string) int64 { return s.Realms[n].Delivered })
	perRealm("wampd_realm_events_dropped_total", "counter", "EVENTs refused by a slow subscriber's peer per realm.", func(n string) int64 { return s.Realms[n].Dropped })
	perRealm("wampd_realm_calls_total", "counter", "Calls routed to a callee per realm.", func(n string) int64 { return s.Realms[n].Calls })
	perRealm("wampd_realm_denied_total", "counter", "Requests refused by the realm's authorization.", func(n string) int64 { return s.Realms[n].Denied })
	perRealm("wampd_realm_retained_bytes", "gauge", "Bytes of retained events kept per realm.", func(n string) int64 { return s.Realms[n].RetainedBytes })
	perRealm("wampd_realm_retained_evicted_total", "counter", "Retained topics forgotten to stay under the realm's bound.", func(n string) int64 { return s.Realms[n].RetainedEvicted })
	perRealm("wampd_realm_history_bytes", "gauge", "Bytes of event history kept per realm.", func(n string) int64 { return s.Realms[n].HistoryBytes })
	perRealm("wampd_realm_history_evicted_total", "counter", "History events dropped by the bounds of their rule.", func(n string) int64 { return s.Realms[n].HistoryEvicted })
}

// writeRuntimeMetrics writes the GC figures of rs in the Prometheus text
// format. Pause quantiles are gauges (upper bounds of the runtime's
// histogram buckets, cumulative since start), not a Prometheus summary:
// the runtime gives no exact sum.
func writeRuntimeMetrics(w *bufio.Writer, rs runtimeStats) {
	metric := func(name, typ, help string, v any) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %v\n", name, help, name, typ, name, v)
	}
	metric("wampd_gc_cycles_total", "counter", "Completed GC cycles.", rs.GCCycles)
	metric("wampd_gc_cpu_seconds_total", "counter", "CPU time spent in the garbage collector (estimate of the runtime).", rs.GCCPUSeconds)
	metric("wampd_gc_pauses_total", "counter", "GC stop-the-world pauses.", rs.GCPauses.Count)
	name := "wampd_gc_pause_seconds"
	fmt.Fprintf(w, "# HELP %s GC stop-the-world pause quantiles since start (/sched/pauses/total/gc:seconds, bucket upper bounds).\n# TYPE %s gauge\n", name, name)
	for _, q := range [...]struct {
		label string
		v     float64
	}{{"0.5", rs.GCPauses.P50}, {"0.99", rs.GCPauses.P99}, {"0.999", rs.GCPauses.P999}, {"1", rs.GCPauses.Max}} {
		fmt.Fprintf(w, "%s{quantile=%q} %g\n", name, q.label, q.v)
	}
	metric("wampd_heap_live_bytes", "gauge", "Heap bytes marked live by the last GC.", rs.HeapLive)
	metric("wampd_heap_goal_bytes", "gauge", "Heap size at which the next GC starts.", rs.HeapGoal)
	metric("wampd_goroutines", "gauge", "Live goroutines.", rs.Goroutines)
	metric("wampd_process_resident_bytes", "gauge", "Resident set size of the process (/proc/self/statm).", rs.RSS)
}
