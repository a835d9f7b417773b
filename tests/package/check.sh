#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installing xtcp as a user would: tests/package/check.sh (make check's
# package group).
#
#   1. make install into a staging root (DESTDIR, PREFIX=/usr, for the
#      pinned 6.1 kernel): the module under lib/modules/<release>/extra
#      and in depmod's index, the tools, the header, the man pages (which
#      render from there); make uninstall takes every file away again.
#      make dkms-install / dkms-uninstall likewise, with DKMS trees of
#      their own.
#   2. make deb: xtcp-dkms and xtcp-tools built by dpkg-buildpackage and
#      lintian-clean (no error, no warning); their contents and the DKMS
#      maintainer scripts.
#   3. The packages unpacked into a scratch root; DKMS (its own trees
#      there: --dkmstree, --sourcetree, --installtree) adds the source the
#      package ships, builds and installs xtcp.ko for each pinned kernel;
#      the module's vermagic names that kernel.
#   4. A guest boots each kernel on the module DKMS built and runs the
#      package's xtcp-run and xtcpstat (tests/package/guest.sh).
#   5. dkms remove takes the module away from every kernel again.
#
# Nothing outside the project tree is written: the host's /usr/src,
# /var/lib/dkms and /lib/modules stay as they are.  KTAP lines and
# "N passed, N failed"; exits 1 on any failure.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${XTCP_CACHE:-$top/.cache}
out=$top/build/package
kernels=${XTCP_PACKAGE_KERNELS-6.1 6.12}
version=$(sed -n '1s/^xtcp (\([^ ]*\)) .*/\1/p' "$top/debian/changelog")
# shellcheck source=../ktap.sh
. "$top/tests/ktap.sh"

# quote FILE: a log's tail, indented, after a failure
quote() {
	tail -n 30 "$1" | sed 's/^/    | /'
}

release_of() {
	readlink "$cache/kernels/$1"
}

rm -rf "$out"
mkdir -p "$out"
cd "$top" || exit 1

# ---- 1. make install / make uninstall ----
stage=$out/staging
rel=$(release_of 6.1)
files=(usr/bin/xtcpstat usr/bin/xtcp-run usr/lib/xtcp/libxtcp-run.so
       usr/include/linux/xtcp.h usr/share/man/man7/xtcp.7
       usr/share/man/man8/xtcpstat.8 usr/share/man/man1/xtcp-run.1
       "lib/modules/$rel/extra/xtcp.ko")
make -s install KVER=6.1 DESTDIR="$stage" PREFIX=/usr >"$out/install.log" 2>&1
rc=$?
missing=0
for f in "${files[@]}"; do
	[ -f "$stage/$f" ] || { echo "# not installed: $f"; missing=1; }
done
[ $rc -eq 0 ] && [ $missing -eq 0 ]
result $? "make install: module, tools, header, man pages in place"
[ $rc -eq 0 ] || quote "$out/install.log"

grep -q '^extra/xtcp.ko:' "$stage/lib/modules/$rel/modules.dep" 2>/dev/null
result $? "make install: depmod indexed extra/xtcp.ko"

warn=$(MANWIDTH=80 man --warnings -l "$stage/usr/share/man/man7/xtcp.7" 2>&1 >/dev/null)
page=$(MANWIDTH=80 man -l "$stage/usr/share/man/man7/xtcp.7" 2>/dev/null)
[ -z "$warn" ] && grep -q 'AF_XTCP' <<<"$page"
result $? "make install: the installed xtcp(7) renders without a warning"

"$stage/usr/bin/xtcpstat" --help >/dev/null 2>&1
result $? "make install: the installed xtcpstat runs"

make -s uninstall KVER=6.1 DESTDIR="$stage" PREFIX=/usr >"$out/uninstall.log" 2>&1
rc=$?
left=$(find "$stage" -type f ! -name 'modules.*' -print)
[ -n "$left" ] && sed 's/^/# left behind: /' <<<"$left"
[ $rc -eq 0 ] && [ -z "$left" ] &&
	! grep -q 'xtcp' "$stage/lib/modules/$rel/modules.dep" 2>/dev/null
result $? "make uninstall: nothing of xtcp left"

# make dkms-install / dkms-uninstall, into trees of their own (6.1)
droot=$out/dkms-install
dargs="--sourcetree $droot/usr/src --dkmstree $droot/var/lib/dkms"
dargs+=" --installtree $droot/lib/modules --no-depmod"
mkdir -p "$droot/var/lib/dkms" "$droot/lib/modules/$rel"
# twice: a second run (after an edit) builds and installs again
: >"$out/dkms-install.log"
touch -d @0 "$out/dkms-stamp"
rc=0
for i in 1 2; do
	make -s dkms-install DESTDIR="$droot" DKMS_ARGS="$dargs" \
		DKMS_KERNEL_ARGS="-k $rel --kernelsourcedir $cache/kernels/6.1/build" \
		>>"$out/dkms-install.log" 2>&1 &&
		[ "$droot/lib/modules/$rel/updates/dkms/xtcp.ko" -nt "$out/dkms-stamp" ] ||
		{ rc=1; echo "# run $i failed"; break; }
	touch "$out/dkms-stamp"	# the second run must install a new build
done
result $rc "make dkms-install, twice: DKMS built and installed xtcp.ko for $rel"
[ $rc -eq 0 ] || quote "$out/dkms-install.log"
make -s dkms-uninstall DESTDIR="$droot" DKMS_ARGS="$dargs" \
	>"$out/dkms-uninstall.log" 2>&1 &&
	[ -z "$(find "$droot" -type f -print)" ]
