#!/usr/bin/python3
"""Authentication and authorization interop scenarios for wampd, with
Autobahn|Python.

Run by cmd/wampd/security_interop_test.go against a wampd serving
examples/secure.yaml: realm "secure" admits ticketuser (ticket), crauser and
crasalted (wampcra, plain and salted), csuser (cryptosign) and scramuser
(wamp-scram), all with role "user", which may call, register, publish and
subscribe under com.example. and nothing else; realm1 is open. The secrets
below are the fixture's test secrets (its header comment). One scenario per
process; every check prints "OK <name>" or "FAIL <name>: <why>", and the
process exits 0 only when every check passed.

Scenarios:
- authn: every static method with Autobahn's own helpers (derive_key and
  compute_wcs for wampcra, CryptosignKey for cryptosign), the right secret
  (WELCOME with the principal's authid, authrole, authmethod) and wrong
  ones (ABORT wamp.error.authentication_failed, worded the same for an
  unknown authid), the client's authmethods order, anonymous refused on
  "secure" (wamp.error.no_auth_method) and open on realm1; a session joined
  first keeps being served through all the refusals.
- authz: what role "user" may do under com.example. and may not under
  org.other. (ERROR wamp.error.not_authorized, the session stays).
- scram: wamp-scram with a client of our own (ScramClient below):
  Autobahn|Python 22.7's "scram" predates the spec (another AuthMessage,
  kdf "argon2id-13"), so this one follows
  wamp-spec/rfc/text/advanced/authentication_scram.md, sending message
  lists through Autobahn's serializers and transports (advanced.RawPeer).
- wss: over wss:// against examples/tls.yaml, the client verifying the
  test CA (--cafile): a client that does not trust it is refused by its
  own TLS stack; ticket right and wrong, cryptosign with tls-unique
  channel binding (TLS 1.2: RFC 9266 leaves tls-unique undefined on 1.3,
  where wampd refuses it), authorization as on ws://.
- throttle: against the fixture's default login limits (10 failures per
  minute per address): the eleventh attempt is refused at once, before any
  CHALLENGE, while a joined session is still served.

Usage: security.py SCENARIO --transport ws|rs --serializer json|msgpack|cbor
                   --ws URL --rs HOST:PORT [--cafile PEM]
"""

import asyncio
import base64
import hashlib
import hmac
import os
import ssl

import txaio

txaio.use_asyncio()

from autobahn.wamp import auth as _auth  # noqa: E402
from autobahn.wamp.cryptosign import CryptosignKey  # noqa: E402
from autobahn.wamp.types import ComponentConfig, PublishOptions, SubscribeOptions  # noqa: E402
from nacl import pwhash  # noqa: E402

from advanced import RawPeer  # noqa: E402
from interop import TIMEOUT, JoinError, Session, connect, leave, short, run_scenario, scenario_parser  # noqa: E402

SECURE = "secure"
AUTH_FAILED = "wamp.error.authentication_failed"
NOT_AUTHORIZED = "wamp.error.not_authorized"
NO_AUTH_METHOD = "wamp.error.no_auth_method"

# The fixture's principals and test secrets (examples/secure.yaml).
TICKET = ("ticketuser", "ticket-secret-1")
CRA = ("crauser", "cra-secret-1")
CRA_SALTED = ("crasalted", "cra-secret-2")
CS_AUTHID = "csuser"
CS_SEED = bytes.fromhex("a4b0bc56bbf9e0fe6c54d1f116ed1d42ac60738dcbe2978ded8e18a42ec4212c")
CS_PUBKEY = "0d6c1dbe40430a64072fb559bd4f892eb239f82e5b583d24b27785fd993053a4"
SCRAM = ("scramuser", "scram-secret-1")
ROLE = "user"

# Message types the SCRAM client sends and expects.
HELLO, WELCOME, ABORT, CHALLENGE, AUTHENTICATE = 1, 2, 3, 4, 5
CLIENT_ROLES = {"caller": {}, "callee": {}, "publisher": {}, "subscriber": {}}


# ------------------------------------------------------------ Autobahn side


