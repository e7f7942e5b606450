# shellcheck shell=bash
# -a without uprobes in every process (src/host_watch.c): page faults
# sampled, RSS per process, and a process whose memory keeps growing traced
# exactly for a window, its allocator found for it as for -p (glibc,
# jemalloc, a static binary), then detached.

# host_steady PROGRAM [OPTIONS...]: PROGRAM steady (16384 bytes every 50 ms
# at leak_steady) under leakscope -a OPTIONS until the escalation of it has
# ended, 90 s at most, and, if the caller set $until_growth_frame, until a
# growth stack of it has that frame; sets $leaker
host_steady() {
	local prog=$1 ls
	shift
	"$LEAKSCOPE" -v "$@" -i 1 --top 500 --escalate-after 4 --escalate-window 4 --json "$T/j" \
		>"$T/out" 2>"$T/err" &
	ls=$!
	wait_for "$T/err" "tracing the host" 20
	"$prog" steady >"$T/leaker" 2>&1 &
	leaker=$!
	wait_for "$T/out" "^escalation $leaker \(" 90
	# a report after it ended
	wait_for "$T/out" "^escalation $leaker .*" 5
	more_reports "$T/j" 2
	[ -z "${until_growth_frame-}" ] ||
		wait_until 30 "a growth stack through $until_growth_frame" \
			growth_stack_through "$leaker" "$until_growth_frame"
	kill -INT "$ls"
	wait "$ls"
	expect_eq "leakscope exit code" 0 $?
	kill -TERM "$leaker"
	wait "$leaker" 2>/dev/null
}

# growth_stack_through PID FRAME: a page-fault stack of PID has FRAME (a
# report being written is a line cut short: what came before it counts)
growth_stack_through() {
	jq -c --argjson pid "$1" --arg f "$2" '.stacks[] | select(.pid == $pid and .kind == "growth")
		| select(.frames[0] == "page fault" and (.frames | index($f)))' "$T/j" 2>/dev/null | grep -q .
}

# The escalation's growing heap stack, exactly: 16384-byte blocks at
# malloc <- leak_steady <- main, growing; no heap uprobe before or after.
expect_escalated() {
	local pid=$1
	expect_match "escalated for its growing memory" \
		"PID $pid \($2\): memory grew [0-9]+ reports in a row: its heap is traced exactly for 4 s" "$T/err"
	expect_match "the window ended, its growing stack said" \
		"^escalation $pid \($2\) ended after [0-9]+ s \(its window\): [0-9]+ probe hits, BPF" "$T/out"
	expect_match "the growing stack, exact" \
		"^  [0-9.]+ [KM]iB in [0-9]+ blocks, \+[0-9]+ B/s: malloc <- leak_steady <- main" "$T/out"
	# each block of the stack is 16384 bytes: exact, not estimated
	expect_eq "heap rows of the window: 16384 bytes a block" "ok" \
		"$(jq -r --argjson pid "$pid" '.stacks[] | select(.pid == $pid and .kind == "heap")
			| select(.frames[0:3] == ["malloc", "leak_steady", "main"])
			| if .bytes == 16384 * .objects then "ok" else "bad \(.bytes) \(.objects)" end' "$T/j" |
			sort -u | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "and growing in the window" "growing" \
		"$(jq -r --argjson pid "$pid" '.stacks[] | select(.pid == $pid and .kind == "heap") | .verdict' "$T/j" |
			grep -m1 -x growing)"
	expect_eq "forgotten once detached" "" \
		"$(tail -n 1 "$T/j" | jq -r --argjson pid "$pid" '.stacks[] | select(.pid == $pid and .kind == "heap") | .bytes')"
	expect_eq "its window and its cost in the JSON" "ok" \
		"$(jq -r --argjson pid "$pid" '.processes[] | select(.pid == $pid and .exact_window)
			| if .exact_window.of_s == 4 and .exact_window.probe_hits > 0 and .rss_anon > 0
			  then "ok" else "bad \(.exact_window)" end' "$T/j" | sort -u | tr '\n' ' ' | sed 's/ $//')"
	expect_match "its cost said while traced" \
		"^memory $pid +$2 +RSS anon .*heap traced exactly for [0-9]+ s of 4: [0-9]+ probe hits, BPF [0-9.]+ ms \+ traps ~[0-9.]+ ms \(estimated\)" "$T/out"
}

