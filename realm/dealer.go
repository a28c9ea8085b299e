package realm

import (
	"strconv"
	"strings"
	"time"

	"github.com/wampd/wampd/codec"
)

// registration is one procedure (or pattern) with its callees; more than
// one callee only for a shared registration (invoke != single). Only the
// realm's actor goroutine touches it.
type registration struct {
	id        uint64
	procedure string // cloned: the REGISTER buffer is recycled
	match     codec.Match
	invoke    codec.Invoke
	created   time.Time
	disclose  bool       // REGISTER disclose_caller: every INVOCATION names its caller
	callees   []*Session // in registration order (first/last need it)
	next      int        // round-robin cursor
}

// call is one routed CALL waiting for its callee's answer, indexed by the
// caller (CALL request id) and by the callee (INVOCATION request id).
// Records are recycled through dealer.free.
type call struct {
	caller    *Session
	callerReq uint64
	callee    *Session
	invID     uint64
	start     int64       // the actor's coarse clock when the CALL was handled (latency.go)
	progress  bool        // the caller asked for progressive results
	killed    bool        // CANCEL mode=kill sent INTERRUPT; waiting for the callee
	timer     *time.Timer // dealer-side call timeout, nil without one
	stream    *stream     // a progressive call invocation still sending chunks, else nil
	// router is set for a call the router itself makes (a dynamic
	// authorizer): caller is nil and the answer goes to router.
	router *authzWait
}

// stream is what the chunks of a progressive call invocation repeat of
// the first CALL: its options are frozen there (the spec), so every
// INVOCATION carries the same details. Strings are cloned: the first
// CALL's buffer is recycled.
type stream struct {
	regID uint64
	inv   codec.Options    // INVOCATION details but progress
	ext   codec.OptionsExt // their out-of-line part (inv.Ext points here when used)
}

// dealer holds the realm's registrations and pending calls. Only the realm's
// actor goroutine touches it.
type dealer struct {
	byID    map[uint64]*registration
	byURI   patternIndex[*registration]
	matched []*registration // scratch of call, reused
	free    []*call
	// cluster is the cluster's registration table as last heard, by
	// clusterKey (cluster.go); empty on a single node.
	cluster map[string]*ClusterRegistration
	// awaiting are the registrations (cluster keys) that list a session
	// not known here yet, by session id: its shadow's join reconciles them.
	awaiting map[uint64][]string
	pending  int              // calls waiting for their callee, realm-wide
	invExt   codec.OptionsExt // scratch: an INVOCATION's out-of-line details
}

func (d *dealer) init() {
	d.byID = make(map[uint64]*registration)
	d.cluster = make(map[string]*ClusterRegistration)
	d.byURI.init()
	d.matched = make([]*registration, 0, 4)
}

// Cancel modes (CANCEL.Options.mode).
const (
	modeSkip       = "skip"
	modeKill       = "kill"
	modeKillNoWait = "killnowait"
)

// register handles REGISTER [64, Request, Options, Procedure].
func (d *dealer) register(r *Realm, s *Session, m *codec.Message) {
	match, invoke := m.Options.Match, m.Options.Invoke
	if match > codec.MatchWildcard || invoke > codec.InvokeLast {
		r.sendError(s, codec.Register, m.Request, codec.ErrInvalidArgument, "unknown match or invoke policy")
		return
	}
	if !validURI(m.URI, match) {
		r.sendError(s, codec.Register, m.Request, codec.ErrInvalidURI,
			"invalid procedure URI '"+m.URI+"' for match policy "+matchName(match))
		return
	}
	if reservedURI(m.URI) {
		r.sendError(s, codec.Register, m.Request, codec.ErrInvalidURI,
			"register of reserved procedure URI '"+m.URI+"'")
		return
	}
	if _, no := r.denied(s, ActRegister, m.URI, codec.Register, m.Request, true); no {
		return
	}
	if max := r.opts.Limits.RegistrationsPerSession; max > 0 && len(s.regs) >= max {
		r.sendError(s, codec.Register, m.Request, codec.ErrLimitExceeded,
			"registration limit reached (max "+strconv.Itoa(max)+" per session)")
		return
	}
	reg := d.byURI.get(m.URI, match)
	if reg != nil && reg.refuses(s, invoke) {
		r.sendError(s, codec.Register, m.Request, codec.ErrProcedureAlreadyExists,
			"procedure '"+m.URI+"' is already registered")
		return
	}
	if r.cluster != nil {
		d.clusterRegister(r, s, m) // REGISTERED when the cluster agrees
		return
	}
	created := false
	if reg == nil {
		reg = &registration{id: freshID(r, d.byID), procedure: strings.Clone(m.URI), match: match,
			invoke: invoke, created: time.Now(), disclose: m.Options.DiscloseCaller}
		d.byID[reg.id] = reg
		d.byURI.add(reg.procedure, match, reg)
		created = true
	}
	d.addCallee(r, reg, s, m.Request, created)
}

