# End-to-end: stacks of code built without frame pointers (-O2
# -fomit-frame-pointer), walked with the .eh_frame tables in BPF (--unwind).
# Same exact numbers as heap.sh and fd_thread.sh, with the whole stack.

t_unwind_heap_nofp() {
	"$LEAKSCOPE" --folded "$T/f" -- "$FIX/heap_leaks_nofp" >"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	expect_heap_leaks_sites "$T/f"
	# every leak site down to the thread's first frame, through libc
	local site
	for site in $HEAP_LEAKS_SITES; do
		expect_match "full stack of ${site%:*}" \
			"^\[heap\];_start;__libc_start_main;__libc_start_call_main;${site%:*} ${site##*:}\$" "$T/f"
	done
	expect_match "every stack complete" "^counters heap: .* stacks 100\.0 % complete" "$T/out"
	expect_match "no stack cut short" "^counters heap: .*, 0 cut short" "$T/out"
}
run_test "unwind: -O2 without frame pointers, full stacks, exact bytes" t_unwind_heap_nofp

# The same binary by frame pointers loses the caller: the reason for tables.
t_unwind_fp_loses() {
	"$LEAKSCOPE" --unwind fp --folded "$T/f" -- "$FIX/heap_leaks_nofp" >"$T/out" 2>"$T/err"
	expect_no_match "no stack reaches main by frame pointers" ";main;leak_" "$T/f"
	expect_match "cut-short stacks counted" "^counters heap: .* [1-9][0-9]* cut short" "$T/out"
}
run_test "unwind: --unwind fp on the same binary stops short, and says so" t_unwind_fp_loses

t_unwind_dwarf() {
	"$LEAKSCOPE" --unwind dwarf --folded "$T/f" -- "$FIX/heap_leaks" >"$T/out" 2>"$T/err"
	expect_heap_leaks_sites "$T/f"
	expect_match "tables for the frame-pointer build too" \
		"^\[heap\];_start;__libc_start_main;__libc_start_call_main;main;leak_malloc;malloc 1000$" "$T/f"
}
run_test "unwind: --unwind dwarf on a frame-pointer build" t_unwind_dwarf

t_unwind_depth() {
	# the caller of malloc and its caller (the leaf is the API's name)
	"$LEAKSCOPE" --unwind-depth 2 --folded "$T/f" -- "$FIX/heap_leaks_nofp" >"$T/out" 2>"$T/err"
	expect_match "two frames" "^\[heap\];main;leak_malloc;malloc 1000$" "$T/f"
	expect_match "truncation counted" "^counters heap: .* [1-9][0-9]* truncated at depth" "$T/out"
}
run_test "unwind: --unwind-depth cuts stacks and counts them" t_unwind_depth

# fds: the open() wrapper's entry (a uprobe) and the system call's own
# registers (fds without a probed wrapper), both through libc's tables.
t_unwind_fd_nofp() {
	# a report while the fixture holds its fds (it sleeps 3 s after leaking)
	report_when_leaked "$T/out" "$T/err" --kinds fd --folded "$T/f" -- "$FIX/fd_leaks_nofp"
	expect_folded "$T/f" "main;open_leak;open" 7
	expect_match "open stack to _start" "^\[fd\];_start;__libc_start_main;__libc_start_call_main;main;open_leak;open 7$" "$T/f"
	expect_folded "$T/f" "main;socket_leak;socket" 3
	expect_folded "$T/f" "main;eventfd_leak;eventfd" 5
	expect_match "fd stacks complete" "^counters fd: .* stacks 100\.0 % complete" "$T/out"
}
run_test "unwind: fds of a -O2 build without frame pointers" t_unwind_fd_nofp

# fds no wrapper sees: walked from the system call's registers, starting
# inside libc's syscall() (no frame pointers anywhere)
t_unwind_syscall_regs() {
	report_when_leaked "$T/out" "$T/err" --kinds fd --folded "$T/f" -- "$FIX/raw_fds_nofp"
	expect_match "openat stack to _start" \
		"^\[fd\];_start;__libc_start_main;__libc_start_call_main;main;raw_open_leak;syscall;openat 3$" "$T/f"
	expect_match "fd stacks complete" "^counters fd: .* stacks 100\.0 % complete" "$T/out"
}
run_test "unwind: system-call path (registers) through libc's tables" t_unwind_syscall_regs

# A stack is recalled, not walked again, when every word its first walk read
# is unchanged. Two callers whose calls of malloc have the same return
# address and stack pointer differ only in the words above: each leak must
# stay at its own caller, alternating call after call.
t_unwind_recalled_stacks() {
	"$LEAKSCOPE" -v --folded "$T/f" -- "$FIX/same_frames_nofp" >"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	expect_folded "$T/f" "main;via_left;alloc_block;malloc" 1000
	expect_folded "$T/f" "main;via_right;alloc_block;malloc" 1200
	# the 500 calls of via_left in a row: all but the first recalled
	local recalled
	recalled=$(sed -n 's/^ *\([0-9]*\) stacks recalled.*/\1/p' "$T/out" | head -n 1)
	expect_eq "stacks recalled in the loop (at least 499)" 1 "$([ "${recalled:-0}" -ge 499 ] && echo 1)"
}
run_test "unwind: recalled stacks stay exact when two callers share a frame shape" t_unwind_recalled_stacks
