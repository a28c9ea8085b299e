#!/usr/bin/python3
"""Advanced Profile interop scenarios for wampd, with Autobahn|Python.

Run by cmd/wampd/advanced_interop_test.go against a wampd serving
examples/advanced.yaml (realm1 with event history on conf.history and
conf.hist.*, realm2; both anonymous, meta API on). One scenario per process;
every check prints "OK <name>" or "FAIL <name>: <why>", and the process
exits 0 only when every check passed.

Autobahn|Python 22.7 (Debian's python3-autobahn) lacks some of what is
tested, and this script says where it steps in:
- It has no progressive call invocations (CALL.Options.progress) and speaks
  payload passthru mode only in its pre-spec form (enc_algo, enc_key,
  enc_serializer; it announces "payload_transparency", not
  "payload_passthru_mode"): those scenarios (pci, ppt) use RawPeer, a WAMP
  peer of our own that sends message lists through Autobahn's serializers
  and its WebSocket client (or a RawSocket framing of ours).
- PublishOptions and CallOptions have no disclose_me: DiscloseMe adds it to
  the PUBLISH/CALL Autobahn marshals (the EVENT and INVOCATION details are
  read by Autobahn as usual).
- It announces subscriber.subscription_revocation, but an UNSUBSCRIBED with
  request 0 is a ProtocolError to it (wamp/protocol.py, "UNSUBSCRIBED
  received for non-pending request ID 0") and it drops the connection.
  It also refuses an UNSUBSCRIBED or UNREGISTERED whose reason is not a URI
  (message.py, check_or_raise_uri), where the spec's reason is free text.
  The revocation scenario has its Autobahn subscriber not announce the
  feature (the router then revokes silently, as the spec says), gives its
  Autobahn callee a URI as the reason, and checks the UNSUBSCRIBED itself
  with a RawPeer.

Usage: advanced.py SCENARIO --transport ws|rs --serializer json|msgpack|cbor
                   --ws URL --rs HOST:PORT [...]
"""

import asyncio
import struct

import txaio

txaio.use_asyncio()

from autobahn.asyncio.websocket import (  # noqa: E402
    WebSocketClientFactory,
    WebSocketClientProtocol,
)
from autobahn.wamp import message as _message  # noqa: E402
from autobahn.wamp import role as _role  # noqa: E402
from autobahn.wamp.types import (  # noqa: E402
    PublishOptions,
    RegisterOptions,
    SubscribeOptions,
)

from interop import SERIALIZERS, TIMEOUT, connect, leave, short, run_scenario, scenario_parser  # noqa: E402

REALM1, REALM2 = "realm1", "realm2"
# OTHER is the serializer of the peer a cross-serializer check pairs with.
OTHER = {"json": "cbor", "msgpack": "json", "cbor": "msgpack"}
NO_SUCH_SESSION = "wamp.error.no_such_session"
LIMIT_EXCEEDED = "wampd.error.limit_exceeded"

# Message types the raw peer uses.
HELLO, WELCOME, ABORT, GOODBYE, ERROR = 1, 2, 3, 6, 8
PUBLISH, PUBLISHED, SUBSCRIBE, SUBSCRIBED, UNSUBSCRIBED, EVENT = 16, 17, 32, 33, 35, 36
CALL, CANCEL, RESULT, REGISTER, REGISTERED, UNREGISTERED = 48, 49, 50, 64, 65, 67
INVOCATION, INTERRUPT, YIELD = 68, 69, 70


# ------------------------------------------------------------------ helpers


class Inbox:
    """Collects items (events, messages) and lets a check await the first
    one matching a predicate, whether it came already or comes later."""

    def __init__(self):
        self.items = []
        self._waiters = []

    def put(self, item):
        self.items.append(item)
        for pred, fut in list(self._waiters):
            if not fut.done() and pred(item):
                fut.set_result(item)

    async def get(self, pred=lambda it: True, timeout=TIMEOUT):
        for it in self.items:
            if pred(it):
                return it
        fut = asyncio.get_running_loop().create_future()
        w = (pred, fut)
        self._waiters.append(w)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._waiters.remove(w)

    def find(self, pred):
        return [it for it in self.items if pred(it)]

    async def check(self, c, name, pred, timeout=TIMEOUT):
        """Awaits an item matching pred as check name of c; reports a
        failure and returns None on timeout."""
        try:
            item = await self.get(pred, timeout)
            c.ok(name)
            return item
        except asyncio.TimeoutError:
            c.fail(name, "nothing matching within %ss; got %s" % (timeout, short(self.items)))
            return None


class Event:
    """One event as an Autobahn handler got it."""

    def __init__(self, topic, args, kwargs, details):
        self.topic, self.args, self.kwargs, self.details = topic, list(args), kwargs, details

    def __repr__(self):
        return "Event(%s, %r, %r)" % (self.topic, self.args, self.kwargs)


async def watch(sess, inbox, topic, match=None, get_retained=None):
    """Subscribes sess to topic; every event goes to inbox as an Event."""

    def on_event(*args, details=None, **kwargs):
        inbox.put(Event(topic, args, kwargs, details))

    opts = SubscribeOptions(details=True, match=match, get_retained=get_retained)
    return await asyncio.wait_for(sess.subscribe(on_event, topic, options=opts), TIMEOUT)


def record_messages(sess):
    """Puts every WAMP message object sess receives from now on in an Inbox."""
    inbox = Inbox()
    orig = sess.onMessage

    def on_message(msg):
        inbox.put(msg)
        orig(msg)

    sess.onMessage = on_message
    return inbox


class DiscloseMe:
    """Adds disclose_me: true to the PUBLISH and CALL marshaled inside the
    block (Autobahn|Python 22.7's options have no disclose_me)."""

    active = False

    def __enter__(self):
        DiscloseMe.active = True

    def __exit__(self, *exc):
        DiscloseMe.active = False


def _disclosing(marshal):
    def wrapped(self):
        m = marshal(self)
        if DiscloseMe.active:
            m[2]["disclose_me"] = True
        return m
    return wrapped


_message.Publish.marshal = _disclosing(_message.Publish.marshal)
_message.Call.marshal = _disclosing(_message.Call.marshal)


def roles_without(role_name, feature):
    """Autobahn's default client roles with one feature not announced."""
    roles = dict(_role.DEFAULT_CLIENT_ROLES)
    old = roles[role_name]
    feats = {k: v for k, v in old.__dict__.items() if not k.startswith("_") and k != feature}
    roles[role_name] = type(old)(**feats)
    return roles


async def call(sess, proc, *args, **kwargs):
    return await asyncio.wait_for(sess.call(proc, *args, **kwargs), TIMEOUT)


async def publish_ack(sess, topic, *args, options=None, **kwargs):
    opts = options or PublishOptions()
    opts.acknowledge = True
    return await asyncio.wait_for(sess.publish(topic, *args, options=opts, **kwargs), TIMEOUT)


async def abort_transport(sess):
    """Drops the session's connection without GOODBYE (TCP close)."""
    sess._transport.transport.abort()
    await asyncio.wait_for(sess.gone, TIMEOUT)


def ident(sess):
    """The session id WELCOME gave (Autobahn forgets it once the session ends)."""
    return sess.joined.result().session


def authid(sess):
    return sess.joined.result().authid


class Ctx:
    """What every scenario gets: options, checks, a tag for its URIs and the
    sessions to close at the end whatever happens."""

    def __init__(self, opts, c):
        self.opts, self.c = opts, c
        self.tag = "py_%s_%s" % (opts.transport, opts.serializer)
        self.sessions = []
        self.peers = []

    async def join(self, realm=REALM1, **kw):
        s = await connect(self.opts, realm=realm, **kw)
        self.sessions.append(s)
        return s

    async def peer(self, realm=REALM1, roles=None, serializer=None):
        p = RawPeer(self.opts, serializer or self.opts.serializer)
        self.peers.append(p)
        await p.open()
        await p.join(realm, roles or {"publisher": {}, "subscriber": {}, "caller": {}, "callee": {}})
        return p

    async def close(self):
        for s in self.sessions:
            try:
                await leave(s)
            except Exception:  # noqa: BLE001 - best effort cleanup
                pass
        for p in self.peers:
            p.abort()

    async def wait(self, name, inbox, pred, timeout=TIMEOUT):
        """Awaits an inbox item; reports a failure and returns None on timeout."""
        return await inbox.check(self.c, name, pred, timeout)


