#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Scan a kernel log (dmesg output or a serial console log) for signs of
# kernel trouble: oopses, BUG/WARNING splats, lockdep, sanitizer and
# slub_debug reports, hung tasks, soft lockups, RCU stalls, panics...
#
#   scripts/logscan.sh [-B LINES] [-A LINES] [--label NAME] [FILE...]
#
# Reads standard input without FILE.  Prints every suspicious line (marked
# with '>') with LINES of context before (-B, default 2) and after (-A,
# default 25), at most 300 lines in all, to stdout.
# Exit status: 0 clean, 1 something found, 2 usage error or unreadable file.
#
# Everything that matches is reported, including lines that user space wrote
# to /dev/kmsg: they cannot be told apart from the kernel's.  Only the
# harmless taint notices for unsigned out-of-tree modules and user-space
# traps ("traps: prog[pid] general protection fault ip:...") are ignored.
set -euo pipefail

before=2
after=25
max_lines=300
label=

usage() {
	sed -n '/^# Scan/,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-B) [ $# -ge 2 ] || usage; before=$2; shift 2 ;;
	-A) [ $# -ge 2 ] || usage; after=$2; shift 2 ;;
	--label) [ $# -ge 2 ] || usage; label=$2; shift 2 ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]] || usage
for f in "$@"; do
	[ -r "$f" ] || {
		printf 'logscan: cannot read %s\n' "$f" >&2
		exit 2
	}
done
[ -n "$label" ] || label=${1:-stdin}

# Extended regular expressions, matched anywhere in a line.
patterns=(
	'Oops'
	'BUG:'
	'kernel BUG'
	'BUG [^ ]+ \((Not tainted|Tainted)'       # slub_debug object reports
	'WARNING:'
	'general protection fault'
	'invalid opcode:'
	'Unable to handle kernel'
	'Call Trace'
	'scheduling while atomic'
	'sleeping function called from invalid context'
	'possible circular locking'
	'possible recursive locking'
	'lockdep'
	'inconsistent lock state'
	'KASAN'
	'UBSAN'
	'KFENCE'
	'kmemleak'
	'ODEBUG'                                 # debugobjects
	'unreferenced object'
	'refcount_t:'
	'list_add corruption'
	'list_del corruption'
	'memory corruption'                      # page_poison
	'Objects remaining'
	'blocked for more than'
	'Kernel panic'
	'stack-protector'
	'stack guard page'
	'soft lockup'
	'hard LOCKUP'
	'self-detected stall'
	'detected stalls? on CPU'
	'rcu: INFO'
	'rcu_sched detected'
	'rcu_preempt detected'
)
ignore=(
	'loading out-of-tree module taints kernel'
	'module verification failed: signature and/or required key missing - tainting kernel'
	'traps: .*\[[0-9]+\] general protection fault ip:'
	# the debug kernel's boot banners
	'kmemleak: Kernel memory leak detector initialized'
	'kmemleak: Automatic memory scanning thread'
	'RCU lockdep checking is enabled'
)
join() {
	local IFS='|'
	printf '%s' "$*"
}

cat -- "$@" | LOGSCAN_PAT=$(join "${patterns[@]}") LOGSCAN_IGN=$(join "${ignore[@]}") awk \
	-v B="$before" -v A="$after" -v max="$max_lines" -v label="$label" '
BEGIN {
	pat = ENVIRON["LOGSCAN_PAT"]
	ign = ENVIRON["LOGSCAN_IGN"]
}
{
	sub(/\r+$/, "")
	line[NR] = $0
	if ($0 ~ pat && $0 !~ ign)
		hit[NR] = 1
}
END {
	n = 0
	for (i = 1; i <= NR; i++)
		if (i in hit)
			n++
	if (n == 0)
		exit 0
	printf "logscan: %s: %d suspicious kernel message%s:\n", label, n, n == 1 ? "" : "s"
	printed = 0
	last = 0
	for (i = 1; i <= NR; i++) {
		if (!(i in hit))
			continue
		from = i - B > last ? i - B : last + 1
		if (from < 1)
			from = 1
		if (last && from > last + 1)
			print "  --"
		to = i + A
		for (j = from; j <= to && j <= NR; j++) {
			if (j in hit && j + A > to)
				to = j + A
			if (printed++ >= max) {
				print "  ... (more in the full log)"
				exit 1
			}
			printf "%s %s\n", (j in hit) ? ">" : " ", line[j]
		}
		to = j - 1
		last = to
		i = to
	}
	exit 1
}'
