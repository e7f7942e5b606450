#!/bin/bash
# What whole-host tracing (-a) costs the host's work, side by side in one
# run (README.md, "Whole host"): a compile, redis-benchmark SET against
# Debian's redis-server (jemalloc), and mallocbench's malloc/free loop,
# each untraced, under `leakscope -a` (sampled page faults, the default)
# and, with HOST_EXACT=1, under `leakscope --host-exact` (uprobes on libc's
# allocator in every process). Needs root. Asserts nothing: it prints the
# medians, the ratios to untraced and whether the goal (<= 1.02) was met.
#
# Usage: tools/bench/host.sh BUILD_DIR [ROUNDS]
set -u
B=$(cd "${1:-build}" && pwd)
ROUNDS=${2:-5}
LS=$B/leakscope
MB=$B/bench/mallocbench
SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/leakscope-hostbench.XXXXXX)
trap 'rm -rf "$W"' EXIT
MODES="untraced sampled"
[ "${HOST_EXACT:-0}" = 1 ] && MODES="$MODES exact"

. "$SRC/tools/bench/lib.sh" # wait_line, median

TRACER=
start() { # start MODE: leakscope for MODE, attached, in the background
	case $1 in
	untraced) TRACER= ; return ;;
	sampled) "$LS" -v -a -i 10 >"$W/ls.out" 2>"$W/ls.err" & ;;
	exact) "$LS" -v --host-exact -i 10 >"$W/ls.out" 2>"$W/ls.err" & ;;
	esac
	TRACER=$!
	wait_line "$W/ls.err" "tracing the host" 60
	sleep 1 # its first look at the host's processes
}
stop_tracer() { # the tracer stopped, its last account of itself kept
	[ -n "$TRACER" ] || return
	stop "$TRACER"
	grep -h '^host: ' "$W/ls.out" | tail -n 1 >"$W/last_cost"
	TRACER=
}

# CPU seconds (user + system, the compilers' own: traps and BPF runs in
# them are system time) of 5 compiles of src/cfi.c; wall time on this
# shared machine moves by more than what is measured
compile() {
	local TIMEFORMAT='%U %S'
	{ time (for i in 1 2 3 4 5; do
		gcc -O2 -std=gnu11 -D_GNU_SOURCE -I"$SRC/include" -I"$SRC/src" -I"$B" \
			-c "$SRC/src/cfi.c" -o "$W/cfi.o"
	done) ; } 2>"$W/time"
	awk '{ printf "%.3f", $1 + $2 }' "$W/time"
}

redis_set() { # requests/s of SET, 50 clients
	redis-benchmark -p 16421 -t set -n 100000 -c 50 -q 2>/dev/null |
		tr '\r' '\n' | awk '/requests per second/ { printf "%.0f", $2 }'
}

malloc_loop() { # ns per malloc/free pair, 2 s
	"$MB" loop 2 2>/dev/null | sed -n 's/^ns\/pair //p'
}

echo "leakscope -a benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, kernel $(uname -r), median of $ROUNDS rounds, modes taking turns"
redis-server --port 16421 --bind 127.0.0.1 --save "" --appendonly no >"$W/redis.log" 2>&1 &
REDIS=$!
wait_line "$W/redis.log" "Ready to accept" 10
declare -A V
for round in $(seq "$ROUNDS"); do
	for mode in $MODES; do
		start "$mode"
		V[compile.$mode]="${V[compile.$mode]:-} $(compile)"
		V[redis.$mode]="${V[redis.$mode]:-} $(redis_set)"
		V[loop.$mode]="${V[loop.$mode]:-} $(malloc_loop)"
		stop_tracer
		[ "$mode" = untraced ] || cp "$W/last_cost" "$W/cost.$mode"
	done
done
redis-cli -p 16421 shutdown nosave >/dev/null 2>&1
wait "$REDIS" 2>/dev/null

printf "\n%-44s %14s %14s %8s\n" workload untraced traced "ratio"
row() { # row NAME KEY MODE HIGHER_IS_BETTER
	local u t r
	u=$(median ${V[$2.untraced]})
	t=$(median ${V[$2.$3]})
	# the ratio is the cost: time traced / untraced, or throughput untraced / traced
	if [ "$4" = 1 ]; then
		r=$(awk -v a="$u" -v b="$t" 'BEGIN { if (a > 0 && b > 0) printf "%.3f", a / b; else print "-" }')
	else
		r=$(awk -v a="$u" -v b="$t" 'BEGIN { if (a > 0 && b > 0) printf "%.3f", b / a; else print "-" }')
	fi
	printf "%-44s %14s %14s %8s\n" "$1" "$u" "$t" "$r"
	echo "$r" >>"$W/ratios.$3"
}
for mode in ${MODES#untraced }; do
	name="leakscope -a"
	[ "$mode" = exact ] && name="leakscope --host-exact"
	echo "$name:"
	row "  gcc -O2 -c src/cfi.c x5 (CPU s)" compile "$mode" 0
	row "  redis-benchmark SET, 50 clients (req/s)" redis "$mode" 1
	row "  mallocbench loop (ns/pair)" loop "$mode" 0
	echo "  its own account, last round: $(cat "$W/cost.$mode" 2>/dev/null)"
	worst=$(sort -g "$W/ratios.$mode" | tail -n 1)
	echo "  worst ratio $worst: goal <= 1.02 $(awk -v w="$worst" 'BEGIN { print (w + 0 > 0 && w <= 1.02) ? "met" : "not met" }')"
done
