package engine

import "sync"

// What a session keeps of its HELLO details. realm reads
// Session.Hello["roles"][role]["features"][feature] (today only
// callee.call_canceling, in realm.join); the rest of the dict (agent,
// authmethods, features the router does not implement, vendor keys) is
// garbage once the handshake is done. Cloning the whole dict cost ~4 KiB per
// session for a full-featured client, the largest share of an idle
// session's heap; keeping a shared dict per distinct role set costs nothing
// per session.
//
// If realm starts reading another role or feature, add it to keptRoles.

// keptRole is one client role whose presence and listed features a session
// keeps.
type keptRole struct {
	name     string
	features []string
}

// keptRoles is read-only: the roles and features the router acts on (those
// it announces itself, seen from the client's side).
var keptRoles = [...]keptRole{
	{"caller", []string{"progressive_call_results", "call_canceling", "call_timeout", "caller_identification"}},
	{"callee", []string{"progressive_call_results", "call_canceling", "call_timeout", "caller_identification",
		"shared_registration", "pattern_based_registration"}},
	{"publisher", []string{"publisher_exclusion", "publisher_identification"}},
	{"subscriber", []string{"pattern_based_subscription", "publisher_identification"}},
}

// maxRolesCache bounds the shared dicts: real deployments see a handful of
// client libraries; a client cycling through feature sets only stops
// getting shared dicts.
const maxRolesCache = 1024

// rolesCache hands out one shared, read-only HELLO dict per distinct set of
// kept roles and features. mu guards dicts; it is a leaf lock, held for a
// map lookup once per session open.
type rolesCache struct {
	mu    sync.Mutex
	dicts map[uint32]map[string]any
}

// rolesMask encodes which kept roles hello announces and which of their
// features are true, one bit each in keptRoles order.
func rolesMask(hello map[string]any) uint32 {
	roles, _ := hello["roles"].(map[string]any)
	if len(roles) == 0 {
		return 0
	}
	var mask uint32
	bit := uint32(1)
	for _, kr := range keptRoles {
		rd, present := roles[kr.name].(map[string]any)
		if present || roles[kr.name] != nil {
			mask |= bit
		}
		bit <<= 1
		fs, _ := rd["features"].(map[string]any)
		for _, f := range kr.features {
			if v, _ := fs[f].(bool); v {
				mask |= bit
			}
			bit <<= 1
		}
	}
	return mask
}

// rolesDict builds the HELLO dict that mask stands for.
func rolesDict(mask uint32) map[string]any {
	roles := make(map[string]any, len(keptRoles))
	bit := uint32(1)
	for _, kr := range keptRoles {
		present := mask&bit != 0
		bit <<= 1
		var fs map[string]any
		for _, f := range kr.features {
			if mask&bit != 0 {
				if fs == nil {
					fs = make(map[string]any, len(kr.features))
				}
				fs[f] = true
			}
			bit <<= 1
		}
		if !present && fs == nil {
			continue
		}
		rd := map[string]any{}
		if fs != nil {
			rd["features"] = fs
		}
		roles[kr.name] = rd
	}
	return map[string]any{"roles": roles}
}

// details returns the shared dict of what a session keeps of hello. The
// dict is shared by every session with the same roles: nobody may write it.
func (c *rolesCache) details(hello map[string]any) map[string]any {
	mask := rolesMask(hello)
	c.mu.Lock()
	d, ok := c.dicts[mask]
	if !ok && len(c.dicts) < maxRolesCache {
		if c.dicts == nil {
			c.dicts = make(map[uint32]map[string]any)
		}
		d = rolesDict(mask)
		c.dicts[mask] = d
		ok = true
	}
	c.mu.Unlock()
	if !ok {
		d = rolesDict(mask) // cache full: this session gets its own
	}
	return d
}
