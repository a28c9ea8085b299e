#!/bin/sh
# Collects the CPU profiles that Go's profile-guided optimization builds
# the binaries with (cmd/wampd/default.pgo and cmd/wampbench/default.pgo,
# which `go build` and `go run` use automatically): wampd runs under the
# workloads of docs/benchmarks.md (RPC 1x1 and 8x16, shared callees,
# fan-out, pub/sub, session opening; JSON, MessagePack and CBOR; WebSocket
# and RawSocket) while its debug listener profiles each and wampbench
# profiles itself; each binary's profiles are merged. Re-run it when the
# hot path changes much; an old profile still builds, it only optimizes
# less.
# Usage: sh bench/pgo.sh [DIR]   (DIR/wampd.pgo and DIR/wampbench.pgo instead of cmd/*/default.pgo; SECONDS_EACH=4)
set -eu
DIR=${1:-}
SECS=${SECONDS_EACH:-4}
GO=${GO:-go}
TMP=$(mktemp -d)
PID=
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
# Built without PGO: the profiles describe the code, not a previous profile's effect.
"$GO" build -pgo=off -o "$TMP/wampd" ./cmd/wampd
"$GO" build -pgo=off -o "$TMP/wampbench" ./cmd/wampbench
. "$(dirname "$0")/wampd.sh"
start_wampd "$TMP/wampd" "$TMP/wampd.log" --debug 127.0.0.1:0
if [ -z "$DBG" ]; then
	echo "pgo.sh: wampd did not log its debug listener; $TMP/wampd.log:" >&2
	cat "$TMP/wampd.log" >&2
	exit 1
fi
B="$TMP/wampbench"
C="--duration ${SECS}s --warmup 1s --quiet --router-pid $PID"
n=0
run() { # run NAME wampbench-args...: profile wampd while wampbench runs
	n=$((n + 1))
	name=$1
	shift
	(sleep 1.2 && curl -sf -o "$TMP/$n-$name.router.pprof" "http://$DBG/debug/pprof/profile?seconds=$((SECS - 1))") &
	cp=$!
	$B "$@" $C --cpuprofile "$TMP/$n-$name.bench.pprof" >/dev/null
	wait $cp
}
run rpc1-msgpack     rpc    --url "$WS" --serializer msgpack --loops 1
run rpc8x16-msgpack  rpc    --url "$WS" --serializer msgpack --callers 8 --inflight 16
run rpc8x16-json     rpc    --url "$WS" --serializer json --callers 8 --inflight 16
run rpc4x8-cbor-rs   rpc    --url "$RS" --serializer cbor --callers 4 --inflight 8
run shared4-msgpack  rpc    --url "$WS" --serializer msgpack --callers 8 --inflight 16 --callees 4 --shared
run fanout-msgpack   fanout --url "$WS" --serializer msgpack --subscribers 1000 --rate 2000
run fanout-json      fanout --url "$WS" --serializer json --subscribers 1000 --rate 2000
run pubsub-json      pubsub --url "$WS" --serializer json --publishers 2 --subscribers 8 --topics 4 --inflight 8
run conns-msgpack    conns  --url "$WS" --serializer msgpack --sessions 15000 --dialers 256
W=cmd/wampd/default.pgo
BP=cmd/wampbench/default.pgo
if [ -n "$DIR" ]; then
	W=$DIR/wampd.pgo
	BP=$DIR/wampbench.pgo
fi
"$GO" tool pprof -proto "$TMP"/*.router.pprof >"$W"
"$GO" tool pprof -proto "$TMP"/*.bench.pprof >"$BP"
echo "pgo.sh: wrote $W and $BP, each from $n profiles"
