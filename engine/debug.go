package engine

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
)

// debugHandler adds the opt-in debug endpoints to mux: net/http/pprof under
// /debug/pprof/ (registered on this mux, not http.DefaultServeMux, so that
// nothing else in the process exposes them by accident) and the GC figures
// as JSON at /debug/gc. They are for operators profiling a running router:
// bind them to loopback.
func debugHandler(mux *http.ServeMux, rt *Router) {
	mux.HandleFunc("/debug/pprof/", pprof.Index) // also serves heap, goroutine, allocs, block, mutex...
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/gc", func(w http.ResponseWriter, _ *http.Request) {
		rs := readRuntimeStats()
		st := rt.Stats()
		rs.Sessions, rs.Conns = st.Sessions, st.Conns
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rs)
	})
}
