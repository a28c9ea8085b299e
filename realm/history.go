package realm

import (
	"slices"
	"strings"
	"time"

	"github.com/wampd/wampd/codec"
)

// Event history (event_history): the realm keeps the last events of the
// topics its configuration names (HistoryRule: an exact topic, a prefix or
// a wildcard pattern, each with a bound in events per topic and in bytes
// for all its topics), and wamp.subscription.get_events returns them for a
// subscription: every kept event whose topic the subscription matches, in
// the order they were published.
//
// Payloads are copies (the PUBLISH buffer is recycled). Events published
// with a session-id black/white list are not kept (ids do not outlive
// sessions, as the spec says); authid and authrole lists are kept and
// applied again to the session that asks.
//
// Only the realm's actor goroutine touches it.
type history struct {
	stats  *counters
	bytes  int64 // all rules
	rules  patternIndex[*historyRule]
	topics map[string]*historyTopic
	seq    uint64
	n      int // rules
}

// HistoryRule configures the event history of the topics it matches.
type HistoryRule struct {
	Topic string
	Match codec.Match
	// Limit is how many events are kept per topic (at least 1).
	Limit int
	// MaxBytes bounds the bytes kept for all the rule's topics together
	// (0: Limit alone bounds it, for an exact topic; 1 MiB otherwise).
	MaxBytes int64
}

// defaultHistoryBytes bounds a pattern rule without MaxBytes.
const defaultHistoryBytes = 1 << 20

type historyRule struct {
	HistoryRule
	fifo    []*storedEvent // every kept event of the rule, oldest first; evicted ones are skipped
	live    int
	bytes   int64
	evicted int64
}

type historyTopic struct {
	rule   *historyRule
	events []*storedEvent // oldest first
}

func (h *history) init(rules []HistoryRule, stats *counters) {
	h.stats = stats
	h.rules.init()
	h.topics = make(map[string]*historyTopic)
	for _, hr := range rules {
		rule := &historyRule{HistoryRule: hr}
		if rule.Limit < 1 {
			rule.Limit = 1
		}
		if rule.MaxBytes <= 0 && rule.Match != codec.MatchExact {
			rule.MaxBytes = defaultHistoryBytes
		}
		h.rules.add(strings.Clone(hr.Topic), hr.Match, rule)
		h.n++
	}
}

func (h *history) enabled() bool { return h.n > 0 }

// rule returns the rule for topic: exact, then longest prefix, then the
// best-ranked wildcard pattern; nil when the topic has no history.
func (h *history) rule(topic string) *historyRule {
	if t := h.topics[topic]; t != nil {
		return t.rule
	}
	if rule := h.rules.exact[topic]; rule != nil {
		return rule
	}
	if rule, ok := h.rules.prefix.longest(topic); ok {
		return rule
	}
	if rule, ok := h.rules.wild.best(topic); ok {
		return rule
	}
	return nil
}

// record keeps pub if a rule names its topic.
func (h *history) record(pub *publication) {
	if pub.filter != nil && pub.filter.byIDs() {
		return
	}
	rule := h.rule(pub.topic)
	if rule == nil {
		return
	}
	h.seq++
	e := storeEvent(pub, h.seq)
	t := h.topics[pub.topic]
	if t == nil {
		t = &historyTopic{rule: rule}
		h.topics[e.topic] = t
	}
	t.events = append(t.events, e)
	rule.fifo = append(rule.fifo, e)
	rule.live++
	rule.bytes += e.size()
	h.bytes += e.size()
	if len(t.events) > rule.Limit {
		h.evict(t.events[0])
	}
	for rule.MaxBytes > 0 && rule.bytes > rule.MaxBytes && rule.live > 1 {
		h.evict(rule.oldest())
	}
	rule.compact()
	h.stats.historyBytes.Store(h.bytes)
}

// oldest returns the rule's oldest kept event.
func (rule *historyRule) oldest() *storedEvent {
	for _, e := range rule.fifo {
		if !e.evicted {
			return e
		}
	}
	return nil
}

// compact drops evicted events from the front of the fifo, and rebuilds
// it when evicted ones are most of it.
func (rule *historyRule) compact() {
	i := 0
	for i < len(rule.fifo) && rule.fifo[i].evicted {
		i++
	}
	if i > 0 {
		clear(rule.fifo[:i])
		rule.fifo = rule.fifo[i:]
	}
	if len(rule.fifo) > 2*rule.live+16 {
		rule.fifo = slices.DeleteFunc(rule.fifo, func(e *storedEvent) bool { return e.evicted })
	}
}

// evict forgets e, the oldest event of its topic.
func (h *history) evict(e *storedEvent) {
	t := h.topics[e.topic]
	if t == nil || len(t.events) == 0 || t.events[0] != e {
		return
	}
	t.events[0] = nil
	t.events = t.events[1:]
	e.evicted = true
	t.rule.live--
	t.rule.bytes -= e.size()
	t.rule.evicted++
	h.bytes -= e.size()
	h.stats.historyEvicted.Add(1)
	if len(t.events) == 0 {
		delete(h.topics, e.topic)
	}
}

