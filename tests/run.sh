#!/bin/sh
# Runs every test: unit tests (C) and end-to-end tests (real BPF, real
# processes). Needs root. Ends with the line "N passed, N failed", after a
# line naming the tests skipped, if any; exits 0 only when none failed and at
# least one ran.
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

# Each unit test (tests/unit/test_*.c, built into $BUILD/unit/) is one test;
# it prints its checks and ends with "NAME: N passed, N failed". A source
# without its binary fails, and so does a binary that checked nothing.
for src in "$TESTS"/unit/test_*.c; do
	name=$(basename "$src" .c)
	t=$BUILD/unit/$name
	case "$name" in *"$FILTER"*) ;; *) continue ;; esac
	[ -z "${TESTS_ONLY:-}" ] || [[ "unit: $name" =~ $TESTS_ONLY ]] || continue
	echo "--- unit: $name"
	if [ ! -x "$t" ]; then
		echo "    FAIL: no binary $t (make unit)"
		FAILED=$((FAILED + 1)); FAILED_NAMES="$FAILED_NAMES $name"
		continue
	fi
	out=$("$t" "$BUILD/unit/fixtures" 2>&1); rc=$?
	echo "$out" | grep -v "^ok " | tail -n 20 | sed "s/^/    /"
	if [ "$rc" = 0 ] && echo "$out" | grep -Eq ": [1-9][0-9]* passed, 0 failed$"; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1)); FAILED_NAMES="$FAILED_NAMES $name"
	fi
done

for f in "$TESTS"/e2e/*.sh; do
	. "$f"
done

[ -z "$FAILED_NAMES" ] || echo "failed:$FAILED_NAMES"
[ "$SKIPPED" = 0 ] || echo "$SKIPPED skipped (not run here, not passed):${SKIPPED_NAMES:-}"
# a filter that matched nothing ran nothing: that is no pass
[ $((PASSED + FAILED)) -gt 0 ] ||
	echo "no test ran (name filter \"$FILTER\", TESTS_ONLY \"${TESTS_ONLY:-}\")"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ] && [ "$PASSED" -gt 0 ]
'
