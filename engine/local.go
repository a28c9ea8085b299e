package engine

import (
	"fmt"

	"github.com/wampd/wampd/realm"
)

// JoinLocal joins an in-process session to the realm named realmName (an
// HTTP bridge, a console, a test): the router draws its session id from
// the same generator as its socket sessions', so ids stay unique, and the
// session is seen by the meta API like any other (transport "local").
// opts.ID is ignored. The session ends with Local.Close, a kill, or the
// router's shutdown.
func (rt *Router) JoinLocal(realmName string, opts realm.LocalOptions) (*realm.Local, error) {
	re := rt.h.realms[realmName]
	if re == nil {
		return nil, fmt.Errorf("engine: join local session: %w: %q", ErrNoRealm, realmName)
	}
	if rt.h.closing.Load() {
		return nil, fmt.Errorf("engine: join local session to %q: %w", realmName, ErrShuttingDown)
	}
	id, authID := rt.h.ids.session()
	opts.ID = id
	if opts.AuthID == "" {
		opts.AuthID = authID
	}
	if opts.AuthMethod == "" {
		opts.AuthMethod = "local"
	}
	if opts.AuthProvider == "" {
		opts.AuthProvider = "wampd"
	}
	return re.r.JoinLocal(opts)
}
