#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: xtcp beside the kernel's TCP, in one boot of the QEMU guest.
#
#   scripts/bench.sh [--kernel 6.1|6.12] [--module PATH] [--timeout S] [-v]
#
# Builds build/tools/xtcp_bench (tools/xtcp_bench.c), boots the kernel with
# scripts/vm.sh --no-debug and runs scripts/bench-guest.sh there: bulk
# throughput (one connection, BENCH_SIZE bytes, default 256M), duplex (as
# much each way at once), fanin (1000 connections, BENCH_SIZE in all, to
# one epoll server), 1-byte request/response on one connection (rr) and
# connect/request/response/close (crr), each with TCP_NODELAY and again
# with Nagle's algorithm, BENCH_TIME seconds each (default 3), over
# loopback and over a veth pair between two network namespaces; AF_UNIX
# beside them on loopback; then bulk through netem on the veth pair (5 ms
# each way, BENCH_LOSSES % loss, default "1 5"; BENCH_LOSSY_SIZE bytes,
# default 16M), TCP against xtcp with CUBIC and with NewReno.  Every
# measurement is BENCH_REPEAT runs (default 3) and shows their median.  Prints a table, TCP against xtcp with AF_UNIX
# as the ceiling and the guest's CPU seconds per GB moved, and writes it to
# build/bench/results.txt; the guest's whole output is in
# build/bench/guest.log.  --module defaults to module/xtcp.ko, which must
# have been built for the kernel (make KVER=6.12 modules); `make bench`
# builds it first.  --timeout defaults to 300 s + 900 s per repeat.
#
# Timing is never a failure.  Exit status 0 when every measurement was
# made; 1 when one could not be made (FAIL in the table: an error or a
# timeout of xtcp_bench) or the guest run failed (kernel log warnings, rmmod
# refused, ...); 125 for usage and build errors.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kernel=6.1
module=$top/module/xtcp.ko
timeout=
repeats=${BENCH_REPEAT:-3}
vmopts=()

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 125
}

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) [ $# -ge 2 ] || die "--kernel needs 6.1 or 6.12"; kernel=$2; shift 2 ;;
	--module) [ $# -ge 2 ] || die "--module needs a path"; module=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || die "--timeout needs seconds"; timeout=$2; shift 2 ;;
	-v | --verbose) vmopts+=(-v); shift ;;
	-h | --help) sed -n '4,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done

