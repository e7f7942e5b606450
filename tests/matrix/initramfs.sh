#!/bin/sh
# Builds the guest's initramfs for one fetched kernel: static busybox with its
# applet links, the init next to this script, and the modules that 9p and
# overlayfs need (they are modules, not built in, in Debian's kernels).
#
# Usage: tests/matrix/initramfs.sh RELEASE_DIR OUT.cpio.gz
#   RELEASE_DIR: OUTDIR/<release> as left by fetch-kernel.sh
set -eu

[ $# = 2 ] || { echo "usage: $0 RELEASE_DIR OUT.cpio.gz" >&2; exit 2; }
dir=$(cd "$1" && pwd)
rel=$(basename "$dir")
out=$2
here=$(cd "$(dirname "$0")" && pwd)
# busybox-static's; the dynamic busybox package has the same path, so check.
bb=/bin/busybox
! ldd "$bb" >/dev/null 2>&1 ||
	{ echo "$0: $bb is not static: apt-get install busybox-static" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/modules" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/newroot"
cp "$bb" "$tmp/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -s busybox "$tmp/bin/$a"
done
cp "$here/init" "$tmp/init"
chmod 755 "$tmp/init"

# The dependency closure in load order (--show-depends prints dependencies
# first; a module shared by two is printed twice, so keep first sightings).
# Built-in ones print "builtin NAME" and are skipped. The NN- prefix keeps
# the order for the init's glob.
n=10
modprobe -d "$dir" -S "$rel" --show-depends -a virtio_pci 9pnet_virtio 9p overlay |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' > "$tmp/list"
while read -r ko; do
	name=$(basename "$ko"); name=${name%.xz}; name=${name%.zst}
	# busybox insmod cannot read compressed modules (6.12's are .ko.xz).
	case "$ko" in
	*.xz)  xz -dc "$ko" ;;
	*.zst) zstd -qdc "$ko" ;;
	*)     cat "$ko" ;;
	esac > "$tmp/modules/$n-$name"
	n=$((n + 1))
done < "$tmp/list"
rm "$tmp/list"
[ "$n" -gt 10 ] || { echo "$0: no modules found for $rel" >&2; exit 1; }

(cd "$tmp" && find . | "$bb" cpio -o -H newc 2>/dev/null) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
