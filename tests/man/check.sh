#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The man pages against the module they describe: tests/man/check.sh
#
#   - every page under Documentation/man renders with man(1) and groff
#     reports nothing (man --warnings);
#   - xtcp(7) names every sysctl (module/sysctl.c, module/mem.c), every
#     counter of /proc/net/xtcp_stat (module/proc.c), every socket option
#     of the uapi header and every module parameter (module/af_xtcp.c).
#
# The names are taken from the sources, so a sysctl or counter added
# without its line in the page fails here.  Prints one KTAP line per test
# and "N passed, N failed"; exits 1 on any failure.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
man=$top/Documentation/man
n=0
passed=0
failed=0

result() {	# result OK|FAIL NAME [WHY]
	n=$((n + 1))
	if [ "$1" = OK ]; then
		passed=$((passed + 1))
		echo "ok $n $2"
	else
		failed=$((failed + 1))
		echo "# $3"
		echo "not ok $n $2"
	fi
}

echo "TAP version 13"
pages=("$man"/*.[1-8])
echo "1..$((${#pages[@]} + 4))"

for p in "${pages[@]}"; do
	warn=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
	if [ -z "$warn" ] && MANWIDTH=80 man -l "$p" 2>/dev/null | grep -q NAME; then
		result OK "renders: $(basename "$p")"
	else
		result FAIL "renders: $(basename "$p")" "${warn:-no NAME section}"
	fi
done

# The rendered text of xtcp(7), hyphenation and adjustment off so that a
# name is never cut or stretched.
text=$(printf '.hy 0\n.na\n' | cat - "$man/xtcp.7" | MANWIDTH=200 man -l - 2>/dev/null)

# names_in WHAT NAME...: a test that every NAME appears in xtcp(7) as a
# word.
names_in() {
	local what=$1 name missing=
	shift
	[ $# -gt 0 ] || { result FAIL "xtcp.7 names every $what" "no $what found in the sources"; return; }
	for name in "$@"; do
		grep -qw -- "$name" <<<"$text" || missing="$missing $name"
	done
	if [ -z "$missing" ]; then
		result OK "xtcp.7 names every $what ($#)"
	else
		result FAIL "xtcp.7 names every $what ($#)" "missing:$missing"
	fi
}

mapfile -t sysctls < <(
	sed -n 's/^[[:space:]]*XTCP_SYSCTL_INT(\([a-z0-9_]*\),.*/\1/p' "$top/module/sysctl.c"
	sed -n 's/^[[:space:]]*\.procname[[:space:]]*=[[:space:]]*"\([a-z0-9_]*\)".*/\1/p' \
		"$top/module/sysctl.c" "$top/module/mem.c")
names_in sysctl "${sysctls[@]}"

mapfile -t counters < <(
	sed -n 's/^[[:space:]]*\[XTCP_MIB_[A-Z0-9_]*\][[:space:]]*=[[:space:]]*"\([A-Za-z0-9]*\)".*/\1/p' \
		"$top/module/proc.c"
	sed -n 's/.*seq_printf(seq, "\([A-Za-z]*\) %.*/\1/p' "$top/module/proc.c")
names_in counter "${counters[@]}"

mapfile -t options < <(
	sed -n 's/^#define[[:space:]]\{1,\}\(XTCP_[A-Z0-9_]*\)[[:space:]]\{1,\}[0-9]\{1,\}.*/\1/p' \
		"$top/include/uapi/linux/xtcp.h" | grep -v -e _DEFAULT -e '^XTCP_TS_LEN$')
names_in "socket option" "${options[@]}"

mapfile -t params < <(
	sed -n 's/^module_param_named(\([a-z_]*\),.*/\1/p' "$top/module/af_xtcp.c")
names_in "module parameter" "${params[@]}"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
