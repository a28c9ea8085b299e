package engine

import (
	"context"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"github.com/wampd/wampd/netpoll"
	"github.com/wampd/wampd/realm"
)

// sessionLogRate is how many "session joined" and how many "session left"
// lines are written per second at most. Past it lines are counted, not
// written, and the next line written says how many were left out: a flood
// of logins (a benchmark opens thousands of sessions a second) must not turn
// into a flood of log lines that costs more than the sessions.
const sessionLogRate = 50

// sessionLogs is a router's session log gates: joins, leaves and refused
// logins, each at most sessionLogRate lines a second; now is their clock
// (tests freeze it before Start).
type sessionLogs struct {
	now                 func() time.Time
	join, leave, refuse logGate
}

func newSessionLogs() sessionLogs {
	return sessionLogs{now: time.Now, join: logGate{limit: sessionLogRate},
		leave: logGate{limit: sessionLogRate}, refuse: logGate{limit: sessionLogRate}}
}

// logGate lets at most limit lines through per wall-clock second. It is
// called from every event loop at once, hence the atomics; a line more or
// less at a second's boundary does not matter.
type logGate struct {
	limit  int64
	second atomic.Int64 // the second counted in n
	n      atomic.Int64 // lines asked for in that second
	held   atomic.Int64 // lines not written since the last one that was
}

// allow reports whether a line may be written now and, if so, how many
// lines were held back before it.
func (g *logGate) allow(now time.Time) (ok bool, held int64) {
	sec := now.Unix()
	if s := g.second.Load(); s != sec && g.second.CompareAndSwap(s, sec) {
		g.n.Store(0)
	}
	if g.n.Add(1) > g.limit {
		g.held.Add(1)
		return false, 0
	}
	return true, g.held.Swap(0)
}

// connInfo is what the session log reads of a connection; *netpoll.Conn
// has it, the handshake benchmarks' fake does not.
type connInfo interface {
	Transport() netpoll.Transport
	RemoteAddr() string
}

// logJoin writes "session joined" for s, which joined r over c: at info the
// realm, session id, authid, authrole, transport, serializer and remote
// address; at debug also the auth method and provider and the client's
// roles.
func (h *handler) logJoin(c handshakeConn, s *realm.Session, r *realm.Realm) {
	h.logSession(&h.logs.join, "session joined", "unlogged_joins", c, s, r, nil)
}

// logLeave writes "session left" for s, whose connection c closed (err is
// why, nil for a clean close), with the fields of logJoin and the reason.
func (h *handler) logLeave(c *netpoll.Conn, s *realm.Session, r *realm.Realm, err error) {
	h.logSession(&h.logs.leave, "session left", "unlogged_leaves", c, s, r, err)
}

func (h *handler) logSession(g *logGate, msg, heldKey string, c handshakeConn, s *realm.Session, r *realm.Realm, cause error) {
	ctx := context.Background()
	if h.log == nil || !h.log.Enabled(ctx, slog.LevelInfo) { // nil: handshake benchmarks
		return
	}
	ok, held := g.allow(h.logs.now())
	if !ok {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.String("realm", r.Name()), slog.Uint64("session", s.ID),
		slog.String("authid", s.AuthID), slog.String("authrole", s.AuthRole))
	if ci, ok := c.(connInfo); ok {
		attrs = append(attrs, slog.String("transport", ci.Transport().String()))
		attrs = append(attrs, slog.String("serializer", c.Serializer().String()), slog.String("remote", ci.RemoteAddr()))
	} else {
		attrs = append(attrs, slog.String("serializer", c.Serializer().String()))
	}
	if cause != nil {
		attrs = append(attrs, slog.String("reason", cause.Error()))
	}
	if held > 0 {
		attrs = append(attrs, slog.Int64(heldKey, held))
	}
	if h.log.Enabled(ctx, slog.LevelDebug) {
		attrs = append(attrs, slog.String("authmethod", s.AuthMethod), slog.String("authprovider", s.AuthProvider))
		if roles, ok := s.Hello["roles"].(map[string]any); ok {
			names := make([]string, 0, len(roles))
			for name := range roles {
				names = append(names, name)
			}
			sort.Strings(names)
			attrs = append(attrs, slog.Any("roles", names))
		}
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
}

// logRefused writes "login refused" (at info, rate-limited like the
// session lines): the realm, the authid and method the client asked for,
// the remote address and why, never a secret.
func (h *handler) logRefused(realmName, authID, method, remote string, why error) {
	ctx := context.Background()
	if h.log == nil || !h.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	ok, held := h.logs.refuse.allow(h.logs.now())
	if !ok {
		return
	}
	attrs := []slog.Attr{slog.String("realm", realmName), slog.String("authid", authID),
		slog.String("authmethod", method), slog.String("remote", remote), slog.String("reason", why.Error())}
	if held > 0 {
		attrs = append(attrs, slog.Int64("unlogged_refusals", held))
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "login refused", attrs...)
}
