#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the xtcp test VM (scripts/vm.sh boots it, scripts/mkinitramfs.sh
# packs it).  The initramfs has nothing but a static busybox, so this runs
# under busybox ash, not bash: POSIX sh plus local and pipefail.
#
# Stage 1, PID 1 in the initramfs: mount proc, sys and devtmpfs, insmod the
# modules listed in /etc/modules (virtio-pci, 9p, ...), mount the host's root
# filesystem read-only from the 9p share "hostroot" on /newroot, put
# writable tmpfs where the guest needs to write, mount the per-run
# read-write share "xtcpio" on /newroot/run/xtcp-vm/io, then switch_root
# into the host's root and run stage 2 there with a copy of busybox.
#
# Stage 2, PID 1 in the host's root: read io/config (written by vm.sh),
# set sysctls, insmod xtcp.ko, run io/cmd (or an interactive shell on the
# serial console) with its output in io/out, kill what it left behind,
# rmmod xtcp, save dmesg to io/dmesg, write io/status and power off.
# The host side reads io/status, io/out and io/dmesg.
# shellcheck shell=dash disable=SC3040 # busybox ash has pipefail
set -euo pipefail

msize=512000
vmdir=/run/xtcp-vm
io=$vmdir/io

say() { echo "xtcp-vm: $*" >/dev/console; }

# Nothing must make PID 1 exit (that panics the kernel): power off instead.
halt_now() {
	sync
	poweroff -f
	sleep 10
	echo o >/proc/sysrq-trigger
}

stage1_fail() {
	say "FATAL: $*"
	halt_now
}

stage1() {
	export PATH=/bin:/sbin:/usr/bin:/usr/sbin
	trap 'stage1_fail "init failed (line $LINENO)"' EXIT

	mount -t proc -o nosuid,nodev,noexec proc /proc
	mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
	mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev

	local m
	while read -r m; do
		insmod "$m" || stage1_fail "insmod $m failed"
	done </etc/modules

	mount -t 9p -o "ro,trans=virtio,version=9p2000.L,msize=$msize,cache=loose" \
		hostroot /newroot || stage1_fail "cannot mount the host root over 9p"
	mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /newroot/run
	mkdir -p /newroot$io
	mount -t 9p -o "trans=virtio,version=9p2000.L,msize=$msize" \
		xtcpio /newroot$io || stage1_fail "cannot mount the io share over 9p"
	cp /bin/busybox /newroot$vmdir/busybox
	cp /init /newroot$vmdir/init
	cp /etc/xtcp-release /newroot$vmdir/release
	# The host's root as it is, without the guest's tmpfs on top of it.
	mkdir -p /newroot$vmdir/host
	mount --bind /newroot /newroot$vmdir/host

	mount --move /proc /newroot/proc
	mount --move /sys /newroot/sys
	mount --move /dev /newroot/dev

	trap - EXIT
	exec switch_root /newroot $vmdir/busybox sh $vmdir/init --stage2
}

# --- stage 2 -----------------------------------------------------------------

# Written at the end: vm.sh treats a missing io/status as a crash.
status_file() {
	{
		echo "rc=$rc"
		echo "insmod=$insmod_st"
		echo "rmmod=$rmmod_st"
		echo "timeout=$timed_out"
		echo "start=$t_start"
		echo "end=$t_end"
	} >$io/status.tmp
	mv $io/status.tmp $io/status
}

stage2_fail() {
	say "FATAL: $*"
	echo "$*" >>$io/error || true
	dmesg >$io/dmesg 2>&1 || true
	halt_now
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# alive PID: PID exists and is not a zombie.
alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# kill_all_but PID: SIGKILL every process but init and PID (kernel threads
# ignore it).
kill_all_but() {
	local d p
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		case $p in
		1 | "$1") ;;
		*) kill -9 "$p" 2>/dev/null || true ;;
		esac
	done
}

try_mount() { # try_mount TYPE DIR [OPTIONS]
	[ -d "$2" ] || return 0
	mount -t "$1" -o "${3:-nosuid,nodev,noexec}" "$1" "$2" 2>/dev/null ||
		say "warning: cannot mount $1 on $2"
}

# Any socket asking for receive timestamps (SO_TIMESTAMP*, as the tests'
# packet captures do) turns on the static key netstamp_needed_key, and the
# last one to close turns it off: each time, text_poke_bp() patches a jump
# into __netif_receive_skb_core while the other vCPU may be receiving.
# QEMU's TCG does not always survive that either ("Oops: int3" in
# __netif_receive_skb_core, once in a run of the whole suite; see the
# record-cmd note below).  A socket that keeps timestamps on from before
# the command to the end keeps the key on, so the tests never patch it.
hold_netstamp() {
	local ready=$vmdir/netstamp.ready i=0
	command -v python3 >/dev/null || {
		say "warning: no python3, receive timestamps are not held on"
		return 0
	}
	# 29 is SO_TIMESTAMP (the socket module has no name for it)
	python3 -c 'import os, signal, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 29, 1)
os.close(os.open("'$ready'", os.O_CREAT | os.O_WRONLY))
signal.pause()' </dev/null >/dev/null 2>&1 &
	while [ ! -e $ready ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e $ready ] || say "warning: receive timestamps are not held on"
}

