// Package admin serves the router's operator endpoints on the metrics
// listener: GET /metrics (Prometheus, through client_golang), /healthz and
// /readyz.
//
// It only reads: the routing hot path keeps its atomics and per-actor
// counters, and admin turns them into Prometheus metrics when a scraper
// asks (Collector), so a scrape costs routing nothing but the atomic loads
// of the snapshot. Nothing here takes a lock the event loops or the realm
// actors take, and nothing here is called by them.
package admin

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Source is how admin reads the router, at request time only. The engine
// fills it in; every function must be safe from any goroutine and must not
// block on routing.
type Source struct {
	Stats   func() Stats   // the router's counters (engine.Router.Stats)
	Runtime func() Runtime // the Go runtime figures the router reports itself
	Ready   func() bool    // listeners bound, realms started, not shutting down
	// Traffic is what each realm's actor counted of its messages and
	// calls (realm.Realm.Traffic and CallLatency); nil leaves them out.
	Traffic func() []RealmTraffic
}

// NewRegistry returns a registry holding the router's Collector and the
// client library's Go runtime and process collectors (go_*, process_*).
func NewRegistry(src Source) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		NewCollector(src),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handle registers the admin endpoints on mux: GET /metrics served from
// reg, and the health probes of health.go.
func Handle(mux *http.ServeMux, reg *prometheus.Registry, src Source) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// A collector error (none today) still serves what was gathered.
		ErrorHandling: promhttp.ContinueOnError,
	}))
	handleHealth(mux, src.Ready)
}
