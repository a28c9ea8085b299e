#!/usr/bin/python3
"""HTTP bridge interop peers for wampd, with Autobahn|Python.

Run by cmd/wampd/bridge_interop_test.go against a wampd whose realm1 has
an HTTP bridge; the Go test is the HTTP side (its net/http client posts to
the bridge, its loopback HTTP server is the forward target).

Scenarios:
- peer: the callee and subscriber the bridge's inbound half reaches. It
  registers com.bi.echo (returns its args and kwargs), com.bi.fail (raises
  com.bi.oops "it broke"), com.bi.invalid (raises
  wamp.error.invalid_argument), com.bi.slow (answers after 3 s) and
  com.bi.quit (ends the scenario), subscribes com.bi.topic and com.bi.hook,
  prints "READY", then one line "EVENT <json>" per event
  ({"topic", "args", "kwargs"}), until com.bi.quit is called.
- outbound: a publisher and caller the outbound half serves: it publishes
  to com.bi.out (forwarded to the test's server), calls com.bi.fwd (the
  server's answer comes back), com.bi.fwd500 (the server fails: an error)
  and com.bi.fwdslow (the server never answers in time: an error).

Every check prints "OK <name>" or "FAIL <name>: <why>"; the process exits
0 only when every check passed ("DONE ..." last).

Usage: bridge.py SCENARIO --transport ws|rs --serializer json|msgpack|cbor
                 --ws URL --rs HOST:PORT
"""

import asyncio
import json

import txaio

txaio.use_asyncio()

from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.types import CallResult, PublishOptions, SubscribeOptions  # noqa: E402

from interop import TIMEOUT, connect, leave, run_scenario, scenario_parser  # noqa: E402

FORWARD_FAILED = "wampd.bridge.forward_failed"


async def scenario_peer(opts, c):
    sess = await connect(opts)
    quit_ = asyncio.get_running_loop().create_future()

    def echo(*args, **kwargs):
        return CallResult(*args, **kwargs)

    def fail(*args, **kwargs):
        raise ApplicationError("com.bi.oops", "it broke")

    def invalid(*args, **kwargs):
        raise ApplicationError(ApplicationError.INVALID_ARGUMENT, "not like that")

    async def slow(*args, **kwargs):
        await asyncio.sleep(3)
        return "late"

    def stop():
        if not quit_.done():
            quit_.set_result(True)
        return "bye"

    for proc, fn in (("com.bi.echo", echo), ("com.bi.fail", fail), ("com.bi.invalid", invalid),
                     ("com.bi.slow", slow), ("com.bi.quit", stop)):
        await sess.register(fn, proc)

    def on_event(*args, details=None, **kwargs):
        print("EVENT " + json.dumps({"topic": details.topic, "args": list(args), "kwargs": kwargs}), flush=True)

    for topic in ("com.bi.topic", "com.bi.hook"):
        await sess.subscribe(on_event, topic, options=SubscribeOptions(details=True))
    c.ok("peer registered and subscribed")
    print("READY", flush=True)
    try:
        await asyncio.wait_for(quit_, 60)
        c.ok("quit called through the bridge")
    except asyncio.TimeoutError:
        c.fail("quit", "com.bi.quit was not called within 60 s")
    await asyncio.sleep(0.1)  # let the YIELD of com.bi.quit go out
    await leave(sess)


async def scenario_outbound(opts, c):
    sess = await connect(opts)
    try:
        pub = await asyncio.wait_for(
            sess.publish("com.bi.out", 1, "two", k=True, options=PublishOptions(acknowledge=True)), TIMEOUT)
        c.check("publish forwarded topic acknowledged", pub.id > 0, repr(pub))
    except Exception as e:  # noqa: BLE001
        c.fail("publish forwarded topic", repr(e))
    try:
        res = await asyncio.wait_for(sess.call("com.bi.fwd", "x", 2, k="v"), TIMEOUT)
        c.eq("forwarded call args", list(res.results), ["served", "x", 2])
        c.eq("forwarded call kwargs", res.kwresults, {"procedure": "com.bi.fwd", "k": "v"})
    except Exception as e:  # noqa: BLE001
        c.fail("forwarded call", repr(e))
    await c.error("forwarded call, server fails (500)", sess.call("com.bi.fwd500"), FORWARD_FAILED)
    await c.error("forwarded call, server times out", sess.call("com.bi.fwdslow"), FORWARD_FAILED)
    await leave(sess)


SCENARIOS = {
    "peer": scenario_peer,
    "outbound": scenario_outbound,
}


def main():
    run_scenario(SCENARIOS, scenario_parser(SCENARIOS).parse_args())


if __name__ == "__main__":
    main()