# ------------------------------------------------------------------ raw peer


class _WSProto(WebSocketClientProtocol):
    def onOpen(self):
        self.factory.peer._opened(self)

    def onMessage(self, payload, isBinary):
        self.factory.peer._received(payload)

    def onClose(self, wasClean, code, reason):
        self.factory.peer._lost()


class RawPeer:
    """A WAMP peer of our own for what Autobahn|Python cannot send: message
    lists as the test writes them, serialized by Autobahn's object
    serializers, over Autobahn's WebSocket client or a RawSocket framing of
    ours (4-byte handshake, then 1 type byte + 3 length bytes per frame)."""

    def __init__(self, opts, serializer):
        self.opts = opts
        wamp_ser = SERIALIZERS[serializer]()
        self.ser = wamp_ser._serializer
        self.rs_id = wamp_ser.RAWSOCKET_SERIALIZER_ID
        self.name = serializer
        self.inbox = Inbox()
        loop = asyncio.get_running_loop()
        self.open_fut = loop.create_future()
        self.gone = loop.create_future()
        self.ws = None
        self.writer = None
        self.next_req = 0
        self.session = None
        self.details = None

    async def open(self):
        loop = asyncio.get_running_loop()
        if self.opts.transport == "ws":
            factory = WebSocketClientFactory(self.opts.ws, protocols=["wamp.2." + self.name])
            factory.protocol = _WSProto
            factory.peer = self
            hostport = self.opts.ws.split("//", 1)[1].split("/", 1)[0]
            host, port = hostport.rsplit(":", 1)
            await asyncio.wait_for(loop.create_connection(factory, host, int(port)), TIMEOUT)
            await asyncio.wait_for(self.open_fut, TIMEOUT)
        else:
            host, port = self.opts.rs.rsplit(":", 1)
            reader, self.writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), TIMEOUT)
            self.writer.write(bytes([0x7F, 0xF0 | self.rs_id, 0, 0]))
            hs = await asyncio.wait_for(reader.readexactly(4), TIMEOUT)
            if hs[0] != 0x7F or hs[1] & 0x0F != self.rs_id:
                raise RuntimeError("rawsocket handshake refused: %r" % hs)
            self._reader = asyncio.ensure_future(self._read_rs(reader))

    async def _read_rs(self, reader):
        try:
            while True:
                h = await reader.readexactly(4)
                n = struct.unpack(">I", b"\0" + h[1:])[0]
                payload = await reader.readexactly(n)
                kind = h[0] & 0x07
                if kind == 0:
                    self._received(payload)
                elif kind == 1:  # ping: answer with a pong of the same payload
                    self.writer.write(bytes([2]) + h[1:] + payload)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        self._lost()

    def _opened(self, proto):
        self.ws = proto
        if not self.open_fut.done():
            self.open_fut.set_result(True)

    def _received(self, payload):
        for msg in self.ser.unserialize(payload):
            self.inbox.put(msg)

    def _lost(self):
        if not self.gone.done():
            self.gone.set_result(True)

    def send(self, *msg):
        data = self.ser.serialize(list(msg))
        if self.ws is not None:
            self.ws.sendMessage(data, isBinary=self.ser.BINARY)
        else:
            self.writer.write(struct.pack(">I", len(data)) + data)

    def req(self):
        self.next_req += 1
        return self.next_req

    async def expect(self, pred, timeout=TIMEOUT):
        """The first message received matching pred (TimeoutError if none)."""
        return await self.inbox.get(pred, timeout)

    async def join(self, realm, roles):
        self.send(HELLO, realm, {"roles": roles})
        m = await self.expect(lambda m: m[0] in (WELCOME, ABORT))
        if m[0] != WELCOME:
            raise RuntimeError("join refused: %r" % (m,))
        self.session, self.details = m[1], m[2]

    async def request(self, typ, reply, *rest):
        """Sends [typ, req, *rest] and returns the reply of type reply or the
        ERROR for it."""
        r = self.req()
        self.send(typ, r, *rest)
        return await self.expect(lambda m: (m[0] == reply and m[1] == r) or
                                 (m[0] == ERROR and m[1] == typ and m[2] == r))

    async def subscribe(self, topic, options=None):
        m = await self.request(SUBSCRIBE, SUBSCRIBED, options or {}, topic)
        if m[0] != SUBSCRIBED:
            raise RuntimeError("subscribe %s: %r" % (topic, m))
        return m[2]

    async def register(self, proc, options=None):
        m = await self.request(REGISTER, REGISTERED, options or {}, proc)
        if m[0] != REGISTERED:
            raise RuntimeError("register %s: %r" % (proc, m))
        return m[2]

    async def call(self, proc, args=None, options=None):
        return await self.request(CALL, RESULT, options or {}, proc, args or [])

    async def barrier(self):
        """A round trip through the realm: whatever it sent this peer before
        has arrived once this returns."""
        m = await self.call("wamp.session.count")
        if m[0] != RESULT:
            raise RuntimeError("barrier: %r" % (m,))

    def abort(self):
        """Closes the connection without GOODBYE."""
        conn = self.ws if self.ws is not None else self.writer
        if conn is not None and conn.transport is not None:
            conn.transport.abort()


# ---------------------------------------------------------------- scenarios


async def scenario_blackwhite(x):
    """subscriber_blackwhite_listing: every list on its own and combined."""
    c, topic = x.c, "com.adv.bw." + x.tag
    pub = await x.join()
    subs = [await x.join() for _ in range(3)]
    a, b, cc = subs
    got = Inbox()
    names = {ident(pub): "P", ident(a): "A", ident(b): "B", ident(cc): "C"}

    def handler(sess):
        def on_event(*args, **kwargs):
            got.put((names[ident(sess)], kwargs.get("case")))
        return on_event

    for s in [pub] + subs:
        await asyncio.wait_for(s.subscribe(handler(s), topic), TIMEOUT)
    cases = [
        ("exclude [session id]", PublishOptions(exclude=[ident(a)]), "BC"),
        ("exclude [two session ids]", PublishOptions(exclude=[ident(a), ident(cc)]), "B"),
        ("exclude_authid [authid from WELCOME]", PublishOptions(exclude_authid=[authid(b)]), "AC"),
        ("exclude_authrole [anonymous]", PublishOptions(exclude_authrole=["anonymous"]), ""),
        ("exclude_authrole [a role nobody has]", PublishOptions(exclude_authrole=["admin"]), "ABC"),
        ("eligible [session ids]", PublishOptions(eligible=[ident(a), ident(b)]), "AB"),
        ("eligible_authid [authid from WELCOME]", PublishOptions(eligible_authid=[authid(cc)]), "C"),
        ("eligible_authrole [anonymous]", PublishOptions(eligible_authrole=["anonymous"]), "ABC"),
        ("eligible_authrole [a role nobody has]", PublishOptions(eligible_authrole=["admin"]), ""),
        ("eligible with exclude: exclude wins", PublishOptions(eligible=[ident(a), ident(b), ident(cc)],
                                                               exclude=[ident(a)]), "BC"),
        ("eligible and eligible_authid intersect", PublishOptions(eligible=[ident(a), ident(b)],
                                                                  eligible_authid=[authid(b), authid(cc)]), "B"),
        ("publisher in eligible still excluded (exclude_me default)",
         PublishOptions(eligible=[ident(pub), ident(a)]), "A"),
        ("publisher in eligible with exclude_me=false",
         PublishOptions(eligible=[ident(pub), ident(a)], exclude_me=False), "AP"),
    ]
    for i, (_, opts, _) in enumerate(cases):
        opts.acknowledge = True
        await asyncio.wait_for(pub.publish(topic, case=i, options=opts), TIMEOUT)
    # Events of one publisher arrive in order: after the marker, all.
    await publish_ack(pub, topic, case="mark", options=PublishOptions(exclude_me=False))
    for n in "PABC":
        await x.wait("marker reaches " + n, got, lambda it, n=n: it == (n, "mark"))
    for i, (name, _, want) in enumerate(cases):
        receivers = "".join(sorted(n for n, case in got.items if case == i))
        c.eq("blackwhite " + name, receivers, "".join(sorted(want)))


