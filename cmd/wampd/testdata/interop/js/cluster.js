// Cluster interop roles for wampd (issue #14), with Autobahn|JS.
//
// Run by cmd/wampd/cluster_interop_test.go against one node of the
// three-node cluster (examples/cluster/node{1,2,3}.yaml); their peers are
// Autobahn|Python clients on other nodes (py/cluster.py, py/interop.py):
//   node --experimental-websocket cluster.js ROLE --url ws://127.0.0.1:818N/ws --serializer json|msgpack|cbor [...]
// Roles:
// - callee: registers --procedure (echo), PROC.fail (an application
//   error), PROC.progress (progressive results) and PROC.done, prints
//   READY and serves until a caller calls PROC.done (bounded).
// - subscriber: subscribes to --topic, prints READY and checks that --count
//   events of interop.py's publisher arrive, in order.
// Every check prints "OK <name>" or "FAIL <name>: <why>"; the process exits
// 0 only when every check passed.
'use strict';

const autobahn = require('autobahn');
const { connect, leave, runMain, short, withTimeout, TIMEOUT_MS } = require('./interop.js');

// How long a role waits for its peers on the other nodes.
const SERVE_MS = 45000;

const roles = {
  async callee(opts, c) {
    const s = await connect(opts);
    const p = opts.procedure;
    let done;
    const finished = new Promise((resolve) => { done = resolve; });
    const reg = (uri, fn) => withTimeout(s.session.register(uri, fn), TIMEOUT_MS);
    await reg(p, (args, kwargs) => new autobahn.Result(args || [], kwargs || {}));
    await reg(p + '.fail', () => { throw new autobahn.Error('com.example.error.x', [1, 2], { a: 3, from: 'js' }); });
    await reg(p + '.progress', (args, kwargs, details) => {
      const n = args[0];
      if (!details.progress) throw new autobahn.Error('com.cluster.error.no_progress', ['the caller asked for no progress']);
      for (let i = 0; i < n; i++) details.progress([i], { chunk: 'c' + i });
      return new autobahn.Result(['final'], { n });
    });
    await reg(p + '.done', () => { setImmediate(done); return 'bye'; });
    console.log('READY');
    try {
      await withTimeout(finished, SERVE_MS);
      c.ok('JS callee on ' + opts.url + ' served the caller of another node');
    } catch (e) {
      c.fail('JS callee on ' + opts.url + ' served the caller of another node', 'no call of ' + p + '.done: ' + short(e.message));
    }
    await leave(s);
  },

  async subscriber(opts, c) {
    const s = await connect(opts);
    const got = [];
    let all;
    const complete = new Promise((resolve) => { all = resolve; });
    await withTimeout(s.session.subscribe(opts.topic, (args, kwargs) => {
      got.push([args || [], kwargs || {}]);
      if (got.length >= opts.count) all();
    }), TIMEOUT_MS);
    console.log('READY');
    try {
      await withTimeout(complete, 2 * TIMEOUT_MS);
    } catch (e) { /* the check below says what came */ }
    const want = [...Array(opts.count).keys()].map((i) => [[i, '\u00e9v\u00e9nement', { n: [i] }], { i }]);
    c.eq('JS ' + opts.serializer + ' subscriber on ' + opts.url + ' got every event of another node, in order', got, want);
    await leave(s);
  },
};

runMain(roles, { procedure: 'com.cluster.js.echo', topic: 'com.cluster.js.topic', count: 10 }, { first: 'role' });
