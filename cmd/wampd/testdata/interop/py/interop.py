#!/usr/bin/python3
"""Autobahn|Python interop scenarios for wampd.

Run by cmd/wampd/interop_test.go: one scenario per process, many checks per
scenario. Every check prints "OK <name>" or "FAIL <name>: <why>"; the process
exits 0 only when every check passed. Long-lived roles (callee, subscriber,
waiter) print "READY" once they are set up so the Go test can go on.

Usage: interop.py SCENARIO --transport ws|rs --serializer json|msgpack|cbor
                   [--ws URL] [--rs HOST:PORT | --unix PATH] [...]
"""

import argparse
import asyncio
import time
import os
import sys

import txaio

txaio.use_asyncio()

from autobahn.asyncio import rawsocket as _rawsocket  # noqa: E402
from autobahn.asyncio.rawsocket import WampRawSocketClientFactory  # noqa: E402
from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp import message as _message  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.request import UnregisterRequest, UnsubscribeRequest  # noqa: E402
from autobahn.wamp.serializer import (  # noqa: E402
    CBORSerializer,
    JsonSerializer,
    MsgPackSerializer,
)
from autobahn.wamp.types import (  # noqa: E402
    CallResult,
    ComponentConfig,
    PublishOptions,
    RegisterOptions,
)

# Shim: Autobahn|Python 22.7's asyncio RawSocket client protocol lacks the
# ITransport.transport_details property that ApplicationSession reads when
# WELCOME arrives (wamp/protocol.py), so a RawSocket join dies with an
# AttributeError. The protocol does keep the details in _transport_details.
if not hasattr(_rawsocket.WampRawSocketClientProtocol, "transport_details"):
    _rawsocket.WampRawSocketClientProtocol.transport_details = property(
        lambda self: self._transport_details
    )

TIMEOUT = 10.0

SERIALIZERS = {
    "json": JsonSerializer,
    "msgpack": MsgPackSerializer,
    "cbor": CBORSerializer,
}


class JoinError(Exception):
    """The router answered HELLO with ABORT, or the transport went away."""

    def __init__(self, reason, message=None):
        super().__init__(reason, message)
        self.reason = reason
        self.message = message


class Session(ApplicationSession):
    """An ApplicationSession whose life events are futures."""

    def __init__(self, config):
        super().__init__(config)
        loop = asyncio.get_running_loop()
        self.joined = loop.create_future()
        self.left = loop.create_future()
        self.gone = loop.create_future()

    def onJoin(self, details):
        if not self.joined.done():
            self.joined.set_result(details)

    def onLeave(self, details):
        if not self.joined.done():
            self.joined.set_exception(JoinError(details.reason, details.message))
        if not self.left.done():
            self.left.set_result(details)
        super().onLeave(details)

    def onDisconnect(self):
        if not self.joined.done():
            self.joined.set_exception(JoinError("transport lost"))
        if not self.gone.done():
            self.gone.set_result(True)


class Checks:
    """Collects check results; the exit code is 1 when any failed."""

    def __init__(self):
        self.failed = 0
        self.passed = 0

    def ok(self, name):
        self.passed += 1
        print("OK", name, flush=True)

    def fail(self, name, why):
        self.failed += 1
        print("FAIL %s: %s" % (name, why), flush=True)

    def check(self, name, cond, why=""):
        if cond:
            self.ok(name)
        else:
            self.fail(name, why)

    def eq(self, name, got, want):
        if got == want:
            self.ok(name)
        else:
            self.fail(name, "got %s, want %s" % (short(got), short(want)))

    async def error(self, name, aw, uri, args=None, kwargs=None):
        """Awaits aw and checks it fails with ApplicationError uri."""
        try:
            res = await asyncio.wait_for(aw, TIMEOUT)
        except ApplicationError as e:
            if e.error != uri:
                self.fail(name, "error %s, want %s (%s)" % (e.error, uri, e))
                return
            if args is not None and list(e.args) != list(args):
                self.fail(name, "error args %r, want %r" % (e.args, args))
                return
            if kwargs is not None and e.kwargs != kwargs:
                self.fail(name, "error kwargs %r, want %r" % (e.kwargs, kwargs))
                return
            self.ok(name)
        except asyncio.TimeoutError:
            self.fail(name, "no answer within %ss, want %s" % (TIMEOUT, uri))
        except Exception as e:  # noqa: BLE001 - report anything else as a failure
            self.fail(name, "raised %r, want ApplicationError %s" % (e, uri))
        else:
            self.fail(name, "succeeded with %s, want error %s" % (short(res), uri))

    def exit(self):
        print("DONE passed=%d failed=%d" % (self.passed, self.failed), flush=True)
        sys.exit(1 if self.failed else 0)


