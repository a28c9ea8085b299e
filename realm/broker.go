package realm

import (
	"strconv"
	"strings"
	"time"

	"github.com/wampd/wampd/codec"
)

// subscription is one (topic, match) pair; every session subscribed to it
// shares its id. Only the realm's actor goroutine touches it.
type subscription struct {
	id          uint64
	topic       string // cloned: the SUBSCRIBE buffer is recycled
	match       codec.Match
	created     time.Time
	subscribers []*Session
	index       map[*Session]int // position in subscribers
	// remote are the shadows subscribed (sessions of other nodes: listed
	// by the meta API, never sent to; their nodes deliver to them).
	remote map[*Session]struct{}
}

// broker holds the realm's subscriptions: exact topics in a map, prefix
// patterns by length, wildcard patterns by component count. Only the realm's
// actor goroutine touches it.
type broker struct {
	byID    map[uint64]*subscription
	byURI   patternIndex[*subscription]
	matched []*subscription  // scratch of publish, reused
	filter  filter           // scratch: the black/white list of the publication at hand
	evExt   codec.OptionsExt // scratch: an EVENT's out-of-line details
	// metaSubs counts the subscriptions that may match a wamp.* topic:
	// while it is 0, no meta event is even looked up.
	metaSubs int
}

func (b *broker) init() {
	b.byID = make(map[uint64]*subscription)
	b.byURI.init()
	b.matched = make([]*subscription, 0, 16)
}

// subscribe handles SUBSCRIBE [32, Request, Options, Topic].
func (b *broker) subscribe(r *Realm, s *Session, m *codec.Message) {
	match := m.Options.Match
	if match > codec.MatchWildcard {
		r.sendError(s, codec.Subscribe, m.Request, codec.ErrInvalidArgument, "unknown match policy")
		return
	}
	if !validURI(m.URI, match) {
		r.sendError(s, codec.Subscribe, m.Request, codec.ErrInvalidURI,
			"invalid topic URI '"+m.URI+"' for match policy "+matchName(match))
		return
	}
	if _, no := r.denied(s, ActSubscribe, m.URI, codec.Subscribe, m.Request, true); no {
		return
	}
	sub := b.byURI.get(m.URI, match)
	if sub != nil {
		if _, ok := sub.index[s]; ok {
			// Subscribing again is not an error: the same id again.
			reply := codec.Message{Type: codec.Subscribed, Request: m.Request, ID: sub.id}
			r.send(s, &reply, false)
			if m.Options.GetRetained {
				r.sendRetained(s, sub)
			}
			return
		}
	}
	if max := r.opts.Limits.SubscriptionsPerSession; max > 0 && len(s.subs) >= max {
		r.sendError(s, codec.Subscribe, m.Request, codec.ErrLimitExceeded,
			"subscription limit reached (max "+strconv.Itoa(max)+" per session)")
		return
	}
	created := false
	if sub == nil {
		sub = &subscription{
			id:      r.subscriptionID(m.URI, match),
			topic:   strings.Clone(m.URI),
			match:   match,
			created: time.Now(),
			index:   make(map[*Session]int),
		}
		b.byID[sub.id] = sub
		b.byURI.add(sub.topic, match, sub)
		if mayMatchMeta(sub.topic, match) {
			b.metaSubs++
		}
		created = true
	}
	if r.cluster != nil && !reservedURI(sub.topic) {
		if len(sub.subscribers) == 0 { // the first local one
			r.cluster.Interest(sub.topic, match, true)
		}
		r.cluster.Subscribed(s.ID, sub.topic, match, true)
	}
	sub.index[s] = len(sub.subscribers)
	sub.subscribers = append(sub.subscribers, s)
	lazyMap(&s.subs)[sub.id] = struct{}{}
	reply := codec.Message{Type: codec.Subscribed, Request: m.Request, ID: sub.id}
	r.send(s, &reply, false)
	if !reservedURI(sub.topic) {
		if created && r.watched(metaSubOnCreate) {
			r.metaEvent(metaSubOnCreate, []any{s.ID, subscriptionDetails(sub)})
		}
		if r.watched(metaSubOnSubscribe) {
			r.metaEvent(metaSubOnSubscribe, []any{s.ID, sub.id})
		}
	}
	if m.Options.GetRetained {
		r.sendRetained(s, sub)
	}
}

