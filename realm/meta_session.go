package realm

import (
	"slices"

	"github.com/wampd/wampd/codec"
)

// The session meta API (session_meta_api): wamp.session.*.

// authroleFilter reads the optional [filter_authroles] argument of count
// and list; nil means every session.
func authroleFilter(c *metaCall) (roles []string, ok bool) {
	v := c.argAt(0)
	if v == nil {
		return nil, true
	}
	return asStrings(v)
}

func metaSessionCount(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	roles, ok := authroleFilter(c)
	if !ok {
		return errArg("filter_authroles must be a list of strings")
	}
	if roles == nil {
		return []any{len(r.sessions)}, "", ""
	}
	n := 0
	for _, s := range r.sessions {
		if slices.Contains(roles, s.AuthRole) {
			n++
		}
	}
	return []any{n}, "", ""
}

func metaSessionList(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	roles, ok := authroleFilter(c)
	if !ok {
		return errArg("filter_authroles must be a list of strings")
	}
	ids := make([]any, 0, len(r.sessions))
	for _, s := range r.sessions {
		if roles == nil || slices.Contains(roles, s.AuthRole) {
			ids = append(ids, s.ID)
		}
	}
	return []any{ids}, "", ""
}

func metaSessionGet(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	id, ok := asID(c.argAt(0))
	if !ok {
		return errArg("wamp.session.get takes [session_id]")
	}
	s := r.sessions[id]
	if s == nil {
		return nil, codec.ErrNoSuchSession, "no session with that id on this realm"
	}
	d := r.sessionDetails(s)
	if q, ok := s.Peer.(QueueInfo); ok {
		d[metaWampdKey] = map[string]any{"queued_bytes": q.QueuedBytes(), "dropped": q.Dropped()}
	}
	return []any{d}, "", ""
}

// metaWampdKey is the key of wampd's extension in the session details
// wamp.session.get returns: {queued_bytes, dropped} of the session's
// outbound queue, read from its peer at the call (QueueInfo). Clients
// that do not know it ignore it, as the spec lets them.
const metaWampdKey = "wampd"

// killReason reads the reason and message kwargs of the kill procedures.
func killReason(c *metaCall) (reason codec.URI, message string, ok bool) {
	reason = metaDefaultKillReason
	if v := c.kw("reason"); v != nil {
		s, isStr := v.(string)
		if !isStr || !validURI(s, codec.MatchExact) {
			return "", "", false
		}
		reason = s
	}
	message, _ = c.kw("message").(string)
	return reason, message, true
}

// kill ends each of victims with GOODBYE(reason, message) and reports how
// many it ended; the caller is never among them.
func (r *Realm) kill(caller *Session, reason codec.URI, message string, victims []*Session) []any {
	ids := make([]any, 0, len(victims))
	for _, v := range victims {
		if v == caller || v.state != stateJoined {
			continue
		}
		ids = append(ids, v.ID)
		r.closeSession(v, codec.Goodbye, reason, message)
	}
	return ids
}

// sessionsWhere returns the sessions for which keep is true.
func (r *Realm) sessionsWhere(keep func(*Session) bool) []*Session {
	var out []*Session
	for _, s := range r.sessions {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

func metaSessionKill(r *Realm, s *Session, c *metaCall) ([]any, codec.URI, string) {
	id, ok := asID(c.argAt(0))
	if !ok {
		return errArg("wamp.session.kill takes [session_id]")
	}
	reason, message, ok := killReason(c)
	if !ok {
		return nil, codec.ErrInvalidURI, "reason must be a valid URI"
	}
	victim := r.sessions[id]
	if victim == nil || victim == s {
		return nil, codec.ErrNoSuchSession, "no other session with that id on this realm"
	}
	r.kill(s, reason, message, []*Session{victim})
	return nil, "", ""
}

func metaSessionKillByAuthID(r *Realm, s *Session, c *metaCall) ([]any, codec.URI, string) {
	authID, ok := c.argAt(0).(string)
	if !ok {
		return errArg("wamp.session.kill_by_authid takes [authid]")
	}
	reason, message, ok := killReason(c)
	if !ok {
		return nil, codec.ErrInvalidURI, "reason must be a valid URI"
	}
	victims := r.sessionsWhere(func(v *Session) bool { return v.AuthID == authID })
	return []any{r.kill(s, reason, message, victims)}, "", ""
}

func metaSessionKillByAuthRole(r *Realm, s *Session, c *metaCall) ([]any, codec.URI, string) {
	role, ok := c.argAt(0).(string)
	if !ok {
		return errArg("wamp.session.kill_by_authrole takes [authrole]")
	}
	reason, message, ok := killReason(c)
	if !ok {
		return nil, codec.ErrInvalidURI, "reason must be a valid URI"
	}
	victims := r.sessionsWhere(func(v *Session) bool { return v.AuthRole == role })
	return []any{len(r.kill(s, reason, message, victims))}, "", ""
}

// metaSessionKillAll ends every other session; as the spec says, it
// publishes no session meta events and fires no testaments.
func metaSessionKillAll(r *Realm, s *Session, c *metaCall) ([]any, codec.URI, string) {
	reason, message, ok := killReason(c)
	if !ok {
		return nil, codec.ErrInvalidURI, "reason must be a valid URI"
	}
	victims := r.sessionsWhere(func(v *Session) bool { return v != s })
	r.quiet = true
	n := len(r.kill(s, reason, message, victims))
	r.quiet = false
	return []any{n}, "", ""
}
