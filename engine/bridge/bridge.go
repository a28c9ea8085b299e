// Package bridge is wampd's HTTP bridge: plain HTTP clients publish and
// call in a realm (POST /publish, /call, /webhook/NAME) through in-process
// sessions of the realm (realm.Local, joined by the engine), one per
// configured principal. A request is authenticated by its bearer token
// or its HMAC signature (hmac.go), which maps it to the principal's authid
// and authrole; the realm then authorizes what the session does by its
// roles, as for any session, and the meta API shows the session (transport
// "local", authmethod "http-bearer" or "http-hmac").
//
// The outbound half (forward.go): one more in-process session subscribes
// and registers as configured, and its events and calls are POSTed to
// HTTP endpoints.
//
// Sessions are inproc.Clients: a principal's joins on first use and again
// on the first use after a kill; the outbound one is kept (joined again,
// with backoff, after a kill). Rejoins counts both.
//
// Goroutines: the HTTP server's (one per connection, bounded by
// max_concurrent requests in flight), each principal's Local, and the
// outbound session's Local, rejoin loop and target workers, all ended by
// Stop. Requests block only their
// own goroutine; the realm's actor never waits on HTTP: the Locals'
// OnMessage hands answers to waiting channels, and deliveries to bounded
// queues, without blocking.
package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/auth"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/realm"
)

// maxHeaderBytes bounds a request's headers (the body has max_body).
const maxHeaderBytes = 16 << 10

// writeSlack is what the write timeout adds to the read timeout and the
// call timeout: time to encode and send the answer.
const writeSlack = 5 * time.Second

// Bridge is one realm's HTTP bridge. New builds it, Start binds and
// serves, Stop ends it and its sessions.
type Bridge struct {
	realm    string
	log      *slog.Logger
	prefix   string
	maxBody  int64
	timeout  time.Duration // call_timeout
	tokens   *tokens
	signer   *signer
	out      *outbound // nil without forward_events and forward_calls
	webhooks map[string]webhook
	busy     chan struct{} // one token per request in flight (max_concurrent)

	srv      *http.Server
	ln       net.Listener
	done     chan struct{} // closed when Serve returned
	stop     chan struct{} // closed by Stop: waiting requests give up
	stopOnce sync.Once
}

type webhook struct {
	topic   string
	headers []string // canonical names
}

