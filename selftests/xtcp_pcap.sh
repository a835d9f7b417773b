#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What a packet capture shows of xtcp, beside TCP.  One connection of each
# (xtcp_pipe: a line each way, then both close) is captured on loopback
# by tcpdump in a network namespace of its own, and read back by tshark:
#
#   - tshark alone shows xtcp as IPv4 with protocol 253 and no transport
#     layer; told `-d ip.proto==253,tcp` (decode-as), it dissects xtcp
#     with its TCP dissector, since the header is TCP's;
#   - decoded so, the xtcp capture is a TCP conversation like TCP's own:
#     SYN, SYN+ACK, ACK first, the same SYN options (MSS, SACK permitted,
#     timestamps, window scale) with the same MSS, both lines of data
#     where they belong, a FIN each way, nothing malformed; xtcp's version
#     (1), in the bits TCP reserves, shows as the flag tshark calls AE;
#   - tcpdump's own text for xtcp says "ip-proto-253".
#
# Needs tcpdump and tshark (scripts/deps.sh installs them).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=xtcp_lib.sh
. "$top/selftests/xtcp_lib.sh"
pipe=$top/build/selftests/xtcp_pipe
KSFT_SKIP=4
ns=xtcp-pcap-$$
tmp=$(mktemp -d)
n=0	# KTAP numbering: result() in xtcp_lib.sh
fails=0
dump=

