#!/bin/sh
# Fetches the newest Debian 12 kernel of a series without installing it:
# apt-get download + dpkg-deb -x + depmod -b, into OUTDIR/<release>/
# (boot/vmlinuz-<release>, lib/modules/<release>/). Prints the release.
#
# Usage: tests/matrix/fetch-kernel.sh SERIES OUTDIR
#   SERIES: 6.1 | 6.12 | an exact release such as 6.1.0-57-amd64 (to pin one)
#
# Only the plain -amd64 flavour: -cloud-amd64 has no 9p, -rt is another kernel.
# apt's index is assumed fresh (the caller ran apt-get update); if it knows no
# package of the series, it is updated once.
set -eu

[ $# = 2 ] || { echo "usage: $0 SERIES OUTDIR" >&2; exit 2; }
series=$1
mkdir -p "$2"
out=$(cd "$2" && pwd)

case "$series" in
6.1)  re='^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
6.12) re='^linux-image-6\.12\.[0-9]+\+deb12-amd64$' ;;
*-amd64) re="^linux-image-$(printf %s "$series" | sed 's/[.+]/\\&/g')\$" ;;
*) echo "$0: unknown series '$series' (6.1, 6.12 or an exact release)" >&2; exit 2 ;;
esac

newest() {
	# apt-cache search matches names by regex; sort -V puts -57 after -9.
	apt-cache search --names-only "$re" | awk '{ print $1 }' | sort -V | tail -n 1
}

pkg=$(newest)
if [ -z "$pkg" ]; then
	# An offline rerun with the kernel already here needs no index at all.
	cached=$(ls -d "$out"/*/.done 2>/dev/null | sed 's#/\.done$##; s#.*/##' |
		grep -E "^${re#^linux-image-}" | sort -V | tail -n 1 || true)
	if [ -n "$cached" ]; then echo "$cached"; exit 0; fi
	apt-get update -qq >&2
	pkg=$(newest)
fi
[ -n "$pkg" ] || { echo "$0: apt knows no package matching $re" >&2; exit 1; }
rel=${pkg#linux-image-}
dir=$out/$rel

# .done is written last: a half-finished fetch is redone, not trusted.
if [ ! -e "$dir/.done" ]; then
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	# apt-get download writes into the cwd; as root it warns that _apt cannot
	# read the directory (harmless), so its chatter goes to stderr.
	(cd "$dir.tmp" && apt-get download -q "$pkg" >&2)
	dpkg-deb -x "$dir.tmp"/*.deb "$dir.tmp"
	rm -f "$dir.tmp"/*.deb
	[ -f "$dir.tmp/boot/vmlinuz-$rel" ] || { echo "$0: no boot/vmlinuz-$rel in $pkg" >&2; exit 1; }
	# usrmerge-style packages put modules under usr/lib; depmod -b wants lib/.
	if [ ! -d "$dir.tmp/lib/modules/$rel" ] && [ -d "$dir.tmp/usr/lib/modules/$rel" ]; then
		ln -s usr/lib "$dir.tmp/lib"
	fi
	depmod -b "$dir.tmp" "$rel"
	mv "$dir.tmp" "$dir"
	touch "$dir/.done"
fi
echo "$rel"