async def scenario_retention(x):
    """event_retention: retain on PUBLISH, get_retained on SUBSCRIBE."""
    c, topic = x.c, "com.adv.retain." + x.tag
    pub = await x.join()
    await publish_ack(pub, topic, "first", options=PublishOptions(retain=True))
    second = await publish_ack(pub, topic, "second", n=2, options=PublishOptions(retain=True))
    await publish_ack(pub, topic, "not retained")
    # Limited-distribution retained events are kept beside the open one; a
    # subscriber gets the newest it is eligible for.
    await publish_ack(pub, topic, "admins only", options=PublishOptions(retain=True, eligible_authrole=["admin"]))

    sub = await x.join()
    got = Inbox()
    await watch(sub, got, topic, get_retained=True)
    ev = await x.wait("get_retained delivers the retained event", got, lambda e: True)
    if ev is not None:
        c.eq("retained event is the newest eligible retained publication", (ev.args, ev.kwargs), (["second"], {"n": 2}))
        c.eq("retained event has details.retained true", ev.details.retained, True)
        c.eq("retained event keeps its publication id", ev.details.publication, second.id)

    plain = await x.join()
    got2 = Inbox()
    await watch(plain, got2, topic)
    await publish_ack(pub, topic, "live")
    ev = await x.wait("live event after subscribing", got2, lambda e: True)
    if ev is not None:
        c.eq("subscribe without get_retained gets no retained event", ev.args, ["live"])
        c.check("live event is not marked retained", not ev.details.retained, "retained=%r" % ev.details.retained)
    ev = await x.wait("live event reaches the get_retained subscriber", got, lambda e: e.args == ["live"])
    if ev is not None:
        c.check("live event after the retained one is not marked retained", not ev.details.retained,
                "retained=%r" % ev.details.retained)

    # A retained event published to nobody, then a prefix subscription.
    lone = "com.adv.retain.lone.%s.x" % x.tag
    await publish_ack(pub, lone, "kept while nobody listens", options=PublishOptions(retain=True))
    got3 = Inbox()
    late = await x.join()
    await watch(late, got3, "com.adv.retain.lone.%s." % x.tag, match="prefix", get_retained=True)
    ev = await x.wait("prefix subscription gets the retained event of a matching topic", got3, lambda e: True)
    if ev is not None:
        c.eq("prefix retained event", (ev.args, ev.details.topic, ev.details.retained),
             (["kept while nobody listens"], lone, True))

    # Retained by a publisher of another serializer, binary payload.
    other = await x.join(serializer=OTHER[x.opts.serializer])
    blob = bytes(range(256))
    bintopic = "com.adv.retain.bin." + x.tag
    await publish_ack(other, bintopic, blob, b=blob, options=PublishOptions(retain=True))
    got4 = Inbox()
    await watch(await x.join(), got4, bintopic, get_retained=True)
    ev = await x.wait("retained event published in %s" % OTHER[x.opts.serializer], got4, lambda e: True)
    if ev is not None:
        c.eq("retained binary payload across serializers", (ev.args, ev.kwargs, ev.details.retained),
             ([blob], {"b": blob}, True))


async def scenario_history(x):
    """event_history: wamp.subscription.get_events on conf.history (exact,
    100 kept) and conf.hist.a (under the conf.hist. prefix rule, 10 kept)."""
    c = x.c
    pub, reader = await x.join(), await x.join()
    sub = await watch(reader, Inbox(), "conf.history")
    ids = []
    for i in range(105):
        p = await publish_ack(pub, "conf.history", i, x.tag, tag=x.tag)
        ids.append(p.id)
    events = await call(reader, "wamp.subscription.get_events", sub.id, 1000)
    c.check("get_events returns one positional list", isinstance(events, list), "got %s" % short(events))
    if not isinstance(events, list):
        return
    c.eq("get_events keeps the last 100 of conf.history", len(events), 100)
    c.eq("get_events in order of occurrence", [e.get("args") for e in events], [[i, x.tag] for i in range(5, 105)])
    c.eq("get_events publication ids", [e.get("publication") for e in events], ids[5:])
    c.eq("get_events subscription id", {e.get("subscription") for e in events}, {sub.id})
    c.eq("get_events kwargs", events[0].get("kwargs"), {"tag": x.tag})
    c.eq("get_events event keys", sorted(set(events[0]) - {"topic"}),
         ["args", "details", "kwargs", "publication", "subscription", "timestamp"])
    ts = [e.get("timestamp", "") for e in events]
    c.check("get_events timestamps are RFC 3339 UTC, in order",
            all(isinstance(t, str) and t.endswith("Z") and "T" in t for t in ts) and ts == sorted(ts), short(ts[:3]))
    c.check("get_events details is a dict", isinstance(events[0].get("details"), dict), short(events[0]))

    last = await call(reader, "wamp.subscription.get_events", sub.id, limit=5, reverse=True)
    c.eq("get_events limit=5 reverse=True: the newest first", [e["args"][0] for e in last], [104, 103, 102, 101, 100])
    first = await call(reader, "wamp.subscription.get_events", sub.id, 3)
    c.eq("get_events(sub, 3) positional limit: the last 3 in order", [e["args"][0] for e in first], [102, 103, 104])
    paged = await call(reader, "wamp.subscription.get_events", sub.id, after_publication=ids[100])
    c.eq("get_events after_publication", [e["args"][0] for e in paged], [101, 102, 103, 104])

    # conf.hist.a: 10 per topic under the prefix rule.
    for i in range(12):
        await publish_ack(pub, "conf.hist.a", i, x.tag)
    await publish_ack(pub, "conf.hist.b", "other topic", x.tag)
    exact = await watch(reader, Inbox(), "conf.hist.a")
    got = await call(reader, "wamp.subscription.get_events", exact.id, 100)
    c.eq("get_events keeps the last 10 of conf.hist.a", [e["args"] for e in got], [[i, x.tag] for i in range(2, 12)])
    prefix = await watch(reader, Inbox(), "conf.hist.", match="prefix")
    got = await call(reader, "wamp.subscription.get_events", prefix.id, topic="conf.hist.a", limit=3)
    c.eq("prefix subscription get_events topic=conf.hist.a limit=3",
         [(e["args"][0], e["details"].get("topic")) for e in got],
         [(9, "conf.hist.a"), (10, "conf.hist.a"), (11, "conf.hist.a")])
    got = await call(reader, "wamp.subscription.get_events", prefix.id, 2)
    c.eq("prefix subscription get_events spans its topics in order",
         [(e["args"][0], e["details"].get("topic")) for e in got],
         [(11, "conf.hist.a"), ("other topic", "conf.hist.b")])
    # Kept black/white lists apply to the session that asks; events with a
    # session id list are not kept at all (ids do not outlive sessions).
    for case, opts in [("open", None), ("admins only", PublishOptions(eligible_authrole=["admin"])),
                       ("by session id", PublishOptions(exclude=[ident(pub)])),
                       ("not for the reader", PublishOptions(exclude_authid=[authid(reader)])),
                       ("for the reader", PublishOptions(eligible_authid=[authid(reader)]))]:
        await publish_ack(pub, "conf.hist.bw." + x.tag, case, options=opts)
    bwsub = await watch(reader, Inbox(), "conf.hist.bw." + x.tag)
    got = await call(reader, "wamp.subscription.get_events", bwsub.id, 10)
    c.eq("get_events applies the kept black/white lists to the caller", [e["args"][0] for e in got],
         ["open", "for the reader"])

    # Kept payloads come back in the reader's serializer, binary included.
    other = await x.join(serializer=OTHER[x.opts.serializer])
    blob = bytes(range(256)) + x.tag.encode()
    await publish_ack(other, "conf.hist.bin", blob, "\u00e9", {"n": [1, None]}, b=blob)
    binsub = await watch(reader, Inbox(), "conf.hist.bin")
    got = await call(reader, "wamp.subscription.get_events", binsub.id, 1)
    c.eq("get_events of an event published in %s: binary and unicode payload" % OTHER[x.opts.serializer],
         [(e.get("args"), e.get("kwargs")) for e in got], [([blob, "\u00e9", {"n": [1, None]}], {"b": blob})])
    await c.error("get_events of an unknown subscription",
                  reader.call("wamp.subscription.get_events", 4242424242), "wamp.error.no_such_subscription")


