#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `make bench` (scripts/bench.sh runs it in QEMU with
# xtcp.ko loaded): bulk, duplex, fanin, rr and crr (tools/xtcp_bench.c; rr
# and crr with TCP_NODELAY and again with Nagle's algorithm), each on the
# kernel's TCP and on xtcp, over loopback and over a veth pair between two
# network namespaces, and on loopback also over AF_UNIX stream sockets (all
# but the Nagle runs), the ceiling of one machine.  Each measurement is
# BENCH_REPEAT runs of xtcp_bench, taken in turns with the other families'
# runs of the same row; its value is their median, and so is its CPU cost
# (guest CPU seconds per 10^9 bytes, the modes that move bytes).
# Prints a line per run and one per measurement, and one line per
# measurement for scripts/bench.sh to collect:
#
#   RUN PATH MODE FAMILY I/N OUTPUT...       (xtcp_bench's line, run I)
#   RESULT PATH MODE FAMILY VALUE UNIT [CPU]
#   RESULT PATH MODE FAMILY FAIL REASON...
#
# rr and crr run client and server on one CPU (taskset -c 0): a
# transaction is then the work both ends and the stack do for it, where
# across two vCPUs of a TCG guest it was mostly the wake-up of the other
# one, which varied tenfold from run to run.
#
# A measurement fails with the first run that fails, and does not stop the
# others.  Environment: BENCH_TOOL (the xtcp_bench binary), BENCH_SIZE
# (bytes for bulk, duplex each way and fanin in all, default 256M),
# BENCH_TIME (seconds per rr and crr run, default 3), BENCH_REPEAT (runs
# per measurement, default 3), BENCH_LOSSY_SIZE (bytes for the lossy bulk
# rows, default 16M), BENCH_LOSSES (their loss rates in %, default "1 5";
# empty: none).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tool=${BENCH_TOOL:-$top/build/tools/xtcp_bench}
size=${BENCH_SIZE:-256M}
lossy_size=${BENCH_LOSSY_SIZE:-16M}
secs=${BENCH_TIME:-3}
repeats=${BENCH_REPEAT:-3}
ns_a=xbench-a
ns_b=xbench-b
addr_a=10.213.0.1
addr_b=10.213.0.2
port=7100
errf=$(mktemp)

cleanup() {
	ip netns del "$ns_a" 2>/dev/null || true
	ip netns del "$ns_b" 2>/dev/null || true
	rm -f "$errf"
}
trap cleanup EXIT

echo "INFO kernel $(uname -r) cpus $(nproc) repeats $repeats"

ip link set lo up
ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add xb0 netns "$ns_a" type veth peer name xb1 netns "$ns_b"
ip -n "$ns_a" addr add "$addr_a/24" dev xb0
ip -n "$ns_b" addr add "$addr_b/24" dev xb1
for ns in "$ns_a" "$ns_b"; do
	ip -n "$ns" link set lo up
done
ip -n "$ns_a" link set xb0 up
ip -n "$ns_b" link set xb1 up

# xstat PATH: xtcp's counters in the namespaces the path uses, summed.
xstat() {
	if [ "$1" = loopback ]; then
		cat /proc/net/xtcp_stat
	else
		ip netns exec "$ns_a" cat /proc/net/xtcp_stat
		ip netns exec "$ns_b" cat /proc/net/xtcp_stat
	fi | awk '{ n[$1] += $2 } END { for (k in n) print k, n[k] }'
}

# xstat_delta BEFORE AFTER: the counters of trouble that moved in between.
xstat_delta() {
	awk 'NR == FNR { a[$1] = $2; next }
	$1 ~ /^(RetransSegs|BacklogDrops|OutRsts|InRsts|Timeouts|InHdrErrors|InCsumErrors|NoSocket|OutOfWindow|SynQueueDrops|AcceptQueueDrops)$/ &&
		$2 != a[$1] { printf "%s%s+%d", sep, $1, $2 - a[$1]; sep = " " }' \
		<(echo "$1") <(echo "$2")
}