// refuses reports whether reg cannot take s as one more callee with
// policy invoke: procedure_already_exists.
func (reg *registration) refuses(s *Session, invoke codec.Invoke) bool {
	return reg.invoke == codec.InvokeSingle || reg.invoke != invoke || reg.has(s)
}

// addCallee makes s a callee of reg (new when created) and sends its
// REGISTERED for request, with the meta events.
func (d *dealer) addCallee(r *Realm, reg *registration, s *Session, request uint64, created bool) {
	if !reg.has(s) {
		reg.callees = append(reg.callees, s)
	}
	lazyMap(&s.regs)[reg.id] = struct{}{}
	reply := codec.Message{Type: codec.Registered, Request: request, ID: reg.id}
	r.send(s, &reply, false)
	if created && r.watched(metaRegOnCreate) {
		r.metaEvent(metaRegOnCreate, []any{s.ID, registrationDetails(reg)})
	}
	if r.watched(metaRegOnRegister) {
		r.metaEvent(metaRegOnRegister, []any{s.ID, reg.id})
	}
}

func (reg *registration) has(s *Session) bool {
	for _, c := range reg.callees {
		if c == s {
			return true
		}
	}
	return false
}

// unregister handles UNREGISTER [66, Request, REGISTERED.Registration].
func (d *dealer) unregister(r *Realm, s *Session, m *codec.Message) {
	reg := d.byID[m.ID]
	if reg == nil || !reg.has(s) {
		r.sendError(s, codec.Unregister, m.Request, codec.ErrNoSuchRegistration, "no such registration")
		return
	}
	d.drop(r, reg, s)
	delete(s.regs, reg.id)
	reply := codec.Message{Type: codec.Unregistered, Request: m.Request}
	r.send(s, &reply, false)
}

// drop removes callee s from reg, and reg from the dealer when it was the
// last, with their meta events. Invocations already sent stay pending.
func (d *dealer) drop(r *Realm, reg *registration, s *Session) {
	for i, c := range reg.callees {
		if c == s {
			copy(reg.callees[i:], reg.callees[i+1:])
			reg.callees[len(reg.callees)-1] = nil
			reg.callees = reg.callees[:len(reg.callees)-1]
			break
		}
	}
	if r.cluster != nil && !s.remote {
		r.cluster.Unregister(reg.procedure, reg.match, s.ID)
	}
	if r.watched(metaRegOnUnregister) {
		r.metaEvent(metaRegOnUnregister, []any{s.ID, reg.id})
	}
	if len(reg.callees) > 0 {
		return
	}
	delete(d.byID, reg.id)
	d.byURI.remove(reg.procedure, reg.match)
	if r.watched(metaRegOnDelete) {
		r.metaEvent(metaRegOnDelete, []any{s.ID, reg.id})
	}
}

// route finds the registration for a called procedure as the spec says:
// an exact one first, then the longest matching prefix, then the wildcard
// pattern with the longest literal portions (wildcardIndex.best).
func (d *dealer) route(procedure string) *registration {
	if reg := d.byURI.exact[procedure]; reg != nil {
		return reg
	}
	if reg, ok := d.byURI.prefix.longest(procedure); ok {
		return reg
	}
	if reg, ok := d.byURI.wild.best(procedure); ok {
		return reg
	}
	return nil
}

// pick chooses the callee of reg for one call per its invoke policy.
func (d *dealer) pick(r *Realm, reg *registration) *Session {
	n := len(reg.callees)
	switch reg.invoke {
	case codec.InvokeLast:
		return reg.callees[n-1]
	case codec.InvokeRoundRobin:
		if reg.next >= n {
			reg.next = 0
		}
		s := reg.callees[reg.next]
		reg.next++
		return s
	case codec.InvokeRandom:
		return reg.callees[r.rng.IntN(n)]
	}
	return reg.callees[0] // single, first
}

