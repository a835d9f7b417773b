#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command as root in a QEMU VM booting one of the pinned Debian
# kernels, with xtcp.ko loaded, and return the command's exit status.
#
#   scripts/vm.sh [options] [--] command [args...]
#   scripts/vm.sh --shell [options]
#
# The guest boots an initramfs (scripts/mkinitramfs.sh) whose /init
# (scripts/guest-init.sh) mounts the host's root filesystem read-only over
# virtio-9p and switches into it: host programs and the project's build
# outputs run in the guest at their host paths, with tmpfs on /tmp, /var/tmp,
# /run, /root and /var/log.  The command runs from the project directory with
# HOME=/root, KSFT_MACHINE_SLOW=yes, XTCP_VM=1 and XTCP_KERNEL=<release>.
# A per-run read-write 9p share (build/vm/run.XXXXXX) carries the command
# in, and its output, exit status and the guest's dmesg out.
#
# After the command, everything it left running is killed and `rmmod xtcp`
# must succeed; the kernel log is then checked with scripts/logscan.sh.
# A guest that has not started the command XTCP_VM_BOOT_LIMIT seconds
# (400) after QEMU started is stuck in its boot: it is killed and booted
# once more.
#
# Options:
#   --kernel 6.1|6.12|debug|RELEASE  kernel to boot (default 6.1, see
#                        kernels.conf; debug: scripts/debug-kernel.sh)
#   --module PATH        module to load (default module/xtcp.ko); it must
#                        have been built for that kernel
#   --modparams "A=1 B=2"  parameters for insmod (split on whitespace)
#   --no-module          do not load any module
#   --timeout SECONDS    hard limit for the whole run (default 600; none with
#                        --shell unless given); the command itself gets
#                        killed a little earlier so that the kernel log can
#                        still be collected
#   --shell              interactive bash on the serial console instead of
#                        a command; exiting it powers the VM off (Ctrl-A x
#                        kills QEMU)
#   --mem SIZE           guest memory (default 2G)
#   --smp N              guest CPUs (default 2)
#   --no-debug           boot without slub_debug=FZPU page_poison=1
#                        (benchmarks; slub_nomerge stays)
#   --append ARGS        extra kernel command line arguments
#   --keep               keep the run directory (serial log, dmesg, output)
#   --out DIR            copy to DIR what the command left in $XTCP_VM_OUT (a
#                        directory of the read-write share), e.g. the gcov
#                        counters `make coverage` collects
#   -v                   also print the serial console log (live, stderr)
#
# Exit status: the command's, except
#   1    the command exited 0 but the run failed: insmod or rmmod failed,
#        the kernel log has a warning/oops/..., or the guest died without
#        reporting a status (with a non-zero command status, that is kept)
#   124  timeout
#   125  the runner itself failed (usage, missing kernel, module built for
#        another kernel, QEMU did not start, ...)
# The command's output goes to stdout as it runs; the runner's messages and
# a one-line summary go to stderr.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${XTCP_CACHE:-$top/.cache}
# shellcheck source=scripts/kernels.conf
. "$top/scripts/kernels.conf"

die() {
	printf 'vm: %s\n' "$*" >&2
	exit 125
}
msg() { printf 'vm: %s\n' "$*" >&2; }

usage() {
	sed -n '/^# Run a command/,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
	exit 125
}

kernel=6.1
module=$top/module/xtcp.ko
modparams=
load_module=1
timeout=
shell=0
mem=2G
smp=2
debug=1
append=
keep=0
outdir=
verbose=0

need_arg() { [ $# -ge 2 ] || die "option $1 needs an argument (see --help)"; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel=* | --module=* | --modparams=* | --timeout=* | --mem=* | --smp=* | --append=* | --out=*)
		opt=${1%%=*} val=${1#*=}
		shift
		set -- "$opt" "$val" "$@"
		continue
		;;
	--kernel) need_arg "$@"; kernel=$2; shift 2 ;;
	--module) need_arg "$@"; module=$2; load_module=1; shift 2 ;;
	--modparams) need_arg "$@"; modparams=$2; shift 2 ;;
	--no-module) load_module=0; shift ;;
	--timeout) need_arg "$@"; timeout=$2; shift 2 ;;
	--shell) shell=1; shift ;;
	--mem) need_arg "$@"; mem=$2; shift 2 ;;
	--smp) need_arg "$@"; smp=$2; shift 2 ;;
	--no-debug) debug=0; shift ;;
	--append) need_arg "$@"; append="$append $2"; shift 2 ;;
	--keep) keep=1; shift ;;
	--out) need_arg "$@"; outdir=$2; shift 2 ;;
	-v | --verbose) verbose=1; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) break ;;
	esac
