#!/bin/sh
# Standard short benchmark set for `make bench`: builds wampd and wampbench,
# starts wampd on ephemeral loopback ports, runs each scenario against it
# and against the built-in raw baseline (--target both), and prints the table.
# Usage: sh bench/standard.sh [OUTDIR]   (DURATION=5s WARMUP=1s to change, GO=go1.26 for another toolchain)
set -eu
OUT=${1:-bench-results}
DURATION=${DURATION:-3s}
WARMUP=${WARMUP:-1s}
GO=${GO:-go}
mkdir -p "$OUT"
"$GO" build -o "$OUT/wampd" ./cmd/wampd
"$GO" build -o "$OUT/wampbench" ./cmd/wampbench
PID=
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
. "$(dirname "$0")/wampd.sh"
start_wampd "$OUT/wampd" "$OUT/wampd.log" --realm realm1
B="$OUT/wampbench"
C="--duration $DURATION --warmup $WARMUP --quiet --target both --router-pid $PID"
$B rpc    --url "$WS" $C --name rpc-json-ws     --callers 4 --inflight 8 --json "$OUT/rpc-json-ws.json"
$B rpc    --url "$RS" $C --name rpc-msgpack-rs  --serializer msgpack --callers 4 --inflight 8 --json "$OUT/rpc-msgpack-rs.json"
$B rpc    --url "$WS" $C --name rpc-open-10k    --callers 4 --rate 10000 --json "$OUT/rpc-open-10k.json"
$B pubsub --url "$WS" $C --name pubsub-json-ws  --publishers 2 --subscribers 8 --topics 4 --inflight 8 --json "$OUT/pubsub-json-ws.json"
$B fanout --url "$WS" $C --name fanout-1k       --subscribers 1000 --rate 200 --json "$OUT/fanout-1k.json"
$B slow   --url "$WS" $C --name slow-10pct      --subscribers 100 --rate 500 --json "$OUT/slow-10pct.json"
$B conns  --url "$WS" --duration 1s --quiet --router-pid $PID --name conns-2k --sessions 2000 --json "$OUT/conns-2k.json"
$B report "$OUT"/*.json -o "$OUT/report.html"