// unsubscribe handles UNSUBSCRIBE [34, Request, SUBSCRIBED.Subscription].
func (b *broker) unsubscribe(r *Realm, s *Session, m *codec.Message) {
	sub := b.byID[m.ID]
	if sub == nil {
		r.sendError(s, codec.Unsubscribe, m.Request, codec.ErrNoSuchSubscription, "no such subscription")
		return
	}
	if _, ok := sub.index[s]; !ok {
		r.sendError(s, codec.Unsubscribe, m.Request, codec.ErrNoSuchSubscription, "no such subscription")
		return
	}
	b.drop(r, sub, s)
	delete(s.subs, sub.id)
	reply := codec.Message{Type: codec.Unsubscribed, Request: m.Request}
	r.send(s, &reply, false)
}

// drop removes s from sub, and sub from the broker when it was the last,
// with their meta events.
func (b *broker) drop(r *Realm, sub *subscription, s *Session) {
	if s.remote {
		b.dropRemote(r, sub, s)
		return
	}
	i, ok := sub.index[s]
	if !ok {
		return
	}
	last := len(sub.subscribers) - 1
	if i != last {
		moved := sub.subscribers[last]
		sub.subscribers[i] = moved
		sub.index[moved] = i
	}
	sub.subscribers[last] = nil
	sub.subscribers = sub.subscribers[:last]
	delete(sub.index, s)
	meta := !reservedURI(sub.topic)
	if meta && r.watched(metaSubOnUnsubscribe) {
		r.metaEvent(metaSubOnUnsubscribe, []any{s.ID, sub.id})
	}
	if r.cluster != nil && meta {
		r.cluster.Subscribed(s.ID, sub.topic, sub.match, false)
		if last == 0 { // the last local one
			r.cluster.Interest(sub.topic, sub.match, false)
		}
	}
	if last > 0 || len(sub.remote) > 0 {
		return
	}
	b.deleteSub(r, sub, s.ID)
}

// deleteSub forgets sub, which has no subscriber left; last is the
// session that left it last (for the meta event).
func (b *broker) deleteSub(r *Realm, sub *subscription, last uint64) {
	meta := !reservedURI(sub.topic)
	delete(b.byID, sub.id)
	b.byURI.remove(sub.topic, sub.match)
	if mayMatchMeta(sub.topic, sub.match) {
		b.metaSubs--
	}
	if meta && r.watched(metaSubOnDelete) {
		r.metaEvent(metaSubOnDelete, []any{last, sub.id})
	}
}

// removeSession drops every subscription of s.
func (b *broker) removeSession(r *Realm, s *Session) {
	for id := range s.subs {
		if sub := b.byID[id]; sub != nil {
			b.drop(r, sub, s)
		}
	}
	clear(s.subs)
}

// hasMatch reports whether any subscription matches topic.
func (b *broker) hasMatch(topic string) bool {
	if b.byURI.exact[topic] != nil {
		return true
	}
	matched := b.byURI.prefix.appendMatches(b.matched[:0], topic)
	matched = b.byURI.wild.appendMatches(matched, topic)
	n := len(matched)
	clear(matched)
	b.matched = matched[:0]
	return n > 0
}

// mayMatchMeta reports whether a subscription could match a wamp.* topic.
func mayMatchMeta(topic string, m codec.Match) bool {
	switch m {
	case codec.MatchPrefix:
		return strings.HasPrefix(topic, "wamp") || strings.HasPrefix("wamp.", topic)
	case codec.MatchWildcard:
		first, _, _ := strings.Cut(topic, ".")
		return first == "" || first == "wamp"
	}
	return reservedURI(topic)
}

