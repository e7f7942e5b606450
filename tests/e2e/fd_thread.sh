# End-to-end: fd and thread leaks of tests/fixtures/fd_leaks.c, through the
# real syscall and scheduler tracepoints. Exact counts at named functions.

FD_SITES="
open_leak;open:7
fopen_leak;fopen:2
socket_leak;socket:3
pipe_leak;pipe:4
eventfd_leak;eventfd:5
dup_leak;dup:4
"

expect_fd_thread_sites() {
	local f=$1 site
	for site in $FD_SITES; do
		expect_eq "fds at ${site%:*}" "${site##*:}" \
			"$(grep '^\[fd\];' "$f" | folded_value /dev/stdin "${site%:*}")"
	done
	expect_no_match "fd churn contributes nothing" "churn_fds" "$f"
	expect_eq "stuck threads" 6 \
		"$(grep '^\[thread\];' "$f" | folded_value /dev/stdin "spawn_stuck;pthread_create")"
	expect_no_match "joined threads are gone" "^\[thread\].*spawn_joined" "$f"
}

t_fd_thread_spawned() {
	report_when_leaked "$T/out" "$T/err" --folded "$T/f" -- "$FIX/fd_leaks"
	expect_eq "exit code" 0 "$LS_RC"
	expect_fd_thread_sites "$T/f"
	expect_match "fd types from /proc" "^fd +7 files /proc/" "$T/out"
	expect_match "socket type" "^fd +3 sockets " "$T/out"
	expect_match "eventfd type" "^fd +5 eventfds " "$T/out"
	expect_match "pipe type" "^fd +4 pipes " "$T/out"
	expect_match "thread state" "^thread +6 in read " "$T/out"
	expect_match "thread counters" "counters thread: 11 started, 5 exited" "$T/out"
}
run_test "fd/thread: -- command, exact fds and threads per function" t_fd_thread_spawned

t_fd_process_exit() {
	"$LEAKSCOPE" --kinds fd,thread --folded "$T/f" -- "$FIX/fd_leaks" >"$T/out" 2>"$T/err"
	expect_eq "exit code" 0 $?
	# the exit closed the fds and ended the threads: no release, it is
	# what the process held at its end
	expect_fd_thread_sites "$T/f"
	expect_match "held at exit, apart" \
		"^held at exit by PID [0-9]+ \(fd_leaks\): fd: 27 fds at 7 stacks; thread: 6 threads at 1 stack$" \
		"$T/out"
	expect_match "what the threads were waiting in" "^thread +6 in read " "$T/out"
	local opened closed
	opened=$(sed -n 's/^counters fd: \([0-9]*\) opened.*/\1/p' "$T/out")
	closed=$(sed -n 's/^counters fd: [0-9]* opened, \([0-9]*\) closed.*/\1/p' "$T/out")
	[ "${opened:-0}" -gt 12000 ] || fail "expected over 12000 fds opened, got '$opened'"
	expect_eq "every fd opened but those held at exit was closed" "$((opened - 27))" "$closed"
	expect_match "dup2 onto unused fds is no unknown close" " 0 closes of fds opened before" "$T/out"
	expect_match "threads ended by the exit are no thread exits" \
		"counters thread: 11 started, 5 exited" "$T/out"
}
run_test "fd/thread: what the process held at its exit is shown, not released" t_fd_process_exit

t_fd_thread_attached() {
	"$FIX/fd_leaks" --wait >"$T/fix.out" 2>&1 </dev/null &
	local fix=$!
	wait_for "$T/fix.out" "^ready"
	local before
	before=$(sed -n 's/^ready [0-9]* fds \([0-9]*\)$/\1/p' "$T/fix.out")
	"$LEAKSCOPE" -v -p "$fix" -i 60 --folded "$T/f" >"$T/out" 2>"$T/err" &
	local ls=$!
	wait_for "$T/err" "tracing PID $fix"
	kill -USR1 "$fix"
	wait_for "$T/fix.out" "^leaked"
	kill -INT "$ls"
	wait "$ls"
	expect_fd_thread_sites "$T/f"
	# 4 of the fds open before attach are closed after: counted, never
	# negative; the others stay apart from the leak sites
	expect_match "closes of unknown fds" " 4 closes of fds opened before tracing" "$T/out"
	expect_match "fds open before tracing" "\(\+$((before - 4)) open before tracing\)" "$T/out"
	kill -TERM "$fix"
	wait "$fix" 2>/dev/null
}
run_test "fd/thread: -p attach, pre-existing fds apart, exact counts" t_fd_thread_attached

