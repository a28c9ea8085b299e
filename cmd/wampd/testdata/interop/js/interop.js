// Autobahn|JS interop scenarios for wampd.
//
// Run by cmd/wampd/interop_test.go with
//   node --experimental-websocket interop.js SCENARIO --url ws://127.0.0.1:PORT/ws --serializer json|msgpack|cbor
// (Autobahn|JS 26 uses the global WebSocket, which node 20 has only behind
// that flag). Every check prints "OK <name>" or "FAIL <name>: <why>"; the
// process exits 0 only when every check passed. Long-lived roles print
// "READY" once set up.
'use strict';

const util = require('util');
const autobahn = require('autobahn');

const TIMEOUT_MS = 10000;
const MSG_UNSUBSCRIBE = 34;
const MSG_UNREGISTER = 66;

// parseArgs reads "NAME --some-key value ...": opts[first] is NAME (the
// scenario or role), and each --some-key sets opts.someKey over defaults.
function parseArgs(argv, defaults, first) {
  const opts = { serializer: 'json', ...defaults, [first]: argv[0] };
  for (let i = 1; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    opts[key] = argv[i + 1];
  }
  if (opts.count !== undefined) opts.count = Number(opts.count);
  return opts;
}

// runMain is every script's entry point: it runs the entry of table that
// the first argument names, through run(entry, opts, c) (by default
// entry(opts, c)), reports an exception as a failure and exits 0 only when
// every check passed.
async function runMain(table, defaults, { first = 'scenario', run = (entry, opts, c) => entry(opts, c) } = {}) {
  const opts = parseArgs(process.argv.slice(2), defaults, first);
  const name = opts[first];
  const c = new Checks();
  if (!Object.prototype.hasOwnProperty.call(table, name)) {
    console.log('FAIL usage: unknown ' + first + ' ' + name);
    process.exit(2);
  }
  try {
    await run(table[name], opts, c);
  } catch (e) {
    c.fail(name, 'unexpected ' + (e && e.stack ? e.stack : short(e)));
  }
  c.exit();
}

// The binary serializers get the WebSocket's ArrayBuffer; msgpack5 and cbor
// want a Buffer. Converting here is a client-side shim, not a router concern.
function makeSerializer(name) {
  let ser;
  switch (name) {
    case 'json': return new autobahn.serializer.JSONSerializer();
    case 'msgpack': ser = new autobahn.serializer.MsgpackSerializer(); break;
    case 'cbor': ser = new autobahn.serializer.CBORSerializer(); break;
    default: throw new Error('unknown serializer ' + name);
  }
  const unserialize = ser.unserialize.bind(ser);
  ser.unserialize = (p) => unserialize(p instanceof ArrayBuffer ? Buffer.from(p) : p);
  return ser;
}

class Checks {
  constructor() { this.passed = 0; this.failed = 0; }
  ok(name) { this.passed++; console.log('OK ' + name); }
  fail(name, why) { this.failed++; console.log('FAIL ' + name + ': ' + why); }
  check(name, cond, why) { if (cond) this.ok(name); else this.fail(name, why || ''); }
  eq(name, got, want) {
    const g = normalize(got);
    const w = normalize(want);
    if (util.isDeepStrictEqual(g, w)) this.ok(name);
    else this.fail(name, 'got ' + short(g) + ', want ' + short(w));
  }
  async error(name, p, uri, args, kwargs) {
    let res;
    try {
      res = await withTimeout(p, TIMEOUT_MS);
    } catch (e) {
      if (!(e instanceof autobahn.Error)) { this.fail(name, 'raised ' + short(e) + ', want ' + uri); return; }
      if (e.error !== uri) { this.fail(name, 'error ' + e.error + ', want ' + uri); return; }
      if (args !== undefined && !util.isDeepStrictEqual(normalize(e.args), normalize(args))) { this.fail(name, 'args ' + short(e.args)); return; }
      if (kwargs !== undefined && !util.isDeepStrictEqual(normalize(e.kwargs), normalize(kwargs))) { this.fail(name, 'kwargs ' + short(e.kwargs)); return; }
      this.ok(name);
      return;
    }
    this.fail(name, 'succeeded with ' + short(res) + ', want ' + uri);
  }
  exit() {
    console.log('DONE passed=' + this.passed + ' failed=' + this.failed);
    process.exit(this.failed ? 1 : 0);
  }
}

// normalize makes values of the different decoders comparable: every byte
// container becomes {bytes: hex}, prototypes are dropped.
function normalize(v) {
  if (v instanceof ArrayBuffer) v = new Uint8Array(v);
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    if (v instanceof autobahn.Result) return { args: normalize(v.args), kwargs: normalize(v.kwargs) };
    const o = {};
    for (const k of Object.keys(v)) o[k] = normalize(v[k]);
    return o;
  }
  if (v === undefined) return null;
  return v;
}

function short(v) {
  let s;
  try { s = JSON.stringify(v); } catch (e) { s = String(v); }
  if (s === undefined) s = String(v);
  return s.length < 200 ? s : s.slice(0, 200) + '...(' + s.length + ' chars)';
}