// publish handles PUBLISH [16, Request, Options, Topic, Args?, Kwargs?]:
// one EVENT per matching subscription, encoded once per serializer and
// shared by all its subscribers.
func (b *broker) publish(r *Realm, s *Session, m *codec.Message) {
	ack := m.Options.Acknowledge
	if !validURI(m.URI, codec.MatchExact) {
		if ack {
			r.sendError(s, codec.Publish, m.Request, codec.ErrInvalidURI, "invalid topic URI '"+m.URI+"'")
		}
		return
	}
	if reservedURI(m.URI) {
		if ack {
			r.sendError(s, codec.Publish, m.Request, codec.ErrInvalidURI,
				"publish to reserved topic URI '"+m.URI+"'")
		}
		return
	}
	var authz decision // a realm without roles pays one check here, no call
	if r.authz.on {
		var no bool
		if authz, no = r.denied(s, ActPublish, m.URI, codec.Publish, m.Request, ack); no {
			return
		}
	}
	ppt := m.Options.PPTOn()
	if ppt && s.features()&featPublisherPPT == 0 {
		r.closeSession(s, codec.Abort, codec.ErrProtocolViolation,
			"PUBLISH with ppt_scheme from a publisher that did not announce payload_passthru_mode")
		return
	}
	pub := publication{
		id: r.newID(), topic: m.URI, from: s,
		args: m.Args, kwargs: m.Kwargs, ser: m.PayloadSer,
		excludeMe: m.Options.Has&codec.HasExcludeMe == 0 || m.Options.ExcludeMe,
	}
	if m.Options.DiscloseMe || authz.disclose {
		pub.publisher, pub.authID, pub.authRole = s.ID, s.AuthID, s.AuthRole
	}
	if ppt {
		pub.ppt, pub.pptHas = m.Options.Ext, m.Options.Has&codec.HasPPT
	}
	if m.Options.Filtered() {
		if !b.filter.load(m.PayloadSer, m.Options.Ext) {
			if ack {
				r.sendError(s, codec.Publish, m.Request, codec.ErrInvalidArgument, "malformed black/white list")
			}
			return
		}
		b.filter.mark(r)
		pub.filter = &b.filter
	}
	r.deliver(&pub, m.Options.Retain)
	if r.cluster != nil && pub.remote { // another node has a subscriber
		r.clusterPublish(s, m.URI, pub.id, pub.publisher != 0)
	}
	if ack {
		reply := codec.Message{Type: codec.Published, Request: m.Request, ID: pub.id}
		r.send(s, &reply, false)
	}
}

// publication is one publication on its way to the subscribers: a
// client's PUBLISH, a meta event, a testament. Its payload fields alias
// the message it came from (or the realm's scratch) for the time of
// dispatch only; whatever keeps it (retention, history) copies.
type publication struct {
	id        uint64
	topic     string
	from      *Session // the publishing session, nil for the router
	excludeMe bool
	// disclosure, when publisher != 0
	publisher        uint64
	authID, authRole string
	ppt              *codec.OptionsExt // its PPT keys are forwarded (pptHas says which); nil for none
	pptHas           codec.OptionBits
	filter           *filter // black/white list; nil for none
	args, kwargs     []byte
	ser              codec.Serializer
	retained         bool // EVENT.Details.retained (a retained event sent on SUBSCRIBE)
	// remote is set by dispatch when a matching subscription has
	// subscribers on other nodes (a clustered realm's shadows): only then
	// does a local publication go to NATS.
	remote bool
}

// deliver dispatches pub, keeps it as its topic's retained event when
// asked, and records it in the topic's history if one is kept.
func (r *Realm) deliver(pub *publication, retain bool) {
	r.broker.dispatch(r, pub)
	if retain {
		r.retained.keep(pub)
	}
	if r.history.enabled() {
		r.history.record(pub)
	}
}

