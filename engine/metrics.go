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

// metricsServer serves /metrics in the Prometheus text exposition format
// (version 0.0.4). It is written by hand: a dozen counters do not justify
// the client library's dependency tree.
type metricsServer struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{} // closed when Serve returned
}

// startMetrics binds addr and serves rt's counters on it from a goroutine
// owned by the returned server (ended by stop).
func startMetrics(addr string, rt *Router, log *slog.Logger) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("engine: metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		bw := bufio.NewWriter(w)
		writeMetrics(bw, rt.Stats())
		_ = bw.Flush()
	})
	m := &metricsServer{
		ln:   ln,
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(m.done)
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	return m, nil
}

// Addr is the bound address of the metrics listener.
func (m *metricsServer) Addr() net.Addr { return m.ln.Addr() }

func (m *metricsServer) stop(ctx context.Context) error {
	err := m.srv.Shutdown(ctx)
	<-m.done
	if err != nil {
		return fmt.Errorf("engine: stopping metrics: %w", err)
	}
	return nil
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
}
