# shellcheck shell=bash
# -a (its sampled default) and Go: every Go process gets the goroutine and
# go-heap probes, those that exec while leakscope runs and those running
# before it started (src/go_host.c), each with its own runtime's layout.
# The fixture (tests/fixtures/go/main.go) leaks on SIGUSR1: exact goroutine
# counts at its functions, and its 16 MiB string, one sampled allocation
# (see expect_go_sites in go.sh).

# host_go_rows JSON PID KIND FRAME: the objects (goroutine) or bytes
# (go-heap) of PID's KIND rows whose frame 1 (below the runtime's) is FRAME
# in the last report
host_go_rows() {
	tail -n 1 "$1" | jq --argjson pid "$2" --arg kind "$3" --arg f "$4" '[.stacks[]
		| select(.pid == $pid and .kind == $kind and .frames[1] == $f)
		| if $kind == "go-heap" then .bytes else .objects end] | add // 0'
}

# expect_host_go JSON PID: the fixture's leaks, exactly
expect_host_go() {
	expect_eq "goroutines at main.blockedSenders" 7 \
		"$(host_go_rows "$1" "$2" goroutine main.blockedSenders)"
	expect_eq "goroutines at main.rangeOverOpen" 4 \
		"$(host_go_rows "$1" "$2" goroutine main.rangeOverOpen)"
	expect_eq "goroutines at main.sleepers" 2 "$(host_go_rows "$1" "$2" goroutine main.sleepers)"
	expect_eq "goroutines that finished: gone" 0 \
		"$(host_go_rows "$1" "$2" goroutine main.finishers)"
	expect_eq "go-heap: the 16 MiB string at main.retainSubstring" 16777216 \
		"$(host_go_rows "$1" "$2" go-heap main.retainSubstring)"
	expect_match "what its goroutines wait on, read with its version's layout" \
		"^$2 +goroutine +7 chan send +7 .* runtime\.newproc <- main\.blockedSenders " "$T/out"
}

# expect_go_cost: the sampled mode's line after the host line
expect_go_cost() {
	expect_match "the Go probes' cost, after the host line" \
		"^go: [1-9][0-9]* Go process(es)? traced for goroutines and the Go heap: [1-9][0-9]* probe hits, BPF [0-9.]+ ms" \
		"$T/out"
}

# host_go_leak FIX LS: tells the fixture (waiting) to leak once its heap
# sampling is on, then two reports that saw it; LS is asked to stop
host_go_leak() {
	wait_for "$T/err" "go-heap: runtime.MemProfileRate set from 0 to 524288" 10
	kill -USR1 "$1"
	wait_for "$T/fix.out" "^leaked" 10
	more_reports "$T/j" 2
	kill -INT "$2"
	wait "$2"
	expect_eq "leakscope exit code" 0 $?
	expect_match "sampling restored at the end" "MemProfileRate restored to 0" "$T/err"
	# the program goes on unharmed: same output, same exit code
	kill -TERM "$1"
	wait "$1"
	expect_eq "fixture exit code" 3 $?
	expect_eq "fixture output" "ready leaked 8 done" "$(echo $(cat "$T/fix.out"))"
}

# host_go_exec OPTION...: leakscope -a OPTIONS, then the fixture started
host_go_exec() {
	local ls fix
	"$LEAKSCOPE" -v "$@" --comm goleaks -i 1 --json "$T/j" >"$T/out" 2>"$T/err" &
	ls=$!
	wait_for "$T/err" "tracing the host" 20
	expect_match "no Go process at the start" "Go: 0 Go processes traced at the start" "$T/err"
	"$FIX/goleaks" wait >"$T/fix.out" 2>&1 </dev/null &
	fix=$!
	wait_for "$T/err" "PID $fix: Go go1\.19[.0-9]* traced \(exec'd\)" 10
	wait_for "$T/fix.out" "^ready" 10
	host_go_leak "$fix" "$ls"
	expect_host_go "$T/j" "$fix"
}

t_host_go_exec() {
	host_go_exec -a
	expect_go_cost
}
run_test "host: -a traces a Go program started later: exact goroutines, go-heap" t_host_go_exec

# the same without the sampled mode's page faults (which Debian 12's 6.1
# refuses: the Go kinds under -a are checked there with this one)
t_host_go_exact() {
	host_go_exec --host-exact --kinds goroutine,go-heap
}
run_test "host: --host-exact traces a Go program started later: exact goroutines, go-heap" \
	t_host_go_exact

t_host_go_running() {
	local ls fix
	"$FIX/goleaks" wait >"$T/fix.out" 2>&1 </dev/null &
	fix=$!
	wait_for "$T/fix.out" "^ready" 10
	"$LEAKSCOPE" -v -a --comm goleaks -i 1 --json "$T/j" >"$T/out" 2>"$T/err" &
	ls=$!
	wait_for "$T/err" "tracing the host" 20
	expect_match "found at the start" "PID $fix: Go go1\.19[.0-9]* traced \(running at the start\)" \
		"$T/err"
	host_go_leak "$fix" "$ls"
	expect_host_go "$T/j" "$fix"
	expect_go_cost
}
run_test "host: -a traces a Go program running before it: exact goroutines, go-heap" \
	t_host_go_running

# A Go process that exits is let go: its probes and layout, and, once
# reported as exited, its goroutines.
t_host_go_exit() {
	local ls fix
	"$LEAKSCOPE" -v -a --comm goleaks -i 1 --json "$T/j" >"$T/out" 2>"$T/err" &
	ls=$!
	wait_for "$T/err" "tracing the host" 20
	"$FIX/goleaks" wait >"$T/fix.out" 2>&1 </dev/null &
	fix=$!
	wait_for "$T/err" "PID $fix: Go go1\.19[.0-9]* traced \(exec'd\)" 10
	wait_for "$T/fix.out" "^ready" 10
	kill -USR1 "$fix"
	wait_for "$T/fix.out" "^leaked" 10
	more_reports "$T/j" 2
	expect_eq "its goroutines while it runs" 7 \
		"$(host_go_rows "$T/j" "$fix" goroutine main.blockedSenders)"
	kill -TERM "$fix"
	wait "$fix"
	expect_eq "fixture exit code" 3 $?
	more_reports "$T/j" 3
	kill -INT "$ls"
	wait "$ls"
	expect_eq "leakscope exit code" 0 $?
	expect_eq "forgotten after its exit" 0 "$(tail -n 1 "$T/j" | jq --argjson pid "$fix" '[.stacks[]
		| select(.pid == $pid)] | length')"
	expect_eq "no Go process traced at the end" \
		"go: 0 Go processes traced for goroutines and the Go heap" \
		"$(grep "^go: " "$T/out" | tail -n 1 | cut -d: -f1-2)"
}
run_test "host: -a lets a Go program go when it exits" t_host_go_exit
