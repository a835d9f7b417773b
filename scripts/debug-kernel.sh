#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once per machine) the debug kernel of xtcp's third test lane: Debian's
# linux-source-6.1 configured with `make allnoconfig` plus
# scripts/debug-kernel.config (KASAN, lockdep, kmemleak, object debugging...,
# everything the QEMU guest needs built in, xtcp the only module).
#
#   scripts/debug-kernel.sh            build if needed, print the release
#   scripts/debug-kernel.sh --status   print the release if built, else exit 1
#
# The build lives in a machine-wide cache, keyed by the source package's
# version, the config fragment and this script, so that every clone of the
# project shares it:
#   $XTCP_DEBUG_CACHE (default /var/cache/xtcp when writable, else
#   ${XDG_CACHE_HOME:-~/.cache}/xtcp)/debug-kernel/KEY/
#       src/       the unpacked source
#       obj/       the build (O=), also the KDIR external modules build against
#       root/      boot/, lib/modules/RELEASE/, usr/src/linux-headers-RELEASE
#       ready      the release, written last
#       build.log, build-seconds
# and is linked into the project's kernel cache as
#   $XTCP_CACHE/kernels/RELEASE -> .../KEY/root
#   $XTCP_CACHE/kernels/debug   -> RELEASE
# so that `scripts/vm.sh --kernel debug` boots it like a Debian kernel.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${XTCP_CACHE:-$top/.cache}
# shellcheck source=scripts/kernels.conf
. "$top/scripts/kernels.conf"
fragment=$top/scripts/debug-kernel.config

die() { printf 'debug-kernel: %s\n' "$*" >&2; exit 1; }
log() { printf 'debug-kernel: %s\n' "$*" >&2; }

status_only=0
case ${1-} in
--status) status_only=1 ;;
'') ;;
*) die "usage: $0 [--status]" ;;
esac

if [ -n "${XTCP_DEBUG_CACHE-}" ]; then
	kc=$XTCP_DEBUG_CACHE
elif mkdir -p /var/cache/xtcp 2>/dev/null && [ -w /var/cache/xtcp ]; then
	kc=/var/cache/xtcp
else
	kc=${XDG_CACHE_HOME:-$HOME/.cache}/xtcp
fi

srcver=$(dpkg-query -W -f='${Version}' "$SOURCE_PKG" 2>/dev/null) ||
	die "$SOURCE_PKG is not installed: run scripts/deps.sh"
tarball=$(dpkg-query -L "$SOURCE_PKG" | grep -m1 '/usr/src/linux-source-.*\.tar\.xz$') ||
	die "no source tarball in $SOURCE_PKG"
# The script's own text is in the key (a change to how the kernel is built
# is a new kernel), and so is the compiler: external modules must be built
# with the one that built the kernel.
key=$({
	echo "$SOURCE_PKG $srcver"
	gcc --version | head -n 1
	cat "$fragment" "${BASH_SOURCE[0]}"
} | sha256sum | cut -c1-16)
dir=$kc/debug-kernel/$key

link_into_project() {
	local rel=$1
	mkdir -p "$cache/kernels"
	ln -sfn "$dir/root" "$cache/kernels/$rel"
	ln -sfn "$rel" "$cache/kernels/debug"
}

if [ -f "$dir/ready" ]; then
	rel=$(cat "$dir/ready")
	link_into_project "$rel"
	echo "$rel"
	exit 0
fi
[ "$status_only" = 0 ] || exit 1

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -f "$dir/ready" ]; then # built by a concurrent run meanwhile
	rel=$(cat "$dir/ready")
	link_into_project "$rel"
	echo "$rel"
	exit 0
fi

# KCONFIG_ALLCONFIG reads "# CONFIG_X is not set" lines too; comments are
# otherwise ignored.
kmake() { make -C "$dir/src" O="$dir/obj" "$@"; }

# Every step checked by hand: errexit does not apply inside a function
# whose caller tests its status.
build() {
	local line missing=0 rel root
	tar -xf "$tarball" -C "$dir/src" --strip-components=1 || return 1
	kmake KCONFIG_ALLCONFIG="$fragment" allnoconfig || return 1
	# Every line of the fragment must have survived: an option whose
	# dependencies are missing is silently dropped by kconfig.
	while IFS= read -r line; do
		case $line in
		CONFIG_*=* | "# CONFIG_"*" is not set") ;;
		*) continue ;;
		esac
		if ! grep -qxF -- "$line" "$dir/obj/.config"; then
			echo "debug-kernel.config: '$line' is not in the final .config"
			missing=1
		fi
	done <"$fragment"
	[ "$missing" = 0 ] || return 1
	kmake -j"$(nproc)" bzImage modules || return 1
	rel=$(kmake -s kernelrelease) && [ -n "$rel" ] || return 1
	root=$dir/root
	mkdir -p "$root/boot" "$root/usr/src" || return 1
	cp "$dir/obj/arch/x86/boot/bzImage" "$root/boot/vmlinuz-$rel" &&
		cp "$dir/obj/.config" "$root/boot/config-$rel" &&
		cp "$dir/obj/System.map" "$root/boot/System.map-$rel" || return 1
	kmake INSTALL_MOD_PATH="$root" modules_install || return 1
	# No module is built: an empty kernel/ keeps the tree the shape the
	# VM runner expects.
	mkdir -p "$root/lib/modules/$rel/kernel" || return 1
	rm -f "$root/lib/modules/$rel/build" "$root/lib/modules/$rel/source"
	ln -sfn ../../../obj "$root/usr/src/linux-headers-$rel" || return 1
	echo "$rel" >"$dir/release"
}

log "building the debug kernel from $SOURCE_PKG $srcver (key $key) in $dir"
log "this takes a while on a small machine; the log is $dir/build.log"
t0=$(date +%s)
rm -rf "$dir/src" "$dir/obj" "$dir/root" "$dir/release"
mkdir -p "$dir/src" "$dir/obj"
if ! build >"$dir/build.log" 2>&1; then
	tail -n 40 "$dir/build.log" >&2
	die "build failed (log: $dir/build.log)"
fi
rel=$(cat "$dir/release")
secs=$(($(date +%s) - t0))
echo "$secs" >"$dir/build-seconds"
echo "$rel" >"$dir/ready"
log "built $rel in $secs s"
# Other builds are stale now, unless another checkout is building or
# using one this very moment (it holds its lock while building; a run
# that only boots one is not protected: rebuild then).
for old in "$kc"/debug-kernel/*/; do
	old=${old%/}
	[ "$old" != "$dir" ] || continue
	(flock -n 8 && rm -rf "$old") 8>"$old/.lock" || true
done
link_into_project "$rel"
echo "$rel"
