package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/auth"
	"github.com/wampd/wampd/engine/inproc"
	"github.com/wampd/wampd/realm"
)

// procUpstream is a dynamic authenticator's upstream (auth.Upstream): it
// calls a procedure registered in a realm, through an in-process session
// of the router's own (an inproc.Client over Router.JoinLocal), as
// procedure(realm, authid, details) and takes the dict it returns. The
// client joins on first use and again after its session ended.
type procUpstream struct {
	rt        *Router
	realm     string // where procedure is registered
	procedure string

	once sync.Once
	c    *inproc.Client
}

// ErrUpstream wraps a dynamic authenticator's failure (no procedure, an
// error, a closed session).
var ErrUpstream = errors.New("engine: dynamic authenticator")

// client is the upstream's in-process client, built on first use.
func (u *procUpstream) client() *inproc.Client {
	u.once.Do(func() {
		u.c = inproc.New(inproc.Options{
			Join: func(o realm.LocalOptions) (*realm.Local, error) { return u.rt.JoinLocal(u.realm, o) },
			Session: realm.LocalOptions{AuthID: "wampd.authenticator", AuthRole: "wampd.router",
				Roles: map[string]any{"caller": map[string]any{}}},
		})
	})
	return u.c
}

// Authenticate implements auth.Upstream. When ctx ends first the CALL is
// canceled (as Crossbar.io's CANCEL tells the callee); its answer, if it
// comes, finds no waiter and is dropped.
func (u *procUpstream) Authenticate(ctx context.Context, realmName, authID string, details map[string]any) (map[string]any, error) {
	args, err := codec.AppendValue(codec.MsgPack, nil, []any{realmName, authID, details})
	if err != nil {
		return nil, fmt.Errorf("%w: encode arguments: %w", ErrUpstream, err)
	}
	m, err := u.client().Request(ctx, func(req uint64) (*codec.Message, error) {
		return &codec.Message{Type: codec.Call, Request: req, URI: u.procedure, Args: args, PayloadSer: codec.MsgPack}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUpstream, err)
	}
	if m.Type == codec.Error {
		if m.URI == codec.ErrNotAuthorized || m.URI == codec.ErrAuthenticationFailed {
			return nil, auth.FromURI(m.URI)
		}
		return nil, fmt.Errorf("%w: %s answered %s", ErrUpstream, u.procedure, m.URI)
	}
	v, err := codec.DecodeValue(m.PayloadSer, m.Args)
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
}

// close ends the upstream's session.
func (u *procUpstream) close() {
	u.client().Close()
}