[[ $repeats =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEAT must be a count of runs, not '$repeats'"
timeout=${timeout:-$((300 + 900 * repeats))}

out=$top/build/bench
tool=$top/build/tools/xtcp_bench
src=$top/tools/xtcp_bench.c
mkdir -p "$out" "$(dirname "$tool")"

if [ ! -x "$tool" ] || [ "$src" -nt "$tool" ] ||
	[ "$top/include/uapi/linux/xtcp.h" -nt "$tool" ]; then
	"${CC:-gcc}" -std=gnu11 -O2 -g -Wall -Wextra -Werror \
		-I"$top/include/uapi" -o "$tool" "$src" || die "cannot build $tool"
fi

log=$out/guest.log
rm -f "$out/results.txt"
start=$(date +%s)
echo "bench: booting $kernel in QEMU: bulk, duplex and fanin ${BENCH_SIZE:-256M}," \
	"rr and crr ${BENCH_TIME:-3} s each, TCP and xtcp, loopback and veth, AF_UNIX" \
	"on loopback; $repeats run(s) each (roughly $((2 * repeats)) to $((3 * repeats)) minutes)"
set +e
"$top/scripts/vm.sh" --kernel "$kernel" --module "$module" --no-debug \
	--timeout "$timeout" "${vmopts[@]}" -- \
	env BENCH_TOOL="$tool" BENCH_SIZE="${BENCH_SIZE:-256M}" \
	BENCH_LOSSY_SIZE="${BENCH_LOSSY_SIZE:-16M}" BENCH_LOSSES="${BENCH_LOSSES-1 5}" \
	BENCH_TIME="${BENCH_TIME:-3}" BENCH_REPEAT="$repeats" \
	bash "$top/scripts/bench-guest.sh" |
	tee "$log" | sed -u '/^RESULT /d; /^INFO /d; /^RUN /d'
vmrc=${PIPESTATUS[0]}
set -e
elapsed=$(($(date +%s) - start))

if ! grep -q '^INFO ' "$log"; then
	echo "bench: the benchmark did not start in the guest (scripts/vm.sh exit $vmrc)" >&2
	exit $((vmrc ? vmrc : 1))
fi

# The table: one row per test and path, TCP and xtcp side by side, then
# AF_UNIX (loopback only) and the CPU cost of each where there is one.
table=$(awk -v date="$(date +%F)" -v size="${BENCH_SIZE:-256M}" \
	-v lsize="${BENCH_LOSSY_SIZE:-16M}" '
function label(m) {
	if (m == "bulk")
		return "bulk " size " (MB/s)"
	if (m == "duplex")
		return "duplex 2x" size " (MB/s)"
	if (m == "fanin")
		return "fanin " size " (MB/s)"
	if (m == "rr")
		return "rr (trans/s)"
	if (m == "rr-nagle")
		return "rr Nagle (trans/s)"
	if (m == "crr-nagle")
		return "crr Nagle (conn/s)"
	return "crr (conn/s)"
}
function missing(k, w) {
	split(k, w, " ")
	notes[++nnotes] = sprintf("%s %s %s: no result (the guest run ended early)", w[3], w[1], w[2])
	return "FAIL"
}
# The value of key k, FAIL if it should be there and is not.
function value(k) {
	return k in val ? val[k] : missing(k)
}
function ratio(x, t) {
	return (t != "FAIL" && x != "FAIL" && t + 0 > 0) ? sprintf("%.2f", x / t) : "-"
}
function cost(k) {
	return k in cpu ? cpu[k] : "-"
}
$1 == "INFO" { kernel = $3; cpus = $5; repeats = $7 }
$1 == "RESULT" && $2 ~ /^loss/ && !($2 in seen_loss) {
	seen_loss[$2] = 1
	lossy[++nlossy] = $2
}
$1 == "RESULT" {
	key = $3 " " $2 " " $4
	val[key] = $5
	if ($5 != "FAIL" && NF >= 7)
		cpu[key] = $7
	if ($5 == "FAIL") {
		reason = $6
		for (i = 7; i <= NF; i++)
			reason = reason " " $i
		notes[++nnotes] = sprintf("%s %s %s: %s", $4, $3, $2, reason)
	}
}
END {
	if (kernel == "")
		kernel = "?"
	if (repeats == "")
		repeats = "?"
	printf "xtcp benchmark, %s, kernel %s, QEMU TCG, %s cores, median of %s run(s)\n\n",
		date, kernel, cpus, repeats
	fmt = "%-20s %-8s %9s %9s %9s %9s %9s %9s %9s\n"
	printf "%70s%s\n", "", "---------- CPU s/GB ---------"
	printf fmt, "test", "path", "TCP", "xtcp", "xtcp/TCP", "AF_UNIX", "TCP", "xtcp", "AF_UNIX"
	nmodes = split("bulk duplex fanin rr rr-nagle crr crr-nagle", modes, " ")
	split("loopback veth", paths, " ")
	for (m = 1; m <= nmodes; m++) {
		for (p = 1; p <= 2; p++) {
			k = modes[m] " " paths[p]
			t = value(k " tcp")
			x = value(k " xtcp")
			u = "-"
			if (paths[p] == "loopback" && modes[m] !~ /-nagle$/)
				u = value(k " unix")
			r = (t != "FAIL" && x != "FAIL" && t + 0 > 0) ? sprintf("%.2f", x / t) : "-"
			printf fmt, label(modes[m]), paths[p], t, x, r, u,
				cost(k " tcp"), cost(k " xtcp"), cost(k " unix")
		}
	}
	printf "\nCPU s/GB: seconds the guest'"'"'s CPUs were busy (/proc/stat: user, nice,\n"
	printf "system, irq, softirq) per 10^9 bytes moved, over the measured time\n"
	if (nlossy) {
		printf "\nbulk %s through netem (veth, 5 ms each way), MB/s:\n\n", lsize
		lfmt = "%-12s %9s %12s %9s %12s %9s\n"
		printf lfmt, "loss", "TCP", "xtcp cubic", "/TCP", "xtcp reno", "/TCP"
		for (i = 1; i <= nlossy; i++) {
			k = "bulk " lossy[i]
			t = value(k " tcp")
			x = value(k " xtcp")
			n = value(k " xtcp-reno")
			printf lfmt, substr(lossy[i], 5) "%", t, x, ratio(x, t), n, ratio(n, t)
		}
	}
	for (i = 1; i <= nnotes; i++)
		printf "%s%s\n", (i == 1 ? "\n" : ""), "FAIL " notes[i]
}' "$log")

printf '\n%s\n' "$table" | tee "$out/results.txt"
echo "bench: ${elapsed} s in all; table in $out/results.txt, guest output in $log"

rc=0
if [ "$vmrc" != 0 ]; then
	echo "bench: the guest run failed (scripts/vm.sh exit $vmrc)" >&2
	rc=1
fi
if grep -q FAIL <<<"$table"; then
	echo "bench: some measurements could not be made (FAIL above)" >&2
	rc=1
fi
exit "$rc"