async def scenario_sessionmeta(x):
    """session_meta_api on realm2: count, list, get, kill*, on_join/on_leave."""
    c = x.c
    mon = await x.join(REALM2)
    seen = Inbox()
    await watch(mon, seen, "wamp.session.on_join")
    await watch(mon, seen, "wamp.session.on_leave")
    base = await call(mon, "wamp.session.count")
    a = await x.join(REALM2)
    ev = await x.wait("on_join for a new session", seen,
                      lambda e: e.topic == "wamp.session.on_join" and e.args and e.args[0].get("session") == ident(a))
    if ev is not None:
        d = ev.args[0]
        c.eq("on_join details", (d.get("authid"), d.get("authrole"), d.get("authmethod")),
             (authid(a), "anonymous", "anonymous"))
        want_tr = "websocket" if x.opts.transport == "ws" else "rawsocket"
        tr = d.get("transport") or {}
        c.eq("on_join transport", (tr.get("type"), tr.get("serializer")), (want_tr, x.opts.serializer))
    c.eq("count grows by one", await call(mon, "wamp.session.count"), base + 1)
    c.eq("count [anonymous]", await call(mon, "wamp.session.count", ["anonymous"]), base + 1)
    c.eq("count [a role nobody has]", await call(mon, "wamp.session.count", ["admin"]), 0)
    ids = await call(mon, "wamp.session.list")
    c.check("list has both sessions", ident(a) in ids and ident(mon) in ids and len(ids) == base + 1, short(ids))
    ids = await call(mon, "wamp.session.list", ["anonymous"])
    c.check("list [anonymous] has both sessions", ident(a) in ids and ident(mon) in ids, short(ids))
    c.eq("list [a role nobody has]", await call(mon, "wamp.session.list", ["admin"]), [])
    d = await call(mon, "wamp.session.get", ident(a))
    c.eq("get", (d.get("session"), d.get("authid"), d.get("authrole")), (ident(a), authid(a), "anonymous"))
    await c.error("get of an unknown session", mon.call("wamp.session.get", 4242424242), NO_SUCH_SESSION)

    # kill with reason and message.
    res = await call(mon, "wamp.session.kill", ident(a), reason="com.adv.kicked", message="bye now")
    c.eq("kill returns nothing", res, None)
    try:
        left = await asyncio.wait_for(a.left, TIMEOUT)
        c.eq("killed session gets GOODBYE with reason and message", (left.reason, left.message),
             ("com.adv.kicked", "bye now"))
    except asyncio.TimeoutError:
        c.fail("killed session gets GOODBYE", "no GOODBYE within %ss" % TIMEOUT)
    ev = await x.wait("on_leave for the killed session", seen,
                      lambda e: e.topic == "wamp.session.on_leave" and e.args[:1] == [ident(a)])
    if ev is not None:
        c.eq("on_leave args [session, authid, authrole]", ev.args, [ident(a), authid(a), "anonymous"])
    b = await x.join(REALM2)
    await c.error("kill oneself", mon.call("wamp.session.kill", ident(mon)), NO_SUCH_SESSION)
    await c.error("kill with a reason that is not a URI",
                  mon.call("wamp.session.kill", ident(b), reason="not a uri"), "wamp.error.invalid_uri")
    res = await call(mon, "wamp.session.kill_by_authid", authid(b))
    c.eq("kill_by_authid returns the killed ids", res, [ident(b)])
    try:
        left = await asyncio.wait_for(b.left, TIMEOUT)
        c.eq("kill_by_authid default reason", left.reason, "wamp.close.killed")
    except asyncio.TimeoutError:
        c.fail("kill_by_authid default reason", "no GOODBYE")
    c.eq("kill_by_authid of an unknown authid", await call(mon, "wamp.session.kill_by_authid", "nobody"), [])

    d1, d2 = await x.join(REALM2), await x.join(REALM2)
    c.eq("kill_by_authrole [a role nobody has]", await call(mon, "wamp.session.kill_by_authrole", "admin"), 0)
    c.eq("kill_by_authrole anonymous kills every other session",
         await call(mon, "wamp.session.kill_by_authrole", "anonymous", reason="com.adv.role"), 2)
    for s in (d1, d2):
        try:
            left = await asyncio.wait_for(s.left, TIMEOUT)
            c.eq("kill_by_authrole victim reason", left.reason, "com.adv.role")
        except asyncio.TimeoutError:
            c.fail("kill_by_authrole victim reason", "no GOODBYE")
    for s in (b, d1, d2):
        await x.wait("on_leave after kill_by_*", seen,
                     lambda e, s=s: e.topic == "wamp.session.on_leave" and e.args[:1] == [ident(s)])

    e1, e2 = await x.join(REALM2), await x.join(REALM2)
    for s in (e1, e2):
        await x.wait("on_join before kill_all", seen,
                     lambda e, s=s: e.topic == "wamp.session.on_join" and e.args[0].get("session") == ident(s))
    c.eq("kill_all", await call(mon, "wamp.session.kill_all"), 2)
    for s in (e1, e2):
        try:
            await asyncio.wait_for(s.left, TIMEOUT)
            c.ok("kill_all victim gets GOODBYE")
        except asyncio.TimeoutError:
            c.fail("kill_all victim gets GOODBYE", "no GOODBYE")
    # Meta events reach the monitor before its RESULT (one actor, one
    # connection), so there can be none still on its way.
    quiet = seen.find(lambda e: e.topic == "wamp.session.on_leave" and e.args[:1] in ([ident(e1)], [ident(e2)]))
    c.eq("kill_all publishes no on_leave", quiet, [])
    c.eq("count after kill_all is the caller alone", await call(mon, "wamp.session.count"), 1)


