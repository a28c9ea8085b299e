// Advanced Profile interop scenarios for wampd, with Autobahn|JS.
//
// Run by cmd/wampd/advanced_interop_test.go against a wampd serving
// examples/advanced.yaml (realm1 with event history on conf.history and
// conf.hist.*, realm2; anonymous, meta API on):
//   node --experimental-websocket advanced.js SCENARIO --url ws://127.0.0.1:PORT/ws --serializer json|msgpack|cbor
// Every check prints "OK <name>" or "FAIL <name>: <why>"; the process exits 0
// only when every check passed.
//
// Autobahn|JS 26 passes PUBLISH, SUBSCRIBE, CALL and REGISTER options through
// as given, so black/white lists, retain/get_retained and disclose_me need no
// help. It announces neither progressive_call_invocations nor
// payload_passthru_mode (and its callee not call_canceling), so those are
// tested with Autobahn|Python's raw peer only (py/advanced.py).
'use strict';

const util = require('util');
const { connect, leave, runMain, short, withTimeout, TIMEOUT_MS } = require('./interop.js');

const NO_SUCH_SESSION = 'wamp.error.no_such_session';

// Inbox collects items and lets a check await the first one matching a
// predicate, whether it came already or comes later.
class Inbox {
  constructor() { this.items = []; this.waiters = []; }
  put(item) {
    this.items.push(item);
    for (const w of this.waiters.slice()) {
      if (w.pred(item)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(item); }
    }
  }
  get(pred, ms) {
    const found = this.items.find(pred || (() => true));
    if (found !== undefined) return Promise.resolve(found);
    return withTimeout(new Promise((resolve) => { this.waiters.push({ pred: pred || (() => true), resolve }); }), ms || TIMEOUT_MS);
  }
  find(pred) { return this.items.filter(pred); }
}

// Ctx is what every scenario gets: options, checks, a tag for its URIs and
// the sessions to close at the end.
class Ctx {
  constructor(opts, c) {
    this.opts = opts;
    this.c = c;
    this.tag = 'js_' + opts.serializer;
    this.sessions = [];
  }
  async join(realm) {
    const s = await connect(this.opts, realm || 'realm1');
    s.id = s.session.id; // the session forgets it once closed
    s.authid = s.welcome.authid;
    this.sessions.push(s);
    return s;
  }
  async close() {
    for (const s of this.sessions) {
      try { await leave(s); } catch (e) { /* best effort */ }
    }
  }
  // wait awaits an inbox item; reports a failure and returns null on timeout.
  async wait(name, inbox, pred, ms) {
    try {
      const it = await inbox.get(pred, ms);
      this.c.ok(name);
      return it;
    } catch (e) {
      this.c.fail(name, 'nothing matching; got ' + short(inbox.items));
      return null;
    }
  }
}

// watch subscribes s to topic; events go to inbox as {topic, args, kwargs, details}.
function watch(s, inbox, topic, options) {
  return withTimeout(s.session.subscribe(topic, (args, kwargs, details) => {
    inbox.put({ topic, args: args || [], kwargs: kwargs || {}, details });
  }, options), TIMEOUT_MS);
}

function call(s, proc, args, kwargs, options) {
  return withTimeout(s.session.call(proc, args, kwargs, options), TIMEOUT_MS);
}

function publishAck(s, topic, args, kwargs, options) {
  return withTimeout(s.session.publish(topic, args, kwargs, Object.assign({ acknowledge: true }, options)), TIMEOUT_MS);
}

function sorted(l) { return (l || []).slice().sort((a, b) => a - b); }

async function closedWithin(s) {
  return withTimeout(s.closed, TIMEOUT_MS);
}

