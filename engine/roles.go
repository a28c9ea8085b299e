package engine

import (
	"sync"

	"github.com/wampd/wampd/codec"
)

// What a session keeps of its HELLO details. realm reads
// Session.Hello["roles"][role]["features"][feature] (today only
// the call canceling, progressive call invocation, payload passthru and
// revocation features, in realm.join); the rest of the dict (agent,
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
	{"caller", []string{"progressive_call_results", "call_canceling", "call_timeout", "caller_identification",
		"progressive_call_invocations", "payload_passthru_mode"}},
	{"callee", []string{"progressive_call_results", "call_canceling", "call_timeout", "caller_identification",
		"shared_registration", "pattern_based_registration", "progressive_call_invocations",
		"call_cancelling", "payload_passthru_mode", "registration_revocation"}},
	{"publisher", []string{"publisher_exclusion", "publisher_identification", "payload_passthru_mode"}},
	{"subscriber", []string{"pattern_based_subscription", "publisher_identification", "subscription_revocation"}},
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

// keptBit is the bit of the roles mask that stands for role (feature "") or
// for one of its features; ok is false for a role or feature not kept.
// Bits are one per kept role followed by one per its feature, in keptRoles
// order.
func keptBit(role, feature string) (bit uint32, ok bool) {
	bit = 1
	for _, kr := range keptRoles {
		if kr.name == role {
			if feature == "" {
				return bit, true
			}
			for _, f := range kr.features {
				bit <<= 1
				if f == feature {
					return bit, true
				}
			}
			return 0, false
		}
		bit <<= 1 + uint32(len(kr.features))
	}
	return 0, false
}

// helloScan is what the handshake reads of HELLO.Details.
type helloScan struct {
	authMethods []byte // details.authmethods, encoded; nil when absent
	authID      []byte // details.authid, encoded; nil when absent
	authExtra   []byte // details.authextra, encoded; nil when absent
	roles       uint32 // keptBit of each kept role present and feature true
}

// scanHello reads HELLO.Details (raw, after codec.DecodeLean) without
// decoding the rest: the kept roles and their true features, and the
// authmethods entry. A role counts as announced when its value is not nil;
// only a map of roles, and a map of features in it, is looked into.
func scanHello(s codec.Serializer, dict []byte) (helloScan, error) {
	var hs helloScan
	err := codec.WalkDict(s, dict, func(path []string, raw []byte) bool {
		switch len(path) {
		case 1:
			switch path[0] {
			case "authmethods":
				hs.authMethods = raw
			case "authid":
				hs.authID = raw
			case "authextra":
				hs.authExtra = raw
			case "roles":
				return true
			}
		case 2: // roles.ROLE
			bit, ok := keptBit(path[1], "")
			if ok && !codec.IsNil(s, raw) {
				hs.roles |= bit
				return true
			}
		case 3: // roles.ROLE.features
			return path[2] == "features"
		case 4: // roles.ROLE.features.FEATURE
			if bit, ok := keptBit(path[1], path[3]); ok {
				if v, _ := codec.DecodeBool(s, raw); v {
					hs.roles |= bit
				}
			}
		}
		return false
	})
	return hs, err
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

// details returns the shared dict that mask (helloScan.roles) stands for.
// The dict is shared by every session with the same roles: nobody may
// write it.
func (c *rolesCache) details(mask uint32) map[string]any {
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