cleanup() {
	[ -z "$dump" ] || kill "$dump" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! command -v tcpdump >/dev/null || ! command -v tshark >/dev/null ||
   ! ip netns add "$ns" 2>/dev/null; then
	echo "1..0 # SKIP needs tcpdump, tshark and ip netns"
	exit $KSFT_SKIP
fi
ip -n "$ns" link set lo up
echo "1..9"

# decode PROTO: one line per segment of $tmp/PROTO.pcap, xtcp taken as
# TCP, tab-separated: flags, source port, the SYN options' MSS, SACK
# permitted, TSval and window scale, payload (hex), malformed.
decode() {
	tshark -n -r "$tmp/$1.pcap" -d ip.proto==253,tcp -Y tcp -T fields \
		-E separator=/t -e tcp.flags -e tcp.srcport -e tcp.options.mss_val \
		-e tcp.options.sack_perm -e tcp.options.timestamp.tsval \
		-e tcp.options.wscale.shift -e tcp.payload -e _ws.malformed \
		2>/dev/null >"$tmp/$1.fields"
}

# capture PROTO PORT: one connection over PROTO (tcp, xtcp) captured into
# $tmp/PROTO.pcap; 0 if both ends exchanged their lines.
capture() {
	local proto=$1 port=$2 flag='' filter="ip proto 253" end
	if [ "$proto" = tcp ]; then
		flag=-t
		filter="tcp port $port"
	fi
	# serve: $! is tcpdump itself, which the SIGINT below must reach
	serve tcpdump -i lo -U --immediate-mode -n -w "$tmp/$proto.pcap" \
		"$filter or udp port 9" 2>"$tmp/$proto.dump.log" &
	dump=$!
	end=$((SECONDS + 60))
	until grep -q "listening on" "$tmp/$proto.dump.log"; do
		[ "$SECONDS" -lt "$end" ] && kill -0 "$dump" 2>/dev/null || return 1
		sleep 0.05
	done
	echo "server line" | in_ns "$pipe" ${flag:+"$flag"} listen "$port" >"$tmp/$proto.srv" &
	local srv=$!
	wait_listening "$port" "$srv" || return 1
	echo "client line" | in_ns "$pipe" ${flag:+"$flag"} connect 127.0.0.1 "$port" \
		>"$tmp/$proto.cli" || return 1
	wait "$srv" || return 1
	# Both ends are done: every segment is on the wire.  A datagram after
	# them marks the end; once tcpdump has written it, it has written
	# them all (a capture keeps the order of the wire).
	in_ns bash -c 'echo end >/dev/udp/127.0.0.1/9' 2>/dev/null
	end=$((SECONDS + 60))
	until tcpdump -n -r "$tmp/$proto.pcap" udp port 9 2>/dev/null | grep -q .; do
		[ "$SECONDS" -lt "$end" ] || break
		sleep 0.1
	done
	kill -INT "$dump"
	wait "$dump"
	dump=
	decode "$proto"
	[ "$(cat "$tmp/$proto.cli")" = "server line" ] &&
		[ "$(cat "$tmp/$proto.srv")" = "client line" ]
}

capture tcp 7201 && ok=ok || ok=fail
result "$ok" "tcp_connection_captured"
capture xtcp 7202 && ok=ok || ok=fail
result "$ok" "xtcp_connection_captured"

# Without decode-as: IPv4, protocol 253, no TCP layer.
plain=$(tshark -n -r "$tmp/xtcp.pcap" -Y "not udp" -T fields -e ip.proto -e tcp.flags 2>/dev/null |
	tr -s '\t ' '  ' | sed 's/ *$//' | sort -u)
[ "$plain" = "253" ] && ok=ok || ok=fail
[ "$ok" = ok ] || echo "# tshark without decode-as: $plain"
result "$ok" "tshark_alone_shows_ip_proto_253"

# tcpdump's own words
tcpdump -n -r "$tmp/xtcp.pcap" not udp 2>/dev/null | head -n 1 >"$tmp/xtcp.txt"
grep -q "ip-proto-253" "$tmp/xtcp.txt" && ok=ok || ok=fail
sed 's/^/# tcpdump: /' "$tmp/xtcp.txt"
result "$ok" "tcpdump_says_ip_proto_253"

# field PROTO N: column N of the decoded segments.
field() {
	cut -f "$2" "$tmp/$1.fields"
}

# flags PROTO: each segment's TCP flags (the low eight bits), in hex.
flags() {
	field "$1" 1 | while read -r f; do
		printf '0x%04x\n' $((f & 0xff))
	done
}

# The handshake, decoded, as TCP's.
for proto in tcp xtcp; do
	flags "$proto" | head -n 3 | tr '\n' ' ' >"$tmp/$proto.hs"
done
want="0x0002 0x0012 0x0010 "	# SYN, SYN+ACK, ACK
[ "$(cat "$tmp/xtcp.hs")" = "$want" ] && [ "$(cat "$tmp/tcp.hs")" = "$want" ] &&
	ok=ok || ok=fail
[ "$ok" = ok ] || echo "# handshakes: tcp [$(cat "$tmp/tcp.hs")] xtcp [$(cat "$tmp/xtcp.hs")]"
result "$ok" "decoded_handshake_as_tcp"

# xtcp's version (1) sits in the four bits TCP reserves: tshark shows it
# as the lowest of them (0x100, which it calls AE, Accurate ECN), on
# every segment; TCP's are clear.
x=$(field xtcp 1 | while read -r f; do echo $(((f >> 8) & 0xf)); done | sort -u)
t=$(field tcp 1 | while read -r f; do echo $(((f >> 8) & 0xf)); done | sort -u)
[ "$x" = 1 ] && [ "$t" = 0 ] && ok=ok || ok=fail
[ "$ok" = ok ] || echo "# reserved bits: xtcp [$x] tcp [$t]"
result "$ok" "decoded_version_in_reserved_bits"

# The SYN's options: the same kinds, the same MSS.
for proto in tcp xtcp; do
	head -n 1 "$tmp/$proto.fields" | awk -F '\t' \
		'{ printf "mss=%s sack=%d ts=%d ws=%d\n", $3, $4 != "", $5 != "", $6 != "" }' \
		>"$tmp/$proto.syn"
done
echo "# SYN options: tcp $(cat "$tmp/tcp.syn"), xtcp $(cat "$tmp/xtcp.syn")"
[ -s "$tmp/xtcp.syn" ] && cmp -s "$tmp/tcp.syn" "$tmp/xtcp.syn" && ok=ok || ok=fail
result "$ok" "decoded_syn_options_as_tcp"

# The data where it belongs, a FIN from each end.
hex() {
	printf '%s\n' "$1" | od -An -tx1 | tr -d ' \n'
}
ok=ok
for proto in tcp xtcp; do
	payload=$(field "$proto" 7 | tr -d '\n:')
	fins=$(while IFS=$'\t' read -r f port _; do
		[ $((f & 1)) = 0 ] || echo "$port"
	done <"$tmp/$proto.fields" | sort -u | wc -l)
	case $payload in
	*"$(hex "client line")"*"$(hex "server line")"* | \
	*"$(hex "server line")"*"$(hex "client line")"*) ;;
	*) ok=fail ;;
	esac
	[ "$fins" = 2 ] || ok=fail
	[ "$ok" = ok ] || echo "# $proto: FINs from $fins ports, payload $payload"
done
result "$ok" "decoded_data_and_fins"

# Nothing the TCP dissector finds malformed.
bad=$(field xtcp 8 | grep -c .)
[ "$bad" = 0 ] && ok=ok || ok=fail
[ "$ok" = ok ] || echo "# $bad malformed segments"
result "$ok" "decoded_nothing_malformed"

[ $fails = 0 ]
