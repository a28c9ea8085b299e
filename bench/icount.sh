#!/bin/sh
# Instructions per operation of the hot-path Go benchmarks, counted by
# valgrind's callgrind: unlike ns/op they do not move with the machine's
# load (the same binary and input give the same count), so a change of a
# few percent shows. Each benchmark runs N and 2N iterations; the
# difference divided by N cancels start-up and set-up.
# The test binaries are built with the router's PGO profile
# (cmd/wampd/default.pgo), as wampd itself is; PGO=off counts without it.
# Usage: sh bench/icount.sh [N]   (default 20000; needs valgrind)
set -eu
N=${1:-20000}
GO=${GO:-go}
PGO=${PGO:-cmd/wampd/default.pgo}
command -v valgrind >/dev/null || { echo "icount.sh: valgrind not found (apt-get install valgrind)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for pkg in codec realm engine netpoll; do
	"$GO" test -c -pgo="$PGO" -o "$TMP/$pkg.test" "./$pkg"
done
# Go's signal-based preemption stalls programs under valgrind.
ir() { # ir PKG REGEX ITERATIONS -> total instructions
	GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$TMP/$1.test" -test.run '^$' -test.bench "$2" -test.benchtime "${3}x" 2>&1 |
		awk '/refs:/ { gsub(",", "", $NF); print $NF }'
}
printf '%-44s %14s\n' "benchmark (pgo=$(basename "$PGO"))" "instructions/op"
while read -r pkg bench; do
	a=$(ir "$pkg" "$bench" "$N")
	b=$(ir "$pkg" "$bench" $((2 * N)))
	printf '%-44s %14d\n' "$pkg $bench" $(((b - a) / N))
done <<'LIST'
codec ^BenchmarkDecode$/^Call_MsgPack$
codec ^BenchmarkDecode$/^Call_JSON$
codec ^BenchmarkDecode$/^Event_MsgPack$
codec ^BenchmarkAppend$/^Invocation_MsgPack$
realm ^BenchmarkCall_64B$/^msgpack$
realm ^BenchmarkCall_64B$/^json$
realm ^BenchmarkYield_64B$/^msgpack$
realm ^BenchmarkPublish_64B_1Sub$/^msgpack$
realm ^BenchmarkPublish_64B_1000Subs$/^msgpack$
engine ^BenchmarkHello_Welcome$
netpoll ^BenchmarkWSFrameParse_64B$
LIST