async def scenario_submeta(x):
    """subscription_meta_api: the procedures and the four events."""
    c, topic = x.c, "com.adv.sm." + x.tag
    mon = await x.join()
    seen = Inbox()
    for t in ("on_create", "on_subscribe", "on_unsubscribe", "on_delete"):
        await watch(mon, seen, "wamp.subscription." + t)
    a, b = await x.join(), await x.join()
    noop = lambda *args, **kwargs: None  # noqa: E731
    sa = await asyncio.wait_for(a.subscribe(noop, topic), TIMEOUT)
    create = await x.wait("on_create", seen, lambda e: e.topic.endswith("on_create") and e.args[0] == ident(a))
    subscribe = await x.wait("on_subscribe", seen,
                             lambda e: e.topic.endswith("on_subscribe") and e.args == [ident(a), sa.id])
    if create is not None:
        d = create.args[1]
        c.eq("on_create details", (d.get("id"), d.get("uri"), d.get("match")), (sa.id, topic, "exact"))
        c.check("on_create details.created is a timestamp", isinstance(d.get("created"), str) and
                d["created"].endswith("Z"), short(d))
    if create is not None and subscribe is not None:
        c.check("on_create before on_subscribe", seen.items.index(create) < seen.items.index(subscribe), "")
    sb = await asyncio.wait_for(b.subscribe(noop, topic), TIMEOUT)
    c.eq("same topic, same subscription", sb.id, sa.id)
    await x.wait("second subscriber: on_subscribe", seen,
                 lambda e: e.topic.endswith("on_subscribe") and e.args == [ident(b), sa.id])
    c.eq("second subscriber: no second on_create",
         len(seen.find(lambda e: e.topic.endswith("on_create") and e.args[1].get("id") == sa.id)), 1)
    sp = await asyncio.wait_for(a.subscribe(noop, "com.adv.sm.", options=SubscribeOptions(match="prefix")), TIMEOUT)
    sw = await asyncio.wait_for(a.subscribe(noop, "com.adv..%s" % x.tag,
                                            options=SubscribeOptions(match="wildcard")), TIMEOUT)

    lst = await call(mon, "wamp.subscription.list")
    c.check("list by match policy", sa.id in lst.get("exact", []) and sp.id in lst.get("prefix", []) and
            sw.id in lst.get("wildcard", []), short(lst))
    c.eq("lookup exact", await call(mon, "wamp.subscription.lookup", topic), sa.id)
    c.eq("lookup prefix", await call(mon, "wamp.subscription.lookup", "com.adv.sm.", {"match": "prefix"}), sp.id)
    c.eq("lookup wildcard", await call(mon, "wamp.subscription.lookup", "com.adv..%s" % x.tag,
                                       {"match": "wildcard"}), sw.id)
    c.eq("lookup of a topic nobody subscribed", await call(mon, "wamp.subscription.lookup", "com.adv.none"), None)
    m = await call(mon, "wamp.subscription.match", topic)
    c.eq("match: every matching subscription", sorted(m or []), sorted([sa.id, sp.id, sw.id]))
    c.eq("match of a topic nothing matches", await call(mon, "wamp.subscription.match", "org.none"), None)
    c.eq('match of ""', await call(mon, "wamp.subscription.match", ""), None)
    d = await call(mon, "wamp.subscription.get", sp.id)
    c.eq("get", (d.get("id"), d.get("uri"), d.get("match")), (sp.id, "com.adv.sm.", "prefix"))
    await c.error("get of an unknown subscription", mon.call("wamp.subscription.get", 4242424242),
                  "wamp.error.no_such_subscription")
    c.eq("list_subscribers", sorted(await call(mon, "wamp.subscription.list_subscribers", sa.id)),
         sorted([ident(a), ident(b)]))
    c.eq("count_subscribers", await call(mon, "wamp.subscription.count_subscribers", sa.id), 2)
    await c.error("count_subscribers of an unknown subscription",
                  mon.call("wamp.subscription.count_subscribers", 4242424242), "wamp.error.no_such_subscription")

    await asyncio.wait_for(sa.unsubscribe(), TIMEOUT)
    await x.wait("on_unsubscribe", seen, lambda e: e.topic.endswith("on_unsubscribe") and e.args == [ident(a), sa.id])
    c.eq("count_subscribers after one left", await call(mon, "wamp.subscription.count_subscribers", sa.id), 1)
    await asyncio.wait_for(sb.unsubscribe(), TIMEOUT)
    unsub = await x.wait("last on_unsubscribe", seen,
                         lambda e: e.topic.endswith("on_unsubscribe") and e.args == [ident(b), sa.id])
    delete = await x.wait("on_delete by the last subscriber", seen,
                          lambda e: e.topic.endswith("on_delete") and e.args == [ident(b), sa.id])
    if unsub is not None and delete is not None:
        c.check("on_unsubscribe before on_delete", seen.items.index(unsub) < seen.items.index(delete), "")
    c.eq("lookup after on_delete", await call(mon, "wamp.subscription.lookup", topic), None)
    # A session leaving drops its subscriptions with the same events.
    await leave(a)
    await x.wait("leaving session: on_delete of its prefix subscription", seen,
                 lambda e: e.topic.endswith("on_delete") and e.args == [ident(a), sp.id])


async def scenario_regmeta(x):
    """registration_meta_api: the procedures and the four events."""
    c, proc = x.c, "com.adv.rm." + x.tag
    mon = await x.join()
    seen = Inbox()
    for t in ("on_create", "on_register", "on_unregister", "on_delete"):
        await watch(mon, seen, "wamp.registration." + t)
    a, b = await x.join(), await x.join()
    rr = RegisterOptions(invoke="roundrobin")
    ra = await asyncio.wait_for(a.register(lambda: "a", proc, options=rr), TIMEOUT)
    create = await x.wait("on_create", seen, lambda e: e.topic.endswith("on_create") and e.args[0] == ident(a))
    reg = await x.wait("on_register", seen, lambda e: e.topic.endswith("on_register") and e.args == [ident(a), ra.id])
    if create is not None:
        d = create.args[1]
        c.eq("on_create details", (d.get("id"), d.get("uri"), d.get("match"), d.get("invoke")),
             (ra.id, proc, "exact", "roundrobin"))
    if create is not None and reg is not None:
        c.check("on_create before on_register", seen.items.index(create) < seen.items.index(reg), "")
    rb = await asyncio.wait_for(b.register(lambda: "b", proc, options=RegisterOptions(invoke="roundrobin")), TIMEOUT)
    c.eq("shared registration, same id", rb.id, ra.id)
    await x.wait("second callee: on_register", seen,
                 lambda e: e.topic.endswith("on_register") and e.args == [ident(b), ra.id])
    rp = await asyncio.wait_for(a.register(lambda: "p", proc + ".", options=RegisterOptions(match="prefix")), TIMEOUT)
    rw = await asyncio.wait_for(a.register(lambda: "w", "com.adv..%s" % x.tag,
                                           options=RegisterOptions(match="wildcard")), TIMEOUT)

    lst = await call(mon, "wamp.registration.list")
    c.check("list by match policy", ra.id in lst.get("exact", []) and rp.id in lst.get("prefix", []) and
            rw.id in lst.get("wildcard", []), short(lst))
    c.eq("lookup exact", await call(mon, "wamp.registration.lookup", proc), ra.id)
    c.eq("lookup prefix", await call(mon, "wamp.registration.lookup", proc + ".", {"match": "prefix"}), rp.id)
    c.eq("lookup of a procedure nobody registered", await call(mon, "wamp.registration.lookup", "com.adv.none"), None)
    c.eq("match: exact wins", await call(mon, "wamp.registration.match", proc), ra.id)
    c.eq("match: prefix", await call(mon, "wamp.registration.match", proc + ".deeper"), rp.id)
    c.eq("match: wildcard", await call(mon, "wamp.registration.match", "com.adv.x." + x.tag), rw.id)
    c.eq("match of nothing", await call(mon, "wamp.registration.match", "org.none"), None)
    d = await call(mon, "wamp.registration.get", ra.id)
    c.eq("get", (d.get("id"), d.get("uri"), d.get("match"), d.get("invoke")), (ra.id, proc, "exact", "roundrobin"))
    await c.error("get of an unknown registration", mon.call("wamp.registration.get", 4242424242),
                  "wamp.error.no_such_registration")
    c.eq("list_callees", sorted(await call(mon, "wamp.registration.list_callees", ra.id)), sorted([ident(a), ident(b)]))
    c.eq("count_callees", await call(mon, "wamp.registration.count_callees", ra.id), 2)
    await c.error("list_callees of an unknown registration",
                  mon.call("wamp.registration.list_callees", 4242424242), "wamp.error.no_such_registration")

    await asyncio.wait_for(ra.unregister(), TIMEOUT)
    await x.wait("on_unregister", seen, lambda e: e.topic.endswith("on_unregister") and e.args == [ident(a), ra.id])
    c.eq("count_callees after one left", await call(mon, "wamp.registration.count_callees", ra.id), 1)
    await asyncio.wait_for(rb.unregister(), TIMEOUT)
    unreg = await x.wait("last on_unregister", seen,
                         lambda e: e.topic.endswith("on_unregister") and e.args == [ident(b), ra.id])
    delete = await x.wait("on_delete by the last callee", seen,
                          lambda e: e.topic.endswith("on_delete") and e.args == [ident(b), ra.id])
    if unreg is not None and delete is not None:
        c.check("on_unregister before on_delete", seen.items.index(unreg) < seen.items.index(delete), "")
    c.eq("match after on_delete falls back to the wildcard", await call(mon, "wamp.registration.match", proc), rw.id)
    await leave(a)
    await x.wait("leaving session: on_delete of its wildcard registration", seen,
                 lambda e: e.topic.endswith("on_delete") and e.args == [ident(a), rw.id])


