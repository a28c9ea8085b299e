package realm

import (
	"slices"
	"strings"
	"time"

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
	// Authorizer names a procedure of this realm that decides for the
	// role what no permission matches (a dynamic authorizer, as in
	// Crossbar.io): it is called with [session details, uri, action,
	// options] and answers true, false or {"allow": bool, "disclose":
	// bool}. Its answers are cached for CacheTTL (0: not cached) within
	// the cache's bound; a refusal, an error, a timeout (authorizerTimeout)
	// or no callee for it is a denial.
	Authorizer string
	CacheTTL   time.Duration
}

// Defaults of the dynamic authorizer.
const (
	authorizerTimeout    = 5 * time.Second
	maxAuthzWaits        = 1024 // decisions awaited from authorizers at once, realm-wide
	maxWaitingPerSession = 256  // messages of one session queued behind a decision
)

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
	on      bool
	roles   map[string]*patternIndex[*Permission]
	dynamic map[string]Role // roles decided by an authorizer procedure
	cache   map[authzKey]decision
	waits   map[authzKey]*authzWait // decisions asked of an authorizer, not answered yet
	// once is the authorizer's answer for onceKey while the messages that
	// waited for it are handled again (an answer that is not cached, a
	// failure, still decides them).
	once    *decision
	onceKey authzKey
}

// authzWait is one decision asked of a dynamic authorizer, and the
// sessions whose next message waits for it (in order, each session's
// queue in sessionMore.waiting).
type authzWait struct {
	key      authzKey
	ttl      time.Duration
	sessions []*Session
}

type authzKey struct {
	role string
	act  Action
	uri  string
}

// decision is what the rules say of one (role, action, URI).
type decision struct {
	allow    bool
	disclose bool  // the rule discloses the caller (call) or publisher (publish)
	expires  int64 // UnixNano after which an authorizer's answer is asked again; 0: never
}

