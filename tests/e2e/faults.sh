# End-to-end: faults. The target crashes, execs, its binary is deleted or
# replaced; leakscope is killed; maps fill up. Each time the report is right
# or says what it lost, and the target is unharmed.

t_target_crash() {
	local died end
	# no core dump: its writing would be part of the dying
	(ulimit -c 0; exec "$LEAKSCOPE" --kinds heap --folded "$T/f" -- "$FIX/heap_leaks" --crash) \
		>"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	end=$(date +%s%N)
	died=$(sed -n 's/^crash at \([0-9]*\)$/\1/p' "$T/out")
	[ -n "$died" ] && [ $(((end - died) / 1000000)) -lt 2000 ] ||
		fail "leakscope ended $(((end - ${died:-0}) / 1000000)) ms after the target died"
	expect_match "crash in the report" "final report 1, .*target exited \(killed by SIGSEGV\)" "$T/out"
	expect_heap_leaks_sites "$T/f"
}
run_test "faults: the target crashes: final report, exit 0 within 2 s" t_target_crash

t_exit_status() {
	"$LEAKSCOPE" --kinds heap -- "$FIX/heap_leaks" >"$T/out" 2>"$T/err"
	expect_match "exit status in the report" "target exited \(status 3\)" "$T/out"
}
run_test "faults: the target's exit status is reported" t_exit_status

# A script execs a statically linked program: its allocator is in another
# file, found and probed when BPF reports the exec.
t_exec_new_allocator() {
	printf '#!/bin/sh\nexec "%s" --wait\n' "$FIX/heap_leaks_static" >"$T/run.sh"
	chmod +x "$T/run.sh"
	"$LEAKSCOPE" -v --kinds heap -i 60 --folded "$T/f" -- "$T/run.sh" >"$T/out" 2>"$T/err" &
	local ls=$!
	wait_for "$T/out" "^ready"
	wait_for "$T/err" "exec'd: [1-9][0-9]* new probes"
	local fix
	fix=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$T/out")
	kill -USR1 "$fix"
	wait_for "$T/out" "^leaked"
	kill -INT "$ls"
	wait "$ls"
	expect_heap_leaks_sites "$T/f"
	expect_match "probes in the static executable" "probe malloc +.*heap_leaks_static\+" "$T/err"
	kill -TERM "$fix" 2>/dev/null
}
run_test "faults: exec into another allocator is followed" t_exec_new_allocator

# exec throws the old image's heap away: nothing of the shell stays.
t_exec_drops_old_heap() {
	printf '#!/bin/sh\necho hi\nexec "%s"\n' "$FIX/heap_leaks" >"$T/run.sh"
	chmod +x "$T/run.sh"
	"$LEAKSCOPE" --kinds heap --folded "$T/f" -- "$T/run.sh" >"$T/out" 2>"$T/err"
	expect_heap_leaks_sites "$T/f"
	expect_no_match "nothing of the shell's heap" "unknown\]" "$T/f"
}
run_test "faults: exec releases the old image's heap" t_exec_drops_old_heap

t_leakscope_killed() {
	"$FIX/heap_leaks" --wait >"$T/fix.out" 2>&1 &
	local fix=$!
	wait_for "$T/fix.out" "^ready"
	"$LEAKSCOPE" -v -p "$fix" -i 60 >"$T/out" 2>"$T/err" &
	local ls=$! ids
	wait_for "$T/err" "tracing PID $fix"
	ids=$(bpf_prog_ids_of "$ls")
	[ -n "$ids" ] || fail "no BPF programs held by leakscope while tracing"
	kill -KILL "$ls"
	wait "$ls" 2>/dev/null
	expect_programs_gone "$ids"
	# the target goes on as if nothing happened
	kill -USR1 "$fix"
	wait_for "$T/fix.out" "^leaked"
	kill -TERM "$fix"
	wait "$fix" 2>/dev/null
	expect_eq "target's exit status" 143 $?
	expect_eq "target's output" "leaked" "$(sed -n 2p "$T/fix.out")"
}
run_test "faults: leakscope SIGKILLed: nothing left, the target runs on" t_leakscope_killed

# proc_state PID: the state letter of /proc/PID/stat (after the ")" that
# ends the command name), "-" when PID is gone
proc_state() {
	local s
	s=$(sed -n 's/.*) \([A-Z]\) .*/\1/p' /proc/"$1"/stat 2>/dev/null)
	echo "${s:--}"
}