def short(v):
    s = repr(v)
    return s if len(s) < 200 else s[:200] + "...(%d chars)" % len(s)


async def connect(opts, realm="realm1", serializer=None, transport=None, roles=None, session=None, ssl=None):
    """Opens a transport to the router and joins realm; returns the Session.
    roles, when given, replaces the role features the client announces;
    session, when given, is the Session (of a subclass) to join with; ssl,
    an ssl.SSLContext for a wss:// URL."""
    serializer = serializer or opts.serializer
    transport = transport or opts.transport
    loop = asyncio.get_running_loop()
    sess = session or Session(ComponentConfig(realm=realm))
    if roles is not None:
        sess._session_roles = roles
    ser = SERIALIZERS[serializer]()
    if transport == "ws":
        factory = WampWebSocketClientFactory(lambda: sess, url=opts.ws, serializers=[ser])
        hostport = opts.ws.split("//", 1)[1].split("/", 1)[0]
        host, port = hostport.rsplit(":", 1)
        conn = loop.create_connection(factory, host, int(port), ssl=ssl)
    elif transport == "rs" and opts.unix:
        factory = WampRawSocketClientFactory(lambda: sess, serializer=ser)
        conn = loop.create_unix_connection(factory, opts.unix)
    elif transport == "rs":
        factory = WampRawSocketClientFactory(lambda: sess, serializer=ser)
        host, port = opts.rs.rsplit(":", 1)
        conn = loop.create_connection(factory, host, int(port))
    else:
        raise ValueError("unknown transport %r" % transport)
    await asyncio.wait_for(conn, TIMEOUT)
    await asyncio.wait_for(sess.joined, TIMEOUT)
    return sess


async def leave(sess):
    """Leaves cleanly and waits for the router's GOODBYE; returns its reason."""
    if not sess.is_attached():
        return None
    sess.leave()
    details = await asyncio.wait_for(sess.left, TIMEOUT)
    return details.reason


def raw_unregister(sess, registration_id):
    """Sends UNREGISTER for any id: the client API refuses unknown ids."""
    rid = sess._request_id_gen.next()
    fut = txaio.create_future()
    sess._unregister_reqs[rid] = UnregisterRequest(rid, fut, registration_id)
    sess._transport.send(_message.Unregister(rid, registration_id))
    return fut


def raw_unsubscribe(sess, subscription_id):
    """Sends UNSUBSCRIBE for any id: the client API refuses unknown ids."""
    rid = sess._request_id_gen.next()
    fut = txaio.create_future()
    sess._unsubscribe_reqs[rid] = UnsubscribeRequest(rid, fut, subscription_id)
    sess._transport.send(_message.Unsubscribe(rid, subscription_id))
    return fut


class NoURICheck:
    """Turns off the client's own URI validation so the router sees bad URIs."""

    def __enter__(self):
        self.saved = _message.check_or_raise_uri
        _message.check_or_raise_uri = lambda value, *a, **kw: value

    def __exit__(self, *exc):
        _message.check_or_raise_uri = self.saved