class AuthSession(Session):
    """A Session that joins with authmethods, authid and authextra and
    answers each CHALLENGE with answer(challenge) (a signature, or a future
    of one); the challenges it got are kept in order."""

    def __init__(self, realm, authmethods=None, authid=None, authextra=None, answer=None):
        super().__init__(ComponentConfig(realm=realm))
        # Not self.authid: ApplicationSession has a read-only property of it.
        self.hello = {"authmethods": authmethods, "authid": authid, "authextra": authextra}
        self.answer = answer
        self.challenges = []

    def onConnect(self):
        self.join(self.config.realm, **self.hello)

    def onChallenge(self, challenge):
        self.challenges.append(challenge)
        if self.answer is None:
            raise RuntimeError("no answer for a %s challenge" % challenge.method)
        return self.answer(challenge)


def ticket(secret):
    return lambda ch: secret


def wampcra(secret):
    """The WAMP-CRA answer as Autobahn computes it: the secret itself, or
    its PBKDF2 key when the challenge carries salt, iterations and keylen."""

    def answer(ch):
        key = secret
        if "salt" in ch.extra:
            key = _auth.derive_key(secret, ch.extra["salt"], ch.extra.get("iterations", 1000),
                                   ch.extra.get("keylen", 32))
        return _auth.compute_wcs(key, ch.extra["challenge"])
    return answer


def cryptosign(key):
    return lambda ch: key.sign_challenge(ch)


def by_method(answers):
    """Answers a challenge with the answer of its method (authmethods order)."""
    return lambda ch: answers[ch.method](ch)


CS_KEY = CryptosignKey.from_bytes(CS_SEED)
OTHER_KEY = CryptosignKey.from_bytes(bytes(range(32)))

# Logins of the authn scenario: (name, HELLO authmethods, authid, authextra,
# answer, expected authmethod of WELCOME or None for a refusal).
RIGHT = [
    ("ticket", ["ticket"], TICKET[0], None, ticket(TICKET[1]), "ticket"),
    ("wampcra plain", ["wampcra"], CRA[0], None, wampcra(CRA[1]), "wampcra"),
    ("wampcra salted", ["wampcra"], CRA_SALTED[0], None, wampcra(CRA_SALTED[1]), "wampcra"),
    ("cryptosign", ["cryptosign"], CS_AUTHID, {"pubkey": CS_PUBKEY}, cryptosign(CS_KEY), "cryptosign"),
    ("cryptosign without authid (found by pubkey)", ["cryptosign"], None, {"pubkey": CS_PUBKEY},
     cryptosign(CS_KEY), "cryptosign"),
]

# Wrong secrets, in pairs worded alike: a wrong secret of a known authid,
# then an unknown authid (the refusals must not tell them apart).
WRONG = [
    ("ticket", ["ticket"], TICKET[0], None, ticket("ticket-secret-2")),
    ("ticket", ["ticket"], "nobody", None, ticket(TICKET[1])),
    ("wampcra plain", ["wampcra"], CRA[0], None, wampcra("cra-secret-2")),
    ("wampcra plain", ["wampcra"], "nobody", None, wampcra(CRA[1])),
    ("wampcra salted", ["wampcra"], CRA_SALTED[0], None, wampcra("cra-secret-1")),
    ("wampcra salted", ["wampcra"], "nobody", None, wampcra(CRA_SALTED[1])),
    # The fixture's public key signed by another private key, then another
    # key the principal does not have.
    ("cryptosign", ["cryptosign"], CS_AUTHID, {"pubkey": CS_PUBKEY}, cryptosign(OTHER_KEY)),
    ("cryptosign", ["cryptosign"], CS_AUTHID, {"pubkey": OTHER_KEY.public_key()}, cryptosign(OTHER_KEY)),
]


async def login(opts, realm, authmethods=None, authid=None, authextra=None, answer=None, transport=None):
    """Joins realm through Autobahn's ApplicationSession; returns the
    session (JoinError when refused)."""
    sess = AuthSession(realm, authmethods, authid, authextra, answer)
    return await connect(opts, realm=realm, transport=transport, session=sess, ssl=opts.ssl)