// dispatch sends pub to every matching subscription's subscribers, the
// EVENT encoded once per serializer and subscription and shared by all its
// subscribers; a black/white list only picks who gets the shared frame.
func (b *broker) dispatch(r *Realm, pub *publication) {
	r.stats.published.Add(1)
	matched := b.matched[:0]
	if sub := b.byURI.exact[pub.topic]; sub != nil {
		matched = append(matched, sub)
	}
	matched = b.byURI.prefix.appendMatches(matched, pub.topic)
	matched = b.byURI.wild.appendMatches(matched, pub.topic)

	var delivered, dropped, bytes int64
	for _, sub := range matched {
		if len(sub.remote) > 0 {
			pub.remote = true
		}
		var ev codec.Message
		pub.event(&ev, sub, &b.evExt)
		var frames [4]*codec.Frame // by serializer
		for _, to := range sub.subscribers {
			if to == pub.from && pub.excludeMe {
				continue
			}
			if pub.filter != nil && !pub.filter.allows(to) {
				continue
			}
			f := frames[to.ser&3]
			if f == nil {
				f = r.encode(to.ser, &ev)
				if f == nil {
					continue
				}
				if pub.from != nil {
					f.From = pub.from.Peer // flow control slows the publisher
				}
				frames[to.ser&3] = f
			}
			if r.sendFrame(to, f, true) {
				delivered++
				bytes += int64(f.Len())
			} else {
				dropped++
			}
		}
		for _, f := range frames {
			if f != nil {
				f.Release()
			}
		}
	}
	clear(matched)
	b.matched = matched[:0]
	if delivered > 0 {
		r.stats.delivered.Add(delivered)
		r.traffic.bytesOut += uint64(bytes)
	}
	if dropped > 0 {
		r.stats.dropped.Add(dropped)
	}
}

// event fills ev, the EVENT of pub for subscription sub; the details that
// live out of line (PPT keys, the publisher's authid and authrole) go in
// ext, scratch valid until the next call.
func (pub *publication) event(ev *codec.Message, sub *subscription, ext *codec.OptionsExt) {
	*ev = codec.Message{
		Type: codec.Event, ID: sub.id, ID2: pub.id,
		Args: pub.args, Kwargs: pub.kwargs, PayloadSer: pub.ser,
	}
	if pub.publisher != 0 || pub.ppt != nil {
		*ext = codec.OptionsExt{}
		ev.Options.Ext = ext
	}
	if pub.publisher != 0 {
		ev.Options.Has |= codec.HasPublisher | codec.HasPublisherAuthID | codec.HasPublisherAuthRole
		ev.Options.Publisher = pub.publisher
		ext.PublisherAuthID, ext.PublisherAuthRole = pub.authID, pub.authRole
	}
	if sub.match != codec.MatchExact {
		ev.Options.Has |= codec.HasTopic
		ev.Options.Topic = pub.topic
	}
	if pub.ppt != nil {
		ev.Options.Has |= pub.pptHas
		copyPPT(ext, pub.ppt)
	}
	if pub.retained {
		ev.Options.Has |= codec.HasRetained
		ev.Options.Retained = true
	}
}

// encode returns m encoded for ser in a sealed frame holding one reference,
// or nil (logged) when it cannot be encoded.
func (r *Realm) encode(ser codec.Serializer, m *codec.Message) *codec.Frame {
	f := codec.NewFrame(ser)
	var err error
	if f.B, err = codec.Append(ser, f.B, m); err != nil {
		f.Release()
		r.log.Error("encode failed", "err", wrapEncode(m.Type, err))
		return nil
	}
	f.Seal()
	return f
}

// matchName is the option value of a match policy, for messages.
func matchName(m codec.Match) string {
	switch m {
	case codec.MatchPrefix:
		return "prefix"
	case codec.MatchWildcard:
		return "wildcard"
	}
	return "exact"
}

// copyPPT copies the Payload Passthru Mode keys of src into dst (aliasing).
func copyPPT(dst, src *codec.OptionsExt) {
	dst.PPTScheme, dst.PPTSerializer = src.PPTScheme, src.PPTSerializer
	dst.PPTCipher, dst.PPTKeyID = src.PPTCipher, src.PPTKeyID
}

// clonePPT copies them for keeping (the source aliases a recycled buffer).
func clonePPT(dst, src *codec.OptionsExt) {
	dst.PPTScheme, dst.PPTSerializer = strings.Clone(src.PPTScheme), strings.Clone(src.PPTSerializer)
	dst.PPTCipher, dst.PPTKeyID = strings.Clone(src.PPTCipher), strings.Clone(src.PPTKeyID)
}
