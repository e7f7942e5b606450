# End-to-end: --check, the leak check for CI. A command runs to its end; what
# each process held when it exited decides the exit status (23: leaks).

# tests/fixtures/exit_leaks.c: what it holds when it exits
EXIT_SITES="
leak_files;open:3
leak_copies;dup:1
leak_copies;dup2:1
leak_pipes;pipe:4
leak_socketpair;socketpair:2
leak_thread;pipe:2
"

t_check_fds_and_thread() {
	"$LEAKSCOPE" --check --folded "$T/f" --junit "$T/junit.xml" -- "$FIX/exit_leaks" \
		>"$T/out" 2>"$T/err"
	expect_eq "exit code: leaks" 23 $?
	expect_eq "nothing of leakscope on stdout" "" "$(cat "$T/out")"
	local site
	for site in $EXIT_SITES; do
		expect_eq "held at exit at ${site%:*}" "${site##*:}" \
			"$(grep '^\[fd\];' "$T/f" | folded_value /dev/stdin "${site%:*}")"
	done
	expect_eq "fcntl(F_DUPFD) copy held at exit" 1 \
		"$(grep -c '^\[fd\];.*;leak_copies;.*fcntl(F_DUPFD) 1$' "$T/f")"
	expect_eq "the blocked thread" 1 \
		"$(grep '^\[thread\];' "$T/f" | folded_value /dev/stdin "leak_thread;pthread_create")"
	expect_no_match "closed fds are no leak" "close_all" "$T/f"
	# each leak named on stderr: two or more fds at one stack, any thread
	expect_match "files" "^leakscope: leak: fd 3 fds \(3 files\) at open <- leak_files <- main" "$T/err"
	expect_match "pipes" "^leakscope: leak: fd 4 fds \(4 pipes\) at pipe <- leak_pipes <- main" "$T/err"
	expect_match "socketpair" "^leakscope: leak: fd 2 fds \(2 sockets\) at socketpair <- leak_socketpair" "$T/err"
	expect_match "thread" "^leakscope: leak: thread 1 threads \(1 in read\) at pthread_create <- leak_thread" "$T/err"
	expect_no_match "one copy of an fd is kept, not a leak" "leak: .* at dup" "$T/err"
	expect_match "summary" "^leakscope: check: 5 leaks in 1 of 1 process" "$T/err"
	expect_match "JUnit: one failed case" '<testsuite name="leakscope --check" tests="1" failures="1">' \
		"$T/junit.xml"
	expect_match "JUnit: the leaks as its message" '<failure message="5 leaks" type="leak">' \
		"$T/junit.xml"
}
run_test "check: a command leaking fds and a thread fails and names them" t_check_fds_and_thread

# The libraries a program maps are read as it maps them: one that exits at
# once is still symbolized, every time.
t_check_quick_exit() {
	local i bad=0
	for i in $(seq 20); do
		"$LEAKSCOPE" --check --folded "$T/f" -- "$FIX/exit_leaks" --quick >"$T/out" 2>"$T/err"
		[ $? = 23 ] && [ "$(folded_value "$T/f" "main;leak_files;open")" = 3 ] &&
			[ "$(folded_value "$T/f" "main;leak_pipes;pipe")" = 4 ] &&
			grep -q "^\[fd\];_start;__libc_start_main;__libc_start_call_main;main;leak_files;open 3$" "$T/f" &&
			! grep -q "unknown" "$T/f" || { bad=$((bad + 1)); cp "$T/f" "$T/f.bad.$i"; }
	done
	expect_eq "runs not symbolized completely" 0 "$bad"
}
run_test "check: a program exiting at once is symbolized completely, 20 of 20 runs" t_check_quick_exit

