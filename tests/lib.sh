# Test helpers, sourced by tests/run.sh and every tests/e2e/*.sh.
#
# A test is a shell function run by `run_test NAME FUNCTION`; it fails when
# any `expect*` in it fails. Each test gets a scratch directory in $T.

PASSED=${PASSED:-0}
FAILED=${FAILED:-0}
SKIPPED=${SKIPPED:-0}
FAILED_NAMES=${FAILED_NAMES:-}

fail() {
	echo "    FAIL: $*"
	TEST_OK=0
}

# skip WHY: the test cannot run here (e.g. no npm, no network); it is
# counted as skipped, said with WHY, never a pass. The test returns after it.
skip() {
	TEST_SKIP=$*
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	if [ "$2" != "$3" ]; then
		fail "$1: expected '$2', got '$3'"
	fi
}

# expect_match WHAT REGEX FILE: some line of FILE matches the extended regex
expect_match() {
	if ! grep -Eq -- "$2" "$3"; then
		fail "$1: no line of $(basename "$3") matches /$2/"
	fi
}

# expect_no_match WHAT REGEX FILE: FILE exists and no line of it matches
# (a missing or unreadable file is no evidence of absence: it fails)
expect_no_match() {
	local rc
	grep -Eq -- "$2" "$3" 2>/dev/null
	rc=$?
	if [ "$rc" = 0 ]; then
		fail "$1: a line of $(basename "$3") matches /$2/: $(grep -E -m1 -- "$2" "$3")"
	elif [ "$rc" != 1 ]; then
		fail "$1: cannot read $3"
	fi
}

# folded_value FILE TAIL: the summed value of the folded lines whose stack
# ends with TAIL (frames root-first, ';'-separated), e.g. "main;leak_malloc;malloc"
folded_value() {
	awk -v tail="$2" '{
		v = $NF; s = $0; sub(/ [0-9]+$/, "", s)
		n = length(tail)
		if (substr(s, length(s) - n + 1) == tail && (length(s) == n || substr(s, length(s) - n, 1) == ";"))
			sum += v
	} END { print sum + 0 }' "$1"
}

# expect_folded FILE TAIL VALUE
expect_folded() {
	expect_eq "value at ...;$2" "$3" "$(folded_value "$1" "$2")"
}

# wait_for FILE REGEX [SECONDS]: until a line of FILE matches (default 10 s)
wait_for() {
	local i=0 limit=$(( ${3:-10} * 20 ))
	while ! grep -Eq -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge $limit ]; then
			fail "timed out waiting for /$2/ in $(basename "$1")"
			return 1
		fi
		sleep 0.05
	done
}

# wait_until SECONDS WHAT COMMAND...: until COMMAND succeeds, polled every
# 50 ms; fails the test with WHAT after SECONDS
wait_until() {
	local limit=$(($1 * 20)) what=$2 i=0
	shift 2
	until "$@"; do
		i=$((i + 1))
		if [ $i -ge $limit ]; then
			fail "timed out waiting for $what"
			return 1
		fi
		sleep 0.05
	done
}

# report_when_leaked OUT ERR ARGS...: leakscope ARGS (options, then -- and
# a fixture that prints "leaked" and holds what it leaked a while) with its
# stdout in OUT and stderr in ERR; the report is asked for (SIGINT) once the
# fixture has said it leaked. The system calls and probes were seen as they
# happened: nothing is left to wait for, on a fast machine or in a slow
# emulated kernel. LS_RC is leakscope's exit code.
report_when_leaked() {
	local out=$1 err=$2 ls
	shift 2
	# emptied here: the background job's redirection may come after the
	# first look, which would find an earlier run's "leaked"
	: >"$out"
	: >"$err"
	"$LEAKSCOPE" -i 600 "$@" >"$out" 2>"$err" &
	ls=$!
	wait_for "$out" "^leaked" 60
	kill -INT "$ls"
	wait "$ls"
	LS_RC=$?
}

# One line on stderr, the expected exit code, nothing on stdout.
# expect_error WHAT EXIT_CODE REGEX COMMAND...
expect_error() {
	local what=$1 code=$2 re=$3 rc
	shift 3
	"$@" >"$T/err.out" 2>"$T/err.err" </dev/null
	rc=$?
	expect_eq "$what: exit code" "$code" "$rc"
	expect_eq "$what: stderr lines" 1 "$(wc -l <"$T/err.err")"
	expect_match "$what: message" "$re" "$T/err.err"
	expect_eq "$what: stdout" "" "$(cat "$T/err.out")"
}

# The ids of the BPF programs process PID holds open.
bpf_prog_ids_of() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '/^prog_id:/ { print $2 }' | sort -u
}

# expect_programs_gone IDS: none of these BPF programs is loaded any more
# (the kernel frees them after an RCU grace period: allow it 3 s).
expect_programs_gone() {
	local id left i
	for i in $(seq 60); do
		left=""
		for id in $1; do
			bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"
		done
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	expect_eq "BPF programs left loaded" "" "$left"
}

# The leak sites of tests/fixtures/heap_leaks.c, as "stack tail:bytes".
HEAP_LEAKS_SITES="
main;leak_malloc;malloc:1000
main;leak_calloc;calloc:5120
main;leak_realloc;realloc:12288
main;leak_strdup;strdup:147
main;leak_aligned;aligned_alloc:2560
main;leak_memalign;posix_memalign:3072
main;leak_reallocarray;reallocarray:1000
"

expect_heap_leaks_sites() {
	local folded=$1 site
	for site in $HEAP_LEAKS_SITES; do
		expect_folded "$folded" "${site%:*}" "${site##*:}"
	done
	# churn frees everything it allocates
	expect_no_match "churn contributes nothing" "churn" "$folded"
}

run_test() {
	local name=$1 fn=$2
	case "$name" in *"${FILTER:-}"*) ;; *) return 0 ;; esac
	# TESTS_ONLY: an extended regex the name must match (the kernel matrix's
	# subset); bash's =~, not a grep per test (~10 s in all under QEMU's TCG)
	[ -z "${TESTS_ONLY:-}" ] || [[ $name =~ $TESTS_ONLY ]] || return 0
	T=$(mktemp -d /tmp/leakscope-test.XXXXXX)
	TEST_OK=1
	TEST_SKIP=
	echo "--- $name"
	"$fn"
	if [ "$TEST_OK" = 1 ] && [ -n "$TEST_SKIP" ]; then
		SKIPPED=$((SKIPPED + 1))
		SKIPPED_NAMES="${SKIPPED_NAMES:-}
  $name: $TEST_SKIP"
		echo "    skipped: $TEST_SKIP"
		rm -rf "$T"
	elif [ "$TEST_OK" = 1 ]; then
		PASSED=$((PASSED + 1))
		echo "    ok"
		rm -rf "$T"
	else
		FAILED=$((FAILED + 1))
		FAILED_NAMES="$FAILED_NAMES $name"
		echo "    (kept $T)"
	fi
}
