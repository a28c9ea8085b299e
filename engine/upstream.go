package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/auth"
	"github.com/wampd/wampd/realm"
)

// procUpstream is a dynamic authenticator's upstream (auth.Upstream): it
// calls a procedure registered in a realm, through an in-process session
// of the router's own (Router.JoinLocal), as
// procedure(realm, authid, details) and takes the dict it returns. It joins
// on first use and again after its session ended.
//
// mu guards l, next and waits; it is a leaf lock, never held while the
// realm runs or while a result is awaited.
type procUpstream struct {
	rt        *Router
	realm     string // where procedure is registered
	procedure string

	mu    sync.Mutex
	l     *realm.Local
	next  uint64
	waits map[uint64]chan upstreamResult
}

type upstreamResult struct {
	msg codec.Message // RESULT or ERROR, Args and Kwargs copied
}

// ErrUpstream wraps a dynamic authenticator's failure (no procedure, an
// error, a closed session).
var ErrUpstream = errors.New("engine: dynamic authenticator")

// Authenticate implements auth.Upstream.
func (u *procUpstream) Authenticate(ctx context.Context, realmName, authID string, details map[string]any) (map[string]any, error) {
	args, err := codec.AppendValue(codec.MsgPack, nil, []any{realmName, authID, details})
	if err != nil {
		return nil, fmt.Errorf("%w: encode arguments: %w", ErrUpstream, err)
	}
	l, req, ch, err := u.start()
	if err != nil {
		return nil, err
	}
	defer u.forget(req)
	if err := l.Send(&codec.Message{Type: codec.Call, Request: req, URI: u.procedure, Args: args, PayloadSer: codec.MsgPack}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUpstream, err)
	}
	select {
	case res := <-ch:
		m := res.msg
		if m.Type == codec.Error {
			if m.URI == codec.ErrNotAuthorized || m.URI == codec.ErrAuthenticationFailed {
				return nil, auth.FromURI(m.URI)
			}
			return nil, fmt.Errorf("%w: %s answered %s", ErrUpstream, u.procedure, m.URI)
		}
		v, err := codec.DecodeValue(codec.MsgPack, m.Args)
		l, _ := v.([]any)
		if err != nil || len(l) == 0 {
			return nil, fmt.Errorf("%w: %s returned no result", ErrUpstream, u.procedure)
		}
		switch r := l[0].(type) {
		case map[string]any:
			return r, nil
		case string: // a bare role, as Crossbar.io also takes
			return map[string]any{"role": r}, nil
		}
		return nil, fmt.Errorf("%w: %s returned %T, want a dict", ErrUpstream, u.procedure, l[0])
	case <-ctx.Done():
		// Crossbar.io's CANCEL would tell the callee; the call's answer, if
		// it comes, finds no waiter and is dropped.
		_ = l.Send(&codec.Message{Type: codec.Cancel, Request: req,
			Options: codec.Options{Has: codec.HasMode, Mode: "killnowait"}})
		return nil, fmt.Errorf("%w: %w", ErrUpstream, ctx.Err())
	}
}

// start returns the session (joining it if needed), a fresh request id and
// the channel its answer comes on.
func (u *procUpstream) start() (*realm.Local, uint64, chan upstreamResult, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.l != nil {
		select {
		case <-u.l.Done():
			u.l = nil
		default:
		}
	}
	if u.l == nil {
		l, err := u.rt.JoinLocal(u.realm, realm.LocalOptions{
			AuthID: "wampd.authenticator", AuthRole: "wampd.router",
			Roles:     map[string]any{"caller": map[string]any{}},
			OnMessage: u.onMessage,
		})
		if err != nil {
			return nil, 0, nil, fmt.Errorf("%w: %w", ErrUpstream, err)
		}
		u.l, u.waits = l, map[uint64]chan upstreamResult{}
	}
	u.next++
	ch := make(chan upstreamResult, 1)
	u.waits[u.next] = ch
	return u.l, u.next, ch, nil
}

func (u *procUpstream) forget(req uint64) {
	u.mu.Lock()
	delete(u.waits, req)
	u.mu.Unlock()
}

// onMessage runs on the Local's goroutine: it hands RESULTs and ERRORs to
// their waiter (copied: m is valid only during the call).
func (u *procUpstream) onMessage(m *codec.Message) {
	if m.Type != codec.Result && (m.Type != codec.Error || m.ReqType != codec.Call) {
		return
	}
	u.mu.Lock()
	ch := u.waits[m.Request]
	u.mu.Unlock()
	if ch == nil {
		return
	}
	c := codec.Message{Type: m.Type, Request: m.Request, URI: strings.Clone(m.URI), PayloadSer: m.PayloadSer}
	if m.Args != nil {
		c.Args = append([]byte(nil), m.Args...)
	}
	select {
	case ch <- upstreamResult{c}:
	default:
	}
}

// close ends the upstream's session.
func (u *procUpstream) close() {
	u.mu.Lock()
	l := u.l
	u.l = nil
	u.mu.Unlock()
	if l != nil {
		l.Close()
	}
}
