#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xtcp-run: unchanged programs on xtcp.  python3's http.server serves a
# 4 MiB file that curl fetches, both started through build/tools/xtcp-run,
# in a network namespace of their own; the file must arrive whole (same
# SHA-256) and the protocols' own counters must say which one carried it:
# xtcp's ActiveOpens/PassiveOpens move and TCP's do not, or the other way
# round where the modes say so.  The same transfer over TCP first, as the
# reference.  Then the same over ::1 (IPv6 sockets made xtcp ones speak
# the IPv6 API), and an IPv4 client of a dual-stack server (bound to ::,
# IPV6_V6ONLY off, as http.server sets it), which xtcp's IPv6 listener
# takes v4-mapped.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=xtcp_lib.sh
. "$top/selftests/xtcp_lib.sh"
run=$top/build/tools/xtcp-run
KSFT_SKIP=4
ns=xtcp-run-$$
tmp=$(mktemp -d)
n=0
fails=0
srv=

cleanup() {
	[ -z "$srv" ] || kill "$srv" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! command -v curl >/dev/null || ! command -v python3 >/dev/null ||
   ! ip netns add "$ns" 2>/dev/null; then
	echo "1..0 # SKIP needs curl, python3 and ip netns"
	exit $KSFT_SKIP
fi
ip -n "$ns" link set lo up
mkdir "$tmp/www"
head -c 4M /dev/urandom >"$tmp/www/blob"
want=$(sha256sum <"$tmp/www/blob")

# fetch NAME PORT "SERVER-RUN" "CLIENT-RUN" XTCP-OPENS TCP-OPENS [BIND [HOST]]
# Serve and fetch once, each side started through its own prefix (empty:
# as is); then the payload and each protocol's "active passive" opens.
# The server binds BIND (127.0.0.1), the client fetches from HOST (BIND;
# an IPv6 address in brackets).
fetch() {
	local name=$1 port=$2 srun=$3 crun=$4 want_x=$5 want_t=$6
	local bind=${7:-127.0.0.1} host=${8:-${7:-127.0.0.1}}
	local x0 t0 x1 t1 got rc ok=ok
	[[ $host != *:* ]] || host="[$host]"
	x0=$(opens xtcp)
	t0=$(opens tcp)
	# shellcheck disable=SC2086
	serve $srun python3 -m http.server "$port" --bind "$bind" \
		--directory "$tmp/www" >"$tmp/srv.log" 2>&1 &
	srv=$!
	wait_listening "$port" "$srv"	# curl's result tells if it did not
	rm -f "$tmp/got"
	# shellcheck disable=SC2086
	in_ns $crun curl -sS -g --max-time 120 -o "$tmp/got" \
		"http://$host:$port/blob" 2>"$tmp/cli.log"
	rc=$?
	kill "$srv"
	wait "$srv" 2>/dev/null
	srv=
	got=$(sha256sum <"$tmp/got" 2>/dev/null)
	x1=$(opens xtcp)
	t1=$(opens tcp)
	[ "$rc" = 0 ] && [ "$got" = "$want" ] || ok=fail
	# shellcheck disable=SC2086
	set -- $x0 $x1 $t0 $t1
	local dx="$(($3 - $1)) $(($4 - $2))" dt="$(($7 - $5)) $(($8 - $6))"
	[ "$dx" = "$want_x" ] && [ "$dt" = "$want_t" ] || ok=fail
	echo "# $name: curl exit $rc, $(stat -c %s "$tmp/got" 2>/dev/null || echo 0) bytes," \
		"xtcp opens (active passive) $dx, TCP $dt"
	[ $ok = ok ] || sed 's/^/# server: /' "$tmp/srv.log" | tail -5
	[ $ok = ok ] || sed 's/^/# client: /' "$tmp/cli.log" | tail -5
	result $ok "$name"
}

echo "1..11"
fetch tcp_reference 8001 "" "" "0 0" "1 1"
fetch both_through_xtcp_run 8002 "$run" "$run" "1 1" "0 0"
fetch server_listen_client_connect 8003 "$run --listen" "$run --connect" "1 1" "0 0"
fetch tcp_reference_ipv6 8011 "" "" "0 0" "1 1" ::1
fetch both_through_xtcp_run_ipv6 8012 "$run" "$run" "1 1" "0 0" ::1
fetch server_listen_client_connect_ipv6 8013 "$run --listen" "$run --connect" \
	"1 1" "0 0" ::1
fetch tcp_reference_dual_stack 8014 "" "" "0 0" "1 1" :: 127.0.0.1
fetch dual_stack_server_ipv4_client 8015 "$run" "$run" "1 1" "0 0" :: 127.0.0.1
# a client in --listen mode keeps its TCP socket: nobody listens on TCP
x0=$(opens xtcp)
in_ns "$run" --listen curl -sS --max-time 30 -o /dev/null http://127.0.0.1:8004/ 2>/dev/null
rc=$?
x1=$(opens xtcp)
echo "# listen mode, connecting: curl exit $rc (7: could not connect)"
if [ "$rc" = 7 ] && [ "$x0" = "$x1" ]; then
	result ok listen_mode_leaves_clients_tcp
else
	result fail listen_mode_leaves_clients_tcp
fi
# SO_REUSEPORT at SOL_SOCKET: two listeners share a port (6.1 refuses the
# option to AF_XTCP there; the library passes it on as XTCP_REUSEPORT)
dom=$(in_ns "$run" python3 -c '
import socket
ls = []
for _ in range(2):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", 8005))
    s.listen()
    ls.append(s)
print(ls[1].getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN))' 2>&1)
rc=$?
fam=$(cat /sys/module/xtcp/parameters/family)
echo "# two SO_REUSEPORT listeners: exit $rc, SO_DOMAIN $dom (AF_XTCP $fam)"
if [ "$rc" = 0 ] && [ "$dom" = "$fam" ]; then
	result ok reuseport_through_sol_socket
else
	result fail reuseport_through_sol_socket
fi
# without the module's parameters: a clear message, and nothing run
out=$(XTCP_RUN_SYSFS=/nonexistent "$run" true 2>&1)
rc=$?
echo "# without the module: exit $rc, \"$out\""
if [ "$rc" = 1 ] && [[ $out == *"not loaded"* ]]; then
	result ok no_module_clear_message
else
	result fail no_module_clear_message
fi
[ $fails = 0 ]
