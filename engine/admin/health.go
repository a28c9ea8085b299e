package admin

import "net/http"

// handleHealth registers the probes:
//
//   - GET /healthz answers 200 for as long as the process serves HTTP
//     (liveness: restart the process when it stops answering);
//   - GET /readyz answers 200 while ready() holds and 503 otherwise, in
//     particular from the moment Shutdown begins its graceful drain
//     (readiness: send no new clients here).
//
// Both are plain text and read nothing but ready's atomics.
func handleHealth(mux *http.ServeMux, ready func() bool) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeProbe(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ready == nil || !ready() {
			writeProbe(w, http.StatusServiceUnavailable, "not ready\n")
			return
		}
		writeProbe(w, http.StatusOK, "ready\n")
	})
}

func writeProbe(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