func (a *authorizer) init(roles []Role) {
	if roles == nil {
		return
	}
	a.on = true
	a.roles = make(map[string]*patternIndex[*Permission], len(roles))
	a.cache = make(map[authzKey]decision)
	for _, role := range roles {
		if role.Authorizer != "" {
			if a.dynamic == nil {
				a.dynamic = make(map[string]Role)
				a.waits = make(map[authzKey]*authzWait)
			}
			a.dynamic[role.Name] = role
		}
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

// decide returns the decision for s doing act on uri; ask is true when
// the role has a dynamic authorizer with no fresh answer: the caller then
// asks it (Realm.denied) and the decision is not known yet.
func (a *authorizer) decide(s *Session, act Action, uri string) (d decision, ask bool) {
	if !a.on {
		return decision{allow: true}, false
	}
	if a.once != nil && a.onceKey == (authzKey{s.AuthRole, act, uri}) {
		return *a.once, false
	}
	if d, ok := a.cache[authzKey{s.AuthRole, act, uri}]; ok {
		if d.expires == 0 || time.Now().UnixNano() < d.expires {
			return d, false
		}
	}
	d, matched := a.rule(s.AuthRole, act, uri)
	if !matched {
		if _, dyn := a.dynamic[s.AuthRole]; dyn {
			return decision{}, true
		}
	}
	a.remember(authzKey{s.AuthRole, act, uri}, d)
	return d, false
}

// remember caches d under k (copied: its strings alias a request buffer).
func (a *authorizer) remember(k authzKey, d decision) {
	if len(a.cache) >= maxAuthzCache {
		clear(a.cache)
	}
	a.cache[authzKey{strings.Clone(k.role), k.act, strings.Clone(k.uri)}] = d
}

// rule applies the role's most specific rule for uri; matched is false
// when no rule matches.
func (a *authorizer) rule(role string, act Action, uri string) (d decision, matched bool) {
	x := a.roles[role]
	if x == nil {
		return decision{}, false
	}
	p := x.exact[uri]
	if p == nil {
		var ok bool
		if p, ok = x.prefix.longest(uri); !ok {
			p, _ = x.wild.best(uri)
		}
	}
	if p == nil {
		return decision{}, false
	}
	switch act {
	case ActCall:
		return decision{allow: p.Call, disclose: p.DiscloseCaller}, true
	case ActRegister:
		return decision{allow: p.Register}, true
	case ActPublish:
		return decision{allow: p.Publish, disclose: p.DisclosePublisher}, true
	}
	return decision{allow: p.Subscribe}, true
}

// denied reports true when s may not do act on uri now, having sent the
// refusal (ERROR not_authorized for request req of reqType; a PUBLISH
// without acknowledge is refused silently, as any PUBLISH error is). When
// a dynamic authorizer must be asked first, the message being handled
// waits (Realm.park) and denied reports true too: the message is handled
// again once the answer came.
func (r *Realm) denied(s *Session, act Action, uri string, reqType codec.Type, req uint64, answer bool) (decision, bool) {
	d, ask := r.authz.decide(s, act, uri)
	if ask {
		if r.ask(s, act, uri) {
			return decision{}, true // parked
		}
		d = decision{} // the authorizer cannot be asked: denied
	}
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

// ask parks the message being handled until the role's authorizer says
// whether s may do act on uri, asking it unless the same question is out
// already (one call answers every session waiting for it). It reports
// false when the message cannot wait: not a message being handled, too
// many questions out, or nobody registered the authorizer.
func (r *Realm) ask(s *Session, act Action, uri string) bool {
	in := r.current
	if in == nil || in.Sess != s {
		return false
	}
	a := &r.authz
	key := authzKey{s.AuthRole, act, uri}
	w := a.waits[key]
	if w == nil {
		if len(a.waits) >= maxAuthzWaits {
			return false
		}
		role := a.dynamic[s.AuthRole]
		key = authzKey{strings.Clone(key.role), act, strings.Clone(uri)}
		w = &authzWait{key: key, ttl: role.CacheTTL}
		args := []any{r.sessionDetails(s), key.uri, act.String(), map[string]any{}}
		if !r.dealer.callRouter(r, role.Authorizer, args, w, authorizerTimeout) {
			r.log.Warn("dynamic authorizer not registered", "role", s.AuthRole, "procedure", role.Authorizer)
			return false
		}
		a.waits[key] = w
	}
	if !slices.Contains(w.sessions, s) {
		w.sessions = append(w.sessions, s)
	}
	r.park(in)
	return true
}

// park keeps in, the message being handled, at the head of its session's
// waiting queue (it is there already when it is handled again).
func (r *Realm) park(in *Inbound) {
	r.held = true
	more := in.Sess.extra()
	if len(more.waiting) == 0 || more.waiting[0] != in {
		more.waiting = append(more.waiting, in)
	}
}

// queued keeps in behind its session's parked message, to keep the
// session's order; it reports false when in may be handled now. A session
// that floods past maxWaitingPerSession is closed.
func (r *Realm) queued(in *Inbound) bool {
	s := in.Sess
	if s.more == nil || len(s.more.waiting) == 0 || s.more.waiting[0] == in {
		return false
	}
	if len(s.more.waiting) >= maxWaitingPerSession {
		r.closeSession(s, codec.Abort, codec.ErrLimitExceeded, "too many messages waiting for authorization")
		return true // released by handleItem (the session is gone)
	}
	r.held = true
	s.more.waiting = append(s.more.waiting, in)
	return true
}

// authorized takes a dynamic authorizer's answer for w (a RESULT's Args
// in ser; or errURI when the call failed), caches it and handles again
// the messages that waited for it.
func (r *Realm) authorized(w *authzWait, ser codec.Serializer, args []byte, errURI codec.URI) {
	a := &r.authz
	delete(a.waits, w.key)
	d := decision{expires: time.Now().Add(w.ttl).UnixNano()}
	if errURI == "" && args != nil {
		v, err := codec.DecodeValue(ser, args)
		if l, ok := v.([]any); err == nil && ok && len(l) > 0 {
			switch x := l[0].(type) {
			case bool:
				d.allow = x
			case map[string]any:
				d.allow, _ = x["allow"].(bool)
				d.disclose, _ = x["disclose"].(bool)
			}
		}
	}
	if errURI != "" {
		r.log.Warn("dynamic authorizer failed", "role", w.key.role, "uri", w.key.uri, "error", errURI)
	} else if w.ttl > 0 {
		a.remember(w.key, d)
	}
	for _, s := range w.sessions {
		r.resume(s, w.key, d)
	}
}

// resume handles the waiting messages of s in order, until one waits for
// an authorizer again. The head, which waited for key, gets d even when d
// was not cached.
func (r *Realm) resume(s *Session, key authzKey, d decision) {
	if s.state != stateJoined || s.more == nil {
		return
	}
	r.authz.once, r.authz.onceKey = &d, key
	r.resumeWaiting(s, nil)
	r.authz.once = nil
}

// resumeWaiting handles again the messages of s that wait, in order,
// until one waits again; first, when set, runs before the first of them.
func (r *Realm) resumeWaiting(s *Session, first func()) {
	prev := r.current
	for i := 0; s.state == stateJoined && len(s.more.waiting) > 0; i++ {
		in := s.more.waiting[0]
		r.current, r.held = in, false
		if i == 0 && first != nil {
			first()
		}
		r.handle(in)
		if r.held {
			break // waits again, still at the head
		}
		// Handled. If it ended the session (a GOODBYE, say), dropWaiting
		// released the others but left this one to us.
		if w := s.more.waiting; len(w) > 0 && w[0] == in {
			w[0] = nil
			s.more.waiting = w[1:]
		}
		in.Release()
	}
	r.current = prev
	r.held = false
}

// dropWaiting releases the messages s left waiting (it left the realm),
// but the one being handled now, which its handler releases.
func (r *Realm) dropWaiting(s *Session) {
	if s.more == nil {
		return
	}
	for i, in := range s.more.waiting {
		if in != r.current {
			in.Release()
		}
		s.more.waiting[i] = nil
	}
	s.more.waiting = nil
}