function withTimeout(p, ms) {
  let timer;
  return Promise.race([
    Promise.resolve(p).finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timeout after ' + ms + 'ms')), ms); }),
  ]);
}

// connect opens a connection and resolves with {conn, session, closed,
// welcome}, where closed resolves with {reason, details} when the connection
// ends and welcome is the WELCOME details. auth, when given, adds
// Connection options (authmethods, authid, authextra, onchallenge). A
// refused join rejects with an Error whose details are the close details
// (details.reason: the ABORT reason).
function connect(opts, realm, serializer, auth) {
  return withTimeout(new Promise((resolve, reject) => {
    const conn = new autobahn.Connection({
      url: opts.url,
      realm: realm || 'realm1',
      serializers: [makeSerializer(serializer || opts.serializer)],
      max_retries: 0,
      retry_if_unreachable: false,
      ...auth,
    });
    let closedResolve;
    const closed = new Promise((r) => { closedResolve = r; });
    let opened = false;
    conn.onopen = (session, welcome) => { opened = true; resolve({ conn, session, closed, welcome }); };
    conn.onclose = (reason, details) => {
      closedResolve({ reason, details });
      if (!opened) reject(Object.assign(new Error('join failed: ' + reason + ' ' + short(details)), { details }));
      return true;
    };
    conn.open();
  }), TIMEOUT_MS);
}

async function leave(c) {
  if (c.session.isOpen) c.conn.close();
  return withTimeout(c.closed, TIMEOUT_MS);
}

// rawRequest sends UNREGISTER/UNSUBSCRIBE for an arbitrary id, which the
// client API refuses to do for ids it does not know.
function rawRequest(session, type, id) {
  const request = session._new_request_id();
  const d = session._defer();
  if (type === MSG_UNREGISTER) session._unregister_reqs[request] = [d, null];
  else session._unsubscribe_reqs[request] = [d, id];
  session._send_wamp([type, request, id]);
  return d.promise;
}

function echo(args, kwargs) {
  return new autobahn.Result(args || [], kwargs || {});
}

function echoValues(serializer) {
  const mib = 1 << 20;
  const vals = [
    ['empty', [], {}],
    ['unicode', ['h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \u{1F389}', ''], { '\u00fcml\u00e4ut': '\u00df' }],
    ['nested', [[1, [2, [3, [4]]]], { a: { b: { c: [null, true, false] } } }], { list: [1, -2, 2.5, 's', null], dict: { x: { y: [] } } }],
    ['ints', [0, -1, 2 ** 31, Number.MAX_SAFE_INTEGER], { max: Number.MAX_SAFE_INTEGER }],
    ['1MiB-string', ['x'.repeat(mib)], {}],
  ];
  // Autobahn|JS's JSON serializer has no binary convention; the binary
  // serializers carry Uint8Array natively.
  if (serializer !== 'json') {
    const big = new Uint8Array(mib);
    for (let i = 0; i < mib; i++) big[i] = (i * 7919) & 0xff;
    vals.push(['binary', [new Uint8Array([0, 1, 2, 255, 254])], { bin: new Uint8Array([...Array(256).keys()]) }]);
    vals.push(['1MiB-binary', [big], {}]);
  }
  return vals;
}

function unwrap(res) {
  if (res instanceof autobahn.Result) return [res.args || [], res.kwargs || {}];
  if (res === null || res === undefined) return [[], {}];
  return [[res], {}];
}