async def scenario_testament(x):
    """testament_meta_api: add_testament, flush_testaments, scopes, firing on
    a dropped connection and on GOODBYE."""
    c, topic = x.c, "com.adv.testament." + x.tag
    w = await x.join()
    got = Inbox()
    await watch(w, got, topic)
    await watch(w, got, "wamp.session.on_leave")
    a, b = await x.join(), await x.join()
    res = await call(a, "wamp.session.add_testament", topic, ["gone", ident(a)], {"k": 1})
    c.eq("add_testament returns nothing", res, None)
    await call(a, "wamp.session.add_testament", topic, ["detached first", ident(a)], {}, scope="detached")
    await call(b, "wamp.session.add_testament", topic, ["flushed", ident(b)], {})
    c.eq("flush_testaments returns nothing", await call(b, "wamp.session.flush_testaments"), None)
    await c.error("add_testament with an unknown scope",
                  b.call("wamp.session.add_testament", topic, [], {}, scope="forever"), "wamp.error.invalid_argument")

    await abort_transport(b)
    await x.wait("on_leave of the flushed session", got,
                 lambda e: e.topic == "wamp.session.on_leave" and e.args[:1] == [ident(b)])
    await abort_transport(a)
    ev = await x.wait("testament published when the transport drops", got,
                      lambda e: e.topic == topic and e.args == ["gone", ident(a)])
    if ev is not None:
        c.eq("testament kwargs", ev.kwargs, {"k": 1})
        order = [e.args[0] for e in got.items if e.topic == topic]
        c.eq("detached testaments before destroyed ones; flushed ones never", order, ["detached first", "gone"])

    # Fired on GOODBYE too (flush first to avoid it, as the spec says).
    g = await x.join()
    await call(g, "wamp.session.add_testament", topic, ["goodbye", ident(g)], {},
               publish_options={"exclude_authrole": ["admin"]})
    await leave(g)
    await x.wait("testament published on GOODBYE", got, lambda e: e.topic == topic and e.args == ["goodbye", ident(g)])

    # wamp.session.kill fires the victim's testaments.
    k = await x.join()
    await call(k, "wamp.session.add_testament", topic, ["killed", ident(k)], {})
    await call(w, "wamp.session.kill", ident(k))
    await x.wait("testament published on wamp.session.kill", got,
                 lambda e: e.topic == topic and e.args == ["killed", ident(k)])

    # wamp.session.kill_all fires none (the spec); in realm2, where the
    # session meta scenario kills too, not to end other sessions of realm1.
    w2, ka = await x.join(REALM2), await x.join(REALM2)
    got2 = Inbox()
    await watch(w2, got2, topic)
    await call(ka, "wamp.session.add_testament", topic, ["kill_all", ident(ka)], {})
    c.eq("kill_all", await call(w2, "wamp.session.kill_all"), 1)
    # Whatever the kill published reached w2 before its RESULT.
    c.eq("kill_all fires no testament", got2.items, [])


async def scenario_testament_holder(x):
    """Adds a testament, prints READY and waits to be killed (SIGKILL)."""
    s = await connect(x.opts)
    await call(s, "wamp.session.add_testament", x.opts.topic, ["killed", x.tag], {"by": "SIGKILL"})
    print("READY", flush=True)
    await asyncio.wait_for(s.gone, 3 * TIMEOUT)
    x.c.fail("testament holder", "still alive: the test should have killed it")


async def scenario_testament_watcher(x):
    """Waits for the testament of a killed process on --topic."""
    s = await x.join()
    got = Inbox()
    await watch(s, got, x.opts.topic)
    print("READY", flush=True)
    ev = await x.wait("testament of a killed process", got, lambda e: True, timeout=3 * TIMEOUT)
    if ev is not None:
        x.c.eq("testament of a killed process", (ev.args[0], ev.kwargs), ("killed", {"by": "SIGKILL"}))


async def scenario_revocation(x):
    """registration_revocation and subscription_revocation through
    wamp.registration.remove_callee and wamp.subscription.remove_subscriber."""
    c, proc, topic = x.c, "com.adv.revoke." + x.tag, "com.adv.revoke.t." + x.tag
    admin = await x.join()
    seen = Inbox()
    meta_sub = await watch(admin, seen, "wamp.registration.on_unregister")
    await watch(admin, seen, "wamp.subscription.on_unsubscribe")

    callee = await x.join()
    msgs = record_messages(callee)
    reg = await asyncio.wait_for(callee.register(lambda: "still here", proc), TIMEOUT)
    await c.error("remove_callee of an unknown session",
                  admin.call("wamp.registration.remove_callee", reg.id, 4242424242), NO_SUCH_SESSION)
    await c.error("remove_callee of a session that is not a callee",
                  admin.call("wamp.registration.remove_callee", reg.id, ident(admin)),
                  "wamp.error.no_such_registration")
    res = await call(admin, "wamp.registration.remove_callee", reg.id, ident(callee), "com.adv.revoked")
    c.eq("remove_callee returns nothing", res, None)
    m = None
    try:
        m = await msgs.get(lambda m: isinstance(m, _message.Unregistered))
    except asyncio.TimeoutError:
        c.fail("callee gets UNREGISTERED", "none within %ss" % TIMEOUT)
    if m is not None:
        c.eq("UNREGISTERED [67, 0, {registration, reason}]", (m.request, m.registration, m.reason),
             (0, reg.id, "com.adv.revoked"))
    await x.wait("revocation publishes on_unregister", seen,
                 lambda e: e.topic.endswith("on_unregister") and e.args == [ident(callee), reg.id])
    await c.error("call after revocation", admin.call(proc), "wamp.error.no_such_procedure")
    c.check("callee session still open after revocation", callee.is_attached(), "")

    # Autobahn|Python announces subscription_revocation but cannot take the
    # UNSUBSCRIBED (see the module doc): this subscriber does not announce
    # it, so the revocation is silent.
    sub = await x.join(roles=roles_without("subscriber", "subscription_revocation"))
    smsgs = record_messages(sub)
    got = Inbox()
    s1 = await watch(sub, got, topic)
    await watch(sub, got, topic + ".mark")
    res = await call(admin, "wamp.subscription.remove_subscriber", s1.id, ident(sub), "no longer authorized")
    c.eq("remove_subscriber returns nothing", res, None)
    await x.wait("revocation publishes on_unsubscribe", seen,
                 lambda e: e.topic.endswith("on_unsubscribe") and e.args == [ident(sub), s1.id])
    await publish_ack(admin, topic, "after revocation")
    await publish_ack(admin, topic + ".mark", "mark")
    await x.wait("revoked subscriber still gets its other subscription", got, lambda e: e.args == ["mark"])
    c.eq("revoked subscriber gets no more events", [e.args for e in got.items if e.topic == topic], [])
    c.eq("no UNSUBSCRIBED to a subscriber that did not announce subscription_revocation",
         smsgs.find(lambda m: isinstance(m, _message.Unsubscribed)), [])
    await c.error("remove_subscriber of a session no longer subscribed",
                  admin.call("wamp.subscription.remove_subscriber", s1.id, ident(sub)),
                  "wamp.error.no_such_subscription")
    await c.error("remove_subscriber of a wamp.* subscription",
                  admin.call("wamp.subscription.remove_subscriber", meta_sub.id, ident(admin)),
                  "wamp.error.not_authorized")

    # A subscriber that announces it gets [UNSUBSCRIBED, 0, {subscription, reason}].
    peer = await x.peer(roles={"subscriber": {"features": {"subscription_revocation": True}}})
    sid = await peer.subscribe(topic)
    await call(admin, "wamp.subscription.remove_subscriber", sid, peer.session, reason="no longer authorized")
    try:
        m = await peer.expect(lambda m: m[0] == UNSUBSCRIBED)
        c.eq("UNSUBSCRIBED [35, 0, {subscription, reason}] (raw subscriber)", m,
             [UNSUBSCRIBED, 0, {"subscription": sid, "reason": "no longer authorized"}])
    except asyncio.TimeoutError:
        c.fail("UNSUBSCRIBED to a subscriber that announced subscription_revocation", "none")


