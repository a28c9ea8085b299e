package realm

import (
	"strings"

	"github.com/wampd/wampd/codec"
)

// Authorization: a realm with roles (Options.Roles) lets each session do
// exactly what its role's rules say, and nothing else. For an action on a
// URI the most specific rule of the role decides: an exact rule, then the
// longest prefix rule, then the wildcard rule the spec ranks first (the
// same precedence as routing a call, wildcardIndex.best). A session whose
// role has no rule for the URI, or a role the realm does not know, is
// denied: ERROR wamp.error.not_authorized for that request, and the session
// stays.
//
// The actor decides, and remembers each decision per (role, action, URI):
// a cached decision is one map lookup and allocates nothing, so an allowed
// CALL or PUBLISH costs no allocation (TestHotPathAllocs). The cache is
// bounded (maxAuthzCache entries; full, it starts over).

// Role is one authrole of a realm and its permissions.
type Role struct {
	Name        string
	Permissions []Permission
}

// Permission is one rule: the actions a role may take on the URIs a
// pattern matches, and whether the router discloses the role's identity
// to callees and subscribers even when the session does not ask.
type Permission struct {
	URI                               string
	Match                             codec.Match
	Call, Register                    bool
	Publish, Subscribe                bool
	DiscloseCaller, DisclosePublisher bool
}

// Action is what a session asks to do on a URI.
type Action uint8

// Actions.
const (
	ActCall Action = iota
	ActRegister
	ActPublish
	ActSubscribe
)

var actionNames = [...]string{ActCall: "call", ActRegister: "register", ActPublish: "publish", ActSubscribe: "subscribe"}

// String is the action's name in configuration and messages.
func (a Action) String() string { return actionNames[a] }

// maxAuthzCache bounds the cached decisions of a realm.
const maxAuthzCache = 1 << 14

// authorizer holds a realm's roles and cached decisions. Only the realm's
// actor goroutine touches it.
type authorizer struct {
	on    bool
	roles map[string]*patternIndex[*Permission]
	cache map[authzKey]decision
}

type authzKey struct {
	role string
	act  Action
	uri  string
}

// decision is what the rules say of one (role, action, URI).
type decision struct {
	allow    bool
	disclose bool // the rule discloses the caller (call) or publisher (publish)
}

func (a *authorizer) init(roles []Role) {
	if roles == nil {
		return
	}
	a.on = true
	a.roles = make(map[string]*patternIndex[*Permission], len(roles))
	a.cache = make(map[authzKey]decision)
	for _, role := range roles {
		x := a.roles[role.Name]
		if x == nil {
			x = new(patternIndex[*Permission])
			x.init()
			a.roles[role.Name] = x
		}
		for i := range role.Permissions {
			p := role.Permissions[i] // a copy the realm owns
			p.URI = strings.Clone(p.URI)
			x.add(p.URI, p.Match, &p)
		}
	}
}

// decide returns the decision for s doing act on uri.
func (a *authorizer) decide(s *Session, act Action, uri string) decision {
	if !a.on {
		return decision{allow: true}
	}
	if d, ok := a.cache[authzKey{s.AuthRole, act, uri}]; ok {
		return d
	}
	d := a.rule(s.AuthRole, act, uri)
	if len(a.cache) >= maxAuthzCache {
		clear(a.cache)
	}
	// The URI aliases the request's buffer: the key keeps a copy.
	a.cache[authzKey{strings.Clone(s.AuthRole), act, strings.Clone(uri)}] = d
	return d
}

// rule applies the role's most specific rule for uri.
func (a *authorizer) rule(role string, act Action, uri string) decision {
	x := a.roles[role]
	if x == nil {
		return decision{}
	}
	p := x.exact[uri]
	if p == nil {
		var ok bool
		if p, ok = x.prefix.longest(uri); !ok {
			p, _ = x.wild.best(uri)
		}
	}
	if p == nil {
		return decision{}
	}
	switch act {
	case ActCall:
		return decision{allow: p.Call, disclose: p.DiscloseCaller}
	case ActRegister:
		return decision{allow: p.Register}
	case ActPublish:
		return decision{allow: p.Publish, disclose: p.DisclosePublisher}
	}
	return decision{allow: p.Subscribe}
}

// denied sends the refusal of a request (ERROR not_authorized) and
// reports true when s may not do act on uri; reqType and req name the
// request. A PUBLISH without acknowledge is refused silently, as any
// PUBLISH error is.
func (r *Realm) denied(s *Session, act Action, uri string, reqType codec.Type, req uint64, answer bool) (decision, bool) {
	d := r.authz.decide(s, act, uri)
	if d.allow {
		return d, false
	}
	r.stats.denied.Add(1)
	if answer {
		r.sendError(s, reqType, req, codec.ErrNotAuthorized,
			"session is not authorized to "+act.String()+" '"+uri+"'")
	}
	return d, true
}
