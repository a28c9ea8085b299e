package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/engine/inproc"
	"github.com/wampd/wampd/internal/wampuri"
	"github.com/wampd/wampd/realm"
)

// The outbound half: one in-process session per bridge (authid
// config.BridgeOutboundAuthID, role outbound_role) subscribes for
// forward_events and registers forward_calls; the realm authorizes both by
// its rules like any session's. Its OnMessage never blocks: an EVENT or
// INVOCATION becomes a delivery put on its target's bounded queue (over the
// bound it is dropped and counted; an INVOCATION is then answered with
// wamp.error.limit_exceeded), and the target's workers POST it.
//
// The session is a kept inproc.Client: when it ends (wamp.session.kill, an
// overflow of its queue) the client joins again with a bounded backoff and
// subscribes and registers again (setup), until Stop; the targets and their
// counters live on. Events published while it is away are not forwarded.
//
// Goroutines: the Local's, the client's rejoin loop, and per target its
// workers (one for an event target, so events arrive in order; callWorkers
// for a call target), all ended by Stop.
//
// Known debt: INTERRUPT is not asked for (the session announces no
// call_canceling): a canceled call's POST runs to its timeout and its late
// YIELD is dropped by the dealer.

const (
	// callWorkers is how many calls a call target has in flight at once.
	callWorkers = 4
	// maxAnswer bounds an HTTP answer read (a forwarded call's result).
	maxAnswer = 4 << 20
	// setupTimeout bounds waiting for the SUBSCRIBEDs and REGISTEREDs of
	// one join (at Start or a rejoin).
	setupTimeout = 5 * time.Second
)

// Backoff between attempts: backoffBase doubled per retry, at most
// backoffMax.
var (
	backoffBase = 100 * time.Millisecond
	backoffMax  = 5 * time.Second
)

// ErrForwardFailed is the ERROR of a forwarded call whose endpoint gave no
// usable answer within its retries.
const ErrForwardFailed codec.URI = "wampd.bridge.forward_failed"

// TargetStats are one outbound target's counters, for the admin collector.
type TargetStats struct {
	Kind      string // "event" or "call"
	URI       string // the topic or procedure
	URL       string
	Delivered uint64 // POSTs answered 2xx (a call: its answer YIELDed or ERRORed)
	Retries   uint64 // attempts after the first
	Failed    uint64 // deliveries given up after their retries
	Timeouts  uint64 // attempts that ran out of time
	Dropped   uint64 // deliveries refused because the queue was full, or left at Stop
	Queued    int    // deliveries waiting now
}

// target is one forward_events or forward_calls entry.
type target struct {
	kind, uri, url string
	match          codec.Match // an event target's subscription match
	timeout        time.Duration
	retries        int
	queue          chan delivery

	delivered, retried, failed, timeouts, dropped atomic.Uint64
}

// delivery is one EVENT or INVOCATION to POST: body is its JSON; req is
// the INVOCATION's request id (0 for an event) and s the session it came
// on, the one its answer goes to (a session killed meanwhile takes none).
type delivery struct {
	body []byte
	req  uint64
	s    *inproc.Session
}

