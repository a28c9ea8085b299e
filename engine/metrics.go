package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/wampd/wampd/engine/admin"
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

// adminSource is what the admin endpoints read of rt: its counters, the
// runtime figures it reports under its own names, and its readiness.
func (rt *Router) adminSource() admin.Source {
	return admin.Source{Stats: rt.Stats, Runtime: adminRuntime, Ready: rt.Ready, Traffic: rt.realmTraffic}
}

// realmTraffic reads every realm's message counters and call latency
// histogram (atomic loads of what the actors last published).
func (rt *Router) realmTraffic() []admin.RealmTraffic {
	out := make([]admin.RealmTraffic, 0, len(rt.realms))
	for _, r := range rt.realms {
		out = append(out, admin.RealmTraffic{Realm: r.Name(), Traffic: r.Traffic(), Latency: r.CallLatency()})
	}
	return out
}

// adminRuntime is readRuntimeStats as the collector exports it.
func adminRuntime() admin.Runtime {
	rs := readRuntimeStats()
	return admin.Runtime{
		GCCycles:     rs.GCCycles,
		GCCPUSeconds: rs.GCCPUSeconds,
		GCPauses:     rs.GCPauses.Count,
		GCPauseP50:   rs.GCPauses.P50,
		GCPauseP99:   rs.GCPauses.P99,
		GCPauseP999:  rs.GCPauses.P999,
		GCPauseMax:   rs.GCPauses.Max,
		HeapLive:     rs.HeapLive,
		HeapGoal:     rs.HeapGoal,
		Goroutines:   rs.Goroutines,
		RSS:          rs.RSS,
	}
}
