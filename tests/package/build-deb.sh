#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: build the Debian packages xtcp-dkms and xtcp-tools with
# Debian's own tooling (dpkg-buildpackage, debhelper, dh-dkms) from a copy
# of the tree's tracked files, then run lintian over them.
#
#   tests/package/build-deb.sh OUTDIR
#
# Leaves OUTDIR/xtcp-dkms_*.deb, OUTDIR/xtcp-tools_*.deb and the build's
# and lintian's logs (build.log, lintian.log).  Exits non-zero when the
# build fails or lintian reports an error or a warning.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: $0 OUTDIR}
version=$(sed -n '1s/^xtcp (\([^ ]*\)) .*/\1/p' "$top/debian/changelog")
src=$out/src/xtcp-$version

rm -rf "$out"
mkdir -p "$src"
# The tracked files as they are now (a package of what would be
# committed, not of build/ or .cache/); a tree without git: everything
# but those two.
tracked() {	# the tracked (and new, not ignored) files that exist, NUL-ended
	local f
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$top/$f" ] && printf '%s\0' "$f"
		done
}
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && tracked | tar --null -T - -cf -) | tar -xf - -C "$src"
else
	(cd "$top" && tar --exclude=./build --exclude=./.cache -cf - .) |
		tar -xf - -C "$src"
fi

echo "package: dpkg-buildpackage in $src"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log"
	echo "package: dpkg-buildpackage failed (log: $out/build.log)"
	exit 1
fi
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
ls -l "$out"/*.deb

echo "package: lintian"
rc=0
lintian --fail-on error,warning --display-info "$out"/*.changes \
	>"$out/lintian.log" 2>&1 || rc=$?
cat "$out/lintian.log"
if [ $rc -ne 0 ]; then
	echo "package: lintian found errors or warnings"
	exit 1
fi
echo "package: built and lintian-clean"