// call handles CALL [48, Request, Options, Procedure, Args?, Kwargs?] and
// sends INVOCATION [68, Request, Registration, Details, Args?, Kwargs?].
// A CALL with progress: true starts (or continues) a progressive call
// invocation: every chunk goes to the same callee under one INVOCATION
// request id, until a CALL without progress ends the input.
func (d *dealer) call(r *Realm, s *Session, m *codec.Message) {
	if c := s.calls[m.Request]; c != nil {
		if c.stream != nil && c.callee.remote {
			if !m.Options.Progress {
				c.stream = nil
			}
			d.forwardRaw(r, s, c, false)
			return
		}
		if c.stream != nil {
			if c.killed { // canceled (mode kill): the callee is being interrupted
				if !m.Options.Progress {
					c.stream = nil
				}
				return
			}
			d.chunk(r, c, m)
			return
		}
		r.closeSession(s, codec.Abort, codec.ErrProtocolViolation, "CALL request id already in use")
		return
	}
	if s.more != nil && s.more.ended != nil {
		if _, ok := s.more.ended[m.Request]; ok {
			// A chunk of a progressive call that already ended (answered,
			// canceled, its callee gone): discarded silently, as the spec
			// says; the last chunk forgets the id.
			if !m.Options.Progress {
				delete(s.more.ended, m.Request)
			}
			return
		}
	}
	// A procedure registered for exact match passed the same validURI
	// check when it was registered, so a hit needs no second look (the
	// check was 2% of the router's CPU in 8x16 RPC).
	reg := d.byURI.exact[m.URI]
	if reg == nil && !validURI(m.URI, codec.MatchExact) {
		r.sendError(s, codec.Call, m.Request, codec.ErrInvalidURI, "invalid procedure URI '"+m.URI+"'")
		return
	}
	var authz decision // a realm without roles pays one check here, no call
	if s.remote {
		// A CALL another node routed here: that node authorized it, and
		// says whether its authorizer wants the caller disclosed.
		authz.disclose = r.current != nil && r.current.Remote.Disclose
	} else if r.authz.on {
		var no bool
		if authz, no = r.denied(s, ActCall, m.URI, codec.Call, m.Request, true); no {
			return
		}
	}
	if reg == nil {
		if reservedURI(m.URI) && !r.opts.NoMetaAPI {
			if p := lookupMeta(m.URI); p != nil {
				r.callMeta(s, m, p)
				return
			}
		}
		reg = d.route(m.URI)
	}
	if reg == nil {
		if r.cluster != nil && !s.remote && r.current != nil && !r.current.lookedUp {
			// The registration may be on its way to this node: the CALL
			// waits for one read of the cluster's table.
			r.current.lookedUp = true
			r.cluster.Lookup(s.ID, m.URI)
			r.park(r.current)
			return
		}
		r.sendError(s, codec.Call, m.Request, codec.ErrNoSuchProcedure,
			"no callee registered for procedure '"+m.URI+"'")
		return
	}
	ppt := m.Options.PPTOn()
	if ppt && s.features()&featCallerPPT == 0 {
		r.closeSession(s, codec.Abort, codec.ErrProtocolViolation,
			"CALL with ppt_scheme from a caller that did not announce payload_passthru_mode")
		return
	}
	if m.Options.Progress && s.features()&featCallerPCI == 0 {
		r.closeSession(s, codec.Abort, codec.ErrProtocolViolation,
			"CALL with progress from a caller that did not announce progressive_call_invocations")
		return
	}
	if max := r.opts.Limits.PendingCallsPerSession; max > 0 && len(s.calls) >= max {
		r.sendError(s, codec.Call, m.Request, codec.ErrLimitExceeded,
			"pending call limit reached (max "+strconv.Itoa(max)+" per session)")
		return
	}
	if max := r.opts.Limits.PendingCallsPerRealm; max > 0 && d.pending >= max {
		r.sendError(s, codec.Call, m.Request, codec.ErrLimitExceeded,
			"pending call limit reached (max "+strconv.Itoa(max)+" per realm)")
		return
	}
	var callee *Session
	if s.remote { // a CALL another node routed to one of our callees
		callee = r.sessions[r.current.Remote.Target]
		if callee == nil || callee.remote || !reg.has(callee) {
			r.sendError(s, codec.Call, m.Request, codec.ErrCanceled,
				"the callee left before the call reached it")
			return
		}
	} else {
		callee = d.pick(r, reg)
	}
	if m.Options.Progress && (callee.features()&featCalleePCI == 0 || !callee.canceling()) {
		r.sendError(s, codec.Call, m.Request, codec.ErrFeatureNotSupported,
			"the callee does not support progressive call invocations")
		return
	}
	if ppt && callee.features()&featCalleePPT == 0 {
		r.sendError(s, codec.Call, m.Request, codec.ErrFeatureNotSupported,
			"the callee does not support payload passthru mode")
		return
	}
	if callee.remote {
		d.forward(r, s, m, callee, authz.disclose)
		return
	}
	c := d.record(r, s, m, callee)

	inv := codec.Message{
		Type: codec.Invocation, Request: c.invID, ID: reg.id,
		Args: m.Args, Kwargs: m.Kwargs, PayloadSer: m.PayloadSer,
	}
	disclose := m.Options.DiscloseMe || reg.disclose || authz.disclose
	if disclose || ppt {
		d.invExt = codec.OptionsExt{}
		inv.Options.Ext = &d.invExt
	}
	if disclose {
		inv.Options.Has |= codec.HasCaller | codec.HasCallerAuthID | codec.HasCallerAuthRole
		inv.Options.Caller = s.ID
		d.invExt.CallerAuthID, d.invExt.CallerAuthRole = s.AuthID, s.AuthRole
	}
	if reg.match != codec.MatchExact {
		inv.Options.Has |= codec.HasProcedure
		inv.Options.Procedure = m.URI
	}
	if c.progress {
		inv.Options.Has |= codec.HasReceiveProgress
		inv.Options.ReceiveProgress = true
	}
	if ppt {
		inv.Options.Has |= m.Options.Has & codec.HasPPT
		copyPPT(&d.invExt, m.Options.Ext)
	}
	if m.Options.Timeout > 0 {
		d.startTimer(r, c, time.Duration(m.Options.Timeout)*time.Millisecond)
	}
	if m.Options.Progress {
		st := &stream{regID: reg.id, inv: inv.Options}
		st.inv.Procedure = strings.Clone(inv.Options.Procedure)
		if inv.Options.Ext != nil {
			st.ext.CallerAuthID, st.ext.CallerAuthRole = d.invExt.CallerAuthID, d.invExt.CallerAuthRole
			clonePPT(&st.ext, &d.invExt)
			st.inv.Ext = &st.ext
		}
		c.stream = st
		inv.Options.Has |= codec.HasProgress
		inv.Options.Progress = true
	}
	r.stats.calls.Add(1)
	r.sendFrom(callee, &inv, s)
}

