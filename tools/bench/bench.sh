#!/bin/bash
# leakscope's overhead, measured side by side in one run (see README.md,
# "Performance"). Needs root. Not a test: it asserts nothing, it prints a
# table and whether each goal of the issue was met.
#
# Usage: tools/bench/bench.sh BUILD_DIR [SECONDS_PER_RUN [ROUNDS]]
#
# Each number of a table is the median of ROUNDS runs, the tracers taking
# turns round by round: this machine's speed drifts by more than the
# differences measured.
set -u
B=$(cd "${1:-build}" && pwd)
SECS=${2:-3}
ROUNDS=${3:-3}
LS=$B/leakscope
MB=$B/bench/mallocbench
NOOP=$B/bench/noop_probes
W=$(mktemp -d /tmp/leakscope-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/lib.sh"

# run_micro WORKLOAD TRACER: prints ns per malloc/free pair, or "n/a"
run_micro() {
	local workload=$1 tracer=$2 bench tr="" ready=""
	"$MB" --wait "$workload" "$SECS" >"$W/mb.out" 2>&1 &
	bench=$!
	wait_line "$W/mb.out" '^ready' 10 || { kill "$bench"; echo n/a; return; }
	case $tracer in
	untraced) ;;
	noop) "$NOOP" "$bench" >"$W/tr.out" 2>&1 & tr=$! ready='^attached' ;;
	noop-entry) "$NOOP" --probe-at-entry "$bench" >"$W/tr.out" 2>&1 & tr=$! ready='^attached' ;;
	leakscope) "$LS" -v -i 3600 -p "$bench" >"$W/tr.out" 2>&1 & tr=$! ready='tracing PID' ;;
	leakscope-entry)
		"$LS" -v -i 3600 --probe-at-entry -p "$bench" >"$W/tr.out" 2>&1 &
		tr=$! ready='tracing PID' ;;
	leakscope-sample)
		"$LS" -v -i 3600 --sample 4096 -p "$bench" >"$W/tr.out" 2>&1 &
		tr=$! ready='tracing PID' ;;
	memleak)
		memleak-bpfcc -p "$bench" 3600 >"$W/tr.out" 2>&1 &
		tr=$! ready='Attaching to pid' ;;
	esac
	# bcc compiles its programs first: timed_run gives it time
	timed_run "$bench" "$tr" "$ready" "$W/mb.out" ||
		{ grep -q "kernel headers" "$W/tr.out" && echo "no kernel headers" >"$W/why"; }
}

have_memleak() {
	command -v memleak-bpfcc >/dev/null 2>&1
}

echo "leakscope benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, kernel $(uname -r)"
echo "allocator: glibc $(ldd --version | head -n1 | sed 's/.* //'), median of $ROUNDS runs of ${SECS} s each"
echo
printf "%-9s %-34s %12s %10s\n" workload tracer "ns/pair" "x floor"
declare -A NS
TRACERS="untraced noop leakscope leakscope-sample leakscope-entry noop-entry memleak"
for workload in loop mix new; do
	for round in $(seq "$ROUNDS"); do
		for tracer in $TRACERS; do
			# once failed (no kernel headers), memleak fails every round
			if [ "$tracer" = memleak ] && { ! have_memleak || [ -s "$W/why" ]; }; then
				continue
			fi
			NS[$workload.$tracer]="${NS[$workload.$tracer]:-} $(run_micro "$workload" "$tracer")"
		done
	done
	for tracer in $TRACERS; do
		# shellcheck disable=SC2086 # the runs' values, one word each
		NS[$workload.$tracer]=$(median ${NS[$workload.$tracer]:-n/a})
	done
	floor=${NS[$workload.noop]}
	for tracer in untraced noop leakscope leakscope-sample leakscope-entry noop-entry memleak; do
		case $tracer in
		untraced) name="untraced" ;;
		noop) name="no-op programs, same probes (floor)" ;;
		leakscope) name="leakscope" ;;
		leakscope-sample) name="leakscope --sample 4096" ;;
		leakscope-entry) name="leakscope --probe-at-entry" ;;
		noop-entry) name="no-op programs at entries" ;;
		memleak) name="bcc memleak-bpfcc" ;;
		esac
		v=${NS[$workload.$tracer]}
		[ "$v" = n/a ] && [ "$tracer" = memleak ] && v="unavailable"
		[ "$v" = unavailable ] && [ -s "$W/why" ] && name="$name ($(cat "$W/why"))"
		printf "%-9s %-34s %12s %10s\n" "$workload" "$name" "$v" "$(ratio "$v" "$floor")"
	done
done

