package realm

import (
	"strings"

	"github.com/wampd/wampd/codec"
)

// Session testaments (testament_meta_api): events a session asks the
// router to publish when it goes away, whatever the cause (GOODBYE, a
// dropped connection, a kill). wampd has no session resumption, so a
// session is detached and destroyed at once: its "detached" testaments are
// published first, then its "destroyed" ones, each bucket in the order
// they were added. wamp.session.kill_all fires none (the spec).

// maxTestaments bounds each scope's testaments per session.
const maxTestaments = 32

// Testament scopes.
const (
	scopeDestroyed = "destroyed"
	scopeDetached  = "detached"
)

// testaments are one session's, by scope. Only the actor touches them.
type testaments struct {
	detached, destroyed []*storedEvent
}

// scope returns the bucket of name, or nil for an unknown scope.
func (t *testaments) scope(name string) *[]*storedEvent {
	switch name {
	case scopeDestroyed:
		return &t.destroyed
	case scopeDetached:
		return &t.detached
	}
	return nil
}

// scopeArg reads the scope kwarg (default destroyed).
func scopeArg(v any) (string, bool) {
	if v == nil {
		return scopeDestroyed, true
	}
	s, ok := v.(string)
	return s, ok && (s == scopeDestroyed || s == scopeDetached)
}

// metaAddTestament handles wamp.session.add_testament(topic, args, kwargs,
// publish_options=, scope=).
func metaAddTestament(r *Realm, s *Session, c *metaCall) ([]any, codec.URI, string) {
	topic, ok := c.argAt(0).(string)
	if !ok {
		return errArg("wamp.session.add_testament takes [topic, args, kwargs]")
	}
	if !validURI(topic, codec.MatchExact) || reservedURI(topic) {
		return nil, codec.ErrInvalidURI, "invalid testament topic '" + topic + "'"
	}
	scope, ok := scopeArg(c.kw("scope"))
	if !ok {
		return errArg("scope must be \"destroyed\" or \"detached\"")
	}
	e := &storedEvent{topic: strings.Clone(topic), excludeMe: true, ser: s.ser}
	var err error
	if a := c.argAt(1); a != nil {
		if _, isList := a.([]any); !isList {
			return errArg("testament args must be a list")
		}
		if e.args, err = codec.AppendValue(s.ser, nil, a); err != nil {
			return errArg("testament args cannot be encoded: " + err.Error())
		}
	}
	if kw := c.argAt(2); kw != nil {
		if _, isDict := kw.(map[string]any); !isDict {
			return errArg("testament kwargs must be a dict")
		}
		if e.kwargs, err = codec.AppendValue(s.ser, nil, kw); err != nil {
			return errArg("testament kwargs cannot be encoded: " + err.Error())
		}
	}
	if po := c.kw("publish_options"); po != nil {
		opts, isDict := po.(map[string]any)
		if !isDict {
			return errArg("publish_options must be a dict")
		}
		if msg := e.applyOptions(s, opts); msg != "" {
			return errArg(msg)
		}
	}
	bucket := s.extra().testaments.scope(scope)
	if len(*bucket) >= maxTestaments {
		return nil, codec.ErrLimitExceeded, "testament limit reached for this scope"
	}
	*bucket = append(*bucket, e)
	return nil, "", ""
}

// applyOptions takes the publish options a testament honours:
// disclose_me, exclude_me, retain and the black/white lists (acknowledge
// has no one to answer). It returns why they are invalid, or "".
func (e *storedEvent) applyOptions(s *Session, opts map[string]any) string {
	if v, ok := opts["disclose_me"].(bool); ok && v {
		e.publisher, e.authID, e.authRole = s.ID, s.AuthID, s.AuthRole
	}
	if v, ok := opts["exclude_me"].(bool); ok {
		e.excludeMe = v
	}
	if v, ok := opts["retain"].(bool); ok {
		e.retain = v
	}
	var f filter
	present := false
	ids := func(k string, dst *[]uint64, has *bool) bool {
		v, ok := opts[k]
		if !ok {
			return true
		}
		l, isList := v.([]any)
		if !isList {
			return false
		}
		for _, x := range l {
			id, ok := asID(x)
			if !ok {
				return false
			}
			*dst = append(*dst, id)
		}
		if has != nil {
			*has = true
		}
		present = true
		return true
	}
	strs := func(k string, dst *[]string, has *bool) bool {
		v, ok := opts[k]
		if !ok {
			return true
		}
		l, isList := asStrings(v)
		if !isList {
			return false
		}
		*dst = l
		if has != nil {
			*has = true
		}
		present = true
		return true
	}
	if !ids("exclude", &f.exclude, nil) || !ids("eligible", &f.eligible, &f.hasEligible) ||
		!strs("exclude_authid", &f.excludeAuthID, nil) || !strs("exclude_authrole", &f.excludeAuthRole, nil) ||
		!strs("eligible_authid", &f.eligibleAuthID, &f.hasEligibleAuthID) ||
		!strs("eligible_authrole", &f.eligibleAuthRole, &f.hasEligibleAuthRole) {
		return "malformed black/white list in publish_options"
	}
	if present {
		sortIDs(f.exclude)
		sortIDs(f.eligible)
		e.filter = storedFilter{f: f, any: true}
	}
	return ""
}

// metaFlushTestaments handles wamp.session.flush_testaments(scope=): the
// scope's testaments are dropped unpublished.
func metaFlushTestaments(_ *Realm, s *Session, c *metaCall) ([]any, codec.URI, string) {
	scope, ok := scopeArg(c.kw("scope"))
	if !ok {
		return errArg("scope must be \"destroyed\" or \"detached\"")
	}
	if s.more != nil {
		b := s.more.testaments.scope(scope)
		clear(*b)
		*b = (*b)[:0]
	}
	return nil, "", ""
}

// fireTestaments publishes the testaments of s, which just left.
func (r *Realm) fireTestaments(s *Session) {
	t := s.more.testaments
	s.more.testaments = testaments{}
	if r.quiet || r.opts.NoMetaAPI {
		return
	}
	for _, bucket := range [...][]*storedEvent{t.detached, t.destroyed} {
		for _, e := range bucket {
			pub := e.publication()
			pub.id = r.newID()
			pub.from = s
			pub.excludeMe = e.excludeMe
			if e.filter.any {
				pub.filter = &e.filter.f
			}
			r.deliver(&pub, e.retain)
		}
	}
}
