package realm

import (
	"math"
	"time"

	"github.com/wampd/wampd/codec"
)

// The meta API: procedures under wamp.* that the realm's actor answers
// itself (a router-owned callee: no goroutine, no extra hop, the caller's
// own encoder), and meta events it publishes on wamp.* topics.
//
// A meta event costs nothing while nobody can receive it: watched checks a
// counter of the subscriptions that may match a wamp.* topic (0 on a realm
// nobody watches), then the broker's index, and only then are the event's
// arguments built and encoded. Options.NoMetaAPI turns both off.

// Meta event topics.
const (
	metaOnJoin            = "wamp.session.on_join"
	metaOnLeave           = "wamp.session.on_leave"
	metaSubOnCreate       = "wamp.subscription.on_create"
	metaSubOnSubscribe    = "wamp.subscription.on_subscribe"
	metaSubOnUnsubscribe  = "wamp.subscription.on_unsubscribe"
	metaSubOnDelete       = "wamp.subscription.on_delete"
	metaRegOnCreate       = "wamp.registration.on_create"
	metaRegOnRegister     = "wamp.registration.on_register"
	metaRegOnUnregister   = "wamp.registration.on_unregister"
	metaRegOnDelete       = "wamp.registration.on_delete"
	metaTimestampLayout   = "2006-01-02T15:04:05.000Z"
	metaDefaultKillReason = codec.CloseKilled
)

// metaCall is one call of a meta procedure, its payload decoded.
type metaCall struct {
	req    uint64
	args   []any
	kwargs map[string]any
}

// metaArgs decodes the arguments of a meta procedure's CALL; bad says
// why they are not a list and a dict.
func metaArgs(m *codec.Message) (c metaCall, bad string) {
	c.req = m.Request
	if m.Args != nil {
		v, err := codec.DecodeValue(m.PayloadSer, m.Args)
		l, ok := v.([]any)
		if err != nil || !ok {
			return c, "arguments of " + m.URI + " are not a list"
		}
		c.args = l
	}
	if m.Kwargs != nil {
		v, err := codec.DecodeValue(m.PayloadSer, m.Kwargs)
		kw, ok := v.(map[string]any)
		if err != nil || !ok {
			return c, "keyword arguments of " + m.URI + " are not a dict"
		}
		c.kwargs = kw
	}
	return c, ""
}

// metaProc answers one meta procedure call: it returns the RESULT's
// arguments, or an error URI and message.
type metaProc func(r *Realm, s *Session, c *metaCall) (args []any, errURI codec.URI, errMsg string)

// lookupMeta returns the router's own procedure for uri, or nil. A
// switch rather than a map: no package state, and the table refers to
// procedures that route calls themselves.
func lookupMeta(uri string) metaProc {
	switch uri {
	case "wamp.session.count":
		return metaSessionCount
	case "wamp.session.list":
		return metaSessionList
	case "wamp.session.get":
		return metaSessionGet
	case "wamp.session.kill":
		return metaSessionKill
	case "wamp.session.kill_by_authid":
		return metaSessionKillByAuthID
	case "wamp.session.kill_by_authrole":
		return metaSessionKillByAuthRole
	case "wamp.session.kill_all":
		return metaSessionKillAll
	case "wamp.session.add_testament":
		return metaAddTestament
	case "wamp.session.flush_testaments":
		return metaFlushTestaments
	case "wamp.subscription.list":
		return metaSubList
	case "wamp.subscription.lookup":
		return metaSubLookup
	case "wamp.subscription.match":
		return metaSubMatch
	case "wamp.subscription.get":
		return metaSubGet
	case "wamp.subscription.list_subscribers":
		return metaSubListSubscribers
	case "wamp.subscription.count_subscribers":
		return metaSubCountSubscribers
	case "wamp.subscription.remove_subscriber":
		return metaSubRemoveSubscriber
	case "wamp.subscription.get_events":
		return metaSubGetEvents
	case "wamp.registration.list":
		return metaRegList
	case "wamp.registration.lookup":
		return metaRegLookup
	case "wamp.registration.match":
		return metaRegMatch
	case "wamp.registration.get":
		return metaRegGet
	case "wamp.registration.list_callees":
		return metaRegListCallees
	case "wamp.registration.count_callees":
		return metaRegCountCallees
	case "wamp.registration.remove_callee":
		return metaRegRemoveCallee
	}
	return nil
}

