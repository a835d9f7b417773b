#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs the xtcp test VM boots (see scripts/vm.sh).
#
#   scripts/mkinitramfs.sh [-f] RELEASE
#
# RELEASE is a kernel unpacked by scripts/deps.sh under $XTCP_CACHE/kernels/.
# Prints two paths on stdout: the gzip'ed newc cpio archive
# (build/vm/RELEASE/initramfs.cpio.gz) and the kernel image to boot
# (build/vm/RELEASE/vmlinux, see below, or the bzImage).
# It holds the static busybox with its applet links, /init (a copy of
# scripts/guest-init.sh) and the few modules the guest needs before the
# host's root filesystem is reachable: virtio-pci and 9p with whatever they
# depend on, plus veth, sch_netem and tun.  Modules built into the kernel are
# skipped; compressed ones (.ko.xz, .ko.zst) are stored decompressed so that
# busybox insmod can load them.  The load order is computed here, from a
# modules.dep generated with depmod.
#
# That depmod tree (build/vm/RELEASE/modroot/lib/modules/RELEASE, whose
# kernel/ is a link to the unpacked modules) is also bind-mounted over
# /lib/modules in the guest so that modprobe and the kernel's module
# autoloading work there for every module of the release.
#
# The archive is rebuilt only when one of its inputs changed (or with -f).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${XTCP_CACHE:-$top/.cache}
busybox=${XTCP_BUSYBOX:-/bin/busybox}

# Modules wanted in the initramfs, in no particular order: dependencies are
# added from modules.dep.
want_modules=(virtio virtio_ring virtio_pci 9pnet 9pnet_virtio 9p veth sch_netem tun)

die() { printf 'mkinitramfs: %s\n' "$*" >&2; exit 1; }
log() { printf 'mkinitramfs: %s\n' "$*" >&2; }

force=0
if [ "${1-}" = -f ]; then
	force=1
	shift
fi
[ $# -eq 1 ] || die "usage: $0 [-f] RELEASE"
rel=$1

kdir=$cache/kernels/$rel
kmods=$kdir/lib/modules/$rel
[ -d "$kmods/kernel" ] || die "no kernel $rel under $cache/kernels: run scripts/deps.sh"
[ -x "$busybox" ] || die "$busybox not found: install busybox-static (scripts/deps.sh host)"
command -v depmod >/dev/null || die "depmod not found: install kmod"
command -v cpio >/dev/null || die "cpio not found: install cpio"

out=$top/build/vm/$rel
mkdir -p "$out"

# Concurrent runs share the output: build it under a lock.
exec 9>"$out/.lock"
flock 9

# --- depmod tree -----------------------------------------------------------

modroot=$out/modroot
moddir=$modroot/lib/modules/$rel

# Regenerate when the kernel's module list changed or the link went stale
# (the cache may have moved).
# (stat what exists: a tree without modules.order still gets its modules.dep)
depmod_stamp() {
	local f
	printf '%s\n' "$kmods"
	for f in modules.order modules.builtin; do
		if [ -f "$kmods/$f" ]; then
			stat -c '%n %s %Y' "$kmods/$f"
		fi
	done
}
if [ ! -f "$moddir/modules.dep" ] || [ ! -f "$moddir/.stamp" ] ||
	[ "$(cat "$moddir/.stamp")" != "$(depmod_stamp)" ]; then
	log "$rel: generating modules.dep"
	rm -rf "$modroot"
	mkdir -p "$moddir"
	ln -s "$kmods/kernel" "$moddir/kernel"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		if [ -f "$kmods/$f" ]; then
			cp "$kmods/$f" "$moddir/"
		fi
	done
	depmod -b "$modroot" "$rel"
	depmod_stamp >"$moddir/.stamp"
fi

# --- kernel image --------------------------------------------------------------

# QEMU boots an ELF vmlinux with a PVH entry point directly, skipping the
# firmware's real-mode boot and the decompressor, both slow under TCG (about
# 4 s).  Extract it from the bzImage: the compressed payload's place is in
# the setup header.
bzimage=$kdir/boot/vmlinuz-$rel
vmlinux=$out/vmlinux
le() { od -An -tu"$2" -j "$1" -N "$2" "$bzimage" | tr -d ' '; }
extract_vmlinux() {
	local setup_sects off len magic
	setup_sects=$(le 497 1)
	[ "$setup_sects" != 0 ] || setup_sects=4
	off=$(((setup_sects + 1) * 512 + $(le 584 4)))
	len=$(le 588 4)
	magic=$(od -An -tx1 -j "$off" -N 4 "$bzimage" | tr -d ' ')
	local unpack
	# kbuild appends the decompressed size (4 bytes) to an xz or zstd
	# payload, which the decompressor would read as garbage; a gzip
	# stream ends with its own size, part of the stream.
	case $magic in
	fd377a58) unpack=(xz -dc) len=$((len - 4)) ;;
	28b52ffd) unpack=(zstd -qdc) len=$((len - 4)) ;;
	1f8b*) unpack=(gzip -dc) ;;
	*) return 1 ;;
	esac
	# Everything from the payload on, minus what follows it (head reads
	# all of its input: no SIGPIPE for tail).
	tail -c +$((off + 1)) "$bzimage" | head -c -$(($(stat -c %s "$bzimage") - off - len)) |
		"${unpack[@]}" >"$vmlinux.tmp" &&
		[ "$(od -An -tx1 -N 4 "$vmlinux.tmp" | tr -d ' ')" = 7f454c46 ]
}
# Not with KASAN: the PVH entry code (xen_prepare_pvh) is instrumented in
# 6.1 and touches its shadow before there is one, a triple fault at once
# (the debug lane's kernel; it boots the bzImage).
kconfig=$kdir/boot/config-$rel
if grep -qx 'CONFIG_PVH=y' "$kconfig" 2>/dev/null &&
   ! grep -qx 'CONFIG_KASAN=y' "$kconfig"; then
	if [ ! -f "$vmlinux" ] || [ "$bzimage" -nt "$vmlinux" ]; then
		log "$rel: extracting vmlinux for a PVH boot"
		if extract_vmlinux; then
			mv "$vmlinux.tmp" "$vmlinux"
		else
			rm -f "$vmlinux.tmp" "$vmlinux"
			log "$rel: cannot extract vmlinux, booting the bzImage"
		fi
	fi
