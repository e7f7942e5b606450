# End-to-end: --sample. Blocks at least as large as the sampling rate are
# always recorded, so their sites stay exact; smaller ones are estimated.

t_sample_big_exact() {
	"$LEAKSCOPE" --sample 1024 --folded "$T/f" -- "$FIX/heap_leaks" >"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	# calloc 5 x 1024, posix_memalign 3 x 1024, realloc 3 x 4096: all >= 1024
	expect_folded "$T/f" "main;leak_calloc;calloc" 5120
	expect_folded "$T/f" "main;leak_memalign;posix_memalign" 3072
	expect_folded "$T/f" "main;leak_realloc;realloc" 12288
	expect_match "report says it estimates" "^heap: .*\(estimated: --sample 1024\)" "$T/out"
	expect_match "frees of unsampled blocks are not called unknown" \
		"frees of blocks not sampled or allocated before tracing" "$T/out"
	expect_no_match "no plain unknown frees" " unknown frees" "$T/out"
	"$LEAKSCOPE" --sample 1024 --folded "$T/c" --folded-value count -- "$FIX/heap_leaks" \
		>/dev/null 2>&1
	expect_folded "$T/c" "main;leak_calloc;calloc" 5
	expect_folded "$T/c" "main;leak_realloc;realloc" 3
}
run_test "heap: --sample keeps blocks >= the rate exact" t_sample_big_exact

# Small blocks: each recorded one stands for rate bytes, so every folded
# value is a whole multiple of the rate, and nothing is recorded twice.
t_sample_small_estimated() {
	"$LEAKSCOPE" --sample 100000 --folded "$T/f" -- "$FIX/heap_leaks" >"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	expect_no_match "small-block values are multiples of the rate" \
		";(malloc|calloc|strdup|aligned_alloc|posix_memalign|reallocarray) [0-9]*[1-9][0-9]{0,4}$" \
		"$T/f"
	expect_match "allocations not sampled are counted" " [1-9][0-9]* allocations not sampled" "$T/out"
}
run_test "heap: --sample estimates small blocks in whole samples" t_sample_small_estimated

# operator new calls malloc: under --sample the malloc inside is skipped at
# its entry (its return not even seen), and new's blocks of 48 bytes and
# more are all recorded, once, at new's caller.
t_sample_nested() {
	"$LEAKSCOPE" --sample 48 --folded "$T/f" -- "$FIX/cxx_leaks" >"$T/out" 2>"$T/err"
	expect_eq "leakscope exit code" 0 $?
	expect_folded "$T/f" "main;leak_new();operator new" 288
	expect_folded "$T/f" "main;leak_new_array();operator new[]" 1200
	expect_folded "$T/f" "main;leak_new_nothrow();operator new[]" 666
	expect_folded "$T/f" "main;leak_new_aligned();operator new" 640
	expect_no_match "new not counted twice" "operator new.*;malloc " "$T/f"
	expect_no_match "churn contributes nothing" "churn" "$T/f"
}
run_test "heap: --sample with new calling malloc, each block once" t_sample_nested

t_probe_at_entry() {
	"$LEAKSCOPE" -v --probe-at-entry --folded "$T/f" -- "$FIX/heap_leaks" >"$T/out" 2>"$T/err"
	expect_match "free probed at its entry" "probe free .*entry at \+0 .*--probe-at-entry" "$T/err"
	expect_heap_leaks_sites "$T/f"
	"$LEAKSCOPE" -v --folded "$T/g" -- "$FIX/heap_leaks" >/dev/null 2>"$T/err2"
	expect_match "free placed past its test" "probe free .*entry at \+3 .je .*: je at \+3: emulated" \
		"$T/err2"
	expect_heap_leaks_sites "$T/g"
}
run_test "heap: exact with and without --probe-at-entry, placement shown in -v" t_probe_at_entry
