# End-to-end: what the running kernel accepts. Every program within the
# verifier budget; a program the kernel refuses is named with the
# verifier's reason and only its feature goes missing; kernels without
# uprobe_multi links (before 6.6) get perf-event uprobes, counted the same.
# LEAKSCOPE_TEST_REJECT makes the kernel's verifier refuse programs for
# real (a frame too large for the stack, bpf/unwind.bpf.h).

t_verifier_budget() {
	"$BUILD/verifier-report" >"$T/out" 2>&1
	expect_eq "verifier-report exit code (0: every program within budget)" 0 $?
	expect_match "every program measured" "^34 programs, 0 refused or over budget$" "$T/out"
	"$BUILD/verifier-report" --fp-only >"$T/fp" 2>&1
	expect_eq "verifier-report --fp-only exit code" 0 $?
}
run_test "kernel: every BPF program within the verifier budget (insns, stack)" t_verifier_budget

t_reject_tables() {
	LEAKSCOPE_TEST_REJECT=tables "$LEAKSCOPE" --folded "$T/f" -- "$FIX/heap_leaks" \
		>"$T/out" 2>"$T/err"
	expect_eq "exit code" 0 $?
	expect_match "the refusal named, with the verifier's reason" \
		"^leakscope: the kernel rejected [a-z_0-9]+: combined stack size of [0-9]+ calls is [0-9]+\. Too large; stacks by frame pointers only$" \
		"$T/err"
	expect_match "every report says what is missing" \
		"^missing: stacks by frame pointers only \(the kernel rejected " "$T/out"
	expect_heap_leaks_sites "$T/f" # a frame-pointer build: exact all the same
}
run_test "kernel: table walk refused: frame-pointer stacks, exact, said in the report" \
	t_reject_tables

t_reject_kind() {
	LEAKSCOPE_TEST_REJECT=fd report_when_leaked "$T/out" "$T/err" --folded "$T/f" \
		-- "$FIX/fd_leaks"
	expect_eq "exit code" 0 "$LS_RC"
	expect_match "first, frame pointers" "^leakscope: the kernel rejected fd_sys_exit: .*; stacks by frame pointers only$" "$T/err"
	expect_match "then the kind" \
		"^leakscope: the kernel rejected fd_sys_exit: combined stack size of [0-9]+ calls is [0-9]+\. Too large; fd not traced$" \
		"$T/err"
	expect_match "the report says fd is missing" "^missing: .*fd not traced \(the kernel rejected fd_sys_exit: " "$T/out"
	expect_no_match "no fd rows" "^\[fd\]" "$T/f"
	expect_eq "threads still traced" 6 \
		"$(grep '^\[thread\];' "$T/f" | folded_value /dev/stdin "spawn_stuck;pthread_create")"
}
run_test "kernel: a kind's program refused: that kind missing, the others exact" t_reject_kind

t_reject_everything() {
	LEAKSCOPE_TEST_REJECT=heap,fd,thread "$LEAKSCOPE" -d 5 -- "$FIX/heap_leaks" \
		>"$T/out" 2>"$T/err" </dev/null
	expect_eq "exit code: kernel (5), not permission (4)" 5 $?
	expect_match "the last refusal named" \
		"^leakscope: the kernel rejected [a-z_0-9]+: combined stack size of [0-9]+ calls is [0-9]+\. Too large$" \
		"$(tail -n 1 "$T/err" >"$T/last"; echo "$T/last")"
	expect_eq "nothing on stdout" "" "$(cat "$T/out")"
	LEAKSCOPE_TEST_REJECT=tables "$LEAKSCOPE" -v -d 1 -- /bin/true >/dev/null 2>"$T/verbose"
	expect_match "-v: the verifier's whole log" "^libbpf: prog '[a-z_0-9]+': -- BEGIN PROG LOAD LOG --" "$T/verbose"
}
run_test "kernel: everything refused: exit 5 with the reason; -v shows the verifier log" \
	t_reject_everything

t_perf_uprobes() {
	LEAKSCOPE_NO_UPROBE_MULTI=1 "$LEAKSCOPE" --folded "$T/f" -- "$FIX/heap_leaks" \
		>"$T/out" 2>"$T/err"
	expect_eq "exit code" 0 $?
	expect_heap_leaks_sites "$T/f"
	expect_match "no drops" " 0 dropped, 0 stacks lost" "$T/out"
}
run_test "kernel: perf-event uprobes (kernels before 6.6), the same exact bytes" t_perf_uprobes
