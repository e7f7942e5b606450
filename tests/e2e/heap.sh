# End-to-end: heap tracing of real processes through the real BPF programs.
# Every number below is what the fixture's source says it leaks.

t_spawned_exact() {
	"$LEAKSCOPE" --folded "$T/f" -- "$FIX/heap_leaks" >"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	expect_heap_leaks_sites "$T/f"
	expect_match "final report printed" "final report 1, .*target exited" "$T/out"
	expect_match "no unknown frees" " 0 unknown frees" "$T/out"
	expect_match "no drops" " 0 dropped, 0 stacks lost" "$T/out"
}
run_test "heap: -- command, exact bytes at each leak site" t_spawned_exact

t_spawned_counts() {
	"$LEAKSCOPE" --folded "$T/f" --folded-value count -- "$FIX/heap_leaks" >/dev/null 2>&1
	expect_folded "$T/f" "main;leak_malloc;malloc" 10
	expect_folded "$T/f" "main;leak_calloc;calloc" 5
	expect_folded "$T/f" "main;leak_realloc;realloc" 3
	expect_folded "$T/f" "main;leak_strdup;strdup" 7
	expect_folded "$T/f" "main;leak_aligned;aligned_alloc" 4
	expect_folded "$T/f" "main;leak_memalign;posix_memalign" 3
	expect_folded "$T/f" "main;leak_reallocarray;reallocarray" 2
}
run_test "heap: --folded-value count, exact block counts" t_spawned_counts

# Kernels before 6.13 have no uprobe sessions: an allocating function gets
# an entry probe and a uretprobe, counted the same.
t_without_sessions() {
	"$LEAKSCOPE" -v --folded "$T/f" --folded-value count -- "$FIX/heap_leaks" >/dev/null \
		2>"$T/err"
	expect_match "malloc's return seen by its session" "probe malloc .*\+ return \(session\)," \
		"$T/err"
	LEAKSCOPE_NO_SESSIONS=1 "$LEAKSCOPE" -v --folded "$T/g" --folded-value count \
		-- "$FIX/heap_leaks" >"$T/out" 2>"$T/err2"
	expect_match "malloc's return seen by a uretprobe" "probe malloc .*\+ return, entry" "$T/err2"
	expect_folded "$T/g" "main;leak_malloc;malloc" 10
	expect_folded "$T/g" "main;leak_calloc;calloc" 5
	expect_folded "$T/g" "main;leak_realloc;realloc" 3
	expect_folded "$T/g" "main;leak_strdup;strdup" 7
	expect_folded "$T/g" "main;leak_reallocarray;reallocarray" 2
	expect_match "no unknown frees" " 0 unknown frees" "$T/out"
	LEAKSCOPE_NO_SESSIONS=1 "$LEAKSCOPE" --folded "$T/h" -- "$FIX/cxx_leaks" >/dev/null 2>&1
	expect_folded "$T/h" "main;leak_new();operator new" 288
	expect_folded "$T/h" "main;leak_new_array();operator new[]" 1200
}
run_test "heap: uretprobes where the kernel has no uprobe sessions, same counts" t_without_sessions

t_target_unharmed() {
	"$FIX/heap_leaks" >"$T/plain.out" 2>&1
	local plain_rc=$?
	"$LEAKSCOPE" --folded "$T/f" -- "$FIX/heap_leaks" >"$T/traced.out" 2>/dev/null
	local n
	n=$(grep -c '^leaked$' "$T/traced.out")
	expect_eq "fixture exit status untraced" 3 "$plain_rc"
	expect_eq "fixture output untraced" "leaked" "$(cat "$T/plain.out")"
	expect_eq "fixture output under tracing" 1 "$n"
}
run_test "heap: traced command's output and exit status unchanged" t_target_unharmed

# Attach with -p to heap_leaks --wait, let it leak, stop leakscope with
# signal $1: the final report, nothing left loaded, the target runs on.
attach_leak_and_stop() {
	local sig=$1 fix ls ids
	"$FIX/heap_leaks" --wait >"$T/fix.out" 2>&1 &
	fix=$!
	wait_for "$T/fix.out" "^ready"
	"$LEAKSCOPE" -v -p "$fix" -i 60 --folded "$T/f" >"$T/out" 2>"$T/err" &
	ls=$!
	wait_for "$T/err" "tracing PID $fix"
	ids=$(bpf_prog_ids_of "$ls")
	[ -n "$ids" ] || fail "no BPF programs held by leakscope while tracing"
	kill -USR1 "$fix"
	wait_for "$T/fix.out" "^leaked"
	kill -"$sig" "$ls"
	wait "$ls"
	expect_eq "leakscope exit code after SIG$sig" 0 $?
	expect_programs_gone "$ids"
	expect_match "final report on SIG$sig" "final report 1" "$T/out"
	expect_heap_leaks_sites "$T/f"
	# the target runs on after leakscope detached, and still answers
	kill -0 "$fix" 2>/dev/null || fail "target died after detach"
	kill -TERM "$fix"
	wait "$fix" 2>/dev/null
	expect_eq "target killed by our SIGTERM, not by anything else" 143 $?
}

