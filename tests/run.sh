#!/bin/sh
# Runs every test: unit tests (C) and end-to-end tests (real BPF, real
# processes). Needs root. Ends with the line "N passed, N failed".
#
# Usage: tests/run.sh BUILD_DIR [NAME_FILTER]
set -u
BUILD=$(cd "${1:-build}" && pwd)
FILTER=${2:-}
TESTS=$(cd "$(dirname "$0")" && pwd)
LEAKSCOPE=${LEAKSCOPE:-$BUILD/leakscope}
FIX=$BUILD/fixtures
export BUILD TESTS LEAKSCOPE FIX FILTER

exec bash -c '
. "$TESTS/lib.sh"

# Unit test binaries print "NAME: N passed, N failed"; add their counts.
for t in "$BUILD"/unit/test_*; do
	[ -x "$t" ] || continue
	case "$(basename "$t")" in *"$FILTER"*) ;; *) continue ;; esac
	echo "--- unit: $(basename "$t")"
	out=$("$t" "$BUILD/unit/fixtures" 2>&1); rc=$?
	echo "$out" | sed "s/^/    /"
	line=$(echo "$out" | grep -E "[0-9]+ passed, [0-9]+ failed" | tail -n 1)
	p=$(echo "$line" | sed -E "s/.* ([0-9]+) passed.*/\1/")
	f=$(echo "$line" | sed -E "s/.* ([0-9]+) failed.*/\1/")
	if [ -z "$line" ] || { [ "$rc" != 0 ] && [ "${f:-0}" = 0 ]; }; then p=0; f=1; fi
	PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
	[ "$f" = 0 ] || FAILED_NAMES="$FAILED_NAMES $(basename "$t")"
done

for f in "$TESTS"/e2e/*.sh; do
	. "$f"
done

[ -z "$FAILED_NAMES" ] || echo "failed:$FAILED_NAMES"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
'