// outbound is the bridge's outbound session and targets. mu guards
// pending, subs and regs, the current session's: setup resets them, and
// OnMessage maps a SUBSCRIBED or REGISTERED to its target (pending) before
// the answer reaches setup, so no EVENT of a new subscription finds no
// target. It is a leaf lock.
type outbound struct {
	b       *Bridge
	client  *http.Client
	c       *inproc.Client
	targets []*target // forward_events', then forward_calls'

	mu      sync.Mutex
	pending map[uint64]*target   // request id of a SUBSCRIBE or REGISTER -> its target
	subs    map[uint64][]*target // subscription id -> targets
	regs    map[uint64]*target   // registration id -> target

	ctx    context.Context // canceled by stop: HTTP attempts and the rejoin loop end
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newOutbound(b *Bridge, cfg config.Bridge, join func(realm.LocalOptions) (*realm.Local, error)) *outbound {
	role := cfg.OutboundRole
	if role == "" {
		role = config.DefaultBridgeOutboundRole
	}
	o := &outbound{b: b,
		pending: map[uint64]*target{}, subs: map[uint64][]*target{}, regs: map[uint64]*target{},
		// The per-attempt timeout is the request's context; the client's
		// own bounds the connection setup.
		client: &http.Client{Transport: &http.Transport{
			Proxy:                 nil,
			MaxIdleConnsPerHost:   callWorkers,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 0, // the attempt's context bounds it
		}}}
	o.ctx, o.cancel = context.WithCancel(context.Background())
	for _, f := range cfg.ForwardEvents {
		t := newTarget("event", f.Topic, f.Target())
		t.match, _ = codec.ParseMatch(f.Match) // checked by config
		o.targets = append(o.targets, t)
	}
	for _, f := range cfg.ForwardCalls {
		o.targets = append(o.targets, newTarget("call", f.Procedure, f.Target()))
	}
	o.c = inproc.New(inproc.Options{
		Join: join,
		Session: realm.LocalOptions{AuthID: config.BridgeOutboundAuthID, AuthRole: role,
			AuthMethod: "trusted", AuthProvider: AuthProvider,
			Roles: map[string]any{"subscriber": map[string]any{}, "callee": map[string]any{}}},
		OnMessage: o.onMessage,
		OnJoin:    o.setup,
		Stop:      o.ctx.Done(),
		Log:       b.log,
	})
	return o
}

func newTarget(kind, uri string, f config.Forward) *target {
	t := &target{kind: kind, uri: uri, url: f.URL, retries: f.Retries,
		timeout: durationOr(f.Timeout, config.DefaultForwardTimeout)}
	n := f.Queue
	if n <= 0 {
		n = config.DefaultForwardQueue
	}
	t.queue = make(chan delivery, n)
	return t
}

// start joins the outbound session, subscribes and registers (each
// answered, or Start fails: a refused subscription is a configuration the
// realm's rules do not allow), then starts the workers; from then on the
// client rejoins a session that ended.
func (o *outbound) start() error {
	if err := o.c.Start(); err != nil {
		return err
	}
	for _, t := range o.targets {
		n := 1
		if t.kind == "call" {
			n = callWorkers
		}
		for range n {
			o.wg.Add(1)
			go o.work(t)
		}
	}
	return nil
}

// setup is the client's OnJoin: it subscribes and registers every target
// on s, a new session, each answered within setupTimeout.
func (o *outbound) setup(s *inproc.Session) error {
	o.mu.Lock()
	o.pending, o.subs, o.regs = map[uint64]*target{}, map[uint64][]*target{}, map[uint64]*target{}
	o.mu.Unlock()
	ctx, cancel := context.WithTimeout(o.ctx, setupTimeout)
	defer cancel()
	for _, t := range o.targets {
		m := &codec.Message{Type: codec.Subscribe, URI: t.uri}
		if t.kind == "call" {
			m.Type = codec.Register
		} else if t.match != codec.MatchExact {
			m.Options = codec.Options{Has: codec.HasMatch, Match: t.match}
		}
		a, err := s.Request(ctx, func(req uint64) (*codec.Message, error) {
			o.mu.Lock()
			o.pending[req] = t
			o.mu.Unlock()
			m.Request = req
			return m, nil
		})
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("%s %q: no answer in %v", m.Type, m.URI, setupTimeout)
		case err != nil:
			return fmt.Errorf("%s %q: %w", m.Type, m.URI, err)
		case a.Type == codec.Error:
			return fmt.Errorf("%s %q refused: %s", m.Type, m.URI, a.URI)
		}
	}
	return nil
}

// stop cancels attempts in flight, waits for the workers, counts what was
// left queued as dropped, and leaves the realm.
func (o *outbound) stop() {
	o.cancel()
	o.wg.Wait()
	for _, t := range o.targets {
		for {
			select {
			case <-t.queue:
				t.dropped.Add(1)
				continue
			default:
			}
			break
		}
	}
	o.c.Close()
}

// eventBody is the JSON POSTed for an EVENT.
type eventBody struct {
	Topic   string          `json:"topic"`
	Args    json.RawMessage `json:"args"`
	Kwargs  json.RawMessage `json:"kwargs"`
	Details json.RawMessage `json:"details"`
}

// callBody is the JSON POSTed for an INVOCATION.
type callBody struct {
	Procedure string          `json:"procedure"`
	Args      json.RawMessage `json:"args"`
	Kwargs    json.RawMessage `json:"kwargs"`
}

// callAnswer is what a call endpoint answers.
type callAnswer struct {
	Error  string          `json:"error"`
	Args   json.RawMessage `json:"args"`
	Kwargs json.RawMessage `json:"kwargs"`
}

