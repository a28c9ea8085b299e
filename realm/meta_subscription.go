package realm

import (
	"github.com/wampd/wampd/codec"
)

// The subscription meta API (subscription_meta_api): wamp.subscription.*,
// and subscription revocation (subscription_revocation) through
// wamp.subscription.remove_subscriber. Subscriptions to wamp.* topics are
// the router's own business: they are not listed or matched, and raise no
// meta events (as in Crossbar.io).

func metaSubList(r *Realm, _ *Session, _ *metaCall) ([]any, codec.URI, string) {
	exact, prefix, wild := []any{}, []any{}, []any{}
	for _, sub := range r.broker.byID {
		if reservedURI(sub.topic) {
			continue
		}
		switch sub.match {
		case codec.MatchPrefix:
			prefix = append(prefix, sub.id)
		case codec.MatchWildcard:
			wild = append(wild, sub.id)
		default:
			exact = append(exact, sub.id)
		}
	}
	return []any{map[string]any{"exact": exact, "prefix": prefix, "wildcard": wild}}, "", ""
}

// matchOption reads the {match} options of the lookup procedures.
func matchOption(v any) (codec.Match, bool) {
	if v == nil {
		return codec.MatchExact, true
	}
	opts, ok := v.(map[string]any)
	if !ok {
		return 0, false
	}
	m, present := opts["match"]
	if !present {
		return codec.MatchExact, true
	}
	name, ok := m.(string)
	if !ok || name == "" {
		return 0, false
	}
	return codec.ParseMatch(name)
}

func metaSubLookup(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	topic, ok := c.argAt(0).(string)
	if !ok {
		return errArg("wamp.subscription.lookup takes [topic, options?]")
	}
	match, ok := matchOption(c.argAt(1))
	if !ok {
		return errArg("options.match must be exact, prefix or wildcard")
	}
	if sub := r.broker.byURI.get(topic, match); sub != nil && !reservedURI(sub.topic) {
		return []any{sub.id}, "", ""
	}
	return []any{nil}, "", ""
}

// metaSubMatch returns every subscription a publication to the topic
// would reach, of any match policy, or null. Any string is a topic to
// match here, even "" (which matches nothing).
func metaSubMatch(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	topic, ok := c.argAt(0).(string)
	if !ok {
		return errArg("wamp.subscription.match takes [topic]")
	}
	b := &r.broker
	var ids []any
	if sub := b.byURI.exact[topic]; sub != nil {
		ids = append(ids, sub.id)
	}
	for _, sub := range b.byURI.wild.appendMatches(b.byURI.prefix.appendMatches(nil, topic), topic) {
		if !reservedURI(sub.topic) {
			ids = append(ids, sub.id)
		}
	}
	if ids == nil {
		return []any{nil}, "", ""
	}
	return []any{ids}, "", ""
}

// subscriptionArg reads [subscription_id] and finds it.
func (r *Realm) subscriptionArg(c *metaCall, proc string) (*subscription, codec.URI, string) {
	id, ok := asID(c.argAt(0))
	if !ok {
		return nil, codec.ErrInvalidArgument, proc + " takes [subscription_id]"
	}
	sub := r.broker.byID[id]
	if sub == nil {
		return nil, codec.ErrNoSuchSubscription, "no subscription with that id on this realm"
	}
	return sub, "", ""
}

func metaSubGet(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	sub, uri, msg := r.subscriptionArg(c, "wamp.subscription.get")
	if sub == nil {
		return nil, uri, msg
	}
	return []any{subscriptionDetails(sub)}, "", ""
}

func metaSubListSubscribers(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	sub, uri, msg := r.subscriptionArg(c, "wamp.subscription.list_subscribers")
	if sub == nil {
		return nil, uri, msg
	}
	ids := idList(sub.subscribers, func(s *Session) uint64 { return s.ID })
	for s := range sub.remote {
		ids = append(ids, s.ID)
	}
	return []any{ids}, "", ""
}

func metaSubCountSubscribers(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	sub, uri, msg := r.subscriptionArg(c, "wamp.subscription.count_subscribers")
	if sub == nil {
		return nil, uri, msg
	}
	return []any{len(sub.subscribers) + len(sub.remote)}, "", ""
}

// revokeReason reads the optional reason of the remove procedures: the
// third positional argument or the reason kwarg.
func revokeReason(c *metaCall) string {
	if s, ok := c.argAt(2).(string); ok {
		return s
	}
	s, _ := c.kw("reason").(string)
	return s
}

// metaSubRemoveSubscriber revokes [subscription_id, session_id, reason?]:
// the session is unsubscribed and, if it announced
// subscription_revocation, told with UNSUBSCRIBED [35, 0, {subscription,
// reason}] (otherwise silently, as the spec says). A session of another
// node of the cluster is sent that UNSUBSCRIBED through its shadow: its
// node revokes it (remoteRevoke) and tells every node.
func metaSubRemoveSubscriber(r *Realm, _ *Session, c *metaCall) ([]any, codec.URI, string) {
	sub, uri, msg := r.subscriptionArg(c, "wamp.subscription.remove_subscriber")
	if sub == nil {
		return nil, uri, msg
	}
	if reservedURI(sub.topic) {
		return nil, codec.ErrNotAuthorized, "subscriptions to wamp.* topics cannot be revoked"
	}
	id, ok := asID(c.argAt(1))
	if !ok {
		return errArg("wamp.subscription.remove_subscriber takes [subscription_id, session_id, reason?]")
	}
	target := r.sessions[id]
	if target == nil {
		return nil, codec.ErrNoSuchSession, "no session with that id on this realm"
	}
	_, local := sub.index[target]
	_, remote := sub.remote[target]
	if !local && !remote {
		return nil, codec.ErrNoSuchSubscription, "that session is not subscribed to that subscription"
	}
	reason := revokeReason(c)
	if remote {
		r.send(target, revocation(codec.Unsubscribed, sub.id, reason), false)
		return nil, "", ""
	}
	r.revokeSubscriber(sub, target, reason)
	return nil, "", ""
}

// revokeSubscriber unsubscribes local session target from sub and tells it
// if it announced subscription_revocation.
func (r *Realm) revokeSubscriber(sub *subscription, target *Session, reason string) {
	subID := sub.id
	r.broker.drop(r, sub, target)
	delete(target.subs, subID)
	if target.features()&featSubRevocation != 0 {
		r.send(target, revocation(codec.Unsubscribed, subID, reason), false)
	}
}

// revocation is the router-initiated UNSUBSCRIBED or UNREGISTERED [t, 0,
// {subscription|registration: id, reason?}].
func revocation(t codec.Type, id uint64, reason string) *codec.Message {
	m := &codec.Message{Type: t}
	if t == codec.Unsubscribed {
		m.Options.Has = codec.HasSubscription
		m.Options.Subscription = id
	} else {
		m.Options.Has = codec.HasRegistration
		m.Options.Registration = id
	}
	if reason != "" {
		m.Options.Has |= codec.HasReason
		m.Options.Reason = reason
	}
	return m
}
