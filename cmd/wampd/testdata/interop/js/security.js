// Authentication and authorization interop scenarios for wampd, with
// Autobahn|JS.
//
// Run by cmd/wampd/security_interop_test.go against a wampd serving
// examples/secure.yaml (realm "secure": ticketuser, crauser, crasalted,
// csuser with role "user", allowed only under com.example.; realm1 open):
//   node --experimental-websocket security.js SCENARIO --url ws://127.0.0.1:PORT/ws --serializer json|msgpack|cbor
// Every check prints "OK <name>" or "FAIL <name>: <why>"; the process exits 0
// only when every check passed.
//
// authn: ticket, wampcra plain and salted (autobahn.auth_cra.derive_key and
// sign) and cryptosign (autobahn.auth_cryptosign.sign_challenge over a
// tweetnacl key pair from the fixture's seed), each with the right and
// wrong secrets; anonymous refused on "secure", open on realm1. authz: what
// role "user" may and may not do. wamp-scram is tested with the Python
// client of our own only (py/security.py): Autobahn|JS has no wamp-scram.
'use strict';

const autobahn = require('autobahn');
const { connect, leave, runMain, short, withTimeout, TIMEOUT_MS } = require('./interop.js');

const SECURE = 'secure';
const AUTH_FAILED = 'wamp.error.authentication_failed';
const NOT_AUTHORIZED = 'wamp.error.not_authorized';
const NO_AUTH_METHOD = 'wamp.error.no_auth_method';
const ROLE = 'user';

// The fixture's test secrets (examples/secure.yaml, header comment).
const CS_SEED = Buffer.from('a4b0bc56bbf9e0fe6c54d1f116ed1d42ac60738dcbe2978ded8e18a42ec4212c', 'hex');
const CS_PUBKEY = '0d6c1dbe40430a64072fb559bd4f892eb239f82e5b583d24b27785fd993053a4';
const nacl = autobahn.nacl; // tweetnacl, as Autobahn|JS bundles it
const CS_KEY = nacl.sign.keyPair.fromSeed(new Uint8Array(CS_SEED));
const OTHER_KEY = nacl.sign.keyPair.fromSeed(new Uint8Array(32).map((_, i) => i));

const ticket = (secret) => () => secret;

// wampcra: the secret itself, or its PBKDF2 key when the challenge carries
// salt, iterations and keylen.
const wampcra = (secret) => (extra) => {
  let key = secret;
  if (extra.salt !== undefined) key = autobahn.auth_cra.derive_key(secret, extra.salt, extra.iterations, extra.keylen);
  return autobahn.auth_cra.sign(key, extra.challenge);
};

const cryptosign = (pkey) => (extra) => autobahn.auth_cryptosign.sign_challenge(pkey, extra);

// login joins realm with authmethods, authid, authextra, answering each
// CHALLENGE with answer(extra, method); resolves with the connect() result
// plus challenges, the [method, extra] pairs received. A refusal rejects
// with err.details.reason the ABORT reason and err.challenges.
async function login(opts, realm, methods, authid, authextra, answer) {
  const challenges = [];
  const auth = {
    authmethods: methods,
    authid,
    authextra,
    onchallenge: (session, method, extra) => {
      challenges.push([method, extra]);
      return answer(extra, method);
    },
  };
  try {
    const s = await connect(opts, realm, undefined, auth);
    s.challenges = challenges;
    return s;
  } catch (e) {
    e.challenges = challenges;
    throw e;
  }
}

// refused logs in expecting a refusal: {reason, message, challenges}.
async function refused(opts, methods, authid, authextra, answer) {
  try {
    const s = await login(opts, SECURE, methods, authid, authextra, answer);
    await leave(s);
    return { reason: 'joined', challenges: s.challenges };
  } catch (e) {
    const d = e.details || {};
    return { reason: d.reason, message: d.message, challenges: e.challenges || [] };
  }
}

function checkWelcome(c, name, s, authid, method) {
  const w = s.welcome;
  c.eq(name + ': WELCOME authid, authrole, authmethod, authprovider',
    [w.authid, w.authrole, w.authmethod, w.authprovider], [authid, ROLE, method, 'static']);
}

const tagOf = (opts) => 'js_' + opts.serializer;

const RIGHT = [
  ['ticket', ['ticket'], 'ticketuser', undefined, ticket('ticket-secret-1'), 'ticket'],
  ['wampcra plain', ['wampcra'], 'crauser', undefined, wampcra('cra-secret-1'), 'wampcra'],
  ['wampcra salted', ['wampcra'], 'crasalted', undefined, wampcra('cra-secret-2'), 'wampcra'],
  ['cryptosign', ['cryptosign'], 'csuser', { pubkey: CS_PUBKEY }, cryptosign(CS_KEY), 'cryptosign'],
];

// Wrong secrets, each method's pair worded alike: a wrong secret of a
// known authid, then an unknown authid.
const WRONG = [
  ['ticket', 'wrong secret', ['ticket'], 'ticketuser', undefined, ticket('ticket-secret-2')],
  ['ticket', 'unknown authid', ['ticket'], 'nobody', undefined, ticket('ticket-secret-1')],
  ['wampcra plain', 'wrong secret', ['wampcra'], 'crauser', undefined, wampcra('cra-secret-2')],
  ['wampcra plain', 'unknown authid', ['wampcra'], 'nobody', undefined, wampcra('cra-secret-1')],
  ['wampcra salted', 'wrong secret', ['wampcra'], 'crasalted', undefined, wampcra('cra-secret-1')],
  ['wampcra salted', 'unknown authid', ['wampcra'], 'nobody', undefined, wampcra('cra-secret-2')],
  ['cryptosign', 'signed by another key', ['cryptosign'], 'csuser', { pubkey: CS_PUBKEY }, cryptosign(OTHER_KEY)],
  ['cryptosign', 'a key the principal does not have', ['cryptosign'], 'csuser',
    { pubkey: autobahn.auth_cryptosign.public_key(OTHER_KEY) }, cryptosign(OTHER_KEY)],
];

