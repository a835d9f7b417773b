#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make kunit: the KUnit suites of module/tests/ (the stateful code under
# unit test: input.c's state machine, minisocks.c's requests and TIME_WAIT,
# allocation failures injected at every site a segment reaches).
#
# 1. A copy of the tree (build/kunit/src) is built for the debug kernel
#    with XTCP_KUNIT=1: module/Kbuild then builds the suites of tests/ as
#    xtcp_kunit.ko, and xtcp.ko hands the segments it sends to the running
#    test (kunit.h, kunit.c).
# 2. The debug kernel (CONFIG_KUNIT, off unless kunit.enable=1 is on its
#    command line, as here; KASAN, lockdep, kmemleak) boots in
#    QEMU; the guest lets fail-nth reach sleeping allocations too, loads
#    that xtcp.ko, then xtcp_kunit.ko (KUnit runs its suites as it
#    loads), prints their KTAP from the kernel log (debugfs keeps only
#    the first 2 KiB of a suite's) and unloads them.  vm.sh fails the run on
#    any oops, WARN, KASAN, lockdep or kmemleak report.
#
# Prints one line per test, "ok N suite: case" or "not ok N suite: case",
# and last "N passed, N failed".  Exits non-zero if a test failed, none
# ran, or the run itself failed.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$top/build/kunit
die() { printf 'kunit: %s\n' "$*" >&2; exit 1; }
log() { printf 'kunit: %s\n' "$*" >&2; }

rm -rf "$out"
mkdir -p "$out/src/module/tests"

krel=$("$top/scripts/debug-kernel.sh")
kdir=${XTCP_CACHE:-$top/.cache}/kernels/$krel/usr/src/linux-headers-$krel
grep -qx 'CONFIG_KUNIT=y' "$kdir/.config" ||
	die "the debug kernel $krel has no CONFIG_KUNIT: rebuild it (scripts/debug-kernel.sh)"
cp -r "$top/Kbuild" "$top/include" "$out/src/"
(cd "$top/module" && cp -- *.c *.h Kbuild "$out/src/module/" &&
	cp -- tests/*.c tests/*.h "$out/src/module/tests/")
log "building xtcp.ko with its KUnit suites for $krel"
make -s -C "$kdir" M="$out/src" XTCP_KUNIT=1 W=1 modules >"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; die "module build failed"; }
if grep -q 'warning:' "$out/build.log"; then
	grep 'warning:' "$out/build.log" >&2
	die "the build has warnings"
fi
ko=$out/src/module/xtcp.ko

# fail-nth counts every allocation failslab sees, sleeping ones too (by
# default it passes over those); no stack dump per failure.  Page
# allocations are left out (min-order): whether a slab needs a new page
# depends on what ran before, and would move the count from run to run.
guest_cmd="mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
f=/sys/kernel/debug/failslab
echo N >\$f/ignore-gfp-wait && echo 0 >\$f/verbose &&
	echo 11 >/sys/kernel/debug/fail_page_alloc/min-order || exit 1
insmod $ko || exit 1
insmod $out/src/module/xtcp_kunit.ko || exit 1
dmesg | sed 's/^\[[^]]*\] //'
rmmod xtcp_kunit && rmmod xtcp"
log "running the suites on the debug kernel"
set +e
"$top/scripts/vm.sh" --kernel debug --no-module --append kunit.enable=1 \
	--timeout 1200 -- \
	sh -c "$guest_cmd" >"$out/guest.log" 2>&1
rc=$?
set -e

# KTAP from each suite: "# Subtest: NAME", then its cases indented, then
# "# NAME: pass:P fail:F skip:S total:T", which must agree with them.
awk '
/^[ \t]*# Subtest: / { suite = $NF; next }
/^[ \t]*# [a-z0-9_]+: pass:[0-9]+ fail:[0-9]+ skip:[0-9]+ total:[0-9]+/ {
	t = $NF; sub(/total:/, "", t); total += t; next
}
/^[ \t]+(not )?ok [0-9]+ / {
	line = $0
	sub(/^[ \t]+/, "", line)
	if (line ~ /^not ok /) { st = "not ok"; sub(/^not ok [0-9]+ /, "", line) }
	else { st = "ok"; sub(/^ok [0-9]+ /, "", line) }
	n++
	printf "%s %d %s: %s\n", st, n, suite, line
}
END { printf "%d cases reported\n", total >"/dev/stderr" }' "$out/guest.log" \
	>"$out/results" 2>"$out/reported"
grep -E '^(not )?ok ' "$out/results"
passed=$(grep -c '^ok ' "$out/results" || true)
failed=$(grep -c '^not ok ' "$out/results" || true)
reported=$(cut -d' ' -f1 "$out/reported")
if [ "$reported" != $((passed + failed)) ]; then
	log "the suites reported $reported cases, $((passed + failed)) were read"
	failed=$((failed + 1))
fi
if [ "$rc" != 0 ]; then
	log "the VM run failed (status $rc); its last lines:"
	tail -n 40 "$out/guest.log" >&2
	failed=$((failed + 1))
fi
if [ "$passed" = 0 ]; then
	log "no test ran (see $out/guest.log)"
	failed=$((failed + 1))
fi
if [ "$failed" != 0 ]; then
	grep -A8 'EXPECTATION FAILED\|ASSERTION FAILED' "$out/guest.log" | head -n 120 >&2 || true
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
