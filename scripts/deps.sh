#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything xtcp needs to build and test, from Debian's archive only.
# Idempotent: when everything is present it prints nothing and exits 0.
#
#   scripts/deps.sh            host packages + both pinned kernels + kselftest bits
#   scripts/deps.sh host       host packages only
#   scripts/deps.sh resolve    print which kernels would be used, fetch nothing
#
# A pinned kernel that has left the archive falls back, with a WARNING on
# every run, to the newest of its series (scripts/kernels.conf).
#
# Kernels are not installed into the host: their headers, kbuild tools and
# unsigned images are fetched with `apt-get download` and unpacked under
# $XTCP_CACHE (default: .cache/ in the source tree, ignored by git).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XTCP_CACHE:-$top/.cache}
# XTCP_KERNELS_CONF: another pin file (the fallback's test uses one).
# shellcheck source=kernels.conf
. "${XTCP_KERNELS_CONF:-$top/scripts/kernels.conf}"

log() { printf 'deps: %s\n' "$*" >&2; }

# Debian packages the build, the checks and the VM runner use.
host_pkgs=(
	make gcc libc6-dev bc bison flex libelf-dev dwarves  # kbuild for external modules
	sparse perl                                           # C=1, checkpatch.pl
	clang libclang-rt-14-dev                              # make fuzz (libFuzzer)
	qemu-system-x86 busybox-static cpio kmod xz-utils zstd # the VM runner
	iproute2 coreutils python3 curl                       # run inside the guest from the host root
	ethtool                                               # device offloads: selftests/xtcp_offload.c
	graphviz                                              # dot: xtcpstat --diagram's tests
	trace-cmd                                             # the tracepoints read by trace-cmd
	lcov                                                  # make coverage
	man-db groff-base                                     # the man pages: tests/man/check.sh
	tcpdump tshark                                        # captures decoded: selftests/xtcp_pcap.sh, make demo
	redis-server redis-tools iperf3 socat nginx wrk       # real programs: selftests/xtcp_apps.sh
	dkms dh-dkms debhelper dpkg-dev fakeroot lintian      # packages: tests/package/check.sh
	"$SOURCE_PKG"                                         # kselftest harness, lib.mk, checkpatch
)

apt_updated=0
apt_update_once() {
	if [ "$apt_updated" = 0 ]; then
		log "apt-get update"
		apt-get update -qq >/dev/null
		apt_updated=1
	fi
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		log "missing packages need root: run 'sudo $0' once"
		exit 1
	fi
}

install_host() {
	local missing=() p
	for p in "${host_pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	need_root
	apt_update_once
	log "installing ${missing[*]}"
	# Servers among them (redis-server) must not be started on this
	# machine by their postinst: a policy-rc.d that says no, for the
	# install only, unless the machine has one of its own.
	local policy=/usr/sbin/policy-rc.d own=1
	if [ ! -e $policy ]; then
		own=0
		printf '#!/bin/sh\nexit 101\n' >$policy
		chmod 755 $policy
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
	local rc=$?
	[ $own = 1 ] || rm -f $policy
	return $rc
}

# image_version RELEASE: the archive's newest version of RELEASE's unsigned
# image package, or nothing when the archive no longer has it.
image_version() {
	apt-cache madison "linux-image-$1-unsigned" 2>/dev/null |
		awk 'NR == 1 { print $3 }'
}