// New builds the bridge of realmName from its configuration (validated by
// engine/config); j joins its sessions. Token hashes are parsed here, so a
// bad one fails at start.
func New(realmName string, cfg config.Bridge, j Joiner, log *slog.Logger) (*Bridge, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{
		realm:    realmName,
		log:      log,
		prefix:   cfg.PathPrefix,
		maxBody:  int64(cfg.MaxBody),
		timeout:  time.Duration(cfg.CallTimeout),
		webhooks: make(map[string]webhook, len(cfg.Webhooks)),
		done:     make(chan struct{}),
		stop:     make(chan struct{}),
	}
	// A Config built in code may leave the defaults to the bridge.
	if b.prefix == "" {
		b.prefix = config.DefaultBridgePathPrefix
	}
	if b.maxBody <= 0 {
		b.maxBody = config.DefaultBridgeMaxBody
	}
	if b.timeout <= 0 {
		b.timeout = config.DefaultBridgeCallTimeout
	}
	read := durationOr(cfg.ReadTimeout, config.DefaultBridgeReadTimeout)
	idle := durationOr(cfg.IdleTimeout, config.DefaultBridgeIdleTimeout)
	concurrent := cfg.MaxConcurrent
	if concurrent <= 0 {
		concurrent = config.DefaultBridgeMaxConcurrent
	}
	b.busy = make(chan struct{}, concurrent)
	join := func(opts realm.LocalOptions) (*realm.Local, error) { return j.JoinLocal(realmName, opts) }
	ps := make([]*principal, 0, len(cfg.Principals))
	for _, cp := range cfg.Principals {
		if cp.HMACKey != "" {
			// Kept as given: verifying an HMAC needs the key itself.
			pr := newPrincipal(cp.AuthID, cp.Role, AuthMethodHMAC, join, b.stop)
			pr.hmacKey = []byte(cp.HMACKey)
			ps = append(ps, pr)
			continue
		}
		h, err := auth.ParseTicketHash(string(cp.TokenHash))
		if err != nil {
			return nil, fmt.Errorf("%w: realm %q principal %q: %w", ErrConfig, realmName, cp.AuthID, err)
		}
		pr := newPrincipal(cp.AuthID, cp.Role, AuthMethod, join, b.stop)
		pr.hash = h
		ps = append(ps, pr)
	}
	b.tokens = newTokens(ps, runtime.GOMAXPROCS(0))
	b.signer = newSigner(ps)
	if len(cfg.ForwardEvents)+len(cfg.ForwardCalls) > 0 {
		b.out = newOutbound(b, cfg, join)
	}
	for _, w := range cfg.Webhooks {
		b.webhooks[w.Name] = webhook{topic: w.Topic, headers: w.HeaderNames()}
	}
	b.srv = &http.Server{
		Handler:           b,
		ReadHeaderTimeout: read,
		ReadTimeout:       read,
		WriteTimeout:      read + b.timeout + writeSlack,
		IdleTimeout:       idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return b, nil
}

func durationOr(d config.Duration, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return time.Duration(d)
}

// Start joins the outbound session (when there are forwards: its
// subscriptions and registrations must be allowed by the realm's rules, or
// Start fails; it is joined again whenever it ends, until Stop), binds addr and serves from a goroutine owned by the bridge
// (ended by Stop).
func (b *Bridge) Start(addr string) error {
	if b.out != nil {
		if err := b.out.start(); err != nil {
			b.out.stop()
			return fmt.Errorf("bridge: realm %q: outbound session: %w", b.realm, err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if b.out != nil {
			b.out.stop()
		}
		return fmt.Errorf("bridge: realm %q: %w", b.realm, err)
	}
	b.ln = ln
	go func() {
		defer close(b.done)
		if err := b.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			b.log.Error("bridge server stopped", "realm", b.realm, "err", err)
		}
	}()
	return nil
}

// Rejoins is how many times the bridge's sessions (the principals' and
// the outbound one) joined the realm again after one ended (a kill).
func (b *Bridge) Rejoins() uint64 {
	var n uint64
	for _, p := range b.tokens.principals {
		n += p.c.Rejoins()
	}
	if b.out != nil {
		n += b.out.c.Rejoins()
	}
	return n
}

// Addr is the bound address (nil before Start).
func (b *Bridge) Addr() net.Addr {
	if b.ln == nil {
		return nil
	}
	return b.ln.Addr()
}

// Stop stops serving: requests still waiting for the realm give up at
// once (503; a CALL is canceled), the server shuts down within ctx (then
// connections are cut), and the principals' sessions leave the realm.
func (b *Bridge) Stop(ctx context.Context) error {
	var err error
	b.stopOnce.Do(func() {
		close(b.stop)
		if b.ln != nil {
			if err = b.srv.Shutdown(ctx); err != nil {
				_ = b.srv.Close()
				err = fmt.Errorf("bridge: realm %q: stopping: %w", b.realm, err)
			}
			<-b.done
		}
		if b.out != nil {
			b.out.stop()
		}
		for _, p := range b.tokens.principals {
			p.close()
		}
	})
	return err
}

// ServeHTTP routes a request: the bound on requests in flight first (503),
// then the path (404) and method (405), the token (401), the body.
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case b.busy <- struct{}{}:
		defer func() { <-b.busy }()
	default:
		w.Header().Set("Retry-After", "1")
		fail(w, http.StatusServiceUnavailable, codec.ErrLimitExceeded, "too many requests in flight")
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, b.prefix)
	if !ok {
		fail(w, http.StatusNotFound, ErrNotFound, "no such endpoint")
		return
	}
	var serve func(http.ResponseWriter, *http.Request, *principal, []byte)
	switch name, isHook := strings.CutPrefix(path, "webhook/"); {
	case path == "publish":
		serve = b.publish
	case path == "call":
		serve = b.call
	case isHook:
		h, ok := b.webhooks[name]
		if !ok {
			fail(w, http.StatusNotFound, ErrNotFound, "no such webhook")
			return
		}
		serve = func(w http.ResponseWriter, r *http.Request, p *principal, body []byte) { b.webhook(w, r, p, h, body) }
	default:
		fail(w, http.StatusNotFound, ErrNotFound, "no such endpoint")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(w, http.StatusMethodNotAllowed, ErrMethodNotAllowed, r.Method+" is not allowed; use POST")
		return
	}
	// A signed request is authenticated after its body is read (the
	// signature covers it); a bearer token before.
	signed := r.Header.Get(HeaderSignature) != ""
	var p *principal
	if !signed {
		if p = b.tokens.principal(r.Context(), bearer(r)); p == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="wampd"`)
			fail(w, http.StatusUnauthorized, codec.ErrAuthenticationFailed, "missing or invalid bearer token")
			return
		}
	}
	body, err := readBody(w, r, b.maxBody)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, codec.ErrPayloadSizeExceeded, fmt.Sprintf("body larger than %d bytes", b.maxBody))
			return
		}
		fail(w, http.StatusBadRequest, codec.ErrInvalidArgument, "reading body: "+err.Error())
		return
	}
	if signed {
		if p, err = b.signer.verify(r.Header, body); err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, errNonceCacheFull) {
				status = http.StatusServiceUnavailable
				w.Header().Set("Retry-After", "1")
			}
			fail(w, status, codec.ErrAuthenticationFailed, err.Error())
			return
		}
	}
	serve(w, r, p, body)
}

// readBody reads the whole body, at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, limit)
	defer rd.Close()
	return io.ReadAll(rd)
}