def echo_values(serializer, big=True):
    """(name, args, kwargs) triples the echo procedure must return unchanged."""
    vals = [
        ("empty", [], {}),
        ("unicode", ["h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \U0001F389", ""], {"\u00fcml\u00e4ut": "\u00df"}),
        ("nested", [[1, [2, [3, [4]]]], {"a": {"b": {"c": [None, True, False]}}}],
         {"list": [1, -2, 2.5, "s", None], "dict": {"x": {"y": []}}}),
        ("ints", [0, -1, 2 ** 31, 2 ** 53, -(2 ** 53)], {"max": 2 ** 53}),
        ("binary", [b"\x00\x01\x02\xff\xfe", b""], {"bin": bytes(range(256))}),
    ]
    if big:
        mib = 1 << 20
        vals.append(("1MiB-string", ["x" * mib], {}))
        vals.append(("1MiB-binary", [os.urandom(mib)], {}))
        vals.append(("1MiB-kwargs", [], {"k": "\u00e9" * (mib // 2)}))
    return vals


def echo(*args, **kwargs):
    return CallResult(*args, **kwargs)


# ---------------------------------------------------------------- scenarios


async def scenario_join(opts, c):
    for realm in ("realm1", "realm2"):
        try:
            s = await connect(opts, realm=realm)
        except Exception as e:  # noqa: BLE001
            c.fail("join " + realm, repr(e))
            continue
        c.check("join %s session id" % realm, 1 <= s._session_id <= 2 ** 53, "id %r" % s._session_id)
        reason = await leave(s)
        c.eq("leave %s goodbye reason" % realm, reason, "wamp.close.goodbye_and_out")
        try:
            await asyncio.wait_for(s.gone, TIMEOUT)
            c.ok("leave %s transport closed" % realm)
        except asyncio.TimeoutError:
            c.fail("leave %s transport closed" % realm, "transport still open after GOODBYE")
    try:
        s = await connect(opts, realm="no.such.realm")
        c.fail("join unknown realm", "joined, want ABORT")
        await leave(s)
    except JoinError as e:
        c.eq("join unknown realm abort reason", e.reason, "wamp.error.no_such_realm")


async def scenario_rpc(opts, c):
    callee = await connect(opts, serializer=opts.callee_serializer or opts.serializer)
    caller = await connect(opts, serializer=opts.caller_serializer or opts.serializer)
    await callee.register(echo, "com.example.echo")
    ser = "%s->%s" % (caller._transport._serializer.SERIALIZER_ID, callee._transport._serializer.SERIALIZER_ID)
    for name, args, kwargs in echo_values(opts.serializer):
        try:
            res = await asyncio.wait_for(caller.call("com.example.echo", *args, **kwargs), TIMEOUT)
        except Exception as e:  # noqa: BLE001
            c.fail("echo %s %s" % (ser, name), repr(e))
            continue
        if isinstance(res, CallResult):
            got_args, got_kwargs = list(res.results), res.kwresults
        elif len(args) == 1:
            got_args, got_kwargs = [res], {}
        else:
            got_args, got_kwargs = ([] if res is None else [res]), {}
        c.eq("echo %s %s args" % (ser, name), got_args, args)
        c.eq("echo %s %s kwargs" % (ser, name), got_kwargs or {}, kwargs)
    # Many calls in flight at once keep their own results.
    results = await asyncio.wait_for(
        asyncio.gather(*[caller.call("com.example.echo", i) for i in range(200)]), TIMEOUT)
    c.eq("echo %s 200 concurrent calls" % ser, list(results), list(range(200)))
    await leave(caller)
    await leave(callee)


async def scenario_errors(opts, c):
    a = await connect(opts)
    b = await connect(opts)
    await c.error("call unregistered", a.call("com.example.nothing.here"), "wamp.error.no_such_procedure")

    reg = await a.register(echo, "com.example.dup")
    await c.error("register twice other session", b.register(echo, "com.example.dup"),
                  "wamp.error.procedure_already_exists")
    await c.error("register twice same session", a.register(echo, "com.example.dup"),
                  "wamp.error.procedure_already_exists")

    with NoURICheck():
        await c.error("register invalid uri", a.register(echo, "com..bad"), "wamp.error.invalid_uri")
        await c.error("call invalid uri", a.call("com.example.bad uri"), "wamp.error.invalid_uri")
        await c.error("subscribe invalid uri", a.subscribe(lambda: None, "com..bad"), "wamp.error.invalid_uri")
        await c.error("publish invalid uri", a.publish("com.#bad", options=PublishOptions(acknowledge=True)),
                      "wamp.error.invalid_uri")

    await c.error("unregister unknown", raw_unregister(a, 4242424242), "wamp.error.no_such_registration")
    await reg.unregister()
    await c.error("unregister twice", raw_unregister(a, reg.id), "wamp.error.no_such_registration")
    await c.error("call after unregister", b.call("com.example.dup"), "wamp.error.no_such_procedure")
    await c.error("unsubscribe unknown", raw_unsubscribe(a, 4242424242), "wamp.error.no_such_subscription")
    sub = await a.subscribe(lambda *a, **kw: None, "com.example.topic.u")
    await sub.unsubscribe()
    await c.error("unsubscribe twice", raw_unsubscribe(a, sub.id), "wamp.error.no_such_subscription")

    def fails(*args, **kwargs):
        raise ApplicationError("com.example.error.x", 1, 2, a=3)

    await a.register(fails, "com.example.fails")
    await c.error("application error", b.call("com.example.fails"), "com.example.error.x",
                  args=[1, 2], kwargs={"a": 3})

    def fails_unicode(*args, **kwargs):
        raise ApplicationError("com.example.error.y", "\u00e9\u2713", [1, {"x": None}], k={"n": [1, 2]})

    await a.register(fails_unicode, "com.example.fails2")
    await c.error("application error nested", b.call("com.example.fails2"), "com.example.error.y",
                  args=["\u00e9\u2713", [1, {"x": None}]], kwargs={"k": {"n": [1, 2]}})
    # The sessions are still usable after all of these errors.
    await a.register(echo, "com.example.after")
    c.eq("call after errors", await asyncio.wait_for(b.call("com.example.after", "ok"), TIMEOUT), "ok")
    await leave(a)
    await leave(b)


async def scenario_pubsub(opts, c):
    n = 20
    sessions = [await connect(opts) for _ in range(3)]
    got = [[] for _ in sessions]
    marks = [asyncio.get_running_loop().create_future() for _ in sessions]

    def handler(i):
        def on_event(*args, **kwargs):
            if kwargs.get("mark"):
                if not marks[i].done():
                    marks[i].set_result(True)
                return
            got[i].append((list(args), kwargs))
        return on_event

    subs = []
    for i, s in enumerate(sessions):
        subs.append(await s.subscribe(handler(i), "com.example.topic"))
    pub = sessions[0]
    want = []
    for k in range(n):
        args, kwargs = [k, "\u00e9v\u00e9nement", {"nested": [k]}], {"k": k, "bin": bytes([k, 0, 255])}
        want.append((args, kwargs))
        if k % 2 == 0:
            p = await asyncio.wait_for(
                pub.publish("com.example.topic", *args, options=PublishOptions(acknowledge=True), **kwargs), TIMEOUT)
            if k == 0:
                c.check("acknowledged publish gets PUBLISHED",
                        p is not None and 1 <= p.id <= 2 ** 53, "publication %r" % (p,))
        else:
            pub.publish("com.example.topic", *args, **kwargs)
    # The marker reaches the publisher too (exclude_me=False); events of one
    # publisher on one topic arrive in order, so after the marker all earlier
    # events have arrived.
    await pub.publish("com.example.topic", mark=True,
                      options=PublishOptions(acknowledge=True, exclude_me=False))
    try:
        await asyncio.wait_for(asyncio.gather(*marks), TIMEOUT)
        c.ok("every subscriber got the marker (publisher too with exclude_me=False)")
    except asyncio.TimeoutError:
        c.fail("every subscriber got the marker", "received: %r" % [m.done() for m in marks])
    c.eq("publisher excluded by default", len(got[0]), 0)
    for i in (1, 2):
        c.eq("subscriber %d got every event in order" % i, got[i], want)

    # After unsubscribing, a session gets nothing more.
    await subs[1].unsubscribe()
    marks[2] = asyncio.get_running_loop().create_future()
    before = len(got[1])
    await pub.publish("com.example.topic", "late", options=PublishOptions(acknowledge=True))
    await pub.publish("com.example.topic", mark=True, options=PublishOptions(acknowledge=True))
    await asyncio.wait_for(marks[2], TIMEOUT)
    c.eq("unsubscribed session gets no event", len(got[1]), before)
    c.eq("still subscribed session gets the event", got[2][-1], (["late"], {}))
    for s in sessions:
        await leave(s)


async def scenario_isolation(opts, c):
    p1 = await connect(opts, realm="realm1")
    s1 = await connect(opts, realm="realm1")
    s2 = await connect(opts, realm="realm2")
    p2 = await connect(opts, realm="realm2")
    loop = asyncio.get_running_loop()
    got1, got2 = loop.create_future(), []
    mark2 = loop.create_future()

    def on1(*args, **kwargs):
        if not got1.done():
            got1.set_result(args)

    def on2(*args, **kwargs):
        if kwargs.get("mark"):
            mark2.set_result(True)
        else:
            got2.append(args)

    await s1.subscribe(on1, "com.example.iso")
    await s2.subscribe(on2, "com.example.iso")
    await p1.publish("com.example.iso", "realm1 only", options=PublishOptions(acknowledge=True))
    c.eq("realm1 subscriber gets realm1 event", await asyncio.wait_for(got1, TIMEOUT), ("realm1 only",))
    await p2.publish("com.example.iso", mark=True, options=PublishOptions(acknowledge=True))
    await asyncio.wait_for(mark2, TIMEOUT)
    c.eq("realm2 subscriber does not get realm1 event", got2, [])

    await p1.register(echo, "com.example.iso.proc")
    c.eq("realm1 procedure callable in realm1",
         await asyncio.wait_for(s1.call("com.example.iso.proc", 1), TIMEOUT), 1)
    await c.error("realm1 procedure not callable from realm2", p2.call("com.example.iso.proc"),
                  "wamp.error.no_such_procedure")
    try:
        await asyncio.wait_for(p2.register(lambda: "realm2", "com.example.iso.proc"), TIMEOUT)
        c.ok("same procedure registrable in realm2")
        c.eq("realm2 gets its own procedure",
             await asyncio.wait_for(s2.call("com.example.iso.proc"), TIMEOUT), "realm2")
    except Exception as e:  # noqa: BLE001
        c.fail("same procedure registrable in realm2", repr(e))
    for s in (p1, s1, s2, p2):
        await leave(s)


async def scenario_callee(opts, c):
    """Registers echo and a never-answering procedure, then serves forever."""
    s = await connect(opts)
    loop = asyncio.get_running_loop()

    async def slow(*args, **kwargs):
        print("INVOKED", flush=True)
        await loop.create_future()  # never answers

    await s.register(echo, opts.procedure)
    await s.register(slow, opts.procedure + ".slow")
    print("READY", flush=True)
    await s.gone


async def scenario_call(opts, c):
    """Calls opts.procedure; expects an echo or, with --expect-error, that error."""
    s = await connect(opts)
    if opts.expect_error:
        t0 = asyncio.get_running_loop().time()
        await c.error("call %s gets %s" % (opts.procedure, opts.expect_error),
                      s.call(opts.procedure, "x"), opts.expect_error)
        print("ELAPSED %.3f" % (asyncio.get_running_loop().time() - t0), flush=True)
    else:
        for name, args, kwargs in echo_values(opts.serializer, big=False):
            res = await asyncio.wait_for(s.call(opts.procedure, *args, **kwargs), TIMEOUT)
            if isinstance(res, CallResult):
                got = (list(res.results), res.kwresults or {})
            elif len(args) == 1:
                got = ([res], {})
            else:
                got = ([] if res is None else [res], {})
            c.eq("call %s %s" % (opts.procedure, name), got, (args, kwargs))
    await leave(s)


async def scenario_subscriber(opts, c):
    """Subscribes to opts.topic and checks opts.count events 0..count-1."""
    s = await connect(opts)
    got = []
    done = asyncio.get_running_loop().create_future()

    def on_event(*args, **kwargs):
        got.append((list(args), kwargs))
        if len(got) == opts.count and not done.done():
            done.set_result(True)

    await s.subscribe(on_event, opts.topic)
    print("READY", flush=True)
    try:
        await asyncio.wait_for(done, TIMEOUT * 2)
    except asyncio.TimeoutError:
        pass
    want = [([i, "\u00e9v\u00e9nement", {"n": [i]}], {"i": i}) for i in range(opts.count)]
    c.eq("subscriber %s got every event" % s._transport._serializer.SERIALIZER_ID, got, want)
    await leave(s)


async def scenario_publisher(opts, c):
    s = await connect(opts)
    for i in range(opts.count):
        await asyncio.wait_for(s.publish(opts.topic, i, "\u00e9v\u00e9nement", {"n": [i]}, i=i,
                                         options=PublishOptions(acknowledge=True)), TIMEOUT)
    c.ok("published %d events" % opts.count)
    await leave(s)


async def scenario_waiter(opts, c):
    """Joins, then waits for the router to end the session (shutdown test)."""
    s = await connect(opts)
    print("READY", flush=True)
    try:
        details = await asyncio.wait_for(s.left, TIMEOUT * 3)
        c.eq("router goodbye reason", details.reason, "wamp.close.system_shutdown")
    except asyncio.TimeoutError:
        c.fail("router goodbye reason", "no GOODBYE within %ss" % (TIMEOUT * 3))
    try:
        await asyncio.wait_for(s.gone, TIMEOUT)
        c.ok("transport closed after GOODBYE")
    except asyncio.TimeoutError:
        c.fail("transport closed after GOODBYE", "still open")


SCENARIOS = {
    "join": scenario_join,
    "rpc": scenario_rpc,
    "errors": scenario_errors,
    "pubsub": scenario_pubsub,
    "isolation": scenario_isolation,
    "callee": scenario_callee,
    "call": scenario_call,
    "subscriber": scenario_subscriber,
    "publisher": scenario_publisher,
    "waiter": scenario_waiter,
}


def scenario_parser(scenarios):
    """The arguments every single-router script takes: the scenario, the
    transport and serializer, and the router's addresses."""
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=sorted(scenarios))
    p.add_argument("--transport", choices=["ws", "rs"], default="ws")
    p.add_argument("--serializer", choices=sorted(SERIALIZERS), default="json")
    p.add_argument("--ws", help="WebSocket URL, ws://127.0.0.1:PORT/ws")
    p.add_argument("--rs", help="RawSocket HOST:PORT")
    p.set_defaults(unix=None)  # connect reads it; only this script serves unix sockets
    return p


def run_scenario(scenarios, opts, ctx=None, timeout=None):
    """Runs the scenario opts.scenario names and exits with the checks'
    verdict; an unexpected exception, or running past timeout seconds, is
    a failed check. Without ctx a scenario is called with (opts, checks);
    with it, with ctx(opts, checks), closed afterwards."""
    c = Checks()

    async def run():
        x = ctx(opts, c) if ctx else None
        try:
            work = scenarios[opts.scenario](x) if x else scenarios[opts.scenario](opts, c)
            await asyncio.wait_for(work, timeout)
        except asyncio.TimeoutError:
            c.fail(opts.scenario, "did not finish within %ss" % timeout)
        except Exception as e:  # noqa: BLE001 - an unexpected error is a failed check
            c.fail(opts.scenario, "unexpected %s: %s" % (type(e).__name__, e))
        finally:
            if x:
                await x.close()

    t0 = time.monotonic()
    asyncio.run(run())
    print("ELAPSED %.3f" % (time.monotonic() - t0), flush=True)
    c.exit()


def main():
    p = scenario_parser(SCENARIOS)
    p.add_argument("--caller-serializer", choices=sorted(SERIALIZERS))
    p.add_argument("--callee-serializer", choices=sorted(SERIALIZERS))
    p.add_argument("--unix", help="RawSocket unix socket path")
    p.add_argument("--procedure", default="com.example.echo")
    p.add_argument("--topic", default="com.example.topic")
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--expect-error")
    run_scenario(SCENARIOS, p.parse_args())


if __name__ == "__main__":
    main()
