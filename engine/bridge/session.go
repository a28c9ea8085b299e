package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/auth"
	"github.com/wampd/wampd/engine/inproc"
	"github.com/wampd/wampd/realm"
)

// Joiner joins in-process sessions to a realm: the engine's Router.
type Joiner interface {
	JoinLocal(realmName string, opts realm.LocalOptions) (*realm.Local, error)
}

// principal is one bearer token's (or signer's) identity and its
// in-process session of the realm: an inproc.Client that joins on first
// use and again on the first use after its session ended (a kill). All of
// the principal's requests share the session, told apart by request id as
// a WAMP client's are.
type principal struct {
	authID, role string
	method       string          // AuthMethod or AuthMethodHMAC
	hash         auth.TicketHash // a bearer token's
	hmacKey      []byte          // a signer's (nil for a bearer token)
	c            *inproc.Client
}

// newPrincipal returns a principal whose session joins through join; its
// waits end when stop is closed.
func newPrincipal(authID, role, method string, join func(realm.LocalOptions) (*realm.Local, error), stop <-chan struct{}) *principal {
	return &principal{authID: authID, role: role, method: method, c: inproc.New(inproc.Options{
		Join: join, Stop: stop,
		Session: realm.LocalOptions{AuthID: authID, AuthRole: role, AuthMethod: method,
			AuthProvider: AuthProvider, Roles: roles},
	})}
}

// answer is the realm's reply to one request: PUBLISHED, RESULT or ERROR,
// with Args and Kwargs transcoded to JSON (nil when absent).
type answer struct {
	typ          codec.Type
	uri          string // ERROR's
	id           uint64 // PUBLISHED's publication id
	args, kwargs []byte
}

// roles are what the bridge's sessions announce: they publish and call.
var roles = map[string]any{"caller": map[string]any{}, "publisher": map[string]any{}}

// AuthMethod (of bearer-token principals; AuthMethodHMAC is the signers')
// and AuthProvider of the bridge's sessions, as the meta API shows them.
const (
	AuthMethod   = "http-bearer"
	AuthProvider = "bridge"
)

// request sends the message build makes for a fresh request id (WAMP as
// JSON text, decoded here as a socket session's would be) and waits for its
// answer until ctx ends (then a CALL is canceled), the session ends or the
// bridge stops.
func (p *principal) request(ctx context.Context, build func(req uint64) []byte) (answer, error) {
	a, err := p.c.Request(ctx, func(req uint64) (*codec.Message, error) {
		var m codec.Message
		if err := codec.Decode(codec.JSON, build(req), &m); err != nil {
			return nil, fmt.Errorf("%w: %w", errBadRequest, err)
		}
		return &m, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, errBadRequest), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return answer{}, err
	default:
		return answer{}, fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return answer{typ: a.Type, uri: a.URI, id: a.ID,
		args: toJSON(a.PayloadSer, a.Args), kwargs: toJSON(a.PayloadSer, a.Kwargs)}, nil
}

// toJSON is raw (encoded with s) as JSON, nil when absent or when it does
// not transcode (a peer's malformed payload: the realm passed it through).
func toJSON(s codec.Serializer, raw []byte) []byte {
	if len(raw) == 0 {
		return nil
	}
	b, err := codec.Transcode(s, codec.JSON, nil, raw)
	if err != nil {
		return nil
	}
	return b
}

// close ends the principal's session.
func (p *principal) close() { p.c.Close() }
