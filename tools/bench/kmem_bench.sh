#!/bin/bash
# The kmem kind's cost on a system-call-heavy workload (pipe() + close, two
# kmallocs and more per pipe): ns per pipe untraced, with no-op programs at
# the same tracepoints (the floor), with leakscope --kinds kmem on the
# process and on the whole kernel (-a), and bcc's memleak (kernel mode, no
# -p) when Debian's bpfcc-tools runs here. Run by bench.sh; alone:
#
# Usage: tools/bench/kmem_bench.sh BUILD_DIR [SECONDS_PER_RUN [ROUNDS]]
set -u
B=$(cd "${1:-build}" && pwd)
SECS=${2:-3}
ROUNDS=${3:-3}
LS=$B/leakscope
PB=$B/bench/pipebench
NOOP=$B/bench/noop_kmem
W=$(mktemp -d /tmp/leakscope-kbench.XXXXXX)
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/lib.sh"

run_pipe() { # run_pipe TRACER: ns per pipe made and closed, or "n/a"
	local bench tr="" ready=""
	"$PB" --wait "$SECS" >"$W/pb.out" 2>&1 &
	bench=$!
	wait_line "$W/pb.out" '^ready' 10 || { kill "$bench"; echo n/a; return; }
	case $1 in
	untraced) ;;
	noop) "$NOOP" >"$W/tr.out" 2>&1 & tr=$! ready='^attached' ;;
	leakscope) "$LS" -v -i 3600 --kinds kmem -p "$bench" >"$W/tr.out" 2>&1 &
		tr=$! ready='tracing PID' ;;
	leakscope-all) "$LS" -v -i 3600 -a --kinds kmem >"$W/tr.out" 2>&1 &
		tr=$! ready='tracing the host' ;;
	memleak) memleak-bpfcc 3600 >"$W/tr.out" 2>&1 &
		tr=$! ready='Attaching to kernel allocators' ;;
	esac
	timed_run "$bench" "$tr" "$ready" "$W/pb.out" ||
		{ [ "$1" = memleak ] && head -c 300 "$W/tr.out" | tr '\n' ' ' >"$W/why"; }
}

declare -A NS
TRACERS="untraced noop leakscope leakscope-all memleak"
for round in $(seq "$ROUNDS"); do
	for tracer in $TRACERS; do
		if [ "$tracer" = memleak ] &&
			{ ! command -v memleak-bpfcc >/dev/null 2>&1 || [ -s "$W/why" ]; }; then
			continue
		fi
		NS[$tracer]="${NS[$tracer]:-} $(run_pipe "$tracer")"
	done
done
printf "%-44s %12s %10s\n" "kmem: pipe() + close" "ns/pipe" "x floor"
for tracer in $TRACERS; do
	# shellcheck disable=SC2086 # the runs' values, one word each
	NS[$tracer]=$(median ${NS[$tracer]:-n/a})
done
floor=${NS[noop]}
for tracer in $TRACERS; do
	case $tracer in
	untraced) name="untraced" ;;
	noop) name="no-op programs, same tracepoints (floor)" ;;
	leakscope) name="leakscope --kinds kmem -p" ;;
	leakscope-all) name="leakscope -a --kinds kmem (whole kernel)" ;;
	memleak) name="bcc memleak-bpfcc (kernel)" ;;
	esac
	v=${NS[$tracer]}
	if [ "$v" = n/a ] && [ "$tracer" = memleak ]; then
		v=unavailable
		if ! command -v memleak-bpfcc >/dev/null 2>&1; then
			name="$name (not installed)"
		elif [ -s "$W/why" ]; then
			name="$name (did not start: $(cut -c1-60 "$W/why"))"
		fi
	fi
	printf "%-44s %12s %10s\n" "$name" "$v" "$(ratio "$v" "$floor")"
done
echo "kmem: leakscope -p $(ratio "${NS[leakscope]}" "${NS[untraced]}")x untraced," \
	"-a $(ratio "${NS[leakscope-all]}" "${NS[untraced]}")x untraced"