done

if [ "$shell" = 1 ]; then
	[ $# -eq 0 ] || die "--shell takes no command"
	if [ ! -t 0 ] || [ ! -t 1 ]; then
		die "--shell needs a terminal"
	fi
else
	[ $# -gt 0 ] || die "no command given (see --help)"
fi

# --- settings ------------------------------------------------------------------

case $kernel in
6.1 | 61 | 6.12 | 612)
	# scripts/deps.sh links the kernel it took (the pin or its fallback).
	rel=$(readlink "$cache/kernels/${kernel/#61/6.1}" 2>/dev/null) ||
		die "no $kernel kernel: run scripts/deps.sh"
	;;
debug)
	# scripts/debug-kernel.sh links the current debug build here.
	rel=$(readlink "$cache/kernels/debug" 2>/dev/null) ||
		die "no debug kernel: build it with scripts/debug-kernel.sh"
	;;
*) rel=$kernel ;;
esac
kdir=$cache/kernels/$rel
vmlinuz=$kdir/boot/vmlinuz-$rel
[ -f "$vmlinuz" ] || die "no kernel $rel in $cache/kernels (--kernel 6.1|6.12|RELEASE; run scripts/deps.sh)"

if [ -z "$timeout" ]; then
	if [ "$shell" = 1 ]; then timeout=0; else timeout=600; fi
fi
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout wants whole seconds, not '$timeout'"
[ "$shell" = 1 ] || [ "$timeout" -gt 0 ] || die "--timeout must be positive"
[[ $smp =~ ^[1-9][0-9]*$ ]] || die "--smp wants a number, not '$smp'"
[[ $mem =~ ^[0-9]+[MGmg]?$ ]] || die "--mem wants a size such as 2G, not '$mem'"

qemu=${XTCP_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || die "$qemu not found: install qemu-system-x86 (scripts/deps.sh host)"

if [ "$load_module" = 1 ]; then
	[ -f "$module" ] || die "$module not found: build it (make, or make KVER=6.12) or use --no-module"
	module=$(realpath -- "$module")
	vermagic=$(modinfo -F vermagic "$module" 2>/dev/null) ||
		die "$module: not a kernel module"
	vermagic=${vermagic%% *}
	[ "$vermagic" = "$rel" ] ||
		die "$module was built for $vermagic, not $rel: rebuild it for this kernel"
else
	module=
	[ -z "$modparams" ] || die "--modparams makes no sense with --no-module"
fi

images=$("$top/scripts/mkinitramfs.sh" "$rel") || die "cannot build the initramfs"
{
	read -r initrd
	read -r kimage
} <<<"$images"

# --- run directory: the read-write share -----------------------------------------

mkdir -p "$top/build/vm"
run=$(mktemp -d "$top/build/vm/run.XXXXXX")
qpid='' tails=()
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	local p
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	for p in "${tails[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	if [ "$keep" = 1 ]; then
		msg "run directory kept: $run"
	else
		rm -rf "$run"
	fi
}
trap cleanup EXIT
trap 'msg "interrupted"; exit 130' INT
trap 'msg "terminated"; exit 143' TERM HUP

# sq STRING: STRING single-quoted for sh.
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

rows=24 cols=80 term=vt100
if [ "$shell" = 1 ]; then
	read -r rows cols < <(stty size 2>/dev/null || echo 24 80)
	if [[ ${TERM-} =~ ^[A-Za-z0-9._+-]+$ ]]; then
		term=$TERM
	fi
fi
{
	echo "XTCP_TOP=$(sq "$top")"
	echo "MODROOT=$(sq "$top/build/vm/$rel/modroot")"
	echo "MODULE=$(sq "$module")"
	echo "MODPARAMS=$(sq "$modparams")"
	echo "MODE=$([ "$shell" = 1 ] && echo shell || echo run)"
	echo "TIMEOUT=$timeout"
	echo "TERM_NAME=$term TERM_ROWS=$rows TERM_COLS=$cols"
} >"$run/config"
# Host paths the guest must see even when they are under one of its tmpfs
# (/tmp, /root, ...): a fresh clone in /tmp, a module built elsewhere.
{
	echo "$top"
	echo "$cache"
	[ -z "$module" ] || dirname "$module"
} >"$run/visible"
if [ "$shell" = 0 ]; then
	{
		echo '# Written by scripts/vm.sh: the command to run in the guest.'
		echo "cd $(printf '%q' "$top") || exit 125"
		printf 'exec'
		printf ' %q' "$@"
		echo
	} >"$run/cmd"