t_kinds() {
	report_when_leaked "$T/out" "$T/err" --kinds fd --folded "$T/f" -- "$FIX/fd_leaks"
	expect_no_match "no heap with --kinds fd" "^\[heap\]" "$T/f"
	expect_no_match "no threads with --kinds fd" "^\[thread\]" "$T/f"
	expect_folded "$T/f" "open_leak;open" 7
	report_when_leaked "$T/out" "$T/err" --kinds heap,thread --folded "$T/g" -- "$FIX/fd_leaks"
	expect_no_match "no fds with --kinds heap,thread" "^\[fd\]" "$T/g"
	expect_eq "stuck threads" 6 \
		"$(grep '^\[thread\];' "$T/g" | folded_value /dev/stdin "spawn_stuck;pthread_create")"
	expect_match "heap still traced" "^\[heap\]" "$T/g"
	expect_no_match "no fd counters" "counters fd" "$T/out"
}
run_test "fd/thread: --kinds selects what is traced" t_kinds

t_scm_rights() {
	report_when_leaked "$T/out" "$T/err" --kinds fd --folded "$T/f" -- "$FIX/fd_leaks" --rights
	expect_folded "$T/f" "recv_fds;recvmsg(SCM_RIGHTS)" 3
	# the socketpair was closed again; only the blocking pipe stays
	expect_eq "only the fds received and the blocking pipe" 5 \
		"$(awk '{ s += $NF } END { print s }' "$T/f")"
}
run_test "fd/thread: fds received with SCM_RIGHTS count at the receiver" t_scm_rights

# The fixture prints "leaked" from the exec'd image: the exec and its
# closing of the O_CLOEXEC fds were seen by then.
t_exec() {
	report_when_leaked "$T/out" "$T/err" --kinds fd --folded "$T/f" -- "$FIX/fd_leaks" --exec
	expect_eq "exit code" 0 "$LS_RC"
	expect_folded "$T/f" "exec_keep;open" 3
	expect_no_match "O_CLOEXEC fds closed by exec" "exec_drop" "$T/f"
}
run_test "fd/thread: exec closes O_CLOEXEC fds, keeps the others" t_exec

# fork_child OUT ERR ARGS...: leakscope ARGS -- fd_leaks --fork, in the
# background; the child is let leak (SIGUSR1) once it is ready
# and, with --follow-forks, once leakscope has attached its probes to it
# (-v: "following child PID"); the report is asked for (SIGINT) when the
# child has leaked. CHILD is its PID.
fork_child() {
	local out=$1 err=$2 ls
	shift 2
	CHILD=
	"$LEAKSCOPE" -v -i 600 "$@" -- "$FIX/fd_leaks" --fork >"$out" 2>"$err" &
	ls=$!
	if wait_for "$out" "^child ready [0-9]+$"; then
		CHILD=$(sed -n 's/^child ready \([0-9]*\)$/\1/p' "$out")
		case " $* " in *" --follow-forks "*)
			wait_for "$err" "following child $CHILD of |child $CHILD: heap not traced" ;;
		esac
		kill -USR1 "$CHILD"
		wait_for "$out" "^child leaked $CHILD$"
	fi
	kill -INT "$ls"
	wait "$ls"
	LS_RC=$?
}