// onMessage runs on the session's goroutine and never blocks. m is valid
// only during the call: a delivery's body is a new buffer.
func (o *outbound) onMessage(s *inproc.Session, m *codec.Message) {
	switch m.Type {
	case codec.Subscribed, codec.Registered:
		o.mu.Lock()
		if t := o.pending[m.Request]; t != nil {
			delete(o.pending, m.Request)
			if m.Type == codec.Subscribed {
				o.subs[m.ID] = append(o.subs[m.ID], t)
			} else {
				o.regs[m.ID] = t
			}
		}
		o.mu.Unlock()
	case codec.Event:
		o.mu.Lock()
		ts := o.subs[m.ID]
		o.mu.Unlock()
		if len(ts) == 0 {
			return
		}
		topic := m.Options.Topic
		if topic == "" {
			topic = ts[0].uri
		}
		body, _ := json.Marshal(eventBody{Topic: topic, Args: orJSON(toJSON(m.PayloadSer, m.Args), "[]"),
			Kwargs: orJSON(toJSON(m.PayloadSer, m.Kwargs), "{}"), Details: orJSON(toJSON(m.PayloadSer, m.Dict), "{}")})
		for _, t := range ts {
			t.put(delivery{body: body})
		}
	case codec.Invocation:
		o.mu.Lock()
		t := o.regs[m.ID]
		o.mu.Unlock()
		if t == nil {
			return
		}
		body, _ := json.Marshal(callBody{Procedure: t.uri, Args: orJSON(toJSON(m.PayloadSer, m.Args), "[]"),
			Kwargs: orJSON(toJSON(m.PayloadSer, m.Kwargs), "{}")})
		if !t.put(delivery{body: body, req: m.Request, s: s}) {
			o.answerError(s, m.Request, string(codec.ErrLimitExceeded), "forward queue full")
		}
	}
}

func orJSON(b []byte, def string) json.RawMessage {
	if b == nil {
		return json.RawMessage(def)
	}
	return b
}

// put queues d, or counts it dropped when the queue is full.
func (t *target) put(d delivery) bool {
	select {
	case t.queue <- d:
		return true
	default:
		t.dropped.Add(1)
		return false
	}
}

// work delivers t's queue until stop.
func (o *outbound) work(t *target) {
	defer o.wg.Done()
	for {
		select {
		case <-o.ctx.Done():
			return
		case d := <-t.queue:
			ans, err := o.deliver(t, d)
			if d.req == 0 {
				continue
			}
			if err != nil {
				o.answerError(d.s, d.req, string(ErrForwardFailed), err.Error())
				continue
			}
			o.answer(d.s, d.req, ans)
		}
	}
}

// errRetry marks an attempt worth retrying (no answer, a timeout, 5xx,
// 408, 429).
var errRetry = errors.New("bridge: retry")

// deliver POSTs d with t's retries and backoff; it returns the last
// answer's body (read up to maxAnswer) of a 2xx, or of any status when it
// is a JSON error object (a call endpoint saying "error").
func (o *outbound) deliver(t *target, d delivery) ([]byte, error) {
	var err error
	for attempt := 0; attempt <= t.retries; attempt++ {
		if attempt > 0 {
			t.retried.Add(1)
			wait := min(backoffBase<<(attempt-1), backoffMax)
			select {
			case <-time.After(wait):
			case <-o.ctx.Done():
				t.failed.Add(1)
				return nil, ErrClosed
			}
		}
		var body []byte
		body, err = o.attempt(t, d)
		if err == nil {
			t.delivered.Add(1)
			return body, nil
		}
		if !errors.Is(err, errRetry) {
			break
		}
	}
	t.failed.Add(1)
	o.b.log.Debug("bridge forward failed", "realm", o.b.realm, "kind", t.kind, "uri", t.uri, "url", t.url, "err", err)
	return nil, err
}