async def refused(opts, **kw):
    """Logs in expecting a refusal: (reason, message, the session)."""
    sess = AuthSession(SECURE, kw.get("authmethods"), kw.get("authid"), kw.get("authextra"), kw.get("answer"))
    try:
        await connect(opts, realm=SECURE, session=sess, ssl=opts.ssl)
    except JoinError as e:
        return e.reason, e.message, sess
    await leave(sess)
    return "joined", None, sess


def check_welcome(c, name, sess, authid, method):
    d = sess.joined.result()
    c.eq(name + ": WELCOME authid", d.authid, authid)
    c.eq(name + ": WELCOME authrole", d.authrole, ROLE)
    c.eq(name + ": WELCOME authmethod", d.authmethod, method)
    c.eq(name + ": WELCOME authprovider", d.authprovider, "static")


class Keeper:
    """A session joined before the refusals: a callee and a caller of one
    procedure under com.example., so each alive() is a routed round trip."""

    def __init__(self, opts, tag):
        self.opts, self.proc = opts, "com.example.keeper." + tag

    async def open(self):
        self.sess = await login(self.opts, SECURE, ["ticket"], TICKET[0], answer=ticket(TICKET[1]))
        await asyncio.wait_for(self.sess.register(lambda n: n + 1, self.proc), TIMEOUT)

    async def alive(self):
        return await asyncio.wait_for(self.sess.call(self.proc, 41), TIMEOUT) == 42


def tag_of(opts):
    return "py_%s_%s" % (opts.transport, opts.serializer)


# ------------------------------------------------------------ scenarios


async def scenario_authn(opts, c):
    keeper = Keeper(opts, tag_of(opts))
    await keeper.open()
    c.ok("a ticket session joined first, as callee and caller")

    for name, methods, authid, extra, answer, method in RIGHT:
        try:
            sess = await login(opts, SECURE, methods, authid, extra, answer)
        except Exception as e:  # noqa: BLE001
            c.fail(name + ": right secret joins", repr(e))
            continue
        c.ok(name + ": right secret joins")
        check_welcome(c, name, sess, authid or CS_AUTHID, method)
        c.eq(name + ": one CHALLENGE of method " + method, [ch.method for ch in sess.challenges], [method])
        if name == "wampcra salted":
            x = sess.challenges[0].extra
            c.eq(name + ": CHALLENGE salt, iterations, keylen",
                 (x.get("salt"), x.get("iterations"), x.get("keylen")), ("salt123", 1000, 32))
        await leave(sess)

    messages = {}
    for i, (name, methods, authid, extra, answer) in enumerate(WRONG):
        label = "%s: %s" % (name, "wrong secret" if authid != "nobody" else "unknown authid")
        if name == "cryptosign" and extra["pubkey"] != CS_PUBKEY:
            label = name + ": a key the principal does not have"
        reason, message, sess = await refused(opts, authmethods=methods, authid=authid, authextra=extra, answer=answer)
        c.eq(label + " is refused with ABORT " + AUTH_FAILED, reason, AUTH_FAILED)
        c.eq(label + ": refused after one CHALLENGE", len(sess.challenges), 1)
        messages.setdefault(name, set()).add(message)
        c.check(label + ": wampd still serves the joined session", await keeper.alive(), "round trip failed")
    for name, texts in messages.items():
        c.eq(name + ": refusals worded alike (no hint of which part was wrong)", len(texts), 1)

    # The client's authmethods order is honoured.
    both = by_method({"ticket": ticket(TICKET[1]), "wampcra": wampcra(CRA[1])})
    for methods, authid in ((["wampcra", "ticket"], CRA[0]), (["ticket", "wampcra"], TICKET[0])):
        sess = await login(opts, SECURE, methods, authid, answer=both)
        c.eq("authmethods %s: challenged with the first" % methods, [ch.method for ch in sess.challenges], [methods[0]])
        check_welcome(c, "authmethods %s" % methods, sess, authid, methods[0])
        await leave(sess)
    sess = await login(opts, SECURE, ["anonymous", "cryptosign"], CS_AUTHID, {"pubkey": CS_PUBKEY}, cryptosign(CS_KEY))
    check_welcome(c, "authmethods [anonymous, cryptosign]: the method the realm has", sess, CS_AUTHID, "cryptosign")
    await leave(sess)

    for label, methods in (("no authmethods", None), ("authmethods [anonymous]", ["anonymous"])):
        reason, _, sess = await refused(opts, authmethods=methods)
        c.eq("anonymous on %s (%s) is refused with ABORT %s" % (SECURE, label, NO_AUTH_METHOD), reason, NO_AUTH_METHOD)
        c.eq("anonymous on %s (%s): no CHALLENGE" % (SECURE, label), len(sess.challenges), 0)
    reason, _, _ = await refused(opts, authmethods=["ticket", "wampcra"], authid=TICKET[0], answer=ticket("x"))
    c.eq("a wrong ticket with wampcra offered too is refused", reason, AUTH_FAILED)

    open_sess = await login(opts, "realm1")
    d = open_sess.joined.result()
    c.eq("realm1 anonymous: WELCOME authrole, authmethod", (d.authrole, d.authmethod), ("anonymous", "anonymous"))
    await asyncio.wait_for(open_sess.register(lambda: "open", "org.other.open." + tag_of(opts)), TIMEOUT)
    c.eq("realm1 anonymous may register and call under org.other.",
         await asyncio.wait_for(open_sess.call("org.other.open." + tag_of(opts)), TIMEOUT), "open")
    await leave(open_sess)

    c.check("the first session is still served after every refusal", await keeper.alive(), "round trip failed")
    await leave(keeper.sess)