stage2() {
	# Busybox applets first, for this script only.
	$vmdir/busybox mkdir -p $vmdir/bin
	$vmdir/busybox --install -s $vmdir/bin
	export PATH=$vmdir/bin:/usr/sbin:/usr/bin:/sbin:/bin
	trap 'stage2_fail "init failed (line $LINENO)"' EXIT

	local rel
	rel=$(cat $vmdir/release)

	# What udev would add to a bare devtmpfs.
	ln -sfn /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	ln -sf /proc/kcore /dev/core
	mkdir -p /dev/pts /dev/shm
	mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
	mount -t tmpfs -o nosuid,nodev tmpfs /dev/shm
	try_mount tracefs /sys/kernel/tracing
	# Enabling any trace event also records task names, which hooks the
	# scheduler's sched_switch/sched_wakeup tracepoints: their static keys
	# get patched into hot scheduler code (text_poke_bp).  QEMU's TCG with
	# two vCPUs does not survive that: an "Oops: int3" in ttwu_do_activate
	# within a few hundred event toggles (xtcp_observe toggles four times).
	# The tests read no task names, so leave the scheduler alone.
	echo 0 >/sys/kernel/tracing/options/record-cmd 2>/dev/null || true
	try_mount debugfs /sys/kernel/debug
	try_mount cgroup2 /sys/fs/cgroup
	try_mount bpf /sys/fs/bpf "nosuid,nodev,noexec,mode=0700"
	local d
	for d in /tmp /var/tmp; do
		mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs $d
	done
	mount -t tmpfs -o mode=0700 tmpfs /root
	mount -t tmpfs -o mode=0755 tmpfs /var/log

	[ -f $io/config ] || stage2_fail "no config in the io share"
	# Sets XTCP_TOP MODROOT MODULE MODPARAMS MODE TIMEOUT TERM_NAME
	# TERM_ROWS TERM_COLS.
	# shellcheck source=/dev/null
	. $io/config

	# Host paths hidden by those tmpfs that the run needs (the project in
	# /tmp/something, ...): bind them back from the host's root.
	local p
	while IFS= read -r p; do
		case $p in
		/tmp | /tmp/* | /var/tmp | /var/tmp/* | /root | /root/* | \
			/var/log | /var/log/* | /run | /run/*) ;;
		*) continue ;;
		esac
		if [ ! -e "$p" ] && [ -d "$vmdir/host$p" ]; then
			mkdir -p "$p"
			mount --bind "$vmdir/host$p" "$p"
		fi
	done <$io/visible

	# The release's modules, with the modules.dep made on the host, for
	# modprobe and the kernel's module autoloading: over /lib/modules when
	# the host has one, and in any case through a modprobe wrapper (it is
	# kernel.modprobe, and first in the command's PATH) pointing kmod there.
	if [ -d "$MODROOT/lib/modules/$rel" ]; then
		if [ -d /lib/modules ]; then
			mount --bind "$MODROOT/lib/modules" /lib/modules ||
				say "warning: cannot bind $MODROOT/lib/modules"
		fi
		mkdir -p $vmdir/sbin
		{
			echo '#!/bin/sh'
			echo "# modprobe for $rel in the xtcp test VM"
			echo "exec /sbin/modprobe -d '$MODROOT' \"\$@\""
		} >$vmdir/sbin/modprobe
		chmod 0755 $vmdir/sbin/modprobe
		echo $vmdir/sbin/modprobe >/proc/sys/kernel/modprobe
	fi

	hostname xtcp-vm
	ip link set lo up
	sysctl -q -w kernel.panic_on_oops=1
	if [ -e /proc/sys/kernel/hung_task_timeout_secs ]; then
		sysctl -q -w kernel.hung_task_timeout_secs=60
	fi

	# A kernel with kmemleak (the debug lane): find what boot left
	# unreferenced and forget it ("clear" forgets only what a scan has
	# reported, and kmemleak reports an object only once its contents
	# stayed the same from one scan to the next: two scans first), so
	# that the scan after the command reports what the module and the
	# tests leaked.  A write fails if kmemleak has turned itself off;
	# its message is in the kernel log.
	local leaks=/sys/kernel/debug/kmemleak
	if [ -w $leaks ]; then
		{ echo scan >$leaks && echo scan >$leaks && echo clear >$leaks; } 2>/dev/null ||
			echo "xtcp-vm: kmemleak refused a scan" >/dev/kmsg
	fi

	hold_netstamp

	catpid=''
	rc=125 insmod_st=skip rmmod_st=skip timed_out=0 t_start=0 t_end=0
	if [ -n "$MODULE" ]; then
		# shellcheck disable=SC2086 # MODPARAMS is a list of words
		if insmod "$MODULE" $MODPARAMS >$io/insmod.log 2>&1; then
			insmod_st=ok
		else
			insmod_st=fail
		fi
	fi

	# The command is killed a bit before vm.sh's hard timeout so that the
	# kernel log is still collected.
	local up
	GUEST_TIMEOUT=0
	if [ "$MODE" = run ] && [ "$TIMEOUT" -gt 0 ]; then
		up=$(uptime_s)
		GUEST_TIMEOUT=$((TIMEOUT - ${up%.*} - 10 - TIMEOUT / 30))
		[ $GUEST_TIMEOUT -gt 0 ] || GUEST_TIMEOUT=0
	fi

	local envs
	envs="PATH=$vmdir/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	envs="$envs HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8"
	envs="$envs KSFT_MACHINE_SLOW=yes XTCP_VM=1 XTCP_KERNEL=$rel"
	# what the command leaves here, vm.sh --out copies to the host
	mkdir -p $io/export
	envs="$envs XTCP_VM_OUT=$io/export"

	if [ "$insmod_st" != fail ]; then
		touch $io/started
		t_start=$(uptime_s)
		set +e
		if [ "$MODE" = shell ]; then
			stty -F /dev/ttyS0 rows "$TERM_ROWS" cols "$TERM_COLS" 2>/dev/null
			# shellcheck disable=SC2086 # envs is a list of words
			(cd "$XTCP_TOP" && exec setsid -c /usr/bin/env -i $envs \
				TERM="$TERM_NAME" /bin/bash -l) \
				</dev/ttyS0 >/dev/ttyS0 2>&1
			rc=$?
		else
			# The output goes to io/out through a pipe: a program that
			# reopens /dev/stdout (the kselftest runner does) then gets
			# the pipe, not a second 9p handle writing at its own
			# offset.  The command runs in the foreground for its
			# status; cat is stopped after it, even if leftovers of
			# the command still hold the pipe.
			mkfifo $vmdir/out.pipe
			cat $vmdir/out.pipe >>$io/out &
			catpid=$!
			if [ "$GUEST_TIMEOUT" -gt 0 ]; then
				set -- /usr/bin/timeout -k 5 "$GUEST_TIMEOUT"
			else
				set --
			fi
			# shellcheck disable=SC2086
			/usr/bin/env -i $envs TERM=dumb "$@" /bin/bash $io/cmd \
				</dev/null >$vmdir/out.pipe 2>&1
			rc=$?
		fi
		set -e
		t_end=$(uptime_s)
		touch $io/finished
		if [ "$GUEST_TIMEOUT" -gt 0 ] && { [ $rc = 124 ] || [ $rc = 137 ]; } &&
			[ "${t_end%.*}" -ge $((${t_start%.*} + GUEST_TIMEOUT)) ]; then
			timed_out=1
		fi
	fi

	# Whatever the command left running could pin the module (and keep
	# the output pipe open): kill it, let cat drain the pipe, then stop
	# everything.
	kill_all_but "$catpid"
	sleep 0.1
	kill_all_but "$catpid"
	local i=0
	while [ -n "$catpid" ] && alive "$catpid" && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 -1 2>/dev/null || true
	[ -z "$catpid" ] || wait "$catpid" 2>/dev/null || true
	sleep 0.1

	if [ "$insmod_st" = ok ]; then
		local name
		i=0
		name=$(basename "$MODULE" .ko)
		rmmod_st=fail
		# the tests' fault-injection module, if they loaded it, uses
		# xtcp.ko: it goes first (it holds nothing that lasts)
		if [ -e /sys/module/xtcp_fault ]; then
			rmmod xtcp_fault >$io/rmmod.log 2>&1 || true
		fi
		# up to 30 s: a debug kernel's netns cleanup (the tests' own
		# namespaces, torn down by a workqueue) can hold the module
		# that long; a leaked socket holds it for ever
		while [ $i -lt 150 ]; do
			if rmmod "$name" >$io/rmmod.log 2>&1; then
				rmmod_st=ok
				break
			fi
			i=$((i + 1))
			sleep 0.2
		done
	fi

	# Leaks: objects younger than 5 s are not reported yet (rmmod was
	# just now), then two scans as above.  The report is appended to the
	# kernel log the host checks.
	if [ -w $leaks ]; then
		sleep 6
		{ echo scan >$leaks && echo scan >$leaks; } 2>/dev/null ||
			echo "xtcp-vm: kmemleak refused a scan" >/dev/kmsg
	fi
	dmesg >$io/dmesg
	[ ! -r $leaks ] || cat $leaks >>$io/dmesg
	status_file
	trap - EXIT
	halt_now
}

case ${1-} in
--stage2) stage2 ;;
*) stage1 ;;
esac
