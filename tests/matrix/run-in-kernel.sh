#!/bin/bash
# Runs a command from the repository inside one of Debian 12's own kernels,
# booted in QEMU, and exits with its exit status.
#
# Usage: tests/matrix/run-in-kernel.sh SERIES -- CMD [ARGS...]
#   SERIES: 6.1 | 6.12 | an exact release (see fetch-kernel.sh)
#   e.g.  tests/matrix/run-in-kernel.sh 6.12 -- sh -c 'uname -r; bpftool prog list'
#
# The guest sees the host's / read-only (/tmp, /run, /root... are tmpfs
# and vanish) and the repository writable at its host path; CMD runs as root with
# the repository as cwd, LEAKSCOPE_MATRIX_KERNEL=<release>, and the host's
# MATRIX_* and LEAKSCOPE* variables. Its output is printed live and kept in
# $MATRIX_DIR/<release>.log.
#
# Environment: BUILD (default build, relative to the repository),
#   MATRIX_DIR (default $BUILD/matrix; must be inside the repository),
#   MATRIX_TIMEOUT seconds for the whole boot+run (default 1800),
#   MATRIX_MEM (4G), MATRIX_SMP (2).
# Exit status: CMD's, or 125 if the guest never reported one (a panic, a
# failed mount, the timeout), or 2 for a usage error.
set -eu

usage() { echo "usage: $0 SERIES -- CMD [ARGS...]" >&2; exit 2; }
[ $# -ge 3 ] && [ "$2" = -- ] || usage
series=$1
shift 2

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
# Kernels, initramfs and logs; MATRIX_DIR lets builds share one cache.
mdir=${MATRIX_DIR:-${BUILD:-build}/matrix}
mkdir -p "$mdir"
mdir=$(cd "$mdir" && pwd)
timeout_s=${MATRIX_TIMEOUT:-1800}

# The kernel command line carries paths split on spaces; the repository and
# the run directory must be inside the writable share.
case "$repo$mdir" in *[[:space:]]*) echo "$0: paths with spaces are not supported" >&2; exit 2 ;; esac
case "$mdir/" in "$repo"/*) ;; *)
	echo "$0: $mdir is outside $repo: the guest could not write its status there" >&2; exit 2 ;;
esac

for t in qemu-system-x86_64 busybox; do
	command -v $t >/dev/null ||
		{ echo "$0: no $t: apt-get install qemu-system-x86 busybox-static" >&2; exit 2; }
done

rel=$(sh "$here/fetch-kernel.sh" "$series" "$mdir")
kdir=$mdir/$rel
initrd=$mdir/$rel.cpio.gz
# Rebuilt when the init or the builder changed.
if [ ! -s "$initrd" ] || [ "$here/init" -nt "$initrd" ] || [ "$here/initramfs.sh" -nt "$initrd" ]; then
	sh "$here/initramfs.sh" "$kdir" "$initrd"
fi

# The command travels as a file in the share, quoted by printf %q: nothing of
# it goes through the kernel command line. One directory per run (runs may
# overlap); the log outlives it as $mdir/<release>.log.
run=$(mktemp -d "$mdir/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
{
	echo "# written by $0"
	for v in $(compgen -e | grep -E '^(MATRIX_|LEAKSCOPE)'); do
		printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'cd %q || exit 125\n' "$repo"
	printf '%q ' "$@"
	echo
} > "$run/cmd"

# TCG, not KVM: /dev/kvm here cannot boot stock kernels (see DESIGN.md).
# stdin from /dev/null: QEMU leaves the terminal alone and ^C stops it (and
# timeout --foreground keeps QEMU in our process group, where ^C lands).
# multidevs=remap: / spans several host filesystems; without it inode numbers
# could collide in the guest. sercon-port=0 keeps SeaBIOS off the console (it
# would reset the terminal); QEMU's warning about that item's name is dropped.
echo "matrix: booting $rel (timeout ${timeout_s}s)" >&2
start=$(date +%s)
timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp "${MATRIX_SMP:-2}" -m "${MATRIX_MEM:-4G}" \
	-nographic -no-reboot -nic none -fw_cfg name=etc/sercon-port,string=0 \
	-kernel "$kdir/boot/vmlinuz-$rel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet matrix.repo=$repo matrix.run=$run matrix.kernel=$kdir" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap \
	-virtfs local,path="$repo",mount_tag=repo,security_model=passthrough,multidevs=remap \
	</dev/null 2> >(grep -v 'etc/sercon-port' >&2) | tr -d '\r'
qemu_rc=${PIPESTATUS[0]}
took=$(( $(date +%s) - start ))
[ ! -f "$run/log" ] || mv "$run/log" "$mdir/$rel.log"

if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	echo "matrix: $rel: timed out after ${took}s (MATRIX_TIMEOUT=$timeout_s)" >&2
	exit 125
fi
if [ ! -s "$run/status" ]; then
	echo "matrix: $rel: the guest reported no exit status after ${took}s (panic, failed boot or timeout; see the output above)" >&2
	exit 125
fi
status=$(cat "$run/status")
echo "matrix: $rel: exit status $status after ${took}s" >&2
exit "$status"