// record makes the pending call of s's CALL m for callee, indexed by the
// caller's request id and the callee's next INVOCATION request id.
func (d *dealer) record(r *Realm, s *Session, m *codec.Message, callee *Session) *call {
	c := d.newCall()
	c.caller, c.callerReq, c.callee = s, m.Request, callee
	c.start = r.clock.read()
	c.progress = m.Options.ReceiveProgress
	callee.invSeq++
	c.invID = callee.invSeq
	lazyMap(&callee.invs)[c.invID] = c
	lazyMap(&s.calls)[m.Request] = c
	d.pending++
	return c
}

// chunk forwards one more CALL of a progressive call invocation to its
// callee: the details of the first CALL, progress as this one says; the
// options of later CALLs are ignored, as the spec says.
func (d *dealer) chunk(r *Realm, c *call, m *codec.Message) {
	inv := codec.Message{
		Type: codec.Invocation, Request: c.invID, ID: c.stream.regID,
		Args: m.Args, Kwargs: m.Kwargs, PayloadSer: m.PayloadSer, Options: c.stream.inv,
	}
	if m.Options.Progress {
		inv.Options.Has |= codec.HasProgress
		inv.Options.Progress = true
	} else {
		c.stream = nil // the input is complete; the call waits for its result
	}
	r.sendFrom(c.callee, &inv, c.caller)
}

// startTimer arms the dealer-side timeout of c: the timer only posts an
// item to the inbox, so the actor never waits and owns the outcome.
func (d *dealer) startTimer(r *Realm, c *call, after time.Duration) {
	callee, invID := c.callee, c.invID
	c.timer = time.AfterFunc(after, func() {
		in := &Inbound{kind: itemTimeout, Sess: callee}
		in.Msg.Request = invID
		r.enqueue(in)
	})
}