// eventsFor returns the kept events of the topics sub matches, oldest
// first (a new slice; the events are shared).
func (h *history) eventsFor(sub *subscription) []*storedEvent {
	if sub.match == codec.MatchExact {
		if t := h.topics[sub.topic]; t != nil {
			return slices.Clone(t.events)
		}
		return nil
	}
	var out []*storedEvent
	for topic, t := range h.topics {
		if sub.matches(topic) {
			out = append(out, t.events...)
		}
	}
	slices.SortFunc(out, func(a, b *storedEvent) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	return out
}

// historyQuery is the filter of one get_events call.
type historyQuery struct {
	limit                             int
	reverse                           bool
	topic                             string
	fromTime, afterTime               time.Time
	beforeTime, untilTime             time.Time
	fromPub, afterPub, beforePub, til uint64
}

// parseHistoryQuery reads get_events(subscription, limit?) and its kwargs.
func parseHistoryQuery(c *metaCall) (historyQuery, string) {
	var q historyQuery
	if v := c.argAt(1); v != nil {
		n, ok := asInt(v)
		if !ok || n < 1 {
			return q, "limit must be a positive integer"
		}
		q.limit = n
	}
	for k, v := range c.kwargs {
		ok := true
		switch k {
		case "limit":
			q.limit, ok = asInt(v)
			ok = ok && q.limit > 0
		case "reverse":
			q.reverse, ok = v.(bool)
		case "topic":
			q.topic, ok = v.(string)
		case "from_time":
			q.fromTime, ok = asTime(v)
		case "after_time":
			q.afterTime, ok = asTime(v)
		case "before_time":
			q.beforeTime, ok = asTime(v)
		case "until_time":
			q.untilTime, ok = asTime(v)
		case "from_publication":
			q.fromPub, ok = asID(v)
		case "after_publication":
			q.afterPub, ok = asID(v)
		case "before_publication":
			q.beforePub, ok = asID(v)
		case "until_publication":
			q.til, ok = asID(v)
		default:
			return q, "unknown option '" + k + "'"
		}
		if !ok {
			return q, "invalid value for '" + k + "'"
		}
	}
	return q, ""
}

// apply filters events (oldest first) for session s.
func (q *historyQuery) apply(events []*storedEvent, s *Session) []*storedEvent {
	// Publication ids are random: a publication bound cuts the sequence
	// where that publication is (nothing when it is not kept).
	cut := func(id uint64, keepFrom, inclusive bool) {
		i := slices.IndexFunc(events, func(e *storedEvent) bool { return e.id == id })
		switch {
		case i < 0:
			events = events[:0]
		case keepFrom && inclusive:
			events = events[i:]
		case keepFrom:
			events = events[i+1:]
		case inclusive:
			events = events[:i+1]
		default:
			events = events[:i]
		}
	}
	if q.fromPub != 0 {
		cut(q.fromPub, true, true)
	}
	if q.afterPub != 0 {
		cut(q.afterPub, true, false)
	}
	if q.beforePub != 0 {
		cut(q.beforePub, false, false)
	}
	if q.til != 0 {
		cut(q.til, false, true)
	}
	out := events[:0:0]
	for _, e := range events {
		switch {
		case q.topic != "" && e.topic != q.topic,
			!q.fromTime.IsZero() && e.at.Before(q.fromTime),
			!q.afterTime.IsZero() && !e.at.After(q.afterTime),
			!q.beforeTime.IsZero() && !e.at.Before(q.beforeTime),
			!q.untilTime.IsZero() && e.at.After(q.untilTime),
			!e.filter.allows(s):
			continue
		}
		out = append(out, e)
	}
	if q.reverse {
		slices.Reverse(out)
	}
	if q.limit > 0 && len(out) > q.limit {
		if q.reverse {
			out = out[:q.limit] // the newest
		} else {
			out = out[len(out)-q.limit:] // the last, in order of occurrence
		}
	}
	return out
}

// metaSubGetEvents handles wamp.subscription.get_events(subscription,
// limit?, reverse=, limit=, from_time=, ...): [[event, ...]], each event
// {timestamp, subscription, publication, topic, details, args?, kwargs?}.
func metaSubGetEvents(r *Realm, s *Session, c *metaCall) ([]any, codec.URI, string) {
	sub, uri, msg := r.subscriptionArg(c, "wamp.subscription.get_events")
	if sub == nil {
		return nil, uri, msg
	}
	q, bad := parseHistoryQuery(c)
	if bad != "" {
		return errArg(bad)
	}
	events := q.apply(r.history.eventsFor(sub), s)
	out := make([]any, 0, len(events))
	for _, e := range events {
		details := map[string]any{"topic": e.topic}
		if e.publisher != 0 {
			details["publisher"] = e.publisher
			details["publisher_authid"] = e.authID
			details["publisher_authrole"] = e.authRole
		}
		for _, kv := range [...][2]string{
			{"ppt_scheme", e.ppt.PPTScheme}, {"ppt_serializer", e.ppt.PPTSerializer},
			{"ppt_cipher", e.ppt.PPTCipher}, {"ppt_keyid", e.ppt.PPTKeyID},
		} {
			if kv[1] != "" {
				details[kv[0]] = kv[1]
			}
		}
		ev := map[string]any{
			"timestamp":    e.at.UTC().Format(metaTimestampLayout),
			"subscription": sub.id,
			"publication":  e.id,
			"topic":        e.topic,
			"details":      details,
		}
		if e.args != nil {
			v, err := codec.DecodeValue(e.ser, e.args)
			if err != nil {
				continue // kept only after Decode checked it: cannot happen
			}
			ev["args"] = v
		}
		if e.kwargs != nil {
			v, err := codec.DecodeValue(e.ser, e.kwargs)
			if err != nil {
				continue
			}
			ev["kwargs"] = v
		}
		out = append(out, ev)
	}
	return []any{out}, "", ""
}