async def scenario_disclosure(x):
    """publisher_identification and caller_identification with disclose_me."""
    c, topic, proc = x.c, "com.adv.disclose." + x.tag, "com.adv.disclose.p." + x.tag
    pub, sub = await x.join(), await x.join()
    got = Inbox()
    await watch(sub, got, topic)
    with DiscloseMe():
        fut = pub.publish(topic, "disclosed", options=PublishOptions(acknowledge=True))
    await asyncio.wait_for(fut, TIMEOUT)
    await publish_ack(pub, topic, "anonymous")
    ev = await x.wait("disclosed event", got, lambda e: e.args == ["disclosed"])
    if ev is not None:
        d = ev.details
        c.eq("EVENT details publisher, publisher_authid, publisher_authrole",
             (d.publisher, d.publisher_authid, d.publisher_authrole), (ident(pub), authid(pub), "anonymous"))
    ev = await x.wait("undisclosed event", got, lambda e: e.args == ["anonymous"])
    if ev is not None:
        c.eq("no publisher details without disclose_me",
             (ev.details.publisher, ev.details.publisher_authid), (None, None))

    def who(details=None):
        return [details.caller, details.caller_authid, details.caller_authrole]

    await asyncio.wait_for(sub.register(who, proc, options=RegisterOptions(details_arg="details")), TIMEOUT)
    with DiscloseMe():
        fut = pub.call(proc)
    c.eq("INVOCATION details caller, caller_authid, caller_authrole", await asyncio.wait_for(fut, TIMEOUT),
         [ident(pub), authid(pub), "anonymous"])
    c.eq("no caller details without disclose_me", await call(pub, proc), [None, None, None])


async def scenario_pci(x):
    """progressive_call_invocations with raw peers (neither Autobahn client
    can send CALL.Options.progress)."""
    c, proc = x.c, "com.adv.pci." + x.tag
    pci = {"features": {"progressive_call_invocations": True, "call_canceling": True,
                        "progressive_call_results": True}}
    caller = await x.peer(roles={"caller": pci})
    callee = await x.peer(roles={"callee": pci})
    reg = await callee.register(proc)

    def inv(pred=lambda m: True):
        return callee.expect(lambda m: m[0] == INVOCATION and pred(m))

    # Chunks, then the final chunk, then the result.
    r = caller.req()
    caller.send(CALL, r, {"progress": True}, proc, ["chunk", 0])
    first = await inv()
    c.eq("first chunk: INVOCATION with progress", (first[2], first[3].get("progress"), first[4]),
         (reg, True, ["chunk", 0]))
    inv_id = first[1]
    caller.send(CALL, r, {"progress": True, "timeout": 1}, proc, ["chunk", 1])
    m = await inv(lambda m: m[4] == ["chunk", 1])
    c.eq("next chunk: same INVOCATION id, progress, no option of its own",
         (m[1], m[3]), (inv_id, {"progress": True}))
    caller.send(CALL, r, {}, proc, ["last"], {"n": 2})
    m = await inv(lambda m: m[4] == ["last"])
    c.eq("final chunk: same INVOCATION id without progress", (m[1], m[3].get("progress", False), m[5:]),
         (inv_id, False, [{"n": 2}]))
    callee.send(YIELD, inv_id, {}, ["done", 3])
    m = await caller.expect(lambda m: answers(m, r))
    c.eq("RESULT after the final chunk", m, [RESULT, r, {}, ["done", 3]])

    # The callee answers progressively while the caller still sends chunks.
    r = caller.req()
    caller.send(CALL, r, {"progress": True, "receive_progress": True}, proc, [1])
    m = await inv(lambda m: m[4] == [1])
    inv_id = m[1]
    callee.send(YIELD, inv_id, {"progress": True}, ["partial"])
    m = await caller.expect(lambda m: m[0] == RESULT and m[1] == r)
    c.eq("progressive RESULT while the caller streams", (m[2].get("progress"), m[3]), (True, ["partial"]))
    caller.send(CALL, r, {}, proc, [2])
    await inv(lambda m: m[1] == inv_id and m[4] == [2])
    callee.send(YIELD, inv_id, {}, ["end"])
    m = await caller.expect(lambda m: m[0] == RESULT and m[1] == r and not m[2].get("progress"))
    c.eq("final RESULT of a two-way stream", m[3], ["end"])

    # Cancel mid-stream: ERROR canceled at once, INTERRUPT to the callee,
    # later chunks of that call dropped.
    r = caller.req()
    caller.send(CALL, r, {"progress": True}, proc, ["to cancel"])
    m = await inv(lambda m: m[4] == ["to cancel"])
    inv_id = m[1]
    caller.send(CANCEL, r, {"mode": "killnowait"})
    m = await caller.expect(lambda m: m[0] == ERROR and m[2] == r)
    c.eq("cancel mid-stream: caller gets wamp.error.canceled", (m[1], m[4]), (CALL, "wamp.error.canceled"))
    m = await callee.expect(lambda m: m[0] == INTERRUPT and m[1] == inv_id)
    c.eq("cancel mid-stream: callee gets INTERRUPT killnowait", m[2].get("mode"), "killnowait")
    caller.send(CALL, r, {"progress": True}, proc, ["after cancel"])
    caller.send(CALL, r, {}, proc, ["after cancel, last"])
    await caller.barrier()
    await callee.barrier()
    c.eq("chunks after cancel are dropped (no INVOCATION)",
         callee.inbox.find(lambda m: m[0] == INVOCATION and m[4][:1] == ["after cancel"]), [])
    c.eq("chunks after cancel are dropped (no answer but the one ERROR)",
         [m[0] for m in caller.inbox.find(lambda m: answers(m, r))], [ERROR])

    # The callee leaves mid-stream: the caller gets wamp.error.canceled.
    proc2 = proc + ".leaver"
    leaver = await x.peer(roles={"callee": pci})
    await leaver.register(proc2)
    r = caller.req()
    caller.send(CALL, r, {"progress": True}, proc2, ["a"])
    await leaver.expect(lambda m: m[0] == INVOCATION)
    leaver.abort()
    m = await caller.expect(lambda m: m[0] == ERROR and m[2] == r)
    c.eq("callee leaves mid-stream: caller gets wamp.error.canceled", m[4], "wamp.error.canceled")
    caller.send(CALL, r, {}, proc2, ["b"])
    await caller.barrier()
    c.eq("chunk after the callee left is dropped (no answer but the one ERROR)",
         [m[0] for m in caller.inbox.find(lambda m: answers(m, r))], [ERROR])

    # Shared registration: every chunk goes to the callee the first one
    # picked, and the next stream to the next callee.
    shared = proc + ".shared"
    rr = {"invoke": "roundrobin"}
    e1, e2 = await x.peer(roles={"callee": pci}), await x.peer(roles={"callee": pci})
    await e1.register(shared, rr)
    await e2.register(shared, rr)
    streams = []
    for n in range(2):
        r = caller.req()
        for i in range(3):
            caller.send(CALL, r, {"progress": i < 2}, shared, [n, i])
        streams.append(r)
    for e in (e1, e2):
        await e.barrier()
    got = {e: [tuple(m[4]) for m in e.inbox.find(lambda m: m[0] == INVOCATION)] for e in (e1, e2)}
    c.eq("shared registration: each stream stays on one callee",
         sorted([got[e1], got[e2]]), [[(0, 0), (0, 1), (0, 2)], [(1, 0), (1, 1), (1, 2)]])
    for e in (e1, e2):
        for m in e.inbox.find(lambda m: m[0] == INVOCATION and not m[3].get("progress")):
            e.send(YIELD, m[1], {}, ["ok"])
    for r in streams:
        await caller.expect(lambda m, r=r: answers(m, r))

    # The caller leaves mid-stream: the callee gets INTERRUPT killnowait.
    quitter = await x.peer(roles={"caller": pci})
    quitter.send(CALL, quitter.req(), {"progress": True}, proc, ["quitter"])
    m = await inv(lambda m: m[4] == ["quitter"])
    quitter.abort()
    try:
        m = await callee.expect(lambda m2: m2[0] == INTERRUPT and m2[1] == m[1])
        c.eq("caller leaves mid-stream: callee gets INTERRUPT killnowait", m[2].get("mode"), "killnowait")
    except asyncio.TimeoutError:
        c.fail("caller leaves mid-stream: callee gets INTERRUPT", "none within %ss" % TIMEOUT)

    # Feature checks: a callee without the feature, a caller without it.
    plain = await x.peer(roles={"callee": {"features": {"call_canceling": True}}})
    await plain.register(proc + ".plain")
    m = await caller.request(CALL, RESULT, {"progress": True}, proc + ".plain", [1])
    c.eq("progress to a callee without the feature: feature_not_supported", m[4], "wamp.error.feature_not_supported")
    rude = await x.peer(roles={"caller": {}})
    rude.send(CALL, rude.req(), {"progress": True}, proc, [1])
    try:
        m = await rude.expect(lambda m: m[0] in (ABORT, GOODBYE, ERROR, RESULT))
        c.eq("progress from a caller without the feature: ABORT protocol_violation", m[:1] + m[2:3],
             [ABORT, "wamp.error.protocol_violation"])
    except asyncio.TimeoutError:
        c.fail("progress from a caller without the feature", "no answer")


