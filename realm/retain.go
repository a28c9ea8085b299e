package realm

import (
	"container/list"
	"strings"
	"time"

	"github.com/wampd/wampd/codec"
)

// Event retention (event_retention): PUBLISH with retain: true makes the
// publication its topic's retained event, kept whether or not anyone is
// subscribed; SUBSCRIBE with get_retained: true gets, right after
// SUBSCRIBED, the newest retained event of each matching topic that the
// subscriber would have received, with details.retained: true.
//
// A publication without a black/white list replaces everything retained on
// its topic; one with a list is kept beside the others (at most
// maxLimitedRetained per topic), so that a subscriber not eligible for the
// newest still gets the newest it may see, as the spec requires. The store
// is bounded in bytes per realm (Options.RetainedBytes): past it, the
// topics retained longest ago are forgotten first, and counted.
//
// Only the realm's actor goroutine touches it.
type retention struct {
	stats    *counters
	topics   map[string]*retainedTopic
	lru      list.List // of *retainedTopic, oldest update first
	bytes    int64
	bound    int64
	evicted  int64
	disabled bool
}

// maxLimitedRetained bounds the black/white-listed events kept per topic.
const maxLimitedRetained = 8

// defaultRetainedBytes bounds a realm's retained events when the
// configuration does not.
const defaultRetainedBytes = 16 << 20

type retainedTopic struct {
	topic  string
	events []*storedEvent // oldest first; events[0] may be the unfiltered one
	elem   *list.Element
	bytes  int64
}

// storedEvent is a publication kept beyond its PUBLISH: payload and keys
// copied (the PUBLISH buffer is recycled), for retention and history.
type storedEvent struct {
	seq          uint64 // realm-wide order of recording
	id           uint64 // publication id
	topic        string
	at           time.Time
	publisher    uint64
	authID       string
	authRole     string
	pubSession   uint64 // the publishing session (publisher exclusion), 0 for the router
	excludeMe    bool
	ppt          codec.OptionsExt // only the PPT keys, pptHas says which
	pptHas       codec.OptionBits
	filter       storedFilter
	args, kwargs []byte
	ser          codec.Serializer
	retain       bool // a testament to publish with retain: true
	evicted      bool // history: gone from its topic
}

// size is what the event counts against a bound.
func (e *storedEvent) size() int64 {
	return int64(len(e.args)+len(e.kwargs)+len(e.topic)) + 128
}

// storeEvent copies pub.
func storeEvent(pub *publication, seq uint64) *storedEvent {
	e := &storedEvent{
		seq: seq, id: pub.id, topic: strings.Clone(pub.topic), at: time.Now(),
		publisher: pub.publisher, authID: strings.Clone(pub.authID), authRole: strings.Clone(pub.authRole),
		excludeMe: pub.excludeMe, ser: pub.ser,
	}
	if pub.from != nil {
		e.pubSession = pub.from.ID
	}
	if pub.args != nil {
		e.args = append([]byte(nil), pub.args...)
	}
	if pub.kwargs != nil {
		e.kwargs = append([]byte(nil), pub.kwargs...)
	}
	if pub.ppt != nil {
		e.pptHas = pub.pptHas
		clonePPT(&e.ppt, pub.ppt)
	}
	if pub.filter != nil {
		e.filter.keep(pub.filter, true)
	}
	return e
}

// mayReceive reports whether s would have received e when it was
// published: publisher exclusion and the black/white list.
func (e *storedEvent) mayReceive(s *Session) bool {
	if e.excludeMe && e.pubSession == s.ID {
		return false
	}
	return e.filter.allows(s)
}

// publication rebuilds e for sending (aliasing e: valid while e is).
func (e *storedEvent) publication() publication {
	pub := publication{
		id: e.id, topic: e.topic, publisher: e.publisher, authID: e.authID, authRole: e.authRole,
		args: e.args, kwargs: e.kwargs, ser: e.ser,
	}
	if e.pptHas != 0 {
		pub.ppt, pub.pptHas = &e.ppt, e.pptHas
	}
	return pub
}

func (rt *retention) init(bound int64, stats *counters) {
	rt.stats = stats
	rt.topics = make(map[string]*retainedTopic)
	rt.bound = bound
	if rt.bound == 0 {
		rt.bound = defaultRetainedBytes
	}
	rt.disabled = bound < 0
}

// keep makes pub its topic's retained event.
func (rt *retention) keep(pub *publication) {
	if rt.disabled {
		return
	}
	e := storeEvent(pub, 0)
	t := rt.topics[pub.topic]
	if t == nil {
		t = &retainedTopic{topic: e.topic}
		rt.topics[t.topic] = t
		t.elem = rt.lru.PushBack(t)
	} else {
		rt.lru.MoveToBack(t.elem)
	}
	if !e.filter.any {
		rt.bytes -= t.bytes
		clear(t.events)
		t.events, t.bytes = t.events[:0], 0
	} else if len(t.events) >= maxLimitedRetained {
		drop := t.events[0]
		if !drop.filter.any && len(t.events) > 1 {
			drop = t.events[1] // keep the unfiltered one as long as possible
			copy(t.events[1:], t.events[2:])
		} else {
			copy(t.events, t.events[1:])
		}
		t.events = t.events[:len(t.events)-1]
		t.bytes -= drop.size()
		rt.bytes -= drop.size()
	}
	t.events = append(t.events, e)
	t.bytes += e.size()
	rt.bytes += e.size()
	for rt.bytes > rt.bound && rt.lru.Len() > 1 {
		old := rt.lru.Front().Value.(*retainedTopic)
		rt.forget(old)
		rt.evicted++
		rt.stats.retainedEvicted.Add(1)
	}
	rt.stats.retainedBytes.Store(rt.bytes)
}

func (rt *retention) forget(t *retainedTopic) {
	rt.lru.Remove(t.elem)
	delete(rt.topics, t.topic)
	rt.bytes -= t.bytes
}

// newest returns the newest event of t that s may receive, or nil.
func (t *retainedTopic) newest(s *Session) *storedEvent {
	for i := len(t.events) - 1; i >= 0; i-- {
		if t.events[i].mayReceive(s) {
			return t.events[i]
		}
	}
	return nil
}

// sendRetained sends s, just subscribed to sub, the retained events of the
// topics sub matches (SUBSCRIBE get_retained).
func (r *Realm) sendRetained(s *Session, sub *subscription) {
	rt := &r.retained
	send := func(t *retainedTopic) {
		e := t.newest(s)
		if e == nil {
			return
		}
		pub := e.publication()
		pub.retained = true
		var ev codec.Message
		pub.event(&ev, sub, &r.broker.evExt)
		if r.send(s, &ev, true) {
			r.stats.delivered.Add(1)
		} else {
			r.stats.dropped.Add(1)
		}
	}
	if sub.match == codec.MatchExact {
		if t := rt.topics[sub.topic]; t != nil {
			send(t)
		}
		return
	}
	for e := rt.lru.Front(); e != nil; e = e.Next() {
		if t := e.Value.(*retainedTopic); sub.matches(t.topic) {
			send(t)
		}
	}
}

// matches reports whether topic matches the subscription's pattern.
func (sub *subscription) matches(topic string) bool {
	switch sub.match {
	case codec.MatchPrefix:
		return strings.HasPrefix(topic, sub.topic)
	case codec.MatchWildcard:
		return wildcardMatch(sub.topic, topic)
	}
	return topic == sub.topic
}
