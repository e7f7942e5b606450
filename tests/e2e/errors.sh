# End-to-end: bad input and missing prerequisites. Each gets one line on
# stderr, nothing on stdout and its own exit code (see src/util.h):
# 2 usage, 3 no target, 4 permission, 5 kernel feature, 6 allocator, 7 output.

t_usage_errors() {
	expect_error "unknown long option" 2 "unknown option '--bogus'" "$LEAKSCOPE" --bogus -p 1
	expect_error "unknown short option" 2 "unknown option '-x'" "$LEAKSCOPE" -x -p 1
	expect_error "missing value" 2 "option '-p' needs a value" "$LEAKSCOPE" -p
	expect_error "non-numeric PID" 2 "invalid PID 'abc'" "$LEAKSCOPE" -p abc
	expect_error "negative PID" 2 "invalid PID '-5'" "$LEAKSCOPE" -p -5
	expect_error "zero interval" 2 "invalid interval '0'" "$LEAKSCOPE" -i 0 -p 1
	expect_error "huge interval" 2 "invalid interval '1e999'" "$LEAKSCOPE" -i 1e999 -p 1
	expect_error "zero --top" 2 "invalid --top '0'" "$LEAKSCOPE" --top 0 -p 1
	expect_error "junk after number" 2 "invalid --max-objects '10x'" "$LEAKSCOPE" --max-objects 10x -p 1
	expect_error "bad --folded-value" 2 "invalid --folded-value" "$LEAKSCOPE" --folded-value kb -p 1
	expect_error "min above max size" 2 "min-size is larger" "$LEAKSCOPE" --min-size 10 --max-size 5 -p 1
	expect_error "unknown kind" 2 "invalid --kinds 'heap,sockets'" "$LEAKSCOPE" --kinds heap,sockets -p 1
	expect_error "empty kind" 2 "invalid --kinds ',fd'" "$LEAKSCOPE" --kinds ,fd -p 1
	expect_error "no target" 2 "no target" "$LEAKSCOPE" -i 1
	expect_error "both targets" 2 "either -p PID or -- COMMAND" "$LEAKSCOPE" -p 1 -- true
}
run_test "errors: usage, unknown options, invalid numbers" t_usage_errors

t_help() {
	"$LEAKSCOPE" --help >"$T/out" 2>"$T/err"
	expect_eq "exit code" 0 $?
	expect_match "usage" "^Usage: leakscope" "$T/out"
	expect_eq "stderr" "" "$(cat "$T/err")"
}
run_test "errors: --help" t_help

t_no_target() {
	expect_error "no such PID" 3 "no process with PID 999999" "$LEAKSCOPE" -p 999999
	expect_error "kernel thread" 3 "PID 2 is a kernel thread" "$LEAKSCOPE" -p 2
	expect_error "no such command" 3 "cannot run '/nonexistent/cmd'" "$LEAKSCOPE" -- /nonexistent/cmd
	# the shell's PID, which exec hands to leakscope
	expect_error "its own PID" 3 "PID [0-9]+ is leakscope itself" \
		sh -c 'exec "$0" -p $$' "$LEAKSCOPE"
	# a process that has exited but was not reaped yet (a zombie): its
	# parent execs a program that never waits
	sh -c 'true & exec sleep 60' &
	local parent=$!
	if wait_until 10 "a zombie child of $parent" zombie_child "$parent"; then
		expect_error "exited process" 3 "PID $ZOMBIE has exited" "$LEAKSCOPE" -p "$ZOMBIE"
	fi
	kill "$parent"
	wait "$parent" 2>/dev/null
}

# zombie_child PARENT: ZOMBIE, a child of PARENT that exited unreaped
zombie_child() {
	ZOMBIE=$(ps -o pid=,stat= --ppid "$1" | awk '$2 ~ /^Z/ { print $1 }')
	[ -n "$ZOMBIE" ]
}
run_test "errors: no such PID, kernel thread, exited process, no command, itself" t_no_target

t_permission() {
	chmod 755 "$T"
	cp "$LEAKSCOPE" "$T/leakscope"
	expect_error "not root" 4 "permission denied: tracing needs root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$T/leakscope" -p 1
	expect_error "root without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN" 4 "permission denied" \
		setpriv --bounding-set -bpf,-perfmon,-sys_admin --inh-caps -bpf,-perfmon,-sys_admin \
		"$T/leakscope" -p 1
}
run_test "errors: not root, no BPF capabilities" t_permission

t_kernel_feature() {
	mkdir -p "$T/sys/kernel/btf"
	LEAKSCOPE_SYSFS=$T/sys expect_error "no BTF" 5 "kernel feature missing: BTF" \
		"$LEAKSCOPE" -p 1
	touch "$T/sys/kernel/btf/vmlinux"
	LEAKSCOPE_SYSFS=$T/sys expect_error "no uprobes" 5 "kernel feature missing: uprobes" \
		"$LEAKSCOPE" -p 1
}
run_test "errors: missing kernel features" t_kernel_feature

t_no_allocator() {
	expect_error "named allocator absent" 6 "'libnothere' with prefix '' defines no malloc" \
		"$LEAKSCOPE" --allocator libnothere -- "$FIX/heap_leaks"
	expect_error "wrong prefix" 6 "'libc' with prefix 'zz_' defines no malloc" \
		"$LEAKSCOPE" --allocator libc:zz_ -- "$FIX/heap_leaks"
	expect_error "stripped static binary" 6 "no allocator found .*stripped static" \
		"$LEAKSCOPE" -- "$FIX/heap_leaks_static_stripped"
}
run_test "errors: no allocator in the target (the command never runs)" t_no_allocator

t_allocator_override() {
	"$LEAKSCOPE" -v --allocator libc.so --folded "$T/f" -- "$FIX/heap_leaks" >"$T/out" 2>"$T/err"
	expect_eq "exit code" 0 $?
	expect_match "malloc probed in libc" "probe malloc +.*libc\.so\.6" "$T/err"
	expect_folded "$T/f" "main;leak_malloc;malloc" 1000
}
run_test "errors: --allocator picks the library" t_allocator_override

t_unwritable_output() {
	expect_error "folded path" 7 "cannot write /nonexistent/dir/f" \
		"$LEAKSCOPE" --folded /nonexistent/dir/f -- "$FIX/heap_leaks"
}
run_test "errors: unwritable output path" t_unwritable_output