async def denied(c, name, aw):
    await c.error(name + " is denied with " + NOT_AUTHORIZED, aw, NOT_AUTHORIZED)


async def scenario_authz(opts, c):
    tag = tag_of(opts)
    # Two principals of role "user" by two methods: a callee/subscriber and
    # a caller/publisher.
    a = await login(opts, SECURE, ["wampcra"], CRA_SALTED[0], answer=wampcra(CRA_SALTED[1]))
    b = await login(opts, SECURE, ["cryptosign"], CS_AUTHID, {"pubkey": CS_PUBKEY}, cryptosign(CS_KEY))
    ok = "com.example.%s." % tag
    bad = "org.other.%s." % tag

    await asyncio.wait_for(a.register(lambda x: x * 2, ok + "double"), TIMEOUT)
    c.ok("register under com.example. is allowed")
    c.eq("call under com.example. is allowed and routed",
         await asyncio.wait_for(b.call(ok + "double", 21), TIMEOUT), 42)
    got = asyncio.get_running_loop().create_future()

    def on_event(*args, **kwargs):
        if not got.done():
            got.set_result(list(args))
    await asyncio.wait_for(a.subscribe(on_event, ok + "topic"), TIMEOUT)
    c.ok("subscribe under com.example. is allowed")
    await asyncio.wait_for(b.publish(ok + "topic", "hi", options=PublishOptions(acknowledge=True)), TIMEOUT)
    c.ok("publish under com.example. is allowed (acknowledged)")
    c.eq("the event reaches the subscriber", await asyncio.wait_for(got, TIMEOUT), ["hi"])
    await asyncio.wait_for(a.subscribe(lambda *a, **k: None, ok + "sub.",
                                       options=SubscribeOptions(match="prefix")), TIMEOUT)
    c.ok("prefix subscription within com.example. is allowed")

    await denied(c, "register under org.other.", a.register(lambda: None, bad + "proc"))
    await denied(c, "call under org.other.", b.call(bad + "proc"))
    await denied(c, "subscribe under org.other.", a.subscribe(lambda *a: None, bad + "topic"))
    await denied(c, "acknowledged publish under org.other.",
                 b.publish(bad + "topic", "x", options=PublishOptions(acknowledge=True)))
    await denied(c, "prefix subscription to com. (wider than com.example.)",
                 a.subscribe(lambda *a: None, "com.", options=SubscribeOptions(match="prefix")))
    await denied(c, "call of the meta procedure wamp.session.count", b.call("wamp.session.count"))
    await denied(c, "call of com.example (the prefix without its dot)", b.call("com.example"))

    c.check("the denied sessions stay joined", a.is_attached() and b.is_attached(), "a session was closed")
    c.eq("a call after the denials still works", await asyncio.wait_for(b.call(ok + "double", 4), TIMEOUT), 8)
    await leave(a)
    await leave(b)