# in_state PID LETTERS: PID's state is one of LETTERS
in_state() {
	case "$2" in *"$(proc_state "$1")"*) return 0 ;; esac
	return 1
}

# leakscope forks the command at once and holds it on a pipe until its
# probes are attached (the BPF load: ~0.5 s here). Caught in that window,
# stopped (SIGSTOP: it cannot release the command any more) and found still
# holding it, leakscope is killed: the command sees the pipe's end and exits
# without running.
t_killed_before_release() {
	local ls child exe
	"$LEAKSCOPE" -v --max-objects 10 -- sh -c 'echo ran >"$0"' "$T/ran" >"$T/out" 2>"$T/err" &
	ls=$!
	if ! wait_until 10 "leakscope's child" eval 'child=$(pgrep -P "$ls")'; then
		kill -KILL "$ls"
		wait "$ls" 2>/dev/null
		return
	fi
	kill -STOP "$ls"
	wait_until 10 "leakscope stopped" in_state "$ls" T
	# still held: leakscope's own image, asleep on the pipe, not said to run
	exe=$(readlink /proc/"$child"/exe)
	if [ "$exe" != "$(readlink -f "$LEAKSCOPE")" ] || ! in_state "$child" S ||
		grep -q "tracing PID" "$T/err"; then
		fail "not caught before the release (child $child: $exe, state $(proc_state "$child")): the case is untested"
		kill -KILL "$ls"
		wait "$ls" 2>/dev/null
		return
	fi
	kill -KILL "$ls"
	wait "$ls" 2>/dev/null
	# gone, or a zombie of an init that does not reap
	wait_until 10 "the held child's end" in_state "$child" "Z-"
	[ -e "$T/ran" ] && fail "the command ran untraced: $T/ran says '$(cat "$T/ran")'"
	expect_eq "leakscope said nothing of tracing" "" "$(grep "tracing PID" "$T/err")"
}
run_test "faults: leakscope killed before the command starts: it does not run untraced" \
	t_killed_before_release

t_stack_map_full() {
	"$LEAKSCOPE" --kinds heap --max-stacks 2 --folded "$T/f" -- "$FIX/heap_leaks" >"$T/out" 2>&1
	expect_eq "exit code" 0 $?
	expect_match "lost stacks counted" "[1-9][0-9]* stacks lost \(stack map full [1-9]" "$T/out"
	expect_match "their blocks still counted" "\[stack lost\]" "$T/f"
}
run_test "faults: full stack map: stacks lost are counted, reports go on" t_stack_map_full

# The binary is deleted, or replaced by another file, while it runs: its
# symbols are read through /proc/PID/map_files.
t_binary_deleted() {
	cp "$FIX/heap_leaks" "$T/victim"
	"$T/victim" --wait >"$T/fix.out" 2>&1 &
	local fix=$!
	wait_for "$T/fix.out" "^ready"
	rm "$T/victim"
	cp "$FIX/cxx_leaks" "$T/victim.new"
	"$LEAKSCOPE" -v -p "$fix" -i 60 --folded "$T/f" >"$T/out" 2>"$T/err" &
	local ls=$!
	wait_for "$T/err" "tracing PID $fix"
	kill -USR1 "$fix"
	wait_for "$T/fix.out" "^leaked"
	kill -INT "$ls"
	wait "$ls"
	expect_heap_leaks_sites "$T/f"
	kill -TERM "$fix"
	wait "$fix" 2>/dev/null

	# now replaced: same path, another file
	cp "$FIX/heap_leaks" "$T/victim"
	"$T/victim" --wait >"$T/fix2.out" 2>&1 &
	fix=$!
	wait_for "$T/fix2.out" "^ready"
	mv "$T/victim.new" "$T/victim"
	"$LEAKSCOPE" -v -p "$fix" -i 60 --folded "$T/g" >"$T/out2" 2>"$T/err2" &
	ls=$!
	wait_for "$T/err2" "tracing PID $fix"
	kill -USR1 "$fix"
	wait_for "$T/fix2.out" "^leaked"
	kill -INT "$ls"
	wait "$ls"
	expect_heap_leaks_sites "$T/g"
	kill -TERM "$fix"
	wait "$fix" 2>/dev/null
}
run_test "faults: binary deleted or replaced on disk: still symbolized" t_binary_deleted