fi
: >"$run/out"
: >"$run/serial.log"

# --- QEMU ------------------------------------------------------------------------

cmdline="console=ttyS0 panic=-1 oops=panic log_buf_len=8M printk.devkmsg=on cryptomgr.notests"
# slub_nomerge stays with --no-debug: it gives every slab cache its own
# /proc/slabinfo line, which tests read.
cmdline="$cmdline slub_nomerge"
# An emulated CPU on a busy host can stand still for many seconds without
# anything being wrong inside: report RCU stalls after 120 s and soft
# lockups after 60 s (both still fail the run), not after 21 and 20.
cmdline="$cmdline rcupdate.rcu_cpu_stall_timeout=120 watchdog_thresh=30"
if [ "$debug" = 1 ]; then
	# A kernel with failslab (the debug lane's) marks the caches xtcp's
	# allocation-failure tests fail on purpose (slub_debug flag A; the
	# failures stay off until a test turns them on).
	if grep -qx 'CONFIG_FAILSLAB=y' "$kdir/boot/config-$rel" 2>/dev/null; then
		cmdline="$cmdline slub_debug=FZPU;FZPUA,skbuff_head_cache,XTCP,xtcp_tw"
	else
		cmdline="$cmdline slub_debug=FZPU"
	fi
	cmdline="$cmdline page_poison=1"
fi
[ "$shell" = 0 ] || cmdline="$cmdline quiet"
cmdline="$cmdline${append}"

# shellcheck disable=SC2054 # commas inside QEMU option values
qemu_args=(
	-machine q35 -accel tcg,thread=multi -cpu max -m "$mem" -smp "$smp"
	-nodefaults -no-user-config -display none -no-reboot
	-kernel "$kimage" -initrd "$initrd" -append "$cmdline"
	-fsdev "local,id=hostroot,path=/,readonly=on,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	-fsdev "local,id=xtcpio,path=$run,security_model=none"
	-device virtio-9p-pci,fsdev=xtcpio,mount_tag=xtcpio
)
if [ "$shell" = 1 ]; then
	# shellcheck disable=SC2054
	qemu_args+=(
		-chardev "stdio,id=con,mux=on,signal=off,logfile=$run/serial.log,logappend=on"
		-serial chardev:con -mon chardev=con,mode=readline
	)
else
	qemu_args+=(
		-chardev "file,id=con,path=$run/serial.log,append=on"
		-serial chardev:con -monitor none
	)
fi

t0=$(date +%s.%N)
timeout_cmd=()
if [ "$timeout" != 0 ]; then
	timeout_cmd=(timeout -k 10 "$timeout")
	[ "$shell" = 0 ] || timeout_cmd=(timeout --foreground -k 10 "$timeout")
fi

if [ "$shell" = 1 ]; then
	msg "$rel: booting; a shell will open on the serial console (exit it to power off, Ctrl-A x kills QEMU)"
	set +e
	"${timeout_cmd[@]}" "$qemu" "${qemu_args[@]}"
	qrc=$?
	set -e
else
	# A guest that has not started its command after $boot_limit s is
	# stuck in its boot (seen once: the debug kernel under TCG, still in
	# its RCU self-tests after 16 minutes): it is killed and booted
	# once more, loudly, rather than left to the run's whole timeout.
	boot_limit=${XTCP_VM_BOOT_LIMIT:-400}
	[ "$boot_limit" -lt "$timeout" ] || boot_limit=$timeout
	for attempt in 1 2; do
		"${timeout_cmd[@]}" "$qemu" "${qemu_args[@]}" </dev/null >"$run/qemu.log" 2>&1 &
		qpid=$!
		tail -c +1 -s 0.2 -f --pid="$qpid" "$run/out" &
		tails+=($!)
		if [ "$verbose" = 1 ]; then
			tail -c +1 -s 0.2 -f --pid="$qpid" "$run/serial.log" >&2 &
			tails+=($!)
		fi
		booting=$SECONDS
		stuck=0
		while kill -0 "$qpid" 2>/dev/null && [ ! -f "$run/started" ] &&
		      [ ! -f "$run/status" ]; do
			if [ $((SECONDS - booting)) -ge "$boot_limit" ]; then
				stuck=1
				break
			fi
			sleep 1
		done
		if [ "$stuck" = 1 ] && [ "$attempt" = 1 ]; then
			msg "$rel: the guest has not started its command after $boot_limit s; its console ends:"
			tail -n 5 "$run/serial.log" | sed 's/^/  | /' >&2
			msg "$rel: killing QEMU and booting once more"
			kill "$qpid" 2>/dev/null || true
			wait "$qpid" 2>/dev/null || true
			for p in "${tails[@]}"; do
				kill "$p" 2>/dev/null || true
			done
			tails=()
			rm -rf "$run/export" "$run/status" "$run/started" \
				"$run/finished" "$run/insmod.log"
			: >"$run/out"
			: >"$run/serial.log"
			continue
		fi
		set +e
		wait "$qpid"
		qrc=$?
		set -e
		qpid=
		for p in "${tails[@]}"; do
			wait "$p" 2>/dev/null || true
		done
		tails=()
		break
	done
