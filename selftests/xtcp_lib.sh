# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154
#
# Shell helpers of the selftests that run programs in a network namespace
# of their own (xtcp_run.sh, xtcp_apps.sh).  Sourced; the caller sets
# $ns (the namespace), and $n and $fails (KTAP numbering and failures).

in_ns() {
	ip netns exec "$ns" "$@"
}

# serve PROGRAM ARGS... &: a server in $ns, in the background only.  The
# background subshell becomes the program (exec), so that $! is the
# server's own pid: killing a subshell that ran in_ns would leave the
# server running, holding its listener and whatever output it inherited.
serve() {
	exec ip netns exec "$ns" "$@"
}

# opens PROTO: "active passive" connection counts of xtcp or tcp in $ns.
opens() {
	if [ "$1" = xtcp ]; then
		in_ns awk '$1 == "ActiveOpens" { a = $2 } $1 == "PassiveOpens" { p = $2 }
			END { print a + 0, p + 0 }' /proc/net/xtcp_stat
	else
		in_ns awk '$1 == "Tcp:" && $6 ~ /^[0-9]+$/ { print $6, $7 }' /proc/net/snmp
	fi
}

# listening PORT: a LISTEN row of an xtcp or a TCP socket, IPv4 or IPv6,
# on PORT in $ns.
listening() {
	local hex
	hex=$(printf '%04X' "$1")
	in_ns awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" { f = 1 } END { exit !f }' \
		/proc/net/xtcp /proc/net/tcp /proc/net/xtcp6 /proc/net/tcp6 2>/dev/null
}

# wait_listening PORT PID: until PORT listens, or PID (its server) is gone;
# 0 if it listens.  A server starting (python3, redis, nginx) on a busy
# machine may take many seconds: 120 s bound only a server that never
# listens.
wait_listening() {
	local port=$1 pid=$2 end=$((SECONDS + 120))
	while [ "$SECONDS" -lt "$end" ]; do
		listening "$port" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	listening "$port"
}

# result ok|fail NAME: one KTAP line.
result() {
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fails=$((fails + 1))
	fi
}