const scenarios = {
  async authn(opts, c) {
    // A session joined first: callee and caller of one procedure, so each
    // alive() is a routed round trip.
    const keeper = await login(opts, SECURE, ['ticket'], 'ticketuser', undefined, ticket('ticket-secret-1'));
    const proc = 'com.example.keeper.' + tagOf(opts);
    await withTimeout(keeper.session.register(proc, (args) => args[0] + 1), TIMEOUT_MS);
    const alive = async () => (await withTimeout(keeper.session.call(proc, [41]), TIMEOUT_MS)) === 42;
    c.ok('a ticket session joined first, as callee and caller');

    for (const [name, methods, authid, extra, answer, method] of RIGHT) {
      let s;
      try {
        s = await login(opts, SECURE, methods, authid, extra, answer);
      } catch (e) {
        c.fail(name + ': right secret joins', short(e.message));
        continue;
      }
      c.ok(name + ': right secret joins');
      checkWelcome(c, name, s, authid, method);
      c.eq(name + ': one CHALLENGE of method ' + method, s.challenges.map((ch) => ch[0]), [method]);
      if (name === 'wampcra salted') {
        const x = s.challenges[0][1];
        c.eq(name + ': CHALLENGE salt, iterations, keylen', [x.salt, x.iterations, x.keylen], ['salt123', 1000, 32]);
      }
      await leave(s);
    }

    const messages = {};
    for (const [name, label, methods, authid, extra, answer] of WRONG) {
      const r = await refused(opts, methods, authid, extra, answer);
      c.eq(name + ': ' + label + ' is refused with ABORT ' + AUTH_FAILED, r.reason, AUTH_FAILED);
      c.eq(name + ': ' + label + ': refused after one CHALLENGE', r.challenges.length, 1);
      (messages[name] = messages[name] || new Set()).add(r.message);
      c.check(name + ': ' + label + ': wampd still serves the joined session', await alive(), 'round trip failed');
    }
    for (const [name, texts] of Object.entries(messages)) {
      c.eq(name + ': refusals worded alike (no hint of which part was wrong)', texts.size, 1);
    }

    for (const [label, methods] of [['no authmethods', undefined], ['authmethods [anonymous]', ['anonymous']]]) {
      const r = await refused(opts, methods, undefined, undefined, () => { throw new Error('no answer'); });
      c.eq('anonymous on secure (' + label + ') is refused with ABORT ' + NO_AUTH_METHOD, r.reason, NO_AUTH_METHOD);
      c.eq('anonymous on secure (' + label + '): no CHALLENGE', r.challenges.length, 0);
    }

    const open = await connect(opts, 'realm1');
    c.eq('realm1 anonymous: WELCOME authrole, authmethod', [open.welcome.authrole, open.welcome.authmethod], ['anonymous', 'anonymous']);
    await leave(open);

    c.check('the first session is still served after every refusal', await alive(), 'round trip failed');
    await leave(keeper);
  },

  async authz(opts, c) {
    const tag = tagOf(opts);
    const a = await login(opts, SECURE, ['wampcra'], 'crauser', undefined, wampcra('cra-secret-1'));
    const b = await login(opts, SECURE, ['ticket'], 'ticketuser', undefined, ticket('ticket-secret-1'));
    const ok = 'com.example.' + tag + '.';
    const bad = 'org.other.' + tag + '.';

    await withTimeout(a.session.register(ok + 'double', (args) => args[0] * 2), TIMEOUT_MS);
    c.ok('register under com.example. is allowed');
    c.eq('call under com.example. is allowed and routed', await withTimeout(b.session.call(ok + 'double', [21]), TIMEOUT_MS), 42);
    let gotEvent;
    const got = new Promise((r) => { gotEvent = r; });
    await withTimeout(a.session.subscribe(ok + 'topic', (args) => gotEvent(args)), TIMEOUT_MS);
    c.ok('subscribe under com.example. is allowed');
    await withTimeout(b.session.publish(ok + 'topic', ['hi'], {}, { acknowledge: true }), TIMEOUT_MS);
    c.ok('publish under com.example. is allowed (acknowledged)');
    c.eq('the event reaches the subscriber', await withTimeout(got, TIMEOUT_MS), ['hi']);

    const deny = (name, p) => c.error(name + ' is denied with ' + NOT_AUTHORIZED, p, NOT_AUTHORIZED);
    await deny('register under org.other.', a.session.register(bad + 'proc', () => null));
    await deny('call under org.other.', b.session.call(bad + 'proc'));
    await deny('subscribe under org.other.', a.session.subscribe(bad + 'topic', () => null));
    await deny('acknowledged publish under org.other.', b.session.publish(bad + 'topic', ['x'], {}, { acknowledge: true }));
    await deny('prefix subscription to com. (wider than com.example.)', a.session.subscribe('com.', () => null, { match: 'prefix' }));
    await deny('call of the meta procedure wamp.session.count', b.session.call('wamp.session.count'));

    c.check('the denied sessions stay joined', a.session.isOpen && b.session.isOpen, 'a session was closed');
    c.eq('a call after the denials still works', await withTimeout(b.session.call(ok + 'double', [4]), TIMEOUT_MS), 8);
    await leave(a);
    await leave(b);
  },
};

runMain(scenarios, {});