else
	rm -f "$vmlinux"
fi
kernel_image=$bzimage
[ ! -f "$vmlinux" ] || kernel_image=$vmlinux

# --- up to date? ---------------------------------------------------------------

img=$out/initramfs.cpio.gz
stamp=$(
	{
		sha256sum "$top/scripts/mkinitramfs.sh" "$top/scripts/guest-init.sh"
		stat -L -c '%n %s %Y' "$busybox"
		cat "$moddir/.stamp"
		printf '%s\n' "${want_modules[@]}"
	} | sha256sum | cut -d' ' -f1
)
if [ "$force" = 0 ] && [ -f "$img" ] && [ -f "$img.stamp" ] &&
	[ "$(cat "$img.stamp")" = "$stamp" ]; then
	printf '%s\n' "$img" "$kernel_image"
	exit 0
fi

# --- module load order -------------------------------------------------------

# Wanted modules and their dependencies, each after what it needs.  Names
# match file names with '-' read as '_'; built-in modules are left out.
mapfile -t order < <(
	awk -v want="${want_modules[*]}" '
	function name(p) {
		sub(/.*\//, "", p)
		sub(/\.ko.*/, "", p)
		gsub(/-/, "_", p)
		return p
	}
	function add(p,    i, n, d) {
		if (p in seen)
			return
		seen[p] = 1
		n = split(deps[p], d, " ")
		for (i = 1; i <= n; i++)
			add(d[i])
		print p
	}
	FILENAME ~ /modules\.builtin$/ { builtin[name($0)] = 1; next }
	{
		p = $0
		sub(/:.*/, "", p)
		d = $0
		sub(/^[^:]*:/, "", d)
		deps[p] = d
		path[name(p)] = p
	}
	END {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++) {
			m = w[i]
			gsub(/-/, "_", m)
			if (m in path)
				add(path[m])
			else if (!(m in builtin))
				print "?" m
		}
	}' "$moddir/modules.builtin" "$moddir/modules.dep"
)
for p in "${order[@]}"; do
	case $p in
	\?*) die "$rel: module ${p#?} is neither built in nor in modules.dep" ;;
	esac
done

# --- build ---------------------------------------------------------------------

log "$rel: building $img"
stage=$(mktemp -d "$out/initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,newroot,etc}
cp "$busybox" "$stage/bin/busybox"
"$busybox" --list-full | while IFS= read -r applet; do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
install -m 0755 "$top/scripts/guest-init.sh" "$stage/init"

# Modules go under their usual relative path, decompressed; etc/modules
# lists them in load order.
for p in "${order[@]}"; do
	dst=$stage/lib/modules/$rel/${p%.xz}
	dst=${dst%.zst}
	mkdir -p "$(dirname "$dst")"
	case $p in
	*.ko.xz) xz -dc "$moddir/$p" >"$dst" ;;
	*.ko.zst) zstd -qdc "$moddir/$p" >"$dst" ;;
	*.ko) cp "$moddir/$p" "$dst" ;;
	*) die "unexpected module file $p" ;;
	esac
	printf '/lib/modules/%s/%s\n' "$rel" "${dst#"$stage/lib/modules/$rel/"}" >>"$stage/etc/modules"
done
touch "$stage/etc/modules"
printf '%s\n' "$rel" >"$stage/etc/xtcp-release"

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0) | gzip -6 >"$img.tmp"
mv "$img.tmp" "$img"
printf '%s\n' "$stamp" >"$img.stamp"
printf '%s\n' "$img" "$kernel_image"