async def scenario_throttle(opts, c):
    """The fixture's login failure limit with a real client."""
    keeper = Keeper(opts, tag_of(opts) + "_throttle")
    await keeper.open()
    limit = 10  # login_failures_per_address and _per_authid, the default
    for i in range(limit):
        reason, _, _ = await refused(opts, authmethods=["ticket"], authid=TICKET[0], answer=ticket("wrong"))
        if reason != AUTH_FAILED:
            c.fail("failed login %d of %d" % (i + 1, limit), "reason %s" % reason)
    c.ok("%d failed logins in a row are each refused" % limit)
    reason, message, sess = await refused(opts, authmethods=["ticket"], authid=TICKET[0], answer=ticket(TICKET[1]))
    c.eq("the next login, right ticket too, is refused with " + AUTH_FAILED, reason, AUTH_FAILED)
    c.eq("it is refused at once, without a CHALLENGE", len(sess.challenges), 0)
    c.check("its ABORT says to try later", message and "later" in message, "message %r" % message)
    c.check("the joined session is still served", await keeper.alive(), "round trip failed")
    await leave(keeper.sess)


# ------------------------------------------------------------ wamp-scram


class ScramClient:
    """The client side of WAMP-SCRAM as the spec writes it, over a RawPeer
    (Autobahn's serializers and WebSocket, or our RawSocket framing)."""

    def __init__(self, opts, authid, password):
        self.peer = RawPeer(opts, opts.serializer)
        self.authid, self.password = authid, password
        self.nonce = base64.b64encode(os.urandom(16)).decode()

    async def login(self):
        """HELLO, CHALLENGE, AUTHENTICATE: returns (the CHALLENGE or None,
        the WELCOME or ABORT, the ServerSignature expected in WELCOME)."""
        p = self.peer
        await p.open()
        p.send(HELLO, SECURE, {"roles": CLIENT_ROLES, "authmethods": ["wamp-scram"], "authid": self.authid,
                               "authextra": {"nonce": self.nonce, "channel_binding": None}})
        m = await p.expect(lambda m: m[0] in (CHALLENGE, WELCOME, ABORT))
        if m[0] != CHALLENGE:
            return None, m, None
        ch = m
        x = ch[2]
        if not x["nonce"].startswith(self.nonce):
            # The spec: the client MUST ABORT here.
            p.send(ABORT, {}, "wamp.error.authentication_failed")
            raise RuntimeError("server nonce %r does not extend ours %r" % (x["nonce"], self.nonce))
        salted = salted_password(x, self.password)
        client_key = hmac_sha256(salted, b"Client Key")
        stored_key = hashlib.sha256(client_key).digest()
        server_key = hmac_sha256(salted, b"Server Key")
        cbind_input = b"n,,"
        auth_message = ",".join([
            "n=" + escape(self.authid), "r=" + self.nonce,
            "r=" + x["nonce"], "s=" + x["salt"], "i=%d" % x["iterations"],
            "c=" + base64.b64encode(cbind_input).decode(), "r=" + x["nonce"],
        ]).encode()
        signature = hmac_sha256(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        p.send(AUTHENTICATE, base64.b64encode(proof).decode(),
               {"nonce": x["nonce"], "channel_binding": None, "cbind_data": None})
        m = await p.expect(lambda m: m[0] in (WELCOME, ABORT))
        return ch, m, base64.b64encode(hmac_sha256(server_key, auth_message)).decode()


def escape(s):
    return s.replace("=", "=3D").replace(",", "=2C")


def hmac_sha256(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def salted_password(x, password):
    """SaltedPassword = KDF(password, salt, params) with the CHALLENGE's kdf
    (the password is ASCII, which SASLprep leaves as it is)."""
    salt = base64.b64decode(x["salt"])
    if x["kdf"] == "argon2id13":
        return pwhash.argon2id.kdf(32, password.encode(), salt, opslimit=x["iterations"],
                                   memlimit=x["memory"] * 1024)
    if x["kdf"] == "pbkdf2":
        return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, x["iterations"], 32)
    raise RuntimeError("unknown kdf %r" % x["kdf"])


async def scenario_scram(opts, c):
    authid, password = SCRAM
    cl = ScramClient(opts, authid, password)
    try:
        ch, m, verifier = await cl.login()
        c.check("wamp-scram: CHALLENGE", ch is not None, "got %s" % short(m))
        x = ch[2]
        c.eq("wamp-scram: CHALLENGE method", ch[1], "wamp-scram")
        c.eq("wamp-scram: CHALLENGE kdf and costs", (x["kdf"], x["iterations"], x["memory"]), ("argon2id13", 2, 19456))
        c.eq("wamp-scram: right password gets WELCOME", m[0], WELCOME)
        if m[0] == WELCOME:
            d = m[2]
            c.eq("wamp-scram: WELCOME authid, authrole, authmethod",
                 (d.get("authid"), d.get("authrole"), d.get("authmethod")), (authid, ROLE, "wamp-scram"))
            c.eq("wamp-scram: WELCOME authextra.verifier is the ServerSignature",
                 (d.get("authextra") or {}).get("verifier"), verifier)
            p = cl.peer
            m2 = await p.call("com.example.nothing." + tag_of(opts))
            c.eq("wamp-scram session: a call under com.example. is allowed (no such procedure)",
                 m2[:1] + m2[4:5], [8, "wamp.error.no_such_procedure"])
            m2 = await p.call("org.other.nothing")
            c.eq("wamp-scram session: a call under org.other. is denied", m2[:1] + m2[4:5], [8, NOT_AUTHORIZED])
    finally:
        cl.peer.abort()

    for label, who, pw in (("wrong password", authid, "scram-secret-2"), ("unknown authid", "nobody", password)):
        cl = ScramClient(opts, who, pw)
        try:
            ch, m, _ = await cl.login()
            c.check("wamp-scram %s: challenged like a known authid" % label,
                    ch is not None and ch[2]["kdf"] == "argon2id13", "got %s" % short(ch or m))
            c.eq("wamp-scram %s: ABORT %s" % (label, AUTH_FAILED), m[:1] + m[2:3], [ABORT, AUTH_FAILED])
            await asyncio.wait_for(cl.peer.gone, TIMEOUT)
            c.ok("wamp-scram %s: the router closes the connection" % label)
        finally:
            cl.peer.abort()


def channel_bound(key):
    """The cryptosign answer over TLS with tls-unique channel binding:
    Autobahn signs challenge XOR SHA-256(tls-unique), the channel id its
    WebSocket transport computed at open."""

    def answer(sess, ch):
        cid = sess._transport.transport_details.channel_id.get("tls-unique")
        return key.sign_challenge(ch, channel_id=cid, channel_id_type="tls-unique")
    return answer


class BoundSession(AuthSession):
    """An AuthSession whose answer also gets the session (for its transport)."""

    def onChallenge(self, challenge):
        self.challenges.append(challenge)
        return self.answer(self, challenge)


async def scenario_wss(opts, c):
    if not opts.ws.startswith("wss://"):
        raise RuntimeError("wss needs a wss:// --ws URL, got %s" % opts.ws)
    try:
        s = await connect(opts, realm="realm1", ssl=ssl.create_default_context())
        c.fail("a client without the test CA is refused by its TLS stack", "joined")
        await leave(s)
    except ssl.SSLCertVerificationError:
        c.ok("a client without the test CA is refused by its TLS stack")

    # A plaintext WebSocket upgrade on the TLS port (Autobahn's own client
    # reports such a failure to no session, so the request is ours).
    hostport = opts.ws[len("wss://"):].split("/", 1)[0]
    host, port = hostport.rsplit(":", 1)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), TIMEOUT)
    writer.write(("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Protocol: wamp.2.json\r\n\r\n" % hostport).encode())
    try:
        status = await asyncio.wait_for(reader.readline(), 2)
        c.check("a plaintext WebSocket upgrade on the wss:// port is refused at once (HTTP 400)",
                status.startswith(b"HTTP/1.1 400"), "status line %r" % status)
    except asyncio.TimeoutError:
        c.fail("a plaintext WebSocket upgrade on the wss:// port is refused at once", "no answer within 2s")
    writer.close()

    sess = await login(opts, SECURE, ["ticket"], TICKET[0], answer=ticket(TICKET[1]))
    check_welcome(c, "wss ticket", sess, TICKET[0], "ticket")
    td = sess._transport.transport_details
    c.check("wss: Autobahn's transport is secure", td.is_secure, "is_secure %r" % td.is_secure)
    reason, _, _ = await refused(opts, authmethods=["ticket"], authid=TICKET[0], answer=ticket("wrong"))
    c.eq("wss ticket: wrong secret is refused with " + AUTH_FAILED, reason, AUTH_FAILED)
    await denied(c, "wss: call under org.other.", sess.call("org.other.x"))
    await asyncio.wait_for(sess.register(lambda: "tls", "com.example.wss." + tag_of(opts)), TIMEOUT)
    c.eq("wss: register and call under com.example.",
         await asyncio.wait_for(sess.call("com.example.wss." + tag_of(opts)), TIMEOUT), "tls")
    await leave(sess)

    tls12 = ssl.create_default_context(cafile=opts.cafile)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    extra = {"pubkey": CS_PUBKEY, "channel_binding": "tls-unique"}
    sess = BoundSession(SECURE, ["cryptosign"], CS_AUTHID, extra, channel_bound(CS_KEY))
    try:
        await connect(opts, realm=SECURE, session=sess, ssl=tls12)
        check_welcome(c, "wss TLS 1.2 cryptosign with tls-unique", sess, CS_AUTHID, "cryptosign")
        c.eq("wss TLS 1.2: CHALLENGE channel_binding", sess.challenges[0].extra.get("channel_binding"), "tls-unique")
        await leave(sess)
    except JoinError as e:
        c.fail("wss TLS 1.2 cryptosign with tls-unique joins", "%s %s" % (e.reason, e.message))

    # The same, signing the bare challenge: the binding is checked.
    sess = BoundSession(SECURE, ["cryptosign"], CS_AUTHID, extra, lambda s, ch: CS_KEY.sign_challenge(ch))
    try:
        await connect(opts, realm=SECURE, session=sess, ssl=tls12)
        c.fail("wss TLS 1.2 cryptosign: a signature without the channel id is refused", "joined")
        await leave(sess)
    except JoinError as e:
        c.eq("wss TLS 1.2 cryptosign: a signature without the channel id is refused", e.reason, AUTH_FAILED)

    sess = BoundSession(SECURE, ["cryptosign"], CS_AUTHID, extra, channel_bound(CS_KEY))
    try:
        await connect(opts, realm=SECURE, session=sess, ssl=opts.ssl)
        c.fail("wss TLS 1.3 cryptosign with tls-unique is refused (undefined on TLS 1.3)", "joined")
        await leave(sess)
    except JoinError as e:
        c.eq("wss TLS 1.3 cryptosign with tls-unique is refused (undefined on TLS 1.3)", e.reason, AUTH_FAILED)
        c.eq("wss TLS 1.3 cryptosign with tls-unique: refused before any CHALLENGE", len(sess.challenges), 0)


SCENARIOS = {
    "authn": scenario_authn,
    "authz": scenario_authz,
    "scram": scenario_scram,
    "throttle": scenario_throttle,
    "wss": scenario_wss,
}


def main():
    p = scenario_parser(SCENARIOS)
    p.add_argument("--cafile", help="CA certificate (PEM) to verify a wss:// router with")
    opts = p.parse_args()
    opts.ssl = None
    if opts.cafile:
        opts.ssl = ssl.create_default_context(cafile=opts.cafile)
    run_scenario(SCENARIOS, opts)


if __name__ == "__main__":
    main()