const scenarios = {
  async join(opts, c) {
    for (const realm of ['realm1', 'realm2']) {
      const s = await connect(opts, realm);
      c.check('join ' + realm + ' session id', s.session.id >= 1 && s.session.id <= 2 ** 53, 'id ' + s.session.id);
      const closed = await leave(s);
      c.eq('leave ' + realm + ' goodbye reason', closed.details.reason, 'wamp.close.goodbye_and_out');
    }
    try {
      const s = await connect(opts, 'no.such.realm');
      c.fail('join unknown realm', 'joined, want ABORT');
      await leave(s);
    } catch (e) {
      c.check('join unknown realm is refused', /no_such_realm/.test(e.message), e.message);
    }
  },

  async rpc(opts, c) {
    const callee = await connect(opts);
    const caller = await connect(opts);
    await callee.session.register('com.example.echo', echo);
    for (const [name, args, kwargs] of echoValues(opts.serializer)) {
      try {
        const res = await withTimeout(caller.session.call('com.example.echo', args, kwargs), TIMEOUT_MS);
        const [ga, gk] = unwrap(res);
        c.eq('echo ' + name + ' args', ga, args);
        c.eq('echo ' + name + ' kwargs', gk, kwargs);
      } catch (e) {
        c.fail('echo ' + name, short(e));
      }
    }
    const calls = [];
    for (let i = 0; i < 200; i++) calls.push(caller.session.call('com.example.echo', [i]));
    c.eq('200 concurrent calls', await withTimeout(Promise.all(calls), TIMEOUT_MS), [...Array(200).keys()]);
    await leave(caller);
    await leave(callee);
  },

  async errors(opts, c) {
    const a = await connect(opts);
    const b = await connect(opts);
    await c.error('call unregistered', a.session.call('com.example.nothing.here'), 'wamp.error.no_such_procedure');
    const reg = await a.session.register('com.example.dup', echo);
    await c.error('register twice other session', b.session.register('com.example.dup', echo), 'wamp.error.procedure_already_exists');
    await c.error('register invalid uri', a.session.register('com..bad', echo), 'wamp.error.invalid_uri');
    await c.error('unregister unknown', rawRequest(a.session, MSG_UNREGISTER, 4242424242), 'wamp.error.no_such_registration');
    await a.session.unregister(reg);
    await c.error('unregister twice', rawRequest(a.session, MSG_UNREGISTER, reg.id), 'wamp.error.no_such_registration');
    await c.error('unsubscribe unknown', rawRequest(a.session, MSG_UNSUBSCRIBE, 4242424242), 'wamp.error.no_such_subscription');
    await a.session.register('com.example.fails', () => { throw new autobahn.Error('com.example.error.x', [1, 2], { a: 3 }); });
    await c.error('application error', b.session.call('com.example.fails'), 'com.example.error.x', [1, 2], { a: 3 });
    await a.session.register('com.example.after', echo);
    c.eq('call after errors', await withTimeout(b.session.call('com.example.after', ['ok']), TIMEOUT_MS), 'ok');
    await leave(a);
    await leave(b);
  },

  async pubsub(opts, c) {
    const n = 20;
    const sessions = [];
    for (let i = 0; i < 3; i++) sessions.push(await connect(opts));
    const got = sessions.map(() => []);
    const marks = [];
    const markResolvers = [];
    for (let i = 0; i < 3; i++) marks.push(new Promise((r) => { markResolvers.push(r); }));
    for (let i = 0; i < 3; i++) {
      await sessions[i].session.subscribe('com.example.topic', (args, kwargs) => {
        if (kwargs && kwargs.mark) { markResolvers[i](); return; }
        got[i].push([args || [], kwargs || {}]);
      });
    }
    const pub = sessions[0].session;
    const want = [];
    for (let k = 0; k < n; k++) {
      const args = [k, '\u00e9v\u00e9nement', { nested: [k] }];
      const kwargs = { k };
      want.push([args, kwargs]);
      if (k % 2 === 0) {
        const p = await withTimeout(pub.publish('com.example.topic', args, kwargs, { acknowledge: true }), TIMEOUT_MS);
        if (k === 0) c.check('acknowledged publish gets PUBLISHED', p && p.id >= 1 && p.id <= 2 ** 53, short(p));
      } else {
        pub.publish('com.example.topic', args, kwargs);
      }
    }
    await pub.publish('com.example.topic', [], { mark: true }, { acknowledge: true, exclude_me: false });
    try {
      await withTimeout(Promise.all(marks), TIMEOUT_MS);
      c.ok('every subscriber got the marker (publisher too with exclude_me=false)');
    } catch (e) {
      c.fail('every subscriber got the marker', short(e));
    }
    c.eq('publisher excluded by default', got[0].length, 0);
    c.eq('subscriber 1 got every event in order', got[1], want);
    c.eq('subscriber 2 got every event in order', got[2], want);
    for (const s of sessions) await leave(s);
  },

  async call(opts, c) {
    const s = await connect(opts);
    if (opts.expectError) {
      const t0 = Date.now();
      await c.error('call ' + opts.procedure + ' gets ' + opts.expectError, s.session.call(opts.procedure, ['x']), opts.expectError);
      console.log('ELAPSED ' + ((Date.now() - t0) / 1000).toFixed(3));
    } else {
      for (const [name, args, kwargs] of echoValues(opts.serializer)) {
        if (name.startsWith('1MiB')) continue;
        const res = await withTimeout(s.session.call(opts.procedure, args, kwargs), TIMEOUT_MS);
        c.eq('call ' + opts.procedure + ' ' + name, unwrap(res), [args, kwargs]);
      }
    }
    await leave(s);
  },

  async publisher(opts, c) {
    const s = await connect(opts);
    for (let i = 0; i < opts.count; i++) {
      await withTimeout(s.session.publish(opts.topic, [i, '\u00e9v\u00e9nement', { n: [i] }], { i }, { acknowledge: true }), TIMEOUT_MS);
    }
    c.ok('published ' + opts.count + ' events');
    await leave(s);
  },

  async waiter(opts, c) {
    const s = await connect(opts);
    console.log('READY');
    try {
      const closed = await withTimeout(s.closed, 3 * TIMEOUT_MS);
      c.eq('router goodbye reason', closed.details.reason, 'wamp.close.system_shutdown');
    } catch (e) {
      c.fail('router goodbye reason', short(e));
    }
  },
};

if (require.main === module) {
  runMain(scenarios, { realm: 'realm1', procedure: 'com.example.echo', topic: 'com.example.topic', count: 10 });
}

// advanced.js, cluster.js and security.js build on these.
module.exports = { Checks, connect, leave, normalize, runMain, short, withTimeout, TIMEOUT_MS };