// yield handles YIELD [70, INVOCATION.Request, Options, Args?, Kwargs?] and
// sends RESULT [50, CALL.Request, Details, Args?, Kwargs?].
func (d *dealer) yield(r *Realm, s *Session, m *codec.Message) {
	c := s.invs[m.Request]
	if c == nil {
		return // answer to a call canceled, timed out or whose caller left
	}
	if c.router != nil {
		if !m.Options.Progress {
			w := c.router
			d.finish(c)
			r.authorized(w, m.PayloadSer, m.Args, "")
		}
		return
	}
	res := codec.Message{
		Type: codec.Result, Request: c.callerReq,
		Args: m.Args, Kwargs: m.Kwargs, PayloadSer: m.PayloadSer,
	}
	if m.Options.PPTOn() {
		if c.caller.features()&featCallerPPT == 0 {
			// The caller cannot read a passthru payload: it gets an error
			// in place of the result, and the call ends.
			caller, req := c.caller, c.callerReq
			d.finish(c)
			r.sendError(caller, codec.Call, req, codec.ErrFeatureNotSupported,
				"the callee answered in payload passthru mode, which the caller did not announce")
			return
		}
		// Forwarded as they are: they alias the YIELD, encoded right away.
		res.Options.Has |= m.Options.Has & codec.HasPPT
		res.Options.Ext = m.Options.Ext
	}
	if m.Options.Progress {
		if !c.progress || c.killed {
			return // the caller did not ask for progressive results
		}
		res.Options.Has |= codec.HasProgress
		res.Options.Progress = true
		r.sendFrom(c.caller, &res, s)
		return
	}
	caller, start := c.caller, c.start
	d.finish(c)
	if r.sendFrom(caller, &res, s) {
		r.latency.observe(r.clock.read() - start)
	}
}

// calleeError handles ERROR [8, INVOCATION, Request, Details, Error,
// Args?, Kwargs?] and passes it to the caller as an ERROR for its CALL.
func (d *dealer) calleeError(r *Realm, s *Session, m *codec.Message) {
	c := s.invs[m.Request]
	if c == nil {
		return
	}
	if c.router != nil {
		w := c.router
		d.finish(c)
		r.authorized(w, 0, nil, m.URI)
		return
	}
	e := codec.Message{
		Type: codec.Error, ReqType: codec.Call, Request: c.callerReq, URI: m.URI,
		Dict: m.Dict, Args: m.Args, Kwargs: m.Kwargs, PayloadSer: m.PayloadSer,
	}
	caller := c.caller
	d.finish(c)
	r.send(caller, &e, false)
}

// cancel handles CANCEL [49, CALL.Request, Options] (modes skip, kill,
// killnowait; a callee without call_canceling is always skipped).
func (d *dealer) cancel(r *Realm, s *Session, m *codec.Message) {
	c := s.calls[m.Request]
	if c == nil || c.killed {
		return // already answered, or a kill is in flight
	}
	if c.callee.remote { // the callee's node cancels it and answers
		d.forwardRaw(r, s, c, false)
		return
	}
	mode := modeKillNoWait
	if m.Options.Has&codec.HasMode != 0 {
		mode = m.Options.Mode
	}
	switch mode {
	case modeSkip, modeKill, modeKillNoWait:
	default:
		r.sendError(s, codec.Cancel, m.Request, codec.ErrInvalidArgument, "unknown cancel mode '"+mode+"'")
		return
	}
	if !c.callee.canceling() {
		mode = modeSkip
	}
	if mode != modeSkip {
		d.interrupt(r, c, mode, codec.ErrCanceled)
	}
	if mode == modeKill {
		c.killed = true // the callee's ERROR or RESULT goes to the caller
		return
	}
	req := c.callerReq
	d.finish(c)
	r.sendError(s, codec.Call, req, codec.ErrCanceled, "call canceled by the caller")
}

// interrupt sends INTERRUPT [69, INVOCATION.Request, Options] to c's callee.
func (d *dealer) interrupt(r *Realm, c *call, mode string, reason codec.URI) {
	if c.callee.remote {
		return // its node interrupts it when it learns the caller left
	}
	m := codec.Message{Type: codec.Interrupt, Request: c.invID}
	m.Options.Has = codec.HasMode | codec.HasReason
	m.Options.Mode = mode
	m.Options.Reason = reason
	r.send(c.callee, &m, false)
}

