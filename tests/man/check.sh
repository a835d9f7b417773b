#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The man pages against the module they describe: tests/man/check.sh
#
#   - every page under Documentation/man renders with man(1) and groff
#     reports nothing (man --warnings);
#   - xtcp(7) names every sysctl (module/sysctl.c, module/mem.c), every
#     counter of /proc/net/xtcp_stat (module/proc.c), every socket option
#     of the uapi header and every module parameter (module/*.c);
#   - xtcpstat(8) every option `xtcpstat --help` lists (build/tools/
#     xtcpstat, which make unit builds first), xtcp-run(1) every option of
#     its usage line.
#
# The names are taken from the sources, so a sysctl or counter added
# without its line in the page fails here.  Prints one KTAP line per test
# and "N passed, N failed"; exits 1 on any failure.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
man=$top/Documentation/man
# shellcheck source=../ktap.sh
. "$top/tests/ktap.sh"

echo "TAP version 13"
pages=("$man"/*.[1-8])
echo "1..$((${#pages[@]} + 6))"

for p in "${pages[@]}"; do
	warn=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
	if [ -z "$warn" ] && MANWIDTH=80 man -l "$p" 2>/dev/null | grep -q NAME; then
		result 0 "renders: $(basename "$p")"
	else
		result 1 "renders: $(basename "$p")" "${warn:-no NAME section}"
	fi
done

# render PAGE: its text, hyphenation and adjustment off so that a name is
# never cut or stretched.
render() {
	printf '.hy 0\n.na\n' | cat - "$man/$1" | LC_ALL=C MANWIDTH=200 man -l - 2>/dev/null
}

# names_in PAGE WHAT NAME...: a test that every NAME appears in PAGE as a
# word.
names_in() {
	local page=$1 what=$2 name missing='' text
	shift 2
	text=$(render "$page")
	[ $# -gt 0 ] || { result 1 "$page names every $what" "no $what found in the sources"; return; }
	for name in "$@"; do
		grep -qw -- "$name" <<<"$text" || missing="$missing $name"
	done
	if [ -z "$missing" ]; then
		result 0 "$page names every $what ($#)"
	else
		result 1 "$page names every $what ($#)" "missing:$missing"
	fi
}

mapfile -t sysctls < <(
	sed -n 's/^[[:space:]]*XTCP_SYSCTL_INT(\([a-z0-9_]*\),.*/\1/p' "$top/module/sysctl.c"
	sed -n 's/^[[:space:]]*\.procname[[:space:]]*=[[:space:]]*"\([a-z0-9_]*\)".*/\1/p' \
		"$top/module/sysctl.c" "$top/module/mem.c")
names_in xtcp.7 sysctl "${sysctls[@]}"

mapfile -t counters < <(
	sed -n 's/^[[:space:]]*\[XTCP_MIB_[A-Z0-9_]*\][[:space:]]*=[[:space:]]*"\([A-Za-z0-9]*\)".*/\1/p' \
		"$top/module/proc.c"
	sed -n 's/.*seq_printf(seq, "\([A-Za-z]*\) %.*/\1/p' "$top/module/proc.c")
names_in xtcp.7 counter "${counters[@]}"

mapfile -t options < <(
	sed -n 's/^#define[[:space:]]\{1,\}\(XTCP_[A-Z0-9_]*\)[[:space:]]\{1,\}[0-9]\{1,\}.*/\1/p' \
		"$top/include/uapi/linux/xtcp.h" | grep -v -e _DEFAULT -e '^XTCP_TS_LEN$')
names_in xtcp.7 "socket option" "${options[@]}"

mapfile -t params < <(
	sed -n 's/^module_param\(_named\)\{0,1\}(\([a-z_]*\),.*/\2/p' "$top"/module/*.c)
names_in xtcp.7 "module parameter" "${params[@]}"

# -x, --long: the long options of xtcpstat's help; -w's short form too
mapfile -t stat_opts < <("$top/build/tools/xtcpstat" --help 2>/dev/null |
	grep -o -e '--[a-z][a-z-]*' | sort -u)
names_in xtcpstat.8 "option of xtcpstat --help" "${stat_opts[@]}"

mapfile -t run_opts < <("$top/tools/xtcp-run" --help 2>&1 |
	grep -o -e '--[a-z][a-z-]*' | sort -u)
names_in xtcp-run.1 "option of xtcp-run's usage" "${run_opts[@]}"

summary