# redis-benchmark throughput (Debian's redis-server, jemalloc), untraced and
# traced; requests/s of SET and GET, 50 clients.
redis_rps() { # redis_rps PORT: mean requests/s of SET and GET
	redis-benchmark -p "$1" -t set,get -n 200000 -c 50 -q 2>/dev/null |
		tr '\r' '\n' | awk '/requests per second/ { s += $2; n++ } END { if (n) printf "%.0f", s / n }'
}
echo
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
	port=16420
	redis-server --port $port --bind 127.0.0.1 --save "" --appendonly no >"$W/redis.log" 2>&1 &
	redis=$!
	wait_line "$W/redis.log" "Ready to accept" 10
	plain=$(redis_rps $port)
	"$LS" -v -i 3600 -p "$redis" >"$W/ls.out" 2>&1 &
	tr=$!
	wait_line "$W/ls.out" "tracing PID" 30
	traced=$(redis_rps $port)
	stop "$tr"
	"$LS" -v -i 3600 --sample 4096 -p "$redis" >"$W/ls.out" 2>&1 &
	tr=$!
	wait_line "$W/ls.out" "tracing PID" 30
	sampled=$(redis_rps $port)
	stop "$tr"
	redis-cli -p $port shutdown nosave >/dev/null 2>&1
	wait "$redis" 2>/dev/null
	echo "redis-benchmark (SET+GET, 50 clients): untraced $plain req/s; leakscope $traced req/s" \
		"($(ratio "$traced" "$plain")x); leakscope --sample 4096 $sampled req/s ($(ratio "$sampled" "$plain")x)"
else
	echo "redis-benchmark: unavailable (redis-server, redis-tools not installed)"
fi

# leakscope itself with a million outstanding blocks: its peak RSS after a
# report, and how long the final report (with detach) takes.
"$LS" -i 1 -- "$B/bench/million" >"$W/m.out" 2>&1 &
tr=$!
wait_line "$W/m.out" "^ready" 120
sleep 2.5 # at least one periodic report with all of them outstanding
hwm=$(awk '/VmHWM/ { print $2 }' /proc/$tr/status)
child=$(pgrep -P "$tr")
t0=$(date +%s.%N)
kill -INT "$tr"
wait "$tr" 2>/dev/null
t1=$(date +%s.%N)
[ -n "$child" ] && kill "$child" 2>/dev/null
outstanding=$(grep -E "^heap: " "$W/m.out" | tail -n 1)
echo "1 M outstanding blocks: leakscope VmHWM $((hwm / 1024)) MiB; final report + detach" \
	"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s; last report: $outstanding"

# Stack unwinding (--unwind): what walking the stack costs per allocation,
# by frame pointers and by the .eh_frame tables, over leakscope with stacks
# of one frame (--unwind-depth 1: no walk at all). mallocbench keeps frame
# pointers, so both walks see the same frames until libc.
unwind_run() { # unwind_run OPTIONS...: ns per malloc/free pair, "loop" workload
	local bench tr ns
	"$MB" --wait loop "$SECS" >"$W/mb.out" 2>&1 &
	bench=$!
	wait_line "$W/mb.out" '^ready' 10 || { kill "$bench"; echo n/a; return; }
	"$LS" -v -i 3600 "$@" -p "$bench" >"$W/tr.out" 2>&1 &
	tr=$!
	wait_line "$W/tr.out" 'tracing PID' 30 || { stop "$tr"; kill "$bench"; echo n/a; return; }
	kill -USR1 "$bench"
	wait "$bench"
	stop "$tr"
	ns=$(sed -n 's/^ns\/pair //p' "$W/mb.out")
	grep -m1 '^counters heap' "$W/tr.out" | sed 's/.*stacks lost, //' >"$W/quality.$1$2"
	echo "${ns:-n/a}"
}
unwind_opts() { # unwind_opts MODE: leakscope's options for it
	case $1 in
	none) echo "--unwind-depth 1" ;;
	*) echo "--unwind $1" ;;
	esac
}
echo
printf "%-44s %10s %12s  %s\n" "stack walk (loop)" "ns/pair" "walk ns" "stack quality"
declare -A UNW
for round in $(seq "$ROUNDS"); do
	for mode in none fp dwarf auto; do
		# shellcheck disable=SC2046 # two words
		UNW[$mode]="${UNW[$mode]:-} $(unwind_run $(unwind_opts $mode))"
	done
done
for mode in none fp dwarf auto; do
	# shellcheck disable=SC2086 # the runs' values, one word each
	UNW[$mode]=$(median ${UNW[$mode]})
done
base=${UNW[none]}
printf "%-44s %10s %12s\n" "leakscope --unwind-depth 1 (no walk)" "$base" "-"
for mode in fp dwarf auto; do
	v=${UNW[$mode]}
	NS[unwind.$mode]=$(awk -v a="$v" -v b="$base" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) print a - b; else print "n/a" }')
	printf "%-44s %10s %12s  %s\n" "leakscope --unwind $mode" "$v" "${NS[unwind.$mode]}" \
		"$(cat "$W/quality.--unwind$mode" 2>/dev/null)"
done
echo "unwinding by tables costs $(ratio "${NS[unwind.dwarf]}" "${NS[unwind.fp]}")x a frame-pointer walk per event (goal: <= 1.5x)"

# Kernel allocations (--kinds kmem) on a system-call-heavy workload.
echo
bash "$(dirname "$0")/kmem_bench.sh" "$B" "$SECS" "$ROUNDS"
