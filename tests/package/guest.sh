#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside a guest booted on the module DKMS built (tests/package/check.sh):
# the tools of the xtcp-tools package, unpacked under ROOT, against it.
#
#   tests/package/guest.sh ROOT KO
#
# - the module loaded is KO, the one DKMS installed under ROOT (the same
#   build ID);
# - ROOT/usr/bin/xtcp-run runs python3 with its TCP sockets made xtcp
#   ones (the library found beside it in ROOT/usr/lib/xtcp): a byte
#   exchange over 127.0.0.1 whose connection /proc/net/xtcp lists, and
#   /proc/net/tcp does not;
# - ROOT/usr/bin/xtcpstat lists sockets (the header line, exit 0).
# KTAP lines, "N passed, N failed"; exit 1 on any failure.
set -u

root=${1:?usage: $0 ROOT KO}
ko=${2:?usage: $0 ROOT KO}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../ktap.sh
. "$here/../ktap.sh"

# The build ID note of the module loaded against the file's.
want=$(objcopy -O binary --only-section=.note.gnu.build-id "$ko" /dev/stdout \
	2>/dev/null | od -An -tx1 | tr -d ' \n')
got=$(od -An -tx1 /sys/module/xtcp/notes/.note.gnu.build-id 2>/dev/null |
	tr -d ' \n')
echo "# build ID note: loaded ${got:-none}, DKMS-built ${want:-none}"
[ -n "$want" ] && [ "$got" = "$want" ]
result $? "the xtcp.ko loaded is the one DKMS built"

out=$("$root/usr/bin/xtcp-run" python3 "$here/echo.py" 2>&1)
rc=$?
sed 's/^/# /' <<<"$out"
result $rc "xtcp-run (the package's) carries python3's connection on xtcp"

out=$("$root/usr/bin/xtcpstat" 2>&1)
rc=$?
sed 's/^/# /' <<<"$out"
[ $rc -eq 0 ] && grep -q 'State' <<<"$out"
result $? "xtcpstat (the package's) lists sockets"

summary
