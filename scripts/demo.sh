#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: install what is missing, build xtcp.ko for Debian's 6.1 kernel,
# boot that kernel in QEMU and show the module at work (scripts/demo-guest.sh
# runs inside the guest).  KVER=6.12 shows the same on 6.12.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${KVER:-6.1}

"$top/scripts/deps.sh"
make -s -C "$top" KVER="$kver" modules >/dev/null
make -s -C "$top" selftests >/dev/null	# the client/server tool, xtcpstat
ko=$top/module/xtcp.ko
out=$top/build/demo
mkdir -p "$out"
echo "Booting Debian's $kver kernel in QEMU (software emulation, ~10 s)..."
set +e
"$top/scripts/vm.sh" --kernel "$kver" --module "$ko" --out "$out" -- \
	env XTCP_MODULE="$ko" XTCP_TOP="$top" bash "$top/scripts/demo-guest.sh" |
	tee "$out/demo.log" | sed '/^@@DOT-BEGIN@@/,/^@@DOT-END@@/d'
rc=${PIPESTATUS[0]}
set -e

# The guest printed the state diagram of its own run as Graphviz dot.
sed -n '/^@@DOT-BEGIN@@/,/^@@DOT-END@@/p' "$out/demo.log" |
	sed '1d;$d' >"$out/xtcp-states.dot"
if [ -s "$out/xtcp-states.dot" ] &&
   dot -Tsvg -o "$out/xtcp-states.svg" "$out/xtcp-states.dot" &&
   dot -Tpng -o "$out/xtcp-states.png" "$out/xtcp-states.dot"; then
	printf '\n\033[1m== The state diagram of this run, each edge with its count\033[0m\n'
	echo "   $out/xtcp-states.svg (and .png, .dot): open it in a browser or image viewer"
	# The edges this run took, as dot drew them.
	grep -E -- '->.*label="[1-9]' "$out/xtcp-states.dot" |
		sed -E 's/^[[:space:]]*"?([A-Z_0-9]+)"?[[:space:]]*->[[:space:]]*"?([A-Z_0-9]+)"?.*label="([0-9]+).*/   \1 -> \2: \3/'
else
	echo "demo: could not render the state diagram (graphviz missing?)" >&2
	[ "$rc" != 0 ] || rc=1
fi
if [ -s "$out/xtcp-demo.pcap" ]; then
	printf '\n\033[1m== The capture of the connection above\033[0m\n'
	echo "   $out/xtcp-demo.pcap: tshark -r $out/xtcp-demo.pcap -d ip.proto==253,tcp"
	echo "   (Wireshark: Analyze > Decode As..., IPv4 protocol 253 as TCP)"
else
	echo "demo: the guest wrote no capture" >&2
	[ "$rc" != 0 ] || rc=1
fi
exit "$rc"
