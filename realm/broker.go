package realm

import (
	"strings"

	"github.com/wampd/wampd/codec"
)

// subscription is one (topic, match) pair; every session subscribed to it
// shares its id. Only the realm's actor goroutine touches it.
type subscription struct {
	id          uint64
	topic       string // cloned: the SUBSCRIBE buffer is recycled
	match       codec.Match
	subscribers []*Session
	index       map[*Session]int // position in subscribers
}

// broker holds the realm's subscriptions: exact topics in a map, prefix
// patterns by length, wildcard patterns by component count. Only the realm's
// actor goroutine touches it.
type broker struct {
	byID    map[uint64]*subscription
	byURI   patternIndex[*subscription]
	matched []*subscription // scratch of publish, reused
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
	sub := b.byURI.get(m.URI, match)
	if sub == nil {
		sub = &subscription{
			id:    freshID(r, b.byID),
			topic: strings.Clone(m.URI),
			match: match,
			index: make(map[*Session]int),
		}
		b.byID[sub.id] = sub
		b.byURI.add(sub.topic, match, sub)
	}
	if _, ok := sub.index[s]; !ok {
		sub.index[s] = len(sub.subscribers)
		sub.subscribers = append(sub.subscribers, s)
		lazyMap(&s.subs)[sub.id] = struct{}{}
	}
	reply := codec.Message{Type: codec.Subscribed, Request: m.Request, ID: sub.id}
	r.send(s, &reply, false)
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
	b.drop(sub, s)
	delete(s.subs, sub.id)
	reply := codec.Message{Type: codec.Unsubscribed, Request: m.Request}
	r.send(s, &reply, false)
}

// drop removes s from sub, and sub from the broker when it was the last.
func (b *broker) drop(sub *subscription, s *Session) {
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
	if last > 0 {
		return
	}
	delete(b.byID, sub.id)
	b.byURI.remove(sub.topic, sub.match)
}

// removeSession drops every subscription of s.
func (b *broker) removeSession(s *Session) {
	for id := range s.subs {
		if sub := b.byID[id]; sub != nil {
			b.drop(sub, s)
		}
	}
	clear(s.subs)
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
	pubID := r.newID()
	r.stats.published.Add(1)
	excludeMe := m.Options.Has&codec.HasExcludeMe == 0 || m.Options.ExcludeMe

	matched := b.matched[:0]
	if sub := b.byURI.exact[m.URI]; sub != nil {
		matched = append(matched, sub)
	}
	matched = b.byURI.prefix.appendMatches(matched, m.URI)
	matched = b.byURI.wild.appendMatches(matched, m.URI)

	var delivered, dropped int64
	for _, sub := range matched {
		ev := codec.Message{
			Type: codec.Event, ID: sub.id, ID2: pubID,
			Args: m.Args, Kwargs: m.Kwargs, PayloadSer: m.PayloadSer,
		}
		if m.Options.DiscloseMe {
			ev.Options.Has |= codec.HasPublisher
			ev.Options.Publisher = s.ID
		}
		if sub.match != codec.MatchExact {
			ev.Options.Has |= codec.HasTopic
			ev.Options.Topic = m.URI
		}
		var frames [4]*codec.Frame // by serializer
		for _, to := range sub.subscribers {
			if to == s && excludeMe {
				continue
			}
			f := frames[to.ser&3]
			if f == nil {
				f = r.encode(to.ser, &ev)
				if f == nil {
					continue
				}
				frames[to.ser&3] = f
			}
			if r.sendFrame(to, f, true) {
				delivered++
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
	}
	if dropped > 0 {
		r.stats.dropped.Add(dropped)
	}
	if ack {
		reply := codec.Message{Type: codec.Published, Request: m.Request, ID: pubID}
		r.send(s, &reply, false)
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