rc=$?
result $rc "make dkms-uninstall: the module and its source gone"
[ $rc -eq 0 ] || quote "$out/dkms-uninstall.log"

# ---- 2. make deb ----
make -s deb >"$out/deb.log" 2>&1
rc=$?
result $rc "make deb: xtcp-dkms and xtcp-tools built, lintian-clean"
[ $rc -eq 0 ] || quote "$out/deb.log"
dkms_deb=$top/build/deb/xtcp-dkms_${version}_all.deb
tools_deb=$top/build/deb/xtcp-tools_${version}_$(dpkg --print-architecture).deb
if [ ! -f "$dkms_deb" ] || [ ! -f "$tools_deb" ]; then
	result 1 "the packages to test are there" "no packages: nothing more to test"
	summary
	exit 1
fi

root=$out/root
mkdir -p "$root"
dpkg -x "$dkms_deb" "$root" && dpkg -x "$tools_deb" "$root"
result $? "the packages unpack (dpkg -x) into a scratch root"

src=$root/usr/src/xtcp-$version
grep -q "^PACKAGE_VERSION=\"$version\"" "$src/dkms.conf" 2>/dev/null &&
	[ -f "$src/Kbuild" ] && [ -f "$src/module/Kbuild" ] &&
	[ ! -e "$src/module/tests" ]
result $? "xtcp-dkms: the source and dkms.conf (version $version) in /usr/src"

dpkg-deb -I "$dkms_deb" postinst 2>/dev/null |
	grep -q 'common.postinst' &&
	dpkg-deb -f "$dkms_deb" Depends | grep -q 'dkms'
result $? "xtcp-dkms: depends on dkms, its postinst has DKMS build it"

ok=0
for f in usr/bin/xtcpstat usr/bin/xtcp-run usr/lib/xtcp/libxtcp-run.so \
	 usr/include/linux/xtcp.h usr/share/man/man7/xtcp.7.gz \
	 usr/share/man/man8/xtcpstat.8.gz usr/share/man/man1/xtcp-run.1.gz; do
	[ -f "$root/$f" ] || { echo "# xtcp-tools lacks $f"; ok=1; }
done
dpkg-deb -c "$tools_deb" | grep -q ' \./usr/src/' && ok=1
result $ok "xtcp-tools: tools, library, header and man pages; no module source"

# ---- 3. DKMS, for each pinned kernel ----
dtree=(--dkmstree "$root/var/lib/dkms" --sourcetree "$root/usr/src"
       --installtree "$root/lib/modules")
mkdir -p "$root/var/lib/dkms"
dkms add -m xtcp -v "$version" "${dtree[@]}" >"$out/dkms-add.log" 2>&1
rc=$?
result $rc "dkms add: the package's source"
[ $rc -eq 0 ] || quote "$out/dkms-add.log"

kos=()
for k in $kernels; do
	rel=$(release_of "$k")
	kdir=$cache/kernels/$k/build
	ko=$root/lib/modules/$rel/updates/dkms/xtcp.ko
	log=$out/dkms-$k.log
	mkdir -p "$root/lib/modules/$rel"
	{
		dkms build -m xtcp -v "$version" -k "$rel" \
			--kernelsourcedir "$kdir" "${dtree[@]}" &&
		dkms install -m xtcp -v "$version" -k "$rel" --no-depmod \
			--kernelsourcedir "$kdir" "${dtree[@]}" &&
		depmod -b "$root" "$rel"
	} >"$log" 2>&1
	rc=$?
	magic=$(modinfo -F vermagic "$ko" 2>/dev/null)
	echo "# $rel: vermagic ${magic:-none}"
	[ $rc -eq 0 ] && [ "${magic%% *}" = "$rel" ] &&
		grep -q '^updates/dkms/xtcp.ko:' "$root/lib/modules/$rel/modules.dep"
	rc=$?
	result $rc "dkms build, install: xtcp.ko for $rel"
	if [ $rc -eq 0 ]; then
		kos+=("$k:$ko")
	else
		quote "$log"
	fi
done

# ---- 4. a guest on each DKMS-built module ----
for k in $kernels; do
	ko=
	for e in "${kos[@]}"; do
		[ "${e%%:*}" = "$k" ] && ko=${e#*:}
	done
	if [ -z "$ko" ]; then
		result 1 "guest $k on the DKMS-built module (not built)"
		continue
	fi
	"$top/scripts/vm.sh" --kernel "$k" --module "$ko" --timeout 600 -- \
		"$top/tests/package/guest.sh" "$root" "$ko" >"$out/guest-$k.log" 2>&1
	rc=$?
	sed -n 's/^\(\(not \)\{0,1\}ok [0-9]* .*\)$/# guest: \1/p' "$out/guest-$k.log"
	result $rc "guest $k on the DKMS-built module: xtcp-run, xtcpstat, log clean"
	[ $rc -eq 0 ] || quote "$out/guest-$k.log"
done

# ---- 5. dkms remove ----
dkms remove -m xtcp -v "$version" --all --no-depmod "${dtree[@]}" \
	>"$out/dkms-remove.log" 2>&1
rc=$?
left=$(find "$root/lib/modules" -name 'xtcp.ko*' -print)
[ -n "$left" ] && sed 's/^/# left behind: /' <<<"$left"
[ $rc -eq 0 ] && [ -z "$left" ] && [ ! -e "$root/var/lib/dkms/xtcp" ]
result $? "dkms remove --all: the module gone from every kernel"

summary