PPT = {"ppt_scheme": "x_wampd_test", "ppt_serializer": "cbor", "ppt_cipher": "xsalsa20poly1305",
       "ppt_keyid": "0x1234abcd"}


def answers(m, r):
    """Whether m is the RESULT or ERROR of CALL request r."""
    return (m[0] == RESULT and m[1] == r) or (m[0] == ERROR and m[1] == CALL and m[2] == r)


def ppt_of(d):
    return {k: v for k, v in d.items() if k.startswith("ppt_")}


async def scenario_ppt(x):
    """payload_passthru_mode with raw peers: the ppt_* keys and the binary
    payload forwarded on EVENT, INVOCATION, RESULT and ERROR, also to a peer
    of another serializer."""
    c = x.c
    topic, proc = "com.adv.ppt." + x.tag, "com.adv.ppt.p." + x.tag
    feat = {"features": {"payload_passthru_mode": True}}
    roles = {"publisher": feat, "subscriber": feat, "caller": feat, "callee": feat}
    other = OTHER[x.opts.serializer]
    payload = b"\x00\x01opaque\xff" + x.tag.encode()
    pub = await x.peer(roles=roles)
    subs = [await x.peer(roles=roles), await x.peer(roles=roles, serializer=other)]
    for s in subs:
        await s.subscribe(topic)
    m = await pub.request(PUBLISH, PUBLISHED, dict(PPT, acknowledge=True), topic, [payload])
    c.eq("PUBLISH with ppt_* is acknowledged", m[0], PUBLISHED)
    for s in subs:
        ev = await s.expect(lambda m: m[0] == EVENT)
        c.eq("EVENT details carry the ppt_* keys (%s subscriber)" % s.name, ppt_of(ev[3]), PPT)
        c.eq("EVENT payload is the one binary item (%s subscriber)" % s.name, (ev[4:5], ev[5:]), ([[payload]], []))

    callees = [await x.peer(roles=roles), await x.peer(roles=roles, serializer=other)]
    for i, e in enumerate(callees):
        await e.register("%s.%d" % (proc, i))
    for i, e in enumerate(callees):
        r = pub.req()
        pub.send(CALL, r, dict(PPT), "%s.%d" % (proc, i), [payload])
        inv = await e.expect(lambda m: m[0] == INVOCATION)
        c.eq("INVOCATION details carry the ppt_* keys (%s callee)" % e.name, ppt_of(inv[3]), PPT)
        c.eq("INVOCATION payload (%s callee)" % e.name, inv[4:], [[payload]])
        answer = dict(PPT, ppt_keyid="0xfeed")
        e.send(YIELD, inv[1], answer, [payload[::-1]])
        res = await pub.expect(lambda m: answers(m, r))
        c.eq("RESULT details carry the callee's ppt_* keys (%s callee)" % e.name, ppt_of(res[2]), answer)
        c.eq("RESULT payload (%s callee)" % e.name, res[3:], [[payload[::-1]]])
        r = pub.req()
        pub.send(CALL, r, dict(PPT), "%s.%d" % (proc, i), [payload])
        inv = await e.expect(lambda m: m[0] == INVOCATION and m[1] != inv[1])
        e.send(ERROR, INVOCATION, inv[1], dict(PPT), "com.adv.error.ppt", [payload])
        err = await pub.expect(lambda m: m[0] == ERROR and m[2] == r)
        c.eq("callee ERROR details carry the ppt_* keys (%s callee)" % e.name, (ppt_of(err[3]), err[4], err[5:]),
             (PPT, "com.adv.error.ppt", [[payload]]))

    plain = await x.peer(roles={"callee": {}})
    await plain.register(proc + ".plain")
    m = await pub.request(CALL, RESULT, dict(PPT), proc + ".plain", [payload])
    c.eq("ppt CALL to a callee without the feature: feature_not_supported", m[4], "wamp.error.feature_not_supported")
    rude = await x.peer(roles={"publisher": {}})
    rude.send(PUBLISH, rude.req(), dict(PPT, acknowledge=True), topic, [payload])
    try:
        m = await rude.expect(lambda m: m[0] in (ABORT, PUBLISHED, ERROR))
        c.eq("ppt PUBLISH from a publisher without the feature: ABORT protocol_violation", m[:1] + m[2:3],
             [ABORT, "wamp.error.protocol_violation"])
    except asyncio.TimeoutError:
        c.fail("ppt PUBLISH from a publisher without the feature", "no answer")


async def scenario_limits(x):
    """A realm bound (max_pending_calls_per_session: 2, from the test's own
    configuration) reaches the client as wampd.error.limit_exceeded."""
    c, proc = x.c, "com.adv.limits." + x.tag
    callee, caller = await x.join(), await x.join()
    loop = asyncio.get_running_loop()
    release = loop.create_future()

    async def slow(i):
        await release
        return i

    await asyncio.wait_for(callee.register(slow, proc), TIMEOUT)
    pending = [caller.call(proc, 1), caller.call(proc, 2)]
    await c.error("third pending call", caller.call(proc, 3), LIMIT_EXCEEDED)
    release.set_result(True)
    c.eq("the pending calls complete", await asyncio.wait_for(asyncio.gather(*pending), TIMEOUT), [1, 2])
    c.eq("calls go through again under the bound", await call(caller, proc, 4), 4)


SCENARIOS = {
    "blackwhite": scenario_blackwhite,
    "retention": scenario_retention,
    "history": scenario_history,
    "pci": scenario_pci,
    "ppt": scenario_ppt,
    "sessionmeta": scenario_sessionmeta,
    "submeta": scenario_submeta,
    "regmeta": scenario_regmeta,
    "testament": scenario_testament,
    "testament-holder": scenario_testament_holder,
    "testament-watcher": scenario_testament_watcher,
    "revocation": scenario_revocation,
    "disclosure": scenario_disclosure,
    "limits": scenario_limits,
}


def main():
    p = scenario_parser(SCENARIOS)
    p.add_argument("--topic", default="com.adv.topic")
    run_scenario(SCENARIOS, p.parse_args(), ctx=Ctx)


if __name__ == "__main__":
    main()
