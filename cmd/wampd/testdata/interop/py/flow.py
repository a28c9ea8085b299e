#!/usr/bin/python3
"""Flow-control interop scenarios for wampd, with Autobahn|Python.

Run by cmd/wampd/flow_interop_test.go against a wampd serving
examples/telemetry.yaml (realm1 anonymous, flow control on, policy drop).
Each role is a process of its own, so the publisher really outruns its
subscribers:

- subscriber: subscribes to --topic, prints READY, then checks that
  --count events arrive with the sequence numbers 0..count-1 in order.
- publisher: publishes --count events of --size bytes as fast as Autobahn
  can hand them to the transport (no acknowledgement, no pause), then one
  acknowledged publication that the router answers only after all of
  them, and leaves.

Every check prints "OK <name>" or "FAIL <name>: <why>", and the process
exits 0 only when every check passed.
"""

import asyncio

import txaio

txaio.use_asyncio()

from autobahn.wamp.types import PublishOptions  # noqa: E402

from interop import TIMEOUT, connect, leave, run_scenario, scenario_parser  # noqa: E402

# How long the whole stream may take to arrive (the router, the publisher
# and the other subscribers share a small CI machine).
STREAM_TIMEOUT = 45.0


async def subscriber(opts, c):
    sess = await connect(opts)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    state = {"next": 0, "bad": None}

    def on_event(seq, pad):
        if seq != state["next"] and state["bad"] is None:
            state["bad"] = "event %d arrived where %d was due" % (seq, state["next"])
        state["next"] = seq + 1
        if state["next"] == opts.count and not done.done():
            done.set_result(True)

    await asyncio.wait_for(sess.subscribe(on_event, opts.topic), TIMEOUT)
    print("READY", flush=True)
    try:
        await asyncio.wait_for(done, STREAM_TIMEOUT)
    except asyncio.TimeoutError:
        c.fail("every event", "%d of %d events within %ss" % (state["next"], opts.count, STREAM_TIMEOUT))
        return
    c.check("every event, in order", state["bad"] is None, state["bad"])
    await leave(sess)


async def publisher(opts, c):
    sess = await connect(opts)
    pad = "x" * opts.size
    for seq in range(opts.count):
        sess.publish(opts.topic, seq, pad)
        if seq % 1000 == 999:
            await asyncio.sleep(0)  # let the transport write (it buffers the rest)
    ack = sess.publish(opts.topic + ".end", options=PublishOptions(acknowledge=True))
    await asyncio.wait_for(ack, STREAM_TIMEOUT)
    c.ok("%d publications accepted" % opts.count)
    await leave(sess)


SCENARIOS = {"subscriber": subscriber, "publisher": publisher}


def main():
    p = scenario_parser(SCENARIOS)
    p.add_argument("--topic", default="com.flow.telemetry")
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--size", type=int, default=1000)
    run_scenario(SCENARIOS, p.parse_args())


if __name__ == "__main__":
    main()