fi
t1=$(date +%s.%N)
if [ -n "$outdir" ] && [ -d "$run/export" ]; then
	mkdir -p "$outdir"
	cp -a "$run/export/." "$outdir/"
fi

# --- verdict ---------------------------------------------------------------------

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
mtime() { stat -c '%.9Y' "$1"; }

show_serial_tail() {
	msg "last lines of the serial console:"
	tail -n "${1:-40}" "$run/serial.log" | sed 's/^/  | /' >&2
}

# A missing kernel, a bad option...: QEMU did not boot at all.
if [ ! -s "$run/serial.log" ] && [ ! -f "$run/status" ] && [ "$qrc" != 124 ]; then
	[ ! -s "$run/qemu.log" ] || sed 's/^/  | /' "$run/qemu.log" >&2
	die "$rel: QEMU failed (exit $qrc)"
fi
[ ! -s "$run/qemu.log" ] || [ "$qrc" = 124 ] || [ "$qrc" = 137 ] ||
	sed 's/^/qemu: /' "$run/qemu.log" >&2

declare -A st=()
if [ -f "$run/status" ]; then
	while IFS='=' read -r k v; do
		st[$k]=$v
	done <"$run/status"
fi

total=$(secs "$t0" "$t1")
times="$total s"
if [ -f "$run/started" ]; then
	times="$total s; boot $(secs "$t0" "$(mtime "$run/started")") s"
	[ ! -f "$run/finished" ] ||
		times="$times, command $(secs "$(mtime "$run/started")" "$(mtime "$run/finished")") s"
fi

if [ -z "${st[rc]-}" ]; then
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		msg "$rel: TIMEOUT: no result after $timeout s, QEMU killed"
		what=TIMEOUT rc=124
	else
		msg "$rel: the guest died without reporting an exit status (kernel panic?)"
		what=CRASH rc=1
	fi
	[ ! -s "$run/error" ] || sed 's/^/vm: guest: /' "$run/error" >&2
	if "$top/scripts/logscan.sh" --label "serial console" "$run/serial.log" >&2; then
		[ "$verbose" = 1 ] || show_serial_tail 50
	else
		[ "$verbose" = 1 ] || show_serial_tail 8
	fi
	msg "$rel: $what ($times)"
	exit "$rc"
fi

rc=${st[rc]-}
fail=0
notes=()

if [ "${st[insmod]-}" = fail ]; then
	msg "$rel: insmod $module${modparams:+ $modparams} failed:"
	sed 's/^/  | /' "$run/insmod.log" >&2
	fail=1
	notes+=("insmod FAILED")
fi

if [ "${st[timeout]-}" = 1 ]; then
	msg "$rel: TIMEOUT: the command was killed after running for $(secs "$(mtime "$run/started")" "$(mtime "$run/finished")") s (--timeout $timeout)"
	rc=124
	notes+=("TIMEOUT")
elif [ "${st[insmod]-}" != fail ]; then
	notes+=("exit $rc")
fi

if "$top/scripts/logscan.sh" --label dmesg "$run/dmesg" >&2; then
	notes+=("log clean")
else
	fail=1
	notes+=("kernel log DIRTY")
fi

case ${st[rmmod]-} in
ok) notes+=("rmmod ok") ;;
fail)
	msg "$rel: rmmod $(basename "$module" .ko) failed: module still in use?"
	sed 's/^/  | /' "$run/rmmod.log" >&2
	fail=1
	notes+=("rmmod FAILED")
	;;
esac

if [ "$fail" = 1 ] && [ "$rc" = 0 ]; then
	rc=1
fi
if [ "${st[insmod]-}" = fail ] && [ "$rc" != 124 ]; then
	rc=1
fi
summary=${notes[0]}
for n in "${notes[@]:1}"; do
	summary+=", $n"
done
msg "$rel: $summary ($times)"
exit "$rc"
