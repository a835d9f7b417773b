#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Line and branch coverage of module/ (make coverage): what the unit tests
# and the debug kernel's selftest lane execute of each file.
#
#   scripts/coverage.sh              unit tests + the whole debug lane
#   scripts/coverage.sh PROGRAM...   unit tests + only these selftests
#                                    (e.g. xtcp_timer xtcp_close)
#
# 1. A copy of the tree (build/coverage/src) is built for the debug kernel
#    with XTCP_GCOV=1: module/Kbuild then sets GCOV_PROFILE, and the debug
#    kernel (CONFIG_GCOV_KERNEL) keeps xtcp.ko's counters in
#    /sys/kernel/debug/gcov, summed over every load and unload.
# 2. The guest runs the selftests as make check's debug lane does, then
#    copies the counters out (scripts/vm.sh --out).
# 3. The user-space unit tests run built with --coverage: the protocol
#    core (core.c, cc*.c, sack.c) counts what either side executed.
# 4. lcov (Debian's) merges both and lists each file of module/; the
#    tracefile and an HTML report stay in build/coverage/.
#
# Prints the per-file table and a last line "module/: L% of N lines,
# B% of M branches".  Exits non-zero only if something failed to run.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$top/build/coverage
die() { printf 'coverage: %s\n' "$*" >&2; exit 1; }
log() { printf 'coverage: %s\n' "$*" >&2; }

command -v lcov >/dev/null || die "lcov is missing: run scripts/deps.sh host"
gcov_tool=$(command -v "gcov-$(gcc -dumpversion | cut -d. -f1)" || command -v gcov) ||
	die "no gcov"

rm -rf "$out"
mkdir -p "$out/src" "$out/gcda" "$out/unit"

# --- 1. the instrumented module --------------------------------------------------
krel=$("$top/scripts/debug-kernel.sh")
kdir=${XTCP_CACHE:-$top/.cache}/kernels/$krel/usr/src/linux-headers-$krel
grep -qx 'CONFIG_GCOV_KERNEL=y' "$kdir/.config" ||
	die "the debug kernel $krel has no CONFIG_GCOV_KERNEL: rebuild it (scripts/debug-kernel.sh)"
cp -r "$top/Kbuild" "$top/include" "$out/src/"
mkdir -p "$out/src/module"
(cd "$top/module" && cp -- *.c *.h Kbuild "$out/src/module/")
log "building xtcp.ko with gcov counters for $krel"
make -s -C "$kdir" M="$out/src" XTCP_GCOV=1 modules >"$out/build.log" 2>&1 ||
	{ tail -n 20 "$out/build.log" >&2; die "module build failed"; }
ko=$out/src/module/xtcp.ko

# --- 2. the debug lane, counters copied out ------------------------------------
make -s -C "$top" selftests >/dev/null
run="make -s -C $top/selftests run_tests"
if [ $# -gt 0 ]; then
	run="sh -c 'cd $top/build/selftests; rc=0; for p in $*; do ./\$p || rc=1; done; exit \$rc'"
fi
guest_cmd="mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
env XTCP_MODULE=$ko XTCP_LOAD_PERCENT=5 XTCP_NETEM_MB=2 XTCP_FUZZ_SECONDS=20 \
	XTCP_APPS_PROTOS=xtcp $run
rc=\$?
find /sys/kernel/debug/gcov -name '*.gcda' | while read -r f; do
	cp \"\$f\" \"\$XTCP_VM_OUT/\$(basename \"\$f\")\"
done
exit \$rc"
log "running the selftests on the debug kernel (the whole lane: about 40 minutes)"
set +e
"$top/scripts/vm.sh" --kernel debug --module "$ko" --timeout 3600 \
	--out "$out/gcda" -- sh -c "$guest_cmd" >"$out/guest.log" 2>&1
rc=$?
set -e
grep -E '^(not )?ok [0-9]+ selftests:' "$out/guest.log" >&2 || true
[ "$rc" = 0 ] || log "the selftests did not all pass (status $rc): coverage counts what ran"
n=$(find "$out/gcda" -name '*.gcda' | wc -l)
[ "$n" -gt 0 ] || die "no counters came back from the guest (see $out/guest.log)"
cp "$out/gcda/"*.gcda "$out/src/module/"

# --- 3. the unit tests ----------------------------------------------------------
ucflags=(-std=gnu11 -O0 -g --coverage -I"$top")
unit() {	# unit NAME SOURCES...: build, run
	local name=$1
	shift
	if ! (cd "$out/unit" && gcc "${ucflags[@]}" -o "$name" "$@" -lm &&
		"./$name" >"$name.log" 2>&1); then
		die "unit test $name failed (build/coverage/unit/$name.log)"
	fi
}
u=$top/tests/unit m=$top/module
unit test_core "$u/test_core.c" "$u/unit.c" "$m/core.c"
unit test_cc "$u/test_cc.c" "$u/unit.c" "$m/cc.c" "$m/cc_newreno.c" "$m/cc_cubic.c"
unit test_cubic "$u/test_cubic.c" "$u/unit.c" "$m/cc.c" "$m/cc_newreno.c" "$m/cc_cubic.c"
unit test_sack "$u/test_sack.c" "$u/unit.c" "$m/sack.c"

# --- 4. merge and list ------------------------------------------------------------
lc=(lcov --quiet --gcov-tool "$gcov_tool" --rc lcov_branch_coverage=1)
# (Debian's lcov 1.16 geninfo warns of redefined subroutines on every run)
"${lc[@]}" --capture --directory "$out/src/module" --output-file "$out/kernel.info" 2>/dev/null
"${lc[@]}" --capture --directory "$out/unit" --output-file "$out/unit.info" 2>/dev/null
# one name per file of module/, whichever copy ran it
for f in kernel unit; do
	sed -i -E 's#^SF:.*/module/([^/]+)$#SF:'"$top"'/module/\1#' "$out/$f.info"
done
"${lc[@]}" -a "$out/kernel.info" -a "$out/unit.info" -o "$out/all.info"
"${lc[@]}" --extract "$out/all.info" "$top/module/*" -o "$out/module.info"
genhtml --quiet --branch-coverage -o "$out/html" "$out/module.info" >/dev/null 2>&1 ||
	log "genhtml failed: no HTML report"
lcov --rc lcov_branch_coverage=1 --list "$out/module.info" | sed "s#$top/##"
lcov --rc lcov_branch_coverage=1 --summary "$out/module.info" 2>&1 |
	awk '/lines\.*:/ { l = $2 " (" substr($3, 2) " of " $5 " lines)" }
	     /branches\.*:/ { b = $2 " (" substr($3, 2) " of " $5 " branches)" }
	     END { printf "module/: %s, %s\n", l, b }'