t_follow_forks() {
	fork_child "$T/out" "$T/err" --follow-forks --folded "$T/f"
	expect_eq "exit code" 0 "$LS_RC"
	[ -n "$CHILD" ] || { fail "the child did not run"; return; }
	expect_eq "child's fds under its pid" 2 \
		"$(grep "^\[fd\];fd_leaks $CHILD;" "$T/f" | folded_value /dev/stdin "child_leak;open")"
	expect_eq "child's heap under its pid" 300 \
		"$(grep "^\[heap\];fd_leaks $CHILD;" "$T/f" | folded_value /dev/stdin "child_alloc;malloc")"
	expect_match "report names the children" "and 1 children" "$T/out"
	fork_child "$T/out2" "$T/err2" --folded "$T/g"
	expect_eq "exit code without --follow-forks" 0 "$LS_RC"
	[ -n "$CHILD" ] || { fail "the child did not run"; return; }
	expect_no_match "without --follow-forks the child is not traced" "child_leak|child_alloc" "$T/g"
	expect_no_match "nor said to be followed" "following child" "$T/err2"
	expect_eq "the parent is traced: its blocking pipe" 2 \
		"$(grep '^\[fd\];' "$T/g" | folded_value /dev/stdin "main;pipe")"
}
run_test "fd/thread: --follow-forks traces the children under their pid" t_follow_forks

# stack_counts JSON KIND: the stacks counted to KIND in the last report, by
# how they were taken (walked to the end, cut, truncated) or lost.
stack_counts() {
	tail -n 1 "$1" | jq --arg k "$2" '.kinds[$k].counters
		| .stacks_complete + .stacks_truncated + .stacks_cut_short
		  + .stacks_lost_unreadable + .stacks_lost_map_full'
}

# kind_counter JSON KIND COUNTER
kind_counter() {
	tail -n 1 "$1" | jq --arg k "$2" --arg c "$3" '.kinds[$k].counters[$c]'
}

# Every stack is counted to the kind of the object it is taken for, whatever
# else is traced: pthread_create's stack, walked first for the calloc inside
# it, still counts once to its thread; fopen's, walked first for its malloc,
# to its fd. The heap's and fd's counters are the same with the other kinds
# traced or not.
t_counters_per_kind() {
	report_when_leaked "$T/out" "$T/err" -v --json "$T/all" -- "$FIX/fd_leaks"
	expect_eq "threads started" 11 "$(kind_counter "$T/all" thread acquired)"
	expect_eq "a stack counted for each thread" 11 "$(stack_counts "$T/all" thread)"
	expect_match "thread stacks in the text report" \
		"^counters thread: 11 started, .* stacks 100\.0 % complete \(11\)" "$T/out"
	report_when_leaked "$T/out" "$T/err" --kinds fd --json "$T/fd" -- "$FIX/fd_leaks"
	local fd_stacks
	fd_stacks=$(stack_counts "$T/fd" fd)
	[ "${fd_stacks:-0}" -gt 9000 ] || fail "fd stacks: expected over 9000, got '$fd_stacks'"
	expect_eq "fd stacks, with the heap and threads traced or not" "$fd_stacks" \
		"$(stack_counts "$T/all" fd)"
	expect_eq "fds opened, with the heap and threads traced or not" \
		"$(kind_counter "$T/fd" fd acquired)" "$(kind_counter "$T/all" fd acquired)"
	expect_eq "no heap kind with --kinds fd" null "$(tail -n 1 "$T/fd" | jq '.kinds.heap')"
	report_when_leaked "$T/out" "$T/err" --kinds heap --json "$T/heap" -- "$FIX/fd_leaks"
	local c
	for c in acquired released unknown_releases stacks_complete stacks_lost_unreadable \
		calls_without_thread_state nested_calls; do
		expect_eq "heap $c, with fds and threads traced or not" \
			"$(kind_counter "$T/heap" heap $c)" "$(kind_counter "$T/all" heap $c)"
	done
}
run_test "fd/thread: stacks and counters per kind, the same whatever else is traced" \
	t_counters_per_kind
