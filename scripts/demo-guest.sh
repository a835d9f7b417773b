#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `make demo`: runs inside QEMU with xtcp.ko loaded.
# Each scene is a function; later features add scenes to the list at the end.
set -euo pipefail

scene() {
	printf '\n\033[1m== %s\033[0m\n' "$*"
}

family=$(cat /sys/module/xtcp/parameters/family)
xtcpstat=$XTCP_TOP/build/tools/xtcpstat
proto=$(cat /sys/module/xtcp/parameters/proto)

scene_module() {
	scene "The module is loaded (lsmod, modinfo)"
	lsmod | grep -E '^(Module|xtcp) '
	modinfo "$XTCP_MODULE" | grep -E '^(filename|description|license|vermagic|parm):'
	scene "The numbers it took"
	echo "socket family AF_XTCP = $family   (/sys/module/xtcp/parameters/family)"
	echo "IP protocol IPPROTO_XTCP = $proto   (/sys/module/xtcp/parameters/proto)"
	grep -E '^(protocol|XTCP) ' /proc/net/protocols | cut -c1-40
	dmesg | grep 'xtcp:' | tail -n 2
}

scene_socket() {
	scene "A socket: socket(AF_XTCP, SOCK_STREAM, 0), listed in /proc/net/xtcp"
	python3 - "$family" <<'PY'
import os, socket, sys
family = int(sys.argv[1])
s = socket.socket(family, socket.SOCK_STREAM, 0)
ino = os.fstat(s.fileno()).st_ino
print(f"fd {s.fileno()}, inode {ino}, SO_DOMAIN {s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN)}")
print("$ cat /proc/net/xtcp")
print(open("/proc/net/xtcp").read(), end="")
try:
    socket.socket(family, socket.SOCK_DGRAM, 0)
except OSError as e:
    print(f"socket(AF_XTCP, SOCK_DGRAM, 0) -> {e.strerror} (errno {e.errno})")
s.close()
print("after close():")
print(open("/proc/net/xtcp").read(), end="")
PY
}

scene_exchange() {
	local pipe=$XTCP_TOP/build/selftests/xtcp_pipe
	scene "A server and a client exchange data over xtcp (127.0.0.1:7000)"
	(echo "hello from the server"; sleep 4) | "$pipe" listen 7000 >/tmp/srv.out &
	sleep 0.5
	echo "-- the server listens:"
	cat /proc/net/xtcp
	(echo "hello from the client"; sleep 3) | "$pipe" connect 127.0.0.1 7000 >/tmp/cli.out &
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(grep -c ESTABLISHED /proc/net/xtcp)" = 2 ] && break
		sleep 0.2
	done
	echo "-- connected, both ends ESTABLISHED (the listener closed after accept):"
	cat /proc/net/xtcp
	wait
	echo "-- the client received: $(cat /tmp/cli.out)"
	echo "-- the server received: $(cat /tmp/srv.out)"
	echo "-- after both closed:"
	cat /proc/net/xtcp
}

scene_close() {
	scene "One connection's life, state by state on both ends (every segment held 400 ms)"
	# the delays come from the fault-injection test module
	[ -e /proc/net/xtcp_fault ] ||
		insmod "$(dirname "$XTCP_MODULE")/xtcp_fault.ko"
	python3 "$XTCP_TOP/scripts/demo-close.py"
}

scene_capture() {
	local pipe=$XTCP_TOP/build/selftests/xtcp_pipe pcap=/tmp/xtcp-demo.pcap dump srv
	scene "The same on the wire: tcpdump captures, tshark decodes xtcp as TCP (-d ip.proto==$proto,tcp)"
	tcpdump -i lo -U --immediate-mode -n -w "$pcap" "ip proto $proto or udp port 9" \
		2>/tmp/dump.log &
	dump=$!
	for _ in $(seq 100); do
		grep -q "listening on" /tmp/dump.log && break
		sleep 0.1
	done
	(echo "hello from the server" | "$pipe" listen 7200 >/dev/null) &
	srv=$!
	sleep 0.3
	echo "hello from the client" | "$pipe" connect 127.0.0.1 7200 >/dev/null
	wait "$srv" || true
	# a datagram after the connection: once tcpdump has it, it has all
	echo end >/dev/udp/127.0.0.1/9
	for _ in $(seq 100); do
		tcpdump -n -r "$pcap" udp port 9 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	kill -INT "$dump"
	wait "$dump" 2>/dev/null || true
	echo "-- tcpdump -r xtcp-demo.pcap (it knows no protocol $proto):"
	tcpdump -n -r "$pcap" "ip proto $proto" 2>/dev/null | head -n 2
	echo "-- tshark -r xtcp-demo.pcap -d ip.proto==$proto,tcp:"
	tshark -n -r "$pcap" -d "ip.proto==$proto,tcp" -Y tcp 2>/dev/null
	# vm.sh --out brings it to the host (build/demo/xtcp-demo.pcap)
	[ -z "${XTCP_VM_OUT:-}" ] || cp "$pcap" "$XTCP_VM_OUT/"
}

scene_counters() {
	scene "Counters that moved: xtcpstat -c -z  (all of them: /proc/net/xtcp_stat)"
	"$xtcpstat" -c -z
}

scene_trace() {
	local t=/sys/kernel/tracing/instances/xtcp_demo
	scene "Tracepoints: xtcp:xtcp_set_state while one connection opens and closes"
	mkdir -p "$t"
	echo 1 >"$t/events/xtcp/xtcp_set_state/enable"
	(echo bye | "$XTCP_TOP/build/selftests/xtcp_pipe" listen 7100 >/dev/null) &
	sleep 0.3
	echo hi | "$XTCP_TOP/build/selftests/xtcp_pipe" connect 127.0.0.1 7100 >/dev/null
	wait
	sleep 0.3
	echo 0 >"$t/events/xtcp/xtcp_set_state/enable"
	grep -o 'xtcp_set_state: .*' "$t/trace" | sed 's/netns=[0-9]* //'
	rmdir "$t"
}

scene_matrix() {
	scene "Every edge this guest's connections took: xtcpstat -m  (/proc/net/xtcp_trans)"
	"$xtcpstat" -m
	# The host renders what is between the markers (scripts/demo.sh).
	echo "@@DOT-BEGIN@@"
	"$xtcpstat" --diagram
	echo "@@DOT-END@@"
}

scene_module
scene_socket
scene_exchange
scene_close
scene_trace
scene_capture
scene_counters
scene_matrix
