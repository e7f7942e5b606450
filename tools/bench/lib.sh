# Helpers the bench scripts share (sourced by bench.sh and kmem_bench.sh).

# wait_line FILE REGEX SECONDS [PID]: 0 once a line of FILE matches; 1 after
# SECONDS, or as soon as process PID (the one writing FILE) is gone
wait_line() {
	local i=0
	while ! grep -Eq -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge $(($3 * 20)) ] && return 1
		[ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null && return 1
		sleep 0.05
	done
}

stop() { # stop PID: SIGINT, then wait for it
	kill -INT "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

median() { # median VALUE...: of those that are numbers, or "n/a"
	printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'
}

ratio() { # ratio A B: A/B with two decimals, or "-"
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'
}

# timed_run BENCH TRACER READY OUT: once TRACER (a PID, or "" for none) has
# printed READY in $W/tr.out, lets the waiting workload BENCH go (SIGUSR1)
# and prints the "ns/pair N" it wrote to OUT, or "n/a"; when the tracer
# never got ready: both stopped, "n/a", status 1 ($W/tr.out says why).
timed_run() {
	local bench=$1 tr=$2 ready=$3 out=$4 ns
	if [ -n "$tr" ] && ! wait_line "$W/tr.out" "$ready" 120 "$tr"; then
		stop "$tr"
		kill "$bench" 2>/dev/null
		wait "$bench" 2>/dev/null
		echo n/a
		return 1
	fi
	kill -USR1 "$bench"
	wait "$bench"
	[ -n "$tr" ] && stop "$tr"
	ns=$(sed -n 's/^ns\/pair //p' "$out")
	echo "${ns:-n/a}"
}