# resolve_kernel NAME RELEASE VERSION SERIES: print "RELEASE VERSION" of the
# kernel to use: the pin when the archive still has it, else (with a
# WARNING) the newest release whose name matches SERIES.  An already
# fetched pin needs no archive at all.
resolve_kernel() {
	local name=$1 rel=$2 ver=$3 series=$4
	local stamp=$cache/kernels/$rel/.xtcp-ready pkg best='' bestver='' v

	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver" ]; then
		echo "$rel $ver"
		return 0
	fi
	if ! apt-cache madison "linux-image-$rel-unsigned" 2>/dev/null |
		awk -v v="$ver" '$3 == v { f = 1 } END { exit !f }'; then
		apt_update_once
	fi
	if apt-cache madison "linux-image-$rel-unsigned" 2>/dev/null |
		awk -v v="$ver" '$3 == v { f = 1 } END { exit !f }'; then
		echo "$rel $ver"
		return 0
	fi
	for pkg in $(apt-cache search --names-only "^linux-image-$series-unsigned\$" |
		awk '{ print $1 }'); do
		pkg=${pkg#linux-image-}
		pkg=${pkg%-unsigned}
		v=$(image_version "$pkg")
		[ -n "$v" ] || continue
		if [ -z "$bestver" ] || dpkg --compare-versions "$v" gt "$bestver"; then
			best=$pkg bestver=$v
		fi
	done
	if [ -z "$best" ]; then
		log "ERROR: the pinned $name kernel $rel ($ver) is not in the archive"
		log "ERROR: and no kernel matches '$series': update scripts/kernels.conf"
		return 1
	fi
	log "WARNING: the pinned $name kernel $rel ($ver) is not in Debian's archive"
	log "WARNING: falling back to the newest of its series, $best ($bestver);"
	log "WARNING: move the pin in scripts/kernels.conf to it"
	echo "$best $bestver"
}

# fetch_kernel RELEASE VERSION KBUILD_PKG
# Leaves $cache/kernels/RELEASE/ with usr/src/linux-headers-RELEASE (a KDIR),
# boot/vmlinuz-RELEASE and lib/modules/RELEASE.
fetch_kernel() {
	local rel=$1 ver=$2 kbuild=$3
	local dir=$cache/kernels/$rel stamp=$cache/kernels/$rel/.xtcp-ready
	local common=${rel%-amd64}-common
	local debs=$cache/debs/$rel

	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver" ]; then
		return 0
	fi
	log "fetching Debian kernel $rel ($ver)"
	rm -rf "$dir" "$debs"
	mkdir -p "$dir" "$debs"
	local pkgs=(
		"linux-headers-$rel=$ver"
		"linux-headers-$common=$ver"
		"linux-image-$rel-unsigned=$ver"
	)
	if ! (cd "$debs" && apt-get download -q "${pkgs[@]}" >/dev/null 2>&1); then
		apt_update_once
		(cd "$debs" && apt-get download -q "${pkgs[@]}" >/dev/null 2>&1) || {
			log "cannot download ${pkgs[*]}: is the pin in scripts/kernels.conf still in the archive?"
			exit 1
		}
	fi
	# The kbuild tools (fixdep, modpost): 6.12's are one package per
	# release (linux-kbuild-6.12.118+deb12), 6.1's one package for the
	# series that each Debian update replaces, so the exact version
	# disappears from the archive first.  Any build of the same upstream
	# series works for external modules: take the release's own package
	# or the pinned one at this version if there, else the archive's
	# current one of the same upstream version, and say so.
	if apt-cache show "linux-kbuild-${rel%-amd64}" >/dev/null 2>&1; then
		kbuild=linux-kbuild-${rel%-amd64}
	fi
	if ! (cd "$debs" && apt-get download -q "$kbuild=$ver" >/dev/null 2>&1); then
		apt_update_once
		local kver
		kver=$(apt-cache madison "$kbuild" | awk -v up="${ver%%-*}" \
			'index($3, up "-") == 1 { print $3; exit }')
		if [ -z "$kver" ] ||
			! (cd "$debs" && apt-get download -q "$kbuild=$kver" >/dev/null 2>&1); then
			log "cannot download $kbuild for ${ver%%-*}: update scripts/kernels.conf"
			exit 1
		fi
		log "$kbuild=$ver is gone from the archive; using $kver"
	fi
	local deb
	for deb in "$debs"/*.deb; do
		dpkg-deb -x "$deb" "$dir"
	done
	# The arch headers include the common ones by absolute path; point them
	# at our unpacked copy instead of /usr/src.
	sed -i "s|include /usr/src/|include $dir/usr/src/|" \
		"$dir/usr/src/linux-headers-$rel/Makefile"
	rm -rf "$debs"
	echo "$ver" >"$stamp"
}

# kernel NAME RELEASE VERSION KBUILD SERIES: resolve, fetch, and link the
# result as $cache/kernels/NAME, with NAME/build its KDIR.  Everything
# else (make, check.sh, vm.sh) finds the kernel through that link.
kernel() {
	local name=$1 got rel ver
	got=$(resolve_kernel "$name" "$2" "$3" "$5") || exit 1
	read -r rel ver <<<"$got"
	fetch_kernel "$rel" "$ver" "$4"
	ln -sfn "usr/src/linux-headers-$rel" "$cache/kernels/$rel/build"
	ln -sfn "$rel" "$cache/kernels/$name"
}

# The few files of the kernel tree the project uses, copied out of the
# linux-source tarball: the kselftest harness and lib.mk, checkpatch.pl.
fetch_ksft() {
	local out=$cache/ksft stamp=$cache/ksft/.xtcp-ready
	local tarball ver
	ver=$(dpkg-query -W -f='${Version}' "$SOURCE_PKG")
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver" ]; then
		return 0
	fi
	tarball=/usr/src/$SOURCE_PKG.tar.xz
	log "extracting kselftest and checkpatch files from $tarball"
	rm -rf "$out"
	mkdir -p "$out"
	local d=$SOURCE_PKG
	tar -C "$out" --strip-components=1 -xJf "$tarball" \
		"$d/tools/testing/selftests/kselftest_harness.h" \
		"$d/tools/testing/selftests/kselftest.h" \
		"$d/tools/testing/selftests/lib.mk" \
		"$d/tools/testing/selftests/kselftest" \
		"$d/tools/testing/selftests/run_kselftest.sh" \
		"$d/scripts/checkpatch.pl" \
		"$d/scripts/spelling.txt" \
		"$d/scripts/const_structs.checkpatch" \
		"$d/scripts/subarch.include"
	echo "$ver" >"$stamp"
}

case ${1:-all} in
host)
	install_host
	exit 0
	;;
resolve)
	# What would be fetched, without fetching: "NAME RELEASE VERSION".
	printf '6.1 %s\n' "$(resolve_kernel 6.1 "$K61_RELEASE" "$K61_VERSION" "$K61_SERIES")"
	printf '6.12 %s\n' "$(resolve_kernel 6.12 "$K612_RELEASE" "$K612_VERSION" "$K612_SERIES")"
	exit 0
	;;
all) ;;
*)
	log "usage: $0 [host|resolve]"
	exit 2
	;;
esac
install_host
mkdir -p "$cache/kernels"
kernel 6.1 "$K61_RELEASE" "$K61_VERSION" "$K61_KBUILD" "$K61_SERIES"
kernel 6.12 "$K612_RELEASE" "$K612_VERSION" "$K612_KBUILD" "$K612_SERIES"
fetch_ksft