const scenarios = {
  async blackwhite(x) {
    const c = x.c;
    const topic = 'com.adv.bw.' + x.tag;
    const pub = await x.join();
    const a = await x.join();
    const b = await x.join();
    const cc = await x.join();
    const names = new Map([[pub.id, 'P'], [a.id, 'A'], [b.id, 'B'], [cc.id, 'C']]);
    const got = new Inbox();
    for (const s of [pub, a, b, cc]) {
      await withTimeout(s.session.subscribe(topic, (args, kwargs) => got.put([names.get(s.id), kwargs.case])), TIMEOUT_MS);
    }
    const cases = [
      ['exclude [session id]', { exclude: [a.id] }, 'BC'],
      ['exclude_authid [authid from WELCOME]', { exclude_authid: [b.authid] }, 'AC'],
      ['exclude_authrole [anonymous]', { exclude_authrole: ['anonymous'] }, ''],
      ['exclude_authrole [a role nobody has]', { exclude_authrole: ['admin'] }, 'ABC'],
      ['eligible [session ids]', { eligible: [a.id, b.id] }, 'AB'],
      ['eligible_authid [authid from WELCOME]', { eligible_authid: [cc.authid] }, 'C'],
      ['eligible_authrole [anonymous]', { eligible_authrole: ['anonymous'] }, 'ABC'],
      ['eligible_authrole [a role nobody has]', { eligible_authrole: ['admin'] }, ''],
      ['eligible with exclude: exclude wins', { eligible: [a.id, b.id, cc.id], exclude: [a.id] }, 'BC'],
      ['publisher in eligible with exclude_me=false', { eligible: [pub.id, a.id], exclude_me: false }, 'AP'],
    ];
    for (let i = 0; i < cases.length; i++) await publishAck(pub, topic, [], { case: i }, cases[i][1]);
    await publishAck(pub, topic, [], { case: 'mark' }, { exclude_me: false });
    for (const n of 'PABC') await x.wait('marker reaches ' + n, got, (it) => it[0] === n && it[1] === 'mark');
    cases.forEach(([name, , want], i) => {
      const receivers = got.items.filter((it) => it[1] === i).map((it) => it[0]).sort().join('');
      c.eq('blackwhite ' + name, receivers, want.split('').sort().join(''));
    });
  },

  async retention(x) {
    const c = x.c;
    const topic = 'com.adv.retain.' + x.tag;
    const pub = await x.join();
    await publishAck(pub, topic, ['first'], {}, { retain: true });
    const second = await publishAck(pub, topic, ['second'], { n: 2 }, { retain: true });
    await publishAck(pub, topic, ['not retained']);
    await publishAck(pub, topic, ['admins only'], {}, { retain: true, eligible_authrole: ['admin'] });
    const sub = await x.join();
    const got = new Inbox();
    await watch(sub, got, topic, { get_retained: true });
    const ev = await x.wait('get_retained delivers the retained event', got);
    if (ev) {
      c.eq('retained event is the newest eligible retained publication', [ev.args, ev.kwargs], [['second'], { n: 2 }]);
      c.eq('retained event has details.retained true', ev.details.retained, true);
      c.eq('retained event keeps its publication id', ev.details.publication, second.id);
    }
    const plain = await x.join();
    const got2 = new Inbox();
    await watch(plain, got2, topic);
    await publishAck(pub, topic, ['live']);
    const live = await x.wait('live event after subscribing', got2);
    if (live) {
      c.eq('subscribe without get_retained gets no retained event', live.args, ['live']);
      c.eq('live event is not marked retained', live.details.retained, false);
    }
  },

  async history(x) {
    const c = x.c;
    const pub = await x.join();
    const reader = await x.join();
    const sub = await watch(reader, new Inbox(), 'conf.history');
    const ids = [];
    for (let i = 0; i < 105; i++) ids.push((await publishAck(pub, 'conf.history', [i, x.tag], { tag: x.tag })).id);
    const events = await call(reader, 'wamp.subscription.get_events', [sub.id, 1000]);
    c.check('get_events returns one positional list', Array.isArray(events), short(events));
    if (!Array.isArray(events)) return;
    c.eq('get_events keeps the last 100 of conf.history', events.length, 100);
    c.eq('get_events in order of occurrence', events.map((e) => e.args), [...Array(100).keys()].map((i) => [i + 5, x.tag]));
    c.eq('get_events publication ids', events.map((e) => e.publication), ids.slice(5));
    c.eq('get_events subscription id', [...new Set(events.map((e) => e.subscription))], [sub.id]);
    c.eq('get_events kwargs', events[0].kwargs, { tag: x.tag });
    c.check('get_events timestamp and details', typeof events[0].timestamp === 'string' && events[0].details &&
      typeof events[0].details === 'object', short(events[0]));
    const last = await call(reader, 'wamp.subscription.get_events', [sub.id], { limit: 5, reverse: true });
    c.eq('get_events limit=5 reverse=true: the newest first', last.map((e) => e.args[0]), [104, 103, 102, 101, 100]);
    for (let i = 0; i < 12; i++) await publishAck(pub, 'conf.hist.a', [i, x.tag]);
    const exact = await watch(reader, new Inbox(), 'conf.hist.a');
    const got = await call(reader, 'wamp.subscription.get_events', [exact.id, 100]);
    c.eq('get_events keeps the last 10 of conf.hist.a', got.map((e) => e.args), [...Array(10).keys()].map((i) => [i + 2, x.tag]));
    const prefix = await watch(reader, new Inbox(), 'conf.hist.', { match: 'prefix' });
    const some = await call(reader, 'wamp.subscription.get_events', [prefix.id], { topic: 'conf.hist.a', limit: 3 });
    c.eq('prefix subscription get_events topic=conf.hist.a limit=3', some.map((e) => e.args[0]), [9, 10, 11]);
  },

  async sessionmeta(x) {
    const c = x.c;
    const mon = await x.join('realm2');
    const seen = new Inbox();
    await watch(mon, seen, 'wamp.session.on_join');
    await watch(mon, seen, 'wamp.session.on_leave');
    const base = await call(mon, 'wamp.session.count');
    const a = await x.join('realm2');
    const ev = await x.wait('on_join for a new session', seen, (e) => e.topic === 'wamp.session.on_join' && e.args[0].session === a.id);
    if (ev) {
      const d = ev.args[0];
      c.eq('on_join details', [d.authid, d.authrole, d.authmethod, d.transport && d.transport.type, d.transport && d.transport.serializer],
        [a.authid, 'anonymous', 'anonymous', 'websocket', x.opts.serializer]);
    }
    c.eq('count grows by one', await call(mon, 'wamp.session.count'), base + 1);
    c.eq('count [a role nobody has]', await call(mon, 'wamp.session.count', [['admin']]), 0);
    const ids = await call(mon, 'wamp.session.list', [['anonymous']]);
    c.check('list [anonymous] has both sessions', ids.includes(a.id) && ids.includes(mon.id), short(ids));
    const d = await call(mon, 'wamp.session.get', [a.id]);
    c.eq('get', [d.session, d.authid, d.authrole], [a.id, a.authid, 'anonymous']);
    await c.error('get of an unknown session', mon.session.call('wamp.session.get', [4242424242]), NO_SUCH_SESSION);
    await call(mon, 'wamp.session.kill', [a.id], { reason: 'com.adv.kicked', message: 'bye now' });
    try {
      const closed = await closedWithin(a);
      c.eq('killed session gets GOODBYE with reason and message', [closed.details.reason, closed.details.message], ['com.adv.kicked', 'bye now']);
    } catch (e) {
      c.fail('killed session gets GOODBYE', short(e));
    }
    const left = await x.wait('on_leave for the killed session', seen, (e) => e.topic === 'wamp.session.on_leave' && e.args[0] === a.id);
    if (left) c.eq('on_leave args [session, authid, authrole]', left.args, [a.id, a.authid, 'anonymous']);
    await c.error('kill oneself', mon.session.call('wamp.session.kill', [mon.id]), NO_SUCH_SESSION);
    const b = await x.join('realm2');
    c.eq('kill_by_authid returns the killed ids', await call(mon, 'wamp.session.kill_by_authid', [b.authid]), [b.id]);
    const d1 = await x.join('realm2');
    const d2 = await x.join('realm2');
    c.eq('kill_by_authrole anonymous kills every other session', await call(mon, 'wamp.session.kill_by_authrole', ['anonymous']), 2);
    for (const s of [b, d1, d2]) {
      try {
        const closed = await closedWithin(s);
        c.eq('kill_by_* victim default reason', closed.details.reason, 'wamp.close.killed');
      } catch (e) {
        c.fail('kill_by_* victim gets GOODBYE', short(e));
      }
    }
    const e1 = await x.join('realm2');
    const e2 = await x.join('realm2');
    for (const s of [e1, e2]) await x.wait('on_join before kill_all', seen, (e) => e.topic === 'wamp.session.on_join' && e.args[0].session === s.id);
    c.eq('kill_all', await call(mon, 'wamp.session.kill_all'), 2);
    c.eq('kill_all publishes no on_leave', seen.find((e) => e.topic === 'wamp.session.on_leave' && (e.args[0] === e1.id || e.args[0] === e2.id)), []);
    c.eq('count after kill_all is the caller alone', await call(mon, 'wamp.session.count'), 1);
  },

  async submeta(x) {
    const c = x.c;
    const topic = 'com.adv.sm.' + x.tag;
    const mon = await x.join();
    const seen = new Inbox();
    for (const t of ['on_create', 'on_subscribe', 'on_unsubscribe', 'on_delete']) await watch(mon, seen, 'wamp.subscription.' + t);
    const a = await x.join();
    const b = await x.join();
    const noop = () => {};
    const sa = await withTimeout(a.session.subscribe(topic, noop), TIMEOUT_MS);
    const create = await x.wait('on_create', seen, (e) => e.topic.endsWith('on_create') && e.args[0] === a.id);
    if (create) c.eq('on_create details', [create.args[1].id, create.args[1].uri, create.args[1].match], [sa.id, topic, 'exact']);
    await x.wait('on_subscribe', seen, (e) => e.topic.endsWith('on_subscribe') && util.isDeepStrictEqual(e.args, [a.id, sa.id]));
    const sb = await withTimeout(b.session.subscribe(topic, noop), TIMEOUT_MS);
    await x.wait('second subscriber: on_subscribe', seen, (e) => e.topic.endsWith('on_subscribe') && util.isDeepStrictEqual(e.args, [b.id, sa.id]));
    const sp = await withTimeout(a.session.subscribe('com.adv.sm.', noop, { match: 'prefix' }), TIMEOUT_MS);
    const lst = await call(mon, 'wamp.subscription.list');
    c.check('list by match policy', lst.exact.includes(sa.id) && lst.prefix.includes(sp.id), short(lst));
    c.eq('lookup exact', await call(mon, 'wamp.subscription.lookup', [topic]), sa.id);
    c.eq('lookup prefix', await call(mon, 'wamp.subscription.lookup', ['com.adv.sm.', { match: 'prefix' }]), sp.id);
    c.eq('lookup of a topic nobody subscribed', await call(mon, 'wamp.subscription.lookup', ['com.adv.none']), null);
    c.eq('match: every matching subscription', sorted(await call(mon, 'wamp.subscription.match', [topic])), sorted([sa.id, sp.id]));
    c.eq('match of ""', await call(mon, 'wamp.subscription.match', ['']), null);
    const d = await call(mon, 'wamp.subscription.get', [sa.id]);
    c.eq('get', [d.id, d.uri, d.match], [sa.id, topic, 'exact']);
    c.eq('list_subscribers', sorted(await call(mon, 'wamp.subscription.list_subscribers', [sa.id])), sorted([a.id, b.id]));
    c.eq('count_subscribers', await call(mon, 'wamp.subscription.count_subscribers', [sa.id]), 2);
    await c.error('get of an unknown subscription', mon.session.call('wamp.subscription.get', [4242424242]), 'wamp.error.no_such_subscription');
    await withTimeout(a.session.unsubscribe(sa), TIMEOUT_MS);
    await x.wait('on_unsubscribe', seen, (e) => e.topic.endsWith('on_unsubscribe') && util.isDeepStrictEqual(e.args, [a.id, sa.id]));
    await withTimeout(b.session.unsubscribe(sb), TIMEOUT_MS);
    await x.wait('on_delete by the last subscriber', seen, (e) => e.topic.endsWith('on_delete') && util.isDeepStrictEqual(e.args, [b.id, sa.id]));
  },

  async regmeta(x) {
    const c = x.c;
    const proc = 'com.adv.rm.' + x.tag;
    const mon = await x.join();
    const seen = new Inbox();
    for (const t of ['on_create', 'on_register', 'on_unregister', 'on_delete']) await watch(mon, seen, 'wamp.registration.' + t);
    const a = await x.join();
    const b = await x.join();
    const ra = await withTimeout(a.session.register(proc, () => 'a', { invoke: 'roundrobin' }), TIMEOUT_MS);
    const create = await x.wait('on_create', seen, (e) => e.topic.endsWith('on_create') && e.args[0] === a.id);
    if (create) {
      const d = create.args[1];
      c.eq('on_create details', [d.id, d.uri, d.match, d.invoke], [ra.id, proc, 'exact', 'roundrobin']);
    }
    await x.wait('on_register', seen, (e) => e.topic.endsWith('on_register') && util.isDeepStrictEqual(e.args, [a.id, ra.id]));
    const rb = await withTimeout(b.session.register(proc, () => 'b', { invoke: 'roundrobin' }), TIMEOUT_MS);
    c.eq('shared registration, same id', rb.id, ra.id);
    const rp = await withTimeout(a.session.register(proc + '.', () => 'p', { match: 'prefix' }), TIMEOUT_MS);
    const lst = await call(mon, 'wamp.registration.list');
    c.check('list by match policy', lst.exact.includes(ra.id) && lst.prefix.includes(rp.id), short(lst));
    c.eq('lookup exact', await call(mon, 'wamp.registration.lookup', [proc]), ra.id);
    c.eq('lookup prefix', await call(mon, 'wamp.registration.lookup', [proc + '.', { match: 'prefix' }]), rp.id);
    c.eq('match: exact wins', await call(mon, 'wamp.registration.match', [proc]), ra.id);
    c.eq('match: prefix', await call(mon, 'wamp.registration.match', [proc + '.deeper']), rp.id);
    c.eq('match of nothing', await call(mon, 'wamp.registration.match', ['org.none']), null);
    const d = await call(mon, 'wamp.registration.get', [ra.id]);
    c.eq('get', [d.id, d.uri, d.match, d.invoke], [ra.id, proc, 'exact', 'roundrobin']);
    c.eq('list_callees', sorted(await call(mon, 'wamp.registration.list_callees', [ra.id])), sorted([a.id, b.id]));
    c.eq('count_callees', await call(mon, 'wamp.registration.count_callees', [ra.id]), 2);
    await c.error('get of an unknown registration', mon.session.call('wamp.registration.get', [4242424242]), 'wamp.error.no_such_registration');
    await withTimeout(a.session.unregister(ra), TIMEOUT_MS);
    await x.wait('on_unregister', seen, (e) => e.topic.endsWith('on_unregister') && util.isDeepStrictEqual(e.args, [a.id, ra.id]));
    await withTimeout(b.session.unregister(rb), TIMEOUT_MS);
    await x.wait('on_delete by the last callee', seen, (e) => e.topic.endsWith('on_delete') && util.isDeepStrictEqual(e.args, [b.id, ra.id]));
  },

  async testament(x) {
    const c = x.c;
    const topic = 'com.adv.testament.' + x.tag;
    const w = await x.join();
    const got = new Inbox();
    await watch(w, got, topic);
    await watch(w, got, 'wamp.session.on_leave');
    const a = await x.join();
    const b = await x.join();
    await call(a, 'wamp.session.add_testament', [topic, ['gone', a.id], { k: 1 }]);
    await call(b, 'wamp.session.add_testament', [topic, ['flushed', b.id], {}]);
    await call(b, 'wamp.session.flush_testaments');
    // Close the WebSocket without GOODBYE.
    b.conn._transport.close();
    await x.wait('on_leave of the flushed session', got, (e) => e.topic === 'wamp.session.on_leave' && e.args[0] === b.id);
    a.conn._transport.close();
    const ev = await x.wait('testament published when the transport drops', got, (e) => e.topic === topic && e.args[0] === 'gone');
    if (ev) {
      c.eq('testament args and kwargs', [ev.args, ev.kwargs], [['gone', a.id], { k: 1 }]);
      c.eq('flushed testament never published', got.find((e) => e.topic === topic && e.args[0] === 'flushed'), []);
    }
  },

  async 'testament-holder'(x) {
    const s = await connect(x.opts);
    await call(s, 'wamp.session.add_testament', [x.opts.topic, ['killed', x.tag], { by: 'SIGKILL' }]);
    console.log('READY');
    await withTimeout(s.closed, 3 * TIMEOUT_MS).catch(() => {});
    x.c.fail('testament holder', 'still alive: the test should have killed it');
  },

  async revocation(x) {
    const c = x.c;
    const proc = 'com.adv.revoke.' + x.tag;
    const topic = 'com.adv.revoke.t.' + x.tag;
    const admin = await x.join();
    const seen = new Inbox();
    await watch(admin, seen, 'wamp.registration.on_unregister');
    await watch(admin, seen, 'wamp.subscription.on_unsubscribe');
    const callee = await x.join();
    const reg = await withTimeout(callee.session.register(proc, () => 'still here'), TIMEOUT_MS);
    await call(admin, 'wamp.registration.remove_callee', [reg.id, callee.id, 'no longer authorized']);
    try {
      c.eq('registration.on_unregister resolves with the reason (UNREGISTERED [67, 0, {registration, reason}])',
        await withTimeout(reg.on_unregister, TIMEOUT_MS), 'no longer authorized');
    } catch (e) {
      c.fail('registration.on_unregister resolves', short(e));
    }
    await x.wait('revocation publishes on_unregister', seen,
      (e) => e.topic.endsWith('on_unregister') && util.isDeepStrictEqual(e.args, [callee.id, reg.id]));
    await c.error('call after revocation', admin.session.call(proc), 'wamp.error.no_such_procedure');
    c.check('callee session still open after revocation', callee.session.isOpen, '');

    const sub = await x.join();
    const got = new Inbox();
    const s1 = await watch(sub, got, topic);
    await watch(sub, got, topic + '.mark');
    await call(admin, 'wamp.subscription.remove_subscriber', [s1.id, sub.id], { reason: 'no longer authorized' });
    try {
      c.eq('subscription.on_unsubscribe resolves with the reason (UNSUBSCRIBED [35, 0, {subscription, reason}])',
        await withTimeout(s1.on_unsubscribe, TIMEOUT_MS), 'no longer authorized');
    } catch (e) {
      c.fail('subscription.on_unsubscribe resolves', short(e));
    }
    await x.wait('revocation publishes on_unsubscribe', seen,
      (e) => e.topic.endsWith('on_unsubscribe') && util.isDeepStrictEqual(e.args, [sub.id, s1.id]));
    await publishAck(admin, topic, ['after revocation']);
    await publishAck(admin, topic + '.mark', ['mark']);
    await x.wait('revoked subscriber still gets its other subscription', got, (e) => e.args[0] === 'mark');
    c.eq('revoked subscriber gets no more events', got.find((e) => e.topic === topic), []);
    c.check('subscriber session still open after revocation', sub.session.isOpen, '');
  },

  async disclosure(x) {
    const c = x.c;
    const topic = 'com.adv.disclose.' + x.tag;
    const proc = 'com.adv.disclose.p.' + x.tag;
    const pub = await x.join();
    const sub = await x.join();
    const got = new Inbox();
    await watch(sub, got, topic);
    await publishAck(pub, topic, ['disclosed'], {}, { disclose_me: true });
    await publishAck(pub, topic, ['anonymous']);
    const ev = await x.wait('disclosed event', got, (e) => e.args[0] === 'disclosed');
    if (ev) {
      c.eq('EVENT details publisher, publisher_authid, publisher_authrole',
        [ev.details.publisher, ev.details.publisher_authid, ev.details.publisher_authrole], [pub.id, pub.authid, 'anonymous']);
    }
    const plain = await x.wait('undisclosed event', got, (e) => e.args[0] === 'anonymous');
    if (plain) c.eq('no publisher details without disclose_me', [plain.details.publisher, plain.details.publisher_authid], [null, null]);
    await withTimeout(sub.session.register(proc, (args, kwargs, details) =>
      [details.caller, details.caller_authid, details.caller_authrole].map((v) => (v === undefined ? null : v))), TIMEOUT_MS);
    c.eq('INVOCATION details caller, caller_authid, caller_authrole', await call(pub, proc, [], {}, { disclose_me: true }),
      [pub.id, pub.authid, 'anonymous']);
    c.eq('no caller details without disclose_me', await call(pub, proc), [null, null, null]);
    // The callee asks for disclosure itself: REGISTER disclose_caller.
    const told = proc + '.told';
    await withTimeout(sub.session.register(told, (args, kwargs, details) =>
      [details.caller, details.caller_authid, details.caller_authrole].map((v) => (v === undefined ? null : v)),
    { disclose_caller: true }), TIMEOUT_MS);
    c.eq('REGISTER disclose_caller: caller details without disclose_me', await call(pub, told),
      [pub.id, pub.authid, 'anonymous']);
  },

  async limits(x) {
    const c = x.c;
    const proc = 'com.adv.limits.' + x.tag;
    const callee = await x.join();
    const caller = await x.join();
    let release;
    const released = new Promise((r) => { release = r; });
    await withTimeout(callee.session.register(proc, async (args) => { await released; return args[0]; }), TIMEOUT_MS);
    const pending = [caller.session.call(proc, [1]), caller.session.call(proc, [2])];
    await c.error('third pending call', caller.session.call(proc, [3]), 'wampd.error.limit_exceeded');
    release();
    c.eq('the pending calls complete', await withTimeout(Promise.all(pending), TIMEOUT_MS), [1, 2]);
    c.eq('calls go through again under the bound', await call(caller, proc, [4]), 4);
  },
};

runMain(scenarios, { topic: 'com.adv.topic' }, {
  run: async (scenario, opts, c) => {
    const x = new Ctx(opts, c);
    try {
      await scenario(x);
    } finally {
      await x.close();
    }
  },
});