# median DECIMALS VALUE...: the middle value, or the mean of the middle two.
median() {
	local decimals=$1

	shift
	printf '%s\n' "$@" | sort -g | awk -v d="$decimals" '{ v[NR] = $1 }
	END {
		if (NR % 2)
			print v[(NR + 1) / 2]
		else
			printf "%.*f\n", d, (v[NR / 2] + v[NR / 2 + 1]) / 2
	}'
}

# xtcp_cc NAME: xtcp's congestion control in both veth namespaces.
xtcp_cc() {
	local ns

	for ns in "$ns_a" "$ns_b"; do
		ip netns exec "$ns" sh -c \
			"echo $1 > /proc/sys/net/xtcp/congestion_control"
	done
}

# bench_args PATH MODE FAMILY: xtcp_bench's arguments for one run.
# Family xtcp-reno is xtcp with NewReno (xtcp_cc around the run).
bench_args() {
	local path=$1 mode=$2 family=${3%-reno}

	args=(-f "$family" -m "${mode%-nagle}")
	case $mode in
	bulk) args+=(-n "$size" -T 60) ;;
	duplex | fanin) args+=(-n "$size" -T 120) ;;
	*-nagle) args+=(-N -t "$secs" -T $((secs + 20))) ;;
	*) args+=(-t "$secs" -T $((secs + 20))) ;;
	esac
	case $path in
	loopback) [ "$family" = unix ] || args+=(-a 127.0.0.1) ;;
	*) args+=(-a "$addr_b" --server-netns "$ns_b" --client-netns "$ns_a") ;;
	esac
	# the last -n and -T count
	case $path in
	loss*) args+=(-n "$lossy_size" -T 300) ;;
	esac
}

# measure PATH MODE FAMILY...: $repeats rounds of one xtcp_bench run per
# family, the families taking turns (TCP, xtcp, TCP, xtcp...) so that a
# drift of the host's speed during a row weighs on both alike; then one
# RESULT line per family with the median of its runs.  xtcp's results
# also show which of its trouble counters moved during the row.
measure() {
	local path=$1 mode=$2 family out rc run before="" moved="" shown
	local -a words args pin=()
	local -A vals=() cpus=() unit=() failed=()

	shift 2
	case $mode in
	rr* | crr*) pin=(taskset -c 0) ;;
	esac
	[[ " $* " != *" xtcp"* ]] || before=$(xstat "$path")
	for run in $(seq "$repeats"); do
		for family in "$@"; do
			[ -z "${failed[$family]:-}" ] || continue
			bench_args "$path" "$mode" "$family"
			port=$((port + 1))
			rc=0
			[ "$family" != xtcp-reno ] || xtcp_cc reno
			out=$("${pin[@]}" "$tool" run "${args[@]}" -p "$port" 2>"$errf") || rc=$?
			[ "$family" != xtcp-reno ] || xtcp_cc cubic
			read -ra words <<<"$out"
			if [ "$rc" = 0 ] && [ "${#words[@]}" -ge 4 ] &&
				[[ ${words[2]} =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
				echo "RUN $path $mode $family $run/$repeats ${words[*]:2}"
				vals[$family]+=" ${words[2]}"
				unit[$family]=${words[3]}
				if [[ $out =~ CPU\ ([0-9]+(\.[0-9]+)?)\ s/GB ]]; then
					cpus[$family]+=" ${BASH_REMATCH[1]}"
				fi
				continue
			fi
			failed[$family]=$(fail_reason "$rc" "$out" "$run")
		done
	done
	[ -z "$before" ] || moved=$(xstat_delta "$before" "$(xstat "$path")")
	for family in "$@"; do
		report "$path" "$mode" "$family" "${vals[$family]:-}" \
			"${cpus[$family]:-}" "${unit[$family]:-}" "${failed[$family]:-}" \
			"$([ "$family" = tcp ] || [ "$family" = unix ] || echo "$moved")"
	done
}

# fail_reason RC OUTPUT RUN: why a run failed, in one line; prints the
# run's standard error below it.
fail_reason() {
	local rc=$1 out=$2 run=$3 reason line

	case $rc in
	0) reason="unexpected output: $out" ;;
	2) reason="timeout" ;;
	*) reason="exit $rc" ;;
	esac
	# The client's message says most; else whatever came last.
	if [ -s "$errf" ]; then
		line=$(grep -m 1 '^xtcp_bench: client: ' "$errf" || tail -n 1 "$errf")
		reason="$reason: ${line#xtcp_bench: }"
	fi
	if [ "$repeats" -gt 1 ]; then
		reason="run $run of $repeats: $reason"
	fi
	sed 's/^/    | /' "$errf" >&2
	echo "$reason"
}

