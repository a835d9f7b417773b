#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# xtcpstat on fixture files, no kernel needed: tests/tools/run.sh XTCPSTAT
#
# Each directory under fixtures/ stands in for /proc (--proc DIR): net/xtcp,
# net/xtcp_stat, net/xtcp_trans and, in basic/, processes whose fd links
# point at the CLOSE_WAIT sockets.  fixtures/basic/net/xtcp has one row of
# each kind: a listener, both ends of a connection, a half-closed pair
# (FIN_WAIT_2 and CLOSE_WAIT), a second CLOSE_WAIT with queued data and a
# running timer, SYN_SENT, a SYN_RCVD request, a TIME_WAIT entry, LAST_ACK.
# v6/ has net/xtcp6 too: IPv6-API sockets, v4-mapped and IPv6 addresses.
# illegal/ has illegal edges in its transition file, notrans/ has none,
# bad/ has rows and lines that do not parse, unloaded/ no net/xtcp.
#
# Prints one KTAP line per test and "N passed, N failed"; exits 1 on any
# failure.
#
# "check && check || fail" is meant below: any check failing fails the test.
# shellcheck disable=SC2015
set -u

tool=${1:?usage: $0 path/to/xtcpstat}
here=$(cd "$(dirname "$0")" && pwd)
fx=$here/fixtures
basic=$fx/basic
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
passed=0
failed=0
why=

