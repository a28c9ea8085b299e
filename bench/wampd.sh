# Sourced by bench/standard.sh and bench/pgo.sh.
#
# start_wampd BIN LOG [ARGS...] starts BIN (wampd) on ephemeral loopback
# ports with ARGS, logging to LOG, sets PID, waits for its "wampd started"
# line and sets WS (its ws:// URL), RS (rs://host:port) and DBG (host:port of
# --debug; empty without it). When wampd does not start it prints the log
# and exits 1.
start_wampd() {
	_bin=$1
	_log=$2
	shift 2
	"$_bin" --ws 127.0.0.1:0 --rawsocket 127.0.0.1:0 "$@" --log-format text 2>"$_log" &
	PID=$!
	for _ in $(seq 100); do
		grep -q 'msg="wampd started"' "$_log" && break
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	WS=$(sed -n 's/.*transport=websocket.*url=\(ws:[^ ]*\).*/\1/p' "$_log" | head -1)
	RS=$(sed -n 's/.*transport=rawsocket addr=\([^ ]*\).*/\1/p' "$_log" | head -1)
	DBG=$(sed -n 's/.*msg=debug addr=\([^ ]*\).*/\1/p' "$_log" | head -1)
	if [ -z "$WS" ] || [ -z "$RS" ]; then
		echo "$0: wampd did not log its listeners; $_log:" >&2
		cat "$_log" >&2
		exit 1
	fi
	RS=rs://$RS
}