# report PATH MODE FAMILY VALUES CPUS UNIT FAILURE MOVED: one family's
# line for the reader and its RESULT line.
report() {
	local path=$1 mode=$2 family=$3 u=$6 failure=$7 moved=$8 out cpu="" shown
	local -a v c

	read -ra v <<<"$4"
	read -ra c <<<"$5"
	if [ -n "$failure" ] || [ "${#v[@]}" != "$repeats" ]; then
		printf '%-9s %-9s %-5s FAIL (%s)%s\n' "$path" "$mode" "$family" \
			"${failure:-no result}" "${moved:+  [$moved]}"
		echo "RESULT $path $mode $family FAIL ${failure:-no result}"
		return
	fi
	out=$(median 1 "${v[@]}")
	shown="$out $u"
	if [ "${#c[@]}" = "$repeats" ]; then
		cpu=$(median 2 "${c[@]}")
		shown="$shown, CPU $cpu s/GB"
	fi
	if [ "$repeats" -gt 1 ]; then
		shown="$shown (median of ${v[*]})"
	fi
	printf '%-9s %-9s %-5s %s%s\n' "$path" "$mode" "$family" \
		"$shown" "${moved:+  [$moved]}"
	echo "RESULT $path $mode $family $out $u${cpu:+ $cpu}"
}

# The modes that move bytes last on each path: a transfer that stalls and
# times out leaves its connections to close in the background (orphans
# retransmitting, FIN_WAIT_2 until its timeout), which must not weigh on
# the transaction rates measured after it.
# AF_UNIX has no veth and no Nagle.
for path in loopback veth; do
	for mode in rr rr-nagle crr crr-nagle bulk duplex fanin; do
		if [ "$path" = veth ] || [[ $mode == *-nagle ]]; then
			measure "$path" "$mode" tcp xtcp
		else
			measure "$path" "$mode" tcp xtcp unix
		fi
	done
done

# Lossy rows (issue 16): bulk through netem on both ends of the veth pair,
# 5 ms each way (a 10 ms round trip) and the loss on each, TCP (CUBIC, SACK)
# against xtcp with each of its algorithms; BENCH_LOSSY_SIZE bytes (16M).
for loss in ${BENCH_LOSSES-1 5}; do
	for dev in "$ns_a xb0" "$ns_b xb1"; do
		read -r ns ifc <<<"$dev"
		tc -n "$ns" qdisc replace dev "$ifc" root netem delay 5ms loss "$loss%" limit 10000
	done
	measure "loss$loss" bulk tcp xtcp xtcp-reno
done
for dev in "$ns_a xb0" "$ns_b xb1"; do
	read -r ns ifc <<<"$dev"
	tc -n "$ns" qdisc del dev "$ifc" root 2>/dev/null || true
done

for ns in "" "$ns_a" "$ns_b"; do
	echo "# /proc/net/xtcp_stat${ns:+ in $ns}:" \
		"$(if [ -n "$ns" ]; then ip netns exec "$ns" cat /proc/net/xtcp_stat; else cat /proc/net/xtcp_stat; fi |
			awk '$2 != 0 { printf " %s=%s", $1, $2 }')"
done

# Connections still closing hold the module; give them a moment so that
# the runner's rmmod finds it free.
cleanup
for _ in $(seq 50); do
	[ "$(cat /sys/module/xtcp/refcnt)" = 0 ] && break
	sleep 0.1
done