// callMeta answers CALL m of s to the meta procedure p inline.
func (r *Realm) callMeta(s *Session, m *codec.Message, p metaProc) {
	c, bad := metaArgs(m)
	if bad != "" {
		r.sendError(s, codec.Call, m.Request, codec.ErrInvalidArgument, bad)
		return
	}
	r.stats.calls.Add(1)
	args, errURI, errMsg := p(r, s, &c)
	if s.state != stateJoined {
		return // the procedure ended the caller's own session
	}
	if errURI != "" {
		r.sendError(s, codec.Call, m.Request, errURI, errMsg)
		return
	}
	if r.cluster != nil && replicatedMeta(m.URI) {
		r.clusterTestament(s)
	}
	res := codec.Message{Type: codec.Result, Request: m.Request}
	if args != nil {
		b, err := codec.AppendValue(s.ser, nil, args)
		if err != nil {
			r.log.Error("encode meta result", "procedure", m.URI, "err", err)
			r.sendError(s, codec.Call, m.Request, codec.ErrInvalidArgument, "result cannot be encoded")
			return
		}
		res.Args, res.PayloadSer = b, s.ser
	}
	r.send(s, &res, false)
}

// watched reports whether a meta event on topic would reach anyone; it
// costs a counter check on a realm where nobody subscribes to wamp.*.
func (r *Realm) watched(topic string) bool {
	return !r.opts.NoMetaAPI && !r.quiet && r.broker.metaSubs > 0 && r.broker.hasMatch(topic)
}

// metaEvent publishes a meta event (args encoded once, in MessagePack,
// transcoded per subscriber serializer like any publication). Callers
// check watched first, so the arguments are built only when needed.
func (r *Realm) metaEvent(topic string, args []any) {
	b, err := codec.AppendValue(codec.MsgPack, r.metaBuf[:0], args)
	if err != nil {
		r.log.Error("encode meta event", "topic", topic, "err", err)
		return
	}
	r.metaBuf = b
	pub := publication{id: r.newID(), topic: topic, args: b, ser: codec.MsgPack}
	r.broker.dispatch(r, &pub)
}

// sessionDetails is the session meta API's view of s (on_join, get).
func (r *Realm) sessionDetails(s *Session) map[string]any {
	tr := map[string]any{"serializer": s.ser.String()}
	if pi, ok := s.Peer.(PeerInfo); ok {
		tr["type"] = pi.TransportName()
		if a := pi.RemoteAddr(); a != "" {
			tr["peer"] = a
		}
	}
	return map[string]any{
		"session": s.ID, "authid": s.AuthID, "authrole": s.AuthRole,
		"authmethod": s.AuthMethod, "authprovider": s.AuthProvider, "transport": tr,
	}
}

func subscriptionDetails(sub *subscription) map[string]any {
	return map[string]any{
		"id": sub.id, "created": sub.created.UTC().Format(metaTimestampLayout),
		"uri": sub.topic, "match": sub.match.String(),
	}
}

func registrationDetails(reg *registration) map[string]any {
	return map[string]any{
		"id": reg.id, "created": reg.created.UTC().Format(metaTimestampLayout),
		"uri": reg.procedure, "match": reg.match.String(), "invoke": reg.invoke.String(),
	}
}

// Argument readers for meta procedures: values as DecodeValue gives them
// (int64, uint64 or float64 for numbers, whatever the serializer).

// argAt returns args[i], or nil.
func (c *metaCall) argAt(i int) any {
	if i < len(c.args) {
		return c.args[i]
	}
	return nil
}

// kw returns kwargs[k], or nil.
func (c *metaCall) kw(k string) any { return c.kwargs[k] }

// asID reads a WAMP id.
func asID(v any) (uint64, bool) {
	switch x := v.(type) {
	case int64:
		if x >= 0 && x <= codec.MaxID {
			return uint64(x), true
		}
	case uint64:
		if x <= codec.MaxID {
			return x, true
		}
	case float64:
		if x >= 0 && x <= codec.MaxID && x == math.Trunc(x) {
			return uint64(x), true
		}
	}
	return 0, false
}

// asInt reads a non-negative integer.
func asInt(v any) (int, bool) {
	id, ok := asID(v)
	return int(id), ok
}

// asStrings reads a list of strings.
func asStrings(v any) ([]string, bool) {
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(l))
	for i, e := range l {
		if out[i], ok = e.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

// asTime reads an RFC 3339 timestamp.
func asTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// idList returns ids as a []any for a RESULT.
func idList[T any](items []T, id func(T) uint64) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

// errArg is the error of a bad meta procedure argument.
func errArg(msg string) ([]any, codec.URI, string) {
	return nil, codec.ErrInvalidArgument, msg
}
