# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# KTAP results for the shell tests under tests/ (sourced):
#   result RC NAME [WHY]   one line, "ok" when RC is 0; WHY as a comment
#                          before a "not ok"
#   summary                "N passed, N failed"; false on any failure
n=0
failed=0

result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		failed=$((failed + 1))
		[ -z "${3:-}" ] || echo "# $3"
		echo "not ok $n $2"
	fi
}

summary() {
	echo "$((n - failed)) passed, $failed failed"
	[ "$failed" -eq 0 ]
}
