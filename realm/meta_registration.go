package realm

import (
	"github.com/wampd/wampd/codec"
)

// The registration meta API (registration_meta_api): wamp.registration.*,
// and registration revocation (registration_revocation) through
// wamp.registration.remove_callee.

func metaRegList(r *Realm, _ *Session, _ *metaCall) ([]any, codec.URI, string) {
	exact, prefix, wild := []any{}, []any{}, []any{}
	for _, reg := range r.dealer.byID {
		switch reg.match {
		case codec.MatchPrefix:
			prefix = append(prefix, reg.id)
		case codec.MatchWildcard:
			wild = append(wild, reg.id)
		default:
			exact = append(exact, reg.id)
		}
	}
	return []any{map[string]any{"exact": exact, "prefix": prefix, "wildcard": wild}}, "", ""
}

func metaRegLookup(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	proc, ok := c.argAt(0).(string)
	if !ok {
		return errArg("wamp.registration.lookup takes [procedure, options?]")
	}
	match, ok := matchOption(c.argAt(1))
	if !ok {
		return errArg("options.match must be exact, prefix or wildcard")
	}
	if reg := r.dealer.byURI.get(proc, match); reg != nil {
		return []any{reg.id}, "", ""
	}
	return []any{nil}, "", ""
}

// metaRegMatch returns the one registration a call to the procedure would
// reach (exact, then longest prefix, then wildcard), or null.
func metaRegMatch(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	proc, ok := c.argAt(0).(string)
	if !ok {
		return errArg("wamp.registration.match takes [procedure]")
	}
	if reg := r.dealer.route(proc); reg != nil {
		return []any{reg.id}, "", ""
	}
	return []any{nil}, "", ""
}

// registrationArg reads [registration_id] and finds it.
func (r *Realm) registrationArg(c *metaCall, proc string) (*registration, codec.URI, string) {
	id, ok := asID(c.argAt(0))
	if !ok {
		return nil, codec.ErrInvalidArgument, proc + " takes [registration_id]"
	}
	reg := r.dealer.byID[id]
	if reg == nil {
		return nil, codec.ErrNoSuchRegistration, "no registration with that id on this realm"
	}
	return reg, "", ""
}

func metaRegGet(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	reg, uri, msg := r.registrationArg(c, "wamp.registration.get")
	if reg == nil {
		return nil, uri, msg
	}
	return []any{registrationDetails(reg)}, "", ""
}

func metaRegListCallees(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	reg, uri, msg := r.registrationArg(c, "wamp.registration.list_callees")
	if reg == nil {
		return nil, uri, msg
	}
	return []any{idList(reg.callees, func(s *Session) uint64 { return s.ID })}, "", ""
}

func metaRegCountCallees(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	reg, uri, msg := r.registrationArg(c, "wamp.registration.count_callees")
	if reg == nil {
		return nil, uri, msg
	}
	return []any{len(reg.callees)}, "", ""
}

// metaRegRemoveCallee revokes [registration_id, session_id, reason?]: the
// callee is unregistered and, if it announced registration_revocation,
// told with UNREGISTERED [67, 0, {registration, reason}]. Invocations
// already sent to it stay pending and are answered as usual. A callee of
// another node of the cluster is sent that UNREGISTERED through its
// shadow: its node revokes it (remoteRevoke), and the cluster's table
// tells every node.
func metaRegRemoveCallee(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	reg, uri, msg := r.registrationArg(c, "wamp.registration.remove_callee")
	if reg == nil {
		return nil, uri, msg
	}
	id, ok := asID(c.argAt(1))
	if !ok {
		return errArg("wamp.registration.remove_callee takes [registration_id, session_id, reason?]")
	}
	target := r.sessions[id]
	if target == nil {
		return nil, codec.ErrNoSuchSession, "no session with that id on this realm"
	}
	if !reg.has(target) {
		return nil, codec.ErrNoSuchRegistration, "that session is not a callee of that registration"
	}
	reason := revokeReason(c)
	if target.remote {
		r.send(target, revocation(codec.Unregistered, reg.id, reason), false)
		return nil, "", ""
	}
	r.revokeCallee(reg, target, reason)
	return nil, "", ""
}

// revokeCallee unregisters local session target from reg and tells it if
// it announced registration_revocation.
func (r *Realm) revokeCallee(reg *registration, target *Session, reason string) {
	regID := reg.id
	r.dealer.drop(r, reg, target)
	delete(target.regs, regID)
	if target.features()&featRegRevocation != 0 {
		r.send(target, revocation(codec.Unregistered, regID, reason), false)
	}
}
