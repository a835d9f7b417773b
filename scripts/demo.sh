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
make -s -C "$top" selftests >/dev/null	# the demo's client/server tool
ko=$top/module/xtcp.ko
echo "Booting Debian's $kver kernel in QEMU (software emulation, ~10 s)..."
exec "$top/scripts/vm.sh" --kernel "$kver" --module "$ko" -- \
	env XTCP_MODULE="$ko" XTCP_TOP="$top" bash "$top/scripts/demo-guest.sh"
