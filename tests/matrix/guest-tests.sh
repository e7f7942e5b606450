#!/bin/sh
# What `make matrix` runs inside each kernel (through run-in-kernel.sh, with
# the repository as cwd): which kernel and features this is, then the tests
# named by the extended regex MATRIX_TESTS (code runs ~20x slower under TCG,
# so a subset). Ends with the runner's "N passed, N failed" and its status;
# failed tests' scratch directories are copied to $BUILD/matrix-kept/<release>/.
#
# Usage: sh tests/matrix/guest-tests.sh BUILD
set -eu
BUILD=${1:-build}

echo "kernel: $(uname -r)"
"$BUILD/leakscope" --version || true
bpftool feature probe kernel 2>/dev/null | grep -E 'uprobe|bpf_loop|find_vma' | sort -u || true

if [ -z "${MATRIX_TESTS:-}" ]; then
	echo "MATRIX_TESTS is empty: no tests run"
	echo "0 passed, 0 failed"
	exit 0
fi
kept=$BUILD/matrix-kept/${LEAKSCOPE_MATRIX_KERNEL:-$(uname -r)}
rm -rf "$kept"
rc=0
TESTS_ONLY="$MATRIX_TESTS" sh tests/run.sh "$BUILD" || rc=$?
# The guest's /tmp dies with it: keep failed tests' scratch directories (the
# runner's "(kept /tmp/...)") in $BUILD/matrix-kept/<release>/. Silently, so
# that the runner's line stays the last one.
if ls -d /tmp/leakscope-test.* >/dev/null 2>&1; then
	mkdir -p "$kept" && cp -a /tmp/leakscope-test.* "$kept"/ 2>/dev/null || true
fi
exit "$rc"
