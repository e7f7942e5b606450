#!/bin/sh
# Runs every test: unit tests (C) and end-to-end tests (real BPF, real
# processes). Needs root. Ends with the line "N passed, N failed, N skipped".
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

# Each unit test binary is one test; it prints its checks and ends with
# "NAME: N passed, N failed".
for t in "$BUILD"/unit/test_*; do
	[ -x "$t" ] || continue
	case "$(basename "$t")" in *"$FILTER"*) ;; *) continue ;; esac
	[ -z "${TESTS_ONLY:-}" ] || echo "unit: $(basename "$t")" | grep -Eq "$TESTS_ONLY" || continue
	echo "--- unit: $(basename "$t")"
	out=$("$t" "$BUILD/unit/fixtures" 2>&1); rc=$?
	echo "$out" | grep -v "^ok " | tail -n 20 | sed "s/^/    /"
	if [ "$rc" = 0 ] && echo "$out" | grep -Eq ": [0-9]+ passed, 0 failed$"; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1)); FAILED_NAMES="$FAILED_NAMES $(basename "$t")"
	fi
done

for f in "$TESTS"/e2e/*.sh; do
	. "$f"
done

[ -z "$FAILED_NAMES" ] || echo "failed:$FAILED_NAMES"
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" = 0 ]
'
