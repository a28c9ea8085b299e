package engine

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// debugHandler adds the opt-in debug endpoints to mux: net/http/pprof under
// /debug/pprof/ (registered on this mux, not http.DefaultServeMux, so that
// nothing else in the process exposes them by accident) and the GC figures
// as JSON at /debug/gc (POST runs one GC cycle and adds its pauses). They
// are for operators profiling a running router: bind them to loopback.
func debugHandler(mux *http.ServeMux, rt *Router) {
	mux.HandleFunc("/debug/pprof/", pprof.Index) // also serves heap, goroutine, allocs, block, mutex...
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/gc", func(w http.ResponseWriter, req *http.Request) {
		var rs runtimeStats
		switch req.Method {
		case http.MethodGet, http.MethodHead:
			rs = readRuntimeStats()
		case http.MethodPost:
			// One full cycle on demand, for "what does a GC pause cost with
			// 100k sessions live": its pauses are the histogram's delta.
			before := readRuntimeStats()
			runtime.GC()
			rs = readRuntimeStats()
			forced := rs.GCPauses.since(before.GCPauses)
			rs.ForcedGC = &forced
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			http.Error(w, "GET reads the GC figures; POST runs one GC cycle first", http.StatusMethodNotAllowed)
			return
		}
		st := rt.Stats()
		rs.Sessions, rs.Conns = st.Sessions, st.Conns
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rs)
	})
}