# t NAME FUNCTION: run one test; FUNCTION sets $why and returns non-zero
# on failure.
t() {
	local name=$1
	shift
	n=$((n + 1))
	why=
	if "$@"; then
		passed=$((passed + 1))
		echo "ok $n $name"
	else
		failed=$((failed + 1))
		echo "# $why"
		echo "not ok $n $name"
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

# run ARGS...: the tool's stdout in $out, stderr in $err, status in $rc.
run() {
	"$tool" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

expect_rc() {
	[ "$rc" -eq "$1" ] || { why="exit $rc, expected $1 (stderr: $err)"; return 1; }
}

# The inodes of the listed rows (column 9 of the list), space-separated.
inodes() {
	awk '{ printf "%s%s", sep, $9; sep = " " }' <<<"$out"
}

# list ARGS... -- INODES: the rows listed (no header) are exactly these.
list_is() {
	local args=() want
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	want=$2
	run --proc "$basic" -H "${args[@]}"
	expect_rc 0 || return 1
	[ "$(inodes)" = "$want" ] ||
		{ why="${args[*]}: rows with inodes '$(inodes)', expected '$want'"; return 1; }
}

# ---- the list ----

# Every row of the file, in its order, with each field converted.
test_list_all() {
	local want
	run --proc "$basic" -a
	expect_rc 0 || return 1
	want=$(cat "$here/expected/basic-all.txt")
	[ "$out" = "$want" ] || { why="output differs: $(diff <(echo "$want") <(echo "$out"))"; return 1; }
}

test_list_row_for_row() {
	# state, queues, addresses, inode of each row against the raw file
	run --proc "$basic" -a -H
	expect_rc 0 || return 1
	local i=0 la q uid ino name
	while read -r _ la _ _ q _ _ uid _ ino name _; do
		local tool_row
		tool_row=$(sed -n "$((i + 1))p" <<<"$out")
		# shellcheck disable=SC2086
		set -- $tool_row
		local hexa=${la%:*} hexp=${la#*:}
		local a
		a=$(printf '%d.%d.%d.%d' "0x${hexa:6:2}" "0x${hexa:4:2}" "0x${hexa:2:2}" "0x${hexa:0:2}")
		local p=$((16#$hexp))
		[ "$p" = 0 ] && p='*'
		[ "$1" = "$name" ] || { why="row $i: state $1, file $name"; return 1; }
		[ "$2" = "$((16#${q#*:}))" ] || { why="row $i: Recv-Q $2"; return 1; }
		[ "$3" = "$((16#${q%:*}))" ] || { why="row $i: Send-Q $3"; return 1; }
		[ "$4" = "$a:$p" ] || { why="row $i: local $4, file $a:$p"; return 1; }
		[ "$9" = "$ino" ] || { why="row $i: inode $9, file $ino"; return 1; }
		[ "$8" = "$uid" ] || { why="row $i: uid $8, file $uid"; return 1; }
		i=$((i + 1))
	done < <(tail -n +2 "$basic/net/xtcp")
	[ "$(wc -l <<<"$out")" = "$i" ] || { why="$(wc -l <<<"$out") rows, file $i"; return 1; }
}

test_default_no_listen() {
	list_is -- "1002 1003 1004 1005 1006 1007 0 0 1008"
}

test_listening() {
	list_is -l -- "1001"
}

test_state_names() {
	list_is --state close_wait,TIME-WAIT -- "1005 1006 0" &&
		list_is --state SYN_RCVD --state syn_sent -- "1007 0" &&
		list_is --state All -- "1001 1002 1003 1004 1005 1006 1007 0 0 1008" &&
		list_is --state listen -a -- "1001"
}

test_ports() {
	list_is --sport 5000 -a -- "1001 1003 0" &&
		list_is --dport 5000 -- "1002 0" &&
		list_is --port 5001 -- "1004 1005 1006" &&
		list_is --port 80 -- "1007" &&
		list_is --sport 1 -- ""
}

test_addresses() {
	list_is --src 127.0.0.2 -- "1002" &&
		list_is --dst 127.0.0.2 -- "1003" &&
		list_is --src 10.0.0.0/8 -- "1004 1005 1006" &&
		list_is --dst 192.168.1.9 -- "1007" &&
		list_is --src 172.16.0.0/12 --dst 203.0.113.0/24 -- "1008" &&
		list_is --src 0.0.0.0/0 -l -- "1001"
}

test_combined() {
	list_is --state close_wait --dport 40003 -- "1006" &&
		list_is --port 5000 --src 127.0.0.1 -- "1003 0 0"
}

test_timer_columns() {
	run --proc "$basic" -a -H
	local syn tw fw2
	syn=$(grep '^SYN_SENT' <<<"$out")
	tw=$(grep '^TIME_WAIT' <<<"$out")
	fw2=$(grep '^FIN_WAIT_2' <<<"$out")
	# shellcheck disable=SC2086
	set -- $syn
	[ "$6 $7 ${10}" = "on,0.50s 2 2.345s" ] || { why="SYN_SENT: $syn"; return 1; }
	# shellcheck disable=SC2086
	set -- $tw
	[ "$6 ${10}" = "timewait,2.00s 58.000s" ] || { why="TIME_WAIT: $tw"; return 1; }
	# shellcheck disable=SC2086
	set -- $fw2
	[ "$6" = "keepalive,30.00s" ] || { why="FIN_WAIT_2: $fw2"; return 1; }
}

# ---- summary, counters ----

test_summary() {
	local want
	run --proc "$basic" -s
	expect_rc 0 || return 1
	want=$(cat "$here/expected/basic-summary.txt")
	[ "$out" = "$want" ] || { why="output differs: $(diff <(echo "$want") <(echo "$out"))"; return 1; }
}

test_summary_filtered() {
	run --proc "$basic" -s -H --port 5001
	expect_rc 0 || return 1
	grep -qx 'CLOSE_WAIT  2' <<<"$out" && grep -qx 'FIN_WAIT_2  1' <<<"$out" &&
		grep -qx 'Total       3' <<<"$out" && grep -qx 'LISTEN      0' <<<"$out" ||
		{ why="$out"; return 1; }
	run --proc "$basic" -s -H --state close_wait
	[ "$(wc -l <<<"$out")" = 2 ] && grep -qx 'Total       2' <<<"$out" ||
		{ why="--state close_wait: $out"; return 1; }
}

test_counters() {
	run --proc "$basic" -c
	expect_rc 0 || return 1
	[ "$(awk '{ print $1, $2 }' <<<"$out")" = "$(cat "$basic/net/xtcp_stat")" ] ||
		{ why="$out"; return 1; }
	run --proc "$basic" -c -z
	[ "$(awk '{ print $1, $2 }' <<<"$out")" = "$(awk '$2 != 0' "$basic/net/xtcp_stat")" ] ||
		{ why="-z: $out"; return 1; }
}

# ---- transitions ----

test_matrix() {
	local want
	run --proc "$basic" -m
	expect_rc 0 || return 1
	want=$(cat "$here/expected/basic-matrix.txt")
	[ "$out" = "$want" ] || { why="output differs: $(diff <(echo "$want") <(echo "$out"))"; return 1; }
}

# Every line of the transition file is the matrix cell of its edge.
test_matrix_cells() {
	local dir=$1 from to count col cell
	run --proc "$dir" -m
	expect_rc 0 || return 1
	local header
	header=$(head -n 1 <<<"$out")
	while read -r from to count; do
		col=$(awk -v s="$to" '{ for (i = 2; i <= NF; i++) if ($i == s) print i }' <<<"$header")
		cell=$(awk -v s="$from" -v c="$col" '$1 == s { print $c }' <<<"$out")
		case $cell in
		"$count" | "$count!") ;;
		*) why="$from -> $to: cell '$cell', file $count"; return 1 ;;
		esac
	done <"$dir/net/xtcp_trans"
}

test_matrix_illegal() {
	run --proc "$fx/illegal" -m
	expect_rc 0 || return 1
	grep -qx 'illegal: ESTABLISHED -> LISTEN 2' <<<"$out" &&
		grep -qx 'illegal: TIME_WAIT -> SYN_RCVD 1' <<<"$out" &&
		[ "$(grep -c '^illegal:' <<<"$out")" = 2 ] &&
		grep -q '^ESTABLISHED .* 2! ' <<<"$out" || { why="$out"; return 1; }
	test_matrix_cells "$fx/illegal"
}

# Every edge of the file is drawn with its count; zero counts dashed grey,
# illegal ones red; nothing else is drawn.
test_diagram() {
	local dir=$1 from to count line drawn=0 edges
	run --proc "$dir" --diagram
	expect_rc 0 || return 1
	while read -r from to count; do
		line=$(grep -F "\"$from\" -> \"$to\" [label=\"$count" <<<"$out")
		[ -n "$line" ] || { why="no edge $from -> $to labelled $count"; return 1; }
		if [ "$count" = 0 ] && ! grep -q 'style=dashed, color=grey' <<<"$line"; then
			why="$from -> $to: count 0 but not dashed grey: $line"
			return 1
		fi
		if grep -q illegal <<<"$line" && ! grep -q 'color=red' <<<"$line"; then
			why="illegal $from -> $to not red: $line"
			return 1
		fi
		drawn=$((drawn + 1))
	done <"$dir/net/xtcp_trans"
	edges=$(grep -c ' -> .*label=' <<<"$out")
	[ "$edges" = "$drawn" ] || { why="$edges edges drawn, file has $drawn"; return 1; }
}

test_diagram_illegal() {
	test_diagram "$fx/illegal" || return 1
	grep -qF '"ESTABLISHED" -> "LISTEN" [label="2 (illegal)", color=red' <<<"$out" ||
		{ why="illegal edge not marked"; return 1; }
}

test_dot_accepts() {
	local d
	for d in basic illegal; do
		"$tool" --proc "$fx/$d" --diagram >"$tmp/g.dot" || { why="$d: exit $?"; return 1; }
		dot -Tsvg "$tmp/g.dot" >/dev/null 2>"$tmp/dot.err" ||
			{ why="dot -Tsvg rejects $d: $(cat "$tmp/dot.err")"; return 1; }
	done
}

# ---- leaks ----

test_leaks_default() {
	run --proc "$basic" --leaks
	expect_rc 1 || return 1
	grep -q '^10.0.0.2:5001 .* 10.0.0.1:40002 .* 1005 120.000s .*users:(("server",pid=4242,fd=3),("worker",pid=4243,fd=7))$' <<<"$out" &&
		! grep -q 40003 <<<"$out" &&
		grep -q '^1 CLOSE_WAIT socket for 60 s or longer' <<<"$out" || { why="$out"; return 1; }
}

test_leaks_threshold() {
	run --proc "$basic" --leaks 5
	expect_rc 1 || return 1
	grep -q ' 1006 5.000s .*users:(("server",pid=4242,fd=4))$' <<<"$out" &&
		grep -q '^2 CLOSE_WAIT sockets' <<<"$out" || { why="5: $out"; return 1; }
	run --proc "$basic" --leaks=5.001
	expect_rc 1 || return 1
	! grep -q ' 1006 ' <<<"$out" || { why="5.001: $out"; return 1; }
	run --proc "$basic" --leaks 1000
	expect_rc 0 || return 1
	[ "$out" = "no CLOSE_WAIT socket for 1000 s or longer" ] || { why="1000: $out"; return 1; }
	run --proc "$basic" --leaks 0 --dport 40003
	expect_rc 1 || return 1
	[ "$(grep -c ' 100[56] ' <<<"$out")" = 1 ] || { why="--dport: $out"; return 1; }
}

# ---- watch ----

test_watch() {
	run --proc "$basic" -s --watch 0.1 --count 2
	expect_rc 0 || return 1
	[ "$(grep -c '^Every 0.1s: xtcpstat, refresh [12] at ' <<<"$out")" = 2 ] &&
		[ "$(grep -c '^Total ' <<<"$out")" = 2 ] || { why="$out"; return 1; }
	run --proc "$basic" -w0.2 --count 3 -c
	expect_rc 0 || return 1
	[ "$(grep -c '^Every 0.2s' <<<"$out")" = 3 ] || { why="-w0.2: $out"; return 1; }
	# interrupted: ends at once with status 0
	"$tool" --proc "$basic" -s -w 30 >"$tmp/out" 2>&1 &
	local pid=$! i
	for i in $(seq 50); do
		grep -q '^Total' "$tmp/out" && break
		sleep 0.1
	done
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	expect_rc 0
}

# ---- errors ----

test_errors() {
	local args
	for args in "--bogus" "-x" "--state nowhere" "--state" "--sport 65536" "--port x" \
		"--src 1.2.3" "--dst 10.0.0.0/33" "-s -m" "--leaks -1" "--watch 0" \
		"--count 0" "extra" "--netns no-such-netns-here"; do
		# shellcheck disable=SC2086
		run --proc "$basic" $args
		expect_rc 2 || { why="$args: $why"; return 1; }
		[ -n "$err" ] && [ -z "$out" ] || { why="$args: stdout '$out' stderr '$err'"; return 1; }
	done
}

test_not_loaded() {
	run --proc "$fx/unloaded"
	expect_rc 2 || return 1
	[ "$err" = "xtcpstat: xtcp not loaded (no $fx/unloaded/net/xtcp)" ] || { why="$err"; return 1; }
	run --proc "$fx/unloaded" -m
	expect_rc 2 || return 1
	grep -q 'xtcp not loaded' <<<"$err" || { why="-m: $err"; return 1; }
	run --proc "$fx/unloaded" -c
	expect_rc 2 || return 1
	grep -q 'xtcp not loaded' <<<"$err" || { why="-c: $err"; return 1; }
	if [ ! -e /proc/net/xtcp ]; then
		run
		expect_rc 2 || return 1
		[ "$err" = "xtcpstat: xtcp not loaded (no /proc/net/xtcp)" ] || { why="$err"; return 1; }
	fi
}

test_bad_input() {
	run --proc "$fx/bad" -a
	expect_rc 2 || return 1
	grep -q 'line 3: cannot parse' <<<"$err" || { why="rows: $err"; return 1; }
	run --proc "$fx/bad" -m
	expect_rc 2 || return 1
	grep -q 'line 2: unknown state' <<<"$err" || { why="trans: $err"; return 1; }
	run --proc "$fx/bad" -c
	expect_rc 2 || return 1
	run --proc "$fx/notrans" --diagram
	expect_rc 2 || return 1
	grep -q 'xtcp_trans: no such file' <<<"$err" || { why="notrans: $err"; return 1; }
}

# xtcp6's rows after xtcp's, addresses in brackets; an IPv4 filter
# matches v4-mapped addresses; a bad xtcp6 row is an error as xtcp's.
test_v6_rows() {
	local want
	run --proc "$fx/v6" -a
	expect_rc 0 || return 1
	want=$(cat "$here/expected/v6-all.txt")
	[ "$out" = "$want" ] || { why="output differs: $(diff <(echo "$want") <(echo "$out"))"; return 1; }
	run --proc "$fx/v6" -a -H --src 127.0.0.1
	expect_rc 0 || return 1
	[ "$(inodes)" = "2003 2004" ] || { why="--src 127.0.0.1: '$(inodes)'"; return 1; }
	run --proc "$fx/v6" -H -l --sport 5000
	expect_rc 0 || return 1
	[ "$(inodes)" = "2002" ] || { why="-l --sport 5000: '$(inodes)'"; return 1; }
	run --proc "$fx/v6" -s -H
	expect_rc 0 || return 1
	grep -qx 'Total *5' <<<"$out" || { why="-s: $out"; return 1; }
	mkdir -p "$tmp/badv6/net"
	cp "$fx/v6/net/xtcp" "$tmp/badv6/net/"
	sed 's/0000000000000000FFFF0000/FFFF0000/' "$fx/v6/net/xtcp6" >"$tmp/badv6/net/xtcp6"
	run --proc "$tmp/badv6" -a
	expect_rc 2 || return 1
	grep -q 'xtcp6 line 3: cannot parse' <<<"$err" || { why="bad xtcp6: $err"; return 1; }
}

test_help() {
	run -h
	expect_rc 0 || return 1
	grep -q -- '--leaks' <<<"$out" || { why="$out"; return 1; }
}

echo "KTAP version 1"
t "list: every row, fields converted (golden)" test_list_all
t "list: row for row against the file" test_list_row_for_row
t "list: default hides LISTEN only" test_default_no_listen
t "list: -l" test_listening
t "list: --state names, case, '-', all" test_state_names
t "list: --sport --dport --port" test_ports
t "list: --src --dst with prefixes" test_addresses
t "list: filters combined" test_combined
t "list: timer, retransmits, time in state" test_timer_columns
t "summary: every state, total (golden)" test_summary
t "summary: with filters" test_summary_filtered
t "counters: all, -z" test_counters
t "matrix: golden" test_matrix
t "matrix: each edge's cell" test_matrix_cells "$basic"
t "matrix: illegal edges marked and listed" test_matrix_illegal
t "diagram: every edge with its count" test_diagram "$basic"
t "diagram: illegal edges red" test_diagram_illegal
if command -v dot >/dev/null; then
	t "diagram: dot -Tsvg accepts it" test_dot_accepts
else
	skip "diagram: dot -Tsvg accepts it" "graphviz not installed"
fi
t "leaks: default 60 s, owners, exit 1" test_leaks_default
t "leaks: thresholds, exit 0 when none, filters" test_leaks_threshold
t "watch: --count refreshes, SIGINT ends it" test_watch
t "errors: bad options exit 2" test_errors
t "errors: xtcp not loaded" test_not_loaded
t "errors: rows and lines that do not parse" test_bad_input
t "list: xtcp6's rows, [ADDR]:PORT, IPv4 filters" test_v6_rows
t "help" test_help
echo "1..$n"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