t_attach_pid() {
	attach_leak_and_stop INT
	# the 5 blocks allocated before attach and freed after are unknown
	expect_match "unknown frees counted" " 5 unknown frees" "$T/out"
}
run_test "heap: -p attach, exact bytes, unknown frees, SIGINT detach, nothing left" t_attach_pid

# A uretprobe sees only the calls entered after it is attached: the return
# probes go in first. With an entry probe first, a call entered in between
# (a running process, an exec followed, a static binary's start-up) left its
# thread waiting for a return that never comes, and every later call from a
# deeper frame counted as nested in it: nothing was recorded.
t_return_probes_first() {
	local fix ls
	"$FIX/heap_leaks" --wait >"$T/fix" &
	fix=$!
	wait_for "$T/fix" "^ready"
	"$LEAKSCOPE" -v --kinds heap -p "$fix" >"$T/out" 2>"$T/err" &
	ls=$!
	wait_for "$T/err" "tracing PID"
	cat /proc/$ls/fdinfo/* 2>/dev/null |
		awk '/^link_type:/ { t = $2 } /^link_id:/ { print t, $2 }' >"$T/links"
	kill -INT "$ls"
	wait "$ls"
	kill -TERM "$fix"
	wait "$fix" 2>/dev/null
	expect_eq "the last return link is older than the first entry link" "yes" \
		"$(awk '$1 == "uretprobe_multi" && $2 > r { r = $2 }
			$1 == "uprobe_multi" && (!e || $2 < e) { e = $2 }
			END { print (r && e && r < e) ? "yes" : "return " r ", entry " e }' "$T/links")"
}
run_test "heap: return probes are attached before entry probes" t_return_probes_first

t_cxx() {
	"$LEAKSCOPE" --folded "$T/f" -- "$FIX/cxx_leaks" >"$T/out" 2>"$T/err"
	expect_folded "$T/f" "main;leak_new();operator new" 288
	expect_folded "$T/f" "main;leak_new_array();operator new[]" 1200
	expect_folded "$T/f" "main;leak_new_nothrow();operator new[]" 666
	expect_folded "$T/f" "main;leak_new_aligned();operator new" 640
	expect_no_match "churn contributes nothing" "churn" "$T/f"
	# new calls malloc and delete calls free: each block is counted once
	expect_no_match "new not counted twice" "operator new.*;malloc " "$T/f"
	expect_match "no unknown frees" " 0 unknown frees" "$T/out"
}
run_test "heap: C++ new/new[]/nothrow/aligned, counted once at the caller" t_cxx

t_jemalloc() {
	"$LEAKSCOPE" -v --folded "$T/f" -- "$FIX/heap_leaks_jemalloc" >"$T/out" 2>"$T/err"
	expect_match "malloc probed in jemalloc" "probe malloc +.*libjemalloc\.so\.2" "$T/err"
	expect_match "free probed in jemalloc" "probe free +.*libjemalloc\.so\.2" "$T/err"
	expect_heap_leaks_sites "$T/f"
	expect_match "no unknown frees" " 0 unknown frees" "$T/out"
}
run_test "heap: program linked with jemalloc, detected without options" t_jemalloc

t_static() {
	"$LEAKSCOPE" -v --folded "$T/f" -- "$FIX/heap_leaks_static" >"$T/out" 2>"$T/err"
	expect_match "malloc probed in the executable" "probe malloc +.*heap_leaks_static\+" "$T/err"
	expect_heap_leaks_sites "$T/f"
}
run_test "heap: statically linked allocator in the executable" t_static

t_prefixed() {
	"$LEAKSCOPE" -v --kinds heap --folded "$T/f" -- "$FIX/prefixed_alloc" >"$T/out" 2>"$T/err"
	expect_match "je_malloc probed in the executable" "probe je_malloc +.*prefixed_alloc\+" "$T/err"
	expect_folded "$T/f" "main;leak_je;malloc" 1200
	expect_no_match "churn contributes nothing" "churn_je" "$T/f"
	expect_no_match "counted once, not in libc's malloc under je_malloc" ";je_malloc;" "$T/f"
}
run_test "heap: a prefixed allocator (je_malloc) in the executable, no options" t_prefixed

t_stripped() {
	"$LEAKSCOPE" --folded "$T/f" -- "$FIX/heap_leaks_stripped" >"$T/out" 2>"$T/err"
	# no symbols: the executable's frames are module+offset, values exact
	local n
	# (libc's frames down to _start come from its unwind tables)
	n=$(grep -cE '^\[heap\];(heap_leaks_stripped\+0x[0-9a-f]+;__libc_start_main;)?__libc_start_call_main;heap_leaks_stripped\+0x[0-9a-f]+;heap_leaks_stripped\+0x[0-9a-f]+;calloc 5120$' "$T/f")
	expect_eq "calloc site as module+offset frames" 1 "$n"
}
run_test "heap: stripped executable degrades to module+offset" t_stripped

t_min_age() {
	"$LEAKSCOPE" --min-age 2 --folded "$T/f" -- "$FIX/aging" >"$T/out" 2>"$T/err"
	expect_folded "$T/f" "main;leak_early;malloc" 4000
	expect_folded "$T/f" "main;leak_late;malloc" 0
}
run_test "heap: --min-age keeps only old blocks" t_min_age

t_size_filter() {
	"$LEAKSCOPE" --min-size 1000 --max-size 3000 --folded "$T/f" -- "$FIX/heap_leaks" \
		>"$T/out" 2>"$T/err"
	expect_folded "$T/f" "main;leak_calloc;calloc" 5120
	expect_folded "$T/f" "main;leak_memalign;posix_memalign" 3072
	expect_eq "only the two sites in range" 2 "$(grep -c ';main;leak_' "$T/f")"
}
run_test "heap: --min-size/--max-size" t_size_filter

t_periodic() {
	"$LEAKSCOPE" -i 0.5 --count 3 -- "$FIX/demo" >"$T/out" 2>"$T/err"
	expect_eq "exit code" 0 $?
	expect_eq "reports" 3 "$(grep -c '^leakscope: pid .* report [0-9]' "$T/out")"
	expect_match "third report is final" "final report 3" "$T/out"
	expect_match "growth shown" "growing \+" "$T/out"
}
run_test "heap: -i periodic reports, --count" t_periodic

t_duration() {
	"$LEAKSCOPE" -d 1 -- "$FIX/demo" >"$T/out" 2>"$T/err"
	expect_eq "exit code" 0 $?
	expect_eq "one final report" 1 "$(grep -c 'final report 1, traced 1 s' "$T/out")"
}
run_test "heap: -d stops after the duration" t_duration

t_full_map() {
	"$LEAKSCOPE" --max-objects 20 --folded "$T/f" -- "$FIX/heap_leaks" >"$T/out" 2>"$T/err"
	expect_eq "exit code" 0 $?
	expect_match "drops counted and shown" "[1-9][0-9]* dropped \([0-9.]+ % of allocations: object map full [1-9]" "$T/out"
	local total
	total=$(awk '{ s += $NF } END { print s }' "$T/f")
	[ "$total" -gt 0 ] || fail "no folded data with a full object map"
}
run_test "heap: full object map is counted, reports go on" t_full_map

t_threads() {
	"$LEAKSCOPE" --folded "$T/f" -- "$FIX/threads_heap" >"$T/out" 2>"$T/err"
	expect_folded "$T/f" "worker;thread_leak;malloc" 6400
	expect_no_match "churn contributes nothing" "thread_churn" "$T/f"
	"$LEAKSCOPE" --folded "$T/c" --folded-value count -- "$FIX/threads_heap" >/dev/null 2>&1
	expect_folded "$T/c" "worker;thread_leak;malloc" 100
}
run_test "heap: 4 threads leaking and churning at once" t_threads

t_sigterm() {
	attach_leak_and_stop TERM
}
run_test "heap: SIGTERM gives the final report and detaches" t_sigterm

# Debian's redis-server is linked with libjemalloc2: found with no option.
t_redis() {
	local port=16399
	command -v redis-server >/dev/null || { fail "redis-server not installed"; return; }
	redis-server --port $port --bind 127.0.0.1 --save "" --appendonly no \
		>"$T/redis.log" 2>&1 &
	local redis=$!
	wait_for "$T/redis.log" "Ready to accept connections"
	"$LEAKSCOPE" -v -p "$redis" -i 100 --folded "$T/f" >"$T/out" 2>"$T/err" &
	local ls=$!
	wait_for "$T/err" "tracing PID $redis"
	head -c 100000 /dev/zero | tr '\0' 'v' >"$T/value"
	for i in 1 2 3 4 5; do
		redis-cli -p $port -x set "key$i" <"$T/value" >/dev/null
	done
	# (each reply came after its value was stored: its malloc was seen)
	kill -INT "$ls"
	wait "$ls"
	redis-cli -p $port shutdown nosave >/dev/null 2>&1
	wait "$redis" 2>/dev/null
	expect_match "malloc probed in jemalloc" "probe malloc +.*libjemalloc\.so\.2" "$T/err"
	expect_match "free probed in jemalloc" "probe free +.*libjemalloc\.so\.2" "$T/err"
	# five 100000-byte values (plus their few-byte sds headers and the
	# keys) held by the allocation helpers redis uses for strings: a value
	# whose first read was short grows the query buffer that becomes it
	# (readQueryFromClient;_sdsMakeRoomFor;zrealloc_usable;realloc) instead
	# of getting its own (processMultibulkBuffer;...;zmalloc_usable;malloc)
	local v
	v=$(($(folded_value "$T/f" "zmalloc_usable;malloc") + $(folded_value "$T/f" "zrealloc_usable;realloc")))
	[ "$v" -ge 500000 ] && [ "$v" -lt 500200 ] ||
		fail "expected 500000..500199 bytes at zmalloc_usable and zrealloc_usable, got $v"
}
run_test "heap: Debian's redis-server (jemalloc), no options" t_redis
