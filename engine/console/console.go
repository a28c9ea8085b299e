// Package console serves the web console on the metrics/admin listener:
// static files under /console/ (embedded, nothing fetched from outside the
// machine) and two small JSON endpoints the page reads beside its WAMP
// session.
//
// The page is a WAMP client of the realm it shows (static/wamp.js over the
// browser's WebSocket, JSON serializer): sessions, registrations and
// subscriptions come from the realm's meta API, and killing a session is a
// wamp.session.kill call, so the realm's roles decide what the console may
// do exactly as for any other session. This package only adds what the
// meta API does not carry: the configured realms with the WebSocket URL to
// join them (/console/api/realms) and the per-realm message counters the
// rate chart is drawn from (/console/api/stats). Like engine/admin it only
// reads: the counters are atomic loads, taken when the page asks.
package console

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"time"
)

//go:embed static
var static embed.FS

// Counters is one realm's cumulative message counters as the rate chart
// reads them; the page turns two readings into rates.
type Counters struct {
	In        uint64 `json:"in"`        // WAMP messages received from the realm's sessions
	Published int64  `json:"published"` // publications accepted
	Delivered int64  `json:"delivered"` // events queued to subscribers
	Calls     int64  `json:"calls"`     // calls routed
}

// Source is how the console reads the router, at request time only. Every
// function must be safe from any goroutine and must not block on routing.
type Source struct {
	Realms    func() []string            // the configured realm names, in configuration order
	WebSocket func() string              // the URL the page joins at (ws://host:port/path), "" if none
	Counters  func() map[string]Counters // per realm
	// Login is the authid the page logs in as with the ticket method,
	// asking the operator for the ticket; "" joins anonymously.
	Login string
}

// realmsReply is the body of GET /console/api/realms.
type realmsReply struct {
	Realms    []string `json:"realms"`
	WebSocket string   `json:"websocket"`
	Login     *login   `json:"login,omitempty"` // absent: join anonymously
}

// login tells the page to ask for a ticket and log in as AuthID.
type login struct {
	Method string `json:"method"` // "ticket"
	AuthID string `json:"authid"`
}

// statsReply is the body of GET /console/api/stats.
type statsReply struct {
	Time   int64               `json:"time"` // Unix milliseconds of the reading
	Realms map[string]Counters `json:"realms"`
}

// csp keeps the page to its own files: scripts, styles and images from the
// admin listener only, and connections to it and to WebSocket endpoints
// (the router's WebSocket listener is on another port).
const csp = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'"

// Handle registers the console on mux: GET /console/ and its files, GET
// /console/api/realms and GET /console/api/stats.
func Handle(mux *http.ServeMux, src Source) {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	fileServer := http.StripPrefix("/console/", http.FileServerFS(files))
	mux.HandleFunc("GET /console/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fileServer.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /console/api/realms", func(w http.ResponseWriter, _ *http.Request) {
		reply := realmsReply{Realms: []string{}}
		if src.Realms != nil {
			reply.Realms = append(reply.Realms, src.Realms()...)
		}
		if src.WebSocket != nil {
			reply.WebSocket = src.WebSocket()
		}
		if src.Login != "" {
			reply.Login = &login{Method: "ticket", AuthID: src.Login}
		}
		writeJSON(w, reply)
	})
	mux.HandleFunc("GET /console/api/stats", func(w http.ResponseWriter, _ *http.Request) {
		reply := statsReply{Time: time.Now().UnixMilli(), Realms: map[string]Counters{}}
		if src.Counters != nil {
			reply.Realms = src.Counters()
		}
		writeJSON(w, reply)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v) // a client gone mid-write is nothing to report
}