t_host_sampled() {
	local leaker until_growth_frame=leak_steady
	# a report every second over the whole host costs leakscope's own
	# process ~10x what the default (-i 10) does: a budget to match
	host_steady "$FIX/host_leaks" -a --budget 10
	expect_escalated "$leaker" host_leaks
	# before any uprobe: the fault stacks of the leaker, growing, with main
	expect_eq "its page faults: a growing stack through main" "growing" \
		"$(jq -r --argjson pid "$leaker" '.stacks[] | select(.pid == $pid and .kind == "growth")
			| select(.frames[0] == "page fault" and (.frames | index("main"))) | .verdict' "$T/j" |
			grep -m1 -x growing)"
	# libc's unwind table loaded once it grew: the walk from the fault
	# through memset (a leaf, no frame record) finds its caller, which
	# frame pointers skip; one bpf_find_vma per run in the fault path
	# (unwind.bpf.h's vma_cache)
	expect_match "libc's unwind table loaded" "unwind table of .*/libc\.so\.6: [0-9]+ rows" "$T/err"
	expect_eq "its page faults through leak_steady, the walk complete to _start" "_start" \
		"$(jq -r --argjson pid "$leaker" '.stacks[] | select(.pid == $pid and .kind == "growth")
			| select(.frames[0] == "page fault" and (.frames | index("leak_steady"))) | .frames[-1]' "$T/j" |
			grep -m1 -x _start)"
	expect_eq "what its sampled faults cost it, estimated, in the JSON" "ok" \
		"$(jq -r --argjson pid "$leaker" '.processes[] | select(.pid == $pid and .sampling_ns_estimated > 0) | "ok"' "$T/j" | head -n 1)"
	expect_match "growth estimated from one fault in 64" \
		"growth: .* pages at [0-9]+ stacks \(estimated: --fault-period 64\)" "$T/out"
	expect_match "what leakscope cost the host, measured" \
		"^host: leakscope took [0-9.]+ % of [0-9]+ CPUs in [0-9]+ s \(budget 10 %\): fault sampling \(1 in 64\) [0-9.]+ ms BPF" "$T/out"
	expect_eq "the host's cost in the JSON: budget, fault period, a window (others may have had one)" "10 64 true" \
		"$(tail -n 1 "$T/j" | jq -r '"\(.host.budget_percent) \(.host.fault_period) \(.host.exact_windows >= 1)"')"
	expect_match "no uprobe on the host at start" "tracing the host: 0 probe links" "$T/err"
}
run_test "host: -a finds a steady leak by page faults and RSS, then its stack exactly (glibc)" t_host_sampled

t_host_jemalloc() {
	local leaker
	host_steady "$FIX/host_leaks_jemalloc" --comm host_leaks_jema
	expect_escalated "$leaker" host_leaks_jema
}
run_test "host: -a escalates a jemalloc program with its own allocator's probes" t_host_jemalloc

t_host_static() {
	local leaker
	host_steady "$FIX/host_leaks_static" --comm host_leaks_stat
	expect_escalated "$leaker" host_leaks_stat
}
run_test "host: -a escalates a static program with its own allocator's probes" t_host_static

t_host_budget() {
	# a budget too small for any window: the leak is seen, never escalated
	"$LEAKSCOPE" -v --comm host_leaks -i 1 --escalate-after 2 --budget 0.01 >"$T/out" 2>"$T/err" &
	local ls=$! leaker
	wait_for "$T/err" "tracing the host" 20
	"$FIX/host_leaks" steady >"$T/leaker" 2>&1 &
	leaker=$!
	wait_for "$T/out" "^memory $leaker +host_leaks .*grew [4-9] reports in a row" 30
	kill -INT "$ls"
	wait "$ls"
	expect_eq "leakscope exit code" 0 $?
	kill -TERM "$leaker"
	wait "$leaker" 2>/dev/null
	expect_no_match "no escalation over the budget" "traced exactly" "$T/err"
	expect_match "the budget said" "\(budget 0.01 %\)" "$T/out"
}
run_test "host: --budget keeps escalations out when the budget is spent" t_host_budget