// attempt is one POST of d, bounded by t.timeout.
func (o *outbound) attempt(t *target, d delivery) ([]byte, error) {
	ctx, cancel := context.WithTimeout(o.ctx, t.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(d.body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := o.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.timeouts.Add(1)
			return nil, fmt.Errorf("%w: timed out after %v", errRetry, t.timeout)
		}
		if o.ctx.Err() != nil {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("%w: %w", errRetry, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		t.timeouts.Add(1)
		return nil, fmt.Errorf("%w: timed out reading the answer after %v", errRetry, t.timeout)
	case err != nil:
		return nil, fmt.Errorf("%w: reading the answer: %w", errRetry, err)
	case len(body) > maxAnswer:
		return nil, fmt.Errorf("answer larger than %d bytes", maxAnswer)
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return body, nil
	case d.req != 0 && isErrorAnswer(body):
		return body, nil
	case res.StatusCode >= 500 || res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("%w: %s", errRetry, res.Status)
	}
	return nil, fmt.Errorf("%s answered %s", t.url, res.Status)
}

func isErrorAnswer(body []byte) bool {
	var a callAnswer
	return json.Unmarshal(body, &a) == nil && a.Error != ""
}

// answer YIELDs a call endpoint's answer, or ERRORs what it says is an
// error (or what is not an answer).
func (o *outbound) answer(s *inproc.Session, req uint64, body []byte) {
	var a callAnswer
	d := json.NewDecoder(bytes.NewReader(body))
	if len(bytes.TrimSpace(body)) == 0 {
		a = callAnswer{} // an empty 2xx body: a YIELD with nothing
	} else if err := d.Decode(&a); err != nil {
		o.answerError(s, req, string(ErrForwardFailed), "answer is not a JSON object: "+err.Error())
		return
	}
	for _, f := range [...]struct {
		v    *json.RawMessage
		open byte
	}{{&a.Args, '['}, {&a.Kwargs, '{'}} {
		if len(*f.v) == 0 || string(*f.v) == "null" {
			*f.v = nil
		} else if (*f.v)[0] != f.open {
			o.answerError(s, req, string(ErrForwardFailed), "answer's args must be a list and kwargs an object")
			return
		}
	}
	typ, uri := codec.Yield, ""
	if a.Error != "" {
		typ, uri = codec.Error, a.Error
	}
	o.send(s, typ, req, uri, a.Args, a.Kwargs)
}

// answerError answers an INVOCATION with an ERROR of uri and one argument.
func (o *outbound) answerError(s *inproc.Session, req uint64, uri, msg string) {
	args, _ := json.Marshal([]string{msg})
	o.send(s, codec.Error, req, uri, args, nil)
}

// send sends a YIELD or an ERROR (to an INVOCATION) built as JSON text,
// as the inbound half does, on s, the session the INVOCATION came on.
func (o *outbound) send(s *inproc.Session, typ codec.Type, req uint64, uri string, args, kwargs json.RawMessage) {
	var text []byte
	if typ == codec.Error {
		u, _ := json.Marshal(uri)
		text = fmt.Appendf(nil, "[%d,%d,%d,{},%s", codec.Error, codec.Invocation, req, u)
	} else {
		text = fmt.Appendf(nil, "[%d,%d,{}", codec.Yield, req)
	}
	if args != nil || kwargs != nil {
		if args == nil {
			args = json.RawMessage("[]")
		}
		text = append(append(text, ','), args...)
	}
	if kwargs != nil {
		text = append(append(text, ','), kwargs...)
	}
	text = append(text, ']')
	var m codec.Message
	if err := codec.Decode(codec.JSON, text, &m); err != nil {
		// An error URI that is not a URI: answer with ours instead.
		if typ == codec.Error && uri != string(ErrForwardFailed) {
			o.answerError(s, req, string(ErrForwardFailed), "answer's error is not a valid URI")
		}
		return
	}
	if typ == codec.Error && !wampuri.Valid(m.URI, codec.MatchExact) {
		o.answerError(s, req, string(ErrForwardFailed), "answer's error is not a valid URI")
		return
	}
	_ = s.Send(&m) // fails only when s ended: its caller got an ERROR already
}

// Stats are the bridge's outbound counters, one per target in
// configuration order (events first), nil without targets; the admin
// collector can read them at scrape time (atomics: reading costs the
// delivery path nothing). Call it once Start has returned.
func (b *Bridge) Stats() []TargetStats {
	if b.out == nil {
		return nil
	}
	out := make([]TargetStats, 0, len(b.out.targets))
	for _, t := range b.out.targets {
		out = append(out, TargetStats{Kind: t.kind, URI: t.uri, URL: t.url,
			Delivered: t.delivered.Load(), Retries: t.retried.Load(), Failed: t.failed.Load(),
			Timeouts: t.timeouts.Load(), Dropped: t.dropped.Load(), Queued: len(t.queue)})
	}
	return out
}
