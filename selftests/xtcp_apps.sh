#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Real programs, unchanged, over TCP and then over xtcp (both ends started
# through build/tools/xtcp-run), in a network namespace of their own:
#
#   redis     redis-server; redis-cli stores and reads back a 1-byte and a
#             1 MiB value (compared byte for byte); redis-benchmark runs
#             SET and GET from 10 clients and must report both
#   socat     8 MiB from a file through socat to socat, SHA-256 compared
#   iperf3    32 MiB (-n, not a time), the JSON report's bytes sent and
#             received checked
#
# Each case also checks which protocol carried it: the ActiveOpens of
# xtcp (/proc/net/xtcp_stat) or TCP (/proc/net/snmp) must have moved, and
# the other's not.  A program missing from the machine skips its cases.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=xtcp_lib.sh
. "$top/selftests/xtcp_lib.sh"
run=$top/build/tools/xtcp-run
KSFT_SKIP=4
ns=xtcp-apps-$$
tmp=$(mktemp -d)
n=0
fails=0
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! ip netns add "$ns" 2>/dev/null; then
	echo "1..0 # SKIP needs ip netns"
	exit $KSFT_SKIP
fi
ip -n "$ns" link set lo up
head -c 1M /dev/urandom | base64 -w0 | head -c 1M >"$tmp/value"
head -c 8M /dev/urandom >"$tmp/blob"

# active_opens PROTO: ActiveOpens of xtcp or tcp in $ns.
active_opens() {
	local a
	read -r a _ <<<"$(opens "$1")"
	echo "$a"
}

skip() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

# carried PROTO X0 T0: did PROTO carry the case (its opens moved, the
# other's not)?
carried() {
	local proto=$1 x0=$2 t0=$3 x1 t1
	x1=$(active_opens xtcp)
	t1=$(active_opens tcp)
	if [ "$proto" = xtcp ]; then
		[ "$x1" -gt "$x0" ] && [ "$t1" = "$t0" ]
	else
		[ "$t1" -gt "$t0" ] && [ "$x1" = "$x0" ]
	fi
}

case_redis() {
	local proto=$1 port=$2 pre=() x0 t0 ok=ok srv out
	[ "$proto" = xtcp ] && pre=("$run")
	x0=$(active_opens xtcp)
	t0=$(active_opens tcp)
	in_ns "${pre[@]}" redis-server --port "$port" --bind 127.0.0.1 \
		--save '' --appendonly no --dir "$tmp" --protected-mode no \
		>"$tmp/redis-$proto.log" 2>&1 &
	srv=$!
	pids+=("$srv")
	wait_listening "$port" "$srv" || ok=fail
	in_ns "${pre[@]}" redis-cli -p "$port" set small x >/dev/null || ok=fail
	in_ns "${pre[@]}" redis-cli -p "$port" -x set big <"$tmp/value" >/dev/null || ok=fail
	[ "$(in_ns "${pre[@]}" redis-cli -p "$port" get small)" = x ] || ok=fail
	in_ns "${pre[@]}" redis-cli -p "$port" --raw get big | head -c 1M >"$tmp/got"
	cmp -s "$tmp/value" "$tmp/got" || ok=fail
	out=$(in_ns "${pre[@]}" redis-benchmark -p "$port" -q -n 2000 -c 10 -t set,get 2>&1)
	echo "$out" | tr '\r' '\n' | grep -E '^(SET|GET):' | sed "s/^/# $proto: /"
	[ "$(echo "$out" | tr '\r' '\n' | grep -cE '^(SET|GET):.*requests per second')" = 2 ] ||
		ok=fail
	kill -0 "$srv" 2>/dev/null || ok=fail
	kill "$srv"
	wait "$srv" 2>/dev/null
	carried "$proto" "$x0" "$t0" || ok=fail
	[ $ok = ok ] || sed "s/^/# server: /" "$tmp/redis-$proto.log" | tail -5
	result $ok "redis_over_$proto"
}

case_socat() {
	local proto=$1 port=$2 pre=() x0 t0 ok=ok srv
	[ "$proto" = xtcp ] && pre=("$run")
	x0=$(active_opens xtcp)
	t0=$(active_opens tcp)
	rm -f "$tmp/got"
	in_ns "${pre[@]}" socat -u "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" \
		"OPEN:$tmp/got,creat,trunc" 2>"$tmp/socat-$proto.log" &
	srv=$!
	pids+=("$srv")
	wait_listening "$port" "$srv" || ok=fail
	in_ns "${pre[@]}" socat -u "OPEN:$tmp/blob" "TCP:127.0.0.1:$port" \
		2>>"$tmp/socat-$proto.log" || ok=fail
	wait "$srv" || ok=fail
	cmp -s "$tmp/blob" "$tmp/got" || ok=fail
	carried "$proto" "$x0" "$t0" || ok=fail
	[ $ok = ok ] || sed "s/^/# socat: /" "$tmp/socat-$proto.log" | tail -5
	result $ok "socat_over_$proto"
}

case_iperf3() {
	local proto=$1 port=$2 pre=() x0 t0 ok=ok srv got sent rcvd mbs
	[ "$proto" = xtcp ] && pre=("$run")
	x0=$(active_opens xtcp)
	t0=$(active_opens tcp)
	in_ns "${pre[@]}" iperf3 -s -1 -B 127.0.0.1 -p "$port" \
		>"$tmp/iperf3-srv-$proto.log" 2>&1 &
	srv=$!
	pids+=("$srv")
	wait_listening "$port" "$srv" || ok=fail
	in_ns "${pre[@]}" iperf3 -c 127.0.0.1 -p "$port" -n 32M -J \
		>"$tmp/iperf3-$proto.json" 2>&1 || ok=fail
	wait "$srv" || ok=fail
	# all of it sent; the receiver's own report (its intervals may end
	# before the last bytes came) at least half of it
	got=$(python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))["end"]
s, r = e["sum_sent"], e["sum_received"]
print(s["bytes"], r["bytes"], int(r["bits_per_second"] / 8e6))' \
		"$tmp/iperf3-$proto.json" 2>/dev/null)
	read -r sent rcvd mbs <<<"$got"
	echo "# $proto: iperf3 sent ${sent:-?} bytes, received ${rcvd:-?}, ${mbs:-?} MB/s"
	[ "${sent:-0}" = $((32 << 20)) ] && [ "${rcvd:-0}" -ge $((16 << 20)) ] ||
		ok=fail
	carried "$proto" "$x0" "$t0" || ok=fail
	[ $ok = ok ] || tail -5 "$tmp/iperf3-$proto.json" | sed 's/^/# iperf3: /'
	result $ok "iperf3_over_$proto"
}

echo "1..6"
port=7100
for app in redis socat iperf3; do
	bin=$app
	[ $app = redis ] && bin=redis-server
	for proto in tcp xtcp; do
		port=$((port + 1))
		if command -v "$bin" >/dev/null; then
			"case_$app" "$proto" "$port"
		else
			skip "${app}_over_$proto" "$bin not installed (scripts/deps.sh)"
		fi
	done
done
[ $fails = 0 ]