// timeout handles the expiry of a dealer-side call timeout: the caller gets
// wamp.error.timeout, the callee an INTERRUPT if it can take one.
func (d *dealer) timeout(r *Realm, callee *Session, invID uint64) {
	c := callee.invs[invID]
	if c == nil {
		return // answered before the timer's item was handled
	}
	c.timer = nil
	switch {
	case callee.remote:
		d.cancelRemote(r, c)
	case callee.canceling() && !c.killed:
		d.interrupt(r, c, modeKillNoWait, codec.ErrTimeout)
	}
	caller, req, w := c.caller, c.callerReq, c.router
	d.finish(c)
	if w != nil {
		r.authorized(w, 0, nil, codec.ErrTimeout)
		return
	}
	r.sendError(caller, codec.Call, req, codec.ErrTimeout, "call timed out")
}

// maxEnded bounds the ended progressive calls a caller's later chunks are
// dropped for; past it the set starts over (a chunk of a forgotten one is
// then taken for a new call).
const maxEnded = 64

// finish forgets c on both sides and recycles it. A progressive call
// whose input was still open leaves its id behind, so the caller's
// remaining chunks are dropped instead of starting new calls.
func (d *dealer) finish(c *call) {
	delete(c.callee.invs, c.invID)
	if c.caller == nil { // the router's own call
		d.pending--
		d.recycle(c)
		return
	}
	delete(c.caller.calls, c.callerReq)
	if c.stream != nil && c.caller.state == stateJoined {
		more := c.caller.extra()
		if len(more.ended) >= maxEnded {
			clear(more.ended)
		}
		lazyMap(&more.ended)[c.callerReq] = struct{}{}
	}
	d.pending--
	d.recycle(c)
}

func (d *dealer) newCall() *call {
	if n := len(d.free); n > 0 {
		c := d.free[n-1]
		d.free[n-1] = nil
		d.free = d.free[:n-1]
		return c
	}
	return new(call)
}

func (d *dealer) recycle(c *call) {
	if c.timer != nil {
		c.timer.Stop()
	}
	*c = call{}
	d.free = append(d.free, c)
}

// removeSession drops the registrations of s, answers the calls waiting on
// it as callee with wamp.error.canceled, and forgets its calls as caller
// (interrupting their callees when they support it).
func (d *dealer) removeSession(r *Realm, s *Session) {
	for id := range s.regs {
		if reg := d.byID[id]; reg != nil {
			d.drop(r, reg, s)
		}
	}
	clear(s.regs)
	for _, c := range s.invs {
		caller, req, w := c.caller, c.callerReq, c.router
		d.finish(c)
		if w != nil {
			r.authorized(w, 0, nil, codec.ErrCanceled)
			continue
		}
		if caller.state == stateJoined {
			msg := "callee left before answering the call"
			if r.nodeLost {
				msg = "the callee's node left the cluster before answering the call"
			}
			r.sendError(caller, codec.Call, req, codec.ErrCanceled, msg)
		}
	}
	for _, c := range s.calls {
		callee := c.callee
		if callee.state == stateJoined && callee.canceling() && !c.killed {
			d.interrupt(r, c, modeKillNoWait, codec.ErrCanceled)
		}
		d.finish(c)
	}
}

// callRouter makes a call of the router's own (a dynamic authorizer): an
// INVOCATION of proc's callee with args, whose answer goes to w instead of
// a caller; the call's timeout is after. It reports false when nobody has
// registered proc.
func (d *dealer) callRouter(r *Realm, proc string, args []any, w *authzWait, after time.Duration) bool {
	reg := d.route(proc)
	if reg == nil {
		return false
	}
	callee := d.pick(r, reg)
	if callee.remote {
		// The router's own INVOCATION cannot cross nodes (its answer has no
		// caller there to go to): a callee of this node, if there is one.
		callee = nil
		for _, c := range reg.callees {
			if !c.remote {
				callee = c
				break
			}
		}
		if callee == nil {
			r.log.Warn("dynamic authorizer has no callee on this node", "procedure", proc)
			return false
		}
	}
	a, err := codec.AppendValue(callee.ser, nil, args)
	if err != nil {
		r.log.Error("encode authorizer call", "procedure", proc, "err", err)
		return false
	}
	c := d.newCall()
	c.callee, c.router = callee, w
	callee.invSeq++
	c.invID = callee.invSeq
	lazyMap(&callee.invs)[c.invID] = c
	d.pending++
	inv := codec.Message{Type: codec.Invocation, Request: c.invID, ID: reg.id, Args: a, PayloadSer: callee.ser}
	if reg.match != codec.MatchExact {
		inv.Options.Has |= codec.HasProcedure
		inv.Options.Procedure = proc
	}
	d.startTimer(r, c, after)
	r.send(callee, &inv, false)
	return true
}
