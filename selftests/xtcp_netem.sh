#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Reliable delivery through a bad network: two network namespaces joined by
# veth, tc netem on both ends with 5% loss, 25% reordering, 1% duplication
# and 0.1% corruption; XTCP_NETEM_MB (default 64) MiB each way at once over
# one xtcp connection; the SHA-256 of what arrived must equal what was sent.
# Runs the same transfer over the kernel's TCP first when XTCP_NETEM_TCP=1.
# Then loss alone at 0.1%, 1%, 5% and 10% (1 ms delay, nothing else), an
# eighth of the size (at least 1 MiB) each way, each checked the same way.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
pipe=$top/build/selftests/xtcp_pipe
mb=${XTCP_NETEM_MB:-64}
# Each side's limit, which only a failure waits out: 64 MiB take about
# four minutes under TCG on a quiet machine, a busy one may take several
# times that.  30 min, or 28 s a MiB for more than 64 MiB.
limit=$((mb * 28 > 1800 ? mb * 28 : 1800))
KSFT_SKIP=4
tmp=$(mktemp -d)
a=xtcp-netem-a-$$
b=xtcp-netem-b-$$
fails=0
n=0

cleanup() {
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! command -v tc >/dev/null || ! ip netns add "$a" 2>/dev/null; then
	echo "1..0 # SKIP needs ip netns and tc"
	exit $KSFT_SKIP
fi
ip netns add "$b"
ip link add va netns "$a" type veth peer name vb netns "$b"
ip -n "$a" addr add 10.199.0.1/24 dev va
ip -n "$b" addr add 10.199.0.2/24 dev vb
for ns in "$a" "$b"; do
	ip -n "$ns" link set lo up
done
ip -n "$a" link set va up
ip -n "$b" link set vb up
netem="delay 1ms reorder 25% 50% duplicate 1% corrupt 0.1% loss 5%"
# shellcheck disable=SC2086
tc -n "$a" qdisc add dev va root netem $netem || exit 1
# shellcheck disable=SC2086
tc -n "$b" qdisc add dev vb root netem $netem || exit 1

head -c "${mb}M" /dev/urandom >"$tmp/a.in"
head -c "${mb}M" /dev/urandom >"$tmp/b.in"
losses=(0.1 1 5 10)

# transfer NAME [-t]: both directions at once, then compare digests.
transfer() {
	local name=$1 flag=${2:-} start rc_srv rc_cli
	n=$((n + 1))
	start=$(date +%s)
	rm -f "$tmp/a.out" "$tmp/b.out"
	# shellcheck disable=SC2086
	ip netns exec "$b" timeout "$limit" "$pipe" $flag listen 7000 \
		<"$tmp/b.in" >"$tmp/b.out" &
	local srv=$!
	# Connect once the listener is there (a LISTEN row for port 7000 in
	# the server's namespace), not after a guess at how long that takes.
	until ip netns exec "$b" awk '$2 ~ /:1B58$/ && $4 == "0A" { f = 1 }
			END { exit !f }' /proc/net/xtcp /proc/net/tcp; do
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.05
	done
	# shellcheck disable=SC2086
	ip netns exec "$a" timeout "$limit" "$pipe" $flag connect 10.199.0.2 7000 \
		<"$tmp/a.in" >"$tmp/a.out"
	rc_cli=$?
	wait "$srv"
	rc_srv=$?
	local ok=1
	[ "$rc_cli" = 0 ] && [ "$rc_srv" = 0 ] || ok=0
	if [ "$(sha256sum <"$tmp/a.in")" != "$(sha256sum <"$tmp/b.out")" ] ||
	   [ "$(sha256sum <"$tmp/b.in")" != "$(sha256sum <"$tmp/a.out")" ]; then
		ok=0
	fi
	echo "# $name: ${mb} MiB each way in $(($(date +%s) - start)) s," \
		"client exit $rc_cli, server exit $rc_srv," \
		"received $(stat -c %s "$tmp/a.out") / $(stat -c %s "$tmp/b.out") bytes"
	if [ $ok = 1 ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		fails=$((fails + 1))
	fi
}

nloss=${#losses[@]}
if [ "${XTCP_NETEM_TCP:-0}" = 1 ]; then
	echo "1..$((2 + nloss))"
	transfer tcp_netem_sha256_both_ways -t
else
	echo "1..$((1 + nloss))"
fi
transfer xtcp_netem_sha256_both_ways
ip netns exec "$a" cat /proc/net/xtcp_stat | sed 's/^/# client /'

# Loss alone, at each rate: the same check on smaller transfers.
mb=$((mb / 8 > 1 ? mb / 8 : 1))
head -c "${mb}M" /dev/urandom >"$tmp/a.in"
head -c "${mb}M" /dev/urandom >"$tmp/b.in"
for loss in "${losses[@]}"; do
	for dev in "$a va" "$b vb"; do
		# shellcheck disable=SC2086
		set -- $dev
		tc -n "$1" qdisc change dev "$2" root netem delay 1ms loss "$loss%" ||
			exit 1
	done
	transfer "xtcp_netem_loss_${loss}pct_sha256_both_ways"
done
[ $fails = 0 ]
