#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the libFuzzer targets built by `make fuzz-build`, one after the other.
#
#   scripts/fuzz.sh SECONDS TARGET...
#
# Each TARGET runs for SECONDS (-max_total_time) on build/fuzz/corpus-TARGET,
# a working corpus seeded from tests/fuzz/corpus/TARGET and kept between
# runs (the committed seeds are never written to).  Its output goes to
# build/fuzz/TARGET.log; a crash or failed invariant is saved as
# build/fuzz/TARGET-crash-<sha1> (or -timeout-, -oom-, -leak-).  Every
# target runs even after a failure; the exit status is non-zero if any
# failed.
#
# Reproduce one: build/fuzz/TARGET build/fuzz/TARGET-crash-<sha1>
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/fuzz

if [ $# -lt 2 ]; then
	echo "usage: $0 SECONDS TARGET..." >&2
	exit 2
fi
seconds=$1
shift

failed=0
for t in "$@"; do
	bin=$out/$t
	corpus=$out/corpus-$t
	log=$out/$t.log
	if [ ! -x "$bin" ]; then
		echo "FAILED $t: $bin not built (make fuzz-build)"
		failed=1
		continue
	fi
	mkdir -p "$corpus"
	if [ -d "$top/tests/fuzz/corpus/$t" ]; then
		cp -p "$top/tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null
	fi
	start=$(date +%s)
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/$t-" \
		"$corpus" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	size=$(find "$corpus" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		printf 'ok     %s: %s runs in %s s, corpus %s inputs\n' \
			"$t" "${runs:-?}" "$took" "$size"
	else
		failed=1
		printf 'FAILED %s (exit %s) after %s s; log %s\n' "$t" "$rc" "$took" "$log"
		grep -E 'CHECK\(|is -?[0-9]+, expected|ERROR: |runtime error|Test unit written to' \
			"$log" | head -n 20 | sed 's/^/    | /'
	fi
done
exit $failed