t_check_clean() {
	local cmd
	"$LEAKSCOPE" --check -- "$FIX/exit_leaks" --clean >"$T/out" 2>"$T/err"
	expect_eq "the fixture without its leaks" 0 $?
	for cmd in "true" "sort /etc/passwd" "gzip -c /etc/passwd"; do
		# shellcheck disable=SC2086
		"$LEAKSCOPE" --check -- $cmd >"$T/out" 2>"$T/err"
		expect_eq "$cmd: exit code" 0 $?
		expect_match "$cmd: no leak" "^leakscope: check: 0 leaks in 0 of 1 process" "$T/err"
	done
	expect_eq "sort's output passes through" "$(sort /etc/passwd)" \
		"$("$LEAKSCOPE" --check -- sort /etc/passwd 2>/dev/null)"
}
run_test "check: clean programs pass (true, sort, gzip -c)" t_check_clean

t_check_status() {
	"$LEAKSCOPE" --check -- sh -c 'exit 3' >"$T/out" 2>"$T/err"
	expect_eq "the command's own failure" 3 $?
	"$LEAKSCOPE" --check -- "$FIX/exit_leaks" --bogus-but-leaks >"$T/out" 2>"$T/err"
	expect_eq "leaks" 23 $?
	expect_error "--check without a command" 2 "give -- COMMAND" "$LEAKSCOPE" --check -p 1
	expect_error "a bad rule" 2 "invalid suppression 'nosuch:x'" \
		"$LEAKSCOPE" --check-ignore nosuch:x -- true
	printf 'kind:fd\nbogus line:\n' >"$T/bad.supp"
	expect_error "a bad file" 2 "bad.supp:2: invalid suppression 'bogus line:'" \
		"$LEAKSCOPE" --suppressions "$T/bad.supp" -- true
}
run_test "check: exit status (the command's own, 23, usage errors)" t_check_status

t_check_suppressions() {
	printf '# accepted\nkind:thread\nfunction:leak_files\ncreator:leak_pipes\nlibrary:exit_lea*\n' \
		>"$T/supp"
	"$LEAKSCOPE" --check --suppressions "$T/supp" -- "$FIX/exit_leaks" >"$T/out" 2>"$T/err"
	expect_eq "every leak suppressed: a pass" 0 $?
	expect_match "said" "^leakscope: check: 0 leaks in 0 of 1 process, 5 suppressed" "$T/err"
	"$LEAKSCOPE" --check --check-ignore leak_files --check-ignore 'kind:thread' \
		-- "$FIX/exit_leaks" >"$T/out" 2>"$T/err"
	expect_eq "some suppressed: still a failure" 23 $?
	expect_match "what is left" "^leakscope: check: 3 leaks in 1 of 1 process, 2 suppressed" "$T/err"
}
run_test "check: suppressions turn a failure into a pass" t_check_suppressions

t_check_go_test() {
	local name=leakscope.test/goleaks/leaky
	"$LEAKSCOPE" --check -- "$FIX/leaky.test" -test.run TestLeaky >"$T/out" 2>"$T/err"
	expect_eq "a test leaking a goroutine fails" 23 $?
	expect_match "the test passed on its own" "^PASS$" "$T/out"
	expect_match "names its function" \
		"^leakscope: leak: goroutine 1 goroutines at runtime.newproc <- $name.sendLater <- $name.TestLeaky <- .*\(leaky_test.go:10\)" \
		"$T/err"
	expect_match "one leak" "^leakscope: check: 1 leak in 1 of 1 process" "$T/err"
	"$LEAKSCOPE" --check -- "$FIX/leaky.test" -test.run TestFixed >"$T/out" 2>"$T/err"
	expect_eq "the same test fixed passes" 0 $?
	expect_match "no leak" "^leakscope: check: 0 leaks" "$T/err"
	"$LEAKSCOPE" --check --check-ignore "$name.sendLater" -- "$FIX/leaky.test" \
		-test.run TestLeaky >"$T/out" 2>"$T/err"
	expect_eq "suppressed: a pass" 0 $?
}
run_test "check: a Go test leaking a goroutine fails, fixed it passes" t_check_go_test
