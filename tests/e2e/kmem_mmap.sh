# End-to-end: kernel allocations (kmem) and memory mappings (mmap) of
# tests/fixtures/kmem_mmap.c. Exact values at named functions.

# kmem_sum FILE REGEX: the summed value of the [kmem] folded lines matching
# REGEX (the kernel frames between the user function and the allocator's
# caller vary by kernel: pipe2, do_pipe2, create_pipe_files...)
kmem_sum() {
	grep '^\[kmem\];' "$1" | grep -E -- "$2" | awk '{ s += $NF } END { print s + 0 }'
}

t_kmem_pipes() {
	report_when_leaked "$T/out" "$T/err" --kinds kmem --folded-value count --folded "$T/f" \
		--json "$T/j" -- "$FIX/kmem_mmap"
	expect_eq "exit code" 0 "$LS_RC"
	expect_eq "2 kmallocs per pipe held, at alloc_pipe_info under hold_pipes" 50 \
		"$(kmem_sum "$T/f" ';main;hold_pipes;pipe2?;.*;alloc_pipe_info;kmalloc ')"
	# (the slab pages its pipes needed stay: the slab keeps them)
	expect_eq "none left under churn_pipes" 0 \
		"$(kmem_sum "$T/f" ';churn_pipes;.*;alloc_pipe_info;kmalloc ')"
	expect_match "kernel frames named from kallsyms, user frames after them" \
		'^\[kmem\];.*;main;hold_pipes;pipe2?;.*do_pipe2;.*alloc_pipe_info;kmalloc [0-9]+$' "$T/f"
	expect_no_match "no frames of the tracer itself" 'bpf_prog_|bpf_trace_run' "$T/f"
	expect_match "the kind in the text report" "^kmem: .* blocks at [0-9]+ stacks" "$T/out"
	expect_match "its counters, no drops" "^counters kmem: [0-9]+ allocations, [0-9]+ frees, .* 0 dropped" "$T/out"
	expect_match "the kind in JSON" '"kinds":\{"kmem":\{"bytes":[0-9]+' "$T/j"
	expect_match "JSON stacks of kmem" '"kind":"kmem","frames":\["kmalloc","alloc_pipe_info"' "$T/j"
}
run_test "kmem: 25 pipes held: 50 kmalloc blocks at alloc_pipe_info, 0 for those closed" t_kmem_pipes

t_mmap_ranges() {
	report_when_leaked "$T/out" "$T/err" --kinds mmap --folded "$T/f" -- "$FIX/kmem_mmap"
	expect_eq "exit code" 0 "$LS_RC"
	expect_folded "$T/f" "main;map_keep;mmap" 20480
	expect_folded "$T/f" "main;map_partial;mmap" 24576
	expect_folded "$T/f" "main;map_move;mmap" 16384
	expect_folded "$T/f" "main;map_file;mmap" 4096
	expect_no_match "unmapped entirely: nothing" "map_drop" "$T/f"
	expect_match "a root frame of its own" '^\[mmap\];' "$T/f"
	"$LEAKSCOPE" -i 600 --kinds mmap --folded-value count --folded "$T/c" -- "$FIX/kmem_mmap" \
		>"$T/out2" 2>&1 &
	local ls=$!
	wait_for "$T/out2" "^leaked" 60
	kill -INT $ls
	wait $ls
	expect_folded "$T/c" "main;map_partial;mmap" 2 # split in two by the unmap
	expect_folded "$T/c" "main;map_keep;mmap" 1
}
run_test "mmap: mappings kept, unmapped, partly unmapped, moved: exact bytes" t_mmap_ranges

t_mmap_allocator() {
	report_when_leaked "$T/out" "$T/err" --kinds heap,mmap --folded "$T/f" -- "$FIX/kmem_mmap"
	expect_eq "exit code" 0 "$LS_RC"
	expect_folded "$T/f" "main;alloc_big;malloc" 1048576
	expect_match "malloc's own mapping shown as such" \
		"^\[mmap\];.*;mmap \(allocator's own\) 1052672$" "$T/f"
	local counted
	counted=$(grep '^\[mmap\];' "$T/f" | grep -v "allocator's own" | awk '{ s += $NF } END { print s }')
	expect_match "but not counted in mmap's totals" \
		"mmap: .* \($counted bytes\)|mmap: [0-9.]+ [KM]iB in [0-9]+ mappings" "$T/out"
	expect_eq "the user's mappings still exact" 20480 "$(folded_value "$T/f" "main;map_keep;mmap")"
}
run_test "mmap: the allocator's own mappings shown as such, not counted twice" t_mmap_allocator

t_kmem_host() {
	"$LEAKSCOPE" -v --comm kmem_mmap --kinds kmem -i 600 --folded-value count --folded "$T/f" \
		>"$T/out" 2>"$T/err" &
	local ls=$!
	wait_for "$T/err" "tracing the host" 20
	"$FIX/kmem_mmap" >"$T/fix" 2>&1 &
	local fix=$!
	wait_for "$T/fix" "^leaked" 60
	kill -INT "$ls"
	wait "$ls"
	expect_eq "leakscope exit code" 0 $?
	wait "$fix"
	# -a reads a process's unwind tables only once a report names it: the
	# walk through libc's pipe() wrapper is by frame pointers, which skip
	# its caller. All 50 at alloc_pipe_info: the 50 of the closed pipes
	# are gone.
	expect_eq "-a: the process of that name, 50 kmallocs at alloc_pipe_info" 50 \
		"$(kmem_sum "$T/f" ';main;(hold_pipes;)?pipe2?;.*;alloc_pipe_info;kmalloc ')"
}
run_test "kmem: -a --comm: the kernel allocations of the processes of that name" t_kmem_host
